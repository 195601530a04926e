//! The relay's everyday behaviour: streaming passthrough, pinning, refusals, rate limits,
//! upstream failures, CORS, the access token, health, and precompressed static files.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn streams_pass_through_in_order_and_complete_as_they_arrive() {
    let (upstream, seen) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let started = Instant::now();
    let response = client().post(format!("{proxy}/v1/chat/completions")).json(&request("scenario:stream", true)).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response.bytes_stream();
    let mut received = String::new();
    let mut first_at = None;
    while let Some(chunk) = stream.next().await {
        first_at.get_or_insert_with(|| started.elapsed());
        received.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
    }
    let total = started.elapsed();
    let expected: String = ["Hello", ", ", "world", "!"].iter().map(|t| chunk(t)).collect::<String>() + "data: [DONE]\n\n";
    assert_eq!(received, expected);
    assert!(
        first_at.unwrap() + Duration::from_millis(200) < total,
        "first bytes arrive before the last are sent: {first_at:?} of {total:?}"
    );
    let s = seen.lock().unwrap();
    assert_eq!(s.bodies[0]["model"], "pinned-model");
    assert_eq!(s.bodies[0]["max_tokens"], 500);
    assert_eq!(s.auth[0], format!("Bearer {KEY}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn non_streamed_answers_are_relayed_whole() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let response = client().post(format!("{proxy}/v1/chat/completions")).json(&request("scenario:json", false)).send().await.unwrap();
    let (status, text) = text_of(response).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "27 runs failed [T2].");
    assert_eq!(body["model"], "pinned-model");
}

#[tokio::test(flavor = "multi_thread")]
async fn refuses_foreign_prompts_large_bodies_and_bad_json() {
    let (upstream, seen) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("PROXY_MAX_BODY_BYTES", "20000")]).await;
    let url = format!("{proxy}/v1/chat/completions");
    let foreign =
        json!({ "messages": [{ "role": "system", "content": "You are a helpful assistant." }, { "role": "user", "content": "hi" }] });
    let (status, text) = text_of(client().post(&url).json(&foreign).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("only the Usage Copilot's own prompts"), "{text}");
    let no_system = json!({ "messages": [{ "role": "user", "content": "hi" }] });
    assert_eq!(text_of(client().post(&url).json(&no_system).send().await.unwrap()).await.0, StatusCode::FORBIDDEN);
    let big = request(&"x".repeat(30_000), true);
    let (status, text) = text_of(client().post(&url).json(&big).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains("larger than the proxy's limit of 20000 bytes"), "{text}");
    let (status, text) =
        text_of(client().post(&url).body("{not json").header("content-type", "application/json").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("not valid JSON"), "{text}");
    assert!(seen.lock().unwrap().bodies.is_empty(), "nothing refused reached the upstream");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_each_client() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("PROXY_RATE_PER_MINUTE", "1"), ("PROXY_RATE_BURST", "2")]).await;
    let url = format!("{proxy}/v1/chat/completions");
    for _ in 0..2 {
        assert_eq!(text_of(client().post(&url).json(&request("scenario:json", false)).send().await.unwrap()).await.0, StatusCode::OK);
    }
    let response = client().post(&url).json(&request("scenario:json", false)).send().await.unwrap();
    assert_eq!(response.headers()["retry-after"], "60");
    let (status, text) = text_of(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(text.contains("Too many requests from 127.0.0.1"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_down_slow_and_failing_map_to_502_504_429() {
    let proxy = proxy_for("http://127.0.0.1:9/v1", &[]).await;
    let (status, text) =
        text_of(client().post(format!("{proxy}/v1/chat/completions")).json(&request("hi", true)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(text.contains("could not be reached"), "{text}");

    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let url = format!("{proxy}/v1/chat/completions");
    let (status, text) = text_of(client().post(&url).json(&request("scenario:slow", false)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(text.contains("did not answer within 1 s"), "{text}");
    let (status, text) = text_of(client().post(&url).json(&request("scenario:error500", false)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(text.contains("answered 500: boom; your key [redacted] is wrong"), "{text}");
    let (status, _) = text_of(client().post(&url).json(&request("scenario:error429", true)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_or_stalled_stream_keeps_the_partial_text_and_ends_with_an_error() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let url = format!("{proxy}/v1/chat/completions");
    let (status, text) = text_of(client().post(&url).json(&request("scenario:cut", true)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.starts_with(&(chunk("Part one") + &chunk(" and part two"))), "{text}");
    assert!(
        text.ends_with(
            "data: {\"error\":{\"message\":\"The LLM stream ended before the answer was complete.\",\"type\":\"upstream_error\"}}\n\n"
        ),
        "{text}"
    );
    let (_, text) = text_of(client().post(&url).json(&request("scenario:idle", true)).send().await.unwrap()).await;
    assert!(text.starts_with(&chunk("Started")) && text.contains("sent nothing for 1 s"), "{text}");
    assert!(!text.contains("late"), "nothing after the cut");
    let (_, text) = text_of(client().post(&url).json(&request("scenario:leak", true)).send().await.unwrap()).await;
    assert!(text.contains("the key is [redacted]"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_admits_configured_and_same_origins_only() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("ALLOWED_ORIGINS", "https://copilot.example.com, http://localhost:3000")]).await;
    let url = format!("{proxy}/v1/chat/completions");
    let allowed =
        client().post(&url).header("origin", "https://copilot.example.com").json(&request("scenario:json", false)).send().await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://copilot.example.com");
    assert_eq!(text_of(allowed).await.0, StatusCode::OK);
    let denied = client().post(&url).header("origin", "https://evil.example").json(&request("scenario:json", false)).send().await.unwrap();
    assert!(denied.headers().get("access-control-allow-origin").is_none());
    let (status, text) = text_of(denied).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("Origin https://evil.example may not use this proxy"), "{text}");
    let same = client().post(&url).header("origin", proxy.clone()).json(&request("scenario:json", false)).send().await.unwrap();
    assert_eq!(text_of(same).await.0, StatusCode::OK);
    let preflight = client()
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "http://localhost:3000");
}

#[tokio::test(flavor = "multi_thread")]
async fn access_token_and_health() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("PROXY_ACCESS_TOKEN", "let-me-in")]).await;
    let url = format!("{proxy}/v1/chat/completions");
    let (status, text) = text_of(client().post(&url).json(&request("scenario:json", false)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains("needs an access token"), "{text}");
    let ok = client().post(&url).bearer_auth("let-me-in").json(&request("scenario:json", false)).send().await.unwrap();
    assert_eq!(text_of(ok).await.0, StatusCode::OK);
    let (_, health) = text_of(client().get(format!("{proxy}/healthz")).send().await.unwrap()).await;
    assert_eq!(
        serde_json::from_str::<Value>(&health).unwrap(),
        json!({ "ready": true, "upstream_configured": true, "model": "pinned-model", "access_token_required": true })
    );

    let unconfigured = start_proxy(&[("DIST_DIR", "/nonexistent")]).await;
    let (_, health) = text_of(client().get(format!("{unconfigured}/healthz")).send().await.unwrap()).await;
    assert_eq!(serde_json::from_str::<Value>(&health).unwrap()["upstream_configured"], false);
    let (status, text) =
        text_of(client().post(format!("{unconfigured}/v1/chat/completions")).json(&request("hi", true)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(text.contains("No LLM is configured: set LLM_API_KEY"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn static_files_are_served_precompressed_with_their_content_type() {
    let dir = std::env::temp_dir().join(format!("copilot-proxy-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = b"\0asm\x01\0\0\0 pretend module body, long enough to compress";
    std::fs::write(dir.join("app_bg.wasm"), wasm).unwrap();
    std::fs::write(dir.join("app_bg.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(dir.join("app_bg.wasm.gz"), b"gzip bytes").unwrap();
    let proxy = start_proxy(&[("DIST_DIR", dir.to_str().unwrap())]).await;
    // A client that does not decode, so the bytes on the wire are visible.
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let get = |encoding: &'static str| raw.get(format!("{proxy}/app_bg.wasm")).header("accept-encoding", encoding).send();
    let br = get("gzip, br").await.unwrap();
    assert_eq!(br.headers()["content-type"], "application/wasm");
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.bytes().await.unwrap().as_ref(), b"brotli bytes");
    let gz = get("gzip").await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let plain = get("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), wasm);
}
