//! App-wide state shared through context: the seeded database (a `LocalResource`), a
//! database the user opened, download progress, and the last failed open.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::browser_io::{fetch_with_progress, read_file, ByteProgress, JsBytes};
use super::llm_client::{check_status, LlmStatus};
use super::router;
use crate::clock::now_ms;
use crate::db::UsageDb;
use crate::docs::embed::StaticModel;
use crate::docs::telemetry::TelemetryIndex;
use crate::format::thousands;
use crate::graph::{build as build_graph, UsageGraph};
use crate::hosting::HostConfig;
use crate::report::ReportFilters;
use crate::summary::{dataset_summary, DatasetSummary};
use crate::url_state::{Page, ViewState};

/// Where the app fetches the seeded demo database from by default (relative to the page).
pub const SEEDED_DB_URL: &str = "data/usage_rag_data.db";

/// The host configuration, next to `index.html`.
pub const CONFIG_URL: &str = "config.json";

/// A validated database with what the page derives from it once.
pub struct LoadedData {
    /// Shown to the user: "Seeded demo data" or the file name.
    pub source: String,
    pub db: UsageDb,
    pub summary: DatasetSummary,
    /// The data's first and last day, all workspaces: the default filters.
    pub data_range: ReportFilters,
    /// (id, name) of every workspace, for the filter.
    pub workspaces: Vec<(String, String)>,
    /// The usage graph, built on the first question (not on load).
    graph: std::cell::OnceCell<Result<Rc<UsageGraph>, String>>,
    /// The telemetry index (one document per entity), built on the first follow-up.
    telemetry: std::cell::RefCell<Option<TelemetryIndex>>,
}

impl LoadedData {
    pub fn from_bytes(source: String, bytes: JsBytes) -> Result<LoadedData, String> {
        let len = bytes.len();
        let db = UsageDb::from_reader(bytes, len).map_err(|e| e.to_string())?;
        LoadedData::from_db(source, db)
    }

    /// Derives what the page needs from an opened database.
    pub fn from_db(source: String, db: UsageDb) -> Result<LoadedData, String> {
        let failed = |e: rusqlite::Error| format!("Reading the database failed: {e}");
        let summary = dataset_summary(db.conn()).map_err(failed)?;
        let data_range = ReportFilters::data_range(db.conn()).map_err(failed)?;
        let workspaces = db
            .conn()
            .prepare("SELECT workspace_id, workspace_name FROM workspace ORDER BY workspace_id")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>())
            .map_err(failed)?;
        Ok(LoadedData { source, db, summary, data_range, workspaces, graph: std::cell::OnceCell::new(), telemetry: Default::default() })
    }

    /// The usage graph of this database, built once.
    pub fn graph(&self) -> Result<Rc<UsageGraph>, String> {
        self.graph
            .get_or_init(|| build_graph(self.db.conn()).map(Rc::new).map_err(|e| format!("Building the usage graph failed: {e}")))
            .clone()
    }

    /// The telemetry index of this database, built on first use (lexical only until the
    /// model is loaded; its dense side is added when `model` first arrives), and the
    /// milliseconds building or extending it took.
    pub fn telemetry(&self, model: Option<&StaticModel>) -> Result<(std::cell::Ref<'_, TelemetryIndex>, f64), String> {
        let started = now_ms();
        {
            let mut slot = self.telemetry.borrow_mut();
            match slot.as_mut() {
                None => {
                    let index = TelemetryIndex::from_db(self.db.conn(), model).map_err(|e| format!("Building the telemetry index failed: {e}"))?;
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
        Ok((std::cell::Ref::map(self.telemetry.borrow(), |t| t.as_ref().expect("built above")), ms))
    }

    /// "usage.db, 1,234 KB"
    pub fn describe(&self) -> String {
        format!("{}, {} KB", self.source, thousands(self.db.byte_len().div_ceil(1024) as u64))
    }
}

/// A file that could not be opened, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenFailure {
    pub file_name: String,
    pub message: String,
}

/// The context every component reads.
#[derive(Clone, Copy)]
pub struct AppData {
    pub seeded: LocalResource<Result<Rc<LoadedData>, String>>,
    pub opened: RwSignal<Option<Rc<LoadedData>>, LocalStorage>,
    pub progress: RwSignal<ByteProgress>,
    pub open_failure: RwSignal<Option<OpenFailure>>,
    pub opening: RwSignal<bool>,
    /// Progress of an import of system-table exports, file by file.
    pub import_status: RwSignal<Option<String>>,
    /// What the URL says; changed only through `navigate`.
    pub view: RwSignal<ViewState>,
    /// Whether the commentary pane shows its debug panel.
    pub debug: RwSignal<bool>,
    /// Whether the LLM proxy answers and has an LLM.
    pub llm: RwSignal<LlmStatus>,
    /// `config.json` once read (defaults when the host has none).
    pub config: RwSignal<Option<HostConfig>>,
    /// Why `config.json` was not used, when it exists but is wrong.
    pub config_error: RwSignal<Option<String>>,
}

/// Reads `config.json` next to the page: defaults when there is none (404 or offline without
/// a cached copy), an error when it is there but wrong.
async fn load_config() -> Result<HostConfig, String> {
    match fetch_with_progress(CONFIG_URL, |_| {}).await {
        Ok(bytes) => HostConfig::parse(&String::from_utf8_lossy(&bytes.to_vec())),
        Err(_) => Ok(HostConfig::default()),
    }
}

impl AppData {
    pub fn new() -> AppData {
        let progress = RwSignal::new(ByteProgress::default());
        let config: RwSignal<Option<HostConfig>> = RwSignal::new(None);
        let config_error = RwSignal::new(None);
        let seeded = LocalResource::new(move || async move {
            let cfg = load_config().await.unwrap_or_else(|e| {
                config_error.set(Some(format!("{e} The defaults are used.")));
                HostConfig::default()
            });
            config.set(Some(cfg.clone()));
            let (url, expected) = (cfg.data_url, cfg.data_bytes);
            // Served compressed, the response's length is the compressed one: config.json
            // knows the real size.
            let bytes = fetch_with_progress(&url, move |p| progress.set(ByteProgress { loaded: p.loaded, total: expected.or(p.total) }))
                .await
                .map_err(|e| format!("Could not download the seeded database ({url}): {e}."))?;
            LoadedData::from_bytes("Seeded demo data".to_string(), bytes).map(Rc::new)
        });
        AppData {
            seeded,
            opened: RwSignal::new_local(None),
            progress,
            open_failure: RwSignal::new(None),
            opening: RwSignal::new(false),
            import_status: RwSignal::new(None),
            view: router::view_signal(),
            debug: RwSignal::new(false),
            llm: RwSignal::new(LlmStatus::Checking),
            config,
            config_error,
        }
    }

    /// The host configuration (defaults until `config.json` is read).
    pub fn host(&self) -> HostConfig {
        self.config.get_untracked().unwrap_or_default()
    }

    /// Where the LLM proxy is: `proxy_url` of `config.json`, by default this page's folder.
    pub fn proxy_base(&self) -> String {
        self.host().proxy_url
    }

    /// Asks the proxy whether an LLM is available (once `config.json` is read, and to refresh).
    pub fn check_llm(self) {
        spawn_local(async move {
            while self.config.get_untracked().is_none() {
                super::browser_io::sleep_ms(20).await;
            }
            let status = if self.host().llm {
                check_status(&self.proxy_base()).await
            } else {
                LlmStatus::Unreachable("the LLM is switched off in config.json".to_string())
            };
            self.llm.set(status);
        });
    }

    /// Moves to a new view by changing the URL (history entry, shareable link).
    pub fn navigate(self, view: ViewState) {
        router::navigate(&view);
    }

    /// The current view with `change` applied, navigated to.
    pub fn update_view(self, change: impl FnOnce(&mut ViewState)) {
        let mut next = self.view.get_untracked();
        change(&mut next);
        self.navigate(next);
    }

    /// The database the page shows: the user's own if they opened one, else the seeded one.
    pub fn active(&self) -> Option<Rc<LoadedData>> {
        self.opened.get().or_else(|| self.seeded.get().and_then(|r| r.ok()))
    }

    /// Opens what the user picked or dropped: one SQLite file is opened as a usage
    /// database; anything else is imported as system-table exports (CSV / JSON Lines).
    pub fn open_files(self, files: Vec<web_sys::File>) {
        if files.is_empty() {
            return;
        }
        if !self.host().import {
            let names = files.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
            return self.fail(names, "Opening your own files is switched off on this site (config.json).".to_string());
        }
        self.opening.set(true);
        spawn_local(async move {
            let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
            for (i, file) in files.iter().enumerate() {
                self.import_status.set(Some(format!("Reading {} ({} of {})…", file.name(), i + 1, files.len())));
                match read_file(file).await {
                    Ok(bytes) => inputs.push((file.name(), bytes.to_vec())),
                    Err(message) => {
                        self.fail(file.name(), message);
                        return;
                    }
                }
            }
            let database_name = |n: &str| [".db", ".sqlite", ".sqlite3"].iter().any(|e| n.to_lowercase().ends_with(e));
            let sqlite = inputs.len() == 1 && (inputs[0].1.starts_with(b"SQLite format 3\0") || database_name(&inputs[0].0));
            if sqlite {
                let (name, bytes) = inputs.pop().expect("one file");
                let len = bytes.len();
                let result = UsageDb::from_reader(bytes.as_slice(), len).map_err(|e| e.to_string()).and_then(|db| LoadedData::from_db(name.clone(), db));
                match result {
                    Ok(data) => self.switch_to(data, ViewState { page: self.view.get_untracked().page, ..ViewState::default() }),
                    Err(message) => self.fail(name, message),
                }
                return;
            }
            let names = inputs.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>().join(", ");
            self.import_status.set(Some(format!("Importing {} file(s)…", inputs.len())));
            // Let the page show the status before the (synchronous) import runs.
            super::browser_io::sleep_ms(20).await;
            match crate::import::import_files(&inputs) {
                Ok(imported) => {
                    if let Err(e) = super::saved_import::save(&imported.bytes).await {
                        leptos::logging::warn!("the import could not be saved in this browser: {e}");
                    }
                    let source = format!("Imported system tables ({} files)", inputs.len());
                    match LoadedData::from_db(source, imported.db) {
                        Ok(data) => self.switch_to(data, ViewState { page: Page::Import, ..ViewState::default() }),
                        Err(message) => self.fail(names, message),
                    }
                }
                Err(e) => self.fail(names, e.to_string()),
            }
        });
    }

    /// Shows `data` from now on, at `view`.
    fn switch_to(self, data: LoadedData, view: ViewState) {
        self.opened.set(Some(Rc::new(data)));
        self.open_failure.set(None);
        self.opening.set(false);
        self.import_status.set(None);
        // Filters and selections of the old data may not exist in the new.
        self.navigate(view);
    }

    fn fail(self, file_name: String, message: String) {
        self.open_failure.set(Some(OpenFailure { file_name, message }));
        self.opening.set(false);
        self.import_status.set(None);
    }

    /// Opens the import saved in this browser, if any (at start).
    pub fn restore_saved_import(self) {
        spawn_local(async move {
            match super::saved_import::load().await {
                Ok(Some(bytes)) => match LoadedData::from_bytes("Imported system tables (saved in this browser)".to_string(), bytes) {
                    Ok(data) => {
                        if self.opened.get_untracked().is_none() {
                            self.opened.set(Some(Rc::new(data)));
                        }
                    }
                    Err(message) => self.open_failure.set(Some(OpenFailure { file_name: "the saved import".into(), message })),
                },
                Ok(None) => {}
                Err(e) => leptos::logging::warn!("no saved import: {e}"),
            }
        });
    }

    /// Forgets the saved import and goes back to the demo data.
    pub fn forget_import(self) {
        spawn_local(async move {
            if let Err(e) = super::saved_import::forget().await {
                leptos::logging::warn!("could not remove the saved import: {e}");
            }
            self.opened.set(None);
            self.navigate(ViewState::default());
        });
    }
}
