//! What the page does when a streamed LLM answer fails: why it stopped, in words, and
//! whether and when to try again. Plain data and functions so the policy is tested natively;
//! `ui::llm_client` only reports what the network did.

/// Why a streamed answer stopped early.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamFailure {
    /// The request was refused or failed before any text; `retry_after` in seconds.
    Http { status: u16, message: String, retry_after: Option<u32> },
    /// The network failed before any text arrived.
    Network(String),
    /// The stream broke or reported an error after some text.
    Broken(String),
    /// The user pressed Stop.
    Stopped,
    /// No token arrived within this many seconds (`llm_first_token_secs` in config.json).
    FirstToken(u32),
}

impl StreamFailure {
    /// Worth retrying: rate limits, server errors and network failures.
    pub fn retryable(&self) -> bool {
        match self {
            StreamFailure::Http { status, .. } => *status == 429 || *status >= 500,
            StreamFailure::Network(_) => true,
            _ => false,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            StreamFailure::Http { status, message, .. } => format!("the LLM proxy answered {status}: {message}"),
            StreamFailure::Network(m) => format!("the LLM proxy could not be reached ({m})"),
            StreamFailure::Broken(m) => format!("the answer broke off: {m}"),
            StreamFailure::Stopped => "stopped".to_string(),
            StreamFailure::FirstToken(secs) => {
                format!("the model did not start answering within {secs} s (llm_first_token_secs in config.json)")
            }
        }
    }
}

/// How long the page waits for the first token unless `config.json` says otherwise: local
/// models on a CPU take minutes to read a 3,000-token prompt.
pub const FIRST_TOKEN_SECS: u32 = 300;

/// What an answer shows while no token has arrived: the model is reading the prompt.
pub fn waiting_notice(waited_secs: u32, limit_secs: u32) -> String {
    format!("Waiting for the model, {waited_secs} s (it reads the prompt first; up to {limit_secs} s).")
}

/// How many times a refused or failed request is tried again before giving up.
pub const RETRIES: u32 = 3;

/// The longest wait the page accepts from a `Retry-After` header, in seconds.
pub const MAX_RETRY_AFTER: u32 = 30;

/// Seconds to wait before attempt `attempt + 1` after `failure`, or `None` to give up: only
/// retryable failures, only before any text arrived (a retry would repeat it), at most
/// [`RETRIES`] times; the server's `Retry-After` (clamped to 1..=30 s) or else 1, 2, 4 s.
pub fn retry_delay(failure: &StreamFailure, attempt: u32, text_arrived: bool) -> Option<u32> {
    if !failure.retryable() || text_arrived || attempt >= RETRIES {
        return None;
    }
    Some(match failure {
        StreamFailure::Http { retry_after: Some(secs), .. } => (*secs).clamp(1, MAX_RETRY_AFTER),
        _ => 1 << attempt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_rate_limits_and_server_errors_with_backoff_before_any_text() {
        let busy = StreamFailure::Http { status: 429, message: "slow down".into(), retry_after: None };
        assert_eq!((0..4).map(|a| retry_delay(&busy, a, false)).collect::<Vec<_>>(), [Some(1), Some(2), Some(4), None]);
        let told = StreamFailure::Http { status: 503, message: "busy".into(), retry_after: Some(120) };
        assert_eq!(retry_delay(&told, 0, false), Some(30), "Retry-After is clamped");
        let zero = StreamFailure::Http { status: 429, message: String::new(), retry_after: Some(0) };
        assert_eq!(retry_delay(&zero, 0, false), Some(1));
        assert_eq!(retry_delay(&StreamFailure::Network("reset".into()), 1, false), Some(2));
        assert_eq!(retry_delay(&busy, 0, true), None, "never after text arrived");
        let refused = StreamFailure::Http { status: 403, message: "not the app's prompt".into(), retry_after: None };
        assert_eq!(retry_delay(&refused, 0, false), None);
        assert_eq!(retry_delay(&StreamFailure::Stopped, 0, false), None);
        assert_eq!(retry_delay(&StreamFailure::Broken("cut".into()), 0, false), None);
        assert_eq!(refused.describe(), "the LLM proxy answered 403: not the app's prompt");
        assert_eq!(retry_delay(&StreamFailure::FirstToken(300), 0, false), None, "a slow model is not retried");
        assert_eq!(waiting_notice(12, 300), "Waiting for the model, 12 s (it reads the prompt first; up to 300 s).");
    }
}
