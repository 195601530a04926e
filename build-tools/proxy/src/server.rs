//! Accepting connections: HTTP/1.1 with a deadline for each request's headers (a client
//! sending them a byte at a time is cut off), and caps on open connections in all and
//! per client address. A connection over a cap is answered 503 and closed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use super::limits::{Full, Slots};
use super::{router, AppState};

/// How long streams in flight may take to finish after shutdown was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let config = &state.config;
    let app = router(state.clone(), local);
    let connections = Slots::new(config.max_connections, config.max_connections_per_client);
    // Behind reverse proxies every connection comes from them; the relay caps forwarded
    // clients instead.
    let per_address = config.trusted_proxy_depth == 0;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(config.header_timeout).keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match connections.take(per_address.then_some(peer.ip())) {
            Ok(slot) => slot,
            Err(full) => {
                tokio::spawn(refuse_connection(stream, full));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone().map_request(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        }));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// Answers a connection over a cap with a 503, then reads what the client still sends
/// for a moment so it sees the answer rather than a reset.
async fn refuse_connection(mut stream: TcpStream, full: Full) {
    let message = match full {
        Full::Client => "Too many connections from your address (PROXY_MAX_CONNECTIONS_PER_CLIENT); close some and try again.",
        Full::All => "Too many connections to the proxy (PROXY_MAX_CONNECTIONS); try again shortly.",
    };
    let body = serde_json::json!({ "error": { "message": message, "type": "overloaded", "code": 503 } }).to_string();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        let mut read = 0;
        while read < 64 * 1024 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    })
    .await;
}
