//! copilot-proxy over real HTTP (and raw sockets) against a scripted OpenAI-compatible
//! upstream started by each test. One binary; one module per concern.

mod support;

mod cross_site;
mod greedy;
mod key;
mod relay;
mod shape;
mod slow;
mod statics;
