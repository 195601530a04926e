//! The commentary's answers: every chip click or follow-up on the report page becomes an
//! `Answer` (kept per selection, newest first), built by the core copilot pipeline. The
//! text and status are signals so an answer can fill in while it arrives.

use std::rc::Rc;

use leptos::prelude::*;

use super::report_context::ReportContext;
use crate::clock::now_ms;
use crate::copilot::{prepare_chip, prepare_question, Prepared, Request};
use crate::grounding::GroundingReport;
use crate::report::EntityRef;

/// Where an answer's text comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum AnswerStatus {
    /// The deterministic narrative (no LLM involved).
    Offline,
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
}

/// The answers of one report page, newest first, and the last error.
#[derive(Clone, Copy)]
pub struct CopilotState {
    pub answers: RwSignal<Vec<Rc<Answer>>, LocalStorage>,
    pub error: RwSignal<Option<String>>,
}

impl CopilotState {
    pub fn new() -> CopilotState {
        CopilotState { answers: RwSignal::new_local(Vec::new()), error: RwSignal::new(None) }
    }

    /// Answers about `entity`, newest first.
    pub fn for_entity(&self, entity: &EntityRef) -> Vec<Rc<Answer>> {
        self.answers.with(|all| all.iter().filter(|a| &a.entity == entity).cloned().collect())
    }

    /// Builds the answer to a chip click (`chip`) or a follow-up (`question`).
    pub fn ask(self, ctx: ReportContext, chip: Option<&str>, question: Option<&str>) {
        let data = ctx.data.get_value();
        let started = now_ms();
        let graph = match data.graph() {
            Ok(g) => g,
            Err(e) => return self.error.set(Some(e)),
        };
        let graph_ms = now_ms() - started;
        let outcome = ctx.with_result(|run, result| {
            let selection = ctx.selection_in(run, result)?;
            let req = Request {
                conn: data.db.conn(),
                graph: &graph,
                report: &run.report.spec,
                result,
                selection: &selection,
                docs: None,
            };
            let prepared = match (chip, question) {
                (Some(id), _) => prepare_chip(&req, id).map_err(|e| e.to_string()),
                (None, Some(q)) => prepare_question(&req, q).map_err(|e| e.to_string()),
                (None, None) => Err("Nothing was asked.".to_string()),
            };
            let mut timings: Vec<(String, f64)> = result.timings.iter().map(|(s, ms)| (format!("report {s}"), *ms)).collect();
            Some(prepared.map(|p| {
                timings.push(("usage graph (first use builds it)".into(), graph_ms.max(graph.stats.build_ms)));
                timings.extend(p.evidence.timings.iter().map(|(s, ms)| (format!("evidence {s}"), *ms)));
                (selection.entity.clone(), p, timings)
            }))
        });
        match outcome.flatten() {
            Some(Ok((entity, prepared, timings))) => {
                let grounding = prepared.check_numbers(&prepared.offline_answer);
                let answer = Answer {
                    seq: self.answers.with_untracked(|a| a.len()) + 1,
                    entity,
                    text: ArcRwSignal::new(prepared.offline_answer.clone()),
                    status: ArcRwSignal::new(AnswerStatus::Offline),
                    grounding: ArcRwSignal::new(grounding),
                    prepared: Rc::new(prepared),
                    timings,
                };
                self.error.set(None);
                self.answers.update(|all| all.insert(0, Rc::new(answer)));
            }
            Some(Err(message)) => self.error.set(Some(message)),
            None => self.error.set(Some("Select an item first.".into())),
        }
    }
}
