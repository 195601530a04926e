//! `copilot-proxy`: one origin for the app. It serves the built `dist/` folder, reports
//! its health, and relays chat completions to an OpenAI-compatible LLM so the API key
//! never reaches a browser — for the app's own prompts only (see `relay`).
//!
//! | module | owns |
//! |--------|------|
//! | `config` | settings from the environment and `.env` |
//! | `limits` | CORS origins, access token, per-client rate limit |
//! | `relay` | `POST /v1/chat/completions`: checks, pinning, streaming passthrough, time limits |
//! | `errors` | JSON errors with the right status |

pub mod config;
pub mod errors;
pub mod limits;
pub mod relay;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tower_http::services::ServeDir;

pub use config::ProxyConfig;
use limits::RateLimiter;

/// Shared by every request.
pub struct AppState {
    pub config: ProxyConfig,
    pub client: reqwest::Client,
    pub limiter: RateLimiter,
}

impl AppState {
    pub fn new(config: ProxyConfig) -> Result<AppState, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let limiter = RateLimiter::new(config.rate_per_minute, config.rate_burst);
        Ok(AppState { config, client, limiter })
    }
}

#[derive(Serialize)]
struct Health {
    ready: bool,
    upstream_configured: bool,
    model: Option<String>,
    access_token_required: bool,
}

async fn healthz(State(state): State<Arc<AppState>>) -> Json<Health> {
    let configured = state.config.upstream_configured();
    Json(Health {
        ready: true,
        upstream_configured: configured,
        model: configured.then(|| state.config.model.clone()),
        access_token_required: state.config.access_token.is_some(),
    })
}

/// The router: `/healthz`, the relay, and everything else from the dist folder.
pub fn router(state: Arc<AppState>) -> Router {
    // Pre-compressed copies (dist/*.br, *.gz from make dist) are served as they are.
    let dist = ServeDir::new(&state.config.dist_dir).append_index_html_on_directories(true).precompressed_br().precompressed_gzip();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/chat/completions", post(relay::chat_completions).options(relay::preflight))
        .fallback_service(dist)
        .with_state(state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(shutdown).await
}
