//! Keeping the API key out of everything the proxy sends back or writes down: whole texts,
//! and streams, where the key may arrive split across chunks.

use axum::body::Bytes;

/// What replaces the key.
pub const REDACTED: &str = "[redacted]";

/// Replaces the key wherever it appears.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    key: Option<Vec<u8>>,
}

impl Redactor {
    pub fn new(key: Option<&str>) -> Redactor {
        Redactor { key: key.filter(|k| !k.is_empty()).map(|k| k.as_bytes().to_vec()) }
    }

    pub fn text(&self, text: &str) -> String {
        match &self.key {
            Some(k) => String::from_utf8_lossy(&replace(text.as_bytes(), k)).into_owned(),
            None => text.to_string(),
        }
    }

    pub fn bytes(&self, bytes: Bytes) -> Bytes {
        match &self.key {
            Some(k) if find(&bytes, k).is_some() => Bytes::from(replace(&bytes, k)),
            _ => bytes,
        }
    }

    /// A redactor for one stream.
    pub fn stream(&self) -> StreamRedactor {
        StreamRedactor { key: self.key.clone(), held: Vec::new() }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn replace(haystack: &[u8], key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = find(rest, key) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(REDACTED.as_bytes());
        rest = &rest[at + key.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Redacts a stream chunk by chunk. Whatever a chunk ends with that could be the start of
/// the key is held back until the next chunk shows whether the key follows. Streams of
/// server-sent events end each chunk with a blank line, which no key starts with, so in
/// practice nothing is held and nothing is delayed.
#[derive(Debug)]
pub struct StreamRedactor {
    key: Option<Vec<u8>>,
    held: Vec<u8>,
}

impl StreamRedactor {
    /// The bytes of `chunk` (after what was held) that are safe to send now.
    pub fn push(&mut self, chunk: &[u8]) -> Bytes {
        let Some(key) = &self.key else { return Bytes::copy_from_slice(chunk) };
        self.held.extend_from_slice(chunk);
        let mut out = replace(&self.held, key);
        // The longest end of `out` that is a start of the key (shorter than the key).
        let keep = (1..key.len().min(out.len() + 1)).rev().find(|&n| out.ends_with(&key[..n])).unwrap_or(0);
        self.held = out.split_off(out.len() - keep);
        Bytes::from(out)
    }

    /// At the end of the stream: what is still held is the start of the key cut off (an
    /// honest stream never ends that way), so it is redacted rather than sent.
    pub fn finish(&mut self) -> Bytes {
        if self.held.is_empty() {
            Bytes::new()
        } else {
            self.held.clear();
            Bytes::from_static(REDACTED.as_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-abc-123456";

    #[test]
    fn whole_texts() {
        let r = Redactor::new(Some(KEY));
        assert_eq!(r.text(&format!("a {KEY} b {KEY}")), "a [redacted] b [redacted]");
        assert_eq!(r.bytes(Bytes::from_static(b"nothing")), Bytes::from_static(b"nothing"));
        assert_eq!(Redactor::new(None).text(KEY), KEY);
        assert_eq!(Redactor::new(Some("")).text("abc"), "abc");
    }

    #[test]
    fn a_key_split_at_every_point_is_caught_and_nothing_else_waits() {
        let text = format!("data: the key {KEY} again sk- and sk-ab\n\n");
        for cut in 0..=text.len() {
            for second in cut..=text.len() {
                let mut s = Redactor::new(Some(KEY)).stream();
                let mut out = Vec::new();
                for part in [&text[..cut], &text[cut..second], &text[second..]] {
                    out.extend_from_slice(&s.push(part.as_bytes()));
                }
                out.extend_from_slice(&s.finish());
                assert_eq!(String::from_utf8(out).unwrap(), "data: the key [redacted] again sk- and sk-ab\n\n", "cut at {cut}, {second}");
            }
        }
        let mut s = Redactor::new(Some(KEY)).stream();
        assert_eq!(s.push(b"data: x\n\n"), Bytes::from_static(b"data: x\n\n"), "an event that cannot start the key is sent at once");
        assert_eq!(s.push(b"tail sk-abc"), Bytes::from_static(b"tail "));
        assert_eq!(s.finish(), Bytes::from_static(REDACTED.as_bytes()), "a cut-off key start is not sent");
    }
}
