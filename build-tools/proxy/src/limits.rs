//! Who may use the relay and how often: CORS origins, an optional access token, and a
//! per-client token bucket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::HeaderMap;

use super::config::ProxyConfig;
use super::errors::ApiError;

/// A token bucket per client address.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: f64, burst: f64) -> RateLimiter {
        RateLimiter { per_second: per_minute / 60.0, burst, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `client`, or says how many seconds until one is free.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // Forget idle clients now and then so the map stays small.
        if buckets.len() > 10_000 {
            let refill = self.per_second;
            let burst = self.burst;
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * refill < burst);
        }
        let (tokens, at) = buckets.entry(client).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else if self.per_second > 0.0 {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        } else {
            Err(60)
        }
    }
}

/// The origin a request claims, if any.
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get("origin").and_then(|v| v.to_str().ok()).filter(|o| *o != "null")
}

/// `Some(origin)` to echo in Access-Control-Allow-Origin; `Ok(None)` for a request
/// without an Origin; an error for a cross-origin request from an origin not configured.
/// The proxy's own origin (the app it serves) is always allowed.
pub fn check_origin(config: &ProxyConfig, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(origin) = origin(headers) else { return Ok(None) };
    let origin = origin.trim_end_matches('/');
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let same_origin = origin.split_once("://").is_some_and(|(_, rest)| rest == host);
    if same_origin || config.allowed_origins.iter().any(|o| o == origin || o == "*") {
        Ok(Some(origin.to_string()))
    } else {
        Err(ApiError::forbidden(format!("Origin {origin} may not use this proxy; add it to ALLOWED_ORIGINS to allow it.")))
    }
}

/// With PROXY_ACCESS_TOKEN set, requests must carry it as a bearer token.
pub fn check_token(config: &ProxyConfig, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &config.access_token else { return Ok(()) };
    let given = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    match given {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            "This proxy needs an access token: send it as \"Authorization: Bearer <token>\".",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_refill_over_time_per_client() {
        let limiter = RateLimiter::new(60.0, 2.0);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        assert!(limiter.take(a, t0).is_ok());
        assert!(limiter.take(a, t0).is_ok());
        assert_eq!(limiter.take(a, t0), Err(1));
        assert!(limiter.take(b, t0).is_ok(), "clients have their own buckets");
        assert!(limiter.take(a, t0 + Duration::from_millis(1100)).is_ok(), "one token per second refills");
    }
}
