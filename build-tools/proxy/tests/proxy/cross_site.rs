//! Hardening item 1: pages on other sites cannot use the relay — not from a sandboxed
//! frame (`Origin: null`), not with a "simple" request that skips the CORS preflight, not
//! through DNS rebinding (a foreign name resolving to the proxy), and not from an origin
//! that only shares the host name with an allowed one.

use std::time::Duration;

use axum::http::StatusCode;

use super::support::*;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread")]
async fn a_null_origin_is_foreign() {
    let (upstream, seen) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let response = client().post(relay_url(&proxy)).header("origin", "null").json(&request("scenario:json", false)).send().await.unwrap();
    assert!(response.headers().get("access-control-allow-origin").is_none());
    let (status, text) = text_of(response).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("Origin null may not use this proxy"), "{text}");
    assert!(seen.lock().unwrap().bodies.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relay_takes_json_only_so_browsers_must_preflight() {
    let (upstream, seen) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let body = serde_json::to_string(&request("scenario:json", false)).unwrap();
    // A form post or a no-cors fetch can send text/plain without a preflight.
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data; boundary=x"), None] {
        let mut post = client().post(relay_url(&proxy)).body(body.clone());
        if let Some(ct) = content_type {
            post = post.header("content-type", ct);
        }
        let (status, text) = text_of(post.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}: {text}");
        assert!(text.contains("Content-Type: application/json"), "{text}");
    }
    assert!(seen.lock().unwrap().bodies.is_empty());
    let ok = client().post(relay_url(&proxy)).header("content-type", "Application/JSON; charset=utf-8").body(body).send().await.unwrap();
    assert_eq!(text_of(ok).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_host_header_must_name_this_proxy_which_defeats_dns_rebinding() {
    let (upstream, seen) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("ALLOWED_ORIGINS", "https://copilot.example.com")]).await;
    let port = proxy.rsplit(':').next().unwrap().to_string();
    let body = serde_json::to_string(&request("scenario:json", false)).unwrap();
    let post = |host: String| raw_post("/v1/chat/completions", &host, &["content-type: application/json"], &body);
    // evil.example resolves to 127.0.0.1 after the page loaded: same origin for the browser.
    for host in
        [format!("evil.example:{port}"), "evil.example".to_string(), "127.0.0.1:1".to_string(), format!("localhost.evil.example:{port}")]
    {
        let answer = raw(&proxy, &post(host.clone()), WAIT).await;
        assert_eq!(status_of(&answer), 403, "{host}: {answer}");
        assert!(answer.contains("is not a name of this proxy"), "{answer}");
        let page = raw(&proxy, &raw_get("/healthz", &host), WAIT).await;
        assert_eq!(status_of(&page), 403, "static and health too, {host}: {page}");
    }
    assert!(seen.lock().unwrap().bodies.is_empty());
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("LOCALHOST:{port}"), "copilot.example.com".to_string()] {
        let answer = raw(&proxy, &post(host.clone()), WAIT).await;
        assert_eq!(status_of(&answer), 200, "{host}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn origins_are_compared_by_scheme_host_and_port() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("ALLOWED_ORIGINS", "http://localhost:3000")]).await;
    let port = proxy.rsplit(':').next().unwrap().to_string();
    let send = |origin: String| client().post(relay_url(&proxy)).header("origin", origin).json(&request("scenario:json", false)).send();
    for origin in [
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}0"),
        "https://localhost:3000".to_string(),
        "http://localhost:30000".to_string(),
        "http://localhost".to_string(),
        "http://localhost:3000.evil.example".to_string(),
    ] {
        let (status, text) = text_of(send(origin.clone()).await.unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin}: {text}");
    }
    for origin in [proxy.clone(), "http://localhost:3000".to_string(), "http://localhost:3000/".to_string()] {
        let (status, text) = text_of(send(origin.clone()).await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{origin}: {text}");
    }
}
