//! One loaded database and everything derived from it, shared by the page, the CLI and the
//! tests: the validated database, its summary, the default filters (the data's range, all
//! workspaces), its workspaces, the telemetry index (built on first use and kept), and the
//! one way to answer an ask about a selection with the timings the debug panel shows. The
//! usage graph is never built whole here: each answer reads its selection's neighbourhood
//! (`copilot::graph::neighbourhood`).

use std::cell::{Ref, RefCell};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::app::url_state::ViewState;
use crate::app::view::{run_view, ReportRun};
use crate::base::clock::now_ms;
use crate::base::format::thousands;
use crate::base::vocab::{DocsSource, EntitySource};
use crate::copilot::ask::Ask;
use crate::copilot::evidence::EvidenceBudget;
use crate::copilot::graph::GraphSource;
use crate::copilot::pipeline::{prepare, Prepared, Request};
use crate::copilot::telemetry::{TelemetryIndex, TelemetryRetriever};
use crate::data::budgets::{self, Budget};
use crate::data::db::{QueryError, UsageDb};
use crate::data::import::{data_facts, stored_report, ImportReport};
use crate::data::summary::{dataset_summary, DatasetSummary};
use crate::report::coverage::{coverage, ReportCoverage};
use crate::report::{registry, ParamValue, ReportError, ReportFilters, ReportResult, ReportSpec, Selection};
use crate::retrieval::embed::StaticModel;
use crate::retrieval::index::{DocsIndex, DocsRetriever};

/// How long one report's SQL may run before it is stopped (a 10^6-row account's reports
/// take milliseconds over the aggregates; this bounds a pathological filter or a crafted file).
pub const REPORT_TIME_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    #[error("Reading the database failed: {0}")]
    Read(String),
    #[error("Building the telemetry index failed: {0}")]
    Telemetry(String),
    #[error("There is no report {key:?}; reports: {known}.")]
    UnknownReport { key: String, known: String },
    #[error("{0}")]
    Report(String),
    #[error("{0}")]
    Copilot(String),
    #[error("{0}")]
    Budgets(String),
}

/// The documentation side an answer may use: the docs index and, once loaded, the static
/// embedding model (without it, retrieval is BM25 only).
#[derive(Clone, Copy, Default)]
pub struct DocsAssets<'a> {
    pub index: Option<&'a DocsIndex>,
    pub model: Option<&'a StaticModel>,
}

/// An answer prepared without an LLM, and how long each step took.
pub struct Answered {
    pub prepared: Prepared,
    /// (step, ms): the report's steps, the graph neighbourhood read, the telemetry index,
    /// evidence steps.
    pub timings: Vec<(String, f64)>,
}

/// A validated database with what is derived from it once.
pub struct Session {
    /// Shown to the user: "Seeded demo data" or the file name.
    pub source: String,
    pub db: UsageDb,
    pub summary: DatasetSummary,
    /// The data's first and last day, all workspaces: the default filters.
    pub data_range: ReportFilters,
    /// (id, name) of every workspace, for the filter.
    pub workspaces: Vec<(String, String)>,
    /// How long one report's SQL may run ([`REPORT_TIME_LIMIT`] unless set).
    pub report_time_limit: Duration,
    /// The budgets the user keeps for this dataset (also in the connection's `budgets`
    /// table, which the budget report reads); set with [`Session::set_budgets`].
    budgets: Vec<Budget>,
    telemetry: RefCell<Option<TelemetryIndex>>,
}

impl Session {
    /// Derives what every page needs from an opened database.
    pub fn open(source: impl Into<String>, db: UsageDb) -> Result<Session, SessionError> {
        let failed = |e: rusqlite::Error| SessionError::Read(e.to_string());
        let summary = dataset_summary(db.conn()).map_err(failed)?;
        let data_range = ReportFilters::data_range(db.conn()).map_err(failed)?;
        let workspaces = db
            .conn()
            .prepare("SELECT workspace_id, workspace_name FROM workspace ORDER BY workspace_id")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>())
            .map_err(failed)?;
        Ok(Session {
            source: source.into(),
            db,
            summary,
            data_range,
            workspaces,
            report_time_limit: REPORT_TIME_LIMIT,
            budgets: Vec::new(),
            telemetry: RefCell::new(None),
        })
    }

    pub fn budgets(&self) -> &[Budget] {
        &self.budgets
    }

    /// Replaces the dataset's budgets (checked first: a refused list changes nothing).
    pub fn set_budgets(&mut self, budgets: Vec<Budget>) -> Result<(), SessionError> {
        let budgets = budgets::validate(budgets).map_err(|e| SessionError::Budgets(e.to_string()))?;
        budgets::install(self.db.conn(), &budgets).map_err(|e| SessionError::Read(e.to_string()))?;
        self.budgets = budgets;
        Ok(())
    }

    /// "usage.db, 1,234 KB"
    pub fn describe(&self) -> String {
        format!("{}, {} KB", self.source, thousands(self.db.byte_len().div_ceil(1024) as u64))
    }

    /// The telemetry index of this database, built on first use (lexical only until a
    /// model is given; its dense side is added when `model` first arrives), and the
    /// milliseconds this call spent building or extending it.
    pub fn telemetry(&self, model: Option<&StaticModel>) -> Result<(Ref<'_, TelemetryIndex>, f64), SessionError> {
        let started = now_ms();
        {
            let mut slot = self.telemetry.borrow_mut();
            match slot.as_mut() {
                None => {
                    let index = TelemetryIndex::from_db(self.db.conn(), model).map_err(|e| SessionError::Telemetry(e.to_string()))?;
                    *slot = Some(index);
                }
                Some(index) => {
                    if let Some(m) = model.filter(|m| !index.dense_ready_for(m)) {
                        index.attach_model(m);
                    }
                }
            }
        }
        let ms = now_ms() - started;
        Ok((Ref::map(self.telemetry.borrow(), |t| t.as_ref().expect("built above")), ms))
    }

    /// Whether the database was imported from system-table exports (it keeps an import report).
    pub fn is_import(&self) -> bool {
        self.db.conn().query_row("SELECT 1 FROM import_report LIMIT 1", [], |_| Ok(())).is_ok()
    }

    /// When the database was imported from system-table exports: what the import found,
    /// and which reports the data can power (from each report spec's requirements).
    pub fn import(&self) -> Option<Result<(ImportReport, Vec<ReportCoverage>), SessionError>> {
        let report = stored_report(self.db.conn())?;
        Some(
            data_facts(self.db.conn(), &report)
                .map(|facts| {
                    let coverage = coverage(registry(), &facts);
                    (report, coverage)
                })
                .map_err(|e| SessionError::Read(e.to_string())),
        )
    }

    /// The report page's run for a view (see `app::view`).
    /// Its SQL is bounded by `report_time_limit`: a report stopped there says so and how to
    /// narrow it, and the data stays usable.
    pub fn run_view(&self, view: &ViewState) -> Option<ReportRun> {
        let (mut run, late) = self.db.bounded(self.report_time_limit, |conn| run_view(conn, &self.data_range, view));
        if let Some(run) = run.as_mut().filter(|r| late && r.outcome.is_err()) {
            run.outcome = Err(QueryError::<String>::Deadline { limit: self.report_time_limit }.to_string());
        }
        run
    }

    /// Runs the report `key` with `filters` (`None`: the data's range) and `params`.
    pub fn run_report(
        &self,
        key: &str,
        filters: Option<&ReportFilters>,
        params: &BTreeMap<String, f64>,
    ) -> Result<ReportResult, SessionError> {
        self.run_report_with(key, filters, &crate::report::engine::typed(params))
    }

    /// Runs the report `key` with params of any kind (numbers, or texts each param parses).
    pub fn run_report_with(
        &self,
        key: &str,
        filters: Option<&ReportFilters>,
        params: &BTreeMap<String, ParamValue>,
    ) -> Result<ReportResult, SessionError> {
        let report = registry().get(key).ok_or_else(|| SessionError::UnknownReport {
            key: key.to_string(),
            known: registry().reports.iter().map(|r| r.spec.key.as_str()).collect::<Vec<_>>().join(", "),
        })?;
        self.db
            .with_deadline(self.report_time_limit, |conn| report.run_with(conn, filters.unwrap_or(&self.data_range), params))
            .map_err(|e: QueryError<ReportError>| SessionError::Report(e.to_string()))
    }

    /// Answers `ask` about `selection` in `result` of `report`, without an LLM, within the
    /// default evidence budget (see [`Session::prepare_within`]).
    pub fn prepare(
        &self,
        report: &ReportSpec,
        result: &ReportResult,
        selection: &Selection,
        ask: &Ask,
        docs: DocsAssets<'_>,
    ) -> Result<Answered, SessionError> {
        self.prepare_within(report, result, selection, ask, docs, &EvidenceBudget::default())
    }

    /// Answers `ask` about `selection` in `result` of `report`, without an LLM, the evidence
    /// trimmed to `budget` (a smaller token budget for small local models). Follow-ups look
    /// up the entities they name in the telemetry index; chips do not need it.
    pub fn prepare_within(
        &self,
        report: &ReportSpec,
        result: &ReportResult,
        selection: &Selection,
        ask: &Ask,
        docs: DocsAssets<'_>,
        budget: &EvidenceBudget,
    ) -> Result<Answered, SessionError> {
        let telemetry = match ask {
            Ask::Question(_) => Some(self.telemetry(docs.model)?),
            Ask::Chip(_) => None,
        };
        let docs_retriever = docs.index.map(|index| DocsRetriever { index, model: docs.model });
        let telemetry_retriever = telemetry.as_ref().map(|(index, _)| TelemetryRetriever { index, model: docs.model });
        let request = Request {
            conn: self.db.conn(),
            graph: GraphSource::Database(self.db.conn()),
            report,
            result,
            selection,
            docs: docs_retriever.as_ref().map(|d| d as &dyn DocsSource),
            telemetry: telemetry_retriever.as_ref().map(|t| t as &dyn EntitySource),
            budget: budget.clone(),
        };
        let prepared = prepare(&request, ask).map_err(|e| SessionError::Copilot(e.to_string()))?;
        let mut timings: Vec<(String, f64)> = result.timings.iter().map(|(s, ms)| (format!("report {s}"), *ms)).collect();
        if let Some(read) = &prepared.evidence.graph_read {
            let step =
                format!("usage graph neighbourhood ({} nodes, {} edges read)", thousands(read.nodes as u64), thousands(read.edges as u64));
            timings.push((step, read.read_ms));
        }
        if let Some((_, ms)) = &telemetry {
            timings.push(("telemetry index (first use builds it)".into(), *ms));
        }
        timings.extend(prepared.evidence.timings.iter().map(|(s, ms)| (format!("evidence {s}"), *ms)));
        Ok(Answered { prepared, timings })
    }
}
