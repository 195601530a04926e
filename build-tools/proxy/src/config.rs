//! Proxy settings from the environment, or from a `.env` file for what the environment
//! does not set. `.env.example` documents every variable read here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    pub upstream: Upstream,
    /// Whether the LLM base URL was set explicitly (self-hosted servers need no key).
    pub base_url_set: bool,
    pub api_key: Option<String>,
    pub model: String,
    pub max_tokens: u32,
    pub max_body_bytes: usize,
    pub connect_timeout: Duration,
    /// Until the upstream's response headers arrive.
    pub response_timeout: Duration,
    /// Longest silence inside a streamed answer.
    pub idle_timeout: Duration,
    /// Longest whole answer.
    pub total_timeout: Duration,
    pub rate_per_minute: f64,
    pub rate_burst: f64,
    pub allowed_origins: Vec<String>,
    pub access_token: Option<String>,
    /// Use the first X-Forwarded-For address as the client (behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// Log prompt text (off by default).
    pub log_prompts: bool,
}

impl ProxyConfig {
    /// An LLM can be reached: a key is set, or a self-hosted base URL is.
    pub fn upstream_configured(&self) -> bool {
        self.api_key.is_some() || self.base_url_set
    }

    /// Reads the environment, falling back to `env_file` (if it exists) per variable.
    pub fn load(env_file: Option<&Path>) -> Result<ProxyConfig, String> {
        let file = match env_file {
            Some(path) if path.exists() => {
                parse_env_file(&std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?)
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
            _ => Vec::new(),
        };
        ProxyConfig::from_lookup(&|name| std::env::var(name).ok().or_else(|| file.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())))
    }

    /// Builds the configuration from any variable lookup (the environment, a test map).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<ProxyConfig, String> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let number = |name: &str, default: f64| -> Result<f64, String> {
            match get(name) {
                Some(v) => v.parse::<f64>().ok().filter(|x| *x >= 0.0).ok_or_else(|| format!("{name}={v:?} is not a non-negative number")),
                None => Ok(default),
            }
        };
        let seconds = |name: &str, default: f64| -> Result<Duration, String> { Ok(Duration::from_secs_f64(number(name, default)?)) };
        let addr_text = get("PROXY_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let addr = addr_text.parse().map_err(|e| format!("PROXY_ADDR={addr_text:?} is not a host:port address ({e})"))?;
        let base_url = get("LLM_BASE_URL").map(|u| u.trim_end_matches('/').to_string());
        let base_url_set = base_url.is_some();
        let base = base_url.unwrap_or_else(|| "https://api.openai.com/v1".into());
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!("LLM_BASE_URL={base:?} must start with http:// or https://"));
        }
        let upstream = match get("LLM_AZURE_DEPLOYMENT") {
            Some(deployment) => Upstream::Azure {
                base_url: base,
                deployment,
                api_version: get("LLM_AZURE_API_VERSION").unwrap_or_else(|| "2024-10-21".into()),
            },
            None => Upstream::OpenAi { base_url: base },
        };
        Ok(ProxyConfig {
            addr,
            dist_dir: PathBuf::from(get("DIST_DIR").unwrap_or_else(|| "dist".into())),
            upstream,
            base_url_set,
            api_key: get("LLM_API_KEY").or_else(|| get("OPENAI_API_KEY")),
            model: get("LLM_MODEL").unwrap_or_else(|| "gpt-4.1-mini".into()),
            max_tokens: number("LLM_MAX_TOKENS", 1200.0)?.max(1.0) as u32,
            max_body_bytes: number("PROXY_MAX_BODY_BYTES", 256.0 * 1024.0)? as usize,
            connect_timeout: seconds("LLM_CONNECT_TIMEOUT_SECS", 10.0)?,
            response_timeout: seconds("LLM_RESPONSE_TIMEOUT_SECS", 60.0)?,
            idle_timeout: seconds("LLM_IDLE_TIMEOUT_SECS", 30.0)?,
            total_timeout: seconds("LLM_TOTAL_TIMEOUT_SECS", 180.0)?,
            rate_per_minute: number("PROXY_RATE_PER_MINUTE", 30.0)?,
            rate_burst: number("PROXY_RATE_BURST", 10.0)?.max(1.0),
            allowed_origins: get("ALLOWED_ORIGINS")
                .map(|v| v.split(',').map(|o| o.trim().trim_end_matches('/').to_string()).filter(|o| !o.is_empty()).collect())
                .unwrap_or_default(),
            access_token: get("PROXY_ACCESS_TOKEN"),
            trust_forwarded_for: get("PROXY_TRUST_FORWARDED_FOR").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            log_prompts: get("PROXY_LOG_PROMPTS").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        })
    }
}

/// Parses `KEY=VALUE` lines: `#` comments, blank lines, optional `export `, values in
/// single or double quotes. A malformed line is reported with its number.
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (key, value) = line.split_once('=').ok_or_else(|| format!("line {} is not KEY=VALUE", n + 1))?;
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("line {} has an invalid name {key:?}", n + 1));
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
        assert_eq!(parse_env_file("OK=1\nnot a line\n").unwrap_err(), "line 2 is not KEY=VALUE");
    }

    #[test]
    fn defaults_and_azure_and_errors() {
        let none = |_: &str| None;
        let c = ProxyConfig::from_lookup(&none).unwrap();
        assert_eq!(c.upstream, Upstream::OpenAi { base_url: "https://api.openai.com/v1".into() });
        assert!(!c.upstream_configured());
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
        assert_eq!(ProxyConfig::from_lookup(&bad).unwrap_err(), "LLM_IDLE_TIMEOUT_SECS=\"soon\" is not a non-negative number");
        let local = |k: &str| (k == "LLM_BASE_URL").then(|| "http://127.0.0.1:11434/v1".to_string());
        assert!(ProxyConfig::from_lookup(&local).unwrap().upstream_configured(), "a self-hosted server needs no key");
    }
}
