//! Building the usage graph from the usage tables: one pass per table, nodes first, then
//! edges to nodes that exist (references to missing rows are counted, not guessed).

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use rusqlite::Connection;

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

struct Builder {
    graph: DiGraph<Node, EdgeKind>,
    index: HashMap<(NodeKind, Box<str>), NodeIndex>,
    strings: Vec<String>,
    string_ids: HashMap<String, u32>,
    dangling: usize,
}

impl Builder {
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

    fn find(&self, kind: NodeKind, id: &str) -> Option<NodeIndex> {
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
}

fn timestamp(text: &str) -> Timestamp {
    Timestamp::parse(text).or_else(|| Date::parse(text).map(|d| d.at_midnight())).unwrap_or_else(|| Timestamp::from_unix_seconds(0))
}

/// Builds the graph of a validated usage database.
pub fn build(conn: &Connection) -> rusqlite::Result<UsageGraph> {
    let started = crate::base::clock::now_ms();
    let mut b = Builder { graph: DiGraph::new(), index: HashMap::new(), strings: Vec::new(), string_ids: HashMap::new(), dangling: 0 };

    let mut stmt = conn.prepare("SELECT workspace_id, workspace_name FROM workspace ORDER BY workspace_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        b.add(NodeKind::Workspace, r.get(0)?, r.get(1)?, Detail::None);
    }

    let mut stmt = conn.prepare("SELECT user_id, name, workspace_id FROM users_lookup ORDER BY user_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let ix = b.add(NodeKind::User, r.get(0)?, r.get(1)?, Detail::None);
        let ws: Option<String> = r.get(2)?;
        b.link(ix, NodeKind::Workspace, ws.as_deref(), EdgeKind::InWorkspace, EdgeKind::WorkspaceHas);
    }

    let mut stmt = conn.prepare("SELECT instance_pool_id, pool_name FROM instance_pools ORDER BY instance_pool_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        b.add(NodeKind::InstancePool, r.get(0)?, r.get(1)?, Detail::None);
    }

    let mut stmt = conn.prepare("SELECT compute_id, compute_name, compute_type, workspace_id FROM non_job_compute ORDER BY compute_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let compute_type: String = r.get(2)?;
        let ix = b.add(NodeKind::Compute, r.get(0)?, r.get(1)?, Detail::Compute { compute_type: compute_type.into() });
        let ws: Option<String> = r.get(3)?;
        b.link(ix, NodeKind::Workspace, ws.as_deref(), EdgeKind::InWorkspace, EdgeKind::WorkspaceHas);
    }

    let mut stmt = conn.prepare("SELECT job_id, job_name, workspace_id FROM jobs ORDER BY job_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let ix = b.add(NodeKind::Job, r.get(0)?, r.get(1)?, Detail::None);
        let ws: Option<String> = r.get(2)?;
        b.link(ix, NodeKind::Workspace, ws.as_deref(), EdgeKind::InWorkspace, EdgeKind::WorkspaceHas);
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

    let mut stmt = conn.prepare(
        "SELECT job_run_id, job_id, start_time, COALESCE(duration_ms, 0), run_status, error_summary, instance_pool_id,
                COALESCE(spot_ratio, 0) FROM job_runs ORDER BY job_run_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let job: String = r.get(1)?;
        let start: String = r.get(2)?;
        let error = b.intern(r.get(5)?);
        let status: String = r.get(4)?;
        let detail = Detail::Run {
            status: status.into(),
            start: timestamp(&start),
            duration_ms: r.get(3)?,
            error,
            spot_ratio: r.get::<_, f64>(7)? as f32,
        };
        let ix = b.add(NodeKind::JobRun, id.clone(), id, detail);
        b.link(ix, NodeKind::Job, Some(&job), EdgeKind::RunOf, EdgeKind::HasRun);
        let pool: Option<String> = r.get(6)?;
        b.link(ix, NodeKind::InstancePool, pool.as_deref(), EdgeKind::UsesPool, EdgeKind::PoolServes);
    }

    let mut stmt = conn.prepare(
        "SELECT compute_usage_id, parent_id, parent_type, usage_date, COALESCE(total_cost, 0) FROM compute_usage ORDER BY compute_usage_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let parent: String = r.get(1)?;
        let parent_type: String = r.get(2)?;
        let date: String = r.get(3)?;
        let detail = Detail::Usage { date: Date::parse(&date).unwrap_or(Date::from_ymd(1970, 1, 1)), cost: r.get(4)? };
        let ix = b.add(NodeKind::ComputeUsage, id.clone(), id, detail);
        let parent_kind = if parent_type == "JOB_RUN" { NodeKind::JobRun } else { NodeKind::Compute };
        b.link(ix, parent_kind, Some(&parent), EdgeKind::UsageOf, EdgeKind::HasUsage);
    }

    let mut stmt = conn.prepare("SELECT eviction_id, eviction_time, eviction_reason FROM eviction_details ORDER BY eviction_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let time: String = r.get(1)?;
        let reason = b.intern(r.get(2)?);
        b.add(NodeKind::Eviction, id.clone(), id, Detail::Eviction { time: timestamp(&time), reason });
    }

    let mut stmt =
        conn.prepare("SELECT event_id, compute_usage_id, event_time, event_type, user_id, eviction_id FROM events ORDER BY event_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let usage: String = r.get(1)?;
        let time: String = r.get(2)?;
        let event_type: String = r.get(3)?;
        let ix = b.add(NodeKind::Event, id.clone(), id, Detail::Event { event_type: event_type.into(), time: timestamp(&time) });
        b.link(ix, NodeKind::ComputeUsage, Some(&usage), EdgeKind::OnUsage, EdgeKind::HasEvent);
        let user: Option<String> = r.get(4)?;
        b.link(ix, NodeKind::User, user.as_deref(), EdgeKind::TriggeredBy, EdgeKind::Triggered);
        let eviction: Option<String> = r.get(5)?;
        b.link(ix, NodeKind::Eviction, eviction.as_deref(), EdgeKind::RecordsEviction, EdgeKind::RecordedBy);
    }

    let mut stmt = conn.prepare(
        "SELECT query_id, parent_id, user_id, start_time, COALESCE(duration_ms, 0), error_message FROM sql_query_history ORDER BY query_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let warehouse: String = r.get(1)?;
        let user: String = r.get(2)?;
        let start: String = r.get(3)?;
        let error = b.intern(r.get(5)?);
        let detail = Detail::Query { start: timestamp(&start), duration_ms: r.get(4)?, error };
        let ix = b.add(NodeKind::SqlQuery, id.clone(), id, detail);
        b.link(ix, NodeKind::Compute, Some(&warehouse), EdgeKind::RanOn, EdgeKind::RanQuery);
        b.link(ix, NodeKind::User, Some(&user), EdgeKind::SubmittedBy, EdgeKind::Submitted);
    }

    let stats = BuildStats {
        nodes: b.graph.node_count(),
        edges: b.graph.edge_count(),
        dangling: b.dangling,
        build_ms: crate::base::clock::now_ms() - started,
    };
    Ok(UsageGraph { graph: b.graph, index: b.index, strings: b.strings, stats })
}
