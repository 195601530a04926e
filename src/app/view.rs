//! The report page's presenter: from what the URL asks for to what the page shows —
//! resolved filters, the report's result (or a message saying why it could not run), and
//! where the URL's selection stands in that result. The page runs the report only when the
//! report, filters or params change, and resolves the selection on every selection change,
//! both through the functions here (the tests call the same ones).

use rusqlite::Connection;

use crate::app::url_state::ViewState;
use crate::report::engine::{typed_texts, ReportFilters, ReportResult};
use crate::report::registry::{registry, Report};
use crate::report::selection::{find_selection, EntityRef, Selection};

/// The report page's content for one view (without its selection).
pub struct ReportRun {
    pub report: &'static Report,
    /// Filters after defaults: the data's range and all workspaces unless the URL says.
    pub filters: ReportFilters,
    pub outcome: Result<ReportResult, String>,
}

/// Where a wanted selection stands in a run.
#[derive(Clone, Debug, PartialEq)]
pub enum SelectionState {
    /// Nothing is selected.
    Nothing,
    Found(Selection),
    /// The URL names an entity that is not in this result (filtered out, say).
    Missing(EntityRef),
}

impl ReportRun {
    /// Resolves `wanted` (the URL's selection) in this run.
    pub fn select(&self, wanted: Option<&EntityRef>) -> SelectionState {
        let Some(entity) = wanted else { return SelectionState::Nothing };
        match &self.outcome {
            Ok(result) => match find_selection(&self.report.spec, result, entity) {
                Some(sel) => SelectionState::Found(sel),
                None => SelectionState::Missing(entity.clone()),
            },
            Err(_) => SelectionState::Missing(entity.clone()),
        }
    }

    /// The selection `wanted` names, when the result has it.
    pub fn selection(&self, wanted: Option<&EntityRef>) -> Option<Selection> {
        match self.select(wanted) {
            SelectionState::Found(sel) => Some(sel),
            _ => None,
        }
    }

    /// `wanted`, when the result does not have it.
    pub fn missing_selection(&self, wanted: Option<&EntityRef>) -> Option<EntityRef> {
        match self.select(wanted) {
            SelectionState::Missing(entity) => Some(entity),
            _ => None,
        }
    }
}

/// What the report's run depends on: the view without its selection and facet, so that
/// selecting a row or switching a chart's facet does not run the report again.
pub fn run_inputs(view: &ViewState) -> ViewState {
    ViewState { selection: None, facet: None, ..view.clone() }
}

/// Runs the report the view names; `None` when the view is not a known report.
pub fn run_view(conn: &Connection, data_range: &ReportFilters, view: &ViewState) -> Option<ReportRun> {
    let report = registry().get(view.report_key()?)?;
    let filters = ReportFilters {
        from: view.from.unwrap_or_else(|| {
            crate::app::roles::default_from(crate::app::roles::role_of(view.role.as_deref()), data_range.from, data_range.to)
        }),
        to: view.to.unwrap_or(data_range.to),
        workspace: view.workspace.clone(),
    };
    // URL params are text; the engine parses each by the kind of its param.
    let outcome = report.run_with(conn, &filters, &typed_texts(&view.params)).map_err(|e| e.to_string());
    Some(ReportRun { report, filters, outcome })
}

/// Param names of a report (for parsing URLs).
pub fn param_names(key: &str) -> Vec<String> {
    registry().get(key).map(|r| r.spec.params.iter().map(|p| p.name.clone()).collect()).unwrap_or_default()
}
