//! The usage graph: every workspace, user, job, run, pool, cluster or warehouse, usage
//! row, event, eviction and query of a loaded database as nodes of a petgraph, with typed
//! edges both ways (job→job dependencies and run→pool included). `traverse` cuts a
//! deterministic, budgeted subgraph around a selection. An answer reads only the
//! selection's neighbourhood from the database (`neighbourhood`, a graph of the same nodes
//! and edges as far as the traversal can reach); the whole graph (`build`) is for exports
//! and for checking the neighbourhood against.

mod build;
mod neighbourhood;
mod traverse;

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use rusqlite::Connection;

use crate::base::calendar::{Date, Timestamp};

pub use build::{build, BuildStats};
pub use neighbourhood::{neighbourhood, NeighbourhoodStats};
pub use traverse::{traverse, Budget, SubEdge, SubNode, Subgraph};

pub use crate::base::vocab::NodeKind;

/// Typed edges; every relation is stored in both directions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    InWorkspace,
    WorkspaceHas,
    RunOf,
    HasRun,
    DependsOn,
    DependedOnBy,
    UsesPool,
    PoolServes,
    UsageOf,
    HasUsage,
    OnUsage,
    HasEvent,
    RecordsEviction,
    RecordedBy,
    TriggeredBy,
    Triggered,
    RanOn,
    RanQuery,
    SubmittedBy,
    Submitted,
}

impl EdgeKind {
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::InWorkspace => "in workspace",
            EdgeKind::WorkspaceHas => "workspace has",
            EdgeKind::RunOf => "run of",
            EdgeKind::HasRun => "has run",
            EdgeKind::DependsOn => "depends on",
            EdgeKind::DependedOnBy => "upstream of",
            EdgeKind::UsesPool => "uses pool",
            EdgeKind::PoolServes => "pool serves",
            EdgeKind::UsageOf => "usage of",
            EdgeKind::HasUsage => "has usage",
            EdgeKind::OnUsage => "event on usage",
            EdgeKind::HasEvent => "has event",
            EdgeKind::RecordsEviction => "records eviction",
            EdgeKind::RecordedBy => "recorded by",
            EdgeKind::TriggeredBy => "triggered by",
            EdgeKind::Triggered => "triggered",
            EdgeKind::RanOn => "ran on",
            EdgeKind::RanQuery => "ran query",
            EdgeKind::SubmittedBy => "submitted by",
            EdgeKind::Submitted => "submitted",
        }
    }
}

/// What the traversal and its summaries need to know about a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Detail {
    None,
    Run { status: Box<str>, start: Timestamp, duration_ms: i64, error: Option<u32>, spot_ratio: f32 },
    Usage { date: Date, cost: f64 },
    Event { event_type: Box<str>, time: Timestamp },
    Eviction { time: Timestamp, reason: Option<u32> },
    Query { start: Timestamp, duration_ms: i64, error: Option<u32> },
    Compute { compute_type: Box<str> },
}

impl Detail {
    /// The day a dated node belongs to.
    pub fn date(&self) -> Option<Date> {
        match self {
            Detail::Run { start, .. } | Detail::Query { start, .. } => Some(start.date()),
            Detail::Event { time, .. } | Detail::Eviction { time, .. } => Some(time.date()),
            Detail::Usage { date, .. } => Some(*date),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub id: Box<str>,
    pub label: Box<str>,
    pub detail: Detail,
}

/// The graph of one database.
pub struct UsageGraph {
    pub graph: DiGraph<Node, EdgeKind>,
    index: HashMap<(NodeKind, Box<str>), NodeIndex>,
    /// Interned error messages and eviction reasons.
    strings: Vec<String>,
    pub stats: BuildStats,
}

impl UsageGraph {
    pub fn find(&self, kind: NodeKind, id: &str) -> Option<NodeIndex> {
        self.index.get(&(kind, Box::<str>::from(id))).copied()
    }

    pub fn node(&self, ix: NodeIndex) -> &Node {
        &self.graph[ix]
    }

    /// An interned string (error message, eviction reason).
    pub fn text(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }
}

/// Where the subgraph around a selection is cut from.
#[derive(Clone, Copy)]
pub enum GraphSource<'a> {
    /// The selection's neighbourhood, read from this database for each answer.
    Database(&'a Connection),
    /// A whole graph built beforehand.
    Whole(&'a UsageGraph),
}

impl GraphSource<'_> {
    /// Whether the node (`kind`, `id`) exists.
    pub fn contains(&self, kind: NodeKind, id: &str) -> rusqlite::Result<bool> {
        match self {
            GraphSource::Whole(g) => Ok(g.find(kind, id).is_some()),
            GraphSource::Database(conn) => {
                let (columns, key) = build::table_of(kind);
                let sql = format!("SELECT EXISTS (SELECT {columns} WHERE {key} = ?1)");
                conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0))
            }
        }
    }

    /// The subgraph around `starts` (in order; nodes that do not exist are left out), keeping
    /// dated nodes within `window`, and what was read for it (`None` from a whole graph).
    pub fn subgraph(
        &self,
        starts: &[(NodeKind, String)],
        window: (Date, Date),
        budget: &Budget,
    ) -> rusqlite::Result<(Subgraph, Option<NeighbourhoodStats>)> {
        match self {
            GraphSource::Whole(g) => {
                let nodes: Vec<NodeIndex> = starts.iter().filter_map(|(kind, id)| g.find(*kind, id)).collect();
                Ok((traverse(g, &nodes, window, budget), None))
            }
            GraphSource::Database(conn) => {
                let (g, nodes, stats) = neighbourhood(conn, starts, window, budget.max_depth)?;
                Ok((traverse(&g, &nodes, window, budget), Some(stats)))
            }
        }
    }
}
