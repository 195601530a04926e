//! From what the URL asks for to what the report page shows: resolved filters, the
//! report's result (or a message saying why it could not run), and the selection.

use rusqlite::Connection;

use super::engine::{ReportFilters, ReportResult};
use super::registry::{registry, Report};
use super::selection::{find_selection, EntityRef, Selection};
use crate::url_state::ViewState;

/// The report page's content for one view.
pub struct ReportRun {
    pub report: &'static Report,
    /// Filters after defaults: the data's range and all workspaces unless the URL says.
    pub filters: ReportFilters,
    pub outcome: Result<ReportResult, String>,
    pub selection: Option<Selection>,
    /// A selection the URL names that is not in this result (filtered out, say).
    pub missing_selection: Option<EntityRef>,
}

/// Runs the report the view names; `None` when the view is not a known report.
pub fn run_view(conn: &Connection, data_range: &ReportFilters, view: &ViewState) -> Option<ReportRun> {
    let report = registry().get(view.report_key()?)?;
    let filters = ReportFilters {
        from: view.from.unwrap_or(data_range.from),
        to: view.to.unwrap_or(data_range.to),
        workspace: view.workspace.clone(),
    };
    let outcome = view
        .numeric_params()
        .and_then(|params| report.run(conn, &filters, &params).map_err(|e| e.to_string()));
    let (selection, missing_selection) = match (&view.selection, &outcome) {
        (Some(entity), Ok(result)) => match find_selection(&report.spec, result, entity) {
            Some(sel) => (Some(sel), None),
            None => (None, Some(entity.clone())),
        },
        (Some(entity), Err(_)) => (None, Some(entity.clone())),
        (None, _) => (None, None),
    };
    Some(ReportRun { report, filters, outcome, selection, missing_selection })
}

/// Param names of a report (for parsing URLs).
pub fn param_names(key: &str) -> Vec<String> {
    registry().get(key).map(|r| r.spec.params.iter().map(|p| p.name.clone()).collect()).unwrap_or_default()
}
