//! One answer in the commentary: what was asked, where the text comes from, the text (with
//! unmatched numbers marked), how many numbers match the evidence, and evidence-pack
//! downloads.

use std::rc::Rc;

use leptos::prelude::*;

use super::browser_io::download_text;
use super::copilot_state::{Answer, AnswerStatus};
use super::markdown_view::MarkdownView;
use crate::copilot::pack::EvidencePack;

fn pack_name(answer: &Answer, ext: &str) -> String {
    let chip = answer.prepared.chip.clone().unwrap_or_else(|| "follow-up".into()).replace('@', "-v");
    let entity: String = answer.entity.to_string().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("evidence_{entity}_{chip}.{ext}")
}

#[component]
pub fn AnswerCard(answer: Rc<Answer>) -> impl IntoView {
    let text: Signal<String> = answer.text.clone().into();
    let grounding = answer.grounding.clone();
    let marked = {
        let grounding = grounding.clone();
        Signal::derive(move || grounding.with(|g| g.ungrounded_texts().into_iter().map(String::from).collect::<Vec<_>>()))
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
    let stopper = StoredValue::new_local(answer.clone());
    let notice = {
        let status = status.clone();
        let offline = answer.prepared.offline_answer.clone();
        move || {
            match status.get() {
            AnswerStatus::Retrying(secs, why) => Some(
                view! { <p class="muted" data-testid="answer-notice">{format!("Retrying in {secs} s: {why}.")}</p> }.into_any(),
            ),
            AnswerStatus::Failed(why) => Some(
                view! {
                    <div class="answer-failed" data-testid="answer-notice">
                        <p class="error-text">{format!("The LLM answer is incomplete: {why}. What arrived is above; the offline answer follows.")}</p>
                        <div class="answer-text" data-testid="offline-fallback">
                            <MarkdownView text=Signal::stored(offline.clone()) marked=Signal::stored(Vec::<String>::new())/>
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
    let count = grounding.clone();
    let check = move || {
        grounding.with(|g| {
            if g.ungrounded() == 0 {
                format!("All {} numbers match the evidence.", g.total())
            } else {
                format!("{} of {} numbers are not in the evidence (marked).", g.ungrounded(), g.total())
            }
        })
    };
    let for_json = answer.clone();
    let for_md = answer.clone();
    let download = move |answer: &Answer, markdown: bool| {
        let text = answer.text.get_untracked();
        let ungrounded: Vec<String> = answer.grounding.with_untracked(|g| g.ungrounded_texts().into_iter().map(String::from).collect());
        let source = match answer.status.get_untracked() {
            AnswerStatus::Offline => "offline narrative".to_string(),
            AnswerStatus::Llm(model) => format!("LLM {model}"),
            _ => "LLM (incomplete answer)".to_string(),
        };
        let pack = EvidencePack::new(&answer.prepared, &text, &source, ungrounded);
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
    view! {
        <article class="answer" data-testid="answer" data-seq=answer.seq data-state=state data-chip=answer.prepared.chip.clone().unwrap_or_default()>
            <header>
                <strong>{title}</strong>
                <span class="badge" data-testid="answer-source">{badge}</span>
                {move || running().then(|| {
                    view! { <button class="button subtle small" data-testid="answer-stop" on:click=move |_| stopper.with_value(|a| a.stop())>"Stop"</button> }
                })}
            </header>
            <div class="answer-text" data-testid="answer-text">
                <MarkdownView text=text marked=marked/>
            </div>
            {notice}
            <footer>
                <span class="muted" data-testid="grounding" data-ungrounded=move || count.with(|g| g.ungrounded().to_string())>
                    {check}
                </span>
                <span class="pack">
                    "Evidence pack: "
                    <button class="link" data-testid="pack-json" on:click=move |_| download(&for_json, false)>"JSON"</button>
                    " · "
                    <button class="link" data-testid="pack-md" on:click=move |_| download(&for_md, true)>"Markdown"</button>
                </span>
            </footer>
        </article>
    }
}
