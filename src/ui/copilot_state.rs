//! The commentary's answers: every chip click or follow-up on the report page becomes an
//! `Answer` (kept per selection, newest first), built by the core copilot pipeline. The
//! text and status are signals so an answer can fill in while it arrives.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::browser_io::sleep_ms;
use super::docs_state::{DocsPhase, DocsState};
use super::llm_client::{stream_chat, LlmStatus};
use super::report_context::ReportContext;
use super::state::AppData;
use crate::app::engine::{Reply, Request};
use crate::app::llm_policy::{retry_delay, StreamFailure};
use crate::copilot::citations::with_sources;
use crate::copilot::grounding::GroundingReport;
use crate::copilot::{needs_docs, Ask, Prepared};
use crate::report::EntityRef;

/// Where an answer's text comes from, and how far it got.
#[derive(Clone, Debug, PartialEq)]
pub enum AnswerStatus {
    /// The deterministic narrative (no LLM involved).
    Offline,
    /// Text is arriving from the LLM.
    Streaming,
    /// Waiting before another attempt: seconds, and why.
    Retrying(u32, String),
    /// The LLM's complete answer (model name).
    Llm(String),
    /// Stopped by the user; the text is what arrived.
    Stopped,
    /// The LLM failed; the text is what arrived, and the offline answer is shown too.
    Failed(String),
}

/// One answer. Its signals are reference-counted, not owned by a component, so an answer
/// outlives the views that show it (selections come and go; history stays).
pub struct Answer {
    pub seq: usize,
    pub entity: EntityRef,
    pub prepared: Rc<Prepared>,
    pub text: ArcRwSignal<String>,
    pub status: ArcRwSignal<AnswerStatus>,
    pub grounding: ArcRwSignal<GroundingReport>,
    /// (step, ms): report steps, graph build and evidence steps.
    pub timings: Vec<(String, f64)>,
    /// Cancels the LLM request (Stop).
    pub abort: Option<web_sys::AbortController>,
}

impl Answer {
    pub fn stop(&self) {
        if let Some(a) = &self.abort {
            a.abort();
        }
    }
}

/// The answers of one report page, newest first, and the last error.
#[derive(Clone, Copy)]
pub struct CopilotState {
    pub answers: RwSignal<Vec<Rc<Answer>>, LocalStorage>,
    pub error: RwSignal<Option<String>>,
    /// A question is waiting for the documentation index to load.
    pub waiting: RwSignal<bool>,
}

impl CopilotState {
    pub fn new() -> CopilotState {
        CopilotState { answers: RwSignal::new_local(Vec::new()), error: RwSignal::new(None), waiting: RwSignal::new(false) }
    }

    /// The answer with sequence number `seq`.
    pub fn by_seq(&self, seq: usize) -> Option<Rc<Answer>> {
        self.answers.with_untracked(|all| all.iter().find(|a| a.seq == seq).cloned())
    }

    /// Answers about `entity`, newest first.
    pub fn for_entity(&self, entity: &EntityRef) -> Vec<Rc<Answer>> {
        self.answers.with(|all| all.iter().filter(|a| &a.entity == entity).cloned().collect())
    }

    /// Answers a chip click or a follow-up. When it uses documentation that is not loaded
    /// yet, the docs index is fetched first.
    pub fn ask(self, _ctx: ReportContext, ask: Ask) {
        // Context is read here: the spawned task below runs outside the component owner.
        let app = expect_context::<AppData>();
        let docs = expect_context::<DocsState>();
        // The selection when asked, even if the user moves on while documentation loads.
        let Some(wanted) = app.view.with_untracked(|v| v.selection.clone()) else {
            return self.error.set(Some("Select an item first.".into()));
        };
        let loading = matches!(docs.phase.get_untracked(), DocsPhase::Idle | DocsPhase::Index(_));
        if loading && app.host().docs && needs_docs(&ask) {
            self.waiting.set(true);
            spawn_local(async move {
                docs.ensure_index().await;
                self.waiting.set(false);
                self.answer(app, wanted, ask).await;
            });
        } else {
            spawn_local(async move { self.answer(app, wanted, ask).await });
        }
    }

    /// Asks the engine for the answer with what it has loaded now.
    async fn answer(self, app: AppData, wanted: EntityRef, ask: Ask) {
        let view = app.view.get_untracked();
        let outcome = match app.engine.call(Request::Prepare { view, entity: wanted.clone(), ask }).await {
            Reply::Prepared { prepared, timings } => Some(Ok((wanted, crate::app::session::Answered { prepared: *prepared, timings }))),
            Reply::Failed(message) => Some(Err(message)),
            other => Some(Err(format!("Unexpected answer from the engine: {other:?}"))),
        };
        match outcome {
            Some(Ok((entity, answered))) => {
                let prepared = answered.prepared;
                let llm = match app.llm.get_untracked() {
                    LlmStatus::Available { model } => Some(model),
                    _ => None,
                };
                let (text, status, grounding) = match &llm {
                    Some(_) => (String::new(), AnswerStatus::Streaming, GroundingReport { checks: Vec::new() }),
                    None => (prepared.offline_answer.clone(), AnswerStatus::Offline, prepared.check_numbers(&prepared.offline_answer)),
                };
                let answer = Rc::new(Answer {
                    seq: self.answers.with_untracked(|a| a.len()) + 1,
                    entity,
                    text: ArcRwSignal::new(text),
                    status: ArcRwSignal::new(status),
                    grounding: ArcRwSignal::new(grounding),
                    prepared: Rc::new(prepared),
                    timings: answered.timings,
                    abort: llm.as_ref().and_then(|_| web_sys::AbortController::new().ok()),
                });
                self.error.set(None);
                self.answers.update(|all| all.insert(0, answer.clone()));
                if let Some(model) = llm {
                    spawn_local(stream_answer(app.proxy_base(), answer, model));
                }
            }
            Some(Err(message)) => self.error.set(Some(message)),
            None => self.error.set(Some("Select an item first.".into())),
        }
    }
}

/// Streams the LLM's answer into `answer`: retries refusals worth retrying (before any text
/// arrived) with backoff, then appends the Sources list and checks the numbers.
async fn stream_answer(base: String, answer: Rc<Answer>, model: String) {
    let Some(controller) = answer.abort.clone() else {
        answer.status.set(AnswerStatus::Failed("the browser cannot cancel requests".into()));
        return;
    };
    let signal = controller.signal();
    let mut attempt = 0;
    let outcome = loop {
        let text = answer.text.clone();
        let result = stream_chat(&base, &answer.prepared.messages, &signal, |piece| text.update(|t| t.push_str(piece))).await;
        let wait = match &result {
            Err(failure) => retry_delay(failure, attempt, !answer.text.with_untracked(String::is_empty)),
            Ok(()) => None,
        };
        match (result, wait) {
            (Err(failure), Some(wait)) => {
                attempt += 1;
                answer.status.set(AnswerStatus::Retrying(wait, failure.describe()));
                sleep_ms(wait * 1000).await;
                if signal.aborted() {
                    break Err(StreamFailure::Stopped);
                }
                answer.status.set(AnswerStatus::Streaming);
            }
            (other, _) => break other,
        }
    };
    let docs = &answer.prepared.evidence.docs;
    match outcome {
        Ok(()) => {
            answer.text.update(|t| *t = with_sources(t, docs));
            answer.status.set(AnswerStatus::Llm(model));
        }
        Err(StreamFailure::Stopped) => answer.status.set(AnswerStatus::Stopped),
        Err(failure) => answer.status.set(AnswerStatus::Failed(failure.describe())),
    }
    let text = answer.text.get_untracked();
    answer.grounding.set(answer.prepared.check_numbers(&text));
}
