//! The evidence pack: a file users download and keep to reproduce an answer — selection,
//! filters, template id@version, facts with their SQL, subgraph, docs, routing, the exact
//! messages, the answer and its groundedness — as JSON and as Markdown.
//!
//! The pack has its own types, versioned by `format`, so that refactoring the evidence
//! step cannot silently change a file format users keep: every field below is copied
//! explicitly from the pipeline's output, and a golden test pins the JSON. Change the
//! format only on purpose, with a new `PACK_FORMAT`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::base::vocab::NodeKind;
use crate::copilot::markdown::escape_text;
use crate::copilot::pipeline::Prepared;
use crate::copilot::prompt::{current_system_prompt, fence_for, Message};

/// The format id written into every pack.
pub const PACK_FORMAT: &str = "usage-copilot-evidence-pack@2";

/// Earlier formats this app still reads (their missing fields read as empty).
pub const READ_FORMATS: &[&str] = &["usage-copilot-evidence-pack@1", PACK_FORMAT];

/// Version 2 of the evidence pack: version 1 plus what was trimmed to fit the budget,
/// the documentation retrieved but not cited, and the checks of the answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidencePack {
    pub format: String,
    /// `id@version` of the chip, or null for a follow-up question.
    pub chip: Option<String>,
    /// The system prompt's version id.
    pub system_prompt: String,
    pub evidence: PackEvidence,
    pub messages: Vec<PackMessage>,
    pub answer: String,
    /// "offline narrative", or the LLM's model.
    pub answer_source: String,
    pub ungrounded_numbers: Vec<String>,
    /// The checks of the answer (numbers, citations, coverage), as `copilot ask` prints them.
    #[serde(default)]
    pub checks: serde_json::Value,
    /// Why the model stopped (`stop`, `length`, …), for LLM answers.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// What the Markdown rendering shows beyond the JSON fields (not part of the file).
    #[serde(skip)]
    rendering: Rendering,
}

/// The subgraph as prompt lines and the route as words, kept for `to_markdown`.
#[derive(Clone, Debug, Default, PartialEq)]
struct Rendering {
    graph_text: String,
    route_label: String,
    /// "Page › Section" of each doc chunk.
    doc_places: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackEvidence {
    pub report: String,
    pub report_title: String,
    pub entity_type: String,
    pub entity_id: String,
    pub label: String,
    pub filters: PackFilters,
    pub facts: Vec<PackFact>,
    pub graph: PackGraph,
    pub docs: Vec<PackDoc>,
    pub docs_source: String,
    pub routing: PackRouting,
    pub budget: PackBudget,
    /// Evidence left out to fit the budget, in the order it was cut.
    #[serde(default)]
    pub trimmed: Vec<PackTrimmed>,
    /// Documentation chunks in the prompt that the answer does not cite (ids).
    #[serde(default)]
    pub also_retrieved: Vec<String>,
    /// (step, milliseconds).
    pub timings: Vec<(String, f64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackFilters {
    pub from: String,
    pub to: String,
    pub workspace: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackFact {
    pub id: String,
    pub topic: String,
    pub title: String,
    pub text: String,
    pub sql: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackGraph {
    pub nodes: Vec<PackNode>,
    pub edges: Vec<PackEdge>,
    pub summaries: Vec<String>,
    /// Nodes reached but not listed, per kind (in the kinds' own order).
    pub omitted: BTreeMap<NodeKind, usize>,
    pub reached: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackNode {
    pub ref_id: String,
    pub kind: String,
    pub id: String,
    pub label: String,
    pub depth: usize,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackEdge {
    pub from: String,
    pub to: String,
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackDoc {
    pub id: String,
    pub title: String,
    pub heading: String,
    pub url: String,
    pub text: String,
    pub score: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackRouting {
    pub route: String,
    pub reason: String,
    pub mentions: Vec<PackMention>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackMention {
    pub kind: String,
    pub id: String,
    pub label: String,
    pub score: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackBudget {
    pub max_facts: usize,
    pub max_fact_chars: usize,
    pub max_graph_lines: usize,
    pub max_docs: usize,
    pub max_chars: usize,
    #[serde(default)]
    pub max_tokens: usize,
    /// Estimated tokens of the evidence as sent.
    #[serde(default)]
    pub tokens: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackTrimmed {
    pub kind: String,
    pub id: String,
    pub title: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackMessage {
    pub role: String,
    pub content: String,
}

/// The snake_case name serde gives a unit enum variant.
fn name_of(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

impl EvidencePack {
    /// The pack of a prepared answer with `answer` from `answer_source`.
    pub fn new(prepared: &Prepared, answer: &str, answer_source: &str, ungrounded_numbers: Vec<String>) -> EvidencePack {
        let e = &prepared.evidence;
        let g = &e.graph;
        EvidencePack {
            format: PACK_FORMAT.to_string(),
            chip: prepared.chip.clone(),
            system_prompt: current_system_prompt().id.to_string(),
            evidence: PackEvidence {
                report: e.report.clone(),
                report_title: e.report_title.clone(),
                entity_type: e.entity_type.name().to_string(),
                entity_id: e.entity_id.clone(),
                label: e.label.clone(),
                filters: PackFilters {
                    from: e.filters.from.to_string(),
                    to: e.filters.to.to_string(),
                    workspace: e.filters.workspace.clone(),
                },
                facts: e
                    .facts
                    .iter()
                    .map(|f| PackFact {
                        id: f.id.clone(),
                        topic: name_of(f.topic),
                        title: f.title.clone(),
                        text: f.text.clone(),
                        sql: f.sql.clone(),
                    })
                    .collect(),
                graph: PackGraph {
                    nodes: g
                        .nodes
                        .iter()
                        .map(|n| PackNode {
                            ref_id: n.ref_id.clone(),
                            kind: n.kind.name().to_string(),
                            id: n.id.clone(),
                            label: n.label.clone(),
                            depth: n.depth,
                            note: n.note.clone(),
                        })
                        .collect(),
                    edges: g.edges.iter().map(|x| PackEdge { from: x.from.clone(), to: x.to.clone(), kind: name_of(x.kind) }).collect(),
                    summaries: g.summaries.clone(),
                    omitted: g.omitted.clone(),
                    reached: g.reached,
                },
                docs: e
                    .docs
                    .iter()
                    .map(|d| PackDoc {
                        id: d.id.clone(),
                        title: d.title.clone(),
                        heading: d.heading.clone(),
                        url: d.url.clone(),
                        text: d.text.clone(),
                        score: d.score,
                    })
                    .collect(),
                docs_source: e.docs_source.clone(),
                routing: PackRouting {
                    route: name_of(e.routing.route),
                    reason: e.routing.reason.clone(),
                    mentions: e
                        .routing
                        .mentions
                        .iter()
                        .map(|m| PackMention { kind: m.kind.name().to_string(), id: m.id.clone(), label: m.label.clone(), score: m.score })
                        .collect(),
                },
                budget: PackBudget {
                    max_facts: e.budget.max_facts,
                    max_fact_chars: e.budget.max_fact_chars,
                    max_graph_lines: e.budget.max_graph_lines,
                    max_docs: e.budget.max_docs,
                    max_chars: e.budget.max_chars,
                    max_tokens: e.budget.max_tokens,
                    tokens: e.tokens(),
                },
                trimmed: e
                    .trimmed
                    .iter()
                    .map(|t| PackTrimmed { kind: t.kind.clone(), id: t.id.clone(), title: t.title.clone(), reason: t.reason.clone() })
                    .collect(),
                also_retrieved: crate::copilot::citations::also_retrieved(answer, &e.docs).iter().map(|d| d.id.clone()).collect(),
                timings: e.timings.clone(),
            },
            messages: prepared
                .messages
                .iter()
                .map(|m: &Message| PackMessage { role: m.role.clone(), content: m.content.clone() })
                .collect(),
            answer: answer.to_string(),
            answer_source: answer_source.to_string(),
            ungrounded_numbers,
            checks: prepared.check(answer).to_json(),
            finish_reason: None,
            rendering: Rendering {
                graph_text: e.graph_text(),
                route_label: e.routing.route.label().to_string(),
                doc_places: e.docs.iter().map(|d| d.place(" › ")).collect(),
            },
        }
    }

    /// The pack of a prepared answer shown offline (the deterministic narrative).
    pub fn offline(prepared: &Prepared) -> EvidencePack {
        EvidencePack::new(prepared, &prepared.offline_answer, "offline narrative", Vec::new())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("evidence packs serialise")
    }

    /// Reads a pack back; refuses other formats by name.
    pub fn from_json(text: &str) -> Result<EvidencePack, String> {
        let pack: EvidencePack = serde_json::from_str(text).map_err(|e| format!("not an evidence pack: {e}"))?;
        if !READ_FORMATS.contains(&pack.format.as_str()) {
            return Err(format!("evidence pack format {:?}; this app reads {PACK_FORMAT:?} (and @1)", pack.format));
        }
        Ok(pack)
    }

    pub fn to_markdown(&self) -> String {
        let e = &self.evidence;
        let mut md = String::new();
        let esc = |s: &str| escape_text(s);
        md.push_str(&format!("# Evidence pack: {} ({})\n\n", esc(&e.label), e.entity_type));
        md.push_str(&format!(
            "- Report: {} (`{}`)\n- Entity: `{}:{}`\n- Range: {} to {}{}\n- Chip: {}\n- System prompt: `{}`\n\n",
            esc(&e.report_title),
            e.report,
            e.entity_type,
            e.entity_id.replace('`', "'"),
            e.filters.from,
            e.filters.to,
            e.filters.workspace.as_deref().map(|w| format!(", workspace {}", esc(w))).unwrap_or_default(),
            self.chip.as_deref().unwrap_or("follow-up question"),
            self.system_prompt,
        ));
        md.push_str("## Facts\n\n");
        for f in &e.facts {
            let fence = fence_for(&f.sql);
            md.push_str(&format!("**[{}] {}**: {}\n\n{fence}sql\n{}\n{fence}\n\n", f.id, esc(&f.title), esc(&f.text), f.sql));
        }
        let fence = fence_for(&self.rendering.graph_text);
        md.push_str(&format!("## Subgraph\n\n{fence}text\n{}\n{fence}\n\n", self.rendering.graph_text));
        md.push_str(&format!("## Routing\n\n{}: {}\n\n", self.rendering.route_label, esc(&e.routing.reason)));
        md.push_str(&format!("## Budget\n\n{} estimated tokens of evidence (budget {}).\n\n", e.budget.tokens, e.budget.max_tokens));
        if !e.trimmed.is_empty() {
            md.push_str("Trimmed to fit:\n\n");
            for t in &e.trimmed {
                md.push_str(&format!("- {} {} {} ({})\n", t.kind, esc(&t.id), esc(&t.title), esc(&t.reason)));
            }
            md.push('\n');
        }
        if !e.docs_source.is_empty() {
            md.push_str(&format!("## Documentation\n\n{}\n\n", esc(&e.docs_source)));
            for (i, d) in e.docs.iter().enumerate() {
                let place = self.rendering.doc_places.get(i).cloned().unwrap_or_else(|| d.title.clone());
                md.push_str(&format!(
                    "- \\[{}\\] {} — <{}> (score {:.4})\n",
                    d.id,
                    esc(&place),
                    d.url.replace(['<', '>', ' '], ""),
                    d.score
                ));
            }
            md.push('\n');
        }
        md.push_str("## Messages\n\n");
        for m in &self.messages {
            let fence = fence_for(&m.content);
            md.push_str(&format!("### {}\n\n{fence}text\n{}\n{fence}\n\n", m.role, m.content));
        }
        md.push_str(&format!("## Answer ({})\n\n{}\n\n", self.answer_source, self.answer));
        md.push_str(&format!(
            "Ungrounded numbers: {}\n",
            if self.ungrounded_numbers.is_empty() { "none".to_string() } else { esc(&self.ungrounded_numbers.join(", ")) }
        ));
        if let Some(reason) = &self.finish_reason {
            md.push_str(&format!("\nFinish reason: {}\n", esc(reason)));
        }
        if !e.also_retrieved.is_empty() {
            md.push_str(&format!("\nAlso retrieved (not cited): {}\n", e.also_retrieved.join(", ")));
        }
        md
    }
}
