//! `copilot-proxy`: one origin for the app. It serves the built `dist/` folder, reports
//! its health, and relays chat completions to an OpenAI-compatible LLM so the API key
//! never reaches a browser — for the app's own prompts only (see `request`).
//!
//! | module | owns |
//! |--------|------|
//! | `config` | settings from the environment and `.env` |
//! | `server` | accepting connections: header deadline, connection caps |
//! | `origins` | the Host and Origin checks (DNS rebinding, cross-site requests) |
//! | `limits` | the client address, rate limit, concurrency slots, access token |
//! | `request` | the closed request shape and the body forwarded upstream |
//! | `relay` | `POST /v1/chat/completions`: checks, upstream call, streaming, time and size limits |
//! | `redact` | keeping the key out of answers, errors, streams and the log |
//! | `statics` | DIST_DIR serving and the security headers |
//! | `errors` | JSON errors with the right status; why the proxy will not start |
//!
//! `CONFIGURATION.md` lists every setting and what it protects against.

pub mod config;
pub mod errors;
pub mod limits;
pub mod origins;
pub mod redact;
pub mod relay;
pub mod request;
pub mod server;
pub mod statics;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

pub use config::ProxyConfig;
pub use errors::{ApiError, ConfigError, StartError};
use limits::{RateLimiter, Slots};
use origins::HostPolicy;
use redact::Redactor;
pub use server::serve;
use statics::Statics;

/// Where log lines go (stderr unless replaced with [`AppState::with_log`]).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Shared by every request.
pub struct AppState {
    pub config: ProxyConfig,
    client: reqwest::Client,
    limiter: RateLimiter,
    /// LLM requests in flight per forwarded client (behind trusted reverse proxies only).
    relay_slots: Option<Arc<Slots>>,
    redactor: Redactor,
    statics: Statics,
    log: LogSink,
}

impl AppState {
    pub fn new(config: ProxyConfig) -> Result<AppState, StartError> {
        statics::check_dist(&config)?;
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            // A redirect would take the key to whatever host it names.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| StartError::HttpClient(e.to_string()))?;
        let limiter = RateLimiter::new(config.rate_per_minute, config.rate_burst);
        let relay_slots = (config.trusted_proxy_depth > 0).then(|| Slots::new(usize::MAX, config.max_connections_per_client));
        let redactor = Redactor::new(config.api_key.as_deref());
        let statics = Statics::new(&config);
        Ok(AppState { config, client, limiter, relay_slots, redactor, statics, log: Arc::new(|line| eprintln!("{line}")) })
    }

    /// Sends log lines to `sink` instead of stderr.
    pub fn with_log(mut self, sink: LogSink) -> AppState {
        self.log = sink;
        self
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

async fn check_host(hosts: Arc<HostPolicy>, request: Request, next: Next) -> Response {
    match hosts.check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// The router for a proxy listening on `local`: `/healthz`, the relay, and everything
/// else from the dist folder; every request's Host checked, every response with the
/// security headers.
pub fn router(state: Arc<AppState>, local: SocketAddr) -> Router {
    let hosts = Arc::new(HostPolicy::new(local, &state.config.allowed_origins));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/chat/completions", post(relay::chat_completions).options(relay::preflight))
        .fallback(statics::serve_static)
        .layer(middleware::from_fn(move |request: Request, next: Next| check_host(hosts.clone(), request, next)))
        .layer(middleware::from_fn_with_state(state.clone(), statics::security_headers))
        .with_state(state)
}
