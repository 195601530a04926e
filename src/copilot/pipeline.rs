//! The copilot pipeline, one plain function per step and one entry point for the CLI, the
//! tests and the browser: a selection in a report result plus an ask (a chip or a
//! follow-up question) → evidence → the exact chat messages → the offline narrative.

use serde::Serialize;

use crate::base::vocab::{DocsSource, EntitySource};
use crate::copilot::ask::{Action, Ask};
use crate::copilot::checks::{check_answer, AnswerCheck, EvidenceView};
use crate::copilot::chips::{catalogue, ChipTemplate};
use crate::copilot::evidence::{gather, Evidence, EvidenceBudget, EvidenceError, EvidenceRequest};
use crate::copilot::graph::GraphSource;
use crate::copilot::narrative;
use crate::copilot::prompt::{build_messages, Message};
use crate::copilot::routing::{route_chip, route_question};
use crate::report::{ReportResult, ReportSpec, Selection};

/// What a chip click or a follow-up produces before any LLM is involved.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Prepared {
    pub ask: Ask,
    /// `id@version` of the chip, or `None` for a follow-up question.
    pub chip: Option<String>,
    /// What the answer card is titled: the chip's label, or "Follow-up: " and the question.
    pub title: String,
    pub evidence: Evidence,
    pub messages: Vec<Message>,
    /// The deterministic answer built from the same evidence.
    pub offline_answer: String,
}

impl Prepared {
    /// The chip's template (none for a follow-up).
    pub fn chip_template(&self) -> Option<&'static ChipTemplate> {
        match &self.ask {
            Ask::Chip(id) => catalogue().get(id),
            Ask::Question(_) => None,
        }
    }

    /// The evidence as the checks read it (built once per answer).
    pub fn evidence_view(&self) -> EvidenceView {
        EvidenceView::new(&self.evidence, &self.messages)
    }

    /// Every check of `answer` against this evidence (never the system prompt): numbers
    /// for what they are said to be, citations, comparisons, coverage, declining.
    pub fn check(&self, answer: &str) -> AnswerCheck {
        check_answer(answer, &self.evidence_view(), &self.evidence, self.chip_template())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CopilotError {
    #[error("There is no chip called {0:?}.")]
    UnknownChip(String),
    #[error("The chip {chip:?} is not offered for {entity}; offered: {offered}.")]
    NotOffered { chip: String, entity: String, offered: String },
    #[error("{0}")]
    Evidence(#[from] EvidenceError),
}

/// The chips offered for a selection, in lane order.
pub fn offered_chips<'a>(report: &ReportSpec, selection: &Selection) -> Vec<&'a ChipTemplate> {
    catalogue().offered(report, selection)
}

/// Everything needed to answer an ask about a selection.
pub struct Request<'a> {
    pub conn: &'a rusqlite::Connection,
    /// Where the subgraph is cut from (`GraphSource::Database(conn)` reads the selection's
    /// neighbourhood for each answer).
    pub graph: GraphSource<'a>,
    pub report: &'a ReportSpec,
    pub result: &'a ReportResult,
    pub selection: &'a Selection,
    pub docs: Option<&'a dyn DocsSource>,
    /// Finds the entities a follow-up names (the telemetry index).
    pub telemetry: Option<&'a dyn EntitySource>,
    /// Limits on the evidence (`EvidenceBudget::default()` unless configured).
    pub budget: EvidenceBudget,
}

/// Whether answering `ask` can use documentation: the browser fetches the docs index only
/// when this first says yes. Entities a question names can only add telemetry to its route,
/// so routing without them never misses a docs need.
pub fn needs_docs(ask: &Ask) -> bool {
    match ask {
        Ask::Chip(id) => catalogue().get(id).is_some_and(|c| route_chip(c).route.wants_docs()),
        Ask::Question(q) => route_question(q, Vec::new()).route.wants_docs(),
    }
}

/// The ask with its chip looked up; a chip must be one the selection is offered.
fn resolve<'a>(req: &Request<'_>, ask: &'a Ask) -> Result<Action<'a>, CopilotError> {
    match ask {
        Ask::Question(q) => Ok(Action::Question(q)),
        Ask::Chip(id) => {
            let chip = catalogue().get(id).ok_or_else(|| CopilotError::UnknownChip(id.clone()))?;
            let offered = offered_chips(req.report, req.selection);
            if !offered.iter().any(|c| c.id == chip.id) {
                return Err(CopilotError::NotOffered {
                    chip: id.clone(),
                    entity: req.selection.entity.to_string(),
                    offered: offered.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", "),
                });
            }
            Ok(Action::Chip(chip))
        }
    }
}

/// Answers `ask` about the request's selection without an LLM: evidence, the exact
/// messages an LLM would get, and the deterministic narrative.
pub fn prepare(req: &Request<'_>, ask: &Ask) -> Result<Prepared, CopilotError> {
    let action = resolve(req, ask)?;
    let evidence = gather(&EvidenceRequest {
        conn: req.conn,
        graph: req.graph,
        report: req.report,
        result: req.result,
        selection: req.selection,
        action,
        docs: req.docs,
        telemetry: req.telemetry,
        budget: req.budget.clone(),
    })?;
    let messages = build_messages(action, &evidence);
    let (chip, title, offline_answer) = match action {
        Action::Chip(chip) => (Some(chip.versioned_id()), chip.label.clone(), narrative::narrate(chip, &evidence)),
        Action::Question(question) => (None, format!("Follow-up: {question}"), narrative::follow_up(question, &evidence)),
    };
    Ok(Prepared { ask: ask.clone(), chip, title, evidence, messages, offline_answer })
}
