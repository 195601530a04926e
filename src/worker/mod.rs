//! (wasm only) The engine's dedicated Web Worker. The page posts `{id, request, files}`
//! (`request` is an `app::engine::Request` as JSON, `files` optional `File`s); the worker
//! answers `{id, reply}` (an `app::engine::Reply` as JSON) and, while a long request runs,
//! `{id, progress}`. Requests run one at a time, in order; a report request with a newer
//! one queued behind it is answered `Superseded` without running; `Cancel` is seen at once
//! and stops an import between chunks. All SQLite work happens here, never on the page.

use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::app::engine::{DatasetInfo, DocsPart, Engine, Progress, Reply, Request};
use crate::app::open::{classify, DropKind};
use crate::app::session::DocsAssets;
use crate::app::session::Session;
use crate::data::db::UsageDb;
use crate::data::import::import_files;
use crate::retrieval::{DocsIndex, StaticModel};
use crate::web::io::{fetch_bytes, read_file};
use crate::web::saved;

struct Incoming {
    id: u32,
    request: Request,
    files: Vec<web_sys::File>,
}

thread_local! {
    static DOCS_INDEX: RefCell<Option<DocsIndex>> = const { RefCell::new(None) };
    static DOCS_MODEL: RefCell<Option<StaticModel>> = const { RefCell::new(None) };
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
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
        reply(next.id, &answer);
        CANCELLED.with(|c| c.borrow_mut().remove(&next.id));
    }
    BUSY.with(|b| b.set(false));
}

/// A database file's bytes as a session.
fn open_bytes(source: &str, bytes: &[u8]) -> Result<Session, String> {
    let db = UsageDb::from_bytes(bytes).map_err(|e| e.to_string())?;
    Session::open(source, db).map_err(|e| e.to_string())
}

/// Makes `session` the data every later request sees.
fn install(session: Session) -> Reply {
    let info = DatasetInfo::of(&session);
    ENGINE.with(|e| *e.borrow_mut() = Some(Engine::new(session)));
    Reply::Opened(info)
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
                Ok(session) => install(session),
                Err(e) => Reply::Failed(e),
            }
        }
        Request::OpenFiles => open_files(id, &message.files).await,
        Request::OpenSaved => match saved::load().await {
            Ok(Some(bytes)) => match open_bytes("Imported system tables (saved in this browser)", &bytes) {
                Ok(session) => install(session),
                Err(e) => Reply::Failed(format!("The import saved in this browser could not be opened: {e}")),
            },
            Ok(None) => Reply::Nothing,
            Err(e) => Reply::Failed(format!("The browser's storage could not be read: {e}")),
        },
        Request::ForgetSaved => match saved::forget().await {
            Ok(()) => Reply::Nothing,
            Err(e) => Reply::Failed(format!("The saved import could not be removed: {e}")),
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
        other => ENGINE.with(|e| match e.borrow_mut().as_mut() {
            Some(engine) => engine.handle(other),
            None => Reply::Failed("No data is loaded yet.".to_string()),
        }),
    }
}

/// One SQLite file opens as it is; anything else is imported as system-table exports.
async fn open_files(id: u32, files: &[web_sys::File]) -> Reply {
    let total: u64 = files.iter().map(|f| f.size() as u64).sum();
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut done = 0u64;
    for file in files {
        if cancelled(id) {
            return Reply::Cancelled;
        }
        progress(id, &format!("Reading {}", file.name()), done, Some(total));
        match read_file(file).await {
            Ok(bytes) => {
                done += bytes.len() as u64;
                inputs.push((file.name(), bytes));
            }
            Err(e) => return Reply::Failed(format!("{}: {e}", file.name())),
        }
    }
    if cancelled(id) {
        return Reply::Cancelled;
    }
    let heads: Vec<(&str, &[u8])> = inputs.iter().map(|(n, b)| (n.as_str(), &b[..b.len().min(16)])).collect();
    if classify(&heads) == DropKind::Database {
        let (name, bytes) = inputs.pop().expect("one file");
        return match open_bytes(&name, &bytes) {
            Ok(session) => install(session),
            Err(e) => Reply::Failed(e),
        };
    }
    progress(id, &format!("Importing {} file(s)", inputs.len()), done, Some(total));
    match import_files(&inputs) {
        Ok(imported) => {
            // Kept in this browser's private storage so a reload shows it again.
            if let Err(e) = saved::save(&imported.bytes).await {
                web_sys::console::warn_1(&format!("the import could not be saved in this browser: {e}").into());
            }
            match Session::open(format!("Imported system tables ({} files)", inputs.len()), imported.db) {
                Ok(session) => install(session),
                Err(e) => Reply::Failed(e.to_string()),
            }
        }
        Err(e) => Reply::Failed(e.to_string()),
    }
}
