//! Proxy settings from the environment, or from a `.env` file for what the environment
//! does not set. `.env.example` documents every variable read here, and
//! `CONFIGURATION.md` what each limit protects against.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::errors::ConfigError;
use super::origins::AllowedOrigin;

/// How the proxy reaches the LLM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upstream {
    /// Any OpenAI-compatible server: `{base}/chat/completions` with a bearer key.
    OpenAi { base_url: String },
    /// Azure OpenAI: `{base}/openai/deployments/{deployment}/chat/completions?api-version=…`
    /// with an `api-key` header.
    Azure { base_url: String, deployment: String, api_version: String },
}

#[derive(Clone, Debug)]
pub struct ProxyConfig {
    pub addr: SocketAddr,
    pub dist_dir: PathBuf,
    /// The settings file that was read, if one existed (it must not be inside `dist_dir`).
    pub env_file: Option<PathBuf>,
    pub upstream: Upstream,
    /// Whether the LLM base URL was set explicitly (self-hosted servers need no key).
    pub base_url_set: bool,
    pub api_key: Option<String>,
    pub model: String,
    pub max_tokens: u32,
    /// `temperature` is clamped to `0..=max_temperature`.
    pub max_temperature: f64,
    pub max_body_bytes: usize,
    /// Messages in one request, the system prompt included.
    pub max_messages: usize,
    /// Characters in one user or assistant message.
    pub max_message_chars: usize,
    pub connect_timeout: Duration,
    /// Until the upstream's response headers arrive (at least `first_token_timeout`, since
    /// some servers send no headers before the first token).
    pub response_timeout: Duration,
    /// Until the first piece of a streamed answer arrives, counted from the request: local
    /// models read a 3,000-token prompt for minutes on a CPU before the first token.
    pub first_token_timeout: Duration,
    /// Longest silence inside a streamed answer, once it has started.
    pub idle_timeout: Duration,
    /// Longest whole answer.
    pub total_timeout: Duration,
    /// Until a client's request headers have all arrived.
    pub header_timeout: Duration,
    /// Until a client's request body has all arrived.
    pub body_timeout: Duration,
    /// Open connections, in all.
    pub max_connections: usize,
    /// Open connections from one address (LLM requests in flight per forwarded client when
    /// `trusted_proxy_depth` > 0).
    pub max_connections_per_client: usize,
    /// Bytes of an upstream error body that are read.
    pub upstream_error_bytes: usize,
    /// An answer may be `max_tokens × answer_bytes_per_token` bytes long.
    pub answer_bytes_per_token: usize,
    pub rate_per_minute: f64,
    pub rate_burst: f64,
    /// Reverse proxies in front of this one, each appending to X-Forwarded-For.
    pub trusted_proxy_depth: usize,
    pub allowed_origins: Vec<AllowedOrigin>,
    pub access_token: Option<String>,
    /// The CSP `frame-ancestors` sources (`'none'` by default).
    pub frame_ancestors: String,
    /// Sources added to the CSP `connect-src` beside `'self'`.
    pub csp_connect_src: Option<String>,
    /// Log prompt text (off by default).
    pub log_prompts: bool,
}

impl ProxyConfig {
    /// An LLM can be reached: a key is set, or a self-hosted base URL is.
    pub fn upstream_configured(&self) -> bool {
        self.api_key.is_some() || self.base_url_set
    }

    /// The longest answer relayed, in bytes.
    pub fn max_answer_bytes(&self) -> usize {
        (self.max_tokens as usize).saturating_mul(self.answer_bytes_per_token)
    }

    /// Reads the environment, falling back to `env_file` (if it exists) per variable.
    pub fn load(env_file: Option<&Path>) -> Result<ProxyConfig, ConfigError> {
        let (file, used) = match env_file {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadEnvFile { path: path.into(), source })?;
                let vars =
                    parse_env_file(&text).map_err(|(line, problem)| ConfigError::EnvFileLine { path: path.into(), line, problem })?;
                (vars, Some(path.to_path_buf()))
            }
            _ => (Vec::new(), None),
        };
        let mut config = ProxyConfig::from_lookup(&|name| {
            std::env::var(name).ok().or_else(|| file.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        })?;
        config.env_file = used;
        Ok(config)
    }

    /// Builds the configuration from any variable lookup (the environment, a test map).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<ProxyConfig, ConfigError> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let number = |name: &'static str, default: f64| -> Result<f64, ConfigError> {
            match get(name) {
                Some(v) => v.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0).ok_or(ConfigError::Invalid {
                    name,
                    value: v,
                    expected: "a non-negative number",
                }),
                None => Ok(default),
            }
        };
        let count = |name: &'static str, default: usize| -> Result<usize, ConfigError> {
            match get(name) {
                Some(v) => v.parse::<usize>().map_err(|_| ConfigError::Invalid { name, value: v, expected: "a whole number" }),
                None => Ok(default),
            }
        };
        let flag = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name).map(|v| v.to_ascii_lowercase()) {
                None => Ok(default),
                Some(v) if v == "1" || v == "true" || v == "yes" => Ok(true),
                Some(v) if v == "0" || v == "false" || v == "no" => Ok(false),
                Some(v) => Err(ConfigError::Invalid { name, value: v, expected: "1 or 0" }),
            }
        };
        let seconds =
            |name: &'static str, default: f64| -> Result<Duration, ConfigError> { Ok(Duration::from_secs_f64(number(name, default)?)) };
        if get("PROXY_TRUST_FORWARDED_FOR").is_some() {
            return Err(ConfigError::Replaced {
                old: "PROXY_TRUST_FORWARDED_FOR",
                instead: "set PROXY_TRUSTED_PROXY_DEPTH to the number of reverse proxies in front of this one (1 for one)",
            });
        }
        let addr_text = get("PROXY_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let addr = addr_text.parse().map_err(|_| ConfigError::Invalid {
            name: "PROXY_ADDR",
            value: addr_text,
            expected: "a host:port address",
        })?;
        let base_url = get("LLM_BASE_URL").map(|u| u.trim_end_matches('/').to_string());
        let base_url_set = base_url.is_some();
        let base = base_url.unwrap_or_else(|| "https://api.openai.com/v1".into());
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ConfigError::Invalid { name: "LLM_BASE_URL", value: base, expected: "a URL starting with http:// or https://" });
        }
        let upstream = match get("LLM_AZURE_DEPLOYMENT") {
            Some(deployment) => Upstream::Azure {
                base_url: base,
                deployment,
                api_version: get("LLM_AZURE_API_VERSION").unwrap_or_else(|| "2024-10-21".into()),
            },
            None => Upstream::OpenAi { base_url: base },
        };
        let allowed_origins = match get("ALLOWED_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| {
                    AllowedOrigin::parse(o).ok_or_else(|| ConfigError::Invalid {
                        name: "ALLOWED_ORIGINS",
                        value: o.to_string(),
                        expected: "an origin such as https://copilot.example.com (scheme, host, optional port, no path), or *",
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let csp_sources = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match get(name) {
                Some(v) if v.chars().any(|c| matches!(c, ';' | ',') || c.is_control() || !c.is_ascii()) => {
                    Err(ConfigError::Invalid { name, value: v, expected: "a space-separated list of CSP sources" })
                }
                // The keywords need their quotes, which a .env value loses: `self` is `'self'`.
                other => Ok(other.map(|v| {
                    v.split_whitespace()
                        .map(|s| match s.to_ascii_lowercase().as_str() {
                            "none" | "self" => format!("'{}'", s.to_ascii_lowercase()),
                            _ => s.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })),
            }
        };
        Ok(ProxyConfig {
            addr,
            dist_dir: PathBuf::from(get("DIST_DIR").unwrap_or_else(|| "dist".into())),
            env_file: None,
            upstream,
            base_url_set,
            api_key: get("LLM_API_KEY").or_else(|| get("OPENAI_API_KEY")),
            model: get("LLM_MODEL").unwrap_or_else(|| "gpt-4.1-mini".into()),
            max_tokens: number("LLM_MAX_TOKENS", 1200.0)?.clamp(1.0, u32::MAX as f64) as u32,
            max_temperature: number("LLM_MAX_TEMPERATURE", 1.0)?.min(2.0),
            max_body_bytes: count("PROXY_MAX_BODY_BYTES", 256 * 1024)?,
            max_messages: count("PROXY_MAX_MESSAGES", 16)?.max(2),
            max_message_chars: count("PROXY_MAX_MESSAGE_CHARS", 32_000)?,
            connect_timeout: seconds("LLM_CONNECT_TIMEOUT_SECS", 10.0)?,
            response_timeout: seconds("LLM_RESPONSE_TIMEOUT_SECS", 60.0)?,
            first_token_timeout: seconds("LLM_FIRST_TOKEN_TIMEOUT_SECS", 300.0)?,
            idle_timeout: seconds("LLM_IDLE_TIMEOUT_SECS", 30.0)?,
            total_timeout: seconds("LLM_TOTAL_TIMEOUT_SECS", 600.0)?,
            header_timeout: seconds("PROXY_HEADER_TIMEOUT_SECS", 10.0)?.max(Duration::from_millis(100)),
            body_timeout: seconds("PROXY_BODY_TIMEOUT_SECS", 10.0)?,
            max_connections: count("PROXY_MAX_CONNECTIONS", 256)?.max(1),
            max_connections_per_client: count("PROXY_MAX_CONNECTIONS_PER_CLIENT", 32)?.max(1),
            upstream_error_bytes: count("PROXY_UPSTREAM_ERROR_BYTES", 4096)?,
            answer_bytes_per_token: count("PROXY_ANSWER_BYTES_PER_TOKEN", 512)?.max(1),
            rate_per_minute: number("PROXY_RATE_PER_MINUTE", 30.0)?,
            rate_burst: number("PROXY_RATE_BURST", 10.0)?.max(1.0),
            trusted_proxy_depth: count("PROXY_TRUSTED_PROXY_DEPTH", 0)?,
            allowed_origins,
            access_token: get("PROXY_ACCESS_TOKEN"),
            frame_ancestors: csp_sources("PROXY_FRAME_ANCESTORS")?.unwrap_or_else(|| "'none'".into()),
            csp_connect_src: csp_sources("PROXY_CSP_CONNECT_SRC")?,
            log_prompts: flag("PROXY_LOG_PROMPTS", false)?,
        })
    }
}

/// Parses `KEY=VALUE` lines: `#` comments, blank lines, optional `export `, values in
/// single or double quotes. A malformed line is reported with its number and what is wrong.
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, (usize, &'static str)> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (key, value) = line.split_once('=').ok_or((n + 1, "is not KEY=VALUE"))?;
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err((n + 1, "has an invalid name"));
        }
        let value = value.trim();
        let value = match (value.chars().next(), value.chars().last()) {
            (Some(q @ ('"' | '\'')), Some(end)) if value.len() >= 2 && end == q => &value[1..value.len() - 1],
            _ => value.split(" #").next().unwrap_or(value).trim_end(),
        };
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_env_files_and_names_bad_lines() {
        let vars = parse_env_file(
            "# comment\n\nLLM_MODEL=gpt-x\nexport LLM_API_KEY=\"sk-1 2\"\nALLOWED_ORIGINS='http://a' \nLLM_MAX_TOKENS=500 # cap\n",
        )
        .unwrap();
        assert_eq!(
            vars,
            [
                ("LLM_MODEL".to_string(), "gpt-x".to_string()),
                ("LLM_API_KEY".to_string(), "sk-1 2".to_string()),
                ("ALLOWED_ORIGINS".to_string(), "http://a".to_string()),
                ("LLM_MAX_TOKENS".to_string(), "500".to_string()),
            ]
        );
        assert_eq!(parse_env_file("OK=1\nnot a line\n").unwrap_err(), (2, "is not KEY=VALUE"));
    }

    #[test]
    fn defaults_and_azure_and_errors() {
        let none = |_: &str| None;
        let c = ProxyConfig::from_lookup(&none).unwrap();
        assert_eq!(c.upstream, Upstream::OpenAi { base_url: "https://api.openai.com/v1".into() });
        assert!(!c.upstream_configured());
        assert_eq!((c.max_messages, c.max_message_chars, c.max_connections, c.trusted_proxy_depth), (16, 32_000, 256, 0));
        assert_eq!(c.max_answer_bytes(), 1200 * 512);
        assert_eq!(c.frame_ancestors, "'none'");
        assert_eq!(
            (c.response_timeout.as_secs(), c.first_token_timeout.as_secs(), c.idle_timeout.as_secs(), c.total_timeout.as_secs()),
            (60, 300, 30, 600),
            "a local model may take minutes before its first token"
        );
        let azure = |k: &str| match k {
            "LLM_BASE_URL" => Some("https://x.openai.azure.com/".into()),
            "LLM_AZURE_DEPLOYMENT" => Some("gpt4".into()),
            "OPENAI_API_KEY" => Some("k".into()),
            _ => None,
        };
        let c = ProxyConfig::from_lookup(&azure).unwrap();
        assert_eq!(
            c.upstream,
            Upstream::Azure { base_url: "https://x.openai.azure.com".into(), deployment: "gpt4".into(), api_version: "2024-10-21".into() }
        );
        assert!(c.upstream_configured());
        let bad = |k: &str| (k == "LLM_IDLE_TIMEOUT_SECS").then(|| "soon".to_string());
        assert_eq!(ProxyConfig::from_lookup(&bad).unwrap_err().to_string(), "LLM_IDLE_TIMEOUT_SECS=\"soon\" is not a non-negative number.");
        let local = |k: &str| (k == "LLM_BASE_URL").then(|| "http://127.0.0.1:11434/v1".to_string());
        assert!(ProxyConfig::from_lookup(&local).unwrap().upstream_configured(), "a self-hosted server needs no key");
    }

    #[test]
    fn refuses_the_old_forwarded_for_switch_and_bad_origins_and_csp_sources() {
        let old = |k: &str| (k == "PROXY_TRUST_FORWARDED_FOR").then(|| "1".to_string());
        assert!(ProxyConfig::from_lookup(&old).unwrap_err().to_string().contains("PROXY_TRUSTED_PROXY_DEPTH"));
        for origin in ["null", "https://a.example/path", "ftp://a.example", "a.example", "https://user@a.example"] {
            let bad = |k: &str| (k == "ALLOWED_ORIGINS").then(|| format!("https://ok.example, {origin}"));
            assert!(ProxyConfig::from_lookup(&bad).unwrap_err().to_string().starts_with("ALLOWED_ORIGINS="), "{origin}");
        }
        let injected = |k: &str| (k == "PROXY_FRAME_ANCESTORS").then(|| "'self'; script-src *".to_string());
        assert!(ProxyConfig::from_lookup(&injected).is_err());
        let bare = |k: &str| (k == "PROXY_FRAME_ANCESTORS").then(|| "self  https://portal.example.com".to_string());
        assert_eq!(ProxyConfig::from_lookup(&bare).unwrap().frame_ancestors, "'self' https://portal.example.com");
    }
}
