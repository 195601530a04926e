//! What every test uses: a scripted OpenAI-compatible upstream (real HTTP, real SSE, the
//! scenario named by the last user message, "scenario:…"), a proxy started in-process on
//! a free port, the binary started as a child process, and raw-socket HTTP for the attacks
//! an HTTP client library would not make.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use copilot_proxy::{serve, AppState, ProxyConfig};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const KEY: &str = "sk-test-SECRET-0123456789";

/// What the scripted upstream saw, and where it sends redirects.
#[derive(Default)]
pub struct Seen {
    pub bodies: Vec<Value>,
    /// The `authorization` header of each request ("" when absent).
    pub auth: Vec<String>,
    /// The `api-key` header of each request ("" when absent).
    pub api_keys: Vec<String>,
    pub redirect_to: Option<String>,
}

pub type Shared = Arc<Mutex<Seen>>;

pub fn chunk(text: &str) -> String {
    format!("data: {}\n\n", json!({ "choices": [{ "index": 0, "delta": { "content": text } }] }))
}

fn sse(parts: Vec<(u64, String)>) -> Response {
    let stream = futures_util::stream::iter(parts).then(|(delay, text)| async move {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        Ok::<_, std::io::Error>(text)
    });
    Response::builder().header("content-type", "text/event-stream").body(Body::from_stream(stream)).unwrap()
}

/// Bytes forever, `piece` every millisecond.
fn endless(status: StatusCode, content_type: &'static str, piece: String) -> Response {
    let stream = futures_util::stream::unfold(piece, |piece| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Some((Ok::<_, std::io::Error>(piece.clone()), piece))
    });
    Response::builder().status(status).header("content-type", content_type).body(Body::from_stream(stream)).unwrap()
}

async fn scripted(State(seen): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let scenario = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .and_then(|c| c.strip_prefix("scenario:"))
        .unwrap_or("stream")
        .to_string();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let redirect_to = {
        let mut s = seen.lock().unwrap();
        s.bodies.push(body.clone());
        s.auth.push(header("authorization"));
        s.api_keys.push(header("api-key"));
        s.redirect_to.clone()
    };
    match scenario.as_str() {
        "json" => Json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
            "choices": [{ "index": 0, "finish_reason": "stop", "message": { "role": "assistant", "content": "27 runs failed [T2]." } }],
            "usage": { "prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107 }
        }))
        .into_response(),
        "json-leak" => Json(json!({
            "id": "chatcmpl-2", "object": "chat.completion", "model": body["model"],
            "choices": [{ "index": 0, "finish_reason": "stop", "message": { "role": "assistant", "content": format!("I was called with {KEY}.") } }]
        }))
        .into_response(),
        "json-huge" => Json(json!({ "choices": [{ "message": { "role": "assistant", "content": "x".repeat(50_000) } }] })).into_response(),
        "cut" => sse(vec![(0, chunk("Part one")), (50, chunk(" and part two"))]),
        "slow" => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            Json(json!({ "choices": [] })).into_response()
        }
        "idle" => sse(vec![(0, chunk("Started")), (1500, chunk(" late")), (0, "data: [DONE]\n\n".into())]),
        // A local model reading a long prompt: headers at once, the first token 1.5 s later.
        "first-slow" => sse(vec![(1500, chunk("Late")), (0, chunk(" but whole.")), (0, "data: [DONE]\n\n".into())]),
        // The same from a server that sends no headers before its first token.
        "headers-slow" => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            sse(vec![(0, chunk("Late")), (0, chunk(" but whole.")), (0, "data: [DONE]\n\n".into())])
        }
        "error500" => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": { "message": format!("boom; your key {KEY} is wrong") } }))).into_response(),
        // Not JSON: the key straddles the 200th character, where error details are cut.
        "error-long" => (StatusCode::INTERNAL_SERVER_ERROR, format!("{}{KEY}{}", "x".repeat(190), "y".repeat(100))).into_response(),
        "error-endless" => endless(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", "garbage ".repeat(128)),
        "error429" => (StatusCode::TOO_MANY_REQUESTS, Json(json!({ "error": { "message": "slow down" } }))).into_response(),
        "leak" => sse(vec![(0, chunk(&format!("the key is {KEY}"))), (0, "data: [DONE]\n\n".into())]),
        // One SSE event whose text holds the key, sent as two writes 60 ms apart.
        "split-leak" => {
            let event = chunk(&format!("the key is {KEY}, again"));
            let cut = event.find(KEY).unwrap() + 10;
            sse(vec![(0, event[..cut].to_string()), (60, event[cut..].to_string()), (0, "data: [DONE]\n\n".into())])
        }
        "endless" => endless(StatusCode::OK, "text/event-stream", chunk("more ")),
        "redirect" => Response::builder()
            .status(StatusCode::TEMPORARY_REDIRECT)
            .header("location", redirect_to.unwrap_or_else(|| "http://127.0.0.1:9/".into()))
            .body(Body::empty())
            .unwrap(),
        _ => sse(vec![
            (0, chunk("Hello")),
            (80, chunk(", ")),
            (80, chunk("world")),
            (80, chunk("!")),
            (80, "data: [DONE]\n\n".into()),
        ]),
    }
}

/// Starts a scripted upstream; returns its OpenAI base URL (`http://…/v1`) and what it saw.
/// Azure's deployment path is served too.
pub async fn start_upstream() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(scripted))
        .route("/openai/deployments/{deployment}/chat/completions", post(scripted))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), seen)
}

pub fn config_from(vars: &[(&str, &str)]) -> ProxyConfig {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ProxyConfig::from_lookup(&|k| map.get(k).cloned()).unwrap()
}

/// Starts the proxy in this process; returns `http://127.0.0.1:<port>`.
pub async fn start_proxy(vars: &[(&str, &str)]) -> String {
    let config = config_from(vars);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let state = Arc::new(AppState::new(config).unwrap());
    tokio::spawn(async move { serve(listener, state, std::future::pending()).await.unwrap() });
    format!("http://{addr}")
}

/// The settings every relay test starts from, plus `extra` (later entries win).
pub fn relay_vars<'a>(upstream: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut vars = vec![
        ("LLM_BASE_URL", upstream),
        ("LLM_API_KEY", KEY),
        ("LLM_MODEL", "pinned-model"),
        ("LLM_MAX_TOKENS", "500"),
        ("LLM_RESPONSE_TIMEOUT_SECS", "1"),
        ("LLM_FIRST_TOKEN_TIMEOUT_SECS", "1"),
        ("LLM_IDLE_TIMEOUT_SECS", "1"),
        ("PROXY_RATE_PER_MINUTE", "600"),
        ("PROXY_RATE_BURST", "100"),
        ("DIST_DIR", "/nonexistent"),
    ];
    for (k, v) in extra {
        vars.retain(|(name, _)| name != k);
        vars.push((k, v));
    }
    vars
}

pub async fn proxy_for(upstream: &str, extra: &[(&str, &str)]) -> String {
    start_proxy(&relay_vars(upstream, extra)).await
}

pub fn system_prompt() -> &'static str {
    copilot_prompts::current_system_prompt().text
}

/// What the app sends (plus a greedy `max_tokens` and a model of the client's choosing).
pub fn request(question: &str, stream: bool) -> Value {
    json!({
        "model": "gpt-anything-the-client-wants",
        "max_tokens": 100000,
        "stream": stream,
        "messages": [
            { "role": "system", "content": system_prompt() },
            { "role": "user", "content": question },
        ],
    })
}

/// A response as text, after checking the key is nowhere in it, whole or in part.
pub async fn text_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    for (name, value) in response.headers() {
        assert!(!value.to_str().unwrap_or_default().contains(&KEY[..10]), "key in header {name}");
    }
    let text = response.text().await.unwrap();
    assert_no_key(&text);
    (status, text)
}

/// Neither the key nor its first ten characters appear in `text`.
pub fn assert_no_key(text: &str) {
    assert!(!text.contains(&KEY[..10]), "the key, or a part of it, is in: {text}");
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub fn relay_url(proxy: &str) -> String {
    format!("{proxy}/v1/chat/completions")
}

/// `host:port` of a proxy URL.
pub fn authority(proxy: &str) -> &str {
    proxy.strip_prefix("http://").unwrap()
}

/// Sends `request` on a fresh connection from `from` (a loopback address, to look like
/// another client) and reads until the server closes or `wait` passes.
pub async fn raw_from(from: &str, proxy: &str, request: &[u8], wait: Duration) -> String {
    let stream = connect_from(from, proxy).await;
    exchange(stream, request, wait).await
}

/// Like [`raw_from`] from 127.0.0.1.
pub async fn raw(proxy: &str, request: &[u8], wait: Duration) -> String {
    raw_from("127.0.0.1", proxy, request, wait).await
}

pub async fn connect_from(from: &str, proxy: &str) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(authority(proxy).parse().unwrap()).await.unwrap()
}

pub async fn exchange(mut stream: TcpStream, request: &[u8], wait: Duration) -> String {
    let _ = stream.write_all(request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A raw HTTP/1.1 request with `headers` (CRLF-joined lines) and a JSON body.
pub fn raw_post(path: &str, host: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut text = format!("POST {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

pub fn raw_get(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n").into_bytes()
}

/// The status code of a raw HTTP response ("" → 0).
pub fn status_of(response: &str) -> u16 {
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Reads a streamed response until it ends, `limit` bytes arrived, or `wait` passed.
pub async fn read_capped(response: reqwest::Response, limit: usize, wait: Duration) -> (String, bool) {
    let started = Instant::now();
    let mut stream = response.bytes_stream();
    let mut out = Vec::new();
    let mut ended = false;
    while started.elapsed() < wait && out.len() < limit {
        match tokio::time::timeout(wait.saturating_sub(started.elapsed()), stream.next()).await {
            Ok(Some(Ok(bytes))) => out.extend_from_slice(&bytes),
            Ok(Some(Err(_))) | Ok(None) => {
                ended = true;
                break;
            }
            Err(_) => break,
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), ended)
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("copilot-proxy-{name}-{}-{:?}", std::process::id(), Instant::now()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The proxy binary as a child process with exactly `vars` (and no developer .env).
pub struct Child {
    pub child: tokio::process::Child,
    pub url: Option<String>,
}

pub async fn start_binary(vars: &[(&str, &str)], env_file: &Path) -> Child {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_copilot-proxy"));
    command.env_clear().env("PROXY_ENV_FILE", env_file).env("PROXY_ADDR", "127.0.0.1:0");
    for (k, v) in vars {
        command.env(k, v);
    }
    command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    let url = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = stdout.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return None;
            }
            out.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&out);
            if let Some(rest) = text.split("listening on ").nth(1) {
                if let Some(url) = rest.split_whitespace().next() {
                    return Some(url.to_string());
                }
            }
        }
    })
    .await
    .ok()
    .flatten();
    Child { child, url }
}

impl Child {
    /// Stops the child (if it still runs) and returns everything it wrote to stderr.
    pub async fn stop(mut self) -> String {
        let _ = self.child.start_kill();
        let output = self.child.wait_with_output().await.unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}
