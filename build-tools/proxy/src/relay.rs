//! `POST /v1/chat/completions`: checks a request against the proxy's rules (origin,
//! content type, rate limit, access token, size and time to arrive, the closed request
//! shape of `request`), relays the rebuilt request to the configured upstream, and passes
//! the answer back — streamed answers as they arrive — within time and size limits, with
//! the key redacted, and an error event when a stream breaks.

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

use super::config::{ProxyConfig, Upstream};
use super::errors::ApiError;
use super::limits::{check_token, client_ip, RateLimiter, Slot};
use super::origins::check_origin;
use super::redact::{Redactor, StreamRedactor};
use super::request::{Bounds, ChatRequest};
use super::{AppState, LogSink};

/// What one request did, logged as one line when it ends (never the prompt text unless
/// PROXY_LOG_PROMPTS is set, never the key).
struct RequestLog {
    sink: LogSink,
    redactor: Redactor,
    client: IpAddr,
    started: Instant,
    stream: bool,
    status: u16,
    /// Said in the log only (it may name the upstream URL, which clients are not told).
    note: Option<String>,
    done: bool,
}

impl RequestLog {
    fn finish(&mut self, status: u16, detail: impl Into<String>) {
        if self.done {
            return;
        }
        self.done = true;
        self.status = status;
        let note = self.note.take().map(|n| format!(" ({n})")).unwrap_or_default();
        let line = format!(
            "copilot-proxy: POST /v1/chat/completions {} {}ms {} client={} {}{note}",
            self.status,
            self.started.elapsed().as_millis(),
            if self.stream { "stream" } else { "json" },
            self.client,
            detail.into()
        );
        (self.sink)(&self.redactor.text(&line));
    }

    /// A copy that logs instead of this one (the stream logs when it ends).
    fn hand_over(&mut self) -> RequestLog {
        self.done = true;
        RequestLog {
            sink: self.sink.clone(),
            redactor: self.redactor.clone(),
            client: self.client,
            started: self.started,
            stream: self.stream,
            status: 200,
            note: None,
            done: false,
        }
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        let status = self.status;
        self.finish(status, "client went away before the end");
    }
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
    match check_origin(&state.config.allowed_origins, &headers) {
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
    let client = client_ip(state.config.trusted_proxy_depth, request.headers(), peer);
    let mut log = RequestLog {
        sink: state.log.clone(),
        redactor: state.redactor.clone(),
        client,
        started: Instant::now(),
        stream: false,
        status: 0,
        note: None,
        done: false,
    };
    let origin = match check_origin(&state.config.allowed_origins, request.headers()) {
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
    // A body refused unread (or still trickling in) is not worth keeping the connection for.
    let close = matches!(error.status, StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT);
    let mut response = error.into_response();
    if close {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    with_cors(response, origin)
}

/// `application/json`, with any parameters: what browsers cannot send cross-origin
/// without a CORS preflight, which the proxy answers only for allowed origins.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).map(str::trim);
    if media.is_some_and(|m| m.eq_ignore_ascii_case("application/json")) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The relay takes JSON only: send Content-Type: application/json.",
        ))
    }
}

/// The body, refused early when Content-Length says it is too large, and in time.
async fn read_body(config: &ProxyConfig, request: Request) -> Result<Bytes, ApiError> {
    let limit = config.max_body_bytes;
    let announced = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    match tokio::time::timeout(config.body_timeout, axum::body::to_bytes(request.into_body(), limit)).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("The request body did not arrive within {} s (PROXY_BODY_TIMEOUT_SECS).", config.body_timeout.as_secs_f64()),
        )),
        Ok(Err(e)) => {
            let over = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                .any(|e| e.is::<http_body_util::LengthLimitError>());
            Err(if over { ApiError::too_large(limit) } else { ApiError::bad_request("The request body could not be read.") })
        }
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// Why an upstream request failed, in words that name no URL.
fn reason(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "it timed out"
    } else if e.is_connect() {
        "the connection failed"
    } else if e.is_body() || e.is_decode() {
        "the connection broke"
    } else {
        "the request failed"
    }
}

async fn relay(state: &AppState, client: IpAddr, request: Request, log: &mut RequestLog) -> Result<Response, ApiError> {
    let config = &state.config;
    // Every attempt counts, refused ones (a wrong access token) included.
    state.limiter.take(client, Instant::now()).map_err(|wait| RateLimiter::refusal(client, wait))?;
    require_json(request.headers())?;
    check_token(config.access_token.as_deref(), request.headers())?;
    // Behind reverse proxies every connection comes from them: cap what one forwarded
    // client has in flight instead.
    let slot = match &state.relay_slots {
        Some(slots) => Some(slots.take(Some(client)).map_err(|_| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Too many LLM requests in flight from {client} (PROXY_MAX_CONNECTIONS_PER_CLIENT); try again when one ends."),
            )
            .with_retry_after(1)
        })?),
        None => None,
    };
    let body = read_body(config, request).await?;
    let bounds = Bounds {
        max_messages: config.max_messages,
        max_message_chars: config.max_message_chars,
        max_tokens: config.max_tokens,
        max_temperature: config.max_temperature,
    };
    let chat = ChatRequest::parse(&body, &bounds)?;
    if !config.upstream_configured() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            "No LLM is configured: set LLM_API_KEY (or a self-hosted LLM_BASE_URL) in the environment or .env and restart the proxy.",
        ));
    }
    if config.log_prompts {
        (state.log)(&state.redactor.text(&format!("copilot-proxy: prompt from {client}: {}", chat.messages_json())));
    }
    log.stream = chat.stream;

    let (url, auth) = match &config.upstream {
        Upstream::OpenAi { base_url } => {
            (format!("{base_url}/chat/completions"), config.api_key.as_ref().map(|k| ("authorization", format!("Bearer {k}"))))
        }
        Upstream::Azure { base_url, deployment, api_version } => (
            format!("{base_url}/openai/deployments/{deployment}/chat/completions?api-version={api_version}"),
            config.api_key.as_ref().map(|k| ("api-key", k.clone())),
        ),
    };
    let payload =
        serde_json::to_vec(&chat.upstream_body(&config.model)).map_err(|_| ApiError::bad_request("The request could not be encoded."))?;
    let mut upstream = state.client.post(&url).header(header::CONTENT_TYPE, "application/json").body(payload);
    if let Some((name, value)) = auth {
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| ApiError::bad_gateway("The API key is not a valid header value; check LLM_API_KEY."))?;
        value.set_sensitive(true);
        upstream = upstream.header(name, value);
    }
    let started = Instant::now();
    // Servers that hold their headers until the first token get the first-token time too.
    let (header_wait, setting) = if config.first_token_timeout > config.response_timeout {
        (config.first_token_timeout, "LLM_FIRST_TOKEN_TIMEOUT_SECS")
    } else {
        (config.response_timeout, "LLM_RESPONSE_TIMEOUT_SECS")
    };
    let response = match tokio::time::timeout(header_wait, upstream.send()).await {
        Err(_) => {
            return Err(ApiError::timeout(format!("The LLM service did not answer within {} s ({setting}).", header_wait.as_secs_f64())))
        }
        Ok(Err(e)) => {
            log.note = Some(e.to_string());
            return Err(if e.is_timeout() {
                ApiError::timeout("The LLM service did not answer in time.")
            } else {
                ApiError::bad_gateway(format!("The LLM service could not be reached: {}; check LLM_BASE_URL.", reason(&e)))
            });
        }
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    if status.is_redirection() {
        return Err(ApiError::bad_gateway(format!(
            "The LLM service answered with a redirect ({}), which the proxy does not follow so that the key never goes to another host; set LLM_BASE_URL to the final address.",
            status.as_u16()
        )));
    }
    if !status.is_success() {
        let detail = error_detail(state, response).await;
        let message = format!("The LLM service answered {}: {detail}", status.as_u16());
        return Err(if status.as_u16() == 429 {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "upstream_rate_limited", message).with_retry_after(5)
        } else {
            ApiError::bad_gateway(message)
        });
    }

    let cap = config.max_answer_bytes();
    let deadline = started + config.total_timeout;
    if !chat.stream {
        let bytes = match tokio::time::timeout_at(deadline.into(), read_capped(response, cap)).await {
            Err(_) => return Err(ApiError::timeout("The LLM answer took longer than the proxy allows (LLM_TOTAL_TIMEOUT_SECS).")),
            Ok(Err(Capped::TooLong)) => {
                return Err(ApiError::bad_gateway(format!(
                    "The LLM answer is larger than the proxy's limit of {cap} bytes (LLM_MAX_TOKENS × PROXY_ANSWER_BYTES_PER_TOKEN)."
                )))
            }
            Ok(Err(Capped::Broke(e))) => return Err(ApiError::bad_gateway(format!("The LLM answer broke off: {}.", reason(&e)))),
            Ok(Ok(b)) => state.redactor.bytes(b),
        };
        let usage = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v.get("usage").cloned());
        log.finish(200, usage.map(|u| format!("tokens={u}")).unwrap_or_default());
        drop(slot);
        return Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response());
    }

    let relay = Relay {
        upstream: Box::pin(response.bytes_stream()),
        deadline,
        first_token_by: started + config.first_token_timeout,
        first_token_timeout: config.first_token_timeout,
        started: false,
        idle: config.idle_timeout,
        cap,
        saw_done: false,
        tail: Vec::new(),
        finished: false,
        bytes: 0,
        ends_event: true,
        redactor: state.redactor.stream(),
        log: log.hand_over(),
        _slot: slot,
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

enum Capped {
    TooLong,
    Broke(reqwest::Error),
}

/// A whole body, refused once it passes `cap` bytes.
async fn read_capped(response: reqwest::Response, cap: usize) -> Result<Bytes, Capped> {
    let mut stream = response.bytes_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(Capped::Broke)?;
        if out.len() + chunk.len() > cap {
            return Err(Capped::TooLong);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

/// What an upstream error says: at most PROXY_UPSTREAM_ERROR_BYTES of its body, read for
/// a few seconds at most, redacted, then its `error.message` (or text) cut to 200
/// characters.
async fn error_detail(state: &AppState, response: reqwest::Response) -> String {
    let limit = state.config.upstream_error_bytes;
    let mut stream = response.bytes_stream();
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while raw.len() < limit {
            match stream.next().await {
                Some(Ok(chunk)) => raw.extend_from_slice(&chunk[..chunk.len().min(limit - raw.len())]),
                _ => break,
            }
        }
    })
    .await;
    let mut redactor = state.redactor.stream();
    let mut text = redactor.push(&raw).to_vec();
    text.extend_from_slice(&redactor.finish());
    let text = String::from_utf8_lossy(&text);
    let detail = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| text.into_owned());
    let detail = detail.trim();
    if detail.chars().count() > 200 {
        format!("{}…", detail.chars().take(200).collect::<String>())
    } else {
        detail.to_string()
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// A streamed answer in flight.
struct Relay {
    upstream: ByteStream,
    deadline: Instant,
    /// Until the first bytes of the answer, the wait is this long from the request, not `idle`.
    first_token_by: Instant,
    first_token_timeout: Duration,
    /// Whether any bytes of the answer arrived.
    started: bool,
    idle: Duration,
    /// The most bytes relayed.
    cap: usize,
    saw_done: bool,
    /// The last bytes seen, to find `[DONE]` across chunk boundaries.
    tail: Vec<u8>,
    finished: bool,
    bytes: usize,
    /// Whether what was sent so far ends at an event boundary.
    ends_event: bool,
    redactor: StreamRedactor,
    log: RequestLog,
    /// The in-flight slot of a forwarded client, given back when the stream ends.
    _slot: Option<Slot>,
}

fn error_event(message: &str) -> Bytes {
    let body = json!({ "error": { "message": message, "type": "upstream_error" } });
    Bytes::from(format!("data: {body}\n\n"))
}

impl Relay {
    /// Ends the stream with whatever the redactor still holds and an error event, on an
    /// event boundary so an SSE reader sees it as one.
    fn fail(&mut self, message: &str) -> Bytes {
        self.finished = true;
        let mut out = self.redactor.finish().to_vec();
        if !out.is_empty() || !self.ends_event {
            out.extend_from_slice(b"\n\n");
        }
        out.extend_from_slice(&error_event(message));
        Bytes::from(out)
    }

    fn send(&mut self, bytes: Bytes) -> Bytes {
        if !bytes.is_empty() {
            self.ends_event = bytes.ends_with(b"\n\n");
        }
        bytes
    }

    async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Relay)> {
        if self.finished {
            let detail = format!("bytes={}{}", self.bytes, if self.saw_done { "" } else { " incomplete" });
            self.log.finish(200, detail);
            return None;
        }
        let now = Instant::now();
        let remaining = self.deadline.saturating_duration_since(now);
        let quiet = if self.started { self.idle } else { self.first_token_by.saturating_duration_since(now) };
        let wait = quiet.min(remaining);
        match tokio::time::timeout(wait, self.upstream.next()).await {
            Ok(Some(Ok(bytes))) => {
                self.started = true;
                if self.bytes + bytes.len() > self.cap {
                    let message = format!("The answer exceeded the proxy's limit of {} bytes and was cut off.", self.cap);
                    let out = self.fail(&message);
                    return Some((Ok(out), self));
                }
                self.bytes += bytes.len();
                self.tail.extend_from_slice(&bytes);
                if self.tail.windows(6).any(|w| w == b"[DONE]") {
                    self.saw_done = true;
                }
                let keep = self.tail.len().saturating_sub(8);
                self.tail.drain(..keep);
                let out = self.redactor.push(&bytes);
                let out = self.send(out);
                Some((Ok(out), self))
            }
            Ok(Some(Err(e))) => {
                self.log.note = Some(e.to_string());
                let out = self.fail(&format!("The LLM stream broke off: {}.", reason(&e)));
                Some((Ok(out), self))
            }
            Ok(None) => {
                if self.saw_done {
                    self.finished = true;
                    let rest = self.redactor.finish();
                    let detail = format!("bytes={}", self.bytes);
                    self.log.finish(200, detail);
                    if rest.is_empty() {
                        None
                    } else {
                        Some((Ok(rest), self))
                    }
                } else {
                    let out = self.fail("The LLM stream ended before the answer was complete.");
                    Some((Ok(out), self))
                }
            }
            Err(_) => {
                let message = if remaining <= quiet {
                    "The answer took longer than the proxy allows and was cut off.".to_string()
                } else if !self.started {
                    format!(
                        "The LLM sent no answer within {} s (LLM_FIRST_TOKEN_TIMEOUT_SECS); raise it for slow local models.",
                        self.first_token_timeout.as_secs_f64()
                    )
                } else {
                    format!("The LLM sent nothing for {} s; the answer was cut off.", self.idle.as_secs_f64())
                };
                let out = self.fail(&message);
                Some((Ok(out), self))
            }
        }
    }
}
