//! One line in the commentary pane saying where answers come from: the LLM through the
//! proxy, or offline narratives — and, then, how to configure an LLM.

use leptos::prelude::*;

use super::llm_client::LlmStatus;
use super::state::AppData;

#[component]
pub fn LlmNotice() -> impl IntoView {
    let app = expect_context::<AppData>();
    move || {
        let (state, text) = match app.llm.get() {
            LlmStatus::Checking => ("checking", "Checking for an LLM…".to_string()),
            LlmStatus::Available { model } => ("available", format!("Answers stream from {model} through the LLM proxy.")),
            LlmStatus::NotConfigured => (
                "not-configured",
                "No LLM is configured, so chips answer with offline narratives built from the evidence. To use an LLM, put LLM_API_KEY=… (and optionally LLM_MODEL or LLM_BASE_URL) in .env and restart make app.".to_string(),
            ),
            LlmStatus::Unreachable(_) => (
                "offline",
                "The LLM proxy is not reachable (offline, or the page is hosted without it), so chips answer with offline narratives built from the evidence.".to_string(),
            ),
        };
        view! { <p class="llm-notice muted" data-testid="llm-status" data-state=state>{text}</p> }
    }
}
