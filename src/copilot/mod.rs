//! The copilot layer: from a selection and a chip (or a follow-up question) to the exact
//! prompt, the offline answer and the checks on any answer. Its parts, in data-flow order:
//! `chips` (templates as data), `graph` (the usage graph and its traversal), `routing`
//! (which corpus answers), `telemetry` (the entities a question names), `evidence` (facts,
//! subgraph, docs), `prompt` (exact messages), `narrative` (the deterministic answer),
//! `citations` and `grounding` (Sources list, numbers against evidence), `markdown` and
//! `llm_stream` (rendering and decoding answers), `pipeline` (the one entry point) and
//! `pack` (the evidence-pack file users keep).

pub mod ask;
pub mod chips;
pub mod citations;
pub mod evidence;
pub mod graph;
pub mod grounding;
pub mod llm_stream;
pub mod markdown;
pub mod narrative;
pub mod pack;
pub mod pipeline;
pub mod prompt;
pub mod routing;
pub mod telemetry;

pub use ask::{Action, Ask};
pub use pipeline::{needs_docs, offered_chips, prepare, CopilotError, Prepared, Request};
