//! The documentation corpus in the browser. Nothing is fetched until the first chip or
//! question that uses documentation: then the docs index comes first (BM25 answers from it
//! alone), and the static embedding model follows in the background; once it is in, the
//! retriever is hybrid. Progress and failures are signals the commentary pane shows.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use futures::future::{FutureExt, LocalBoxFuture, Shared};

use super::browser_io::{fetch_with_progress, ByteProgress};
use crate::retrieval::embed::StaticModel;
use crate::retrieval::index::DocsIndex;

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
            DocsPhase::Model(p) => Some(format!("Documentation search uses keywords (BM25) while the embedding model loads… {}", kb(p))),
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
    index: StoredValue<Option<Rc<DocsIndex>>, LocalStorage>,
    model: StoredValue<Option<Rc<StaticModel>>, LocalStorage>,
    /// The one download of the index, awaited by every question that needs it.
    loading: StoredValue<Option<Shared<LocalBoxFuture<'static, ()>>>, LocalStorage>,
}

impl DocsState {
    pub fn new() -> DocsState {
        DocsState {
            phase: RwSignal::new(DocsPhase::Idle),
            index: StoredValue::new_local(None),
            model: StoredValue::new_local(None),
            loading: StoredValue::new_local(None),
        }
    }

    pub fn index(&self) -> Option<Rc<DocsIndex>> {
        self.index.get_value()
    }

    pub fn model(&self) -> Option<Rc<StaticModel>> {
        self.model.get_value()
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

    async fn load_index(self) {
        self.phase.set(DocsPhase::Index(ByteProgress::default()));
        match fetch_with_progress(DOCS_INDEX_URL, move |p| self.phase.set(DocsPhase::Index(p))).await {
            Err(e) => self.phase.set(DocsPhase::IndexFailed(format!("could not download {DOCS_INDEX_URL}: {e}."))),
            Ok(bytes) => match DocsIndex::from_bytes(&bytes.into_vec()) {
                Err(e) => self.phase.set(DocsPhase::IndexFailed(format!("{DOCS_INDEX_URL} is unreadable: {e}."))),
                Ok(index) => {
                    self.index.set_value(Some(Rc::new(index)));
                    self.phase.set(DocsPhase::Model(ByteProgress::default()));
                    spawn_local(self.load_model());
                }
            },
        }
    }

    async fn load_model(self) {
        let phase = self.phase;
        let outcome = match fetch_with_progress(DOCS_MODEL_URL, move |p| phase.set(DocsPhase::Model(p))).await {
            Err(e) => Err(format!("could not download {DOCS_MODEL_URL}: {e}.")),
            Ok(bytes) => StaticModel::from_bytes(&bytes.into_vec()).map_err(|e| format!("{DOCS_MODEL_URL} is unreadable: {e}.")),
        };
        match outcome {
            Ok(model) => {
                self.model.set_value(Some(Rc::new(model)));
                self.phase.set(DocsPhase::Ready);
            }
            Err(e) => self.phase.set(DocsPhase::ModelFailed(e)),
        }
    }
}
