//! `copilot graph export --db F --out DIR`: the usage graph of a database (the petgraph the
//! copilot traverses, `usage_copilot::copilot::graph`) as CSV files for Neo4j's bulk import,
//! `neo4j-admin database import full`.
//!
//! Layout, chosen so the files load without options beyond `--multiline-fields`:
//! - one node file per node kind, `nodes.<kind>.csv`, whose id column is
//!   `id:ID(<Label>)`: each kind is its own id space (a workspace id and a job id may be
//!   the same digits in real data), stored as the node's `id` property;
//! - one relationship file per relation and pair of end kinds,
//!   `rels.<TYPE>.<start kind>.<end kind>.csv`, with `:START_ID(<Label>)`,
//!   `:END_ID(<Label>)` and `:TYPE`. The graph stores every relation twice (an `EdgeKind`
//!   and its reverse); each is exported once, in its forward direction (run → job, usage →
//!   run, event → eviction, job → the job it depends on, …);
//! - `neo4j-admin-import.sh`, the import command naming every file, and `import.cypher`,
//!   the uniqueness constraints and three example queries with ids from this database.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use petgraph::visit::EdgeRef;
use usage_copilot::base::calendar::Timestamp;
use usage_copilot::copilot::graph::{self, Detail, EdgeKind, NodeKind, UsageGraph};
use usage_copilot::data::db::UsageDb;

#[derive(clap::Subcommand)]
pub enum GraphCommand {
    /// Write the usage graph as Neo4j bulk-import CSV (nodes per kind, relationships per
    /// type), the neo4j-admin command and import.cypher (constraints, example queries).
    Export {
        #[arg(long)]
        db: PathBuf,
        /// Folder for the files (created if missing; files of an earlier export are replaced).
        #[arg(long)]
        out: PathBuf,
    },
}

/// The Neo4j label (and id space) of a node kind.
pub fn label(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Workspace => "Workspace",
        NodeKind::User => "User",
        NodeKind::Job => "Job",
        NodeKind::JobRun => "JobRun",
        NodeKind::InstancePool => "InstancePool",
        NodeKind::Compute => "Compute",
        NodeKind::ComputeUsage => "ComputeUsage",
        NodeKind::Event => "Event",
        NodeKind::Eviction => "Eviction",
        NodeKind::SqlQuery => "SqlQuery",
    }
}

/// The relationship type of a forward edge kind; `None` for the reverse half of a pair.
pub fn relationship_type(kind: EdgeKind) -> Option<&'static str> {
    match kind {
        EdgeKind::InWorkspace => Some("IN_WORKSPACE"),
        EdgeKind::RunOf => Some("RUN_OF"),
        EdgeKind::DependsOn => Some("DEPENDS_ON"),
        EdgeKind::UsesPool => Some("USES_POOL"),
        EdgeKind::UsageOf => Some("USAGE_OF"),
        EdgeKind::OnUsage => Some("ON_USAGE"),
        EdgeKind::RecordsEviction => Some("RECORDS_EVICTION"),
        EdgeKind::TriggeredBy => Some("TRIGGERED_BY"),
        EdgeKind::RanOn => Some("RAN_ON"),
        EdgeKind::SubmittedBy => Some("SUBMITTED_BY"),
        EdgeKind::WorkspaceHas
        | EdgeKind::HasRun
        | EdgeKind::DependedOnBy
        | EdgeKind::PoolServes
        | EdgeKind::HasUsage
        | EdgeKind::HasEvent
        | EdgeKind::RecordedBy
        | EdgeKind::Triggered
        | EdgeKind::RanQuery
        | EdgeKind::Submitted => None,
    }
}

/// The typed property columns of a kind, after `id:ID(<Label>)`, `:LABEL` and `name`:
/// what its `Detail` holds.
fn property_columns(kind: NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::JobRun => &["status", "start_time:datetime", "duration_ms:long", "error", "spot_ratio:double"],
        NodeKind::ComputeUsage => &["usage_date:date", "cost:double"],
        NodeKind::Event => &["event_type", "event_time:datetime"],
        NodeKind::Eviction => &["eviction_time:datetime", "reason"],
        NodeKind::SqlQuery => &["start_time:datetime", "duration_ms:long", "error"],
        NodeKind::Compute => &["compute_type"],
        NodeKind::Workspace | NodeKind::User | NodeKind::Job | NodeKind::InstancePool => &[],
    }
}

/// ISO 8601 in UTC, as Neo4j's `datetime` reads it.
fn datetime(t: Timestamp) -> String {
    t.to_string().replacen(' ', "T", 1) + "Z"
}

fn property_values(g: &UsageGraph, detail: &Detail) -> Vec<Option<String>> {
    let text = |id: &Option<u32>| id.map(|i| g.text(i).to_string());
    match detail {
        Detail::Run { status, start, duration_ms, error, spot_ratio } => {
            vec![Some(status.to_string()), Some(datetime(*start)), Some(duration_ms.to_string()), text(error), Some(spot_ratio.to_string())]
        }
        Detail::Usage { date, cost } => vec![Some(date.to_string()), Some(cost.to_string())],
        Detail::Event { event_type, time } => vec![Some(event_type.to_string()), Some(datetime(*time))],
        Detail::Eviction { time, reason } => vec![Some(datetime(*time)), text(reason)],
        Detail::Query { start, duration_ms, error } => vec![Some(datetime(*start)), Some(duration_ms.to_string()), text(error)],
        Detail::Compute { compute_type } => vec![Some(compute_type.to_string())],
        Detail::None => Vec::new(),
    }
}

/// RFC 4180 with Neo4j's defaults: `,` between fields, `"` quotes, doubled inside; an
/// empty field is a missing property.
fn field(value: Option<&str>) -> String {
    match value {
        None => String::new(),
        Some(v) if v.is_empty() || v.contains([',', '"', '\n', '\r']) || v.starts_with(' ') || v.ends_with(' ') => {
            format!("\"{}\"", v.replace('"', "\"\""))
        }
        Some(v) => v.to_string(),
    }
}

fn line(fields: &[Option<&str>]) -> String {
    let parts: Vec<String> = fields.iter().map(|f| field(*f)).collect();
    parts.join(",") + "\n"
}

/// What an export wrote.
#[derive(Debug, Default)]
pub struct Exported {
    /// File name → data rows.
    pub node_files: BTreeMap<String, usize>,
    pub relationship_files: BTreeMap<String, usize>,
    pub nodes: usize,
    pub relationships: usize,
}

pub fn node_file(kind: NodeKind) -> String {
    format!("nodes.{}.csv", kind.name())
}

pub fn relationship_file(rel: &str, start: NodeKind, end: NodeKind) -> String {
    format!("rels.{rel}.{}.{}.csv", start.name(), end.name())
}

/// Writes every file of the export of `g` into `dir`.
pub fn export(g: &UsageGraph, dir: &Path) -> Result<Exported> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if (name.starts_with("nodes.") || name.starts_with("rels.")) && name.ends_with(".csv") {
            std::fs::remove_file(&path).with_context(|| format!("cannot replace {}", path.display()))?;
        }
    }
    let mut exported = Exported::default();

    // Nodes, per kind, in the graph's own (deterministic) order.
    let mut by_kind: BTreeMap<NodeKind, String> = BTreeMap::new();
    for kind in NodeKind::ALL {
        let mut header = vec![format!("id:ID({})", label(kind)), ":LABEL".to_string(), "name".to_string()];
        header.extend(property_columns(kind).iter().map(|c| c.to_string()));
        let refs: Vec<Option<&str>> = header.iter().map(|h| Some(h.as_str())).collect();
        by_kind.insert(kind, line(&refs));
    }
    let mut counts: BTreeMap<NodeKind, usize> = BTreeMap::new();
    for ix in g.graph.node_indices() {
        let node = g.node(ix);
        let mut values: Vec<Option<String>> =
            vec![Some(node.id.to_string()), Some(label(node.kind).to_string()), Some(node.label.to_string())];
        let mut props = property_values(g, &node.detail);
        props.resize(property_columns(node.kind).len(), None);
        values.extend(props);
        let refs: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
        by_kind.get_mut(&node.kind).expect("every kind has a header").push_str(&line(&refs));
        *counts.entry(node.kind).or_default() += 1;
    }
    for kind in NodeKind::ALL {
        let name = node_file(kind);
        write(dir, &name, &by_kind[&kind])?;
        let rows = counts.get(&kind).copied().unwrap_or(0);
        exported.nodes += rows;
        exported.node_files.insert(name, rows);
    }

    // Relationships: forward kinds only, one file per (type, start kind, end kind).
    let mut rels: BTreeMap<(String, NodeKind, NodeKind), String> = BTreeMap::new();
    let mut rel_counts: BTreeMap<String, usize> = BTreeMap::new();
    for edge in g.graph.edge_references() {
        let Some(rel) = relationship_type(*edge.weight()) else { continue };
        let (start, end) = (g.node(edge.source()), g.node(edge.target()));
        let key = (relationship_file(rel, start.kind, end.kind), start.kind, end.kind);
        let text = rels.entry(key).or_insert_with(|| {
            let header = [format!(":START_ID({})", label(start.kind)), format!(":END_ID({})", label(end.kind)), ":TYPE".to_string()];
            let refs: Vec<Option<&str>> = header.iter().map(|h| Some(h.as_str())).collect();
            line(&refs)
        });
        text.push_str(&line(&[Some(&start.id), Some(&end.id), Some(rel)]));
        *rel_counts.entry(relationship_file(rel, start.kind, end.kind)).or_default() += 1;
    }
    for ((name, _, _), text) in &rels {
        write(dir, name, text)?;
        let rows = rel_counts[name];
        exported.relationships += rows;
        exported.relationship_files.insert(name.clone(), rows);
    }

    write(dir, "neo4j-admin-import.sh", &import_script(&exported))?;
    write(dir, "import.cypher", &cypher(g))?;
    Ok(exported)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}

fn import_script(exported: &Exported) -> String {
    let mut s = String::from(
        "#!/bin/sh\n\
         # Loads this export into a new Neo4j database (default: neo4j) with Neo4j 5's bulk importer.\n\
         # The database must not exist yet (or pass --overwrite-destination); start it afterwards and\n\
         # run `cypher-shell -d <database> -f import.cypher` for the constraints and example queries.\n\
         #   sh neo4j-admin-import.sh [DATABASE]\n\
         set -eu\n\
         cd \"$(dirname \"$0\")\"\n\
         neo4j-admin database import full \\\n  --multiline-fields=true \\\n",
    );
    for name in exported.node_files.keys() {
        s.push_str(&format!("  --nodes={name} \\\n"));
    }
    for name in exported.relationship_files.keys() {
        s.push_str(&format!("  --relationships={name} \\\n"));
    }
    s.push_str("  \"${1:-neo4j}\"\n");
    s
}

/// A Cypher string literal.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The example ids: the job with the most failed runs, the job with the longest upstream
/// chain, and the eviction whose events reach the most runs.
fn examples(g: &UsageGraph) -> (Option<String>, Option<String>, Option<String>) {
    let ids = |kind: NodeKind| -> Vec<_> {
        let mut v: Vec<_> = g.graph.node_indices().filter(|ix| g.node(*ix).kind == kind).collect();
        v.sort_by(|a, b| g.node(*a).id.cmp(&g.node(*b).id));
        v
    };
    let jobs = ids(NodeKind::Job);
    let out = |ix, kind: EdgeKind| -> Vec<_> { g.graph.edges(ix).filter(|e| *e.weight() == kind).map(|e| e.target()).collect() };
    let failed = |job| {
        g.graph
            .edges(job)
            .filter(|e| *e.weight() == EdgeKind::HasRun)
            .filter(|e| matches!(&g.node(e.target()).detail, Detail::Run { status, .. } if &**status == "FAILED"))
            .count()
    };
    let failing = jobs
        .iter()
        .map(|j| (failed(*j), *j))
        .filter(|(n, _)| *n > 0)
        .max_by(|a, b| a.0.cmp(&b.0).then(g.node(b.1).id.cmp(&g.node(a.1).id)));
    let depth = |job| {
        let mut seen = BTreeSet::new();
        let mut frontier = vec![job];
        let mut levels = 0;
        while !frontier.is_empty() {
            let next: Vec<_> = frontier.iter().flat_map(|j| out(*j, EdgeKind::DependsOn)).filter(|j| seen.insert(*j)).collect();
            if next.is_empty() {
                break;
            }
            levels += 1;
            frontier = next;
        }
        levels
    };
    let chain =
        jobs.iter().map(|j| (depth(*j), *j)).filter(|(d, _)| *d > 0).max_by(|a, b| a.0.cmp(&b.0).then(g.node(b.1).id.cmp(&g.node(a.1).id)));
    let reach = |eviction| {
        let runs: BTreeSet<_> = out(eviction, EdgeKind::RecordedBy)
            .into_iter()
            .flat_map(|event| out(event, EdgeKind::OnUsage))
            .flat_map(|usage| out(usage, EdgeKind::UsageOf))
            .filter(|n| g.node(*n).kind == NodeKind::JobRun)
            .collect();
        runs.len()
    };
    let evictions = ids(NodeKind::Eviction);
    let evicting = evictions.iter().map(|e| (reach(*e), *e)).max_by(|a, b| a.0.cmp(&b.0).then(g.node(b.1).id.cmp(&g.node(a.1).id)));
    let id = |ix: Option<(usize, petgraph::graph::NodeIndex)>| ix.map(|(_, ix)| g.node(ix).id.to_string());
    (id(failing).or_else(|| jobs.first().map(|j| g.node(*j).id.to_string())), id(chain), id(evicting))
}

fn cypher(g: &UsageGraph) -> String {
    let mut s = String::from(
        "// Databricks Usage Copilot: the usage graph in Neo4j. Written by `copilot graph export`.\n\
         // After `sh neo4j-admin-import.sh`, start the database and run: cypher-shell -f import.cypher\n\
         // Every node's `id` is the id the copilot uses (job id, run id, usage row id, …), unique per label.\n\n",
    );
    for kind in NodeKind::ALL {
        let l = label(kind);
        s.push_str(&format!("CREATE CONSTRAINT {}_id IF NOT EXISTS FOR (n:{l}) REQUIRE n.id IS UNIQUE;\n", kind.name()));
    }
    let (failing, chain, eviction) = examples(g);
    let none = "'(no such node in this database)'".to_string();
    s.push_str(&format!(
        "\n// 1. A job's failure neighbourhood: each failed run with its error, pool, cost and the\n\
         //    events on its usage rows (the job with the most failed runs in this export).\n\
         MATCH (j:Job {{id: {job}}})<-[:RUN_OF]-(r:JobRun)\n\
         WHERE r.status = 'FAILED'\n\
         OPTIONAL MATCH (r)-[:USES_POOL]->(p:InstancePool)\n\
         OPTIONAL MATCH (u:ComputeUsage)-[:USAGE_OF]->(r)\n\
         OPTIONAL MATCH (e:Event)-[:ON_USAGE]->(u)\n\
         WITH r, p, collect(DISTINCT u) AS usage, collect(DISTINCT e.event_type) AS events\n\
         RETURN r.id AS run, r.start_time AS started, r.error AS error, p.name AS pool,\n\
         \x20      reduce(total = 0.0, x IN usage | total + coalesce(x.cost, 0.0)) AS cost, events\n\
         ORDER BY started;\n",
        job = failing.as_deref().map(quoted).unwrap_or_else(|| none.clone())
    ));
    s.push_str(&format!(
        "\n// 2. The upstream dependency chain of a job: every job it waits for, nearest first.\n\
         MATCH path = (j:Job {{id: {job}}})-[:DEPENDS_ON*1..]->(up:Job)\n\
         RETURN length(path) AS depth, up.id AS upstream, up.name AS name, [n IN nodes(path) | n.id] AS chain\n\
         ORDER BY depth, upstream;\n",
        job = chain.as_deref().map(quoted).unwrap_or_else(|| none.clone())
    ));
    s.push_str(&format!(
        "\n// 3. The eviction blast radius: the runs and jobs an eviction touched (through the events\n\
         //    that record it and the usage rows they are on), and the jobs downstream of them.\n\
         MATCH (x:Eviction {{id: {eviction}}})<-[:RECORDS_EVICTION]-(:Event)-[:ON_USAGE]->(u:ComputeUsage)-[:USAGE_OF]->(r:JobRun)-[:RUN_OF]->(j:Job)\n\
         OPTIONAL MATCH (down:Job)-[:DEPENDS_ON*1..]->(j)\n\
         WITH x, collect(DISTINCT u) AS usage, collect(DISTINCT r.id) AS runs, collect(DISTINCT j.id) AS jobs,\n\
         \x20    collect(DISTINCT down.id) AS downstream_jobs\n\
         RETURN x.id AS eviction, x.eviction_time AS evicted, runs, jobs, downstream_jobs,\n\
         \x20      reduce(total = 0.0, y IN usage | total + coalesce(y.cost, 0.0)) AS cost_of_touched_usage;\n",
        eviction = eviction.as_deref().map(quoted).unwrap_or(none)
    ));
    s
}

pub fn run(command: GraphCommand) -> Result<()> {
    match command {
        GraphCommand::Export { db, out } => {
            let started = Instant::now();
            let usage = UsageDb::open_path(&db)?;
            let g = graph::build(usage.conn()).with_context(|| format!("cannot build the usage graph of {}", db.display()))?;
            let exported = export(&g, &out)?;
            for (name, rows) in exported.node_files.iter().chain(&exported.relationship_files) {
                println!("{name:<48} {rows:>9}");
            }
            println!(
                "{} nodes and {} relationships (the graph's {} edges, each relation once) in {} in {:.1} s",
                exported.nodes,
                exported.relationships,
                g.stats.edges,
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}
