//! The copilot layer: from a selection and a chip (or a follow-up question) to the exact
//! prompt, the offline answer and the checks on any answer. Its parts, in data-flow order:
//! `chips` (templates as data), `graph` (the usage graph and its traversal), `routing`
//! (which corpus answers), `telemetry` (the entities a question names), `evidence` (facts,
//! subgraph, docs, within a budget in tokens: `tokens` estimates them), `prompt` (exact
//! messages), `narrative` (the deterministic answer), `citations` (citations with their
//! positions, the Sources list), `grounding` (numbers and ranges by value) and `checks`
//! (claims: numbers for what they are said to be and in what they cite, unknown
//! citations, rankings, coverage, declining), `markdown` and `llm_stream` (rendering, the
//! request body and decoding streamed answers), `pipeline` (the one entry point) and `pack`
//! (the evidence-pack file users keep).

pub mod ask;
pub mod checks;
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
pub mod tokens;

pub use ask::{Action, Ask};
pub use pipeline::{needs_docs, offered_chips, prepare, CopilotError, Prepared, Request};
