//! The proxy's errors. [`ApiError`] is every refusal and failure a client sees: an
//! OpenAI-style JSON error with the right HTTP status and a message a person can act on.
//! [`ConfigError`] and [`StartError`] are why the proxy will not start.
//!
//! One message style throughout: a full sentence, starting with a capital letter and
//! ending with a period, naming the setting to change when there is one. Messages never
//! carry the API key or the upstream URL.

use std::path::PathBuf;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    /// Seconds to wait before retrying (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, kind, message: message.into(), retry_after: None }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn bad_gateway(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_GATEWAY, "upstream_error", message)
    }

    pub fn timeout(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::GATEWAY_TIMEOUT, "upstream_timeout", message)
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("The request is larger than the proxy's limit of {limit} bytes (PROXY_MAX_BODY_BYTES)."),
        )
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "There is no such file.")
    }

    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// The body as a JSON value: `{"error": {"message", "type", "code"}}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "message": self.message, "type": self.kind, "code": self.status.as_u16() } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert("retry-after", HeaderValue::from(secs));
        }
        response
    }
}

/// A setting the proxy cannot use.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Cannot read the settings file {}: {source}.", path.display())]
    ReadEnvFile { path: PathBuf, source: std::io::Error },
    #[error("The settings file {}: line {line} {problem}.", path.display())]
    EnvFileLine { path: PathBuf, line: usize, problem: &'static str },
    #[error("{name}={value:?} is not {expected}.")]
    Invalid { name: &'static str, value: String, expected: &'static str },
    #[error("{old} is no longer read: {instead}.")]
    Replaced { old: &'static str, instead: &'static str },
}

/// Why the proxy will not start with settings that parsed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("DIST_DIR ({}) holds the settings file in use ({}), which would put the API key one URL away; keep the env file outside the folder the proxy serves.", dist.display(), env_file.display())]
    EnvFileServed { dist: PathBuf, env_file: PathBuf },
    #[error("Cannot build the HTTP client for the LLM: {0}.")]
    HttpClient(String),
}
