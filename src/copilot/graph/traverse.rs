//! A deterministic, budgeted subgraph around the selected node(s).
//!
//! One breadth-first walk reaches every node within `max_depth` hops whose date (if it
//! has one) falls in the window. Hubs — workspaces, instance pools, system users — are
//! reached but never expanded, so a job's subgraph does not swallow its whole workspace.
//! Everything reached is aggregated per edge path ("job → has run → job_run: 72 (45
//! SUCCESS, 27 FAILED) …"); only a budgeted selection of nodes, most telling first (failed
//! runs, evictions, costly usage), is listed one by one. Neighbours are visited in a fixed
//! order (edge kind, priority, id), so the same input always gives the same subgraph.

use std::collections::{BTreeMap, HashMap};

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::{Detail, EdgeKind, Node, NodeKind, UsageGraph};
use crate::base::calendar::Date;
use crate::base::format::{thousands, usd};

/// How much of the subgraph is listed node by node.
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    /// Listed nodes per kind, indexed by `NodeKind::index()`.
    pub per_kind: [usize; 10],
    pub max_depth: usize,
    pub max_nodes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        let mut per_kind = [0; 10];
        for (kind, n) in [
            (NodeKind::Workspace, 1),
            (NodeKind::User, 3),
            (NodeKind::Job, 6),
            (NodeKind::JobRun, 8),
            (NodeKind::InstancePool, 2),
            (NodeKind::Compute, 4),
            (NodeKind::ComputeUsage, 3),
            (NodeKind::Event, 5),
            (NodeKind::Eviction, 5),
            (NodeKind::SqlQuery, 6),
        ] {
            per_kind[kind.index()] = n;
        }
        Budget { per_kind, max_depth: 4, max_nodes: 40 }
    }
}

/// A listed node, with a short description.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct SubNode {
    /// Citable id: G1, G2, …
    pub ref_id: String,
    pub kind: NodeKind,
    pub id: String,
    pub label: String,
    pub depth: usize,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct SubEdge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
}

/// The selection's neighbourhood, ready for a prompt.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Subgraph {
    pub nodes: Vec<SubNode>,
    pub edges: Vec<SubEdge>,
    /// One line per edge path: counts and breakdowns of everything reached.
    pub summaries: Vec<String>,
    /// Nodes reached but not listed, per kind.
    pub omitted: BTreeMap<NodeKind, usize>,
    pub reached: usize,
}

fn is_hub(g: &UsageGraph, ix: NodeIndex) -> bool {
    is_hub_node(g.node(ix))
}

/// Workspaces, instance pools and system users: reached but never expanded.
pub(super) fn is_hub_node(node: &Node) -> bool {
    match node.kind {
        NodeKind::Workspace | NodeKind::InstancePool => true,
        NodeKind::User => node.id.contains("SYSTEM") || node.label.to_ascii_lowercase().contains("system"),
        _ => false,
    }
}

/// The system user: a hub that says nothing, never reached from another node.
pub(super) fn is_skipped(node: &Node) -> bool {
    node.kind == NodeKind::User && is_hub_node(node)
}

/// Sort key within a kind: the most telling first.
fn priority(g: &UsageGraph, ix: NodeIndex) -> (u8, i64, String) {
    let node = g.node(ix);
    let id = node.id.to_string();
    match &node.detail {
        Detail::Run { status, start, .. } => {
            let rank = match &**status {
                "FAILED" => 0,
                "SKIPPED" => 1,
                _ => 2,
            };
            (rank, -start.unix_seconds(), id)
        }
        Detail::Event { event_type, time } => (u8::from(&**event_type != "SPOT_EVICTION"), -time.unix_seconds(), id),
        Detail::Eviction { time, .. } => (0, -time.unix_seconds(), id),
        Detail::Usage { cost, .. } => (0, -(cost * 100.0).round() as i64, id),
        Detail::Query { error, duration_ms, .. } => (u8::from(error.is_none()), -duration_ms, id),
        _ => (0, 0, id),
    }
}

/// Nodes that explain trouble and are listed before ordinary ones.
fn is_signal(g: &UsageGraph, ix: NodeIndex) -> bool {
    match &g.node(ix).detail {
        Detail::Run { status, .. } => &**status == "FAILED" || &**status == "SKIPPED",
        Detail::Event { event_type, .. } => &**event_type == "SPOT_EVICTION",
        Detail::Eviction { .. } => true,
        Detail::Query { error, .. } => error.is_some(),
        _ => false,
    }
}

fn describe(g: &UsageGraph, ix: NodeIndex) -> String {
    let node = g.node(ix);
    match &node.detail {
        Detail::Run { status, start, duration_ms, error, spot_ratio } => {
            let mut s = format!("{status} {start}, {:.1} min, spot {:.0}%", *duration_ms as f64 / 60_000.0, spot_ratio * 100.0);
            if let Some(e) = error {
                s.push_str(&format!(", error \"{}\"", g.text(*e)));
            }
            s
        }
        Detail::Usage { date, cost } => format!("{date}, {}", usd(*cost)),
        Detail::Event { event_type, time } => format!("{event_type} {time}"),
        Detail::Eviction { time, reason } => {
            format!("{time}{}", reason.map(|r| format!(", {}", g.text(r))).unwrap_or_default())
        }
        Detail::Query { start, duration_ms, error } => {
            let mut s = format!("{start}, {:.1} s", *duration_ms as f64 / 1000.0);
            if let Some(e) = error {
                s.push_str(&format!(", error \"{}\"", g.text(*e)));
            }
            s
        }
        Detail::Compute { compute_type } => compute_type.to_string(),
        Detail::None => String::new(),
    }
}

struct Reached {
    ix: NodeIndex,
    depth: usize,
    parent: Option<usize>,
    via: Option<EdgeKind>,
    /// (edge, node kind) of each hop from the start to here.
    path: Vec<(EdgeKind, NodeKind)>,
    start_kind: NodeKind,
}

/// The subgraph around `starts`, keeping dated nodes within `window` (inclusive).
pub fn traverse(g: &UsageGraph, starts: &[NodeIndex], window: (Date, Date), budget: &Budget) -> Subgraph {
    let in_window = |ix: NodeIndex| g.node(ix).detail.date().is_none_or(|d| d >= window.0 && d <= window.1);
    let mut reached: Vec<Reached> = Vec::new();
    let mut seen: HashMap<NodeIndex, usize> = HashMap::new();
    for &s in starts {
        if seen.contains_key(&s) {
            continue;
        }
        seen.insert(s, reached.len());
        reached.push(Reached { ix: s, depth: 0, parent: None, via: None, path: Vec::new(), start_kind: g.node(s).kind });
    }
    let mut level_start = 0;
    for depth in 0..budget.max_depth {
        let level_end = reached.len();
        for at in level_start..level_end {
            let ix = reached[at].ix;
            if is_hub(g, ix) {
                continue;
            }
            let mut next: Vec<(EdgeKind, (u8, i64, String), NodeIndex)> = g
                .graph
                .edges(ix)
                .filter(|e| !seen.contains_key(&e.target()) && in_window(e.target()))
                .map(|e| (*e.weight(), priority(g, e.target()), e.target()))
                .collect();
            next.sort();
            for (edge, _, target) in next {
                if seen.contains_key(&target) {
                    continue;
                }
                // The system user is a hub that says nothing: leave it out entirely.
                if is_skipped(g.node(target)) {
                    continue;
                }
                seen.insert(target, reached.len());
                let mut path = reached[at].path.clone();
                path.push((edge, g.node(target).kind));
                reached.push(Reached {
                    ix: target,
                    depth: depth + 1,
                    parent: Some(at),
                    via: Some(edge),
                    path,
                    start_kind: reached[at].start_kind,
                });
            }
        }
        level_start = level_end;
    }

    // Listing: first the signal nodes (failures, skips, evictions, failed queries) at any
    // depth with the ancestors that lead to them, then the rest in BFS order, all within
    // the per-kind budgets and the node cap.
    let mut chosen = vec![false; reached.len()];
    let mut used = [0usize; 10];
    let mut count = 0usize;
    let fits = |i: usize, chosen: &[bool], used: &[usize; 10], count: usize| -> Option<Vec<usize>> {
        let mut chain = Vec::new();
        let mut at = Some(i);
        while let Some(j) = at.filter(|&j| !chosen[j]) {
            chain.push(j);
            at = reached[j].parent;
        }
        let mut need = [0usize; 10];
        for &j in &chain {
            if reached[j].depth > 0 {
                need[g.node(reached[j].ix).kind.index()] += 1;
            }
        }
        let within = (0..10).all(|k| used[k] + need[k] <= budget.per_kind[k]) && count + chain.len() <= budget.max_nodes;
        within.then_some(chain)
    };
    for pass in [true, false] {
        for i in 0..reached.len() {
            if chosen[i] || (pass && !is_signal(g, reached[i].ix) && reached[i].depth > 0) {
                continue;
            }
            if let Some(chain) = fits(i, &chosen, &used, count) {
                for j in chain {
                    chosen[j] = true;
                    count += 1;
                    if reached[j].depth > 0 {
                        used[g.node(reached[j].ix).kind.index()] += 1;
                    }
                }
            }
        }
    }
    let mut ref_of: Vec<Option<String>> = vec![None; reached.len()];
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut omitted: BTreeMap<NodeKind, usize> = BTreeMap::new();
    for (i, r) in reached.iter().enumerate() {
        let node = g.node(r.ix);
        if !chosen[i] {
            *omitted.entry(node.kind).or_default() += 1;
            continue;
        }
        let ref_id = format!("G{}", nodes.len() + 1);
        if let (Some(p), Some(via)) = (r.parent, r.via) {
            edges.push(SubEdge { from: ref_of[p].clone().expect("ancestors are chosen first"), to: ref_id.clone(), kind: via });
        }
        nodes.push(SubNode {
            ref_id: ref_id.clone(),
            kind: node.kind,
            id: node.id.to_string(),
            label: node.label.to_string(),
            depth: r.depth,
            note: describe(g, r.ix),
        });
        ref_of[i] = Some(ref_id);
    }
    Subgraph { summaries: summarize(g, &reached), nodes, edges, omitted, reached: reached.len() }
}

/// The nodes reached by one edge path: (path, kind of the start node, nodes).
type PathGroup = (Vec<(EdgeKind, NodeKind)>, NodeKind, Vec<NodeIndex>);

/// One line per edge path (in order of first appearance) with counts and breakdowns.
fn summarize(g: &UsageGraph, reached: &[Reached]) -> Vec<String> {
    let mut groups: Vec<PathGroup> = Vec::new();
    for r in reached.iter().filter(|r| r.depth > 0) {
        match groups.iter_mut().find(|(p, _, _)| *p == r.path) {
            Some((_, _, members)) => members.push(r.ix),
            None => groups.push((r.path.clone(), r.start_kind, vec![r.ix])),
        }
    }
    groups
        .into_iter()
        .map(|(path, start_kind, members)| {
            let mut line = start_kind.name().to_string();
            for (edge, kind) in &path {
                line.push_str(&format!(" → {} → {kind}", edge.name()));
            }
            let kind = g.node(members[0]).kind;
            line.push_str(&format!(": {}", thousands(members.len() as u64)));
            let detail = breakdown(g, kind, &members);
            if !detail.is_empty() {
                line.push(' ');
                line.push_str(&detail);
            }
            line
        })
        .collect()
}

fn count_by(items: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn list(counts: &[(String, usize)]) -> String {
    counts.iter().map(|(k, n)| format!("{} {k}", thousands(*n as u64))).collect::<Vec<_>>().join(", ")
}

fn dates_of(g: &UsageGraph, members: &[NodeIndex]) -> String {
    let mut dates: Vec<String> = members.iter().filter_map(|&m| g.node(m).detail.date()).map(|d| d.to_string()).collect();
    dates.sort();
    dates.dedup();
    dates.join(", ")
}

fn breakdown(g: &UsageGraph, kind: NodeKind, members: &[NodeIndex]) -> String {
    let details = || members.iter().map(|&m| &g.node(m).detail);
    match kind {
        NodeKind::JobRun => {
            let statuses = count_by(details().filter_map(|d| match d {
                Detail::Run { status, .. } => Some(status.to_string()),
                _ => None,
            }));
            let mut s = format!("({})", list(&statuses));
            let failed: Vec<NodeIndex> = members
                .iter()
                .copied()
                .filter(|&m| matches!(&g.node(m).detail, Detail::Run { status, .. } if &**status == "FAILED"))
                .collect();
            let failed_days = dates_of(g, &failed);
            if !failed.is_empty() && failed_days.split(", ").count() <= 12 {
                s.push_str(&format!("; failed on {failed_days}"));
            }
            let errors = count_by(details().filter_map(|d| match d {
                Detail::Run { error: Some(e), status, .. } if &**status != "SKIPPED" => Some(g.text(*e).to_string()),
                _ => None,
            }));
            if let Some((e, n)) = errors.first() {
                s.push_str(&format!("; most common error \"{e}\" ({})", thousands(*n as u64)));
            }
            s
        }
        NodeKind::ComputeUsage => {
            let total: f64 = details().map(|d| if let Detail::Usage { cost, .. } = d { *cost } else { 0.0 }).sum();
            format!("rows costing {} in all", usd(total))
        }
        NodeKind::Event => format!(
            "({})",
            list(&count_by(details().filter_map(|d| match d {
                Detail::Event { event_type, .. } => Some(event_type.to_string()),
                _ => None,
            })))
        ),
        NodeKind::Eviction => {
            let reasons = count_by(details().filter_map(|d| match d {
                Detail::Eviction { reason, .. } => Some(reason.map(|r| g.text(r).to_string()).unwrap_or_else(|| "unknown reason".into())),
                _ => None,
            }));
            format!("({}) on {}", list(&reasons), dates_of(g, members))
        }
        NodeKind::SqlQuery => {
            let errors = count_by(details().filter_map(|d| match d {
                Detail::Query { error: Some(e), .. } => Some(g.text(*e).to_string()),
                _ => None,
            }));
            let failed: usize = errors.iter().map(|(_, n)| n).sum();
            let mut s = format!("({} failed)", thousands(failed as u64));
            if let Some((e, n)) = errors.first() {
                s.push_str(&format!("; most common error \"{e}\" ({})", thousands(*n as u64)));
            }
            s
        }
        NodeKind::Job | NodeKind::Compute | NodeKind::InstancePool | NodeKind::Workspace | NodeKind::User => {
            let mut ids: Vec<String> = members.iter().map(|&m| g.node(m).id.to_string()).collect();
            ids.sort();
            let shown = ids.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
            if ids.len() > 6 {
                format!("({shown}, …)")
            } else {
                format!("({shown})")
            }
        }
    }
}
