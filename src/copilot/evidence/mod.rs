//! Evidence for a selection: a pure function of (selection, filters, chip, database) that
//! gathers (a) SQL facts about the selected entity, each with a citable id (`[T1]`, `[T2]` …)
//! and the SQL that produced it, (b) the entity's subgraph from the usage graph (`[G1]` …),
//! and (c) documentation chunks (`[D1]` …) when the chip needs them. `Signals` carries the
//! same figures typed, for the offline narrative and its rules.

mod anomaly;
mod budget;
mod common;
mod compute;
mod compute_type;
mod job;
mod tag_value;
mod what_if;

use rusqlite::Connection;
use serde::Serialize;

use crate::base::calendar::Date;
use crate::base::vocab::EntityType;
pub use crate::base::vocab::{DocChunk, DocsSource, EntitySource, Mention, Topic, NAMED_SCORE};
use crate::copilot::ask::Action;
use crate::copilot::chips::ChipTemplate;
use crate::copilot::graph::{Budget, GraphSource, NeighbourhoodStats, NodeKind, Subgraph};
use crate::copilot::routing::{route_chip, route_question, Routing};
use crate::report::{ReportFilters, ReportResult, ReportSpec, Selection};
pub use what_if::{counterfactual, Counterfactual, MONTH_DAYS};

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
    /// Estimated tokens of facts, graph and docs text (`copilot::tokens`), so that a prompt
    /// fits a small model's context window with room for the answer.
    pub max_tokens: usize,
}

/// The evidence token budget unless configured otherwise. With the system prompt and the
/// question a prompt stays under about 3,300 tokens; for a 4,096-token context window and
/// an 800-token answer, configure 2,000 (`evidence_tokens` in config.json,
/// `--evidence-tokens` in the CLI).
pub const DEFAULT_EVIDENCE_TOKENS: usize = 3000;

impl Default for EvidenceBudget {
    fn default() -> Self {
        EvidenceBudget {
            max_facts: 10,
            max_fact_chars: 700,
            max_graph_lines: 24,
            max_docs: 4,
            max_chars: 9000,
            max_tokens: DEFAULT_EVIDENCE_TOKENS,
        }
    }
}

impl EvidenceBudget {
    /// The default budget with another token limit.
    pub fn with_tokens(max_tokens: usize) -> EvidenceBudget {
        EvidenceBudget { max_tokens, ..EvidenceBudget::default() }
    }
}

/// Evidence left out of the prompt to fit the budget, lowest priority first out.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Trimmed {
    /// "fact", "graph node" or "doc".
    pub kind: String,
    /// Its id before it was cut (facts beyond `max_facts` never got one: empty).
    pub id: String,
    pub title: String,
    pub reason: String,
}

impl Trimmed {
    fn fact(f: &Fact, reason: String) -> Trimmed {
        Trimmed { kind: "fact".into(), id: f.id.clone(), title: f.title.clone(), reason }
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
    /// (upstream job, day, error, how its run ended in words: "failed" or "skipped").
    pub upstream_failures: Vec<(String, String, String, String)>,
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
    /// A cluster or warehouse: busy hours ÷ up hours of its sessions, in %.
    #[serde(default)]
    pub busy_pct: Option<f64>,
    /// Minutes a session stayed up on average after its last statement ended.
    #[serde(default)]
    pub idle_tail_minutes: Option<f64>,
    #[serde(default)]
    pub auto_termination_mins: Option<i64>,
    /// What its idle time costs per month (the selected row's figure).
    #[serde(default)]
    pub idle_cost_per_month: Option<f64>,
    /// Tag value: the raw spellings grouped into it, most spend first.
    #[serde(default)]
    pub tag_spellings: Vec<String>,
    /// Tag value: the share of all spend that carries no value of the key, in %.
    #[serde(default)]
    pub untagged_share_pct: Option<f64>,
    /// A budget's month: (spent so far, budget, forecast, forecast high, status, days left,
    /// daily spend that keeps it under).
    pub budget: Option<BudgetStanding>,
    /// A What if chip's computed counterfactual.
    #[serde(default)]
    pub what_if: Option<Counterfactual>,
}

/// A budget's month as its report row states it.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct BudgetStanding {
    pub spent: f64,
    pub budget: f64,
    pub forecast: f64,
    pub forecast_high: f64,
    pub status: String,
    pub days_left: i64,
    pub allowed_daily: Option<f64>,
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
    /// What was read from the database to cut the subgraph (`None` when it was cut from a
    /// whole graph or not wanted); for the timings, not part of an evidence pack.
    #[serde(skip)]
    pub graph_read: Option<NeighbourhoodStats>,
    pub docs: Vec<DocChunk>,
    /// What answered the docs lookup (corpus size, retrieval mode), for the debug panel.
    pub docs_source: String,
    /// Which corpus answered and why.
    pub routing: Routing,
    /// Crosses to the page with the rest (the checks' coverage reads it).
    #[serde(default)]
    pub signals: Signals,
    pub budget: EvidenceBudget,
    /// What was left out to fit the budget.
    #[serde(default)]
    pub trimmed: Vec<Trimmed>,
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
    /// Where the subgraph is cut from: the selection's neighbourhood read from `conn`, or
    /// a whole graph built beforehand.
    pub graph: GraphSource<'a>,
    pub report: &'a ReportSpec,
    pub result: &'a ReportResult,
    pub selection: &'a Selection,
    /// The chip clicked, or the follow-up asked (whose text is also the docs query).
    pub action: Action<'a>,
    pub docs: Option<&'a dyn DocsSource>,
    /// Finds the entities a follow-up names, to anchor the subgraph on them.
    pub telemetry: Option<&'a dyn EntitySource>,
    pub budget: EvidenceBudget,
}

/// Gathers the evidence for a selection.
pub fn gather(req: &EvidenceRequest<'_>) -> Result<Evidence, EvidenceError> {
    let budget = req.budget.clone();
    let filters = req.result.filters.clone();
    let mut timings = Vec::new();
    let started = crate::base::clock::now_ms();
    let mut facts: Vec<Fact> = vec![common::selection_fact(req.report, req.selection)];
    let mut signals = Signals::default();
    let entity_id = &req.selection.entity.entity_id;
    let (starts, window): (Vec<(NodeKind, String)>, _) = match req.selection.entity.entity_type {
        EntityType::Job => {
            job::facts(req.conn, entity_id, &filters, &mut facts, &mut signals)?;
            (vec![(NodeKind::Job, entity_id.clone())], (filters.from, filters.to))
        }
        EntityType::ComputeType => {
            let top = compute_type::facts(req.conn, entity_id, &filters, &mut facts, &mut signals)?;
            let kind = if entity_id == "JOB_RUN" { NodeKind::Job } else { NodeKind::Compute };
            let mut starts = Vec::new();
            for id in top {
                if starts.len() < 3 && req.graph.contains(kind, &id)? {
                    starts.push((kind, id));
                }
            }
            (starts, (filters.from, filters.to))
        }
        EntityType::Anomaly => {
            let (kind, id, day) = anomaly::facts(req.conn, req.result, req.selection, &filters, &mut facts, &mut signals)?;
            (vec![(kind, id)], (day, day))
        }
        EntityType::Compute => {
            compute::facts(req.conn, entity_id, &filters, &mut facts, &mut signals)?;
            (vec![(NodeKind::Compute, entity_id.clone())], (filters.from, filters.to))
        }
        EntityType::Budget => {
            let top = budget::facts(req.conn, entity_id, &filters, &mut facts, &mut signals)?;
            let mut starts = Vec::new();
            for (kind, id) in top {
                if starts.len() < 3 && req.graph.contains(kind, &id)? {
                    starts.push((kind, id));
                }
            }
            let (month_start, _) = crate::report::forecast::month_of(filters.to);
            (starts, (month_start, filters.to))
        }
        EntityType::TagValue => {
            // A tag value is no node of the graph: its subgraph starts at its largest jobs.
            let top = tag_value::facts(req.conn, req.selection, req.result, &filters, &mut facts, &mut signals)?;
            let mut starts = Vec::new();
            for id in top {
                if starts.len() < 3 && req.graph.contains(NodeKind::Job, &id)? {
                    starts.push((NodeKind::Job, id));
                }
            }
            (starts, (filters.from, filters.to))
        }
    };
    if let Action::Chip(ChipTemplate { what_if: Some(w), .. }) = req.action {
        what_if::facts(req.conn, *w, req.selection, &filters, &mut facts, &mut signals)?;
    }
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
            let start = (m.kind, m.id.clone());
            if !starts.contains(&start) {
                starts.push(start);
            }
        }
    }
    let started = crate::base::clock::now_ms();
    let (graph, graph_read) = if routing.route.wants_telemetry() {
        req.graph.subgraph(&starts, window, &Budget::default())?
    } else {
        (Subgraph::default(), None)
    };
    timings.push(("graph traversal".to_string(), crate::base::clock::now_ms() - started));

    let focus: &[Topic] = match req.action {
        Action::Chip(chip) => &chip.focus,
        Action::Question(_) => &[Topic::Mentions],
    };
    let (mut facts, trimmed) = common::order_and_trim(facts, focus, &budget);
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
        graph_read,
        docs,
        docs_source,
        routing,
        signals,
        budget,
        trimmed,
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
    s.idle_cost_per_month = s.idle_cost_per_month.or(num("idle_cost_per_month_usd"));
    if s.evictions.is_none() {
        s.evictions = num("evictions").map(|x| x as i64);
    }
    if let (Some(spent), Some(budget), Some(forecast), Some(forecast_high), Some(status)) =
        (num("to_date"), num("budget_usd"), num("forecast"), num("forecast_high"), sel.metric("status"))
    {
        s.budget = Some(BudgetStanding {
            spent,
            budget,
            forecast,
            forecast_high,
            status: status.to_string(),
            days_left: num("days_left").unwrap_or(0.0) as i64,
            allowed_daily: num("allowed_daily"),
        });
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

    /// The subgraph as prompt lines: summaries, then listed nodes and their links, runs of
    /// near-duplicate nodes (same kind and link, notes differing only in ids and times)
    /// aggregated into one line.
    pub fn graph_text(&self) -> String {
        self.graph_lines().into_iter().map(|(_, line)| line).collect::<Vec<_>>().join("\n")
    }

    /// The subgraph's prompt lines with the node ids each stands for (none for the
    /// summaries, which describe the whole neighbourhood): what `[G…]` citations point at.
    pub fn graph_lines(&self) -> Vec<(Vec<String>, String)> {
        let mut lines: Vec<(Vec<String>, String)> = self.graph.summaries.iter().map(|s| (Vec::new(), format!("- {s}"))).collect();
        let via = |n: &crate::copilot::graph::SubNode| self.graph.edges.iter().find(|e| e.to == n.ref_id);
        let nodes = &self.graph.nodes;
        let mut i = 0;
        while i < nodes.len() {
            let n = &nodes[i];
            let fields = |note: &str| note.split(", ").count();
            let mut j = i + 1;
            while j < nodes.len()
                && nodes[j].kind == n.kind
                && nodes[j].label == nodes[j].id
                && n.label == n.id
                && !n.note.is_empty()
                && fields(&nodes[j].note) == fields(&n.note)
                && via(&nodes[j]).map(|e| e.kind) == via(n).map(|e| e.kind)
            {
                j += 1;
            }
            if j - i >= 3 {
                lines.push(group_line(&nodes[i..j], &via));
                i = j;
                continue;
            }
            let mut line = format!("[{}] {} {}", n.ref_id, n.kind, n.id);
            if n.label != n.id {
                line.push_str(&format!(" \"{}\"", n.label));
            }
            if !n.note.is_empty() {
                line.push_str(&format!(": {}", n.note));
            }
            if let Some(e) = via(n) {
                line.push_str(&format!(" ({} {})", e.from, e.kind.name()));
            }
            lines.push((vec![n.ref_id.clone()], line));
            i += 1;
        }
        if !self.graph.omitted.is_empty() {
            let omitted: Vec<String> = self.graph.omitted.iter().map(|(k, n)| format!("{n} {k}")).collect();
            lines.push((Vec::new(), format!("(not listed: {})", omitted.join(", "))));
        }
        lines
    }

    /// The docs chunks as prompt lines: `[D1] Title (URL): text`.
    pub fn docs_text(&self) -> String {
        self.docs.iter().map(|d| format!("[{}] {} ({}): {}", d.id, d.place(" › "), d.url, d.text)).collect::<Vec<_>>().join("\n")
    }

    /// Everything an answer may take its numbers from.
    pub fn all_text(&self) -> String {
        [self.facts_text(), self.graph_text(), self.docs_text()].join("\n")
    }

    /// The retrieval mode that found the documentation ("BM25", "hybrid (BM25 + dense,
    /// RRF)"), when documentation was searched.
    pub fn retrieval_mode(&self) -> Option<&str> {
        self.docs_source.split_once(" pages, ").map(|(_, mode)| mode)
    }

    /// Estimated tokens of the evidence sections (see `copilot::tokens`).
    pub fn tokens(&self) -> usize {
        crate::copilot::tokens::estimate(&self.all_text())
    }

    pub fn window_days(&self) -> (Date, Date) {
        (self.filters.from, self.filters.to)
    }
}

/// One line for a run of near-duplicate nodes: what they share once, then each node's
/// id (citable) with what differs. Fields are the note's comma-separated parts; a part
/// that differs only after its first word (`FAILED 2025-12-11 10:28:26`) shares the word.
fn group_line<'a>(
    group: &'a [crate::copilot::graph::SubNode],
    via: &dyn Fn(&'a crate::copilot::graph::SubNode) -> Option<&'a crate::copilot::graph::SubEdge>,
) -> (Vec<String>, String) {
    let notes: Vec<Vec<&str>> = group.iter().map(|n| n.note.split(", ").collect()).collect();
    let width = notes[0].len();
    let mut common: Vec<String> = Vec::new();
    // Per field: None = the same in all; Some(skip) = differs after `skip` bytes.
    let mut varying: Vec<Option<usize>> = Vec::new();
    for f in 0..width {
        let first = notes[0][f];
        if notes.iter().all(|n| n[f] == first) {
            common.push(first.to_string());
            varying.push(None);
            continue;
        }
        let word = first.split(' ').next().unwrap_or_default();
        let shared = !word.is_empty() && word.len() < first.len() && notes.iter().all(|n| n[f].starts_with(&format!("{word} ")));
        if shared {
            common.push(word.to_string());
            varying.push(Some(word.len() + 1));
        } else {
            varying.push(Some(0));
        }
    }
    let froms: Vec<Option<&str>> = group.iter().map(|n| via(n).map(|e| e.from.as_str())).collect();
    let one_from = froms.iter().all(|f| *f == froms[0]);
    let refs: Vec<u32> = group.iter().filter_map(|n| n.ref_id.strip_prefix('G').and_then(|d| d.parse().ok())).collect();
    let consecutive = refs.len() == group.len() && refs.windows(2).all(|w| w[1] == w[0] + 1);
    let head = if consecutive {
        format!("[{}–{}]", group[0].ref_id, group[group.len() - 1].ref_id)
    } else {
        format!("[{}]", group.iter().map(|n| n.ref_id.as_str()).collect::<Vec<_>>().join(", "))
    };
    let mut line = format!("{head} {}", group[0].kind);
    if let (true, Some(e)) = (one_from, via(&group[0])) {
        line.push_str(&format!(" ({} {})", e.from, e.kind.name()));
    }
    if !common.is_empty() {
        line.push_str(&format!(", each {}", common.join(", ")));
    }
    let items: Vec<String> = group
        .iter()
        .zip(&notes)
        .zip(&froms)
        .map(|((n, fields), from)| {
            let mut item = format!("{} {}", n.ref_id, n.id);
            for (f, v) in varying.iter().enumerate() {
                if let Some(skip) = v {
                    item.push_str(&format!(" {}", &fields[f][*skip..]));
                }
            }
            if let (false, Some(from)) = (one_from, from) {
                item.push_str(&format!(" (from {from})"));
            }
            item
        })
        .collect();
    line.push_str(&format!(": {}", items.join("; ")));
    (group.iter().map(|n| n.ref_id.clone()).collect(), line)
}
