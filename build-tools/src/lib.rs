//! Native tooling for Databricks Usage Copilot, shared by the `copilot` CLI and the
//! `copilot-proxy` server binaries (and their tests).
//!
//! | module | owns |
//! |--------|------|
//! | `proxy` | the HTTP server: static `dist/` serving, health and the LLM relay |
//! | `docs` | the docs corpus: folder loading, polite crawling, distilling the static model, evaluation |

pub mod docs;
pub mod proxy;
