//! Who may use the relay and how much: the client's address (behind trusted reverse
//! proxies, the right-most untrusted X-Forwarded-For hop), a per-client token bucket, caps
//! on concurrent connections, and the optional access token.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::http::{HeaderMap, StatusCode};

use super::errors::ApiError;

/// The client a request counts against. With `depth` trusted reverse proxies in front,
/// each appending the address it saw to X-Forwarded-For, the client is the `depth`-th
/// entry from the right: everything left of it was written by the client and proves
/// nothing. Without proxies (`depth` 0) the header is ignored.
pub fn client_ip(depth: usize, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if depth == 0 {
        return peer.ip();
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    // Fewer hops than proxies: the request skipped the outer ones; its left-most hop is
    // the nearest thing to a client there is.
    let hop = hops.len().checked_sub(depth).and_then(|i| hops.get(i)).or(hops.first());
    hop.and_then(|h| parse_hop(h)).unwrap_or_else(|| peer.ip())
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok()))
}

/// What the limits count per client: an IPv4 address, or the /64 network of an IPv6 one
/// (one host is given a whole /64 and could otherwise walk through it).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A token bucket per client.
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
        // Forget full buckets now and then so the map stays small.
        if buckets.len() > 10_000 {
            let refill = self.per_second;
            let burst = self.burst;
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * refill < burst);
        }
        let (tokens, at) = buckets.entry(client_key(client)).or_insert((self.burst, now));
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

    /// The 429 for a client that has to wait `wait` seconds.
    pub fn refusal(client: IpAddr, wait: u64) -> ApiError {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", format!("Too many requests from {client}; try again in {wait} s."))
            .with_retry_after(wait)
    }
}

/// Which cap a refused slot hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    All,
    Client,
}

/// Counted slots: at most `total` at once, and at most `per_client` for one client.
pub struct Slots {
    total: usize,
    per_client: usize,
    held: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One slot, given back when dropped.
pub struct Slot {
    slots: Arc<Slots>,
    client: Option<IpAddr>,
}

impl Slots {
    pub fn new(total: usize, per_client: usize) -> Arc<Slots> {
        Arc::new(Slots { total, per_client, held: Mutex::new((0, HashMap::new())) })
    }

    /// Takes a slot for `client` (`None`: counted in the total only).
    pub fn take(self: &Arc<Self>, client: Option<IpAddr>) -> Result<Slot, Full> {
        let client = client.map(client_key);
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.0 >= self.total {
            return Err(Full::All);
        }
        if let Some(ip) = client {
            let n = held.1.entry(ip).or_insert(0);
            if *n >= self.per_client {
                return Err(Full::Client);
            }
            *n += 1;
        }
        held.0 += 1;
        Ok(Slot { slots: self.clone(), client })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(|e| e.into_inner());
        held.0 -= 1;
        if let Some(ip) = self.client {
            if let Some(n) = held.1.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    held.1.remove(&ip);
                }
            }
        }
    }
}

/// With PROXY_ACCESS_TOKEN set, requests must carry it as a bearer token (the scheme
/// name in any case, as HTTP says).
pub fn check_token(expected: Option<&str>, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = expected else { return Ok(()) };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match given {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
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
    use axum::http::HeaderValue;
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
        let (v6a, v6b): (IpAddr, IpAddr) = ("2001:db8:1:2::1".parse().unwrap(), "2001:db8:1:2:ffff::9".parse().unwrap());
        assert!(limiter.take(v6a, t0).is_ok() && limiter.take(v6b, t0).is_ok());
        assert_eq!(limiter.take(v6a, t0), Err(1), "one IPv6 /64 is one client");
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let peer: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 1.1.1.1"));
        h.append("x-forwarded-for", HeaderValue::from_static("[2001:db8::7]:443"));
        assert_eq!(client_ip(0, &h, peer), peer.ip());
        assert_eq!(client_ip(1, &h, peer), "2001:db8::7".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(2, &h, peer), "1.1.1.1".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(5, &h, peer), "6.6.6.6".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(1, &HeaderMap::new(), peer), peer.ip());
    }

    #[test]
    fn slots_cap_per_client_and_in_all_and_come_back() {
        let slots = Slots::new(3, 2);
        let (a, b, c): (IpAddr, IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap(), "10.0.0.3".parse().unwrap());
        let a1 = slots.take(Some(a)).unwrap();
        let _a2 = slots.take(Some(a)).unwrap();
        assert_eq!(slots.take(Some(a)).err(), Some(Full::Client));
        let _b1 = slots.take(Some(b)).unwrap();
        assert_eq!(slots.take(Some(c)).err(), Some(Full::All));
        drop(a1);
        assert!(slots.take(Some(c)).is_ok());
    }
}
