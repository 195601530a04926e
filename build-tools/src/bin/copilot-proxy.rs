//! `copilot-proxy`: serves the built app (and, with a key configured, relays LLM calls).
//! Configuration comes from the environment; see `.env.example`.

use std::process::ExitCode;

use build_tools::proxy::{router, ProxyConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match ProxyConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("copilot-proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !config.dist_dir.join("index.html").exists() {
        eprintln!(
            "copilot-proxy: warning: {} has no index.html; build the app with `make dist`",
            config.dist_dir.display()
        );
    }
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("copilot-proxy: cannot listen on {}: {e}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().expect("bound socket has an address");
    // Tests and scripts read this line to find the port.
    println!("copilot-proxy listening on http://{bound} (serving {})", config.dist_dir.display());
    let app = router(&config);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        eprintln!("copilot-proxy: server error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
