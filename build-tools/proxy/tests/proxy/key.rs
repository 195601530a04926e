//! Hardening item 3: the API key goes to the configured upstream and nowhere else — not to
//! a host a redirect names, not back to a client in an error, an answer or a stream (even
//! split across chunks), not into the log — and errors do not reveal the upstream URL.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;

use super::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_not_followed_so_the_key_stays_with_the_upstream() {
    let (evil, evil_seen) = start_upstream().await;
    let (upstream, seen) = start_upstream().await;
    // Azure's api-key header is not one an HTTP client drops on a cross-host redirect.
    seen.lock().unwrap().redirect_to =
        Some(format!("{}/openai/deployments/d/chat/completions?api-version=1", evil.trim_end_matches("/v1")));
    let azure_base = upstream.trim_end_matches("/v1").to_string();
    let azure = proxy_for(&azure_base, &[("LLM_AZURE_DEPLOYMENT", "d")]).await;
    let (status, text) = text_of(client().post(relay_url(&azure)).json(&request("scenario:redirect", false)).send().await.unwrap()).await;
    assert_eq!(seen.lock().unwrap().api_keys, [KEY.to_string()], "the upstream got the key");
    assert!(evil_seen.lock().unwrap().bodies.is_empty(), "the redirect target saw the request: {:?}", evil_seen.lock().unwrap().api_keys);
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{text}");
    assert!(text.contains("redirect"), "{text}");
    assert!(!text.contains(&evil) && !text.contains("127.0.0.1"), "{text}");

    // Same host, another port: an OpenAI-style bearer key must not follow either.
    seen.lock().unwrap().redirect_to = Some(format!("{evil}/chat/completions"));
    let openai = proxy_for(&upstream, &[]).await;
    let (status, _) = text_of(client().post(relay_url(&openai)).json(&request("scenario:redirect", true)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(evil_seen.lock().unwrap().bodies.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn error_bodies_are_redacted_before_they_are_cut() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let (status, text) = text_of(client().post(relay_url(&proxy)).json(&request("scenario:error-long", false)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(text.contains("answered 500"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn whole_answers_are_redacted_too() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let (status, text) = text_of(client().post(relay_url(&proxy)).json(&request("scenario:json-leak", false)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "I was called with [redacted].");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_split_across_stream_chunks_is_still_redacted() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let (status, text) = text_of(client().post(relay_url(&proxy)).json(&request("scenario:split-leak", true)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, chunk("the key is [redacted], again") + "data: [DONE]\n\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_gateway_messages_do_not_reveal_the_upstream_url() {
    let proxy = proxy_for("http://127.0.0.1:9/v1/secret-path", &[]).await;
    let (status, text) = text_of(client().post(relay_url(&proxy)).json(&request("hi", true)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(text.contains("could not be reached"), "{text}");
    assert!(!text.contains("127.0.0.1") && !text.contains("secret-path") && !text.contains(":9"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_never_reaches_the_log() {
    let (upstream, _) = start_upstream().await;
    let dir = temp_dir("log");
    let mut vars = relay_vars(&upstream, &[("PROXY_LOG_PROMPTS", "1")]);
    let dist = dir.to_str().unwrap().to_string();
    vars.retain(|(k, _)| *k != "DIST_DIR");
    vars.push(("DIST_DIR", &dist));
    let child = start_binary(&vars, &dir.join("absent.env")).await;
    let proxy = child.url.clone().expect("the proxy started");
    for scenario in ["error500", "error-long", "leak", "split-leak", "json-leak", "redirect", "stream"] {
        let stream = !scenario.starts_with("json");
        let response = client().post(relay_url(&proxy)).json(&request(&format!("scenario:{scenario}"), stream)).send().await.unwrap();
        text_of(response).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = child.stop().await;
    assert!(log.contains("POST /v1/chat/completions 502"), "the log has the requests: {log}");
    assert_no_key(&log);
}
