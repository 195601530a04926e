//! `copilot-proxy`: serves the built app and relays LLM calls for it, holding the API key.
//! Configuration comes from the environment or a `.env` file; see `.env.example`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use copilot_proxy::{serve, AppState, ProxyConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let env_file = std::env::var("PROXY_ENV_FILE").unwrap_or_else(|_| ".env".to_string());
    let config = match ProxyConfig::load(Some(Path::new(&env_file))) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("copilot-proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !config.dist_dir.join("index.html").exists() {
        eprintln!("copilot-proxy: warning: {} has no index.html; build the app with `make dist`", config.dist_dir.display());
    }
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("copilot-proxy: cannot listen on {}: {e}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().expect("bound socket has an address");
    let llm = if config.upstream_configured() {
        format!("LLM model {}", config.model)
    } else {
        "no LLM configured (answers are offline narratives; set LLM_API_KEY in .env)".to_string()
    };
    // Tests and scripts read this line to find the port.
    println!("copilot-proxy listening on http://{bound} (serving {}; {llm})", config.dist_dir.display());
    let state = match AppState::new(config) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("copilot-proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = serve(listener, state, shutdown).await {
        eprintln!("copilot-proxy: server error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
