//! The system prompts Databricks Usage Copilot sends, one file per version in `system/`.
//! A leaf shared by the engine (which builds every prompt around the current one) and by
//! `copilot-proxy` (which relays a request only when its system message is one of these),
//! so the proxy compiles nothing of the engine.

/// A system prompt the app sends, with its version id.
pub struct SystemPrompt {
    pub id: &'static str,
    pub text: &'static str,
}

/// Every system prompt version the app has sent, newest last.
pub const SYSTEM_PROMPTS: &[SystemPrompt] = &[SystemPrompt { id: "copilot-system@1", text: include_str!("../system/v1.md") }];

/// The system prompt in use.
pub fn current_system_prompt() -> &'static SystemPrompt {
    SYSTEM_PROMPTS.last().expect("at least one system prompt")
}

/// True when `text` is one of the app's system prompts (trailing whitespace ignored).
pub fn is_known_system_prompt(text: &str) -> bool {
    SYSTEM_PROMPTS.iter().any(|p| p.text.trim_end() == text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_its_own_system_prompts_only() {
        assert!(is_known_system_prompt(current_system_prompt().text));
        assert!(is_known_system_prompt(&format!("{}\n\n", current_system_prompt().text.trim_end())));
        assert!(!is_known_system_prompt("You are a helpful assistant."));
        assert_eq!(current_system_prompt().id, "copilot-system@1");
    }
}
