//! Databricks documentation as a second corpus, and the telemetry index beside it.
//! Pages (`build-tools/docs-corpus/`) are chunked by heading (`corpus`), indexed for BM25
//! (`text`, `bm25`) and for dense search with a static embedding model distilled from
//! all-MiniLM-L6-v2 (`wordpiece`, `embed`, `dense`), fused by reciprocal rank fusion
//! (`hybrid`) into the docs index (`index`). `routing` decides whether a question needs
//! docs, telemetry or both; `telemetry` finds the entities a free-text question is about.

pub mod bench;
pub mod bm25;
pub mod corpus;
pub mod dense;
pub mod embed;
pub mod hybrid;
pub mod index;
pub mod routing;
pub mod telemetry;
pub mod text;
pub mod wordpiece;

pub use corpus::{chunk_page, parse_html, parse_markdown, Chunk, CorpusError, Page};
pub use embed::{ModelError, StaticModel};
pub use hybrid::{Floor, Hit, Mode};
pub use index::{DocsIndex, DocsRetriever, IndexError, DOCS_FLOOR};
pub use routing::{Route, Routing};
pub use telemetry::{TelemetryIndex, TelemetryRetriever};
