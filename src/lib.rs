//! # Databricks Usage Copilot — map of the code
//!
//! A report-driven copilot for Databricks cost and reliability that runs in the browser.
//! SQL defines the facts, reports define the question, clicks define scope, and the LLM
//! only explains. Everything outside `ui` is plain Rust that compiles and tests natively;
//! `ui` (Leptos, wasm only) renders what the layers below compute.
//!
//! ## Layers
//!
//! Each top-level module is a layer; a layer uses only the layers listed before it in its
//! row, never one above it (`tests/engine/architecture.rs` checks every `crate::` path of
//! every file against this table, and that no module uses a sibling that uses it back).
//!
//! | layer | owns | may use |
//! |-------|------|---------|
//! | `base` | civil dates and timestamps, the timing clock and median, number formatting, parsing the embedded spec files (TOML natively, JSON in the browser build), and the shared vocabulary (`vocab`: entity types, system tables, graph node kinds, fact topics, doc chunks, mentions, the `DocsSource` / `EntitySource` traits) | nothing |
//! | `data` | the usage schema, opening a DB from bytes, the seeded demo, importing system-table exports, the dataset summary, the FOCUS export, the budgets users keep beside a dataset | `base` |
//! | `retrieval` | the pure docs search library: corpus chunking, BM25, WordPiece, the static embedding model, HNSW / exact dense search, hybrid fusion, the docs index, retrieval evaluation | `base` |
//! | `report` | the report engine: specs and SQL in `sql/reports/`, filters, transforms, KPIs, selection, display and JSON/CSV output, coverage of imported data | `base`, `data` |
//! | `copilot` | chips, the usage graph, routing, the telemetry index, evidence (SQL in `sql/evidence/`), prompts, offline narratives, grounding, citations, Markdown, SSE decoding, the pipeline, evidence packs | `base`, `data`, `report`, `retrieval` |
//! | `charts` | ECharts options (charming) for reports, the summary and the evidence subgraph | `base`, `data`, `report`, `copilot` |
//! | `app` | one session per loaded DB (with its budgets), the catalogue of datasets (and their budgets) kept in the browser, URL state, the report page's presenter, host config, the LLM retry policy, what a drop holds, table rows and CSV names, bench timings | every layer above |
//! | `web` | (wasm only) browser I/O for the page and the worker alike: fetch with progress from any global scope, file streams, the browser's private storage | `base` |
//! | `worker` | (wasm only) the engine's dedicated Web Worker: `app::engine` requests in, replies and progress out, one at a time; all SQLite work happens here, and the datasets kept in the origin-private file system (OPFS) are opened in place through a SQLite VFS | every layer but `ui` |
//! | `ui` | (wasm only) Leptos components that render what the engine replies; see `ui/mod.rs` | every layer but `worker` |
//!
//! Invariants the table implies, in words:
//! - **retrieval knows nothing of chips, evidence or the usage schema**: it searches text;
//!   the copilot reaches it through `base::vocab::DocsSource` and builds its own telemetry
//!   index on `retrieval::hybrid`.
//! - **report knows nothing of URLs or the copilot**: the URL → page presenter is `app::view`.
//! - **data knows nothing of reports**: which reports imported files can power is computed
//!   by `report::coverage` from what each spec requires.
//! - **ui holds no logic that a native test cannot reach**: it renders the engine's replies
//!   (`app::engine::ReportPage`…) and calls `app`; policies (retries, drops, table rows,
//!   timings) live in `app`. **The page runs no SQL**: every request goes to the worker, whose
//!   `Engine::handle` the native tests call directly.
//!
//! ## Data flow
//!
//! Data flows one way; each arrow is a plain function with typed input and output:
//!
//! ```text
//! .db bytes ─data::db::UsageDb::from_reader─▶ validated SQLite ─app::session::Session::open─▶ Session
//!   (data::seed::write_database builds the demo DB; data::import::import_files builds one from exports)
//!   URL hash ─app::url_state─▶ ViewState ─app::view::run_view─▶ ReportRun (report::Report::run ▶ ReportResult)
//!                                           ReportRun::select ─▶ Selection (report::selection)
//!                                                                  │ copilot::chips::Catalogue::offered
//!                                                                  ▼
//!   Ask (chip id | question) ─Session::prepare ▶ copilot::pipeline::prepare:
//!     copilot::routing (the chip's need or the question's wording: telemetry, docs or both)
//!     copilot::evidence::gather: SQL facts (a What if chip's counterfactual first,
//!       copilot::evidence::what_if) + copilot::graph::traverse from the selection and the
//!       entities a question names (copilot::telemetry), over their neighbourhood read from SQL
//!       (copilot::graph::neighbourhood; the whole graph, copilot::graph::build, only for
//!       `copilot graph export`) + documentation chunks (retrieval::index)
//!        ─▶ copilot::prompt::build_messages (exact messages) ─▶ copilot::narrative (offline answer)
//!        ─▶ copilot::citations::with_sources (Sources list) ─▶ copilot::grounding::check
//!        ─▶ copilot::pack::EvidencePack (the versioned file users keep)
//!
//!   build-tools/docs-corpus/*.md ─copilot docs build─▶ retrieval::DocsIndex (BM25 + HNSW, postcard)
//!   all-MiniLM-L6-v2 ─copilot-model distill─▶ retrieval::StaticModel (embeds questions in wasm)
//! ```
//!
//! ## Packages
//!
//! This package is the engine (native and wasm). Beside it in `build-tools/`: `cli` (the
//! `copilot` command), `proxy` (`copilot-proxy`, which compiles nothing of the engine),
//! `model` (`copilot-model`, the candle-based distillation), and `prompts` (the system
//! prompts, shared by the engine and the proxy); in `crates/`: `parquet-rows` (the Parquet
//! reader, which `data::import` uses natively and the browser loads as a module of its own
//! when a Parquet file is dropped, from `worker::parquet`). The browser entry point is
//! `src/main.rs`.

pub mod app;
pub mod base;
pub mod charts;
pub mod copilot;
pub mod data;
pub mod report;
pub mod retrieval;

#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
#[cfg(target_arch = "wasm32")]
pub mod worker;

/// The browser entry point: the page mounts the UI; the same wasm loaded by `worker.js` in
/// a dedicated worker runs the engine instead.
#[cfg(target_arch = "wasm32")]
pub fn start() {
    if web::io::in_worker() {
        worker::start();
    } else {
        ui::mount();
    }
}
