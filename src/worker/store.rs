//! (wasm only) Datasets kept in this browser: real SQLite files in the origin-private file
//! system (OPFS), through sqlite-wasm-vfs' pool of synchronous access handles, opened in
//! place by SQLite (nothing is copied into memory), with the catalog (`app::datasets`)
//! beside them. Only a dedicated worker may hold the handles, and only one worker at a
//! time: a second tab of the app finds them taken and works from memory, saying so.

use rsqlite_vfs::transfer::{DbImport, DbTransfer};
use rsqlite_vfs::VfsFilesManager;
use rusqlite::{Connection, OpenFlags};
use sqlite_wasm_vfs::sahpool::{install, OpfsSAHImportTarget, OpfsSAHPoolCfgBuilder, OpfsSAHPoolUtil};

use crate::app::datasets::{file_name, Catalog, StoredDataset, StoredKind, CATALOG_FILE};

/// The VFS name SQLite knows the pool by.
const VFS: &str = "copilot-opfs";
/// The pool's folder in the origin-private file system.
const DIRECTORY: &str = "usage-copilot";
/// Slots kept free beyond one per file: a journal for each of the catalog, the open
/// dataset and one being written, and one file being written.
const SPARE_SLOTS: usize = 4;

/// The pool and the catalog.
pub struct Store {
    pool: OpfsSAHPoolUtil,
    pub catalog: Catalog,
}

/// A dataset file being written (a database copied chunk by chunk); dropped unfinished, it
/// leaves nothing behind.
pub struct Writing<'a> {
    import: DbImport<OpfsSAHImportTarget<'a>>,
}

impl Writing<'_> {
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.import.write(bytes).map_err(|e| e.to_string())
    }

    pub fn finish(self) -> Result<(), String> {
        self.import.finish().map_err(|e| e.to_string())
    }
}

fn open_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

/// Waits `ms` milliseconds (in the worker).
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scope: web_sys::DedicatedWorkerGlobalScope = wasm_bindgen::JsCast::unchecked_into(js_sys::global());
        let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

impl Store {
    /// Installs the pool and opens the catalog. A reload's new worker can find the handles
    /// still held by the old one for a moment, so taking them is retried for about 2 s.
    pub async fn open() -> Result<Store, String> {
        let config = OpfsSAHPoolCfgBuilder::new().vfs_name(VFS).directory(DIRECTORY).initial_capacity(8).build();
        let mut last = String::new();
        let mut pool = None;
        for attempt in 0..8 {
            match install::<sqlite_wasm_rs::WasmOsCallback>(&config, false).await {
                Ok(p) => {
                    pool = Some(p);
                    break;
                }
                Err(e) => last = e.to_string(),
            }
            sleep(50 << attempt.min(4)).await;
        }
        let pool = pool.ok_or_else(|| format!("this browser's storage for datasets is not available ({last})"))?;
        let conn = Connection::open_with_flags_and_vfs(CATALOG_FILE, open_flags(), VFS).map_err(|e| e.to_string())?;
        let catalog = Catalog::open(conn).map_err(|e| e.to_string())?;
        Ok(Store { pool, catalog })
    }

    /// Makes room for one more file and its journal.
    pub async fn reserve(&self) -> Result<(), String> {
        let files = self.pool.len().map_err(|e| e.to_string())?;
        self.pool.ensure_capacity(files + 2 + SPARE_SLOTS).await.map_err(|e| e.to_string())
    }

    /// Starts writing the file of dataset `id`, `size` bytes long (any old file of that
    /// name, left by an interrupted write, is removed first).
    pub fn begin_file(&self, id: &str, size: u64) -> Result<Writing<'_>, String> {
        self.remove_file(id)?;
        let import = self.pool.begin_import_unchecked(&file_name(id), size).map_err(|e| e.to_string())?;
        Ok(Writing { import })
    }

    /// Opens dataset `id`'s file in place.
    pub fn connect(&self, id: &str) -> Result<Connection, String> {
        let name = file_name(id);
        if !self.pool.contains(&name).map_err(|e| e.to_string())? {
            return Err("its file is missing from this browser's storage".to_string());
        }
        Connection::open_with_flags_and_vfs(&name, open_flags(), VFS).map_err(|e| e.to_string())
    }

    /// Deletes dataset `id`'s file and its journal, if there are any.
    pub fn remove_file(&self, id: &str) -> Result<(), String> {
        let name = file_name(id);
        for file in [name.clone(), format!("{name}-journal"), format!("{name}-wal")] {
            self.pool.remove(&file).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Adds a dataset to the catalog; its file is written next.
    pub fn add(&self, name: &str, kind: StoredKind, bytes: u64) -> Result<StoredDataset, String> {
        self.catalog.add(name, kind, &now_iso(), bytes, &[]).map_err(|e| e.to_string())
    }

    /// Forgets dataset `id` and deletes its file.
    pub fn delete(&self, id: &str) -> Result<(), String> {
        self.catalog.remove(id).map_err(|e| e.to_string())?;
        self.remove_file(id)
    }
}

/// The browser's clock, ISO 8601 UTC to the second.
pub fn now_iso() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    match iso.split_once('.') {
        Some((seconds, _)) => format!("{seconds}Z"),
        None => iso,
    }
}
