//! App-wide state shared through context: the engine worker (`EngineClient`), the host
//! configuration (a `LocalResource`, awaited where needed), what the loaded data is
//! (`DatasetInfo`, from the engine), the datasets kept in this browser, download and import
//! progress, and the last failed open. The page holds no database: the engine in its worker
//! does.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::engine_client::EngineClient;
use super::llm_client::{check_status, LlmStatus};
use super::router;
use crate::app::engine::{DatasetInfo, DatasetList, Reply, Request};
use crate::app::hosting::HostConfig;
use crate::app::url_state::{Page, ViewState};
use crate::web::io::{fetch_bytes, ByteProgress};

/// Where the app fetches the seeded demo database from by default (relative to the page).
pub const SEEDED_DB_URL: &str = "data/usage_rag_data.db";

/// The host configuration, next to `index.html`.
pub const CONFIG_URL: &str = "config.json";

/// A file that could not be opened, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenFailure {
    pub file_name: String,
    pub message: String,
}

/// The context every component reads.
#[derive(Clone, Copy)]
pub struct AppData {
    pub engine: EngineClient,
    /// `config.json` (defaults when the host has none, or when it is wrong: see `config_error`).
    pub config: LocalResource<HostConfig>,
    /// The data the engine has loaded, once it has.
    pub dataset: RwSignal<Option<Rc<DatasetInfo>>, LocalStorage>,
    /// The datasets kept in this browser (refreshed after every open, rename and delete).
    pub datasets: RwSignal<DatasetList>,
    /// Why the last change to the kept datasets (rename, delete) was refused.
    pub datasets_error: RwSignal<Option<String>>,
    /// Why the first data could not be loaded (the page then offers only "Open your data").
    pub load_error: RwSignal<Option<String>>,
    pub progress: RwSignal<ByteProgress>,
    pub open_failure: RwSignal<Option<OpenFailure>>,
    pub opening: RwSignal<bool>,
    /// Progress of an open or import, in words.
    pub import_status: RwSignal<Option<String>>,
    /// The engine call of the running open or import (to cancel it).
    pub import_call: RwSignal<Option<u32>>,
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
    match fetch_bytes(CONFIG_URL, |_| {}).await {
        Ok(bytes) => HostConfig::parse(&String::from_utf8_lossy(&bytes)),
        Err(_) => Ok(HostConfig::default()),
    }
}

impl AppData {
    pub fn new() -> Result<AppData, String> {
        let config_error = RwSignal::new(None);
        let config = LocalResource::new(move || async move {
            load_config().await.unwrap_or_else(|e| {
                config_error.set(Some(format!("{e} The defaults are used.")));
                HostConfig::default()
            })
        });
        Ok(AppData {
            engine: EngineClient::start()?,
            dataset: RwSignal::new_local(None),
            datasets: RwSignal::new(DatasetList::default()),
            datasets_error: RwSignal::new(None),
            load_error: RwSignal::new(None),
            progress: RwSignal::new(ByteProgress::default()),
            open_failure: RwSignal::new(None),
            opening: RwSignal::new(false),
            import_status: RwSignal::new(None),
            import_call: RwSignal::new(None),
            view: router::view_signal(),
            debug: RwSignal::new(false),
            llm: RwSignal::new(LlmStatus::Checking),
            config,
            config_error,
        })
    }

    /// Loads the first data: the dataset of this browser that was open last, opened in
    /// place, if there is one; else the seeded demo (or `config.json`'s `data_url`), with
    /// download progress.
    pub fn load_initial(self) {
        spawn_local(async move {
            match self.engine.call(Request::OpenLast).await {
                Reply::Opened(info) => return self.show(info, None),
                Reply::Failed(message) => {
                    self.open_failure.set(Some(OpenFailure { file_name: "the dataset kept in this browser".into(), message }))
                }
                _ => {}
            }
            self.open_seeded().await;
        });
    }

    /// Opens the seeded demo (or the site's data) again.
    pub fn open_demo(self) {
        self.opening.set(true);
        self.import_status.set(Some("Opening the demo data…".to_string()));
        spawn_local(async move {
            self.open_seeded().await;
            self.settle();
            self.navigate(ViewState::default());
        });
    }

    /// Opens a dataset kept in this browser, in place.
    pub fn open_stored(self, id: String) {
        self.opening.set(true);
        self.import_status.set(Some("Opening the dataset…".to_string()));
        spawn_local(async move {
            match self.engine.call(Request::OpenStored { id }).await {
                Reply::Opened(info) => self.show(info, Some(ViewState::default())),
                Reply::Failed(message) => self.fail("the dataset".to_string(), message),
                other => self.fail("the dataset".to_string(), format!("Unexpected answer from the engine: {other:?}")),
            }
        });
    }

    /// Asks the engine which datasets this browser keeps.
    pub fn refresh_datasets(self) {
        spawn_local(async move {
            if let Reply::Datasets(list) = self.engine.call(Request::Datasets).await {
                self.datasets.set(list);
            }
        });
    }

    /// Renames a kept dataset (the loaded one's name changes on the page too).
    pub fn rename_dataset(self, id: String, name: String) {
        spawn_local(async move {
            match self.engine.call(Request::RenameStored { id, name }).await {
                Reply::Datasets(list) => {
                    self.datasets.set(list);
                    self.datasets_error.set(None);
                    if let Reply::Dataset(info) = self.engine.call(Request::Dataset).await {
                        self.dataset.set(Some(Rc::new(info)));
                    }
                }
                Reply::Failed(message) => self.datasets_error.set(Some(message)),
                _ => {}
            }
        });
    }

    /// Deletes a kept dataset (not the loaded one) and its file.
    pub fn delete_dataset(self, id: String) {
        spawn_local(async move {
            match self.engine.call(Request::DeleteStored { id }).await {
                Reply::Datasets(list) => {
                    self.datasets.set(list);
                    self.datasets_error.set(None);
                }
                Reply::Failed(message) => self.datasets_error.set(Some(message)),
                _ => {}
            }
        });
    }

    async fn open_seeded(self) {
        let cfg = self.config.await;
        let expected = cfg.data_bytes;
        let progress = self.progress;
        // Served compressed, the response's length is the compressed one: config.json knows the real size.
        let on_progress: Box<dyn Fn(crate::app::engine::Progress)> =
            Box::new(move |p| progress.set(ByteProgress { loaded: p.done, total: expected.or(p.total) }));
        let request = Request::OpenUrl { url: cfg.data_url.clone(), source: "Seeded demo data".into(), expected_bytes: expected };
        match self.engine.send(&request, &[], Some(on_progress)).reply().await {
            Reply::Opened(info) => self.show(info, None),
            Reply::Failed(message) => self.load_error.set(Some(message)),
            other => self.load_error.set(Some(format!("Unexpected answer from the engine: {other:?}"))),
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

    /// What the page shows data about (`None` until the first data has loaded).
    pub fn active(&self) -> Option<Rc<DatasetInfo>> {
        self.dataset.get()
    }

    /// Opens what the user picked or dropped: one SQLite file is opened as a usage
    /// database; anything else is imported as system-table exports (CSV / JSON Lines). The
    /// engine does the work; the page stays responsive and can cancel an import.
    pub fn open_files(self, files: Vec<web_sys::File>) {
        if files.is_empty() {
            return;
        }
        let names = files.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
        if !self.host().import {
            return self.fail(names, "Opening your own files is switched off on this site (config.json).".to_string());
        }
        self.opening.set(true);
        self.import_status.set(Some(format!("Opening {names}…")));
        let status = self.import_status;
        let on_progress: Box<dyn Fn(crate::app::engine::Progress)> = Box::new(move |p| {
            let share = p.total.filter(|t| *t > 0).map(|t| format!(" ({:.0}%)", 100.0 * p.done as f64 / t as f64)).unwrap_or_default();
            status.set(Some(format!("{}…{share}", p.phase)));
        });
        let call = self.engine.send(&Request::OpenFiles, &files, Some(on_progress));
        self.import_call.set(Some(call.id));
        spawn_local(async move {
            let reply = call.reply().await;
            self.import_call.set(None);
            match reply {
                Reply::Opened(info) => {
                    let page = if info.imported { Page::Import } else { self.view.get_untracked().page };
                    self.show(info, Some(ViewState { page, ..ViewState::default() }));
                }
                Reply::Cancelled => self.settle(),
                Reply::Failed(message) => self.fail(names, message),
                other => self.fail(names, format!("Unexpected answer from the engine: {other:?}")),
            }
        });
    }

    /// Stops the running open or import; the data shown before stays.
    pub fn cancel_import(self) {
        if let Some(id) = self.import_call.get_untracked() {
            self.engine.cancel(id);
        }
    }

    /// Shows `info` from now on, at `view` (filters and selections of the old data may not
    /// exist in the new).
    fn show(self, info: DatasetInfo, view: Option<ViewState>) {
        self.dataset.set(Some(Rc::new(info)));
        self.refresh_datasets();
        self.open_failure.set(None);
        self.load_error.set(None);
        self.settle();
        if let Some(view) = view {
            self.navigate(view);
        }
    }

    fn settle(self) {
        self.opening.set(false);
        self.import_status.set(None);
    }

    fn fail(self, file_name: String, message: String) {
        self.open_failure.set(Some(OpenFailure { file_name, message }));
        self.settle();
    }
}
