//! The engine behind the page, as plain data in and out: what the page asks (`Request`)
//! and what it gets back (`Reply`), and the `Engine` that answers from one loaded session.
//! In the browser it runs in a dedicated Web Worker (`worker`), so SQL, transforms, charts
//! and evidence never block the page; natively the same `Engine::handle` runs in the tests.
//! The page only renders what the replies say: it never holds a report result.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::app::datasets::StoredDataset;
use crate::app::roles::{order_chips, role_of};
use crate::app::session::{DocsAssets, Session};
use crate::app::table::{table_csv, table_view, TableView};
use crate::app::url_state::ViewState;
use crate::app::view::{run_inputs, ReportRun, SelectionState};
use crate::base::calendar::Date;
use crate::charts::{build as build_chart, facets};
use crate::copilot::chips::{catalogue, Lane};
use crate::data::budgets::{self, Budget};
use crate::data::import::{ImportReport, Phase as ImportPhase, Progress as ImportProgress};
use crate::data::summary::DatasetSummary;
use crate::report::coverage::ReportCoverage;
use crate::report::display::report_value;
use crate::report::output::export_value;
use crate::report::selection::{selectable_rows, selection_at, EntityRef};

/// How many "select an item" buttons a report page offers under its charts.
pub const SELECTABLE_SHOWN: usize = 12;

/// What the page shows about the loaded data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// "Seeded demo data", a file name, or an imported dataset's name.
    pub source: String,
    /// "usage.db, 1,234 KB".
    pub description: String,
    pub summary: DatasetSummary,
    /// The data's first and last day: the default filters.
    pub first_day: Date,
    pub last_day: Date,
    /// (id, name) of every workspace.
    pub workspaces: Vec<(String, String)>,
    /// Values the loader could not use, in words.
    pub warnings: Vec<String>,
    /// Imported from system-table exports (it has an import report).
    pub imported: bool,
    /// Its id in the datasets kept in this browser (`None`: the demo, the site's data, or
    /// data held only in memory).
    pub stored: Option<String>,
}

impl DatasetInfo {
    pub fn of(session: &Session) -> DatasetInfo {
        DatasetInfo {
            source: session.source.clone(),
            description: session.describe(),
            summary: session.summary.clone(),
            first_day: session.data_range.from,
            last_day: session.data_range.to,
            workspaces: session.workspaces.clone(),
            warnings: session.db.warnings().iter().map(|w| w.to_string()).collect(),
            imported: session.is_import(),
            stored: None,
        }
    }
}

/// A KPI card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageKpi {
    pub name: String,
    pub label: String,
    pub help: String,
    /// As users read it: `$1,234.50`.
    pub text: String,
    /// The exported value (rounded by unit), for tests and scripts.
    pub raw: String,
}

/// One chart: its ECharts option and, per mark, the entity a click selects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageChart {
    pub id: String,
    pub option: serde_json::Value,
    /// `entities[series][data_index]`, or `None` for decoration.
    pub entities: Vec<Vec<Option<EntityRef>>>,
    /// For faceted charts: (value, label) of every facet, and the one shown.
    pub facets: Vec<(String, String)>,
    pub facet: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageTable {
    pub id: String,
    pub view: TableView,
}

/// A chip offered for the selection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageChip {
    pub id: String,
    /// `id@version`.
    pub versioned_id: String,
    pub lane: Lane,
    pub label: String,
}

/// Where the URL's selection stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PageSelection {
    Nothing,
    Missing(EntityRef),
    Found { entity: EntityRef, label: String, chips: Vec<PageChip> },
}

/// Everything a report page shows for one view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportPage {
    pub key: String,
    /// The filters after defaults.
    pub from: Date,
    pub to: Date,
    pub workspace: Option<String>,
    /// Why the report could not run (bad parameters, SQL failure), if it could not.
    pub error: Option<String>,
    pub kpis: Vec<PageKpi>,
    pub charts: Vec<PageChart>,
    pub tables: Vec<PageTable>,
    /// The first selectable rows: (entity, label).
    pub selectable: Vec<(EntityRef, String)>,
    pub selection: PageSelection,
    /// For each text param with choices: the values the filters bar offers.
    #[serde(default)]
    pub param_choices: BTreeMap<String, Vec<String>>,
}

/// How far a long request got, sent while it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// What is happening, in words ("Downloading the seeded data", "Importing billing.csv").
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
}

impl Progress {
    /// An import's progress in words: bytes while files are read (`file` is the one being
    /// read), then keys of each finishing phase.
    pub fn of_import(p: &ImportProgress, file: &str) -> Progress {
        let count = |n: u64| crate::base::format::thousands(n);
        let (phase, done, total) = match p.phase {
            ImportPhase::Reading => (format!("Reading {file}: {} rows", count(p.rows)), p.bytes, Some(p.total_bytes)),
            ImportPhase::Deduplicating => {
                (format!("Dropping duplicate rows of {} rows read", count(p.rows)), p.done, (p.of > 0).then_some(p.of))
            }
            ImportPhase::Billing => ("Pricing and summing billing rows".to_string(), p.done, (p.of > 0).then_some(p.of)),
            ImportPhase::Mapping => ("Linking runs, spot shares and evictions".to_string(), p.done, (p.of > 0).then_some(p.of)),
            ImportPhase::Writing => ("Writing the imported database".to_string(), p.done, (p.of > 0).then_some(p.of)),
            ImportPhase::Done => ("Imported".to_string(), p.total_bytes, Some(p.total_bytes)),
        };
        Progress { phase, done, total }
    }
}

/// The two files of the documentation side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocsPart {
    Index,
    Model,
}

/// What the page asks the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Load the database at `url` (the seeded demo, or `config.json`'s `data_url`).
    OpenUrl {
        url: String,
        source: String,
        expected_bytes: Option<u64>,
    },
    /// Open the files attached to the message: one SQLite file as it is, anything else as
    /// system-table exports to import.
    OpenFiles,
    /// Stop request `id` (an import) and keep the data loaded before it.
    Cancel {
        id: u32,
    },
    /// Reopen the dataset of this browser that was open last, in place (`Reply::Nothing`
    /// when the demo was, or nothing is kept).
    OpenLast,
    /// The datasets kept in this browser.
    Datasets,
    /// Open a dataset kept in this browser, in place.
    OpenStored {
        id: String,
    },
    RenameStored {
        id: String,
        name: String,
    },
    /// Delete a dataset kept in this browser (not the one open).
    DeleteStored {
        id: String,
    },
    /// How much memory the engine's wasm instance holds, in bytes.
    Memory,
    /// The loaded data's description.
    Dataset,
    /// The report page for a view (the report runs again only when the report, filters
    /// or params change; a selection or facet change re-presents the last run).
    Report {
        view: ViewState,
    },
    /// A table of the view's report as CSV: (file name, text).
    TableCsv {
        view: ViewState,
        table: String,
    },
    /// The loaded data as a FOCUS 1.2 cost and usage CSV: `Reply::Csv` with (file name, text).
    FocusCsv,
    /// What the import of the loaded data found, and which reports it powers.
    ImportInfo,
    /// The loaded dataset's budgets: `Reply::Budgets`.
    Budgets,
    /// Replace the loaded dataset's budgets (checked; a refused list changes nothing):
    /// `Reply::Budgets` with the list as kept.
    SetBudgets {
        budgets: Vec<Budget>,
    },
    /// Replace them with those of a budgets file (`data::budgets` JSON): `Reply::Budgets`.
    ImportBudgets {
        text: String,
    },
    /// The loaded dataset's budgets as a file: `Reply::Csv` with (file name, text).
    BudgetsFile,
    /// Answer a chip click or a follow-up about `entity` in `view`'s report, without an LLM
    /// (evidence, exact messages, the offline narrative), with the documentation loaded so far.
    Prepare {
        view: ViewState,
        entity: EntityRef,
        ask: crate::copilot::Ask,
    },
    /// Fetch the docs index (`Index`) or the static embedding model (`Model`) into the engine.
    LoadDocs {
        part: DocsPart,
        url: String,
    },
}

/// The engine's answer to a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// New data is loaded; the page starts over with it.
    Opened(DatasetInfo),
    Dataset(DatasetInfo),
    /// A newer request of the same kind arrived before this one ran.
    Superseded,
    /// The request was cancelled; nothing changed.
    Cancelled,
    /// Done, with nothing to say.
    Nothing,
    /// `None` when the view names no known report.
    Report(Option<Box<ReportPage>>),
    Csv(Option<(String, String)>),
    /// A prepared answer and its timings (step, ms).
    Prepared {
        prepared: Box<crate::copilot::Prepared>,
        timings: Vec<(String, f64)>,
    },
    /// `None` when the data was not imported from system-table exports.
    Import(Option<Box<(ImportReport, Vec<ReportCoverage>)>>),
    Datasets(DatasetList),
    Budgets(Vec<Budget>),
    Memory(u64),
    Failed(String),
}

/// The datasets kept in this browser.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetList {
    pub stored: Vec<StoredDataset>,
    /// Why this browser keeps no datasets (no storage, or another tab holds it), if so.
    pub unavailable: Option<String>,
}

/// One loaded session and the last report run, answering requests.
pub struct Engine {
    session: Session,
    last: Option<(ViewState, ReportRun)>,
    /// Report runs so far (a selection change must not add one).
    runs: usize,
}

impl Request {
    /// Whether a later request of the same kind makes this one pointless (the page only
    /// shows the newest report view).
    pub fn superseded_by(&self, later: &Request) -> bool {
        matches!((self, later), (Request::Report { .. }, Request::Report { .. }))
    }
}

impl Engine {
    pub fn new(session: Session) -> Engine {
        Engine { session, last: None, runs: 0 }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Calls the loaded data `source` from now on (a renamed dataset).
    pub fn rename_source(&mut self, source: &str) {
        self.session.source = source.to_string();
    }

    /// The run for `view`'s report, filters and params: the last one when they match.
    fn run(&mut self, view: &ViewState) -> Option<&ReportRun> {
        run_for(&self.session, &mut self.last, &mut self.runs, view)
    }

    /// How many times a report has run (not counting reuses of the last run).
    pub fn runs(&self) -> usize {
        self.runs
    }

    pub fn handle(&mut self, request: &Request) -> Reply {
        match request {
            Request::Dataset => Reply::Dataset(DatasetInfo::of(&self.session)),
            Request::Report { view } => Reply::Report(self.report_page(view).map(Box::new)),
            Request::TableCsv { view, table } => Reply::Csv(self.table_csv(view, table)),
            Request::FocusCsv => match crate::data::focus::focus_csv(self.session.db.conn()) {
                Ok(export) => {
                    let summary = &self.session.summary;
                    let name = crate::data::focus::focus_file_name(summary.first_date.as_deref(), summary.last_date.as_deref());
                    Reply::Csv(Some((name, export.csv)))
                }
                Err(e) => Reply::Failed(e.to_string()),
            },
            Request::Budgets => Reply::Budgets(self.session.budgets().to_vec()),
            Request::SetBudgets { budgets } => self.set_budgets(budgets.clone()),
            Request::ImportBudgets { text } => match budgets::parse_file(text) {
                Ok(list) => self.set_budgets(list),
                Err(e) => Reply::Failed(e.to_string()),
            },
            Request::BudgetsFile => Reply::Csv(Some((budgets_file_name(&self.session.source), budgets::to_file(self.session.budgets())))),
            Request::ImportInfo => match self.session.import() {
                None => Reply::Import(None),
                Some(Ok(found)) => Reply::Import(Some(Box::new(found))),
                Some(Err(e)) => Reply::Failed(e.to_string()),
            },
            Request::Prepare { view, entity, ask } => match self.prepare(view, entity, ask, DocsAssets::default()) {
                Ok(answered) => Reply::Prepared { prepared: Box::new(answered.prepared), timings: answered.timings },
                Err(e) => Reply::Failed(e),
            },
            Request::OpenUrl { .. }
            | Request::OpenFiles
            | Request::Cancel { .. }
            | Request::OpenLast
            | Request::Datasets
            | Request::OpenStored { .. }
            | Request::RenameStored { .. }
            | Request::DeleteStored { .. }
            | Request::Memory
            | Request::LoadDocs { .. } => Reply::Failed("loading data is the worker's to do, not the engine's".to_string()),
        }
    }

    /// Replaces the budgets; the last report run is dropped (the budget report reads them).
    pub fn set_budgets(&mut self, list: Vec<Budget>) -> Reply {
        match self.session.set_budgets(list) {
            Ok(()) => {
                self.last = None;
                Reply::Budgets(self.session.budgets().to_vec())
            }
            Err(e) => Reply::Failed(e.to_string()),
        }
    }

    pub fn table_csv(&mut self, view: &ViewState, table: &str) -> Option<(String, String)> {
        let run = self.run(view)?;
        let result = run.outcome.as_ref().ok()?;
        let spec = run.report.spec.tables.iter().find(|t| t.id == table)?;
        table_csv(&run.report.spec, spec, result)
    }

    /// The report page for `view`.
    pub fn report_page(&mut self, view: &ViewState) -> Option<ReportPage> {
        let run = self.run(view)?;
        let spec = &run.report.spec;
        let filters = &run.filters;
        let mut page = ReportPage {
            key: spec.key.clone(),
            from: filters.from,
            to: filters.to,
            workspace: filters.workspace.clone(),
            error: None,
            kpis: Vec::new(),
            charts: Vec::new(),
            tables: Vec::new(),
            selectable: Vec::new(),
            selection: PageSelection::Nothing,
            param_choices: BTreeMap::new(),
        };
        let selection = run.select(view.selection.as_ref());
        page.selection = match &selection {
            SelectionState::Nothing => PageSelection::Nothing,
            SelectionState::Missing(e) => PageSelection::Missing(e.clone()),
            SelectionState::Found(sel) => {
                let mut chips: Vec<PageChip> = catalogue()
                    .offered(spec, sel)
                    .into_iter()
                    .map(|c| PageChip { id: c.id.clone(), versioned_id: c.versioned_id(), lane: c.lane, label: c.label.clone() })
                    .collect();
                // The role's chips first.
                order_chips(role_of(view.role.as_deref()), &mut chips, |c| &c.id);
                PageSelection::Found { entity: sel.entity.clone(), label: sel.label.clone(), chips }
            }
        };
        let result = match &run.outcome {
            Ok(result) => result,
            Err(message) => {
                page.error = Some(message.clone());
                return Some(page);
            }
        };
        page.param_choices = result.param_choices.clone();
        page.kpis = result
            .kpis
            .iter()
            .map(|k| PageKpi {
                name: k.name.clone(),
                label: k.label.clone(),
                help: k.help.clone(),
                text: report_value(&k.value, k.unit),
                raw: export_value(&k.value, k.unit).to_string(),
            })
            .collect();
        for chart in &spec.charts {
            // A faceted chart shows the URL's facet, else the selected row's, else its default.
            let facet = chart.kind.facet_column().and_then(|facet| {
                view.facet.clone().or_else(|| match &selection {
                    SelectionState::Found(sel) => sel.metric(facet).map(|v| v.to_string()),
                    _ => None,
                })
            });
            let Some(built) = build_chart(spec, chart, result, facet.as_deref()) else { continue };
            let entities = built
                .points
                .iter()
                .map(|series| {
                    series.iter().map(|row| row.and_then(|r| selection_at(spec, result, &built.dataset, r)).map(|s| s.entity)).collect()
                })
                .collect();
            let choices = facets(chart, result);
            // The facet drawn by default: the entity of the report's first row (as the chart does).
            let default = match chart.kind.facet_column() {
                Some(facet) if !result.rows().is_empty() => Some(result.rows().get(0, facet).to_string()),
                _ => None,
            };
            let shown = facet.or(default).or_else(|| choices.first().map(|(v, _)| v.clone()));
            page.charts.push(PageChart { id: chart.id.clone(), option: built.chart, entities, facets: choices, facet: shown });
        }
        page.tables = spec.tables.iter().filter_map(|t| Some(PageTable { id: t.id.clone(), view: table_view(spec, t, result)? })).collect();
        page.selectable = selectable_rows(spec, result).into_iter().take(SELECTABLE_SHOWN).map(|s| (s.entity, s.label)).collect();
        Some(page)
    }

    /// Prepares an answer (the copilot pipeline) for `entity` in `view`'s report.
    pub fn prepare(
        &mut self,
        view: &ViewState,
        entity: &EntityRef,
        ask: &crate::copilot::Ask,
        docs: DocsAssets<'_>,
    ) -> Result<crate::app::session::Answered, String> {
        let run = run_for(&self.session, &mut self.last, &mut self.runs, view).ok_or("There is no such report.")?;
        let result = run.outcome.as_ref().map_err(|e| e.clone())?;
        let selection = run.selection(Some(entity)).ok_or_else(|| format!("{entity} is not in this report for the current filters."))?;
        self.session.prepare(&run.report.spec, result, &selection, ask, docs).map_err(|e| e.to_string())
    }
}

/// The run for `view` from `session`, reusing `last` when its inputs match.
/// `budgets-<dataset>.json`, the dataset's name reduced to letters, digits and dashes.
pub fn budgets_file_name(source: &str) -> String {
    let mut name = String::new();
    for c in source.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_matches('-');
    format!("budgets-{}.json", if name.is_empty() { "dataset" } else { name })
}

fn run_for<'a>(
    session: &Session,
    last: &'a mut Option<(ViewState, ReportRun)>,
    runs: &mut usize,
    view: &ViewState,
) -> Option<&'a ReportRun> {
    let inputs = run_inputs(view);
    if last.as_ref().is_none_or(|(seen, _)| *seen != inputs) {
        let run = session.run_view(&inputs)?;
        *runs += 1;
        *last = Some((inputs, run));
    }
    last.as_ref().map(|(_, run)| run)
}
