//! Building the usage graph from the usage tables: one pass per table, nodes first, then
//! edges to nodes that exist (references to missing rows are counted, not guessed). The
//! columns read per table and how a row becomes a node are shared with `neighbourhood`,
//! which reads the same rows for one selection only.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use rusqlite::{Connection, Row};

use super::{Detail, EdgeKind, Node, NodeKind, UsageGraph};
use crate::base::calendar::{Date, Timestamp};

/// What was built, and how long it took.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct BuildStats {
    pub nodes: usize,
    pub edges: usize,
    /// References to rows that do not exist (left out of the graph).
    pub dangling: usize,
    pub build_ms: f64,
}

/// The columns each table's rows are read with (the `read_*` functions expect them in this
/// order), and the table's key column.
pub(super) const WORKSPACE: (&str, &str) = ("workspace_id, workspace_name FROM workspace", "workspace_id");
pub(super) const USER: (&str, &str) = ("user_id, name, workspace_id FROM users_lookup", "user_id");
pub(super) const POOL: (&str, &str) = ("instance_pool_id, pool_name FROM instance_pools", "instance_pool_id");
pub(super) const COMPUTE: (&str, &str) = ("compute_id, compute_name, compute_type, workspace_id FROM non_job_compute", "compute_id");
pub(super) const JOB: (&str, &str) = ("job_id, job_name, workspace_id FROM jobs", "job_id");
pub(super) const RUN: (&str, &str) = (
    "job_run_id, job_id, start_time, COALESCE(duration_ms, 0), run_status, error_summary, instance_pool_id,
            COALESCE(spot_ratio, 0) FROM job_runs",
    "job_run_id",
);
pub(super) const USAGE: (&str, &str) =
    ("compute_usage_id, parent_id, parent_type, usage_date, COALESCE(total_cost, 0) FROM compute_usage", "compute_usage_id");
pub(super) const EVICTION: (&str, &str) = ("eviction_id, eviction_time, eviction_reason FROM eviction_details", "eviction_id");
pub(super) const EVENT: (&str, &str) = ("event_id, compute_usage_id, event_time, event_type, user_id, eviction_id FROM events", "event_id");
pub(super) const QUERY: (&str, &str) =
    ("query_id, parent_id, user_id, start_time, COALESCE(duration_ms, 0), error_message FROM sql_query_history", "query_id");

/// The table a node kind's rows live in (its columns and key).
pub(super) fn table_of(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Workspace => WORKSPACE,
        NodeKind::User => USER,
        NodeKind::InstancePool => POOL,
        NodeKind::Compute => COMPUTE,
        NodeKind::Job => JOB,
        NodeKind::JobRun => RUN,
        NodeKind::ComputeUsage => USAGE,
        NodeKind::Eviction => EVICTION,
        NodeKind::Event => EVENT,
        NodeKind::SqlQuery => QUERY,
    }
}

/// What a row refers to, by kind and id (forward references only; `None`: no reference).
pub(super) type References = Vec<(NodeKind, Option<String>, EdgeKind, EdgeKind)>;

pub(super) struct Builder {
    pub(super) graph: DiGraph<Node, EdgeKind>,
    pub(super) index: HashMap<(NodeKind, Box<str>), NodeIndex>,
    strings: Vec<String>,
    string_ids: HashMap<String, u32>,
    pub(super) dangling: usize,
}

impl Builder {
    pub(super) fn new() -> Builder {
        Builder { graph: DiGraph::new(), index: HashMap::new(), strings: Vec::new(), string_ids: HashMap::new(), dangling: 0 }
    }

    fn intern(&mut self, text: Option<String>) -> Option<u32> {
        let text = text.filter(|t| !t.trim().is_empty())?;
        if let Some(&id) = self.string_ids.get(&text) {
            return Some(id);
        }
        let id = self.strings.len() as u32;
        self.strings.push(text.clone());
        self.string_ids.insert(text, id);
        Some(id)
    }

    fn add(&mut self, kind: NodeKind, id: String, label: String, detail: Detail) -> NodeIndex {
        let key = (kind, Box::<str>::from(id.as_str()));
        if let Some(&ix) = self.index.get(&key) {
            return ix;
        }
        let ix = self.graph.add_node(Node { kind, id: id.into(), label: label.into(), detail });
        self.index.insert(key, ix);
        ix
    }

    pub(super) fn find(&self, kind: NodeKind, id: &str) -> Option<NodeIndex> {
        self.index.get(&(kind, Box::<str>::from(id))).copied()
    }

    /// Links `from` to the node (`kind`, `id`) both ways, if it exists.
    fn link(&mut self, from: NodeIndex, kind: NodeKind, id: Option<&str>, forward: EdgeKind, back: EdgeKind) {
        let Some(id) = id.filter(|i| !i.is_empty()) else { return };
        match self.find(kind, id) {
            Some(to) => {
                self.graph.add_edge(from, to, forward);
                self.graph.add_edge(to, from, back);
            }
            None => self.dangling += 1,
        }
    }

    /// Adds the node a row of `kind`'s table (read with `table_of(kind)`'s columns) stands
    /// for, and returns it with what the row refers to.
    pub(super) fn read(&mut self, kind: NodeKind, r: &Row<'_>) -> rusqlite::Result<(NodeIndex, References)> {
        let workspace = |r: &Row<'_>, at: usize| -> rusqlite::Result<References> {
            Ok(vec![(NodeKind::Workspace, r.get(at)?, EdgeKind::InWorkspace, EdgeKind::WorkspaceHas)])
        };
        Ok(match kind {
            NodeKind::Workspace | NodeKind::InstancePool => (self.add(kind, r.get(0)?, r.get(1)?, Detail::None), Vec::new()),
            NodeKind::User | NodeKind::Job => (self.add(kind, r.get(0)?, r.get(1)?, Detail::None), workspace(r, 2)?),
            NodeKind::Compute => {
                let compute_type: String = r.get(2)?;
                (self.add(kind, r.get(0)?, r.get(1)?, Detail::Compute { compute_type: compute_type.into() }), workspace(r, 3)?)
            }
            NodeKind::JobRun => {
                let id: String = r.get(0)?;
                let job: String = r.get(1)?;
                let start: String = r.get(2)?;
                let error = self.intern(r.get(5)?);
                let status: String = r.get(4)?;
                let detail = Detail::Run {
                    status: status.into(),
                    start: timestamp(&start),
                    duration_ms: r.get(3)?,
                    error,
                    spot_ratio: r.get::<_, f64>(7)? as f32,
                };
                let pool: Option<String> = r.get(6)?;
                (
                    self.add(kind, id.clone(), id, detail),
                    vec![
                        (NodeKind::Job, Some(job), EdgeKind::RunOf, EdgeKind::HasRun),
                        (NodeKind::InstancePool, pool, EdgeKind::UsesPool, EdgeKind::PoolServes),
                    ],
                )
            }
            NodeKind::ComputeUsage => {
                let id: String = r.get(0)?;
                let parent: String = r.get(1)?;
                let parent_type: String = r.get(2)?;
                let date: String = r.get(3)?;
                let detail = Detail::Usage { date: Date::parse(&date).unwrap_or(Date::from_ymd(1970, 1, 1)), cost: r.get(4)? };
                let parent_kind = if parent_type == "JOB_RUN" { NodeKind::JobRun } else { NodeKind::Compute };
                (self.add(kind, id.clone(), id, detail), vec![(parent_kind, Some(parent), EdgeKind::UsageOf, EdgeKind::HasUsage)])
            }
            NodeKind::Eviction => {
                let id: String = r.get(0)?;
                let time: String = r.get(1)?;
                let reason = self.intern(r.get(2)?);
                (self.add(kind, id.clone(), id, Detail::Eviction { time: timestamp(&time), reason }), Vec::new())
            }
            NodeKind::Event => {
                let id: String = r.get(0)?;
                let usage: String = r.get(1)?;
                let time: String = r.get(2)?;
                let event_type: String = r.get(3)?;
                let detail = Detail::Event { event_type: event_type.into(), time: timestamp(&time) };
                (
                    self.add(kind, id.clone(), id, detail),
                    vec![
                        (NodeKind::ComputeUsage, Some(usage), EdgeKind::OnUsage, EdgeKind::HasEvent),
                        (NodeKind::User, r.get(4)?, EdgeKind::TriggeredBy, EdgeKind::Triggered),
                        (NodeKind::Eviction, r.get(5)?, EdgeKind::RecordsEviction, EdgeKind::RecordedBy),
                    ],
                )
            }
            NodeKind::SqlQuery => {
                let id: String = r.get(0)?;
                let warehouse: String = r.get(1)?;
                let user: String = r.get(2)?;
                let start: String = r.get(3)?;
                let error = self.intern(r.get(5)?);
                let detail = Detail::Query { start: timestamp(&start), duration_ms: r.get(4)?, error };
                (
                    self.add(kind, id.clone(), id, detail),
                    vec![
                        (NodeKind::Compute, Some(warehouse), EdgeKind::RanOn, EdgeKind::RanQuery),
                        (NodeKind::User, Some(user), EdgeKind::SubmittedBy, EdgeKind::Submitted),
                    ],
                )
            }
        })
    }

    pub(super) fn finish(self, started: f64) -> UsageGraph {
        let stats = BuildStats {
            nodes: self.graph.node_count(),
            edges: self.graph.edge_count(),
            dangling: self.dangling,
            build_ms: crate::base::clock::now_ms() - started,
        };
        UsageGraph { graph: self.graph, index: self.index, strings: self.strings, stats }
    }
}

fn timestamp(text: &str) -> Timestamp {
    Timestamp::parse(text).or_else(|| Date::parse(text).map(|d| d.at_midnight())).unwrap_or_else(|| Timestamp::from_unix_seconds(0))
}

/// Reads every row of `kind`'s table in key order, adding its node and linking it to what
/// it refers to (which must already be in the graph).
fn read_table(conn: &Connection, b: &mut Builder, kind: NodeKind) -> rusqlite::Result<()> {
    let (columns, key) = table_of(kind);
    let mut stmt = conn.prepare(&format!("SELECT {columns} ORDER BY {key}"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (ix, references) = b.read(kind, r)?;
        for (to_kind, id, forward, back) in references {
            b.link(ix, to_kind, id.as_deref(), forward, back);
        }
    }
    Ok(())
}

/// Builds the graph of a validated usage database.
pub fn build(conn: &Connection) -> rusqlite::Result<UsageGraph> {
    let started = crate::base::clock::now_ms();
    let mut b = Builder::new();
    for kind in [NodeKind::Workspace, NodeKind::User, NodeKind::InstancePool, NodeKind::Compute, NodeKind::Job] {
        read_table(conn, &mut b, kind)?;
    }

    let mut stmt = conn.prepare("SELECT job_id, depends_on_job_id FROM job_dependencies ORDER BY job_id, depends_on_job_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let job: String = r.get(0)?;
        let upstream: String = r.get(1)?;
        match b.find(NodeKind::Job, &job) {
            Some(ix) => b.link(ix, NodeKind::Job, Some(&upstream), EdgeKind::DependsOn, EdgeKind::DependedOnBy),
            None => b.dangling += 1,
        }
    }

    for kind in [NodeKind::JobRun, NodeKind::ComputeUsage, NodeKind::Eviction, NodeKind::Event, NodeKind::SqlQuery] {
        read_table(conn, &mut b, kind)?;
    }
    Ok(b.finish(started))
}
