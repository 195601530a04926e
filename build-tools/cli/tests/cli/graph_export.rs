//! `copilot graph export` on the seeded database: the Neo4j bulk-import files hold exactly
//! the in-memory usage graph (every node once; every relation once, although the graph
//! stores each one in both directions), every relationship's ends are exported nodes, and
//! every header field is one of the forms `neo4j-admin database import` accepts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use usage_copilot::copilot::graph;
use usage_copilot::data::db::UsageDb;
use usage_copilot::data::seed::{self, SeedConfig};

/// RFC 4180 rows (quoted fields may hold commas, doubled quotes and newlines).
fn rows(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_quotes, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, _) => field.push(c),
            (false, '"') => in_quotes = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut row));
            }
            (false, _) => field.push(c),
        }
    }
    assert!(!in_quotes && field.is_empty() && row.is_empty(), "every file ends with a complete line");
    out
}

const TYPES: [&str; 16] = [
    "int",
    "long",
    "float",
    "double",
    "boolean",
    "byte",
    "short",
    "char",
    "string",
    "point",
    "date",
    "localtime",
    "time",
    "localdatetime",
    "datetime",
    "duration",
];

/// One header field in a form neo4j-admin's CSV header accepts: `name`, `name:TYPE` (or
/// `TYPE[]`), `[name]:ID` with an optional `(group)`, `:LABEL`, `:START_ID` / `:END_ID` with
/// an optional `(group)`, `:TYPE`, `:IGNORE`.
fn header_field_is_valid(field: &str) -> bool {
    let ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let group = |s: &str| s.is_empty() || s.strip_prefix('(').and_then(|g| g.strip_suffix(')')).is_some_and(ident);
    let Some((name, kind)) = field.split_once(':') else { return ident(field) };
    if let Some(rest) = kind.strip_prefix("ID") {
        return (name.is_empty() || ident(name)) && group(rest);
    }
    if let Some(rest) = kind.strip_prefix("START_ID").or_else(|| kind.strip_prefix("END_ID")) {
        return name.is_empty() && group(rest);
    }
    if matches!(kind, "LABEL" | "TYPE" | "IGNORE") {
        return name.is_empty();
    }
    ident(name) && TYPES.contains(&kind.strip_suffix("[]").unwrap_or(kind))
}

#[test]
fn the_export_holds_the_graph_and_follows_the_import_format() {
    let dir = std::env::temp_dir().join(format!("copilot-graph-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("seeded.db");
    seed::write_database(&db, &SeedConfig::default()).unwrap();
    let usage = UsageDb::open_path(&db).unwrap();
    let g = graph::build(usage.conn()).unwrap();
    let out = dir.join("neo4j");
    let (ok, stdout, stderr) = super::copilot(&["graph", "export", "--db", db.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");

    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut node_rows = 0;
    let mut relationship_rows = 0;
    let mut ends: Vec<(String, String, String, String, String)> = Vec::new();
    let mut files: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    for name in &files {
        let path: &Path = &out.join(name);
        if !name.ends_with(".csv") {
            continue;
        }
        let rows = rows(&std::fs::read_to_string(path).unwrap());
        let header = &rows[0];
        for field in header {
            assert!(header_field_is_valid(field), "{name}: header field {field:?}");
        }
        assert!(rows[1..].iter().all(|r| r.len() == header.len()), "{name}: every row has the header's width");
        if name.starts_with("nodes.") {
            let space = header[0].strip_prefix("id:ID(").and_then(|s| s.strip_suffix(')')).unwrap_or_else(|| panic!("{name}: {header:?}"));
            assert_eq!(header[1], ":LABEL");
            let set = ids.entry(space.to_string()).or_default();
            for row in &rows[1..] {
                assert_eq!(row[1], space, "{name}: the label is the id space");
                assert!(set.insert(row[0].clone()), "{name}: id {} twice", row[0]);
            }
            node_rows += rows.len() - 1;
        } else {
            assert!(name.starts_with("rels."), "{name}");
            let start = header[0].strip_prefix(":START_ID(").and_then(|s| s.strip_suffix(')')).unwrap().to_string();
            let end = header[1].strip_prefix(":END_ID(").and_then(|s| s.strip_suffix(')')).unwrap().to_string();
            assert_eq!(header[2], ":TYPE");
            for row in &rows[1..] {
                ends.push((name.clone(), start.clone(), row[0].clone(), end.clone(), row[1].clone()));
                assert!(name.starts_with(&format!("rels.{}.", row[2])), "{name}: type {}", row[2]);
            }
            relationship_rows += rows.len() - 1;
        }
    }
    // Every node of the graph once; every relation once (the graph holds each twice).
    assert_eq!(node_rows, g.stats.nodes);
    assert_eq!(node_rows, g.node_count());
    assert_eq!(g.stats.edges % 2, 0);
    assert_eq!(relationship_rows, g.stats.edges / 2);
    // 2,092 nodes and 3,172 relations without the shared compute's sessions; they add 832
    // events (each on a usage row, by a user) and 834 statements (each on a resource, by a user).
    assert_eq!((node_rows, relationship_rows), (2092 + 832 + 834, 3172 + 2 * 832 + 2 * 834), "the seeded graph's size");
    for (file, start, a, end, b) in &ends {
        assert!(ids[start].contains(a), "{file}: start {a} is not a {start} node");
        assert!(ids[end].contains(b), "{file}: end {b} is not a {end} node");
    }
    // Per type: as many rows as the graph has edges of that (forward) kind.
    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    for (file, ..) in &ends {
        *per_type.entry(file.split('.').nth(1).unwrap().to_string()).or_default() += 1;
    }
    let upper_snake = |kind: String| {
        let mut out = String::new();
        for (i, c) in kind.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    };
    let mut in_graph: BTreeMap<String, usize> = BTreeMap::new();
    for kind in g.graph.edge_weights() {
        *in_graph.entry(upper_snake(format!("{kind:?}"))).or_default() += 1;
    }
    for (rel, rows) in &per_type {
        assert_eq!(in_graph.get(rel), Some(rows), "{rel}");
    }
    assert_eq!(per_type.len(), 10, "{per_type:?}");

    let job_run_header = std::fs::read_to_string(out.join("nodes.job_run.csv")).unwrap().lines().next().unwrap().to_string();
    assert_eq!(job_run_header, "id:ID(JobRun),:LABEL,name,status,start_time:datetime,duration_ms:long,error,spot_ratio:double");
    assert!(stdout.contains("3758 nodes and 6504 relationships (the graph's 13008 edges, each relation once)"), "{stdout}");

    // The import script names every CSV file; import.cypher has a constraint per label and
    // the three example queries, with ids that exist in this export.
    let script = std::fs::read_to_string(out.join("neo4j-admin-import.sh")).unwrap();
    for name in files.iter().filter(|f| f.ends_with(".csv")) {
        let flag = if name.starts_with("nodes.") { "--nodes" } else { "--relationships" };
        assert!(script.contains(&format!("  {flag}={name} \\\n")), "{name} missing from the import script");
    }
    let cypher = std::fs::read_to_string(out.join("import.cypher")).unwrap();
    for label in ids.keys() {
        assert!(cypher.contains(&format!("FOR (n:{label}) REQUIRE n.id IS UNIQUE;")), "{label}");
    }
    assert!(cypher.contains("MATCH (j:Job {id: 'J-LEGACY-ETL'})<-[:RUN_OF]-(r:JobRun)"), "{cypher}");
    assert!(cypher.contains("MATCH path = (j:Job {id: 'J-SUPPLY-DASHBOARD'})-[:DEPENDS_ON*1..]->(up:Job)"), "{cypher}");
    let eviction = cypher.split("MATCH (x:Eviction {id: '").nth(1).unwrap().split('\'').next().unwrap();
    assert!(ids["Eviction"].contains(eviction), "{eviction}");
    assert!(ids["Job"].contains("J-LEGACY-ETL") && ids["Job"].contains("J-SUPPLY-DASHBOARD"));
}
