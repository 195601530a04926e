//! Hardening item 5: static serving shows the built app and nothing else — no dotfiles,
//! nothing a symlink reaches outside DIST_DIR, never the env file holding the key — and
//! every response carries the security headers; the access token's scheme is
//! case-insensitive.

use std::path::Path;

use axum::http::StatusCode;
use base64::Engine;
use sha2::Digest;

use super::support::*;

const INLINE: &str = "import init from './app-0123456789abcdef.js'; await init();";

/// A dist folder like trunk's, with things in it (or reachable from it) that must not be served.
fn dist_with_traps(outside: &Path) -> std::path::PathBuf {
    let dist = temp_dir("dist");
    std::fs::write(
        dist.join("index.html"),
        format!("<!DOCTYPE html><html><head><script type=\"module\">{INLINE}</script></head><body></body></html>"),
    )
    .unwrap();
    std::fs::write(dist.join("sw.js"), "self.addEventListener('fetch', () => {});").unwrap();
    std::fs::write(dist.join("app-0123456789abcdef.js"), "export default function init() {}").unwrap();
    std::fs::write(dist.join("config.json"), "{}").unwrap();
    std::fs::write(dist.join(".env"), format!("LLM_API_KEY={KEY}\n")).unwrap();
    std::fs::create_dir_all(dist.join(".git")).unwrap();
    std::fs::write(dist.join(".git/config"), "[core]").unwrap();
    std::fs::create_dir_all(dist.join("data")).unwrap();
    std::fs::write(dist.join("data/usage.db"), "SQLite format 3").unwrap();
    std::fs::write(outside.join("secret.txt"), format!("LLM_API_KEY={KEY}")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dist.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(outside, dist.join("outside")).unwrap();
    std::os::unix::fs::symlink(dist.join("data/usage.db"), dist.join("data/alias.db")).unwrap();
    dist
}

#[tokio::test(flavor = "multi_thread")]
async fn dotfiles_and_symlinks_leaving_dist_are_not_served() {
    let outside = temp_dir("outside");
    let dist = dist_with_traps(&outside);
    let proxy = start_proxy(&[("DIST_DIR", dist.to_str().unwrap())]).await;
    for path in [
        "/.env",
        "/%2eenv",
        "/%2Eenv",
        "/.git/config",
        "/data/../.env",
        "/leak.txt",
        "/outside/secret.txt",
        "/outside/",
        "/data/%2e%2e/.env",
    ] {
        let (status, text) = text_of(client().get(format!("{proxy}{path}")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {text}");
    }
    let raw_answer = raw(&proxy, &raw_get("/../.env", authority(&proxy)), std::time::Duration::from_secs(5)).await;
    assert_no_key(&raw_answer);
    for path in ["/", "/index.html", "/config.json", "/data/usage.db", "/data/alias.db"] {
        let (status, _) = text_of(client().get(format!("{proxy}{path}")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refuses_to_start_when_dist_holds_the_env_file_in_use() {
    let dist = temp_dir("dist-env");
    std::fs::write(dist.join("index.html"), "<!DOCTYPE html>").unwrap();
    std::fs::write(dist.join(".env"), format!("LLM_API_KEY={KEY}\n")).unwrap();
    let child = start_binary(&[("DIST_DIR", dist.to_str().unwrap())], &dist.join(".env")).await;
    let started = child.url.is_some();
    let log = child.stop().await;
    assert!(!started, "the proxy started, serving its own key file");
    assert!(log.contains("DIST_DIR") && log.contains(".env"), "{log}");
    assert_no_key(&log);
    // A dist folder beside the env file is fine.
    let parent = temp_dir("env-beside");
    std::fs::write(parent.join(".env"), "LLM_MODEL=x\n").unwrap();
    let child = start_binary(&[("DIST_DIR", dist.to_str().unwrap())], &parent.join(".env")).await;
    assert!(child.url.is_some());
    child.stop().await;
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_security_headers() {
    let outside = temp_dir("outside-h");
    let dist = dist_with_traps(&outside);
    let (upstream, _) = start_upstream().await;
    let dist_text = dist.to_str().unwrap().to_string();
    let config = r#"{"proxy_url": "http://127.0.0.1:4000/copilot/", "data_url": "https://data.example.com/usage.db"}"#;
    std::fs::write(dist.join("config.json"), config).unwrap();
    let proxy = proxy_for(&upstream, &[("DIST_DIR", &dist_text)]).await;
    let page = client().get(format!("{proxy}/")).send().await.unwrap();
    let csp = header(&page, "content-security-policy").to_string();
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(INLINE.as_bytes()));
    for part in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        &format!("'sha256-{hash}'"),
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "connect-src 'self' http://127.0.0.1:4000 https://data.example.com;",
    ] {
        assert!(csp.contains(part), "{part} not in {csp}");
    }
    let scripts = csp.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap();
    assert!(!csp.contains("'unsafe-eval'") && !scripts.contains("'unsafe-inline'"), "no eval, no inline scripts but by hash: {csp}");
    // A revalidation answers 304, whose headers replace the cached page's: same policy.
    let modified = header(&page, "last-modified").to_string();
    let again = client().get(format!("{proxy}/")).header("if-modified-since", modified).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "content-security-policy"), csp);
    let script_src = csp.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap_or_default();
    assert!(!script_src.contains("'unsafe-inline'"), "inline scripts go by hash: {csp}");
    assert_eq!(header(&page, "cache-control"), "no-cache");
    for name in ["/index.html", "/sw.js", "/config.json"] {
        let r = client().get(format!("{proxy}{name}")).send().await.unwrap();
        assert_eq!(header(&r, "cache-control"), "no-cache", "{name}");
    }
    let hashed = client().get(format!("{proxy}/app-0123456789abcdef.js")).send().await.unwrap();
    assert!(header(&hashed, "cache-control").contains("immutable"), "{:?}", hashed.headers());
    let responses = [
        page,
        hashed,
        client().get(format!("{proxy}/healthz")).send().await.unwrap(),
        client().get(format!("{proxy}/missing")).send().await.unwrap(),
        client().post(relay_url(&proxy)).json(&request("scenario:json", false)).send().await.unwrap(),
        client().post(relay_url(&proxy)).json(&request("scenario:stream", true)).send().await.unwrap(),
        client().post(relay_url(&proxy)).header("origin", "https://evil.example").json(&request("x", true)).send().await.unwrap(),
    ];
    for r in &responses {
        assert_eq!(header(r, "x-content-type-options"), "nosniff", "{}", r.url());
        assert_eq!(header(r, "referrer-policy"), "no-referrer", "{}", r.url());
        assert!(header(r, "content-security-policy").contains("frame-ancestors 'none'"), "{}", r.url());
    }

    let framed = start_proxy(&[("DIST_DIR", &dist_text), ("PROXY_FRAME_ANCESTORS", "https://portal.example.com")]).await;
    let r = client().get(format!("{framed}/")).send().await.unwrap();
    assert!(header(&r, "content-security-policy").contains("frame-ancestors https://portal.example.com"), "{:?}", r.headers());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bearer_scheme_is_case_insensitive() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("PROXY_ACCESS_TOKEN", "let-me-in")]).await;
    for value in ["bearer let-me-in", "BEARER let-me-in", "Bearer  let-me-in"] {
        let response =
            client().post(relay_url(&proxy)).header("authorization", value).json(&request("scenario:json", false)).send().await.unwrap();
        assert_eq!(text_of(response).await.0, StatusCode::OK, "{value}");
    }
    for value in ["Basic let-me-in", "Bearerlet-me-in", "let-me-in"] {
        let response =
            client().post(relay_url(&proxy)).header("authorization", value).json(&request("scenario:json", false)).send().await.unwrap();
        assert_eq!(text_of(response).await.0, StatusCode::UNAUTHORIZED, "{value}");
    }
}
