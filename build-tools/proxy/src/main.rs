//! `copilot-proxy`: serves the built app and relays LLM calls for it, holding the API key.
//! Configuration comes from the environment or a `.env` file; see `.env.example` and
//! `build-tools/proxy/CONFIGURATION.md`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use copilot_proxy::{serve, AppState, ProxyConfig};

async fn run() -> anyhow::Result<()> {
    let env_file = PathBuf::from(std::env::var("PROXY_ENV_FILE").unwrap_or_else(|_| ".env".to_string()));
    let config = ProxyConfig::load(Some(&env_file)).context("the settings are not usable")?;
    if !config.dist_dir.join("index.html").exists() {
        eprintln!("copilot-proxy: warning: {} has no index.html; build the app with `make dist`.", config.dist_dir.display());
    }
    let addr = config.addr;
    let state = Arc::new(AppState::new(config).context("the proxy cannot start")?);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr().context("the bound socket has no address")?;
    let config = &state.config;
    let llm = if config.upstream_configured() {
        format!("LLM model {}", config.model)
    } else {
        "no LLM configured (answers are offline narratives; set LLM_API_KEY in .env)".to_string()
    };
    // Tests and scripts read this line to find the port.
    println!("copilot-proxy listening on http://{bound} (serving {}; {llm})", config.dist_dir.display());
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    serve(listener, state, shutdown).await.context("server error")
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("copilot-proxy: {e:#}");
            ExitCode::FAILURE
        }
    }
}
