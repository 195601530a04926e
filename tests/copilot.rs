//! The copilot pipeline on the seeded DB: exact prompts against committed snapshots,
//! evidence contents, budgets, and offline narratives for every offered chip.
//!
//! Regenerate the snapshots after an intended change with `UPDATE_GOLDEN=1 cargo test`.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rusqlite::Connection;
use usage_copilot::copilot::{offered_chips, prepare_chip, prepare_question, Prepared, Request};
use usage_copilot::graph::{build, UsageGraph};
use usage_copilot::report::selection::{find_selection, selectable_rows};
use usage_copilot::report::{registry, EntityRef, ReportFilters, ReportResult};

struct Fixture {
    conn: Connection,
    graph: UsageGraph,
}

impl Fixture {
    fn new() -> Fixture {
        let conn = common::seeded();
        let graph = build(&conn).unwrap();
        Fixture { conn, graph }
    }

    fn result(&self, report: &str) -> ReportResult {
        let filters = ReportFilters::data_range(&self.conn).unwrap();
        registry().get(report).unwrap().run(&self.conn, &filters, &BTreeMap::new()).unwrap()
    }

    fn chip(&self, report: &str, entity: &str, chip: &str) -> Prepared {
        let spec = &registry().get(report).unwrap().spec;
        let result = self.result(report);
        let selection = find_selection(spec, &result, &EntityRef::parse(entity).unwrap()).unwrap();
        let req = Request { conn: &self.conn, graph: &self.graph, report: spec, result: &result, selection: &selection, docs: None, telemetry: None };
        prepare_chip(&req, chip).unwrap()
    }
}

const GOLDEN: &[(&str, &str, &str)] = &[
    ("job_cost", "job:J-LEGACY-ETL", "job.why_failing"),
    ("job_cost", "job:J-SUPPLY-TRANSFORM", "core.explain"),
    ("compute_type_cost", "compute_type:SQL_WAREHOUSE", "compute_type.performance"),
    ("job_cost_pareto", "job:J-ML-TRAINING", "pareto.deep_dive"),
    ("spot_risk_by_job", "job:J-ROUTE-OPT", "spot.root_cause"),
    ("anomaly_detection", "anomaly:J-FIN-DAILY@2025-12-05", "anomaly.root_cause"),
];

fn golden_path(report: &str, entity: &str, chip: &str) -> PathBuf {
    let name = format!("{report}__{entity}__{chip}.json").replace([':', '@'], "_");
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

#[test]
fn prompts_equal_the_committed_snapshots_byte_for_byte() {
    let fx = Fixture::new();
    let mut mismatched = Vec::new();
    for (report, entity, chip) in GOLDEN {
        let prepared = fx.chip(report, entity, chip);
        let text = serde_json::to_string_pretty(&serde_json::json!({ "messages": prepared.messages })).unwrap() + "\n";
        let path = golden_path(report, entity, chip);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing snapshot {}", path.display()));
        if committed != text {
            mismatched.push(path.display().to_string());
        }
    }
    assert!(mismatched.is_empty(), "prompts differ from snapshots (UPDATE_GOLDEN=1 if intended): {mismatched:#?}");
}

#[test]
fn the_same_click_builds_the_same_bytes_on_a_fresh_graph() {
    let a = Fixture::new().chip("job_cost", "job:J-ML-TRAINING", "job.why_failing");
    let b = Fixture::new().chip("job_cost", "job:J-ML-TRAINING", "job.why_failing");
    assert_eq!(a.messages, b.messages);
    assert_eq!(a.offline_answer, b.offline_answer);
}

#[test]
fn ml_training_evidence_has_its_evictions_failures_and_the_dec_1_change() {
    let p = Fixture::new().chip("job_cost", "job:J-ML-TRAINING", "job.why_failing");
    let facts = p.evidence.facts_text();
    assert!(facts.contains("15 spot evictions on 2025-12-03, 2025-12-06, 2025-12-09, 2025-12-12, 2025-12-15"), "{facts}");
    assert!(facts.contains("15 failed runs (25.0% of 60 finished)"), "{facts}");
    assert!(facts.contains("they took 122.8 min on average before 2025-12-01 and 168.1 min from 2025-12-01 on (+36.9%)"), "{facts}");
    assert!(facts.contains("2025-12-01: spot share of workers 50.0% → 65.0%"), "{facts}");
    assert!(p.offline_answer.contains("15 runs failed") && p.offline_answer.contains("Spot capacity was lost 15 times"));
}

#[test]
fn transform_evidence_reaches_the_nov_15_upstream_failure_through_the_dependency() {
    let p = Fixture::new().chip("job_cost", "job:J-SUPPLY-TRANSFORM", "core.explain");
    let facts = p.evidence.facts_text();
    assert!(facts.contains("depends on J-SUPPLY-RAW (Supply Chain Raw Ingestion), which failed on 2025-11-15"), "{facts}");
    let graph = p.evidence.graph_text();
    assert!(graph.contains("job → depends on → job → has run → job_run: 45 (44 SUCCESS, 1 FAILED); failed on 2025-11-15"), "{graph}");
    assert!(graph.contains("J-SUPPLY-RAW-20251115-R01: FAILED"), "{graph}");
}

#[test]
fn every_offered_chip_of_every_selectable_entity_answers_offline_within_budget() {
    let fx = Fixture::new();
    let mut count = 0;
    for report in &registry().reports {
        let result = fx.result(&report.spec.key);
        for selection in selectable_rows(&report.spec, &result) {
            let req = Request { conn: &fx.conn, graph: &fx.graph, report: &report.spec, result: &result, selection: &selection, docs: None, telemetry: None };
            for chip in offered_chips(&report.spec, &selection) {
                let p = prepare_chip(&req, &chip.id).unwrap();
                let e = &p.evidence;
                let what = format!("{} {} {}", report.spec.key, selection.entity, chip.id);
                assert!(p.offline_answer.lines().count() >= 4, "{what}: {}", p.offline_answer);
                assert!(e.all_text().chars().count() <= e.budget.max_chars, "{what}: evidence over budget");
                assert!(e.facts.len() <= e.budget.max_facts && e.graph.nodes.len() <= 40, "{what}");
                assert!(e.facts.iter().all(|f| f.text.chars().count() <= e.budget.max_fact_chars), "{what}");
                assert!(e.facts.iter().all(|f| !f.sql.trim().is_empty()), "{what}: a fact without SQL");
                let report = p.check_numbers(&p.offline_answer);
                assert!(report.total() > 0, "{what}: no numbers at all");
                assert_eq!(report.ungrounded_texts(), Vec::<&str>::new(), "{what}:\n{}", p.offline_answer);
                count += 1;
            }
        }
    }
    assert!(count > 150, "only {count} chip answers checked");
}

#[test]
fn a_changed_number_in_an_answer_is_flagged() {
    let p = Fixture::new().chip("job_cost", "job:J-LEGACY-ETL", "job.why_failing");
    assert_eq!(p.check_numbers(&p.offline_answer).ungrounded(), 0);
    let tampered = p.offline_answer.replacen("27 runs failed", "28 runs failed", 1);
    assert_ne!(tampered, p.offline_answer);
    assert_eq!(p.check_numbers(&tampered).ungrounded_texts(), ["28"]);
    let llm_like = "LEGACY failed 27 times [T2] and cost $135,626.77 [T1], about $136k; Inference: it will reach 300 min by January.";
    assert_eq!(p.check_numbers(llm_like).ungrounded_texts(), ["300"]);
}

#[test]
fn a_follow_up_is_anchored_to_the_selection() {
    let fx = Fixture::new();
    let spec = &registry().get("job_cost").unwrap().spec;
    let result = fx.result("job_cost");
    let selection = find_selection(spec, &result, &EntityRef::parse("job:J-FIN-DAILY").unwrap()).unwrap();
    let req = Request { conn: &fx.conn, graph: &fx.graph, report: spec, result: &result, selection: &selection, docs: None, telemetry: None };
    let p = prepare_question(&req, "Why did it cost twice as much on Dec 5?").unwrap();
    assert_eq!(p.messages[1].content.lines().nth(3), Some("Action: follow-up question"));
    assert!(p.messages[1].content.ends_with("QUESTION:\nWhy did it cost twice as much on Dec 5?"));
    assert!(p.messages[1].content.contains("Selection: job J-FIN-DAILY \"Daily Financial Aggregation\""));
    assert!(p.offline_answer.contains("Free-text questions need the LLM"));
}
