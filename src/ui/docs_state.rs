//! The documentation corpus in the browser. Nothing is fetched until the first chip or
//! question that uses documentation: then the engine worker fetches the docs index first
//! (BM25 answers from it alone), and the static embedding model follows in the background;
//! once it is in, the retriever is hybrid. Progress and failures are signals the commentary
//! pane shows.

use leptos::prelude::*;
use leptos::task::spawn_local;

use futures::future::{FutureExt, LocalBoxFuture, Shared};

use super::engine_client::EngineClient;
use crate::app::engine::{DocsPart, Progress, Reply, Request};
use crate::web::io::ByteProgress;

/// Where the docs index and the model are fetched from (relative to the page).
pub const DOCS_INDEX_URL: &str = "docs/docs-index.bin";
pub const DOCS_MODEL_URL: &str = "docs/static-model.bin";

/// How far the documentation has loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum DocsPhase {
    /// Not needed yet; nothing fetched.
    Idle,
    /// Fetching the docs index.
    Index(ByteProgress),
    /// The index is in (BM25 answers); fetching the model for the dense side.
    Model(ByteProgress),
    /// Index and model are in: hybrid retrieval.
    Ready,
    /// The index could not be loaded: answers say documentation is not available.
    IndexFailed(String),
    /// The model could not be loaded: BM25 keeps answering.
    ModelFailed(String),
}

impl DocsPhase {
    /// One line for the commentary pane, or nothing once settled.
    pub fn describe(&self) -> Option<String> {
        let kb = |p: &ByteProgress| match p.total {
            Some(t) if t >= p.loaded => format!("{} of {} KB", p.loaded / 1024, t / 1024),
            _ => format!("{} KB", p.loaded / 1024),
        };
        match self {
            DocsPhase::Idle | DocsPhase::Ready => None,
            DocsPhase::Index(p) => Some(format!("Loading the documentation index… {}", kb(p))),
            DocsPhase::Model(p) => Some(format!(
                "Loading the embedding model, so documentation search is hybrid (BM25 + dense) as in copilot prompt… {}",
                kb(p)
            )),
            DocsPhase::IndexFailed(e) => Some(format!("Documentation is not available: {e}")),
            DocsPhase::ModelFailed(e) => {
                Some(format!("Documentation search uses keywords only (BM25): the embedding model did not load: {e}"))
            }
        }
    }
}

/// The docs index and model once loaded, shared through context.
#[derive(Clone, Copy)]
pub struct DocsState {
    pub phase: RwSignal<DocsPhase>,
    engine: EngineClient,
    /// The one download of the index, awaited by every question that needs it.
    loading: StoredValue<Option<Shared<LocalBoxFuture<'static, ()>>>, LocalStorage>,
}

impl DocsState {
    pub fn new(engine: EngineClient) -> DocsState {
        DocsState { phase: RwSignal::new(DocsPhase::Idle), engine, loading: StoredValue::new_local(None) }
    }

    /// Fetches one docs file into the engine, reporting progress into the phase.
    async fn load(self, part: DocsPart, url: &str, phase: fn(ByteProgress) -> DocsPhase) -> Result<(), String> {
        let state = self.phase;
        let on_progress: Box<dyn Fn(Progress)> = Box::new(move |p| state.set(phase(ByteProgress { loaded: p.done, total: p.total })));
        match self.engine.send(&Request::LoadDocs { part, url: url.to_string() }, &[], Some(on_progress)).reply().await {
            Reply::Nothing => Ok(()),
            Reply::Failed(e) => Err(e),
            other => Err(format!("unexpected answer from the engine: {other:?}")),
        }
    }

    /// Resolves once the docs index is loaded or has failed, starting the download on the
    /// first call (later calls await the same download); the model download starts right
    /// after the index.
    pub async fn ensure_index(self) {
        let loading = self.loading.get_value().unwrap_or_else(|| {
            let load = self.load_index().boxed_local().shared();
            self.loading.set_value(Some(load.clone()));
            load
        });
        loading.await;
    }

    /// Resolves once retrieval is in its final mode: the index and the model loaded (or
    /// failed). An ask that retrieves waits for this, so the first click on a fresh page
    /// builds the prompt `copilot prompt` prints (hybrid), never a BM25-only one.
    pub async fn ensure_ready(self) {
        self.ensure_index().await;
        // After the index, the phase is Model(_) until the model is in or has failed.
        while matches!(self.phase.get_untracked(), DocsPhase::Model(_)) {
            super::browser_io::sleep_ms(100).await;
        }
    }

    /// Whether retrieval is in its final mode already.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase.get_untracked(), DocsPhase::Ready | DocsPhase::IndexFailed(_) | DocsPhase::ModelFailed(_))
    }

    async fn load_index(self) {
        self.phase.set(DocsPhase::Index(ByteProgress::default()));
        match self.load(DocsPart::Index, DOCS_INDEX_URL, DocsPhase::Index).await {
            Err(e) => self.phase.set(DocsPhase::IndexFailed(e)),
            Ok(()) => {
                self.phase.set(DocsPhase::Model(ByteProgress::default()));
                spawn_local(self.load_model());
            }
        }
    }

    async fn load_model(self) {
        match self.load(DocsPart::Model, DOCS_MODEL_URL, DocsPhase::Model).await {
            Ok(()) => self.phase.set(DocsPhase::Ready),
            Err(e) => self.phase.set(DocsPhase::ModelFailed(e)),
        }
    }
}
