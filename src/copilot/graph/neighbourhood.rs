//! The usage graph around a selection, read from the database on demand: only the rows
//! `traverse` can reach within its depth, through the foreign-key indexes. The graph it
//! returns holds, for every node the traversal expands, exactly the edges (to nodes in the
//! window) the whole graph of `build` gives it, and every node with the same kind, id, label
//! and detail, so the traversal of either graph is the same subgraph, byte for byte. It is
//! what a chip or follow-up needs, in milliseconds, where the whole graph of a large
//! database takes seconds and gigabytes.
//!
//! Its walk is the traversal's: breadth first from the starts, a node expanded when it is
//! reached within `max_depth - 1` hops and is no hub, a neighbour reached when it is in the
//! window (if dated) and is not the system user. Nodes reached at the last depth are read
//! but not expanded.

use std::collections::{HashMap, HashSet};

use petgraph::graph::NodeIndex;
use rusqlite::{Connection, OptionalExtension};

use super::build::{table_of, Builder, References};
use super::traverse::{is_hub_node as is_hub, is_skipped};
use super::{EdgeKind, NodeKind, UsageGraph};
use crate::base::calendar::Date;

/// Rows of another table that refer to a node of `to` kind: the node's edges back to them.
struct Referrers {
    to: NodeKind,
    from: NodeKind,
    /// Condition on the referring table, `?1` the node's id.
    condition: &'static str,
    /// The referring row's date column, to read only rows that can be in the window.
    date_column: Option<&'static str>,
    back: EdgeKind,
}

/// Every relation, seen from the node it points at (mirrors the links `build` makes).
const REFERRERS: &[Referrers] = &[
    Referrers {
        to: NodeKind::Workspace,
        from: NodeKind::User,
        condition: "workspace_id = ?1",
        date_column: None,
        back: EdgeKind::WorkspaceHas,
    },
    Referrers {
        to: NodeKind::Workspace,
        from: NodeKind::Compute,
        condition: "workspace_id = ?1",
        date_column: None,
        back: EdgeKind::WorkspaceHas,
    },
    Referrers {
        to: NodeKind::Workspace,
        from: NodeKind::Job,
        condition: "workspace_id = ?1",
        date_column: None,
        back: EdgeKind::WorkspaceHas,
    },
    Referrers {
        to: NodeKind::Job,
        from: NodeKind::JobRun,
        condition: "job_id = ?1",
        date_column: Some("start_time"),
        back: EdgeKind::HasRun,
    },
    Referrers {
        to: NodeKind::InstancePool,
        from: NodeKind::JobRun,
        condition: "instance_pool_id = ?1",
        date_column: Some("start_time"),
        back: EdgeKind::PoolServes,
    },
    Referrers {
        to: NodeKind::JobRun,
        from: NodeKind::ComputeUsage,
        condition: "parent_id = ?1 AND parent_type = 'JOB_RUN'",
        date_column: Some("usage_date"),
        back: EdgeKind::HasUsage,
    },
    Referrers {
        to: NodeKind::Compute,
        from: NodeKind::ComputeUsage,
        condition: "parent_id = ?1 AND parent_type <> 'JOB_RUN'",
        date_column: Some("usage_date"),
        back: EdgeKind::HasUsage,
    },
    Referrers {
        to: NodeKind::ComputeUsage,
        from: NodeKind::Event,
        condition: "compute_usage_id = ?1",
        date_column: Some("event_time"),
        back: EdgeKind::HasEvent,
    },
    Referrers {
        to: NodeKind::User,
        from: NodeKind::Event,
        condition: "user_id = ?1",
        date_column: Some("event_time"),
        back: EdgeKind::Triggered,
    },
    Referrers {
        to: NodeKind::Eviction,
        from: NodeKind::Event,
        condition: "eviction_id = ?1",
        date_column: Some("event_time"),
        back: EdgeKind::RecordedBy,
    },
    Referrers {
        to: NodeKind::Compute,
        from: NodeKind::SqlQuery,
        condition: "parent_id = ?1",
        date_column: Some("start_time"),
        back: EdgeKind::RanQuery,
    },
    Referrers {
        to: NodeKind::User,
        from: NodeKind::SqlQuery,
        condition: "user_id = ?1",
        date_column: Some("start_time"),
        back: EdgeKind::Submitted,
    },
    // Job dependencies: a job's upstream jobs (that exist), and the jobs that depend on it.
    Referrers {
        to: NodeKind::Job,
        from: NodeKind::Job,
        condition: "job_id IN (SELECT depends_on_job_id FROM job_dependencies WHERE job_id = ?1) AND job_id <> ''",
        date_column: None,
        back: EdgeKind::DependsOn,
    },
    Referrers {
        to: NodeKind::Job,
        from: NodeKind::Job,
        condition: "job_id IN (SELECT job_id FROM job_dependencies WHERE depends_on_job_id = ?1)",
        date_column: None,
        back: EdgeKind::DependedOnBy,
    },
];

/// What the walk read, for the timings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NeighbourhoodStats {
    pub nodes: usize,
    pub edges: usize,
    /// Nodes whose edges were read.
    pub expanded: usize,
    /// Milliseconds spent reading.
    pub read_ms: f64,
}

/// Reads nodes and their edges from the database, each row at most once.
struct Reader<'c> {
    conn: &'c Connection,
    b: Builder,
    /// What each node read so far refers to (its row's forward references).
    references: HashMap<NodeIndex, References>,
    missing: HashSet<(NodeKind, String)>,
    /// The window as text bounds on date columns: rows with `lo <= column < hi` (a superset
    /// of the dated rows in the window; the exact test is on the parsed date).
    lo: String,
    hi: String,
}

impl Reader<'_> {
    /// The node (`kind`, `id`), read by its key if not read yet; `None` when no such row.
    fn node(&mut self, kind: NodeKind, id: &str) -> rusqlite::Result<Option<NodeIndex>> {
        if let Some(ix) = self.b.find(kind, id) {
            return Ok(Some(ix));
        }
        if self.missing.contains(&(kind, id.to_string())) {
            return Ok(None);
        }
        let (columns, key) = table_of(kind);
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {columns} WHERE {key} = ?1 ORDER BY {key} LIMIT 1"))?;
        let (b, references) = (&mut self.b, &mut self.references);
        let found = stmt
            .query_row([id], |r| {
                let (ix, refs) = b.read(kind, r)?;
                references.entry(ix).or_insert(refs);
                Ok(ix)
            })
            .optional()?;
        if found.is_none() {
            self.missing.insert((kind, id.to_string()));
        }
        Ok(found)
    }

    /// Adds every edge the whole graph gives the node `ix` (to nodes that may be in the
    /// window) and returns their targets.
    fn expand(&mut self, ix: NodeIndex) -> rusqlite::Result<Vec<NodeIndex>> {
        let kind = self.b.graph[ix].kind;
        let id = self.b.graph[ix].id.to_string();
        let mut targets = Vec::new();
        // What the node's own row refers to.
        let references = self.references.remove(&ix).unwrap_or_default();
        for (to_kind, to_id, forward, _) in references {
            let Some(to_id) = to_id.filter(|t| !t.is_empty()) else { continue };
            if let Some(to) = self.node(to_kind, &to_id)? {
                self.b.graph.add_edge(ix, to, forward);
                targets.push(to);
            }
        }
        // The rows that refer to it (a node with an empty id is never linked to; its own
        // dependencies are links from it).
        for rel in REFERRERS.iter().filter(|r| r.to == kind && (!id.is_empty() || r.back == EdgeKind::DependsOn)) {
            let (columns, key) = table_of(rel.from);
            let sql = match rel.date_column {
                Some(date) => format!("SELECT {columns} WHERE {} AND {date} >= ?2 AND {date} < ?3 ORDER BY {key}", rel.condition),
                None => format!("SELECT {columns} WHERE {} ORDER BY {key}", rel.condition),
            };
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = match rel.date_column {
                Some(_) => stmt.query(rusqlite::params![id, self.lo, self.hi])?,
                None => stmt.query([&id])?,
            };
            while let Some(r) = rows.next()? {
                let (from, refs) = self.b.read(rel.from, r)?;
                self.references.entry(from).or_insert(refs);
                self.b.graph.add_edge(ix, from, rel.back);
                targets.push(from);
            }
        }
        Ok(targets)
    }
}

/// The neighbourhood of `starts` (nodes that do not exist are left out) within `max_depth`
/// hops, keeping dated nodes within `window` (inclusive), and the starts that exist, in
/// order, as nodes of it.
pub fn neighbourhood(
    conn: &Connection,
    starts: &[(NodeKind, String)],
    window: (Date, Date),
    max_depth: usize,
) -> rusqlite::Result<(UsageGraph, Vec<NodeIndex>, NeighbourhoodStats)> {
    let started = crate::base::clock::now_ms();
    // A date column that does not start with a valid date counts as 1970-01-01.
    let epoch = Date::from_ymd(1970, 1, 1);
    let (lo, hi) = if window.0 <= epoch && epoch <= window.1 {
        (String::new(), char::MAX.to_string())
    } else {
        (window.0.to_string(), window.1.add_days(1).to_string())
    };
    let mut reader = Reader { conn, b: Builder::new(), references: HashMap::new(), missing: HashSet::new(), lo, hi };
    let mut start_nodes = Vec::new();
    for (kind, id) in starts {
        if let Some(ix) = reader.node(*kind, id)? {
            if !start_nodes.contains(&ix) {
                start_nodes.push(ix);
            }
        }
    }
    let mut depth_of: HashMap<NodeIndex, usize> = start_nodes.iter().map(|&ix| (ix, 0)).collect();
    let mut level = start_nodes.clone();
    let mut expanded = 0;
    for depth in 0..max_depth {
        let mut next = Vec::new();
        for ix in level {
            if is_hub(&reader.b.graph[ix]) {
                continue;
            }
            expanded += 1;
            for target in reader.expand(ix)? {
                let node = &reader.b.graph[target];
                if depth_of.contains_key(&target) || is_skipped(node) {
                    continue;
                }
                let dated_in = node.detail.date().is_none_or(|d| d >= window.0 && d <= window.1);
                if dated_in {
                    depth_of.insert(target, depth + 1);
                    next.push(target);
                }
            }
        }
        level = next;
    }
    let graph = reader.b.finish(started);
    let stats = NeighbourhoodStats { nodes: graph.node_count(), edges: graph.edge_count(), expanded, read_ms: graph.stats.build_ms };
    Ok((graph, start_nodes, stats))
}
