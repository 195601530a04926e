//! `POST /v1/chat/completions`: checks a request against the proxy's rules, pins the model,
//! caps `max_tokens`, and relays it to the configured upstream — streamed answers pass
//! through as they arrive, with time limits, and an error event when a stream breaks.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};

use super::config::Upstream;
use super::errors::ApiError;
use super::limits::{check_origin, check_token};
use super::AppState;

/// What one request did, logged as one line when it ends (never the prompt text unless
/// PROXY_LOG_PROMPTS is set).
struct RequestLog {
    client: IpAddr,
    started: Instant,
    stream: bool,
    status: u16,
    detail: String,
    done: bool,
}

impl RequestLog {
    fn finish(&mut self, status: u16, detail: impl Into<String>) {
        if self.done {
            return;
        }
        self.done = true;
        self.status = status;
        self.detail = detail.into();
        eprintln!(
            "copilot-proxy: POST /v1/chat/completions {} {}ms {} client={} {}",
            self.status,
            self.started.elapsed().as_millis(),
            if self.stream { "stream" } else { "json" },
            self.client,
            self.detail
        );
    }
}

impl RequestLog {
    /// A copy that logs instead of this one (the stream logs when it ends).
    fn hand_over(&mut self) -> RequestLog {
        self.done = true;
        RequestLog { client: self.client, started: self.started, stream: self.stream, status: 200, detail: String::new(), done: false }
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        let status = self.status;
        self.finish(status, "client went away before the end");
    }
}

fn client_ip(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if state.config.trust_forwarded_for {
        if let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
    }
    peer.ip()
}

fn with_cors(mut response: Response, origin: &Option<String>) -> Response {
    if let Some(o) = origin {
        if let Ok(v) = HeaderValue::from_str(o) {
            response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            response.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
        }
    }
    response
}

/// CORS preflight for the relay.
pub async fn preflight(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match check_origin(&state.config, &headers) {
        Ok(origin) => {
            let mut r = StatusCode::NO_CONTENT.into_response();
            let h = r.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, OPTIONS"));
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type, authorization"));
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            with_cors(r, &origin)
        }
        Err(e) => e.into_response(),
    }
}

/// The relay.
pub async fn chat_completions(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let client = client_ip(&state, &headers, peer);
    let mut log = RequestLog { client, started: Instant::now(), stream: false, status: 0, detail: String::new(), done: false };
    let origin = match check_origin(&state.config, &headers) {
        Ok(o) => o,
        Err(e) => return refuse(&mut log, e, &None),
    };
    match relay(&state, client, request, &mut log).await {
        Ok(response) => with_cors(response, &origin),
        Err(e) => refuse(&mut log, e, &origin),
    }
}

fn refuse(log: &mut RequestLog, error: ApiError, origin: &Option<String>) -> Response {
    log.finish(error.status.as_u16(), error.message.clone());
    with_cors(error.into_response(), origin)
}

async fn relay(state: &AppState, client: IpAddr, request: Request, log: &mut RequestLog) -> Result<Response, ApiError> {
    let config = &state.config;
    check_token(config, request.headers())?;
    if let Err(wait) = state.limiter.take(client, Instant::now()) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Too many requests from {client}; try again in {wait} s."),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let body = axum::body::to_bytes(request.into_body(), config.max_body_bytes).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("The request is larger than the proxy's limit of {} bytes.", config.max_body_bytes),
        )
    })?;
    let mut payload: Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}.")))?;
    let messages = payload
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ApiError::bad_request("The request has no \"messages\" array."))?;
    let system = messages
        .first()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("system"))
        .and_then(|m| m.get("content").and_then(Value::as_str))
        .unwrap_or_default();
    if !copilot_prompts::is_known_system_prompt(system) {
        return Err(ApiError::forbidden(
            "This proxy relays only the Usage Copilot's own prompts: the first message must be one of its system prompts.",
        ));
    }
    if !config.upstream_configured() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            "No LLM is configured: set LLM_API_KEY (or a self-hosted LLM_BASE_URL) in the environment or .env and restart the proxy.",
        ));
    }
    if config.log_prompts {
        eprintln!("copilot-proxy: prompt from {client}: {}", serde_json::to_string(messages).unwrap_or_default());
    }
    let stream = payload.get("stream").and_then(Value::as_bool).unwrap_or(false);
    log.stream = stream;
    // The proxy, not the client, decides the model and the length of an answer.
    let wanted = payload.get("max_tokens").or_else(|| payload.get("max_completion_tokens")).and_then(Value::as_u64);
    let max_tokens = wanted.map_or(config.max_tokens, |w| (w as u32).clamp(1, config.max_tokens));
    let object = payload.as_object_mut().ok_or_else(|| ApiError::bad_request("The request body must be a JSON object."))?;
    object.retain(|k, _| matches!(k.as_str(), "messages" | "stream" | "temperature" | "top_p" | "stop" | "seed"));
    object.insert("model".into(), json!(config.model));
    object.insert("max_tokens".into(), json!(max_tokens));
    if let Some(t) = object.get("temperature").and_then(Value::as_f64) {
        object.insert("temperature".into(), json!(t.clamp(0.0, 2.0)));
    }

    let (url, auth) = match &config.upstream {
        Upstream::OpenAi { base_url } => {
            (format!("{base_url}/chat/completions"), config.api_key.as_ref().map(|k| ("authorization", format!("Bearer {k}"))))
        }
        Upstream::Azure { base_url, deployment, api_version } => (
            format!("{base_url}/openai/deployments/{deployment}/chat/completions?api-version={api_version}"),
            config.api_key.as_ref().map(|k| ("api-key", k.clone())),
        ),
    };
    let mut upstream =
        state.client.post(&url).header(header::CONTENT_TYPE, "application/json").body(serde_json::to_vec(&payload).expect("JSON"));
    if let Some((name, value)) = auth {
        upstream = upstream.header(name, value);
    }
    let started = Instant::now();
    let response = match tokio::time::timeout(config.response_timeout, upstream.send()).await {
        Err(_) => {
            return Err(ApiError::timeout(format!("The LLM service did not answer within {} s.", config.response_timeout.as_secs_f64())))
        }
        Ok(Err(e)) if e.is_timeout() => return Err(ApiError::timeout("The LLM service did not answer in time.")),
        Ok(Err(e)) => {
            return Err(ApiError::bad_gateway(format!("The LLM service could not be reached: {}.", redact(state, &e.to_string()))))
        }
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    if !status.is_success() {
        let text = tokio::time::timeout(Duration::from_secs(5), response.text()).await.ok().and_then(|r| r.ok()).unwrap_or_default();
        let detail = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(String::from))
            .unwrap_or_else(|| text.chars().take(200).collect());
        let message = format!("The LLM service answered {}: {}", status.as_u16(), redact(state, &detail));
        return Err(if status.as_u16() == 429 {
            let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "upstream_rate_limited", message);
            e.retry_after = Some(5);
            e
        } else {
            ApiError::bad_gateway(message)
        });
    }

    if !stream {
        let remaining = config.total_timeout.saturating_sub(started.elapsed());
        let bytes = match tokio::time::timeout(remaining, response.bytes()).await {
            Err(_) => return Err(ApiError::timeout("The LLM answer took longer than the proxy allows.")),
            Ok(Err(e)) => return Err(ApiError::bad_gateway(format!("The LLM answer broke off: {}.", redact(state, &e.to_string())))),
            Ok(Ok(b)) => b,
        };
        let usage = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v.get("usage").cloned());
        log.finish(200, usage.map(|u| format!("tokens={u}")).unwrap_or_default());
        return Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response());
    }

    let relay = Relay {
        upstream: Box::pin(response.bytes_stream()),
        deadline: started + config.total_timeout,
        idle: config.idle_timeout,
        saw_done: false,
        tail: Vec::new(),
        finished: false,
        bytes: 0,
        log: log.hand_over(),
        key: config.api_key.clone(),
    };
    let body = Body::from_stream(futures_util::stream::unfold(relay, Relay::next));
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .header("x-accel-buffering", "no")
        .body(body)
        .expect("a valid response"))
}

/// Never let the key reach a client, whatever an error message contains.
fn redact(state: &AppState, text: &str) -> String {
    match &state.config.api_key {
        Some(k) if !k.is_empty() => text.replace(k.as_str(), "[redacted]"),
        _ => text.to_string(),
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// A streamed answer in flight.
struct Relay {
    upstream: ByteStream,
    deadline: Instant,
    idle: Duration,
    saw_done: bool,
    /// The last bytes seen, to find `[DONE]` across chunk boundaries.
    tail: Vec<u8>,
    finished: bool,
    bytes: usize,
    log: RequestLog,
    key: Option<String>,
}

fn error_event(message: &str) -> Bytes {
    let body = json!({ "error": { "message": message, "type": "upstream_error" } });
    Bytes::from(format!("data: {body}\n\n"))
}

impl Relay {
    async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Relay)> {
        if self.finished {
            let detail = format!("bytes={}{}", self.bytes, if self.saw_done { "" } else { " incomplete" });
            self.log.finish(200, detail);
            return None;
        }
        let now = Instant::now();
        let remaining = self.deadline.saturating_duration_since(now);
        let wait = self.idle.min(remaining);
        match tokio::time::timeout(wait, self.upstream.next()).await {
            Ok(Some(Ok(bytes))) => {
                self.bytes += bytes.len();
                self.tail.extend_from_slice(&bytes);
                if self.tail.windows(6).any(|w| w == b"[DONE]") {
                    self.saw_done = true;
                }
                let keep = self.tail.len().saturating_sub(8);
                self.tail.drain(..keep);
                let bytes = match &self.key {
                    Some(k) if !k.is_empty() && bytes.windows(k.len()).any(|w| w == k.as_bytes()) => {
                        Bytes::from(String::from_utf8_lossy(&bytes).replace(k.as_str(), "[redacted]"))
                    }
                    _ => bytes,
                };
                Some((Ok(bytes), self))
            }
            Ok(Some(Err(e))) => {
                self.finished = true;
                let msg = format!("The LLM stream broke off: {e}.");
                Some((Ok(error_event(&msg)), self))
            }
            Ok(None) => {
                self.finished = true;
                if self.saw_done {
                    let detail = format!("bytes={}", self.bytes);
                    self.log.finish(200, detail);
                    None
                } else {
                    Some((Ok(error_event("The LLM stream ended before the answer was complete.")), self))
                }
            }
            Err(_) => {
                self.finished = true;
                let msg = if remaining <= self.idle {
                    "The answer took longer than the proxy allows and was cut off.".to_string()
                } else {
                    format!("The LLM sent nothing for {} s; the answer was cut off.", self.idle.as_secs_f64())
                };
                Some((Ok(error_event(&msg)), self))
            }
        }
    }
}
