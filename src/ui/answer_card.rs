//! One answer in the commentary: what was asked, where the text comes from, the text (with
//! what the checks found marked at its exact position), the wait for a slow model's first
//! token (with Stop), a notice when the answer was cut at the token limit, the checks in
//! one line, the deterministic answer beside an LLM answer on demand, and evidence-pack
//! downloads. A What if chip's computed result stands above an LLM's text.

use std::rc::Rc;

use leptos::prelude::*;

use super::browser_io::download_text;
use super::copilot_state::{Answer, AnswerStatus};
use super::markdown_view::MarkdownView;
use super::what_if_box::WhatIfBox;
use crate::app::llm_policy::waiting_notice;
use crate::copilot::checks::Mark;
use crate::copilot::llm_stream::{is_cut, CUT_NOTICE};
use crate::copilot::pack::EvidencePack;

fn pack_name(answer: &Answer, ext: &str) -> String {
    let chip = answer.prepared.chip.clone().unwrap_or_else(|| "follow-up".into()).replace('@', "-v");
    let entity: String = answer.entity.to_string().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("evidence_{entity}_{chip}.{ext}")
}

#[component]
pub fn AnswerCard(answer: Rc<Answer>, #[prop(default = 300)] first_token_secs: u32) -> impl IntoView {
    let text: Signal<String> = answer.text.clone().into();
    let check = answer.check.clone();
    let marks = {
        let check = check.clone();
        Signal::derive(move || check.with(|c| c.marks()))
    };
    let status = answer.status.clone();
    let badge = {
        let status = status.clone();
        move || match status.get() {
            AnswerStatus::Offline => "Offline answer".to_string(),
            AnswerStatus::Streaming => "Answering…".to_string(),
            AnswerStatus::Retrying(..) => "Retrying…".to_string(),
            AnswerStatus::Llm(model) => format!("LLM answer ({model})"),
            AnswerStatus::Stopped => "Stopped".to_string(),
            AnswerStatus::Failed(_) => "LLM failed".to_string(),
        }
    };
    let state = {
        let status = status.clone();
        move || match status.get() {
            AnswerStatus::Offline => "offline",
            AnswerStatus::Streaming | AnswerStatus::Retrying(..) => "streaming",
            AnswerStatus::Llm(_) => "llm",
            AnswerStatus::Stopped => "stopped",
            AnswerStatus::Failed(_) => "failed",
        }
    };
    let running = {
        let status = status.clone();
        move || matches!(status.get(), AnswerStatus::Streaming | AnswerStatus::Retrying(..))
    };
    let is_llm = {
        let status = status.clone();
        move || !matches!(status.get(), AnswerStatus::Offline)
    };
    let stopper = StoredValue::new_local(answer.clone());
    let waiting = {
        let waiting = answer.waiting.clone();
        move || {
            waiting.get().map(|secs| {
                view! { <p class="muted" data-testid="answer-waiting" data-seconds=secs>{waiting_notice(secs, first_token_secs)}</p> }
            })
        }
    };
    let cut = {
        let finish = answer.finish_reason.clone();
        move || {
            is_cut(finish.get().as_deref())
                .then(|| view! { <p class="error-text" data-testid="answer-cut" role="status">"Answer cut at the token limit: " {CUT_NOTICE}</p> })
        }
    };
    let notice = {
        let status = status.clone();
        let offline = answer.prepared.offline_answer.clone();
        move || {
            match status.get() {
            AnswerStatus::Retrying(secs, why) => {
                Some(view! { <p class="muted" data-testid="answer-notice">{format!("Retrying in {secs} s: {why}.")}</p> }.into_any())
            }
            AnswerStatus::Failed(why) => Some(
                view! {
                    <div class="answer-failed" data-testid="answer-notice">
                        <p class="error-text">{format!("The LLM answer is incomplete: {why}. What arrived is above; the offline answer follows.")}</p>
                        <div class="answer-text" data-testid="offline-fallback">
                            <MarkdownView text=Signal::stored(offline.clone()) marks=Signal::stored(Vec::<Mark>::new())/>
                        </div>
                    </div>
                }
                .into_any(),
            ),
            AnswerStatus::Stopped => Some(view! { <p class="muted" data-testid="answer-notice">"Stopped: what arrived is above."</p> }.into_any()),
            _ => None,
        }
        }
    };
    // The deterministic answer beside the LLM's, on demand.
    let comparing = RwSignal::new(false);
    let compare = {
        let offline = answer.prepared.offline_answer.clone();
        let is_llm = is_llm.clone();
        move || {
            (is_llm() && comparing.get()).then(|| {
                view! {
                    <div class="answer-compare" data-testid="compare-offline" style="border-left: 3px solid #c8ced6; padding-left: 0.6rem; margin-top: 0.5rem">
                        <p class="muted">"The deterministic answer, built from the same evidence without an LLM:"</p>
                        <div class="answer-text">
                            <MarkdownView text=Signal::stored(offline.clone()) marks=Signal::stored(Vec::<Mark>::new())/>
                        </div>
                    </div>
                }
            })
        }
    };
    let summary = {
        let check = check.clone();
        let running = running.clone();
        move || if running() { "Checking when the answer is complete…".to_string() } else { check.with(|c| c.summary()) }
    };
    let (c1, c2, c3, c4) = (check.clone(), check.clone(), check.clone(), check.clone());
    let for_json = answer.clone();
    let for_md = answer.clone();
    let download = move |answer: &Answer, markdown: bool| {
        let text = answer.text.get_untracked();
        let ungrounded: Vec<String> = answer.check.with_untracked(|c| c.ungrounded_texts().into_iter().map(String::from).collect());
        let source = match answer.status.get_untracked() {
            AnswerStatus::Offline => "offline narrative".to_string(),
            AnswerStatus::Llm(model) => format!("LLM {model}"),
            _ => "LLM (incomplete answer)".to_string(),
        };
        let mut pack = EvidencePack::new(&answer.prepared, &text, &source, ungrounded);
        pack.finish_reason = answer.finish_reason.get_untracked();
        let result = if markdown {
            download_text(&pack_name(answer, "md"), "text/markdown;charset=utf-8", &pack.to_markdown())
        } else {
            download_text(&pack_name(answer, "json"), "application/json", &pack.to_json())
        };
        if let Err(e) = result {
            leptos::logging::warn!("evidence pack download failed: {e}");
        }
    };
    let title = answer.prepared.title.clone();
    let what_if = answer.prepared.evidence.signals.what_if.clone();
    let is_llm_box = is_llm.clone();
    view! {
        <article class="answer" data-testid="answer" data-seq=answer.seq data-state=state data-chip=answer.prepared.chip.clone().unwrap_or_default()>
            <header>
                <strong>{title}</strong>
                <span class="badge" data-testid="answer-source">{badge}</span>
                {move || running().then(|| {
                    view! { <button class="button subtle small" data-testid="answer-stop" on:click=move |_| stopper.with_value(|a| a.stop())>"Stop"</button> }
                })}
            </header>
            {waiting}
            {move || what_if.clone().filter(|_| is_llm_box()).map(|cf| view! { <WhatIfBox counterfactual=cf/> })}
            <div class="answer-text" data-testid="answer-text">
                <MarkdownView text=text marks=marks/>
            </div>
            {cut}
            {notice}
            {compare}
            <footer>
                <span
                    class="muted"
                    data-testid="grounding"
                    data-ungrounded=move || c1.with(|c| c.ungrounded().to_string())
                    data-unsupported=move || c2.with(|c| c.unsupported().to_string())
                    data-unknown=move || c3.with(|c| c.unknown().len().to_string())
                    data-uncited=move || c4.with(|c| if c.no_citations { "all".to_string() } else { c.uncited.len().to_string() })
                >
                    {summary}
                </span>
                <span class="pack">
                    {move || is_llm().then(|| view! {
                        <button class="link" data-testid="compare-toggle" on:click=move |_| comparing.update(|c| *c = !*c)>
                            {move || if comparing.get() { "Hide the deterministic answer" } else { "Compare with the deterministic answer" }}
                        </button>
                        " · "
                    })}
                    "Evidence pack: "
                    <button class="link" data-testid="pack-json" on:click=move |_| download(&for_json, false)>"JSON"</button>
                    " · "
                    <button class="link" data-testid="pack-md" on:click=move |_| download(&for_md, true)>"Markdown"</button>
                </span>
            </footer>
        </article>
    }
}
