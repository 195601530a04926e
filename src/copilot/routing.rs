//! Routing: which corpus answers. A chip says what it needs (`evidence = "telemetry" |
//! "docs" | "both"`); a free-text question is routed by its wording — "what is / how does /
//! how do I configure…" asks the documentation, "why did / how much / when…" or a named
//! entity asks the telemetry, and a question with both kinds of cue gets both. The reason
//! is kept for the debug panel. Deterministic: the same question always routes the same way.

use serde::Serialize;

use crate::base::vocab::Mention;
use crate::copilot::chips::{ChipTemplate, EvidenceNeed};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// SQL facts and the entity's subgraph only.
    Telemetry,
    /// Documentation chunks (and the selection for context).
    Docs,
    Both,
}

impl Route {
    pub fn wants_docs(self) -> bool {
        self != Route::Telemetry
    }

    pub fn wants_telemetry(self) -> bool {
        self != Route::Docs
    }

    pub fn label(self) -> &'static str {
        match self {
            Route::Telemetry => "telemetry",
            Route::Docs => "docs",
            Route::Both => "telemetry + docs",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Routing {
    pub route: Route,
    pub reason: String,
    /// Entities the question names (found in the telemetry index).
    pub mentions: Vec<Mention>,
}

/// Phrases that ask how the product works or should be configured.
const DOCS_PHRASES: &[&str] = &[
    "what is",
    "what are",
    "what does",
    "what do",
    "what's",
    "how does",
    "how do i",
    "how do we",
    "how do you",
    "how to",
    "how can i",
    "how can we",
    "how should",
    "configure",
    "configuration",
    "set up",
    "setting up",
    "enable",
    "best practice",
    "recommend",
    "should i",
    "should we",
    "difference between",
    "explain",
    "documentation",
    "docs",
    "mean?",
    "means",
    "work?",
    "works?",
    "when to use",
    "which instance",
    "is it possible",
    "can i",
];

/// Product terms that, alone, make a question about the documentation.
const PRODUCT_TERMS: &[&str] = &[
    "spot_with_fallback",
    "first_on_demand",
    "spot_bid_price",
    "availability",
    "photon",
    "autoscal",
    "auto-termination",
    "auto termination",
    "autotermination",
    "instance pool",
    "pools",
    "cluster polic",
    "compute polic",
    "serverless",
    "sku",
    "dbu",
    "warehouse size",
    "t-shirt",
    "auto stop",
    "auto-stop",
    "system table",
    "system.billing",
    "budget",
    "fleet",
    "graviton",
    "gpu",
    "nodes_lost",
    "spot_instance_termination",
    "termination code",
];

/// Phrases that ask about what happened in this data.
const TELEMETRY_PHRASES: &[&str] = &[
    "why did",
    "why was",
    "why were",
    "why is",
    "why are",
    "why does",
    "when did",
    "how much",
    "how many",
    "how often",
    "cost",
    "spend",
    "spent",
    "bill",
    "fail",
    "evict",
    "retr",
    "slow",
    "longer",
    "this job",
    "this cluster",
    "this warehouse",
    "this run",
    "our ",
    "we spend",
    "last week",
    "yesterday",
    "trend",
    "compare",
    "increase",
    "spike",
    "anomal",
    "which job",
    "who ",
    "top ",
    "most expensive",
];

fn contains_any<'a>(text: &str, phrases: &[&'a str]) -> Option<&'a str> {
    phrases.iter().copied().find(|p| text.contains(p))
}

/// How a chip is routed: by what its template says it needs.
pub fn route_chip(chip: &ChipTemplate) -> Routing {
    let (route, reason) = match chip.evidence {
        EvidenceNeed::Telemetry => (Route::Telemetry, format!("chip {} explains telemetry only; no documentation", chip.id)),
        EvidenceNeed::Docs => {
            (Route::Docs, format!("chip {} asks for product guidance: docs for {:?}", chip.id, chip.docs_query.as_deref().unwrap_or("")))
        }
        EvidenceNeed::Both => (
            Route::Both,
            format!("chip {} needs telemetry and configuration guidance: docs for {:?}", chip.id, chip.docs_query.as_deref().unwrap_or("")),
        ),
    };
    Routing { route, reason, mentions: Vec::new() }
}

/// How a free-text question is routed, given the entities it names.
pub fn route_question(question: &str, mentions: Vec<Mention>) -> Routing {
    let q = format!("{} ", question.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" "));
    let docs_phrase = contains_any(&q, DOCS_PHRASES);
    let telemetry_phrase = contains_any(&q, TELEMETRY_PHRASES);
    let product = contains_any(&q, PRODUCT_TERMS);
    let named = mentions.first().map(|m| m.label.clone());
    let telemetry_cue = telemetry_phrase.map(|p| format!("\"{}\"", p.trim())).or(named.map(|n| format!("it names {n}")));
    let (route, reason) = match (docs_phrase, telemetry_cue, product) {
        (Some(d), Some(t), _) => (Route::Both, format!("asks how the product works (\"{d}\") and about this data ({t})")),
        (Some(d), None, _) => (Route::Docs, format!("asks how the product works (\"{d}\")")),
        (None, Some(t), _) => (Route::Telemetry, format!("asks about this data ({t})")),
        (None, None, Some(p)) => (Route::Docs, format!("names a product feature (\"{p}\")")),
        (None, None, None) => (Route::Telemetry, "no documentation cue: answered from the selection's telemetry".to_string()),
    };
    Routing { route, reason, mentions }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copilot::graph::NodeKind;

    fn route(q: &str) -> Route {
        route_question(q, Vec::new()).route
    }

    #[test]
    fn questions_route_by_their_wording() {
        assert_eq!(route("How does SPOT_WITH_FALLBACK work?"), Route::Docs);
        assert_eq!(route("what is first_on_demand"), Route::Docs);
        assert_eq!(route("photon?"), Route::Docs);
        assert_eq!(route("Why did it fail on Dec 6?"), Route::Telemetry);
        assert_eq!(route("how much did we spend on it"), Route::Telemetry);
        assert_eq!(route("Should we enable autoscaling for this job?"), Route::Both);
        assert_eq!(route("tell me more"), Route::Telemetry);
        let r = route_question("how do I configure it?", Vec::new());
        assert_eq!(r.reason, "asks how the product works (\"how do i\")");
    }

    #[test]
    fn a_named_entity_is_a_telemetry_cue() {
        let m = Mention {
            kind: NodeKind::Job,
            id: "J-FIN-DAILY".into(),
            label: "job Daily Financial Aggregation (J-FIN-DAILY)".into(),
            score: 0.03,
        };
        let r = route_question("what is going on with FIN-DAILY", vec![m]);
        assert_eq!(r.route, Route::Both);
        assert_eq!(
            r.reason,
            "asks how the product works (\"what is\") and about this data (it names job Daily Financial Aggregation (J-FIN-DAILY))"
        );
    }
}
