//! Evidence for a selection: a pure function of (selection, filters, chip, database) that
//! gathers (a) SQL facts about the selected entity, each with a citable id (`[T1]`, `[T2]` …)
//! and the SQL that produced it, (b) the entity's subgraph from the usage graph (`[G1]` …),
//! and (c) documentation chunks (`[D1]` …) when the chip needs them. `Signals` carries the
//! same figures typed, for the offline narrative and its rules.

mod anomaly;
mod common;
mod compute_type;
mod job;

use rusqlite::Connection;
use serde::Serialize;

use crate::base::calendar::Date;
use crate::base::vocab::EntityType;
pub use crate::base::vocab::{DocChunk, DocsSource, EntitySource, Mention, Topic, NAMED_SCORE};
use crate::copilot::ask::Action;
use crate::copilot::graph::{traverse, Budget, NodeKind, Subgraph, UsageGraph};
use crate::copilot::routing::{route_chip, route_question, Routing};
use crate::report::{ReportFilters, ReportResult, ReportSpec, Selection};

/// One SQL fact, citable as `[id]`.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Fact {
    pub id: String,
    pub topic: Topic,
    pub title: String,
    pub text: String,
    /// The SQL that produced the fact, with its parameters.
    pub sql: String,
}

/// Limits that keep a prompt small and focused.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct EvidenceBudget {
    pub max_facts: usize,
    pub max_fact_chars: usize,
    pub max_graph_lines: usize,
    pub max_docs: usize,
    /// Total characters of facts, graph and docs text.
    pub max_chars: usize,
}

impl Default for EvidenceBudget {
    fn default() -> Self {
        EvidenceBudget { max_facts: 10, max_fact_chars: 700, max_graph_lines: 24, max_docs: 4, max_chars: 9000 }
    }
}

/// Typed figures behind the facts, for the offline narrative and its rules. Every number
/// here also appears, formatted the same way, in a fact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Signals {
    pub total_cost: Option<f64>,
    pub share_pct: Option<f64>,
    pub spot_pct: Option<f64>,
    pub runs: Option<i64>,
    pub failed: Option<i64>,
    pub skipped: Option<i64>,
    pub failure_rate_pct: Option<f64>,
    /// (message, count, first date, last date), most frequent first.
    pub top_errors: Vec<(String, i64, String, String)>,
    pub evictions: Option<i64>,
    pub eviction_days: Vec<String>,
    /// Days with more than one run, and the busiest such day (date, runs).
    pub retry_days: Option<(i64, String, i64)>,
    pub mean_minutes: Option<f64>,
    /// (first day of the new level, minutes before, minutes after, change %).
    pub runtime_step: Option<(String, f64, f64, f64)>,
    /// Minutes per day of steady growth, and the same as % of the mean per day.
    pub runtime_slope: Option<(f64, f64)>,
    /// (date, cost) of the most expensive day, and the mean daily cost.
    pub peak_day: Option<(String, f64)>,
    pub mean_daily_cost: Option<f64>,
    /// (date, from, to) of a change of the configured spot share.
    pub spot_change: Option<(String, f64, f64)>,
    pub upstream_failures: Vec<(String, String, String)>,
    pub downstream_skips: Vec<(String, String)>,
    pub autoscaling: Option<bool>,
    pub pool: Option<String>,
    /// (name, cost, share %) of the largest contributors (compute types).
    pub top_entities: Vec<(String, f64, f64)>,
    /// (error, count) of failed SQL queries.
    pub query_errors: Vec<(String, i64)>,
    pub volatility: Option<f64>,
    pub cost_per_run: Option<f64>,
    pub peer_cost_per_run: Option<f64>,
    /// Anomaly: the job or resource it is about.
    pub subject: Option<String>,
    /// Anomaly: (date, actual, expected, z, severity).
    pub anomaly: Option<(String, f64, f64, f64, String)>,
    pub anomaly_deviation: Option<f64>,
    /// Other anomalies of the same entity in range (dates).
    pub other_anomaly_days: Vec<String>,
    pub day_runs: Option<(i64, i64)>,
    pub typical_runs_per_day: Option<f64>,
}

/// Everything a prompt or an offline answer may use, for one selection and chip.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Evidence {
    pub report: String,
    pub report_title: String,
    pub entity_type: EntityType,
    pub entity_id: String,
    pub label: String,
    pub filters: ReportFilters,
    pub facts: Vec<Fact>,
    pub graph: Subgraph,
    pub docs: Vec<DocChunk>,
    /// What answered the docs lookup (corpus size, retrieval mode), for the debug panel.
    pub docs_source: String,
    /// Which corpus answered and why.
    pub routing: Routing,
    #[serde(skip)]
    pub signals: Signals,
    pub budget: EvidenceBudget,
    /// (step, milliseconds).
    pub timings: Vec<(String, f64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("Reading the evidence failed: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// What the evidence is gathered for.
pub struct EvidenceRequest<'a> {
    pub conn: &'a Connection,
    pub graph: &'a UsageGraph,
    pub report: &'a ReportSpec,
    pub result: &'a ReportResult,
    pub selection: &'a Selection,
    /// The chip clicked, or the follow-up asked (whose text is also the docs query).
    pub action: Action<'a>,
    pub docs: Option<&'a dyn DocsSource>,
    /// Finds the entities a follow-up names, to anchor the subgraph on them.
    pub telemetry: Option<&'a dyn EntitySource>,
}

/// Gathers the evidence for a selection.
pub fn gather(req: &EvidenceRequest<'_>) -> Result<Evidence, EvidenceError> {
    let budget = EvidenceBudget::default();
    let filters = req.result.filters.clone();
    let mut timings = Vec::new();
    let started = crate::base::clock::now_ms();
    let mut facts: Vec<Fact> = vec![common::selection_fact(req.report, req.selection)];
    let mut signals = Signals::default();
    let (starts, window) = match req.selection.entity.entity_type {
        EntityType::Job => {
            job::facts(req.conn, &req.selection.entity.entity_id, &filters, &mut facts, &mut signals)?;
            let node = req.graph.find(NodeKind::Job, &req.selection.entity.entity_id);
            (node.into_iter().collect(), (filters.from, filters.to))
        }
        EntityType::ComputeType => {
            let top = compute_type::facts(req.conn, &req.selection.entity.entity_id, &filters, &mut facts, &mut signals)?;
            let kind = if req.selection.entity.entity_id == "JOB_RUN" { NodeKind::Job } else { NodeKind::Compute };
            (top.iter().filter_map(|id| req.graph.find(kind, id)).take(3).collect(), (filters.from, filters.to))
        }
        EntityType::Anomaly => {
            let (kind, id, day) = anomaly::facts(req.conn, req.result, req.selection, &filters, &mut facts, &mut signals)?;
            (req.graph.find(kind, &id).into_iter().collect::<Vec<_>>(), (day, day))
        }
        EntityType::Compute => {
            let node = req.graph.find(NodeKind::Compute, &req.selection.entity.entity_id);
            (node.into_iter().collect(), (filters.from, filters.to))
        }
    };
    signals_from_selection(req.selection, &mut signals);
    timings.push(("facts".to_string(), crate::base::clock::now_ms() - started));

    let started = crate::base::clock::now_ms();
    let routing = match req.action {
        Action::Chip(chip) => route_chip(chip),
        Action::Question(question) => {
            let found = req.telemetry.map(|t| t.find(question, MAX_MENTIONS * 4)).unwrap_or_default();
            route_question(question, anchor_mentions(found, &req.selection.entity.entity_id))
        }
    };
    timings.push(("routing".to_string(), crate::base::clock::now_ms() - started));

    let mut starts = starts;
    if !routing.mentions.is_empty() {
        facts.push(mentions_fact(&routing.mentions));
        for m in &routing.mentions {
            if let Some(ix) = req.graph.find(m.kind, &m.id) {
                if !starts.contains(&ix) {
                    starts.push(ix);
                }
            }
        }
    }
    let started = crate::base::clock::now_ms();
    let graph =
        if routing.route.wants_telemetry() { traverse(req.graph, &starts, window, &Budget::default()) } else { Subgraph::default() };
    timings.push(("graph traversal".to_string(), crate::base::clock::now_ms() - started));

    let focus: &[Topic] = match req.action {
        Action::Chip(chip) => &chip.focus,
        Action::Question(_) => &[Topic::Mentions],
    };
    let mut facts = common::order_and_trim(facts, focus, &budget);
    if !routing.route.wants_telemetry() {
        // A documentation question keeps only what says which entity it is about.
        facts.retain(|f| matches!(f.topic, Topic::Selection | Topic::Configuration | Topic::Mentions));
        common::renumber(&mut facts);
    }

    let started = crate::base::clock::now_ms();
    let docs = match (routing.route.wants_docs(), req.docs) {
        (true, Some(source)) => {
            let query = match req.action {
                Action::Chip(chip) => chip.docs_query.as_deref().unwrap_or_default(),
                Action::Question(question) => question,
            };
            let mut docs = source.search(query, budget.max_docs);
            for (i, d) in docs.iter_mut().enumerate() {
                d.id = format!("D{}", i + 1);
            }
            docs
        }
        _ => Vec::new(),
    };
    let docs_source = match (routing.route.wants_docs(), req.docs) {
        (true, Some(source)) => source.describe(),
        (true, None) => DOCS_NOT_LOADED.to_string(),
        (false, _) => String::new(),
    };
    timings.push(("docs".to_string(), crate::base::clock::now_ms() - started));

    let mut evidence = Evidence {
        report: req.report.key.clone(),
        report_title: req.report.title.clone(),
        entity_type: req.selection.entity.entity_type,
        entity_id: req.selection.entity.entity_id.clone(),
        label: req.selection.label.clone(),
        filters,
        facts,
        graph,
        docs,
        docs_source,
        routing,
        signals,
        budget,
        timings,
    };
    common::fit_budget(&mut evidence);
    Ok(evidence)
}

/// `docs_source` when documentation was wanted but no docs index was available.
pub const DOCS_NOT_LOADED: &str = "documentation not loaded";

/// How many entities a follow-up may anchor on.
pub const MAX_MENTIONS: usize = 3;

/// The mentions kept for a question about the selection `selected` (an entity id, with an
/// anomaly's `@day` ignored): entities the question names come first, then retrieval hits
/// that belong to the selection (its runs, evictions, events), then other hits, each group
/// in retrieval order; at most `MAX_MENTIONS`. "Why did it fail on Dec 6?" about
/// FIN-DAILY thus finds FIN-DAILY's runs of that day before another job's.
pub fn anchor_mentions(found: Vec<Mention>, selected: &str) -> Vec<Mention> {
    let owner = selected.split('@').next().unwrap_or(selected);
    let group = |m: &Mention| {
        if m.score >= NAMED_SCORE {
            0
        } else if !owner.is_empty() && m.id.contains(owner) {
            1
        } else {
            2
        }
    };
    let mut found = found;
    found.sort_by_key(group);
    found.truncate(MAX_MENTIONS);
    found
}

fn mentions_fact(mentions: &[Mention]) -> Fact {
    let named: Vec<String> = mentions.iter().filter(|m| m.score >= NAMED_SCORE).map(|m| m.label.clone()).collect();
    let found: Vec<String> = mentions.iter().filter(|m| m.score < NAMED_SCORE).map(|m| m.label.clone()).collect();
    let mut parts = Vec::new();
    if !named.is_empty() {
        parts.push(format!("The question names {}.", named.join("; ")));
    }
    if !found.is_empty() {
        parts.push(format!("The telemetry records closest to the question: {}.", found.join("; ")));
    }
    Fact {
        id: String::new(),
        topic: Topic::Mentions,
        title: "Entities the question is about".to_string(),
        text: parts.join(" "),
        sql: "telemetry index: hybrid search over one document per entity".to_string(),
    }
}

/// Figures the selected report row already has.
fn signals_from_selection(sel: &Selection, s: &mut Signals) {
    let num = |c: &str| sel.metric(c).and_then(|v| v.as_f64());
    s.total_cost = s.total_cost.or(num("total_cost_usd"));
    s.share_pct = s.share_pct.or(num("share_pct"));
    s.spot_pct = s.spot_pct.or(num("spot_cost_pct"));
    s.volatility = s.volatility.or(num("volatility"));
    if s.evictions.is_none() {
        s.evictions = num("evictions").map(|x| x as i64);
    }
}

impl Evidence {
    /// The fact ids of a topic, for citations.
    pub fn cite(&self, topic: Topic) -> String {
        self.facts.iter().filter(|f| f.topic == topic).map(|f| format!("[{}]", f.id)).collect::<Vec<_>>().join("")
    }

    /// The facts as prompt lines: `[T1] Title: text`.
    pub fn facts_text(&self) -> String {
        self.facts.iter().map(|f| format!("[{}] {}: {}", f.id, f.title, f.text)).collect::<Vec<_>>().join("\n")
    }

    /// The subgraph as prompt lines: summaries, then listed nodes and their links.
    pub fn graph_text(&self) -> String {
        let mut lines: Vec<String> = self.graph.summaries.iter().map(|s| format!("- {s}")).collect();
        for n in &self.graph.nodes {
            let via = self.graph.edges.iter().find(|e| e.to == n.ref_id).map(|e| format!(" ({} {})", e.from, e.kind.name()));
            let mut line = format!("[{}] {} {}", n.ref_id, n.kind, n.id);
            if n.label != n.id {
                line.push_str(&format!(" \"{}\"", n.label));
            }
            if !n.note.is_empty() {
                line.push_str(&format!(": {}", n.note));
            }
            line.push_str(&via.unwrap_or_default());
            lines.push(line);
        }
        if !self.graph.omitted.is_empty() {
            let omitted: Vec<String> = self.graph.omitted.iter().map(|(k, n)| format!("{n} {k}")).collect();
            lines.push(format!("(not listed: {})", omitted.join(", ")));
        }
        lines.join("\n")
    }

    /// The docs chunks as prompt lines: `[D1] Title (URL): text`.
    pub fn docs_text(&self) -> String {
        self.docs.iter().map(|d| format!("[{}] {} ({}): {}", d.id, d.place(" › "), d.url, d.text)).collect::<Vec<_>>().join("\n")
    }

    /// Everything an answer may take its numbers from.
    pub fn all_text(&self) -> String {
        [self.facts_text(), self.graph_text(), self.docs_text()].join("\n")
    }

    pub fn window_days(&self) -> (Date, Date) {
        (self.filters.from, self.filters.to)
    }
}
