//! The usage graph read around a selection (`copilot::graph::neighbourhood`) against the
//! whole graph (`copilot::graph::build`, the independent oracle): for every selectable
//! entity of every report on the seeded DB, every chip and follow-ups that name other
//! entities, the subgraph, the prompt and the offline answer are the same either way; and
//! the traversal of the neighbourhood of every job, compute, user, eviction and a sample of
//! runs equals the whole graph's, over the data's range and over single days.

use crate::common;

use usage_copilot::base::calendar::Date;
use usage_copilot::base::vocab::EntitySource;
use usage_copilot::copilot::evidence::EvidenceBudget;
use usage_copilot::copilot::graph::{build, neighbourhood, traverse, Budget, GraphSource, NodeKind};
use usage_copilot::copilot::telemetry::{TelemetryIndex, TelemetryRetriever};
use usage_copilot::copilot::{offered_chips, prepare, Ask, Prepared, Request};
use usage_copilot::data::db::UsageDb;
use usage_copilot::report::selection::selectable_rows;
use usage_copilot::report::{registry, ReportFilters};

/// Follow-ups that name entities other than the selection (a job, a run, a user, a
/// warehouse), so that their neighbourhoods are read too.
const QUESTIONS: &[&str] = &[
    "Why did it fail?",
    "How does J-SUPPLY-RAW compare, and did J-SUPPLY-RAW-20251115-R01 fail?",
    "What did the SQL warehouse WH-BI-SHARED run, and who is U-ANALYST-01?",
    "Were there spot evictions on J-ROUTE-OPT?",
];

fn same(what: &str, whole: &Prepared, read: &Prepared) {
    assert_eq!(whole.evidence.graph, read.evidence.graph, "{what}: subgraph");
    assert_eq!(whole.evidence.facts, read.evidence.facts, "{what}: facts");
    assert_eq!(serde_json::to_string(&whole.messages).unwrap(), serde_json::to_string(&read.messages).unwrap(), "{what}: messages");
    assert_eq!(whole.offline_answer, read.offline_answer, "{what}: offline answer");
}

#[test]
fn every_selection_answers_the_same_from_its_neighbourhood_as_from_the_whole_graph() {
    let db = UsageDb::from_connection(common::seeded(), 0).unwrap();
    let conn = db.conn();
    let whole = build(conn).unwrap();
    let telemetry = TelemetryIndex::from_db(conn, None).unwrap();
    let retriever = TelemetryRetriever { index: &telemetry, model: None };
    let range = ReportFilters::data_range(conn).unwrap();
    let (mut selections, mut answers, mut non_empty, mut largest) = (0, 0, 0, 0);
    for report in &registry().reports {
        let result = report.run(conn, &range, &Default::default()).unwrap();
        for selection in selectable_rows(&report.spec, &result) {
            selections += 1;
            let request = |graph| Request {
                conn,
                graph,
                report: &report.spec,
                result: &result,
                selection: &selection,
                docs: None,
                telemetry: Some(&retriever as &dyn EntitySource),
                budget: EvidenceBudget::default(),
            };
            let mut asks: Vec<Ask> = offered_chips(&report.spec, &selection).iter().map(|c| Ask::chip(&c.id)).collect();
            asks.extend(QUESTIONS.iter().map(|q| Ask::question(q)));
            for ask in asks {
                let from_whole = prepare(&request(GraphSource::Whole(&whole)), &ask).unwrap();
                let from_db = prepare(&request(GraphSource::Database(conn)), &ask).unwrap();
                same(&format!("{} {} {ask:?}", report.spec.key, selection.entity), &from_whole, &from_db);
                assert!(from_whole.evidence.graph_read.is_none());
                answers += 1;
                if !from_db.evidence.graph.nodes.is_empty() {
                    non_empty += 1;
                    let read = from_db.evidence.graph_read.expect("read from the database");
                    assert!(read.nodes >= from_db.evidence.graph.reached, "{read:?}");
                    largest = largest.max(read.nodes);
                }
            }
        }
    }
    eprintln!("{selections} selections, {answers} answers, {non_empty} non-empty, largest {largest} of {}", whole.node_count());
    assert!(
        selections >= 40 && answers >= selections * 10 && non_empty >= answers / 2,
        "{selections} selections, {answers} answers, {non_empty}"
    );
}

#[test]
fn the_traversal_of_a_neighbourhood_equals_the_whole_graphs_for_every_kind_of_start() {
    let conn = common::seeded();
    let whole = build(&conn).unwrap();
    let range: (Date, Date) = {
        let r = ReportFilters::data_range(&conn).unwrap();
        (r.from, r.to)
    };
    let budgets = [Budget::default(), Budget { max_depth: 2, ..Budget::default() }, Budget { max_depth: 5, ..Budget::default() }];
    let mut starts: Vec<(NodeKind, String)> = Vec::new();
    for (kind, sql) in [
        (NodeKind::Job, "SELECT job_id FROM jobs ORDER BY job_id"),
        (NodeKind::Compute, "SELECT compute_id FROM non_job_compute ORDER BY compute_id"),
        (NodeKind::User, "SELECT user_id FROM users_lookup ORDER BY user_id"),
        (NodeKind::Eviction, "SELECT eviction_id FROM eviction_details ORDER BY eviction_id"),
        (NodeKind::Workspace, "SELECT workspace_id FROM workspace ORDER BY workspace_id"),
        (NodeKind::JobRun, "SELECT job_run_id FROM job_runs WHERE rowid % 97 = 0 ORDER BY job_run_id"),
        (NodeKind::Event, "SELECT event_id FROM events WHERE rowid % 211 = 0 ORDER BY event_id"),
    ] {
        starts.extend(common::strings(&conn, sql).into_iter().map(|id| (kind, id)));
    }
    starts.push((NodeKind::Job, "J-NO-SUCH-JOB".to_string()));
    let days = [range.0, Date::from_ymd(2025, 11, 15), Date::from_ymd(2025, 12, 6), range.1];
    let mut compared = 0;
    for (kind, id) in &starts {
        let windows = std::iter::once(range).chain(days.iter().map(|&d| (d, d)));
        for window in windows {
            for budget in &budgets {
                let oracle = traverse(&whole, &whole.find(*kind, id).into_iter().collect::<Vec<_>>(), window, budget);
                let (g, nodes, read) = neighbourhood(&conn, &[(*kind, id.clone())], window, budget.max_depth).unwrap();
                assert_eq!(traverse(&g, &nodes, window, budget), oracle, "{kind} {id} {window:?} depth {}", budget.max_depth);
                assert!(read.nodes >= oracle.reached, "{kind} {id}: {read:?}");
                compared += 1;
            }
        }
    }
    // Several starts at once, as a follow-up naming other entities gives them.
    let pairs = [
        vec![(NodeKind::Job, "J-SUPPLY-TRANSFORM".to_string()), (NodeKind::Job, "J-SUPPLY-RAW".to_string())],
        vec![
            (NodeKind::Job, "J-LEGACY-ETL".to_string()),
            (NodeKind::User, "U-SYSTEM".to_string()),
            (NodeKind::Job, "J-LEGACY-ETL".to_string()),
        ],
    ];
    for group in pairs {
        let nodes: Vec<_> = group.iter().filter_map(|(k, id)| whole.find(*k, id)).collect();
        let oracle = traverse(&whole, &nodes, range, &Budget::default());
        let (g, local, _) = neighbourhood(&conn, &group, range, Budget::default().max_depth).unwrap();
        assert_eq!(traverse(&g, &local, range, &Budget::default()), oracle, "{group:?}");
        assert!(oracle.reached > 1);
    }
    assert_eq!(compared, starts.len() * (1 + days.len()) * budgets.len());
}
