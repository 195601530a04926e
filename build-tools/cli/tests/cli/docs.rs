//! `copilot docs build --sitemap --prefix` against a local HTTP server serving fixture
//! pages (robots.txt, a sitemap index, pages inside and outside the prefix, a disallowed
//! page, a 404, a non-HTML file), then `copilot docs search --format json` on the result.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

type Log = Arc<Mutex<Vec<String>>>;

const SPOT_PAGE: &str = r#"<html><head><title>Spot instances | Databricks</title></head><body>
<nav>Menu Home Pricing</nav>
<main><h1>Spot instances</h1><p>How spot capacity is bought for clusters.</p>
<h2 id="fallback">Fallback to on-demand</h2><p>With SPOT_WITH_FALLBACK a reclaimed spot worker is replaced by an on-demand worker, so the cluster keeps its size.</p>
<h2 id="bid">Bid price</h2><p>The bid price caps what is paid for spot capacity as a percentage of the on-demand price.</p></main>
<footer>Copyright</footer></body></html>"#;

const POOLS_PAGE: &str = r#"<html><head><title>Pools</title></head><body><main><h1>Pools</h1>
<h2 id="idle">Idle instances</h2><p>A pool keeps idle instances warm so clusters start faster.</p></main></body></html>"#;

async fn serve(State(log): State<Log>, headers: HeaderMap, uri: Uri) -> Response {
    let path = uri.path().to_string();
    log.lock().unwrap().push(path.clone());
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    let html = |body: &'static str| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    match path.as_str() {
        "/robots.txt" => "User-agent: *\nDisallow: /docs/private/\n".into_response(),
        "/sitemap.xml" => format!("<sitemapindex><sitemap><loc>{base}/sitemap-docs.xml</loc></sitemap></sitemapindex>").into_response(),
        "/sitemap-docs.xml" => {
            let urls = ["/docs/spot", "/docs/pools", "/docs/private/secret", "/docs/missing", "/docs/data.json", "/blog/news"];
            let body: String = urls.iter().map(|u| format!("<url><loc>{base}{u}</loc></url>")).collect();
            format!("<urlset>{body}</urlset>").into_response()
        }
        "/docs/spot" => html(SPOT_PAGE),
        "/docs/pools" => html(POOLS_PAGE),
        "/docs/data.json" => ([(header::CONTENT_TYPE, "application/json")], "{}").into_response(),
        _ => (StatusCode::NOT_FOUND, "not here").into_response(),
    }
}

/// Starts the fixture site on a free port; returns its address and the request log.
fn start_site() -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let app = Router::new().fallback(serve).with_state(log.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (rx.recv().unwrap(), log)
}

fn copilot(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_copilot")).args(args).output().expect("copilot runs");
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn crawls_politely_within_the_prefix_and_searches_the_result() {
    let (addr, log) = start_site();
    let base = format!("http://{addr}");
    let dir = std::env::temp_dir().join(format!("copilot-docs-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let index: PathBuf = dir.join("docs-index.bin");
    let no_model = dir.join("no-model.bin");
    let (ok, _, stderr) = copilot(&[
        "docs",
        "build",
        "--sitemap",
        &format!("{base}/sitemap.xml"),
        "--prefix",
        &format!("{base}/docs/"),
        "--delay-ms",
        "0",
        "--model",
        no_model.to_str().unwrap(),
        "--out",
        index.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains(&format!("skipped {base}/docs/private/secret: disallowed by robots.txt")), "{stderr}");
    assert!(stderr.contains(&format!("skipped {base}/docs/missing: HTTP 404")), "{stderr}");
    assert!(stderr.contains(&format!("skipped {base}/docs/data.json: not HTML (application/json)")), "{stderr}");
    assert!(stderr.contains("building BM25 only"), "{stderr}");

    let requested = log.lock().unwrap().clone();
    assert_eq!(requested[0], "/robots.txt", "robots.txt comes first: {requested:?}");
    assert!(!requested.iter().any(|p| p.starts_with("/docs/private") || p.starts_with("/blog")), "{requested:?}");
    let mut pages: Vec<&String> = requested.iter().filter(|p| p.starts_with("/docs/")).collect();
    pages.sort();
    assert_eq!(pages, ["/docs/data.json", "/docs/missing", "/docs/pools", "/docs/spot"], "each page once");

    let (ok, stdout, stderr) = copilot(&[
        "docs",
        "search",
        "what happens with SPOT_WITH_FALLBACK when spot capacity is reclaimed",
        "--k",
        "4",
        "--format",
        "json",
        "--index",
        index.to_str().unwrap(),
        "--model",
        no_model.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let hits: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let hits = hits.as_array().unwrap();
    assert!(!hits.is_empty());
    for hit in hits {
        let keys: Vec<&String> = hit.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["score", "title", "url"], "{hit}");
    }
    assert_eq!(hits[0]["url"], format!("{base}/docs/spot#fallback"));
    assert_eq!(hits[0]["title"], "Spot instances");
    assert!(hits[0]["score"].as_f64().unwrap() > 0.0);

    // Navigation and footer are not main text: nothing of them is indexed.
    let (ok, stdout, _) = copilot(&[
        "docs",
        "search",
        "Copyright Menu",
        "--no-floor",
        "--index",
        index.to_str().unwrap(),
        "--model",
        no_model.to_str().unwrap(),
    ]);
    assert!(ok);
    assert_eq!(stdout.trim(), "[]");
}
