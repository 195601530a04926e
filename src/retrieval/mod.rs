//! The retrieval layer: a pure documentation search library. Pages
//! (`build-tools/docs-corpus/`) are chunked by heading (`corpus`), indexed for BM25 (`text`,
//! `bm25`) and for dense search with a static embedding model distilled from
//! all-MiniLM-L6-v2 (`wordpiece`, `embed`, `dense`), fused by reciprocal rank fusion
//! (`hybrid`) into the docs index (`index`). It knows nothing of chips, evidence or the
//! usage schema: the copilot reaches it through `base::vocab::DocsSource`, and builds its
//! own telemetry index on `hybrid`.

pub mod bm25;
pub mod corpus;
pub mod dense;
pub mod embed;
/// Native only: its question files are TOML, and the browser never scores retrieval.
#[cfg(not(target_arch = "wasm32"))]
pub mod eval;
pub mod hybrid;
pub mod index;
pub mod text;
pub mod wordpiece;

pub use corpus::{chunk_page, parse_html, parse_markdown, Chunk, CorpusError, Page};
pub use embed::{ModelError, StaticModel};
pub use hybrid::{Floor, Hit, Mode};
pub use index::{DocsIndex, DocsRetriever, IndexError, DOCS_FLOOR};
