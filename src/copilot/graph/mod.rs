//! The usage graph: every workspace, user, job, run, pool, cluster or warehouse, usage
//! row, event, eviction and query of a loaded database as nodes of a petgraph, with typed
//! edges both ways (job→job dependencies and run→pool included). Built once per loaded
//! database; `traverse` cuts a deterministic, budgeted subgraph around a selection.

mod build;
mod traverse;

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::base::calendar::{Date, Timestamp};

pub use build::{build, BuildStats};
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
