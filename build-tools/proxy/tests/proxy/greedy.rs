//! Hardening item 4: slow and greedy clients (and upstreams) cannot hold the proxy's
//! connections, memory or the LLM budget: header and body timeouts, an early 413,
//! connection caps, bounded upstream reads, and a rate limit that neither a forged
//! X-Forwarded-For nor guessing the access token gets around.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::support::*;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread")]
async fn a_client_sending_headers_a_byte_at_a_time_is_cut_off() {
    let proxy = start_proxy(&[("DIST_DIR", "/nonexistent"), ("PROXY_HEADER_TIMEOUT_SECS", "1")]).await;
    let mut stream = connect_from("127.0.0.1", &proxy).await;
    let started = Instant::now();
    let request = format!("GET /healthz HTTP/1.1\r\nhost: {}\r\nx-padding: {}\r\n\r\n", authority(&proxy), "z".repeat(40));
    let mut closed_after = None;
    for byte in request.bytes() {
        if stream.write_all(&[byte]).await.is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed_after = Some(started.elapsed());
                break;
            }
            Ok(Ok(_)) => {
                closed_after = Some(started.elapsed());
                break;
            }
            Err(_) => {}
        }
        if started.elapsed() > WAIT {
            break;
        }
    }
    let closed_after = closed_after.expect("the connection stayed open for the whole trickle");
    assert!(closed_after < Duration::from_millis(2500), "cut off after {closed_after:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_body_times_out_and_an_oversized_one_is_refused_before_it_is_read() {
    let (upstream, seen) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("PROXY_BODY_TIMEOUT_SECS", "1"), ("PROXY_MAX_BODY_BYTES", "20000")]).await;
    let host = authority(&proxy).to_string();
    let head = |length: usize| {
        format!("POST /v1/chat/completions HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n{{\"mess")
    };
    // Announces 1000 bytes, sends 6.
    let started = Instant::now();
    let answer = raw(&proxy, head(1000).as_bytes(), WAIT).await;
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(started.elapsed() < Duration::from_millis(2500), "{:?}", started.elapsed());
    assert!(answer.contains("did not arrive within 1 s"), "{answer}");
    // Announces 10 MB: refused at once, whatever follows.
    let started = Instant::now();
    let answer = raw(&proxy, head(10_000_000).as_bytes(), Duration::from_millis(1500)).await;
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert!(started.elapsed() < Duration::from_millis(1000), "{:?}", started.elapsed());
    assert!(seen.lock().unwrap().bodies.is_empty());
}

fn idle_request(proxy: &str) -> Vec<u8> {
    raw_get("/healthz", authority(proxy))
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_are_capped_per_client_and_in_all() {
    let proxy =
        start_proxy(&[("DIST_DIR", "/nonexistent"), ("PROXY_MAX_CONNECTIONS", "3"), ("PROXY_MAX_CONNECTIONS_PER_CLIENT", "2")]).await;
    // Client A holds two idle connections: its third is refused.
    let a1 = connect_from("127.0.0.1", &proxy).await;
    let _a2 = connect_from("127.0.0.1", &proxy).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = raw_from("127.0.0.1", &proxy, &idle_request(&proxy), WAIT).await;
    assert_eq!(status_of(&answer), 503, "a third connection from one client: {answer}");
    assert!(answer.contains("Too many connections"), "{answer}");
    // Client B is served, which makes three: client C is refused until one closes.
    let mut b = connect_from("127.0.0.2", &proxy).await;
    b.write_all(format!("GET /healthz HTTP/1.1\r\nhost: {}\r\n\r\n", authority(&proxy)).as_bytes()).await.unwrap();
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(WAIT, b.read(&mut buf)).await.unwrap().unwrap();
    assert_eq!(status_of(&String::from_utf8_lossy(&buf[..n])), 200);
    let answer = raw_from("127.0.0.3", &proxy, &idle_request(&proxy), WAIT).await;
    assert_eq!(status_of(&answer), 503, "a fourth connection in all: {answer}");
    drop(a1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = raw_from("127.0.0.3", &proxy, &idle_request(&proxy), WAIT).await;
    assert_eq!(status_of(&answer), 200, "a slot freed: {answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_upstream_errors_and_answers_are_cut_short() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("LLM_MAX_TOKENS", "10"), ("PROXY_ANSWER_BYTES_PER_TOKEN", "100")]).await;
    let started = Instant::now();
    let (status, text) =
        text_of(client().post(relay_url(&proxy)).json(&request("scenario:error-endless", false)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{text}");
    assert!(started.elapsed() < Duration::from_millis(1500), "the error body was read to the end: {:?}", started.elapsed());
    assert!(text.len() < 1000, "{text}");

    // 10 tokens × 100 bytes: a stream that never ends is cut after about 1000 bytes.
    let response = client().post(relay_url(&proxy)).json(&request("scenario:endless", true)).send().await.unwrap();
    let (text, ended) = read_capped(response, 200_000, Duration::from_secs(3)).await;
    assert!(ended, "the stream was not cut: {} bytes", text.len());
    assert!(text.len() < 1500, "{} bytes", text.len());
    assert!(text.ends_with("data: {\"error\":{\"message\":\"The answer exceeded the proxy's limit of 1000 bytes and was cut off.\",\"type\":\"upstream_error\"}}\n\n"), "{text}");
    let (status, text) = text_of(client().post(relay_url(&proxy)).json(&request("scenario:json-huge", false)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{text}");
    assert!(text.contains("limit of 1000 bytes"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rate_limit_keys_on_the_rightmost_untrusted_forwarded_hop() {
    let (upstream, _) = start_upstream().await;
    let limited = [("PROXY_RATE_PER_MINUTE", "1"), ("PROXY_RATE_BURST", "2")];
    let send = |proxy: String, forwarded: String| async move {
        let response = client()
            .post(relay_url(&proxy))
            .header("x-forwarded-for", forwarded)
            .json(&request("scenario:json", false))
            .send()
            .await
            .unwrap();
        text_of(response).await
    };
    // One reverse proxy in front: it appended the address it saw (192.0.2.7); what the
    // client wrote before that is forged.
    let one = proxy_for(&upstream, &[limited[0], limited[1], ("PROXY_TRUSTED_PROXY_DEPTH", "1")]).await;
    for i in 0..2 {
        assert_eq!(send(one.clone(), format!("10.9.9.{i}, 192.0.2.7")).await.0, StatusCode::OK);
    }
    let (status, text) = send(one.clone(), "10.9.9.3, 192.0.2.7".into()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a forged first hop escaped the limit: {text}");
    assert!(text.contains("Too many requests from 192.0.2.7"), "{text}");
    assert_eq!(send(one.clone(), "192.0.2.7, 192.0.2.8".into()).await.0, StatusCode::OK, "another client");

    // Two proxies: the second hop from the right is the client.
    let two = proxy_for(&upstream, &[limited[0], limited[1], ("PROXY_TRUSTED_PROXY_DEPTH", "2")]).await;
    for i in 0..2 {
        assert_eq!(send(two.clone(), format!("10.0.0.{i}, 198.51.100.1, 203.0.113.{i}")).await.0, StatusCode::OK);
    }
    let (status, text) = send(two.clone(), "10.0.0.9, 198.51.100.1, 203.0.113.9".into()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert!(text.contains("from 198.51.100.1"), "{text}");

    // No proxy in front: the header is the client's own words and is ignored.
    let none = proxy_for(&upstream, &limited).await;
    for i in 0..2 {
        assert_eq!(send(none.clone(), format!("10.1.1.{i}")).await.0, StatusCode::OK);
    }
    let (status, text) = send(none.clone(), "10.1.1.7".into()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert!(text.contains("from 127.0.0.1"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_the_access_token_uses_up_the_rate_limit() {
    let (upstream, _) = start_upstream().await;
    let proxy =
        proxy_for(&upstream, &[("PROXY_ACCESS_TOKEN", "let-me-in"), ("PROXY_RATE_PER_MINUTE", "1"), ("PROXY_RATE_BURST", "3")]).await;
    for guess in ["aaaa", "bbbb", "cccc"] {
        let response = client().post(relay_url(&proxy)).bearer_auth(guess).json(&request("scenario:json", false)).send().await.unwrap();
        assert_eq!(text_of(response).await.0, StatusCode::UNAUTHORIZED);
    }
    let response = client().post(relay_url(&proxy)).bearer_auth("dddd").json(&request("scenario:json", false)).send().await.unwrap();
    assert_eq!(text_of(response).await.0, StatusCode::TOO_MANY_REQUESTS, "a fourth guess");
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_reverse_proxy_each_forwarded_client_has_few_requests_in_flight() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("PROXY_TRUSTED_PROXY_DEPTH", "1"), ("PROXY_MAX_CONNECTIONS_PER_CLIENT", "1")]).await;
    let send = |forwarded: &'static str, scenario: &'static str| {
        let proxy = proxy.clone();
        async move {
            let response =
                client().post(relay_url(&proxy)).header("x-forwarded-for", forwarded).json(&request(scenario, true)).send().await.unwrap();
            text_of(response).await
        }
    };
    // Client A's stream stays open for about a second (the idle limit cuts it).
    let first = tokio::spawn(send("192.0.2.1", "scenario:idle"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, text) = send("192.0.2.1", "scenario:json").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert!(text.contains("in flight from 192.0.2.1"), "{text}");
    assert_eq!(send("192.0.2.2", "scenario:json").await.0, StatusCode::OK, "another client");
    assert_eq!(first.await.unwrap().0, StatusCode::OK);
    assert_eq!(send("192.0.2.1", "scenario:json").await.0, StatusCode::OK, "the slot came back");
}
