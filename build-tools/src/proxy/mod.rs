//! `copilot-proxy`: one origin for the app. It serves the built `dist/` folder and a
//! health endpoint; it is also where the LLM relay lives, so the API key never reaches a
//! browser.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tower_http::services::ServeDir;

/// Settings read from the environment.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// `PROXY_ADDR`, default 127.0.0.1:8080.
    pub addr: SocketAddr,
    /// `DIST_DIR`, default `dist`: the static app to serve.
    pub dist_dir: PathBuf,
}

impl ProxyConfig {
    pub fn from_env() -> Result<ProxyConfig, String> {
        let addr = std::env::var("PROXY_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_string());
        let addr = addr.parse().map_err(|e| format!("PROXY_ADDR={addr:?} is not a host:port address ({e})"))?;
        let dist_dir = PathBuf::from(std::env::var("DIST_DIR").unwrap_or_else(|_| "dist".to_string()));
        Ok(ProxyConfig { addr, dist_dir })
    }
}

#[derive(Serialize)]
struct Health {
    ready: bool,
    upstream_configured: bool,
    model: Option<String>,
}

async fn healthz() -> Json<Health> {
    Json(Health { ready: true, upstream_configured: false, model: None })
}

/// The router: `/healthz`, and everything else from the dist folder.
pub fn router(config: &ProxyConfig) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .fallback_service(ServeDir::new(&config.dist_dir).append_index_html_on_directories(true))
}
