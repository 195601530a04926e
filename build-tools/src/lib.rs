//! Native tooling for Databricks Usage Copilot, shared by the `copilot` CLI and the
//! `copilot-proxy` server binaries (and their tests).
//!
//! | module | owns |
//! |--------|------|
//! | `proxy` | the HTTP server: static `dist/` serving and health (the LLM relay grows here) |

pub mod proxy;
