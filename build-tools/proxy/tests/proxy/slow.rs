//! Slow models: a local model that takes long before its first token answers within
//! LLM_FIRST_TOKEN_TIMEOUT_SECS (whether it sends its headers at once or only with the
//! first token), and is cut with a message naming the setting beyond it; once the answer
//! streams, the idle limit applies.

use axum::http::StatusCode;

use super::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_first_token_answers_within_the_first_token_timeout() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[("LLM_FIRST_TOKEN_TIMEOUT_SECS", "4")]).await;
    let url = relay_url(&proxy);
    for scenario in ["scenario:first-slow", "scenario:headers-slow"] {
        let (status, text) = text_of(client().post(&url).json(&request(scenario, true)).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{scenario}");
        assert_eq!(
            text,
            chunk("Late") + &chunk(" but whole.") + "data: [DONE]\n\n",
            "{scenario}: idle (1 s) does not apply before the first token"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn beyond_the_first_token_timeout_the_stream_ends_naming_the_setting() {
    let (upstream, _) = start_upstream().await;
    let proxy = proxy_for(&upstream, &[]).await;
    let url = relay_url(&proxy);
    let (status, text) = text_of(client().post(&url).json(&request("scenario:first-slow", true)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text,
        "data: {\"error\":{\"message\":\"The LLM sent no answer within 1 s (LLM_FIRST_TOKEN_TIMEOUT_SECS); raise it for slow local models.\",\"type\":\"upstream_error\"}}\n\n"
    );
    let (status, text) = text_of(client().post(&url).json(&request("scenario:headers-slow", true)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(text.contains("did not answer within 1 s"), "{text}");
}
