//! The usage graph of the seeded DB and the subgraphs it cuts around selections.

use crate::common;

use usage_copilot::base::calendar::Date;
use usage_copilot::copilot::graph::{build, traverse, Budget, EdgeKind, NodeKind};

fn window() -> (Date, Date) {
    (Date::from_ymd(2025, 11, 1), Date::from_ymd(2025, 12, 15))
}

#[test]
fn builds_every_row_as_a_node_with_edges_both_ways() {
    let conn = common::seeded();
    let g = build(&conn).unwrap();
    let rows = common::int(
        &conn,
        "SELECT (SELECT COUNT(*) FROM workspace) + (SELECT COUNT(*) FROM users_lookup) + (SELECT COUNT(*) FROM jobs)
              + (SELECT COUNT(*) FROM job_runs) + (SELECT COUNT(*) FROM instance_pools) + (SELECT COUNT(*) FROM non_job_compute)
              + (SELECT COUNT(*) FROM compute_usage) + (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM eviction_details)
              + (SELECT COUNT(*) FROM sql_query_history)",
    );
    assert_eq!(g.node_count() as i64, rows);
    assert_eq!(g.stats.dangling, 0);
    assert_eq!(g.edge_count() % 2, 0, "every relation is stored both ways");
    let transform = g.find(NodeKind::Job, "J-SUPPLY-TRANSFORM").unwrap();
    let raw = g.find(NodeKind::Job, "J-SUPPLY-RAW").unwrap();
    assert!(g.graph.edges_connecting(transform, raw).any(|e| *e.weight() == EdgeKind::DependsOn));
    assert!(g.graph.edges_connecting(raw, transform).any(|e| *e.weight() == EdgeKind::DependedOnBy));
    let run = g.find(NodeKind::JobRun, "J-SUPPLY-DASHBOARD-20251101-R01").unwrap();
    let pool = g.find(NodeKind::InstancePool, "POOL-WORKER-STD").unwrap();
    assert!(g.graph.edges_connecting(run, pool).any(|e| *e.weight() == EdgeKind::UsesPool));
}

#[test]
fn traversal_is_deterministic_budgeted_and_aggregates_everything_reached() {
    let conn = common::seeded();
    let g = build(&conn).unwrap();
    let legacy = g.find(NodeKind::Job, "J-LEGACY-ETL").unwrap();
    let a = traverse(&g, &[legacy], window(), &Budget::default());
    let b = traverse(&g, &[build(&conn).unwrap().find(NodeKind::Job, "J-LEGACY-ETL").unwrap()], window(), &Budget::default());
    assert_eq!(a, b);
    assert!(a.nodes.len() <= Budget::default().max_nodes);
    let runs: Vec<&str> = a.nodes.iter().filter(|n| n.kind == NodeKind::JobRun).map(|n| n.id.as_str()).collect();
    assert_eq!(runs.len(), 8);
    assert!(runs.iter().all(|r| r.contains("-R0")) && runs[0] == "J-LEGACY-ETL-20251211-R03", "failed runs first, newest first: {runs:?}");
    assert!(!a.nodes.iter().any(|n| n.id == "U-SYSTEM"), "system user suppressed");
    assert_eq!(
        a.summaries[1],
        "job → has run → job_run: 72 (45 SUCCESS, 27 FAILED); failed on 2025-11-01, 2025-11-06, 2025-11-11, 2025-11-16, 2025-11-21, 2025-11-26, 2025-12-01, 2025-12-06, 2025-12-11; most common error \"Query timeout after 3 hours in stage customer_merge\" (27)"
    );
}

#[test]
fn a_downstream_job_reaches_its_upstream_failure_through_the_dependency() {
    let conn = common::seeded();
    let g = build(&conn).unwrap();
    let transform = g.find(NodeKind::Job, "J-SUPPLY-TRANSFORM").unwrap();
    let sub = traverse(&g, &[transform], window(), &Budget::default());
    let line = sub.summaries.iter().find(|s| s.starts_with("job → depends on → job → has run → job_run")).unwrap();
    assert!(line.contains("1 FAILED") && line.contains("failed on 2025-11-15") && line.contains("IOException"), "{line}");
    assert!(sub.nodes.iter().any(|n| n.id == "J-SUPPLY-RAW-20251115-R01"), "the upstream failure is listed");
}
