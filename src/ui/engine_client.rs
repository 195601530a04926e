//! The page's side of the engine worker: starts `worker.js` (this build's wasm in a
//! dedicated worker), sends `app::engine::Request`s with ids, and resolves each call when
//! its reply arrives, passing progress messages on. Shared through context; the page never
//! runs SQL itself.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::oneshot;
use js_sys::{Array, Reflect};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::app::engine::{Progress, Reply, Request};

/// Where the worker script is, next to the page.
pub const WORKER_URL: &str = "worker.js";

type OnProgress = Box<dyn Fn(Progress)>;

struct Pending {
    reply: oneshot::Sender<Reply>,
    progress: Option<OnProgress>,
}

struct Inner {
    worker: Worker,
    next: Cell<u32>,
    pending: Rc<RefCell<HashMap<u32, Pending>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// A handle on the engine worker (cheap to copy).
#[derive(Clone, Copy)]
pub struct EngineClient {
    inner: StoredValue<Rc<Inner>, LocalStorage>,
}

/// A call in flight: its id (to cancel it) and its reply.
pub struct Call {
    pub id: u32,
    reply: oneshot::Receiver<Reply>,
}

impl Call {
    pub async fn reply(self) -> Reply {
        self.reply.await.unwrap_or_else(|_| Reply::Failed("The engine stopped before it answered.".to_string()))
    }
}

fn field(data: &JsValue, key: &str) -> Option<String> {
    Reflect::get(data, &key.into()).ok().and_then(|v| v.as_string())
}

impl EngineClient {
    /// Starts the worker.
    pub fn start() -> Result<EngineClient, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(WORKER_URL, &options).map_err(|e| crate::web::io::js_error_text(&e))?;
        let pending: Rc<RefCell<HashMap<u32, Pending>>> = Rc::new(RefCell::new(HashMap::new()));
        let map = pending.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let id = Reflect::get(&data, &"id".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u32;
            if let Some(text) = field(&data, "progress") {
                if let (Ok(p), Some(pending)) = (serde_json::from_str::<Progress>(&text), map.borrow().get(&id)) {
                    if let Some(on_progress) = &pending.progress {
                        on_progress(p);
                    }
                }
            } else if let Some(text) = field(&data, "reply") {
                let reply = serde_json::from_str::<Reply>(&text)
                    .unwrap_or_else(|e| Reply::Failed(format!("The engine's reply was unreadable: {e}.")));
                if let Some(pending) = map.borrow_mut().remove(&id) {
                    let _ = pending.reply.send(reply);
                }
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let inner = Inner { worker, next: Cell::new(1), pending, _on_message: on_message };
        Ok(EngineClient { inner: StoredValue::new_local(Rc::new(inner)) })
    }

    /// Sends `request` (with `files` attached) and returns the call.
    pub fn send(&self, request: &Request, files: &[web_sys::File], progress: Option<OnProgress>) -> Call {
        let inner = self.inner.get_value();
        let id = inner.next.get();
        inner.next.set(id + 1);
        let (tx, rx) = oneshot::channel();
        inner.pending.borrow_mut().insert(id, Pending { reply: tx, progress });
        let message = js_sys::Object::new();
        let _ = Reflect::set(&message, &"id".into(), &JsValue::from(id));
        let _ = Reflect::set(&message, &"request".into(), &JsValue::from_str(&serde_json::to_string(request).expect("requests serialise")));
        if !files.is_empty() {
            let list = Array::new();
            for f in files {
                list.push(f);
            }
            let _ = Reflect::set(&message, &"files".into(), &list);
        }
        if let Err(e) = inner.worker.post_message(&message) {
            if let Some(p) = inner.pending.borrow_mut().remove(&id) {
                let _ = p.reply.send(Reply::Failed(format!("The engine could not be reached: {}.", crate::web::io::js_error_text(&e))));
            }
        }
        Call { id, reply: rx }
    }

    /// Sends `request` and waits for its reply.
    pub async fn call(&self, request: Request) -> Reply {
        self.send(&request, &[], None).reply().await
    }

    /// Asks the engine to stop call `id`.
    pub fn cancel(&self, id: u32) {
        let _ = self.send(&Request::Cancel { id }, &[], None);
    }
}
