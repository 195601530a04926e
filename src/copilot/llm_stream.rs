//! Reading an OpenAI-style streamed answer: a Server-Sent Events decoder that takes bytes
//! as they arrive (chunks may split lines and UTF-8 characters anywhere) and the meaning
//! of each event's data (a text delta, the end, or an error). Pure, so it is tested natively.

use serde_json::Value;

/// Turns a byte stream into the data of complete events.
#[derive(Default)]
pub struct SseDecoder {
    pending: Vec<u8>,
    data: Vec<String>,
}

impl SseDecoder {
    /// Feeds bytes; returns the data of every event completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(at) = self.pending.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.pending.drain(..=at).collect();
            let line = String::from_utf8_lossy(&raw[..raw.len() - 1]);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data.push(value.strip_prefix(' ').unwrap_or(value).to_string());
            }
            // Comments (":…"), "event:", "id:" and "retry:" lines carry nothing we need.
        }
        events
    }

    /// The data of an event left open when the stream ended, if any.
    pub fn finish(&mut self) -> Option<String> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.feed(&[rest, b"\n".to_vec()].concat());
        }
        (!self.data.is_empty()).then(|| std::mem::take(&mut self.data).join("\n"))
    }
}

/// What one event of a chat-completions stream says.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatEvent {
    /// More answer text.
    Delta(String),
    /// The answer is complete.
    Done,
    /// The server reported a failure (the proxy does this when a stream breaks).
    Error(String),
    /// Anything else (role-only deltas, usage, keep-alives).
    Other,
}

pub fn interpret(data: &str) -> ChatEvent {
    let data = data.trim();
    if data == "[DONE]" {
        return ChatEvent::Done;
    }
    let Ok(value) = serde_json::from_str::<Value>(data) else { return ChatEvent::Other };
    if let Some(message) = value.pointer("/error/message").and_then(Value::as_str) {
        return ChatEvent::Error(message.to_string());
    }
    match value.pointer("/choices/0/delta/content").and_then(Value::as_str) {
        Some(text) if !text.is_empty() => ChatEvent::Delta(text.to_string()),
        _ => ChatEvent::Other,
    }
}

/// The text of a non-streamed chat completion.
pub fn completion_text(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    value.pointer("/choices/0/message/content").and_then(Value::as_str).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(text: &str) -> String {
        format!("data: {}\n\n", serde_json::json!({ "choices": [{ "delta": { "content": text } }] }))
    }

    #[test]
    fn decodes_events_split_anywhere_including_inside_utf8() {
        let stream = format!("{}{}: keep-alive\n\n{}data: [DONE]\n\n", chunk("Héllo"), chunk(" wörld"), chunk("!"));
        let bytes = stream.as_bytes();
        for size in [1, 2, 3, 7, 64, bytes.len()] {
            let mut decoder = SseDecoder::default();
            let mut out = Vec::new();
            for piece in bytes.chunks(size) {
                out.extend(decoder.feed(piece).into_iter().map(|d| interpret(&d)));
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
    fn understands_errors_crlf_multiline_and_unterminated_events() {
        let mut d = SseDecoder::default();
        let events = d.feed(b"data: {\"error\":{\"message\":\"cut\"}}\r\n\r\ndata: a\ndata: b\n\n");
        assert_eq!(interpret(&events[0]), ChatEvent::Error("cut".into()));
        assert_eq!(events[1], "a\nb");
        assert_eq!(d.feed(b"data: [DONE]"), Vec::<String>::new());
        assert_eq!(d.finish().as_deref(), Some("[DONE]"));
        assert_eq!(interpret("{\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}"), ChatEvent::Other);
        assert_eq!(completion_text("{\"choices\":[{\"message\":{\"content\":\"x\"}}]}").as_deref(), Some("x"));
    }
}
