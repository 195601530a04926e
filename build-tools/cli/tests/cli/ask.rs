//! `copilot ask` and `copilot eval` against a scripted OpenAI-compatible server (real HTTP,
//! SSE in the variants real servers send): the browser's exact messages go out with a low
//! temperature and the key from LLM_API_KEY, the answer comes back, and the checks score it
//! exactly; a slow first token, an answer cut at the token limit and an error mid-stream are
//! reported as such.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{copilot, seeded_db, temp_dir};

/// The answer the acceptance test scores: a right number, a wrong one, an unknown fact and
/// a number cited to the wrong fact (the same as tests/engine/checks.rs).
const SCORED: &str = "It failed 27 times [T2]. It cost $999.99 in all [T1]. The dashboards agree [T42]. It ran 72 times [T8].";

#[derive(Default)]
struct Seen {
    bodies: Vec<Value>,
    auth: Vec<String>,
}

type Shared = Arc<Mutex<Seen>>;

fn delta(text: &str) -> String {
    json!({ "choices": [{ "index": 0, "delta": { "content": text } }] }).to_string()
}

/// The answer in pieces of a few words.
fn pieces(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(String::from).collect()
}

fn sse(body: String) -> Response {
    ([("content-type", "text/event-stream")], body).into_response()
}

async fn scripted(State(seen): State<Shared>, UrlPath(scenario): UrlPath<String>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    {
        let mut s = seen.lock().unwrap();
        s.bodies.push(body.clone());
        s.auth.push(headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string());
    }
    let usage = r#"{"choices":[],"usage":{"prompt_tokens":2100,"completion_tokens":41,"total_tokens":2141}}"#;
    match scenario.as_str() {
        // llama.cpp style: no space after `data:`, CRLF line ends, a comment, usage at the end.
        "scored" => {
            let mut out = String::from(": ping\r\n\r\n");
            for p in pieces(SCORED) {
                out.push_str(&format!("data:{}\r\n\r\n", delta(&p)));
            }
            out.push_str(&format!("data:{usage}\r\n\r\ndata:[DONE]\r\n\r\n"));
            sse(out)
        }
        // A reasoning model: thinking that is not the answer, then the answer.
        "reasoning" => sse(format!(
            "data: {}\n\ndata: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
            r#"{"choices":[{"delta":{"reasoning_content":"T2 says 27."}}]}"#,
            delta("It failed 27 times "),
            delta("[T2].")
        )),
        "length" => sse(format!(
            "data: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
            delta("It failed 27 times [T2] because"),
            r#"{"choices":[{"delta":{},"finish_reason":"length"}]}"#
        )),
        "error-mid" => {
            sse(format!("data: {}\n\ndata: {}\n\n", delta("It failed 27 times [T2]."), r#"{"error":{"message":"model overloaded"}}"#))
        }
        // A local model reading a long prompt: nothing for 1.5 s.
        "slow" => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            sse(format!("data: {}\n\ndata: [DONE]\n\n", delta("It failed 27 times [T2].")))
        }
        other => (axum::http::StatusCode::NOT_FOUND, format!("no scenario {other}")).into_response(),
    }
}

/// Starts the scripted server on a thread of its own; returns its address and what it saw.
fn start() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let state = seen.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async move {
            let app = Router::new().route("/{scenario}/v1/chat/completions", post(scripted)).with_state(state);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    (format!("http://{addr}"), seen)
}

fn ask(db: &str, base: &str, scenario: &str, extra: &[&str]) -> (bool, String, String) {
    let url = format!("{base}/{scenario}/v1");
    let mut args = vec![
        "ask",
        "--db",
        db,
        "--report",
        "job_cost",
        "--entity",
        "job:J-LEGACY-ETL",
        "--chip",
        "job.why_failing",
        "--llm-base-url",
        &url,
        "--model",
        "scripted-model",
        "--docs-index",
        "/nonexistent",
    ];
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_copilot")).args(&args).env("LLM_API_KEY", "sk-scripted-key").output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn ask_sends_the_browsers_messages_and_scores_the_answer_exactly() {
    let db = seeded_db("ask");
    let db = db.to_str().unwrap();
    let (base, seen) = start();
    let (ok, stdout, stderr) = ask(db, &base, "scored", &["--format", "json"]);
    assert!(ok, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["answer"], SCORED);
    let statuses: Vec<(&str, &str)> = report["grounding"]["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["text"].as_str().unwrap(), n["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("27", "grounded"), ("$999.99", "ungrounded"), ("72", "unsupported")]);
    assert_eq!(report["grounding"]["ungrounded"], json!(["$999.99"]));
    assert_eq!(report["citations"]["used"], json!(["T2", "T1", "T8"]));
    assert_eq!(report["citations"]["unknown"], json!(["T42"]));
    assert_eq!(report["citations"]["unsupported"][0]["text"], "72");
    assert_eq!(report["coverage"]["missing"], json!(["the failure rate", "the most common error"]));
    assert_eq!(report["sources"], json!([]));
    assert_eq!(report["finish_reason"], Value::Null);
    assert_eq!(report["usage"], json!({ "prompt_tokens": 2100, "completion_tokens": 41 }));
    assert!(report["timings"]["first_token_ms"].as_f64().unwrap() <= report["timings"]["total_ms"].as_f64().unwrap());
    // Exactly `copilot prompt`'s messages, a low temperature, the key from the environment.
    let (_, prompt, _) = copilot(&[
        "prompt",
        "--db",
        db,
        "--report",
        "job_cost",
        "--entity",
        "job:J-LEGACY-ETL",
        "--chip",
        "job.why_failing",
        "--docs-index",
        "/nonexistent",
    ]);
    let prompt: Value = serde_json::from_str(&prompt).unwrap();
    let s = seen.lock().unwrap();
    assert_eq!(s.bodies[0]["messages"], prompt["messages"]);
    assert_eq!((s.bodies[0]["temperature"].as_f64(), s.bodies[0]["model"].as_str()), (Some(0.2), Some("scripted-model")));
    assert_eq!(s.bodies[0]["stream"], true);
    assert_eq!(s.auth[0], "Bearer sk-scripted-key");
}

#[test]
fn ask_in_text_streams_the_answer_then_prints_the_checks() {
    let db = seeded_db("ask-text");
    let (base, _) = start();
    let (ok, stdout, stderr) = ask(db.to_str().unwrap(), &base, "reasoning", &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("It failed 27 times [T2]."), "the reasoning is not the answer: {stdout}");
    assert!(stdout.contains("All 1 numbers match the evidence."), "{stdout}");
    let (ok, stdout, stderr) = ask(db.to_str().unwrap(), &base, "length", &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("The answer was cut at the token limit (finish_reason: length): it is incomplete."), "{stdout}");
    let (ok, stdout, _) = ask(db.to_str().unwrap(), &base, "error-mid", &[]);
    assert!(ok);
    assert!(
        stdout.starts_with("It failed 27 times [T2].")
            && stdout.contains("The answer is incomplete: the server reported: model overloaded."),
        "{stdout}"
    );
}

#[test]
fn a_slow_first_token_answers_within_the_first_token_timeout_and_not_beyond() {
    let db = seeded_db("ask-slow");
    let (base, _) = start();
    let (ok, stdout, stderr) = ask(db.to_str().unwrap(), &base, "slow", &["--format", "json", "--first-token-timeout", "10"]);
    assert!(ok, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["answer"], "It failed 27 times [T2].");
    assert!(report["timings"]["first_token_ms"].as_f64().unwrap() >= 1500.0, "{report}");
    let (ok, _, stderr) = ask(db.to_str().unwrap(), &base, "slow", &["--first-token-timeout", "0.5"]);
    assert!(!ok);
    assert!(stderr.contains("the model did not start answering within 0.5 s (--first-token-timeout)"), "{stderr}");
}

#[test]
fn eval_offline_passes_the_default_suite_and_diffs_against_a_model_run() {
    let db = seeded_db("eval");
    let dir = temp_dir("eval-out");
    let offline = dir.join("offline");
    let (ok, _, stderr) = copilot(&[
        "eval",
        "--offline",
        "--check",
        "--db",
        db.to_str().unwrap(),
        "--docs-index",
        "/nonexistent",
        "--out",
        offline.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let card: Value = serde_json::from_str(&std::fs::read_to_string(offline.join("scorecard.json")).unwrap()).unwrap();
    let t = &card["totals"];
    assert_eq!(card["format"], "usage-copilot-scorecard@1");
    assert_eq!((t["failed"].as_u64(), t["ungrounded"].as_u64(), t["unsupported"].as_u64()), (Some(0), Some(0), Some(0)));
    assert_eq!(t["coverage_met"], t["coverage_declared"]);
    assert_eq!((t["unanswerable"].as_u64(), t["declined_when_unanswerable"].as_u64()), (Some(4), Some(4)));
    for field in [
        "id",
        "numbers",
        "ungrounded",
        "unsupported",
        "unknown_citations",
        "coverage_met",
        "coverage_declared",
        "declined",
        "first_token_ms",
        "total_ms",
        "prompt_tokens",
        "completion_tokens",
        "finish_reason",
    ] {
        assert!(card["cases"][0].get(field).is_some(), "a case has no {field}");
    }
    assert!(std::fs::read_to_string(offline.join("scorecard.md")).unwrap().contains("| declined when unanswerable | 4 / 4 |"));

    // One case against the scripted model, diffed against the offline run.
    let suite = dir.join("one.toml");
    std::fs::write(&suite, "name = \"one\"\n[[case]]\nreport = \"job_cost\"\nentity = \"job:J-LEGACY-ETL\"\nchip = \"job.why_failing\"\n")
        .unwrap();
    let (base, _) = start();
    let model = dir.join("model");
    let (ok, _, stderr) = copilot(&[
        "eval",
        "--suite",
        suite.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--docs-index",
        "/nonexistent",
        "--llm-base-url",
        &format!("{base}/scored/v1"),
        "--model",
        "scripted-model",
        "--baseline",
        offline.join("scorecard.json").to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let card: Value = serde_json::from_str(&std::fs::read_to_string(model.join("scorecard.json")).unwrap()).unwrap();
    let case = &card["cases"][0];
    assert_eq!((case["grounded"].as_u64(), case["ungrounded"].as_u64(), case["unsupported"].as_u64()), (Some(1), Some(1), Some(1)));
    assert_eq!(case["unknown_citations"], json!(["T42"]));
    assert_eq!((case["prompt_tokens"].as_u64(), case["tokens_estimated"].as_bool()), (Some(2100), Some(false)));
    assert_eq!(card["model"], format!("scripted-model at {base}/scored/v1"));
    let diff: Value = serde_json::from_str(&std::fs::read_to_string(model.join("diff.json")).unwrap()).unwrap();
    let changed: Vec<&str> = diff["cases"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(changed.contains(&"job_cost/job:J-LEGACY-ETL/job.why_failing"), "{diff}");
    let md = std::fs::read_to_string(model.join("scorecard.md")).unwrap();
    assert!(md.contains("## Diff against offline narrative (copilot-system@1)") && md.contains("| ungrounded | 0 | 1 | +1 |"), "{md}");
}
