//! Talking to `copilot-proxy` from the browser: whether an LLM is available (its
//! `/healthz`), and a streamed chat completion read chunk by chunk, cancellable, decoded by
//! the library's `ChatStream` (every SSE variant real servers send).

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, ReadableStreamDefaultReader, RequestInit, Response};

use super::browser_io::js_error_text;
use crate::app::llm_policy::StreamFailure;
use crate::copilot::llm_stream::{request_body, ChatEvent, ChatStream, RequestOptions, StreamEnd};
use crate::copilot::prompt::Message;

/// What the page knows about the LLM.
#[derive(Clone, Debug, PartialEq)]
pub enum LlmStatus {
    Checking,
    /// The proxy answers and has an LLM configured.
    Available {
        model: String,
    },
    /// The proxy answers but has no LLM configured.
    NotConfigured,
    /// The proxy cannot be reached (a static host without it, or offline).
    Unreachable(String),
}

/// Asks the proxy at `base` (empty = this page's origin) whether an LLM is available.
pub async fn check_status(base: &str) -> LlmStatus {
    let url = format!("{base}healthz");
    let result = async {
        let window = web_sys::window().ok_or("no window")?;
        let response: Response = JsFuture::from(window.fetch_with_str(&url))
            .await
            .map_err(|e| js_error_text(&e))?
            .dyn_into()
            .map_err(|_| "not a response".to_string())?;
        if !response.ok() {
            return Err(format!("HTTP {}", response.status()));
        }
        let json = JsFuture::from(response.json().map_err(|e| js_error_text(&e))?).await.map_err(|e| js_error_text(&e))?;
        let configured = Reflect::get(&json, &"upstream_configured".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
        let model = Reflect::get(&json, &"model".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
        Ok::<_, String>(if configured { LlmStatus::Available { model } } else { LlmStatus::NotConfigured })
    }
    .await;
    result.unwrap_or_else(LlmStatus::Unreachable)
}

async fn error_message(response: &Response) -> String {
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str()).map(String::from))
        .unwrap_or_else(|| response.status_text())
}

/// How a stream that completed ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamEnded {
    pub finish_reason: Option<String>,
}

/// Streams a chat completion with `options` (the low temperature), calling `on_event` with
/// each text or reasoning piece as it arrives. Decoding is the library's `ChatStream`, the
/// same as `copilot ask`'s.
pub async fn stream_chat(
    base: &str,
    messages: &[Message],
    options: &RequestOptions,
    signal: &AbortSignal,
    mut on_event: impl FnMut(&ChatEvent),
) -> Result<StreamEnded, StreamFailure> {
    let aborted = |e: &JsValue| if signal.aborted() { StreamFailure::Stopped } else { StreamFailure::Network(js_error_text(e)) };
    let body = request_body(messages, options).to_string();
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    init.set_signal(Some(signal));
    let headers = Headers::new().map_err(|e| StreamFailure::Network(js_error_text(&e)))?;
    headers.set("content-type", "application/json").map_err(|e| StreamFailure::Network(js_error_text(&e)))?;
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(|| StreamFailure::Network("no window".into()))?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(&format!("{base}v1/chat/completions"), &init))
        .await
        .map_err(|e| aborted(&e))?
        .dyn_into()
        .map_err(|_| StreamFailure::Network("not a response".into()))?;
    if !response.ok() {
        let retry_after = response.headers().get("retry-after").ok().flatten().and_then(|v| v.parse().ok());
        return Err(StreamFailure::Http { status: response.status(), message: error_message(&response).await, retry_after });
    }
    let reader: ReadableStreamDefaultReader = response
        .body()
        .ok_or_else(|| StreamFailure::Broken("the response has no body".into()))?
        .get_reader()
        .dyn_into()
        .map_err(|_| StreamFailure::Broken("cannot read the response".into()))?;
    let mut stream = ChatStream::default();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| match aborted(&e) {
            StreamFailure::Network(m) => StreamFailure::Broken(m),
            other => other,
        })?;
        let done = Reflect::get(&chunk, &"done".into()).ok().and_then(|v| v.as_bool()).unwrap_or(true);
        let events = if done {
            stream.close()
        } else {
            let value = Reflect::get(&chunk, &"value".into()).map_err(|e| StreamFailure::Broken(js_error_text(&e)))?;
            stream.feed(&Uint8Array::new(&value).to_vec())
        };
        for e in &events {
            on_event(e);
        }
        if done || stream.is_over() {
            if !done {
                let _ = reader.cancel();
            }
            return match stream.end(true) {
                StreamEnd::Failed(m) => Err(StreamFailure::Broken(m)),
                StreamEnd::Broken => Err(StreamFailure::Broken("the stream ended before the answer was complete".into())),
                _ => Ok(StreamEnded { finish_reason: stream.finish_reason.clone() }),
            };
        }
    }
}
