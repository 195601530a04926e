//! How a static build is hosted: the build id compiled into the wasm, and `config.json`,
//! read at start-up so one build can be served under any path prefix and pointed at any
//! LLM proxy (or none) without rebuilding.

use serde::{Deserialize, Serialize};

/// This build's id (`COPILOT_BUILD_ID` at compile time; the Makefile sets it), shown in
/// the page and written to `version.json` and the service worker's cache name.
pub const BUILD_ID: &str = match option_env!("COPILOT_BUILD_ID") {
    Some(id) => id,
    None => "dev",
};

/// `config.json`, next to `index.html`. Every field is optional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostConfig {
    /// Where copilot-proxy answers (`""` = this page's own folder; or a full URL).
    pub proxy_url: String,
    /// The database opened at start.
    pub data_url: String,
    /// Its size once decompressed (for the progress bar when it is served compressed).
    pub data_bytes: Option<u64>,
    /// Whether chips may use an LLM at all.
    pub llm: bool,
    /// Whether documentation is used (the docs index and model are fetched on demand).
    pub docs: bool,
    /// Whether users may open their own files and import exports.
    pub import: bool,
    /// The sampling temperature the page asks the LLM for (low: the same click gives much
    /// the same answer).
    pub llm_temperature: f64,
    /// Seconds the page waits for the first token (local models read long prompts slowly).
    pub llm_first_token_secs: u32,
    /// Estimated tokens the evidence of one prompt may take (smaller for small context windows).
    pub evidence_tokens: usize,
}

impl Default for HostConfig {
    fn default() -> HostConfig {
        HostConfig {
            proxy_url: String::new(),
            data_url: "data/usage_rag_data.db".to_string(),
            data_bytes: None,
            llm: true,
            docs: true,
            import: true,
            llm_temperature: crate::copilot::llm_stream::DEFAULT_TEMPERATURE,
            llm_first_token_secs: crate::app::llm_policy::FIRST_TOKEN_SECS,
            evidence_tokens: crate::copilot::evidence::DEFAULT_EVIDENCE_TOKENS,
        }
    }
}

impl HostConfig {
    /// Parses `config.json`; the error names the problem.
    pub fn parse(text: &str) -> Result<HostConfig, String> {
        let mut config: HostConfig = serde_json::from_str(text).map_err(|e| format!("config.json is not valid: {e}"))?;
        if !config.proxy_url.is_empty() && !config.proxy_url.ends_with('/') {
            config.proxy_url.push('/');
        }
        if config.data_url.trim().is_empty() {
            return Err("config.json: data_url is empty".to_string());
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_partial_files_and_named_errors() {
        assert_eq!(HostConfig::parse("{}").unwrap(), HostConfig::default());
        let c = HostConfig::parse(r#"{"proxy_url": "https://proxy.example.com/copilot", "llm": false}"#).unwrap();
        assert_eq!(c.proxy_url, "https://proxy.example.com/copilot/");
        assert!(!c.llm && c.docs);
        let slow = HostConfig::parse(r#"{"llm_first_token_secs": 600, "llm_temperature": 0, "evidence_tokens": 2000}"#).unwrap();
        assert_eq!((slow.llm_first_token_secs, slow.llm_temperature, slow.evidence_tokens), (600, 0.0, 2000));
        assert_eq!((c.llm_first_token_secs, c.llm_temperature, c.evidence_tokens), (300, 0.2, 3000));
        assert!(HostConfig::parse(r#"{"proxy": "x"}"#).unwrap_err().contains("unknown field `proxy`"));
        assert_eq!(HostConfig::parse(r#"{"data_url": " "}"#).unwrap_err(), "config.json: data_url is empty");
    }
}
