//! The spec files embedded in the engine (reports, pillars, roles, chips): TOML as written
//! in native builds, the same data as JSON in the browser build (build.rs converts them),
//! so the wasm carries no TOML parser. Files that users or tests write are TOML and are
//! parsed natively only.

use serde::de::DeserializeOwned;

/// Parses an embedded spec file (TOML natively, JSON in the browser build).
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        toml::from_str(text).map_err(|e| e.to_string())
    }
    #[cfg(target_arch = "wasm32")]
    {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}
