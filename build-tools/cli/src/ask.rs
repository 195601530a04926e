//! `copilot ask`: a chip click or follow-up answered by a real model, from the terminal.
//! It sends exactly the browser's messages (through copilot-proxy, or straight to an
//! OpenAI-compatible base URL with `LLM_API_KEY`), streams the answer as it arrives, and
//! prints the checks the page shows. The SSE decoding, the Sources list and the checks are
//! the library's, the same code as the page's.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use usage_copilot::copilot::checks::AnswerCheck;
use usage_copilot::copilot::citations::{used_pages, with_sources};
use usage_copilot::copilot::llm_stream::{is_cut, request_body, ChatEvent, ChatStream, RequestOptions, StreamEnd, Usage, CUT_NOTICE};
use usage_copilot::copilot::prompt::Message;
use usage_copilot::copilot::Prepared;

/// Where the model is.
#[derive(Clone, Debug)]
pub enum Endpoint {
    /// copilot-proxy at this URL (`http://127.0.0.1:8080`): it holds the key and the model.
    Proxy(String),
    /// An OpenAI-compatible server (`http://127.0.0.1:11434/v1`), its model and key.
    Direct { base_url: String, model: String, key: Option<String> },
}

impl Endpoint {
    /// `--proxy` or `--llm-base-url` (with `--model`); the key of a direct URL comes from
    /// `LLM_API_KEY` (or `OPENAI_API_KEY`), never from the command line.
    pub fn from_args(proxy: Option<&str>, base_url: Option<&str>, model: Option<&str>) -> Result<Endpoint> {
        match (proxy, base_url) {
            (Some(p), None) => Ok(Endpoint::Proxy(p.trim_end_matches('/').to_string())),
            (None, Some(b)) => {
                let key =
                    std::env::var("LLM_API_KEY").ok().or_else(|| std::env::var("OPENAI_API_KEY").ok()).filter(|k| !k.trim().is_empty());
                let model = model.map(String::from).or_else(|| std::env::var("LLM_MODEL").ok()).unwrap_or_else(|| "gpt-4.1-mini".into());
                Ok(Endpoint::Direct { base_url: b.trim_end_matches('/').to_string(), model, key })
            }
            (Some(_), Some(_)) => bail!("give --proxy or --llm-base-url, not both"),
            (None, None) => bail!("give --proxy URL (copilot-proxy) or --llm-base-url URL (an OpenAI-compatible server)"),
        }
    }

    fn url(&self) -> String {
        match self {
            Endpoint::Proxy(p) => format!("{p}/v1/chat/completions"),
            Endpoint::Direct { base_url, .. } => format!("{base_url}/chat/completions"),
        }
    }

    /// What a scorecard names the model as.
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Proxy(p) => format!("copilot-proxy at {p}"),
            Endpoint::Direct { base_url, model, .. } => format!("{model} at {base_url}"),
        }
    }
}

/// How a request is made.
#[derive(Clone, Debug)]
pub struct CallOptions {
    pub temperature: f64,
    /// Sent to a direct server; the proxy applies its own `LLM_MAX_TOKENS`.
    pub max_tokens: u32,
    /// Longest wait for the first piece of the answer (local models read long prompts slowly).
    pub first_token_timeout: Duration,
    /// Longest silence once the answer streams.
    pub idle_timeout: Duration,
}

/// What a model call gave.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LlmOutcome {
    pub text: String,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
    pub first_token_ms: Option<f64>,
    pub total_ms: f64,
    /// Why the answer is incomplete, when it is.
    pub error: Option<String>,
}

/// Sends `messages` to `endpoint` and streams the answer, calling `on_text` with each piece.
pub async fn call(endpoint: &Endpoint, messages: &[Message], options: &CallOptions, mut on_text: impl FnMut(&str)) -> LlmOutcome {
    let started = Instant::now();
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    let request_options = match endpoint {
        Endpoint::Proxy(_) => {
            RequestOptions { model: "app".into(), temperature: options.temperature, max_tokens: None, include_usage: false }
        }
        Endpoint::Direct { model, .. } => RequestOptions {
            model: model.clone(),
            temperature: options.temperature,
            max_tokens: Some(options.max_tokens),
            include_usage: true,
        },
    };
    let body = request_body(messages, &request_options).to_string();
    let client = match reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build() {
        Ok(c) => c,
        Err(e) => return LlmOutcome { error: Some(format!("no HTTP client: {e}")), ..LlmOutcome::default() },
    };
    let mut request = client.post(endpoint.url()).header("content-type", "application/json").body(body);
    if let Endpoint::Direct { key: Some(key), .. } = endpoint {
        request = request.bearer_auth(key);
    }
    let mut out = LlmOutcome::default();
    let waited = |what: &str| format!("{what} within {} s (--first-token-timeout)", options.first_token_timeout.as_secs_f64());
    let response = match tokio::time::timeout(options.first_token_timeout, request.send()).await {
        Err(_) => {
            out.error = Some(waited("the model did not start answering"));
            out.total_ms = ms(started);
            return out;
        }
        Ok(Err(e)) => {
            out.error =
                Some(format!("the request failed: {}", if e.is_connect() { "could not connect".to_string() } else { e.to_string() }));
            out.total_ms = ms(started);
            return out;
        }
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str()).map(String::from))
            .unwrap_or(text);
        out.error = Some(format!("the server answered {}: {}", status.as_u16(), message.chars().take(300).collect::<String>()));
        out.total_ms = ms(started);
        return out;
    }
    let mut response = response;
    let mut stream = ChatStream::default();
    loop {
        let limit =
            if out.first_token_ms.is_none() { options.first_token_timeout.saturating_sub(started.elapsed()) } else { options.idle_timeout };
        match tokio::time::timeout(limit, response.chunk()).await {
            Err(_) => {
                out.error = Some(if out.first_token_ms.is_none() {
                    waited("the model sent no answer")
                } else {
                    format!("the model sent nothing for {} s", options.idle_timeout.as_secs_f64())
                });
                break;
            }
            Ok(Err(e)) => {
                out.error = Some(format!("the stream broke off: {e}"));
                break;
            }
            Ok(Ok(None)) => {
                stream.close();
                break;
            }
            Ok(Ok(Some(bytes))) => {
                for event in stream.feed(&bytes) {
                    if let ChatEvent::Delta(t) = &event {
                        out.first_token_ms.get_or_insert_with(|| ms(started));
                        on_text(t);
                    }
                }
                if stream.is_over() {
                    break;
                }
            }
        }
    }
    if out.error.is_none() {
        match stream.end(true) {
            StreamEnd::Failed(m) => out.error = Some(format!("the server reported: {m}")),
            StreamEnd::Broken => out.error = Some("the stream ended before the answer was complete".into()),
            _ => {}
        }
    }
    out.text = stream.text.clone();
    out.finish_reason = stream.finish_reason.clone();
    out.usage = stream.usage;
    out.total_ms = ms(started);
    out
}

/// The answer as the page shows it (Sources appended) with its checks.
pub struct Checked {
    pub answer: String,
    pub check: AnswerCheck,
}

pub fn checked(prepared: &Prepared, text: &str) -> Checked {
    let answer = with_sources(text, &prepared.evidence.docs);
    let check = prepared.check(&answer);
    Checked { answer, check }
}

/// The JSON `copilot ask --format json` prints.
pub fn json_report(prepared: &Prepared, outcome: &LlmOutcome, checked: &Checked) -> serde_json::Value {
    let c = checked.check.to_json();
    let sources: Vec<serde_json::Value> = used_pages(&checked.answer, &prepared.evidence.docs)
        .iter()
        .map(|d| serde_json::json!({ "title": d.title, "url": d.url }))
        .collect();
    serde_json::json!({
        "answer": checked.answer,
        "grounding": c["grounding"],
        "citations": c["citations"],
        "coverage": c["coverage"],
        "sources": sources,
        "timings": { "first_token_ms": outcome.first_token_ms, "total_ms": outcome.total_ms },
        "finish_reason": outcome.finish_reason,
        "usage": outcome.usage,
        "error": outcome.error,
        "cut": is_cut(outcome.finish_reason.as_deref()),
        "checks": c,
        "chip": prepared.chip,
    })
}

/// The lines printed after a streamed answer: what the page shows under it.
pub fn text_report(outcome: &LlmOutcome, checked: &Checked) -> String {
    let mut lines = Vec::new();
    if is_cut(outcome.finish_reason.as_deref()) {
        lines.push(CUT_NOTICE.to_string());
    }
    if let Some(e) = &outcome.error {
        lines.push(format!("The answer is incomplete: {e}."));
    }
    lines.push(checked.check.summary());
    for n in
        checked.check.numbers.iter().filter(|n| !n.note.is_empty() && !matches!(n.status, usage_copilot::copilot::checks::Status::Grounded))
    {
        lines.push(format!("  {} — {:?}: {}", n.text, n.status, n.note));
    }
    lines.push(format!(
        "first token {}, total {:.0} ms{}",
        outcome.first_token_ms.map(|t| format!("{t:.0} ms")).unwrap_or_else(|| "never".into()),
        outcome.total_ms,
        outcome.usage.map(|u| format!(", {} prompt + {} answer tokens", u.prompt_tokens, u.completion_tokens)).unwrap_or_default()
    ));
    lines.join("\n")
}

/// Runs `copilot ask` for a prepared ask.
pub fn run(prepared: &Prepared, endpoint: &Endpoint, options: &CallOptions, json: bool) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stdout = std::io::stdout();
    let outcome = runtime.block_on(call(endpoint, &prepared.messages, options, |piece| {
        if !json {
            let mut out = stdout.lock();
            let _ = out.write_all(piece.as_bytes());
            let _ = out.flush();
        }
    }));
    let checked = checked(prepared, &outcome.text);
    if json {
        println!("{}", serde_json::to_string_pretty(&json_report(prepared, &outcome, &checked))?);
    } else {
        let sources = checked.answer.strip_prefix(outcome.text.trim_end()).unwrap_or_default();
        println!("{sources}\n\n{}", text_report(&outcome, &checked));
    }
    if outcome.text.is_empty() {
        if let Some(e) = outcome.error {
            return Err(anyhow!(e));
        }
    }
    Ok(())
}
