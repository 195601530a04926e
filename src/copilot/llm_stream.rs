//! Talking to an OpenAI-compatible chat-completions server, without the network: the
//! request body the app sends (the browser through the proxy, `copilot ask` directly), a
//! Server-Sent Events decoder that takes bytes as they arrive (chunks may split lines and
//! UTF-8 characters anywhere; `\n`, `\r\n` or `\r` line ends; `data:` with or without a
//! space; comment lines), what each event's data means, and [`ChatStream`], which turns a
//! whole stream into the answer, its finish reason and its token usage. Pure, so every
//! variant real servers send is tested natively, and the CLI and the page share it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::copilot::prompt::Message;

/// What a chat request asks for besides its messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestOptions {
    /// The model name sent (the proxy ignores it and uses its own `LLM_MODEL`).
    pub model: String,
    /// Sampling temperature: low, so the same click gives much the same answer.
    pub temperature: f64,
    /// Longest answer in tokens; `None` leaves it to the server (the proxy caps it).
    pub max_tokens: Option<u32>,
    /// Ask the server to report token usage in the stream (`stream_options`). Only for
    /// direct calls: the proxy accepts no other field than its own few.
    pub include_usage: bool,
}

/// The temperature the app sends unless configured otherwise.
pub const DEFAULT_TEMPERATURE: f64 = 0.2;

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions { model: "app".to_string(), temperature: DEFAULT_TEMPERATURE, max_tokens: None, include_usage: false }
    }
}

/// The JSON body of a streamed chat completion for `messages`.
pub fn request_body(messages: &[Message], options: &RequestOptions) -> Value {
    let mut body = serde_json::json!({
        "model": options.model,
        "stream": true,
        "temperature": options.temperature,
        "messages": messages,
    });
    if let Some(n) = options.max_tokens {
        body["max_tokens"] = n.into();
    }
    if options.include_usage {
        body["stream_options"] = serde_json::json!({ "include_usage": true });
    }
    body
}

/// Turns a byte stream into the data of complete events.
#[derive(Default)]
pub struct SseDecoder {
    pending: Vec<u8>,
    data: Vec<String>,
    /// The last byte fed was a `\r` ending a line (a `\n` right after it is the same end).
    after_cr: bool,
}

impl SseDecoder {
    /// Feeds bytes; returns the data of every event completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        for &b in bytes {
            if self.after_cr && b == b'\n' {
                self.after_cr = false;
                continue;
            }
            self.after_cr = b == b'\r';
            if b == b'\n' || b == b'\r' {
                let raw = std::mem::take(&mut self.pending);
                self.line(&String::from_utf8_lossy(&raw), &mut events);
            } else {
                self.pending.push(b);
            }
        }
        events
    }

    fn line(&mut self, line: &str, events: &mut Vec<String>) {
        if line.is_empty() {
            if !self.data.is_empty() {
                events.push(self.data.join("\n"));
                self.data.clear();
            }
        } else if let Some(value) = line.strip_prefix("data:") {
            self.data.push(value.strip_prefix(' ').unwrap_or(value).to_string());
        } else if line == "data" {
            self.data.push(String::new());
        }
        // Comments (":…"), "event:", "id:" and "retry:" lines carry nothing we need.
    }

    /// The data of an event left open when the stream ended, if any.
    pub fn finish(&mut self) -> Option<String> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            let mut events = Vec::new();
            self.line(&String::from_utf8_lossy(&rest), &mut events);
        }
        (!self.data.is_empty()).then(|| std::mem::take(&mut self.data).join("\n"))
    }
}

/// Tokens a server reports having read and written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// One thing an event of a chat-completions stream says (an event may say several).
#[derive(Clone, Debug, PartialEq)]
pub enum ChatEvent {
    /// More answer text.
    Delta(String),
    /// More of a reasoning model's thinking (`reasoning_content`): not part of the answer.
    Reasoning(String),
    /// Why the model stopped: `stop`, `length` (the token limit), `content_filter`, …
    Finish(String),
    /// Token usage (often a chunk of its own with no choices).
    Usage(Usage),
    /// The answer is complete (`[DONE]`).
    Done,
    /// The server reported a failure (the proxy does this when a stream breaks).
    Error(String),
}

fn error_message(value: &Value) -> Option<String> {
    match value.get("error")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => Some(o.get("message").and_then(Value::as_str).unwrap_or("the server reported an error").to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn usage_of(value: &Value) -> Option<Usage> {
    let u = value.get("usage").filter(|u| u.is_object())?;
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    Some(Usage { prompt_tokens: n("prompt_tokens"), completion_tokens: n("completion_tokens") })
}

/// What one event's data says, in order; data that is not JSON says nothing.
pub fn interpret(data: &str) -> Vec<ChatEvent> {
    let data = data.trim();
    if data == "[DONE]" {
        return vec![ChatEvent::Done];
    }
    let Ok(value) = serde_json::from_str::<Value>(data) else { return Vec::new() };
    if let Some(message) = error_message(&value) {
        return vec![ChatEvent::Error(message)];
    }
    let mut out = Vec::new();
    if let Some(choice) = value.pointer("/choices/0") {
        let delta = choice.get("delta").or_else(|| choice.get("message"));
        let text = |k: &str| delta.and_then(|d| d.get(k)).and_then(Value::as_str).filter(|t| !t.is_empty()).map(String::from);
        if let Some(r) = text("reasoning_content").or_else(|| text("reasoning")) {
            out.push(ChatEvent::Reasoning(r));
        }
        if let Some(t) = text("content") {
            out.push(ChatEvent::Delta(t));
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            out.push(ChatEvent::Finish(reason.to_string()));
        }
    }
    if let Some(u) = usage_of(&value) {
        out.push(ChatEvent::Usage(u));
    }
    out
}

/// How a stream ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamEnd {
    /// Still arriving.
    Open,
    /// `[DONE]`, or the connection closed after a finish reason.
    Complete,
    /// An error event (its message).
    Failed(String),
    /// The connection closed with neither `[DONE]` nor a finish reason.
    Broken,
}

/// A whole streamed answer, fed as bytes arrive.
#[derive(Default)]
pub struct ChatStream {
    decoder: SseDecoder,
    pub text: String,
    pub reasoning: String,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
    done: bool,
    error: Option<String>,
}

impl ChatStream {
    /// Feeds bytes; returns what they said (text pieces to show as they come).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ChatEvent> {
        let events: Vec<ChatEvent> = self.decoder.feed(bytes).iter().flat_map(|d| interpret(d)).collect();
        for e in &events {
            self.apply(e);
        }
        events
    }

    /// The connection closed: reads what was left open.
    pub fn close(&mut self) -> Vec<ChatEvent> {
        let events: Vec<ChatEvent> = self.decoder.finish().iter().flat_map(|d| interpret(d)).collect();
        for e in &events {
            self.apply(e);
        }
        events
    }

    fn apply(&mut self, event: &ChatEvent) {
        match event {
            ChatEvent::Delta(t) if !self.is_over() => self.text.push_str(t),
            ChatEvent::Reasoning(t) if !self.is_over() => self.reasoning.push_str(t),
            ChatEvent::Finish(r) => self.finish_reason = Some(r.clone()),
            ChatEvent::Usage(u) => self.usage = Some(*u),
            ChatEvent::Done => self.done = true,
            ChatEvent::Error(m) if self.error.is_none() => self.error = Some(m.clone()),
            _ => {}
        }
    }

    /// Whether the answer is over (`[DONE]` or an error): the reader may stop.
    pub fn is_over(&self) -> bool {
        self.done || self.error.is_some()
    }

    /// How it ended, once the connection closed (or `Open` while it is still going).
    pub fn end(&self, closed: bool) -> StreamEnd {
        match (&self.error, self.done, closed) {
            (Some(m), _, _) => StreamEnd::Failed(m.clone()),
            (None, true, _) => StreamEnd::Complete,
            (None, false, true) if self.finish_reason.is_some() => StreamEnd::Complete,
            (None, false, true) => StreamEnd::Broken,
            (None, false, false) => StreamEnd::Open,
        }
    }

    /// Whether the model stopped at the token limit.
    pub fn cut_at_limit(&self) -> bool {
        is_cut(self.finish_reason.as_deref())
    }
}

/// A finish reason saying the answer was cut at the token limit.
pub fn is_cut(finish_reason: Option<&str>) -> bool {
    matches!(finish_reason, Some("length" | "max_tokens"))
}

/// What the page and `copilot ask` say about an answer cut at the token limit.
pub const CUT_NOTICE: &str = "The answer was cut at the token limit (finish_reason: length): it is incomplete.";

/// A non-streamed chat completion: its text, finish reason and usage.
pub fn completion(body: &str) -> Option<(String, Option<String>, Option<Usage>)> {
    let value: Value = serde_json::from_str(body).ok()?;
    let text = value.pointer("/choices/0/message/content").and_then(Value::as_str)?.to_string();
    let finish = value.pointer("/choices/0/finish_reason").and_then(Value::as_str).map(String::from);
    Some((text, finish, usage_of(&value)))
}

/// The text of a non-streamed chat completion.
pub fn completion_text(body: &str) -> Option<String> {
    completion(body).map(|(text, ..)| text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(text: &str) -> String {
        format!("data: {}\n\n", serde_json::json!({ "choices": [{ "delta": { "content": text } }] }))
    }

    /// Feeds `stream` in pieces of every size; the answer must come out the same.
    fn read_in_pieces(stream: &str) -> Vec<(String, Option<String>, StreamEnd)> {
        let bytes = stream.as_bytes();
        [1, 2, 3, 7, 64, bytes.len().max(1)]
            .into_iter()
            .map(|size| {
                let mut s = ChatStream::default();
                for piece in bytes.chunks(size) {
                    s.feed(piece);
                }
                s.close();
                (s.text.clone(), s.finish_reason.clone(), s.end(true))
            })
            .collect()
    }

    #[test]
    fn decodes_events_split_anywhere_including_inside_utf8() {
        let stream = format!("{}{}: keep-alive\n\n{}data: [DONE]\n\n", chunk("Héllo"), chunk(" wörld"), chunk("!"));
        let bytes = stream.as_bytes();
        for size in [1, 2, 3, 7, 64, bytes.len()] {
            let mut decoder = SseDecoder::default();
            let mut out = Vec::new();
            for piece in bytes.chunks(size) {
                out.extend(decoder.feed(piece).into_iter().flat_map(|d| interpret(&d)));
            }
            assert_eq!(decoder.finish(), None);
            assert_eq!(
                out,
                [ChatEvent::Delta("Héllo".into()), ChatEvent::Delta(" wörld".into()), ChatEvent::Delta("!".into()), ChatEvent::Done],
                "chunk size {size}"
            );
        }
    }

    #[test]
    fn every_sse_variant_real_servers_send_streams_the_same_answer() {
        let json = |content: &str| serde_json::json!({ "choices": [{ "index": 0, "delta": { "content": content } }] }).to_string();
        let variants = [
            // No space after `data:` (llama.cpp, some proxies).
            format!("data:{}\n\ndata:{}\n\ndata:[DONE]\n\n", json("27 runs"), json(" failed.")),
            // CRLF line ends.
            format!("data: {}\r\n\r\ndata: {}\r\n\r\ndata: [DONE]\r\n\r\n", json("27 runs"), json(" failed.")),
            // CR alone.
            format!("data: {}\r\rdata: {}\r\rdata: [DONE]\r\r", json("27 runs"), json(" failed.")),
            // Comment lines, event and id fields, a role-only first chunk.
            format!(
                ": ping\n\nevent: message\nid: 1\ndata: {}\n\n: keep-alive\ndata: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
                r#"{"choices":[{"delta":{"role":"assistant"}}]}"#,
                json("27 runs"),
                json(" failed.")
            ),
            // A usage-only chunk (no choices) before [DONE].
            format!(
                "data: {}\n\ndata: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
                json("27 runs"),
                json(" failed."),
                r#"{"choices":[],"usage":{"prompt_tokens":2100,"completion_tokens":9,"total_tokens":2109}}"#
            ),
            // A reasoning model: thinking first (not part of the answer), then content.
            format!(
                "data: {}\n\ndata: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
                r#"{"choices":[{"delta":{"reasoning_content":"Let me look at T2."}}]}"#,
                json("27 runs"),
                json(" failed.")
            ),
            // No [DONE]: the connection closes after the finish reason (some servers).
            format!("data: {}\n\ndata: {}", json("27 runs"), r#"{"choices":[{"delta":{"content":" failed."},"finish_reason":"stop"}]}"#),
        ];
        for stream in &variants {
            for (text, _, end) in read_in_pieces(stream) {
                assert_eq!((text.as_str(), &end), ("27 runs failed.", &StreamEnd::Complete), "{stream:?}");
            }
        }
        let mut s = ChatStream::default();
        s.feed(variants[4].as_bytes());
        assert_eq!(s.usage, Some(Usage { prompt_tokens: 2100, completion_tokens: 9 }));
        let mut s = ChatStream::default();
        s.feed(variants[5].as_bytes());
        assert_eq!((s.text.as_str(), s.reasoning.as_str()), ("27 runs failed.", "Let me look at T2."));
    }

    #[test]
    fn an_error_mid_stream_keeps_the_text_and_says_why() {
        let stream = format!(
            "{}data: {}\n\n{}",
            chunk("Part one"),
            r#"{"error":{"message":"model overloaded","type":"server_error"}}"#,
            chunk(" never")
        );
        for (text, _, end) in read_in_pieces(&stream) {
            assert_eq!(text, "Part one");
            assert_eq!(end, StreamEnd::Failed("model overloaded".into()));
        }
        // Ollama's error is a plain string.
        assert_eq!(interpret(r#"{"error":"model 'x' not found"}"#), [ChatEvent::Error("model 'x' not found".into())]);
        let mut s = ChatStream::default();
        s.feed(chunk("cut").as_bytes());
        s.close();
        assert_eq!(s.end(true), StreamEnd::Broken, "neither [DONE] nor a finish reason");
        assert_eq!(s.end(false), StreamEnd::Open);
    }

    #[test]
    fn a_length_finish_is_an_answer_cut_at_the_token_limit() {
        let stream = format!(
            "{}data: {}\n\ndata: [DONE]\n\n",
            chunk("The job fails because"),
            r#"{"choices":[{"delta":{},"finish_reason":"length"}]}"#
        );
        let mut s = ChatStream::default();
        s.feed(stream.as_bytes());
        assert_eq!(s.finish_reason.as_deref(), Some("length"));
        assert!(s.cut_at_limit() && s.end(true) == StreamEnd::Complete);
        assert!(!is_cut(Some("stop")) && !is_cut(None));
    }

    #[test]
    fn understands_multiline_data_and_unterminated_events() {
        let mut d = SseDecoder::default();
        let events = d.feed(b"data: a\ndata: b\n\n");
        assert_eq!(events, ["a\nb"]);
        assert_eq!(d.feed(b"data: [DONE]"), Vec::<String>::new());
        assert_eq!(d.finish().as_deref(), Some("[DONE]"));
        assert_eq!(interpret("{\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}"), Vec::new());
        assert_eq!(completion_text("{\"choices\":[{\"message\":{\"content\":\"x\"}}]}").as_deref(), Some("x"));
        let (_, finish, usage) = completion(
            r#"{"choices":[{"message":{"content":"x"},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#,
        )
        .unwrap();
        assert_eq!((finish.as_deref(), usage), (Some("length"), Some(Usage { prompt_tokens: 3, completion_tokens: 1 })));
    }

    #[test]
    fn the_request_body_carries_a_low_temperature() {
        let messages = [Message { role: "system".into(), content: "s".into() }, Message { role: "user".into(), content: "u".into() }];
        let body = request_body(&messages, &RequestOptions::default());
        assert_eq!(body, serde_json::json!({ "model": "app", "stream": true, "temperature": 0.2, "messages": messages }));
        let direct = RequestOptions { model: "qwen2.5:3b".into(), temperature: 0.0, max_tokens: Some(800), include_usage: true };
        let body = request_body(&messages, &direct);
        assert_eq!((body["max_tokens"].as_u64(), body["stream_options"]["include_usage"].as_bool()), (Some(800), Some(true)));
    }
}
