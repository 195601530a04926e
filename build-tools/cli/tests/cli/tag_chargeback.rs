//! `copilot report tag_chargeback --format json`: the document shape of every report, text
//! params given with `--param` (echoed in `params` as strings), exactly the engine's figures
//! for them, a reconciled total, and a clear error for a value the rule does not take.

use std::collections::BTreeMap;

use usage_copilot::report::engine::typed_texts;
use usage_copilot::report::output::report_json;
use usage_copilot::report::{registry, ReportFilters};

use super::{copilot, seeded_db};

#[test]
fn tag_chargeback_prints_json_like_every_report_for_any_key_and_rule() {
    let db = seeded_db("tag-chargeback-json");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let report = registry().get("tag_chargeback").unwrap();
    let filters = ReportFilters::data_range(&conn).unwrap();
    for (key, allocation) in [("team", "proportional"), ("cost_center", "unallocated")] {
        let (tag_key, rule) = (format!("tag_key={key}"), format!("allocation={allocation}"));
        let args = ["report", "tag_chargeback", "--db", db.to_str().unwrap(), "--format", "json", "--param", &tag_key, "--param", &rule];
        let (ok, stdout, stderr) = copilot(&args);
        assert!(ok, "{key}: {stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["filters", "kpis", "params", "report", "rows"], "{key}");
        assert_eq!(json["params"], serde_json::json!({ "allocation": allocation, "tag_key": key }));
        let params: BTreeMap<String, String> = [("tag_key".into(), key.into()), ("allocation".into(), allocation.into())].into();
        let expected = report_json(&report.spec, &report.run_with(&conn, &filters, &typed_texts(&params)).unwrap());
        assert_eq!(json, expected, "{key}: the CLI prints what the engine computes");
        // The lines add up to the total, to the cent.
        let cents = |v: &serde_json::Value| (v.as_f64().unwrap() * 100.0).round() as i64;
        let lines: i64 = json["rows"].as_array().unwrap().iter().map(|r| cents(&r["total_cost_usd"])).sum();
        assert_eq!(lines, cents(&json["kpis"]["total_cost_usd"]), "{key}");
    }
    let (ok, _, stderr) =
        copilot(&["report", "tag_chargeback", "--db", db.to_str().unwrap(), "--format", "json", "--param", "allocation=evenly"]);
    assert!(!ok);
    assert!(stderr.contains("Shared spend must be one of proportional, unallocated (got \"evenly\")."), "{stderr}");
}
