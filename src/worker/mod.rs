//! (wasm only) The engine's dedicated Web Worker. The page posts `{id, request, files}`
//! (`request` is an `app::engine::Request` as JSON, `files` optional `File`s); the worker
//! answers `{id, reply}` (an `app::engine::Reply` as JSON) and, while a long request runs,
//! `{id, progress}`. Requests run one at a time, in order; a report request with a newer
//! one queued behind it is answered `Superseded` without running; `Cancel` is seen at once
//! and stops an import between chunks. All SQLite work happens here, never on the page.
//!
//! Opened database files and imports are kept in this browser as datasets (`store`): a
//! file is streamed into the origin-private file system and opened there in place, never
//! held whole in memory; a reload reopens the last one. Without that storage (an old
//! browser, or another tab of the app holding it) data is opened in memory, as before.

#[cfg(not(feature = "parquet"))]
mod parquet;
mod store;

use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};
use std::rc::Rc;

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::app::datasets::{StoredDataset, StoredKind, SITE_DATA};
use crate::app::engine::{DatasetInfo, DatasetList, DocsPart, Engine, Progress, Reply, Request};
use crate::app::open::{classify, DropKind};
use crate::app::session::DocsAssets;
use crate::app::session::Session;
use crate::data::db::{LoadError, UsageDb};
use crate::data::import::{
    CancelFlag, FileId, ImportError, ImportOptions, Imported, Importer, Progress as ImportProgress, ProgressFn, StagingStore,
};
use crate::retrieval::{DocsIndex, StaticModel};
use crate::web::io::{fetch_bytes, js_error_text, read_file, read_stream};
use crate::web::saved;
use store::Store;

struct Incoming {
    id: u32,
    request: Request,
    files: Vec<web_sys::File>,
}

thread_local! {
    static DOCS_INDEX: RefCell<Option<DocsIndex>> = const { RefCell::new(None) };
    static DOCS_MODEL: RefCell<Option<StaticModel>> = const { RefCell::new(None) };
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
    /// What the page was told about the loaded data (with its dataset id, if it is kept).
    static LOADED: RefCell<Option<DatasetInfo>> = const { RefCell::new(None) };
    /// The datasets' storage once opened, or why it could not be.
    static STORE: RefCell<Option<Result<Rc<Store>, String>>> = const { RefCell::new(None) };
    static QUEUE: RefCell<VecDeque<Incoming>> = const { RefCell::new(VecDeque::new()) };
    static BUSY: Cell<bool> = const { Cell::new(false) };
    static CANCELLED: RefCell<HashSet<u32>> = RefCell::new(HashSet::new());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(id: u32, key: &str, json: String) {
    let message = js_sys::Object::new();
    let _ = Reflect::set(&message, &"id".into(), &JsValue::from(id));
    let _ = Reflect::set(&message, &key.into(), &JsValue::from_str(&json));
    if let Err(e) = scope().post_message(&message) {
        web_sys::console::error_1(&e);
    }
}

fn reply(id: u32, reply: &Reply) {
    post(id, "reply", serde_json::to_string(reply).expect("replies serialise"));
}

fn progress(id: u32, phase: &str, done: u64, total: Option<u64>) {
    let p = Progress { phase: phase.to_string(), done, total };
    post(id, "progress", serde_json::to_string(&p).expect("progress serialises"));
}

fn cancelled(id: u32) -> bool {
    CANCELLED.with(|c| c.borrow().contains(&id))
}

/// Starts answering the page (called by `main` when the wasm runs in a worker).
pub fn start() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| receive(event.data()));
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // worker.js keeps what arrived while the wasm was loading.
    if let Ok(pending) = Reflect::get(&scope(), &"__pending".into()) {
        if Array::is_array(&pending) {
            for message in Array::from(&pending).iter() {
                receive(message);
            }
        }
        let _ = Reflect::set(&scope(), &"__pending".into(), &JsValue::UNDEFINED);
    }
}

fn receive(data: JsValue) {
    let id = Reflect::get(&data, &"id".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u32;
    let text = Reflect::get(&data, &"request".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    let request: Request = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => return reply(id, &Reply::Failed(format!("The engine could not read the request: {e}."))),
    };
    if let Request::Cancel { id: target } = request {
        CANCELLED.with(|c| c.borrow_mut().insert(target));
        return reply(id, &Reply::Cancelled);
    }
    let files = Reflect::get(&data, &"files".into())
        .ok()
        .filter(Array::is_array)
        .map(|f| Array::from(&f).iter().filter_map(|x| x.dyn_into::<web_sys::File>().ok()).collect())
        .unwrap_or_default();
    QUEUE.with(|q| q.borrow_mut().push_back(Incoming { id, request, files }));
    if !BUSY.with(Cell::get) {
        BUSY.with(|b| b.set(true));
        wasm_bindgen_futures::spawn_local(drain());
    }
}

async fn drain() {
    loop {
        let Some(next) = QUEUE.with(|q| q.borrow_mut().pop_front()) else { break };
        let superseded = QUEUE.with(|q| q.borrow().iter().any(|later| next.request.superseded_by(&later.request)));
        let answer = if superseded { Reply::Superseded } else { handle(&next).await };
        if matches!(answer, Reply::Opened(_)) {
            restore_budgets().await;
        }
        reply(next.id, &answer);
        CANCELLED.with(|c| c.borrow_mut().remove(&next.id));
    }
    BUSY.with(|b| b.set(false));
}

/// Where the loaded data's budgets are kept in the catalog: its dataset id, or the site's key.
fn budgets_key() -> String {
    loaded_id().unwrap_or_else(|| SITE_DATA.to_string())
}

/// Gives the data just opened the budgets kept for it (none when this browser keeps none).
async fn restore_budgets() {
    let Ok(store) = store().await else { return };
    let list = match store.catalog.budgets(&budgets_key()) {
        Ok(list) if !list.is_empty() => list,
        _ => return,
    };
    ENGINE.with(|e| {
        if let Some(engine) = e.borrow_mut().as_mut() {
            if let Reply::Failed(why) = engine.set_budgets(list) {
                web_sys::console::warn_1(&format!("the budgets kept for this dataset were not applied: {why}").into());
            }
        }
    });
}

/// Keeps the budgets the engine accepted for the loaded data; without storage they last
/// until the page is closed, and the reply says so.
async fn keep_budgets(reply: Reply) -> Reply {
    let Reply::Budgets(list) = &reply else { return reply };
    match store().await {
        Ok(store) => match store.catalog.set_budgets(&budgets_key(), list) {
            Ok(()) => reply,
            Err(e) => Reply::Failed(format!("The budgets are set but could not be kept in this browser: {e}")),
        },
        Err(e) => Reply::Failed(format!("The budgets are set for this visit only: this browser keeps no data ({e}).")),
    }
}

/// A database file's bytes as a session, in memory.
fn open_bytes(source: &str, bytes: &[u8]) -> Result<Session, String> {
    let db = UsageDb::from_bytes(bytes).map_err(|e| e.to_string())?;
    Session::open(source, db).map_err(|e| e.to_string())
}

/// Makes `session` the data every later request sees (dropping the data before it, and so
/// closing its file). `stored` is its dataset in this browser, if it is kept.
fn install(session: Session, stored: Option<&StoredDataset>) -> Reply {
    let mut info = DatasetInfo::of(&session);
    if let Some(entry) = stored {
        info.stored = Some(entry.id.clone());
        // What the checks said when the file was added (a reopened copy is clean by now).
        if info.warnings.is_empty() {
            info.warnings = entry.warnings.clone();
        }
    }
    ENGINE.with(|e| *e.borrow_mut() = Some(Engine::new(session)));
    LOADED.with(|l| *l.borrow_mut() = Some(info.clone()));
    Reply::Opened(info)
}

/// The id of the kept dataset that is loaded, if one is.
fn loaded_id() -> Option<String> {
    LOADED.with(|l| l.borrow().as_ref().and_then(|i| i.stored.clone()))
}

/// The datasets' storage, opened on first use (the import saved by earlier versions of the
/// app, one file beside it, becomes a dataset then).
async fn store() -> Result<Rc<Store>, String> {
    if let Some(known) = STORE.with(|s| s.borrow().clone()) {
        return known;
    }
    let opened = Store::open().await.map(Rc::new);
    if let Ok(store) = &opened {
        adopt_saved_import(store).await;
    }
    STORE.with(|s| *s.borrow_mut() = Some(opened.clone()));
    opened
}

/// Moves the import an earlier version kept in the browser into the datasets.
async fn adopt_saved_import(store: &Store) {
    let Ok(Some(bytes)) = saved::load().await else { return };
    let moved = async {
        store.reserve().await?;
        let entry = store.add("Imported system tables (saved earlier)", StoredKind::Import, bytes.len() as u64)?;
        let written = store.begin_file(&entry.id, bytes.len() as u64).and_then(|mut w| {
            w.write(&bytes)?;
            w.finish()
        });
        if let Err(e) = written {
            let _ = store.delete(&entry.id);
            return Err(e);
        }
        if store.catalog.current().ok().flatten().is_none() {
            store.catalog.set_current(Some(&entry.id)).map_err(|e| e.to_string())?;
        }
        Ok::<(), String>(())
    }
    .await;
    match moved {
        Ok(()) => {
            let _ = saved::forget().await;
        }
        Err(e) => web_sys::console::warn_1(&format!("the import saved earlier could not be moved to the datasets: {e}").into()),
    }
}

/// The size of the database `conn` holds.
fn file_bytes(conn: &rusqlite::Connection) -> u64 {
    conn.query_row("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size", [], |r| r.get::<_, i64>(0))
        .map(|n| n.max(0) as u64)
        .unwrap_or(0)
}

/// Opens kept dataset `id` in place (reusing it when it is the one loaded).
fn open_stored(store: &Store, id: &str) -> Reply {
    if loaded_id().as_deref() == Some(id) {
        if let Some(info) = LOADED.with(|l| l.borrow().clone()) {
            return Reply::Opened(info);
        }
    }
    let entry = match store.catalog.get(id) {
        Ok(entry) => entry,
        Err(e) => return Reply::Failed(e.to_string()),
    };
    let opened = store.connect(id).and_then(|conn| {
        let bytes = file_bytes(&conn);
        let db = UsageDb::reopen_copy(conn, bytes as usize).map_err(|e| e.to_string())?;
        Session::open(entry.name.clone(), db).map_err(|e| e.to_string())
    });
    match opened {
        Ok(session) => {
            let bytes = session.db.byte_len() as u64;
            let _ = store.catalog.update(id, bytes.max(file_bytes(session.db.conn())), None);
            let _ = store.catalog.set_current(Some(id));
            install(session, Some(&entry))
        }
        Err(e) => Reply::Failed(format!("The dataset \u{201c}{}\u{201d} kept in this browser could not be opened: {e}", entry.name)),
    }
}

fn dataset_list() -> DatasetList {
    match STORE.with(|s| s.borrow().clone()) {
        Some(Ok(store)) => match store.catalog.list() {
            Ok(stored) => DatasetList { stored, unavailable: None },
            Err(e) => DatasetList { stored: Vec::new(), unavailable: Some(e.to_string()) },
        },
        Some(Err(e)) => DatasetList { stored: Vec::new(), unavailable: Some(e) },
        None => DatasetList::default(),
    }
}

fn wasm_memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().map(|b| b.byte_length() as u64).unwrap_or(0))
        .unwrap_or(0)
}

async fn handle(message: &Incoming) -> Reply {
    let id = message.id;
    match &message.request {
        Request::OpenUrl { url, source, expected_bytes } => {
            let expected = *expected_bytes;
            let bytes = match fetch_bytes(url, |p| progress(id, "Downloading the usage data", p.loaded, expected.or(p.total))).await {
                Ok(b) => b,
                Err(e) => return Reply::Failed(format!("Could not download the usage data ({url}): {e}.")),
            };
            match open_bytes(source, &bytes) {
                Ok(session) => {
                    if let Ok(store) = store().await {
                        let _ = store.catalog.set_current(None);
                    }
                    install(session, None)
                }
                Err(e) => Reply::Failed(e),
            }
        }
        Request::OpenFiles => open_files(id, &message.files).await,
        Request::OpenLast => {
            let Ok(store) = store().await else { return Reply::Nothing };
            match store.catalog.current() {
                Ok(Some(last)) => open_stored(&store, &last),
                Ok(None) => Reply::Nothing,
                Err(e) => Reply::Failed(e.to_string()),
            }
        }
        Request::Datasets => {
            let _ = store().await;
            Reply::Datasets(dataset_list())
        }
        Request::OpenStored { id: wanted } => match store().await {
            Ok(store) => open_stored(&store, wanted),
            Err(e) => Reply::Failed(e),
        },
        Request::RenameStored { id: wanted, name } => match store().await {
            Ok(store) => match store.catalog.rename(wanted, name) {
                Ok(entry) => {
                    if loaded_id().as_deref() == Some(wanted.as_str()) {
                        ENGINE.with(|e| e.borrow_mut().as_mut().map(|engine| engine.rename_source(&entry.name)));
                        LOADED.with(|l| {
                            if let Some(info) = l.borrow_mut().as_mut() {
                                info.source = entry.name.clone();
                                info.description =
                                    ENGINE.with(|e| e.borrow().as_ref().map(|en| en.session().describe())).unwrap_or_default();
                            }
                        });
                    }
                    Reply::Datasets(dataset_list())
                }
                Err(e) => Reply::Failed(e.to_string()),
            },
            Err(e) => Reply::Failed(e),
        },
        Request::DeleteStored { id: wanted } => match store().await {
            Ok(_) if loaded_id().as_deref() == Some(wanted.as_str()) => {
                Reply::Failed("This dataset is open: open another one (or the demo) before deleting it.".to_string())
            }
            Ok(store) => match store.delete(wanted) {
                Ok(()) => Reply::Datasets(dataset_list()),
                Err(e) => Reply::Failed(e),
            },
            Err(e) => Reply::Failed(e),
        },
        Request::Memory => Reply::Memory(wasm_memory_bytes()),
        Request::Dataset => match LOADED.with(|l| l.borrow().clone()) {
            Some(info) => Reply::Dataset(info),
            None => Reply::Failed("No data is loaded yet.".to_string()),
        },
        Request::LoadDocs { part, url } => {
            let what = match part {
                DocsPart::Index => "the documentation index",
                DocsPart::Model => "the embedding model",
            };
            let bytes = match fetch_bytes(url, |p| progress(id, &format!("Loading {what}"), p.loaded, p.total)).await {
                Ok(b) => b,
                Err(e) => return Reply::Failed(format!("could not download {url}: {e}.")),
            };
            match part {
                DocsPart::Index => match DocsIndex::from_bytes(&bytes) {
                    Ok(index) => DOCS_INDEX.with(|d| *d.borrow_mut() = Some(index)),
                    Err(e) => return Reply::Failed(format!("{url} is unreadable: {e}.")),
                },
                DocsPart::Model => match StaticModel::from_bytes(&bytes) {
                    Ok(model) => DOCS_MODEL.with(|d| *d.borrow_mut() = Some(model)),
                    Err(e) => return Reply::Failed(format!("{url} is unreadable: {e}.")),
                },
            }
            Reply::Nothing
        }
        Request::Prepare { view, entity, ask } => ENGINE.with(|e| match e.borrow_mut().as_mut() {
            None => Reply::Failed("No data is loaded yet.".to_string()),
            Some(engine) => DOCS_INDEX.with(|index| {
                DOCS_MODEL.with(|model| {
                    let (index, model) = (index.borrow(), model.borrow());
                    let docs = DocsAssets { index: index.as_ref(), model: model.as_ref() };
                    match engine.prepare(view, entity, ask, docs) {
                        Ok(a) => Reply::Prepared { prepared: Box::new(a.prepared), timings: a.timings },
                        Err(e) => Reply::Failed(e),
                    }
                })
            }),
        }),
        Request::SetBudgets { .. } | Request::ImportBudgets { .. } => {
            let reply = ENGINE.with(|e| match e.borrow_mut().as_mut() {
                Some(engine) => engine.handle(&message.request),
                None => Reply::Failed("No data is loaded yet.".to_string()),
            });
            keep_budgets(reply).await
        }
        other => ENGINE.with(|e| match e.borrow_mut().as_mut() {
            Some(engine) => engine.handle(other),
            None => Reply::Failed("No data is loaded yet.".to_string()),
        }),
    }
}

/// The first bytes of `file` (at most `n`).
async fn head(file: &web_sys::File, n: usize) -> Result<Vec<u8>, String> {
    let end = (file.size() as usize).min(n);
    let part = file.slice_with_f64_and_f64(0.0, end as f64).map_err(|e| js_error_text(&e))?;
    read_file(&part).await
}

/// Why an open stopped.
enum Stop {
    Cancelled,
    Failed(String),
}

impl From<String> for Stop {
    fn from(e: String) -> Stop {
        Stop::Failed(e)
    }
}

/// Streams the database file the user picked into a new dataset of this browser and opens
/// it there in place, checked as `UsageDb::from_copy` checks (the copy is the app's own).
/// Nothing is kept if it fails or is cancelled.
async fn copy_database(id: u32, store: &Store, file: &web_sys::File) -> Reply {
    let size = file.size() as u64;
    let name = file.name();
    let first = match head(file, 16).await {
        Ok(b) => b,
        Err(e) => return Reply::Failed(format!("{name}: {e}")),
    };
    if size == 0 {
        return Reply::Failed(LoadError::Empty.to_string());
    }
    if first.as_slice() != b"SQLite format 3\0" {
        return Reply::Failed(LoadError::NotSqlite.to_string());
    }
    if let Err(e) = store.reserve().await {
        return Reply::Failed(format!("This browser's storage has no room for {name}: {e}"));
    }
    let entry = match store.add(&name, StoredKind::Database, size) {
        Ok(entry) => entry,
        Err(e) => return Reply::Failed(e),
    };
    let opened: Result<Session, Stop> = async {
        let mut writing = store.begin_file(&entry.id, size)?;
        let mut done = 0u64;
        progress(id, &format!("Copying {name} into this browser"), 0, Some(size));
        read_stream(file.stream(), |chunk| {
            if cancelled(id) {
                return Err("cancelled".to_string());
            }
            let mut bytes = chunk.to_vec();
            // A WAL-mode file is kept as a rollback-journal one (as `UsageDb::from_reader`
            // does): what it holds is what was checkpointed into it.
            for at in [18u64, 19] {
                if (done..done + bytes.len() as u64).contains(&at) && bytes[(at - done) as usize] == 2 {
                    bytes[(at - done) as usize] = 1;
                }
            }
            writing.write(&bytes)?;
            done += bytes.len() as u64;
            progress(id, &format!("Copying {name} into this browser"), done, Some(size));
            Ok(())
        })
        .await
        .map_err(|e| if cancelled(id) { Stop::Cancelled } else { Stop::Failed(format!("{name}: {e}")) })?;
        writing.finish()?;
        progress(id, &format!("Checking {name}"), size, Some(size));
        let conn = store.connect(&entry.id)?;
        let db = UsageDb::from_copy(conn, size as usize).map_err(|e| e.to_string())?;
        let warnings: Vec<String> = db.warnings().iter().map(|w| w.to_string()).collect();
        let _ = store.catalog.update(&entry.id, file_bytes(db.conn()).max(size), Some(&warnings));
        Ok(Session::open(entry.name.clone(), db).map_err(|e| e.to_string())?)
    }
    .await;
    match opened {
        Ok(session) => {
            let _ = store.catalog.set_current(Some(&entry.id));
            let entry = store.catalog.get(&entry.id).unwrap_or(entry);
            install(session, Some(&entry))
        }
        Err(stop) => {
            if let Err(e) = store.delete(&entry.id) {
                web_sys::console::warn_1(&format!("the unfinished copy could not be removed: {e}").into());
            }
            match stop {
                Stop::Cancelled => Reply::Cancelled,
                Stop::Failed(e) => Reply::Failed(e),
            }
        }
    }
}

/// Writes an imported database into a new dataset of this browser and reopens it there.
fn keep_import(store: &Store, name: &str, bytes: &[u8]) -> Result<(Session, StoredDataset), String> {
    let entry = store.add(name, StoredKind::Import, bytes.len() as u64)?;
    let kept = (|| {
        let mut writing = store.begin_file(&entry.id, bytes.len() as u64)?;
        writing.write(bytes)?;
        writing.finish()?;
        let conn = store.connect(&entry.id)?;
        let db = UsageDb::reopen_copy(conn, bytes.len()).map_err(|e| e.to_string())?;
        Session::open(entry.name.clone(), db).map_err(|e| e.to_string())
    })();
    match kept {
        Ok(session) => {
            store.catalog.set_current(Some(&entry.id)).map_err(|e| e.to_string())?;
            Ok((session, entry))
        }
        Err(e) => {
            let _ = store.delete(&entry.id);
            Err(e)
        }
    }
}

/// Imports `files` as system-table exports, each read as a stream of chunks (never whole):
/// CSV and JSON Lines, gzip'd or not, fed as they arrive; Parquet read by the ranges its
/// reader asks for (`File.slice`). Progress is posted after every chunk and while the import
/// finishes; a Cancel is seen between chunks.
async fn import_streams(id: u32, files: &[web_sys::File], heads: &[(String, Vec<u8>)]) -> Result<Imported, Stop> {
    let cancel = CancelFlag::default();
    let reading = Rc::new(RefCell::new(String::new()));
    let on_progress: ProgressFn = {
        let reading = Rc::clone(&reading);
        Box::new(move |p: &ImportProgress| {
            let update = Progress::of_import(p, &reading.borrow());
            post(id, "progress", serde_json::to_string(&update).expect("progress serialises"));
        })
    };
    let options = ImportOptions { staging: StagingStore::Memory, cancel: Some(cancel.clone()), on_progress: Some(on_progress) };
    let mut importer = Importer::new(options).map_err(|e| Stop::Failed(e.to_string()))?;
    let stopped =
        |e: ImportError| if cancelled(id) || matches!(e, ImportError::Cancelled) { Stop::Cancelled } else { Stop::Failed(e.to_string()) };
    // Every file is added first, so progress counts the bytes of all of them from the start.
    let ids: Vec<(FileId, bool)> = files
        .iter()
        .zip(heads)
        .map(|(file, (name, head))| {
            let size = file.size() as u64;
            let parquet = head.starts_with(b"PAR1");
            let fid = match parquet {
                // Read by ranges here, or (the browser build) converted by the Parquet module.
                true if cfg!(feature = "parquet") => importer.add_parquet(name, size),
                true => importer.add_converted(name, "parquet"),
                false => importer.add_file(name, Some(size)),
            };
            (fid, parquet)
        })
        .collect();
    for ((file, (name, _)), (fid, parquet)) in files.iter().zip(heads).zip(ids) {
        if cancelled(id) {
            return Err(Stop::Cancelled);
        }
        *reading.borrow_mut() = name.clone();
        if parquet && !cfg!(feature = "parquet") {
            #[cfg(not(feature = "parquet"))]
            import_parquet_lines(id, file, name, fid, &mut importer, &cancel).await?;
        } else if parquet {
            while let Some((offset, len)) = importer.parquet_need(fid) {
                let part =
                    file.slice_with_f64_and_f64(offset as f64, (offset + len) as f64).map_err(|e| Stop::Failed(js_error_text(&e)))?;
                let bytes = read_file(&part).await.map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
                if cancelled(id) {
                    cancel.cancel();
                }
                importer.parquet_give(fid, bytes).map_err(stopped)?;
            }
        } else {
            let mut failure = None;
            let read = read_stream(file.stream(), |chunk| {
                if cancelled(id) {
                    cancel.cancel();
                }
                importer.feed(fid, &chunk.to_vec()).map(|_| ()).map_err(|e| {
                    let text = e.to_string();
                    failure = Some(e);
                    text
                })
            })
            .await;
            if let Err(e) = read {
                return Err(match failure {
                    Some(failure) => stopped(failure),
                    None if cancelled(id) => Stop::Cancelled,
                    None => Stop::Failed(format!("{name}: {e}")),
                });
            }
        }
        importer.end_file(fid).map_err(stopped)?;
    }
    if cancelled(id) {
        return Err(Stop::Cancelled);
    }
    importer.finish().map_err(stopped)
}

/// A Parquet file through the lazily loaded Parquet module: each range it needs is read with
/// `File.slice`, and the JSON Lines it makes of a row group are fed to the import.
#[cfg(not(feature = "parquet"))]
async fn import_parquet_lines(
    id: u32,
    file: &web_sys::File,
    name: &str,
    fid: FileId,
    importer: &mut Importer,
    cancel: &CancelFlag,
) -> Result<(), Stop> {
    let stopped =
        |e: ImportError| if cancelled(id) || matches!(e, ImportError::Cancelled) { Stop::Cancelled } else { Stop::Failed(e.to_string()) };
    let lines = parquet::reader(file.size() as u64).await.map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
    let result = async {
        while let Some((offset, len)) = lines.need() {
            let part = file.slice_with_f64_and_f64(offset as f64, (offset + len) as f64).map_err(|e| Stop::Failed(js_error_text(&e)))?;
            let bytes = read_file(&part).await.map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
            if cancelled(id) {
                cancel.cancel();
            }
            match lines.give(&bytes) {
                Ok(text) => {
                    importer.feed(fid, text.as_bytes()).map_err(stopped)?;
                }
                Err(detail) => {
                    importer.converted_failed(fid, detail).map_err(stopped)?;
                    break;
                }
            }
        }
        Ok(())
    }
    .await;
    lines.free();
    result
}

/// One SQLite file opens as it is; anything else is imported as system-table exports.
async fn open_files(id: u32, files: &[web_sys::File]) -> Reply {
    let mut heads: Vec<(String, Vec<u8>)> = Vec::new();
    for file in files {
        match head(file, 16).await {
            Ok(h) => heads.push((file.name(), h)),
            Err(e) => return Reply::Failed(format!("{}: {e}", file.name())),
        }
    }
    let kinds: Vec<(&str, &[u8])> = heads.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let database = classify(&kinds) == DropKind::Database;
    let kept = store().await;
    if database {
        let file = &files[0];
        if let Ok(store) = &kept {
            return copy_database(id, store, file).await;
        }
        // No storage: the file is read into memory, as it always was.
        progress(id, &format!("Reading {}", file.name()), 0, Some(file.size() as u64));
        return match read_file(file).await {
            Ok(bytes) if cancelled(id) => {
                drop(bytes);
                Reply::Cancelled
            }
            Ok(bytes) => match open_bytes(&file.name(), &bytes) {
                Ok(session) => install(session, None),
                Err(e) => Reply::Failed(e),
            },
            Err(e) => Reply::Failed(format!("{}: {e}", file.name())),
        };
    }
    let imported = match import_streams(id, files, &heads).await {
        Ok(imported) => imported,
        Err(Stop::Cancelled) => return Reply::Cancelled,
        Err(Stop::Failed(e)) => return Reply::Failed(e),
    };
    let name = format!("Imported system tables ({} files)", files.len());
    if let Ok(store) = &kept {
        if let Err(e) = store.reserve().await {
            web_sys::console::warn_1(&format!("no room to keep the import in this browser: {e}").into());
        } else {
            match keep_import(store, &name, &imported.bytes) {
                Ok((session, entry)) => return install(session, Some(&entry)),
                Err(e) => web_sys::console::warn_1(&format!("the import could not be kept in this browser: {e}").into()),
            }
        }
    }
    match Session::open(name, imported.db) {
        Ok(session) => install(session, None),
        Err(e) => Reply::Failed(e.to_string()),
    }
}
