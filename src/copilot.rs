//! The copilot pipeline, one plain function per step and one entry point for the CLI, the
//! tests and the browser: a selection in a report result plus a chip (or a follow-up
//! question) → evidence → the exact chat messages → the offline narrative.

use serde::Serialize;

use crate::chips::{catalogue, ChipTemplate};
use crate::docs::routing::{route_chip, route_question};
use crate::evidence::{gather, DocsSource, EntitySource, Evidence, EvidenceError, EvidenceRequest};
use crate::graph::UsageGraph;
use crate::grounding::{self, GroundingReport};
use crate::narrative;
use crate::prompt::{build_messages, Message};
use crate::report::{ReportResult, ReportSpec, Selection};

/// What a chip click or a follow-up produces before any LLM is involved.
#[derive(Clone, Debug, Serialize)]
pub struct Prepared {
    /// `id@version` of the chip, or `None` for a follow-up question.
    pub chip: Option<String>,
    pub chip_label: String,
    pub question: Option<String>,
    pub evidence: Evidence,
    pub messages: Vec<Message>,
    /// The deterministic answer built from the same evidence.
    pub offline_answer: String,
}

impl Prepared {
    /// Every number of `answer` checked against the text it answers (the user message:
    /// evidence, selection and question).
    pub fn check_numbers(&self, answer: &str) -> GroundingReport {
        let context = self.messages.iter().map(|m| m.content.as_str()).collect::<Vec<_>>().join("\n");
        grounding::check(answer, &context)
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

/// Everything needed to answer a chip click (`chip`) or a follow-up (`question`).
pub struct Request<'a> {
    pub conn: &'a rusqlite::Connection,
    pub graph: &'a UsageGraph,
    pub report: &'a ReportSpec,
    pub result: &'a ReportResult,
    pub selection: &'a Selection,
    pub docs: Option<&'a dyn DocsSource>,
    /// Finds the entities a follow-up names (the telemetry index).
    pub telemetry: Option<&'a dyn EntitySource>,
}

impl<'a> Request<'a> {
    /// What the evidence step needs for `chip` or `question` about this selection.
    fn evidence(&self, chip: Option<&'a ChipTemplate>, question: Option<&'a str>) -> EvidenceRequest<'a> {
        EvidenceRequest {
            conn: self.conn,
            graph: self.graph,
            report: self.report,
            result: self.result,
            selection: self.selection,
            chip,
            docs: self.docs,
            telemetry: self.telemetry,
            question,
        }
    }
}

/// Whether answering `chip` (an id) or `question` can use documentation: the browser
/// fetches the docs index only when this first says yes. Entities a question names can only
/// add telemetry to its route, so routing without them never misses a docs need.
pub fn needs_docs(chip: Option<&str>, question: Option<&str>) -> bool {
    match (chip, question) {
        (Some(id), _) => catalogue().get(id).is_some_and(|c| route_chip(c).route.wants_docs()),
        (None, Some(q)) => route_question(q, Vec::new()).route.wants_docs(),
        (None, None) => false,
    }
}

/// A chip click: the chip must be one the selection is offered.
pub fn prepare_chip(req: &Request<'_>, chip_id: &str) -> Result<Prepared, CopilotError> {
    let chip = catalogue().get(chip_id).ok_or_else(|| CopilotError::UnknownChip(chip_id.to_string()))?;
    let offered = offered_chips(req.report, req.selection);
    if !offered.iter().any(|c| c.id == chip.id) {
        return Err(CopilotError::NotOffered {
            chip: chip_id.to_string(),
            entity: req.selection.entity.to_string(),
            offered: offered.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", "),
        });
    }
    let evidence = gather(&req.evidence(Some(chip), None))?;
    let messages = build_messages(Some(chip), None, &evidence);
    let offline_answer = narrative::narrate(chip, &evidence);
    Ok(Prepared {
        chip: Some(chip.versioned_id()),
        chip_label: chip.label.clone(),
        question: None,
        evidence,
        messages,
        offline_answer,
    })
}

/// A free-text follow-up anchored to the selection.
pub fn prepare_question(req: &Request<'_>, question: &str) -> Result<Prepared, CopilotError> {
    let evidence = gather(&req.evidence(None, Some(question)))?;
    let messages = build_messages(None, Some(question), &evidence);
    let offline_answer = narrative::follow_up(question, &evidence);
    Ok(Prepared { chip: None, chip_label: "Follow-up".into(), question: Some(question.to_string()), evidence, messages, offline_answer })
}
