//! # Databricks Usage Copilot — map of the code
//!
//! A report-driven copilot for Databricks cost and reliability that runs in the browser.
//! SQL defines the facts, reports define the question, clicks define scope, and the LLM
//! only explains. Everything outside `ui` is plain Rust that compiles and tests natively;
//! `ui` (Leptos, wasm only) is a thin layer that loads bytes, calls the core and draws.
//!
//! Data flows one way; each arrow is a plain function with typed input and output:
//!
//! ```text
//! .db bytes ─db::UsageDb::from_reader─▶ validated SQLite ─report::run_report─▶ ReportResult
//!   (seed::write_database builds the demo DB)          │               │ charts::build
//!                                        graph::build ─┘               ▼
//!   URL hash ─url_state─▶ ViewState ─report::view::run_view─▶ selection (report::selection)
//!                                                                       │ chips::Catalogue::offered
//!                                                                       ▼
//!   copilot::prepare_chip / prepare_question:
//!     docs::routing (chip's need or the question's wording: telemetry, docs or both)
//!     evidence::gather: SQL facts + graph::traverse from the selection and the entities a
//!       question names (docs::telemetry) + documentation chunks (docs::index, hybrid)
//!        ─▶ prompt::build_messages (exact messages) ─▶ narrative (offline answer)
//!        ─▶ citations::with_sources (Sources list) ─▶ grounding::check (numbers vs evidence)
//!
//!   system-table exports (CSV / JSONL) ─import::import_files─▶ a usage DB + ImportReport
//!   build-tools/docs-corpus/*.md ─copilot docs build─▶ docs::DocsIndex (BM25 + HNSW, postcard)
//!   all-MiniLM-L6-v2 ─copilot distill─▶ docs::StaticModel (embeds questions in wasm)
//! ```
//!
//! | module | owns |
//! |--------|------|
//! | `bench` | timings shared by `make bench` natively and in the browser |
//! | `calendar` | civil dates and UTC timestamps as stored in the schema |
//! | `clock` | a millisecond clock for timings (native and browser) |
//! | `schema` | the DDL (`sql/create_usage_tables.sql`), required tables/columns, validation |
//! | `db` | opening a database from bytes, typed load errors shown to users |
//! | `seed` | the deterministic seeded dataset: cast, scenarios, PRNG, generator |
//! | `hosting` | the build id and `config.json` (proxy URL, data URL, feature switches) |
//! | `import` | Databricks system-table exports (CSV / JSON Lines) → our schema, with coverage and attribution gaps |
//! | `summary` | the dataset summary (counts, date range, spend by compute type) |
//! | `report` | the report engine: specs and SQL in `sql/reports/`, filters, transforms, KPIs, selection, JSON/CSV |
//! | `charts` | ECharts options (charming) for reports, the summary and the evidence subgraph |
//! | `url_state` | what the URL holds (page, filters, params, selection) |
//! | `chips` | the chip catalogue (`src/prompts/chips/*.toml`) and which chips a selection gets |
//! | `graph` | the usage graph (petgraph) and its budgeted, deterministic traversal |
//! | `docs` | the documentation corpus: chunks, BM25, static embeddings, HNSW, hybrid search, routing, the telemetry index, benchmarks |
//! | `evidence` | facts, subgraph and docs for a selection; evidence packs |
//! | `prompt` | versioned system prompts (`src/prompts/system/`) and exact chat messages |
//! | `narrative` | the deterministic answer without an LLM |
//! | `grounding` | checking every number of an answer against the evidence |
//! | `llm_stream` | decoding streamed LLM answers (SSE) |
//! | `citations` | the Sources list appended to answers by code |
//! | `markdown` | a safe Markdown subset parsed to an AST (answers never become raw HTML) |
//! | `copilot` | the pipeline: selection + chip or question → evidence → messages → answer |
//! | `format` | money / percent / count / date formatting shared by UI, CLI and prompts |
//! | `ui` | (wasm only) Leptos components; see `ui/mod.rs` |
//!
//! Native entry points live in `build-tools/` (`copilot` CLI, `copilot-proxy` server);
//! the browser entry point is `src/main.rs`.

pub mod bench;
pub mod calendar;
pub mod charts;
pub mod chips;
pub mod citations;
pub mod clock;
pub mod copilot;
pub mod db;
pub mod docs;
pub mod evidence;
pub mod format;
pub mod graph;
pub mod grounding;
pub mod hosting;
pub mod import;
pub mod llm_stream;
pub mod markdown;
pub mod narrative;
pub mod prompt;
pub mod report;
pub mod schema;
pub mod seed;
pub mod summary;
pub mod url_state;

#[cfg(target_arch = "wasm32")]
pub mod ui;
