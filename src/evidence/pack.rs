//! The evidence pack: everything needed to reproduce an answer (selection, filters,
//! template id@version, facts with their SQL, subgraph, docs, the exact messages, the
//! answer and its groundedness), as JSON and as Markdown.

use serde::Serialize;

use super::Evidence;
use crate::prompt::Message;

#[derive(Clone, Debug, Serialize)]
pub struct EvidencePack<'a> {
    pub format: &'static str,
    pub chip: Option<String>,
    pub system_prompt: &'static str,
    pub evidence: &'a Evidence,
    pub messages: &'a [Message],
    pub answer: &'a str,
    pub answer_source: &'a str,
    pub ungrounded_numbers: Vec<String>,
}

impl<'a> EvidencePack<'a> {
    /// The pack of a prepared answer shown offline (the deterministic narrative).
    pub fn offline(prepared: &'a crate::copilot::Prepared) -> EvidencePack<'a> {
        EvidencePack {
            format: "usage-copilot-evidence-pack@1",
            chip: prepared.chip.clone(),
            system_prompt: crate::prompt::current_system_prompt().id,
            evidence: &prepared.evidence,
            messages: &prepared.messages,
            answer: &prepared.offline_answer,
            answer_source: "offline narrative",
            ungrounded_numbers: Vec::new(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("evidence packs serialise")
    }

    pub fn to_markdown(&self) -> String {
        let e = self.evidence;
        let mut md = String::new();
        md.push_str(&format!("# Evidence pack: {} ({})\n\n", e.label, e.entity_type));
        md.push_str(&format!(
            "- Report: {} (`{}`)\n- Entity: `{}:{}`\n- Range: {} to {}{}\n- Chip: {}\n- System prompt: `{}`\n\n",
            e.report_title,
            e.report,
            e.entity_type,
            e.entity_id,
            e.filters.from,
            e.filters.to,
            e.filters.workspace.as_deref().map(|w| format!(", workspace {w}")).unwrap_or_default(),
            self.chip.as_deref().unwrap_or("follow-up question"),
            self.system_prompt,
        ));
        md.push_str("## Facts\n\n");
        for f in &e.facts {
            md.push_str(&format!("**[{}] {}**: {}\n\n```sql\n{}\n```\n\n", f.id, f.title, f.text, f.sql));
        }
        md.push_str("## Subgraph\n\n```text\n");
        md.push_str(&e.graph_text());
        md.push_str("\n```\n\n");
        md.push_str(&format!("## Routing\n\n{}: {}\n\n", e.routing.route.label(), e.routing.reason));
        if !e.docs_source.is_empty() {
            md.push_str(&format!("## Documentation\n\n{}\n\n", e.docs_source));
            for d in &e.docs {
                md.push_str(&format!("- [{}] {} — {} (score {:.4})\n", d.id, d.place(" › "), d.url, d.score));
            }
            md.push('\n');
        }
        md.push_str("## Messages\n\n");
        for m in self.messages {
            let fence = crate::prompt::fence_for(&m.content);
            md.push_str(&format!("### {}\n\n{fence}text\n{}\n{fence}\n\n", m.role, m.content));
        }
        md.push_str(&format!("## Answer ({})\n\n{}\n\n", self.answer_source, self.answer));
        md.push_str(&format!(
            "Ungrounded numbers: {}\n",
            if self.ungrounded_numbers.is_empty() { "none".to_string() } else { self.ungrounded_numbers.join(", ") }
        ));
        md
    }
}
