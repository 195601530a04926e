//! App-wide state shared through context: the host configuration and the seeded database
//! (both `LocalResource`s, awaited where needed), a database the user opened, download
//! progress, and the last failed open. Each loaded database is an `app::session::Session`.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::browser_io::{fetch_with_progress, read_file, ByteProgress, JsBytes};
use super::llm_client::{check_status, LlmStatus};
use super::router;
use crate::app::hosting::HostConfig;
use crate::app::open::{classify, DropKind};
use crate::app::session::Session;
use crate::app::url_state::{Page, ViewState};
use crate::data::db::UsageDb;

/// Where the app fetches the seeded demo database from by default (relative to the page).
pub const SEEDED_DB_URL: &str = "data/usage_rag_data.db";

/// The host configuration, next to `index.html`.
pub const CONFIG_URL: &str = "config.json";

/// Opens database bytes held in JavaScript memory as a session.
pub fn open_bytes(source: String, bytes: JsBytes) -> Result<Session, String> {
    let len = bytes.len();
    let db = UsageDb::from_reader(bytes, len).map_err(|e| e.to_string())?;
    Session::open(source, db).map_err(|e| e.to_string())
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
    /// `config.json` (defaults when the host has none, or when it is wrong: see `config_error`).
    pub config: LocalResource<HostConfig>,
    pub seeded: LocalResource<Result<Rc<Session>, String>>,
    pub opened: RwSignal<Option<Rc<Session>>, LocalStorage>,
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
    /// Why `config.json` was not used, when it exists but is wrong.
    pub config_error: RwSignal<Option<String>>,
}

/// Reads `config.json` next to the page: defaults when there is none (404 or offline without
/// a cached copy), an error when it is there but wrong.
async fn load_config() -> Result<HostConfig, String> {
    match fetch_with_progress(CONFIG_URL, |_| {}).await {
        Ok(bytes) => HostConfig::parse(&String::from_utf8_lossy(&bytes.into_vec())),
        Err(_) => Ok(HostConfig::default()),
    }
}

impl AppData {
    pub fn new() -> AppData {
        let progress = RwSignal::new(ByteProgress::default());
        let config_error = RwSignal::new(None);
        let config = LocalResource::new(move || async move {
            load_config().await.unwrap_or_else(|e| {
                config_error.set(Some(format!("{e} The defaults are used.")));
                HostConfig::default()
            })
        });
        let seeded = LocalResource::new(move || async move {
            let cfg = config.await;
            let (url, expected) = (cfg.data_url, cfg.data_bytes);
            // Served compressed, the response's length is the compressed one: config.json
            // knows the real size.
            let bytes = fetch_with_progress(&url, move |p| progress.set(ByteProgress { loaded: p.loaded, total: expected.or(p.total) }))
                .await
                .map_err(|e| format!("Could not download the seeded database ({url}): {e}."))?;
            open_bytes("Seeded demo data".to_string(), bytes).map(Rc::new)
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
            let host = self.config.await;
            let status = if host.llm {
                check_status(&host.proxy_url).await
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
    pub fn active(&self) -> Option<Rc<Session>> {
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
                    Ok(bytes) => inputs.push((file.name(), bytes.into_vec())),
                    Err(message) => {
                        self.fail(file.name(), message);
                        return;
                    }
                }
            }
            let heads: Vec<(&str, &[u8])> = inputs.iter().map(|(n, b)| (n.as_str(), &b[..b.len().min(16)])).collect();
            if classify(&heads) == DropKind::Database {
                let (name, bytes) = inputs.pop().expect("one file");
                let len = bytes.len();
                let result = UsageDb::from_reader(bytes.as_slice(), len)
                    .map_err(|e| e.to_string())
                    .and_then(|db| Session::open(name.clone(), db).map_err(|e| e.to_string()));
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
            match crate::data::import::import_files(&inputs) {
                Ok(imported) => {
                    if let Err(e) = super::saved_import::save(&imported.bytes).await {
                        leptos::logging::warn!("the import could not be saved in this browser: {e}");
                    }
                    let source = format!("Imported system tables ({} files)", inputs.len());
                    match Session::open(source, imported.db).map_err(|e| e.to_string()) {
                        Ok(data) => self.switch_to(data, ViewState { page: Page::Import, ..ViewState::default() }),
                        Err(message) => self.fail(names, message),
                    }
                }
                Err(e) => self.fail(names, e.to_string()),
            }
        });
    }

    /// Shows `data` from now on, at `view`.
    fn switch_to(self, data: Session, view: ViewState) {
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
                Ok(Some(bytes)) => match open_bytes("Imported system tables (saved in this browser)".to_string(), bytes) {
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
