//! The application layer: what the page, the CLI and the tests share above the engine —
//! one session per loaded database (`session`), what the URL holds (`url_state`), the
//! report page's presenter (`view`), the role views (`roles`), the catalog of datasets kept in the browser
//! (`datasets`), the host configuration (`hosting`) and the timings
//! `make bench` compares natively and in the browser (`bench`, `docs_bench`). Plain Rust,
//! testable natively; `ui` only renders it.

pub mod bench;
pub mod datasets;
pub mod docs_bench;
pub mod engine;
pub mod hosting;
pub mod llm_policy;
pub mod open;
pub mod roles;
pub mod session;
pub mod table;
pub mod url_state;
pub mod view;
