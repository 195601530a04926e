//! The commentary's answers: every chip click or follow-up on the report page becomes an
//! `Answer` (kept per selection, newest first), built by the core copilot pipeline. The
//! text and status are signals so an answer can fill in while it arrives.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::browser_io::sleep_ms;
use super::docs_state::{DocsPhase, DocsState};
use super::llm_client::{stream_chat, LlmStatus};
use super::report_context::ReportContext;
use super::state::AppData;
use crate::app::engine::{Reply, Request};
use crate::app::hosting::HostConfig;
use crate::app::llm_policy::{retry_delay, StreamFailure};
use crate::copilot::checks::{check_answer, AnswerCheck, EvidenceView};
use crate::copilot::citations::with_sources;
use crate::copilot::llm_stream::{ChatEvent, RequestOptions};
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
    /// The evidence as the checks read it, built once.
    pub view: Rc<EvidenceView>,
    pub text: ArcRwSignal<String>,
    pub status: ArcRwSignal<AnswerStatus>,
    /// Every check of the text (numbers, citations, coverage), redone when it is complete.
    pub check: ArcRwSignal<AnswerCheck>,
    /// Why the model stopped (`length`: cut at the token limit).
    pub finish_reason: ArcRwSignal<Option<String>>,
    /// Seconds waited so far for the first token, while none has arrived.
    pub waiting: ArcRwSignal<Option<u32>>,
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

    /// Checks the text as it is now.
    fn recheck(&self) {
        let text = self.text.get_untracked();
        self.check.set(check_answer(&text, &self.view, &self.prepared.evidence, self.prepared.chip_template()));
    }
}

/// Whether answering `ask` retrieves (documentation, or the entities a question names):
/// then it waits for the retrieval mode `copilot prompt` uses (the model loaded).
fn retrieves(ask: &Ask) -> bool {
    needs_docs(ask) || matches!(ask, Ask::Question(_))
}

/// The characters the page uses to mark spans (Unicode private use): never in an answer.
fn without_marks(text: &str) -> String {
    text.chars().filter(|c| !('\u{E000}'..='\u{E00F}').contains(c)).collect()
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
        // The same click builds the same prompt as `copilot prompt`: an ask that retrieves
        // waits until retrieval is hybrid (or the model failed, which the prompt then says).
        let loading = !docs.is_ready() || matches!(docs.phase.get_untracked(), DocsPhase::Idle);
        if loading && app.host().docs && retrieves(&ask) {
            self.waiting.set(true);
            spawn_local(async move {
                docs.ensure_ready().await;
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
        let host = app.host();
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
                let view = Rc::new(prepared.evidence_view());
                let (text, status, check) = match &llm {
                    Some(_) => (String::new(), AnswerStatus::Streaming, AnswerCheck::default()),
                    None => {
                        let check = check_answer(&prepared.offline_answer, &view, &prepared.evidence, prepared.chip_template());
                        (prepared.offline_answer.clone(), AnswerStatus::Offline, check)
                    }
                };
                let answer = Rc::new(Answer {
                    seq: self.answers.with_untracked(|a| a.len()) + 1,
                    entity,
                    text: ArcRwSignal::new(text),
                    status: ArcRwSignal::new(status),
                    check: ArcRwSignal::new(check),
                    finish_reason: ArcRwSignal::new(None),
                    waiting: ArcRwSignal::new(None),
                    view,
                    prepared: Rc::new(prepared),
                    timings: answered.timings,
                    abort: llm.as_ref().and_then(|_| web_sys::AbortController::new().ok()),
                });
                self.error.set(None);
                self.answers.update(|all| all.insert(0, answer.clone()));
                if let Some(model) = llm {
                    spawn_local(stream_answer(app.proxy_base(), host, answer, model));
                }
            }
            Some(Err(message)) => self.error.set(Some(message)),
            None => self.error.set(Some("Select an item first.".into())),
        }
    }
}

/// Counts the seconds without a token for attempt `attempt` (shown as "waiting for the
/// model, N s"), and gives up at the first-token limit by aborting the request.
async fn count_wait(answer: Rc<Answer>, attempt: Rc<Cell<u32>>, mine: u32, limit: u32, timed_out: Rc<Cell<bool>>) {
    let mut waited = 0;
    loop {
        sleep_ms(1000).await;
        let streaming = matches!(answer.status.get_untracked(), AnswerStatus::Streaming);
        let aborted = answer.abort.as_ref().is_some_and(|a| a.signal().aborted());
        if attempt.get() != mine || !streaming || aborted || !answer.text.with_untracked(String::is_empty) {
            if attempt.get() == mine {
                answer.waiting.set(None);
            }
            return;
        }
        waited += 1;
        answer.waiting.set(Some(waited));
        if waited >= limit {
            timed_out.set(true);
            answer.stop();
            return;
        }
    }
}

/// Sleeps `secs`, waking early when the request is aborted (Stop works while waiting).
async fn pause(secs: u32, signal: &web_sys::AbortSignal) {
    for _ in 0..secs * 5 {
        if signal.aborted() {
            return;
        }
        sleep_ms(200).await;
    }
}

/// Streams the LLM's answer into `answer` with the configured temperature: shows the wait
/// for the first token, gives up at the first-token limit, retries refusals worth retrying
/// (before any text arrived) with backoff, then appends the Sources list the answer cites
/// and checks it.
async fn stream_answer(base: String, host: HostConfig, answer: Rc<Answer>, model: String) {
    let Some(controller) = answer.abort.clone() else {
        answer.status.set(AnswerStatus::Failed("the browser cannot cancel requests".into()));
        return;
    };
    let signal = controller.signal();
    let options = RequestOptions { temperature: host.llm_temperature, ..RequestOptions::default() };
    let limit = host.llm_first_token_secs.max(1);
    let attempts = Rc::new(Cell::new(0u32));
    let timed_out = Rc::new(Cell::new(false));
    let mut attempt = 0;
    let outcome = loop {
        attempts.set(attempt);
        spawn_local(count_wait(answer.clone(), attempts.clone(), attempt, limit, timed_out.clone()));
        let (text, waiting) = (answer.text.clone(), answer.waiting.clone());
        let result = stream_chat(&base, &answer.prepared.messages, &options, &signal, |event| {
            if let ChatEvent::Delta(piece) = event {
                waiting.set(None);
                text.update(|t| t.push_str(&without_marks(piece)));
            }
        })
        .await;
        let result = match result {
            Err(StreamFailure::Stopped) if timed_out.get() => Err(StreamFailure::FirstToken(limit)),
            other => other,
        };
        let wait = match &result {
            Err(failure) => retry_delay(failure, attempt, !answer.text.with_untracked(String::is_empty)),
            Ok(_) => None,
        };
        match (result, wait) {
            (Err(failure), Some(wait)) => {
                attempt += 1;
                attempts.set(attempt);
                answer.status.set(AnswerStatus::Retrying(wait, failure.describe()));
                pause(wait, &signal).await;
                if signal.aborted() {
                    break Err(StreamFailure::Stopped);
                }
                answer.status.set(AnswerStatus::Streaming);
            }
            (other, _) => break other,
        }
    };
    attempts.set(u32::MAX);
    answer.waiting.set(None);
    let docs = &answer.prepared.evidence.docs;
    match outcome {
        Ok(ended) => {
            answer.text.update(|t| *t = with_sources(t, docs));
            answer.finish_reason.set(ended.finish_reason);
            answer.status.set(AnswerStatus::Llm(model));
        }
        Err(StreamFailure::Stopped) => answer.status.set(AnswerStatus::Stopped),
        Err(failure) => answer.status.set(AnswerStatus::Failed(failure.describe())),
    }
    answer.recheck();
}
