//! `copilot report KEY --format json` for the FinOps reports: the same document shape as
//! every report (`report`, `filters`, `params`, `kpis`, `rows`), and exactly the figures the
//! engine computes for the same file, rounded by unit.

use std::collections::BTreeMap;

use usage_copilot::data::budgets::{self, Budget, BudgetScope};
use usage_copilot::report::output::report_json;
use usage_copilot::report::{registry, ReportFilters};

use super::{copilot, seeded_db};

/// The FinOps reports and a field every row of each has.
const REPORTS: &[(&str, &[&str])] = &[
    (
        "runtime_regression",
        &["job_id", "job_name", "pattern", "points", "median_value", "change_date", "median_before", "median_after", "slope_per_day"],
    ),
    (
        "reliability_scorecard",
        &[
            "job_id",
            "job_name",
            "score",
            "success_rate_pct",
            "failed_cost_usd",
            "retries_per_incident",
            "mttr_minutes",
            "longest_streak",
            "runs_over_p95",
        ],
    ),
    (
        "cost_drift",
        &[
            "entity_kind",
            "entity_id",
            "entity_name",
            "prior_usd",
            "current_usd",
            "change_usd",
            "change_cents",
            "share_of_change_pct",
            "movement",
        ],
    ),
    (
        "utilization",
        &[
            "compute_id",
            "compute_name",
            "up_hours",
            "busy_hours",
            "idle_hours",
            "busy_pct",
            "idle_cost_usd",
            "idle_cost_per_month_usd",
            "auto_termination_mins",
            "min_workers",
            "max_workers",
            "peak_workers",
        ],
    ),
];

#[test]
fn finops_reports_print_json_like_every_report() {
    let db = seeded_db("finops-json");
    let conn = rusqlite::Connection::open(&db).unwrap();
    for (key, fields) in REPORTS {
        let (ok, stdout, stderr) = copilot(&["report", key, "--db", db.to_str().unwrap(), "--format", "json"]);
        assert!(ok, "{key}: {stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{key}: {e}: {stdout}"));
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["filters", "kpis", "params", "report", "rows"], "{key}");
        assert_eq!(json["report"], *key);
        assert_eq!((json["filters"]["from"].as_str(), json["filters"]["to"].as_str()), (Some("2025-11-01"), Some("2025-12-15")));
        let rows = json["rows"].as_array().unwrap();
        assert!(!rows.is_empty(), "{key}");
        for field in *fields {
            assert!(rows.iter().all(|r| r.get(field).is_some()), "{key} rows lack {field}");
        }
        let report = registry().get(key).unwrap();
        let filters = ReportFilters::data_range(&conn).unwrap();
        let expected = report_json(&report.spec, &report.run(&conn, &filters, &BTreeMap::new()).unwrap());
        assert_eq!(json, expected, "{key}: the CLI prints what the engine computes");
    }
}

#[test]
fn the_budget_report_reads_a_budgets_file() {
    let db = seeded_db("budgets-json");
    let dir = db.parent().unwrap().to_path_buf();
    let list = vec![
        Budget { name: "Everything".into(), scope: BudgetScope::All, value: String::new(), monthly_usd: 150_000.0 },
        Budget { name: "Warehouses".into(), scope: BudgetScope::ComputeType, value: "SQL_WAREHOUSE".into(), monthly_usd: 9_000.0 },
    ];
    let file = dir.join("budgets.json");
    std::fs::write(&file, budgets::to_file(&list)).unwrap();
    let args =
        ["report", "budget_status", "--db", db.to_str().unwrap(), "--budgets", file.to_str().unwrap(), "--param", "trailing_weeks=2"];
    let (ok, stdout, stderr) = copilot(&args);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    budgets::install(&conn, &list).unwrap();
    let report = registry().get("budget_status").unwrap();
    let params = BTreeMap::from([("trailing_weeks".to_string(), 2.0)]);
    let expected = report_json(&report.spec, &report.run(&conn, &ReportFilters::data_range(&conn).unwrap(), &params).unwrap());
    assert_eq!(json, expected);
    assert_eq!(json["rows"].as_array().unwrap().len(), 2);
    // Without the file the report has no rows; a bad file is named with what is wrong.
    let (ok, stdout, _) = copilot(&["report", "budget_status", "--db", db.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["rows"], serde_json::json!([]));
    std::fs::write(&file, "{\"version\": 1, \"budgets\": [{\"name\": \"A\", \"scope\": \"all\", \"monthly_usd\": -1}]}").unwrap();
    let (ok, _, stderr) = copilot(&["report", "budget_status", "--db", db.to_str().unwrap(), "--budgets", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("budgets.json") && stderr.contains("Budget 1: \"A\" needs a monthly amount above $0 (got -1)."), "{stderr}");
}
