//! App-wide state shared through context: the seeded database (a `LocalResource`), a
//! database the user opened, download progress, and the last failed open.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::browser_io::{fetch_with_progress, read_file, ByteProgress};
use crate::db::UsageDb;
use crate::format::thousands;
use crate::summary::{dataset_summary, DatasetSummary};

/// Where the app fetches the seeded demo database from (relative to the page).
pub const SEEDED_DB_URL: &str = "data/usage_rag_data.db";

/// A validated database with what the page derives from it once.
pub struct LoadedData {
    /// Shown to the user: "Seeded demo data" or the file name.
    pub source: String,
    pub db: UsageDb,
    pub summary: DatasetSummary,
}

impl LoadedData {
    pub fn from_bytes(source: String, bytes: &[u8]) -> Result<LoadedData, String> {
        let db = UsageDb::from_bytes(bytes).map_err(|e| e.to_string())?;
        let summary = dataset_summary(db.conn()).map_err(|e| format!("The summary query failed: {e}"))?;
        Ok(LoadedData { source, db, summary })
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
}

impl AppData {
    pub fn new() -> AppData {
        let progress = RwSignal::new(ByteProgress::default());
        let seeded = LocalResource::new(move || async move {
            let bytes = fetch_with_progress(SEEDED_DB_URL, move |p| progress.set(p))
                .await
                .map_err(|e| format!("Could not download the seeded database ({SEEDED_DB_URL}): {e}."))?;
            LoadedData::from_bytes("Seeded demo data".to_string(), &bytes).map(Rc::new)
        });
        AppData {
            seeded,
            opened: RwSignal::new_local(None),
            progress,
            open_failure: RwSignal::new(None),
            opening: RwSignal::new(false),
        }
    }

    /// The database the page shows: the user's own if they opened one, else the seeded one.
    pub fn active(&self) -> Option<Rc<LoadedData>> {
        self.opened.get().or_else(|| self.seeded.get().and_then(|r| r.ok()))
    }

    /// Reads, validates and — only if valid — switches to a user's file. On failure the
    /// data shown before stays, and the failure is reported.
    pub fn open_file(self, file: web_sys::File) {
        let name = file.name();
        self.opening.set(true);
        spawn_local(async move {
            let result = match read_file(&file).await {
                Ok(bytes) => LoadedData::from_bytes(name.clone(), &bytes),
                Err(e) => Err(e),
            };
            match result {
                Ok(data) => {
                    self.opened.set(Some(Rc::new(data)));
                    self.open_failure.set(None);
                }
                Err(message) => self.open_failure.set(Some(OpenFailure { file_name: name, message })),
            }
            self.opening.set(false);
        });
    }
}
