//! # Databricks Usage Copilot — map of the code
//!
//! A report-driven copilot for Databricks cost and reliability that runs in the browser.
//! SQL defines the facts, reports define the question, clicks define scope, and the LLM
//! only explains. Everything outside `ui` is plain Rust that compiles and tests natively;
//! `ui` (Leptos, wasm only) is a thin layer over it.
//!
//! Data flows one way:
//!
//! ```text
//! bytes of a .db file ──db::UsageDb::from_bytes──▶ validated in-memory SQLite
//!        │                                              │
//!        │                                   summary::dataset_summary
//!        ▼                                              ▼
//!   seed::write_database (build time)            DatasetSummary ──▶ ui / copilot CLI
//! ```
//!
//! | module     | owns |
//! |------------|------|
//! | `calendar` | civil dates and UTC timestamps as stored in the schema |
//! | `schema`   | the DDL (`sql/create_usage_tables.sql`), required tables/columns, validation |
//! | `db`       | opening a database from bytes, typed load errors shown to users |
//! | `summary`  | the dataset summary (counts, date range, spend by compute type) |
//! | `format`   | money / percent / count formatting shared by UI and CLI |
//! | `clock`    | a millisecond clock for timings (native and browser) |
//! | `seed`     | the deterministic seeded dataset: cast, scenarios, PRNG, generator |
//! | `ui`       | (wasm only) Leptos components: loading, file opening, summary view |
//!
//! Native entry points live in `build-tools/` (`copilot` CLI, `copilot-proxy` server);
//! the browser entry point is `src/main.rs`.

pub mod calendar;
pub mod charts;
pub mod clock;
pub mod copilot;
pub mod chips;
pub mod db;
pub mod evidence;
pub mod format;
pub mod graph;
pub mod grounding;
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
