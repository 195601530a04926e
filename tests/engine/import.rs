//! Importing a hand-written export of Databricks system tables
//! (tests/fixtures/system-tables/): every figure is checked against the values worked out
//! by hand in tests/fixtures/system-tables/EXPECTED.md.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rusqlite::Connection;
use usage_copilot::data::import::{import_files, Imported};
use usage_copilot::report::{registry, ReportFilters, Value};

pub(crate) type Files = Vec<(String, Vec<u8>)>;

pub(crate) fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The export files of a fixture directory (CSV and JSON Lines only), sorted by name.
pub(crate) fn read_files(name: &str) -> Files {
    let dir = fixture_dir(name);
    let mut files: Files = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("csv" | "jsonl")))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

pub(crate) fn good_files() -> Files {
    read_files("system-tables")
}

fn bad_file(name: &str) -> (String, Vec<u8>) {
    read_files("system-tables-bad").into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no bad fixture {name}"))
}

pub(crate) fn import(files: &[(String, Vec<u8>)]) -> Imported {
    import_files(files).unwrap_or_else(|e| panic!("import failed: {e:?}"))
}

fn cents(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

fn assert_money(actual: f64, expected: f64, what: &str) {
    assert_eq!(cents(actual), cents(expected), "{what}: got {actual}, expected {expected}");
}

fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!((actual - expected).abs() <= tolerance, "{what}: got {actual}, expected {expected}");
}

fn real(conn: &Connection, sql: &str) -> f64 {
    common::real(conn, sql)
}

fn opt_text(conn: &Connection, sql: &str) -> Option<String> {
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}: {sql}"))
}

fn text(conn: &Connection, sql: &str) -> String {
    opt_text(conn, sql).unwrap_or_else(|| panic!("NULL: {sql}"))
}

/// Σ total_cost of a job's runs (compute_usage ⋈ job_runs).
fn job_cost(conn: &Connection, job_id: &str) -> f64 {
    real(
        conn,
        &format!(
            "SELECT COALESCE(SUM(u.total_cost), 0) FROM compute_usage u \
             JOIN job_runs r ON r.job_run_id = u.parent_id \
             WHERE u.parent_type = 'JOB_RUN' AND r.job_id = '{job_id}'"
        ),
    )
}

/// Every row of a table as text, sorted: a content fingerprint independent of row order.
pub(crate) fn dump(conn: &Connection, table: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
    let columns = stmt.column_count();
    let mut rows: Vec<String> = stmt
        .query_map([], |r| {
            Ok((0..columns)
                .map(|i| match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join(" | "))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.sort();
    rows
}

#[test]
fn every_file_is_recognised_by_its_columns() {
    let imported = import(&good_files());
    let expected: [(&str, &str, &str, usize); 10] = [
        ("export_01.csv", "system.billing.usage", "csv", 28),
        ("export_02.jsonl", "system.billing.list_prices", "jsonl", 6),
        ("export_03.csv", "system.lakeflow.jobs", "csv", 6),
        ("export_04.csv", "system.lakeflow.job_run_timeline", "csv", 17),
        ("export_05.jsonl", "system.lakeflow.job_task_run_timeline", "jsonl", 17),
        ("export_06.csv", "system.compute.clusters", "csv", 10),
        ("export_07.csv", "system.compute.instance_events", "csv", 10),
        ("export_08.csv", "system.compute.node_timeline", "csv", 61),
        ("export_09.jsonl", "system.compute.warehouses", "jsonl", 1),
        ("export_10.csv", "system.query.history", "csv", 5),
    ];
    assert_eq!(imported.report.files.len(), expected.len());
    for (name, table, format, rows) in expected {
        let f = imported.report.files.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{name} not in the report"));
        assert_eq!(f.table.map(|t| t.name()), Some(table), "{name}");
        assert_eq!(f.format, format, "{name}");
        assert!(f.malformed.is_empty(), "{name}: {:?}", f.malformed);
        assert_eq!(f.rows, rows, "{name} rows");
        assert_eq!(f.imported, rows, "{name} imported");
        assert!(f.missing_columns.is_empty(), "{name}: {:?}", f.missing_columns);
    }
}

#[test]
fn costs_use_the_price_valid_at_each_usage_hour() {
    let imported = import(&good_files());
    let conn = imported.db.conn();

    // Per job (EXPECTED §4).
    assert_money(job_cost(conn, "1001"), 4.15, "job 1001");
    assert_money(job_cost(conn, "1002"), 2.35, "job 1002");
    assert_money(job_cost(conn, "1004"), 0.60, "job 1004");
    assert_money(job_cost(conn, "1003"), 0.0, "job 1003 runs on the all-purpose cluster");
    assert_money(job_cost(conn, "1005"), 0.0, "job 1005 runs on the all-purpose cluster");

    // compute_usage per (run, sku, usage_date).
    assert_eq!(common::int(conn, "SELECT COUNT(*) FROM compute_usage"), 15);
    assert_eq!(common::int(conn, "SELECT COUNT(*) FROM compute_usage WHERE parent_type = 'JOB_RUN'"), 9);
    let per_run_day: [(&str, &str, f64, f64); 9] = [
        ("5001", "2025-11-03", 11.0, 1.65),
        ("5002", "2025-11-14", 6.0, 0.90),
        ("5002", "2025-11-15", 5.0, 1.00),
        ("5003", "2025-11-30", 3.0, 0.60),
        ("6001", "2025-11-10", 3.0, 0.45),
        ("9007199254740993", "2025-11-10", 2.0, 0.30),
        ("6003", "2025-11-20", 8.0, 1.60),
        ("8001", "2025-11-21", 1.0, 0.20),
        ("8003", "2025-11-24", 2.0, 0.40),
    ];
    for (run, day, dbus, cost) in per_run_day {
        let (d, c, sku): (f64, f64, String) = conn
            .query_row(
                "SELECT SUM(dbus_consumed), SUM(total_cost), MAX(compute_sku) FROM compute_usage \
                 WHERE parent_type = 'JOB_RUN' AND parent_id = ?1 AND usage_date = ?2",
                [run, day],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap_or_else(|e| panic!("run {run} on {day}: {e}"));
        assert_close(d, dbus, 1e-9, &format!("run {run} {day} dbus"));
        assert_money(c, cost, &format!("run {run} {day} cost"));
        assert_eq!(sku, "PREMIUM_JOBS_COMPUTE");
    }

    // The price change on 2025-11-15T00:00Z splits run 5002: 6 × 0.15 + 5 × 0.20.
    assert_money(real(conn, "SELECT SUM(total_cost) FROM compute_usage WHERE parent_id = '5002'"), 1.90, "run 5002");

    // All-purpose: effective_list (0.50), not default (0.55). Warehouse: default (0.55) as fallback.
    let apc = "SELECT SUM(total_cost) FROM compute_usage WHERE parent_type = 'APC_CLUSTER' AND parent_id = '1101-080000-sharedap'";
    assert_money(real(conn, apc), 9.00, "all-purpose cluster");
    let wh = "SELECT SUM(total_cost) FROM compute_usage WHERE parent_type = 'SQL_WAREHOUSE' AND parent_id = '4b9f2c1d8e7a6f50'";
    assert_money(real(conn, wh), 7.70, "warehouse");
    assert_money(
        real(conn, "SELECT total_cost FROM compute_usage WHERE parent_type = 'APC_CLUSTER' AND usage_date = '2025-11-12'"),
        6.00,
        "all-purpose 2025-11-12",
    );
    assert_money(
        real(conn, "SELECT total_cost FROM compute_usage WHERE parent_type = 'SQL_WAREHOUSE' AND usage_date = '2025-11-06'"),
        4.40,
        "warehouse 2025-11-06",
    );
}

#[test]
fn retractions_and_restatements_are_summed_with_originals() {
    let imported = import(&good_files());
    let conn = imported.db.conn();
    // 4 + 4 + 2 − 4 (RETRACTION) + 5 (RESTATEMENT) = 11 DBU × 0.15.
    assert_close(real(conn, "SELECT SUM(dbus_consumed) FROM compute_usage WHERE parent_id = '5001'"), 11.0, 1e-9, "run 5001 dbus");
    assert_money(real(conn, "SELECT SUM(total_cost) FROM compute_usage WHERE parent_id = '5001'"), 1.65, "run 5001 cost");
}

#[test]
fn attribution_gaps_match_the_hand_computed_figures() {
    let imported = import(&good_files());
    let g = &imported.report.gaps;
    assert_money(g.total_cost, 25.70, "total_cost");
    assert_money(g.unattributed_cost, 16.70, "unattributed_cost");
    assert_close(g.unattributed_share_pct, 100.0 * 16.70 / 25.70, 0.01, "unattributed_share_pct");
    assert_money(g.other_products_cost, 1.90, "other_products_cost");
    assert_close(g.unpriced_dbus, 1.5, 1e-9, "unpriced_dbus");
    assert_money(g.untagged_cost, 10.50, "untagged_cost");
    assert_close(g.untagged_share_pct, 100.0 * 10.50 / 25.70, 0.01, "untagged_share_pct");
    assert_money(g.attributable_by_tasks_cost, 3.00, "attributable_by_tasks_cost");

    // Per job, read through serde so that either a (job_id, cost) pair or a {job_id, cost} object works.
    let json = serde_json::to_value(g).unwrap();
    let mut per_job = BTreeMap::new();
    for entry in json["attributable_by_tasks"].as_array().expect("attributable_by_tasks is a list") {
        let (job, cost) = match entry {
            serde_json::Value::Array(pair) => (pair[0].as_str().unwrap().to_string(), pair[1].as_f64().unwrap()),
            serde_json::Value::Object(o) => (o["job_id"].as_str().unwrap().to_string(), o["cost"].as_f64().unwrap()),
            other => panic!("unexpected attribution entry {other}"),
        };
        per_job.insert(job, cents(cost));
    }
    assert_eq!(per_job, BTreeMap::from([("1003".to_string(), 225), ("1005".to_string(), 75)]));
}

#[test]
fn job_runs_merge_hourly_slices_and_map_result_states() {
    let imported = import(&good_files());
    let conn = imported.db.conn();
    assert_eq!(common::int(conn, "SELECT COUNT(*) FROM job_runs"), 11);
    let expected: [(&str, &str, &str, &str, &str); 11] = [
        ("5001", "1001", "2025-11-03 01:00:00", "2025-11-03 03:30:00", "SUCCESS"),
        ("5002", "1001", "2025-11-14 23:30:00", "2025-11-15 00:45:00", "SUCCESS"),
        ("5003", "1001", "2025-11-30 22:00:00", "2025-11-30 23:00:00", "RUNNING"),
        ("6001", "1002", "2025-11-10 02:00:00", "2025-11-10 02:40:00", "FAILED"),
        ("9007199254740993", "1002", "2025-11-10 03:00:00", "2025-11-10 03:45:00", "SUCCESS"),
        ("6003", "1002", "2025-11-20 04:00:00", "2025-11-20 06:00:00", "FAILED"),
        ("7001", "1003", "2025-11-12 09:15:00", "2025-11-12 10:30:00", "SUCCESS"),
        ("8001", "1004", "2025-11-21 10:00:00", "2025-11-21 10:20:00", "FAILED"),
        ("8002", "1004", "2025-11-22 10:00:00", "2025-11-22 10:00:05", "SKIPPED"),
        ("8003", "1004", "2025-11-24 08:00:00", "2025-11-24 08:50:00", "SUCCESS"),
        ("9001", "1005", "2025-11-12 10:15:00", "2025-11-12 10:45:00", "SUCCESS"),
    ];
    for (run, job, start, end, status) in expected {
        let row: (String, String, Option<String>, String) = conn
            .query_row("SELECT job_id, start_time, end_time, run_status FROM job_runs WHERE job_run_id = ?1", [run], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap_or_else(|e| panic!("run {run}: {e}"));
        assert_eq!(row, (job.to_string(), start.to_string(), Some(end.to_string()), status.to_string()), "run {run}");
    }
    let summary = |run: &str| text(conn, &format!("SELECT error_summary FROM job_runs WHERE job_run_id = '{run}'"));
    assert_eq!(summary("6001"), "result_state FAILED, termination_code RUN_EXECUTION_ERROR");
    assert_eq!(summary("6003"), "result_state TIMED_OUT, termination_code RUN_EXECUTION_ERROR");
    assert_eq!(summary("8001"), "result_state CANCELLED, termination_code CANCELLED");
    // Durations: end − start.
    assert_eq!(common::int(conn, "SELECT duration_ms FROM job_runs WHERE job_run_id = '5001'"), 150 * 60_000);
    assert_eq!(common::int(conn, "SELECT duration_ms FROM job_runs WHERE job_run_id = '5002'"), 75 * 60_000);
}

#[test]
fn jobs_keep_their_latest_version() {
    let imported = import(&good_files());
    let conn = imported.db.conn();
    assert_eq!(common::strings(conn, "SELECT job_id FROM jobs ORDER BY job_id"), ["1001", "1002", "1003", "1004", "1005"]);
    assert_eq!(text(conn, "SELECT job_name FROM jobs WHERE job_id = '1001'"), "nightly_orders_etl");
    assert_eq!(text(conn, "SELECT workspace_id FROM jobs WHERE job_id = '1001'"), "3141592653589793");
    let tags = |job: &str| -> serde_json::Value {
        serde_json::from_str(&text(conn, &format!("SELECT tags FROM jobs WHERE job_id = '{job}'"))).unwrap()
    };
    assert_eq!(tags("1001"), serde_json::json!(["env=prod", "team=data-eng"]));
    assert_eq!(tags("1002"), serde_json::json!(["cost_center=cc-42", "team=ml"]));
    // The chargeback reads the imported key=value tags: one line per team, each the cents
    // of its job's usage, and the lines reconcile to the usage total.
    let result = registry().get("tag_chargeback").unwrap().run(conn, &ReportFilters::data_range(conn).unwrap(), &BTreeMap::new()).unwrap();
    let rows = result.rows();
    let cents = |v: &Value| (v.as_f64().unwrap() * 100.0).round() as i64;
    let direct: BTreeMap<String, i64> = (0..rows.len())
        .filter(|&i| rows.row(i).text("tag_value") != "(unallocated)")
        .map(|i| (rows.row(i).text("tag_value"), cents(rows.get(i, "direct_cost_usd"))))
        .collect();
    let of_job = |job: &str| {
        common::int(
            conn,
            &format!(
                "SELECT COALESCE(SUM(CAST(ROUND(u.total_cost * 100) AS INTEGER)), 0) FROM compute_usage u JOIN job_runs r \
                 ON r.job_run_id = u.parent_id AND u.parent_type = 'JOB_RUN' WHERE r.job_id = '{job}'"
            ),
        )
    };
    let expected: BTreeMap<String, i64> =
        [("data eng".to_string(), of_job("1001")), ("ml".to_string(), of_job("1002"))].into_iter().filter(|(_, c)| *c != 0).collect();
    assert!(expected.len() == 2, "{expected:?}");
    assert_eq!(direct, expected);
    let lines: i64 = (0..rows.len()).map(|i| cents(rows.get(i, "total_cost_usd"))).sum();
    assert_eq!(lines, common::int(conn, "SELECT SUM(CAST(ROUND(total_cost * 100) AS INTEGER)) FROM compute_usage"));
}

#[test]
fn spot_ratio_and_its_source_per_run() {
    let imported = import(&good_files());
    let conn = imported.db.conn();
    let source = |run: &str| text(conn, &format!("SELECT source FROM job_run_spot WHERE job_run_id = '{run}'"));
    let ratio = |run: &str| real(conn, &format!("SELECT spot_ratio FROM job_runs WHERE job_run_id = '{run}'"));
    let expected: [(&str, &str, Option<f64>); 11] = [
        ("5001", "observed", Some(0.35)),
        ("5002", "configured", Some(0.75)),
        ("5003", "configured", Some(0.5)),
        ("6001", "configured", Some(0.0)),
        ("9007199254740993", "configured", Some(0.8)),
        ("6003", "unknown", None),
        ("7001", "configured", Some(0.0)),
        ("8001", "configured", Some(0.0)),
        ("8002", "unknown", None),
        ("8003", "configured", Some(0.5)),
        ("9001", "configured", Some(0.0)),
    ];
    for (run, src, spot) in expected {
        assert_eq!(source(run), src, "run {run} source");
        if let Some(spot) = spot {
            assert_close(ratio(run), spot, 1e-9, &format!("run {run} spot_ratio"));
        }
    }
}

#[test]
fn warehouses_clusters_and_queries() {
    let imported = import(&good_files());
    let conn = imported.db.conn();
    let kind = |id: &str| text(conn, &format!("SELECT compute_type || ' ' || compute_name FROM non_job_compute WHERE compute_id = '{id}'"));
    assert_eq!(kind("4b9f2c1d8e7a6f50"), "SQL_WAREHOUSE bi-warehouse");
    assert_eq!(kind("1101-080000-sharedap"), "APC_CLUSTER shared-analytics");

    assert_eq!(common::int(conn, "SELECT COUNT(*) FROM sql_query_history"), 5);
    assert_eq!(common::int(conn, "SELECT COUNT(*) FROM sql_query_history WHERE parent_id = '4b9f2c1d8e7a6f50'"), 5);
    let failed = common::strings(conn, "SELECT query_id FROM sql_query_history WHERE error_message IS NOT NULL AND error_message != ''");
    assert_eq!(failed, ["01f0bb7e-3a10-4c21-9d5e-7a0c00000003"]);
    let message = text(conn, "SELECT error_message FROM sql_query_history WHERE query_id = '01f0bb7e-3a10-4c21-9d5e-7a0c00000003'");
    assert!(message.starts_with("[TABLE_OR_VIEW_NOT_FOUND]"), "{message}");
}

#[test]
fn the_import_report_is_stored_in_the_database() {
    let imported = import(&good_files());
    let stored = text(imported.db.conn(), "SELECT json FROM import_report");
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored, serde_json::to_value(&imported.report).unwrap());
}

#[test]
#[allow(clippy::approx_constant)] // 2.3025 is a spot cost that happens to look like ln 10
fn job_cost_report_runs_on_the_imported_database() {
    let imported = import(&good_files());
    let conn = imported.db.conn();
    let filters = ReportFilters::data_range(conn).unwrap();
    assert_eq!((filters.from.to_string(), filters.to.to_string()), ("2025-11-03".to_string(), "2025-11-30".to_string()));
    let result = registry().get("job_cost").unwrap().run(conn, &filters, &BTreeMap::new()).unwrap();
    let rows = result.rows();
    let num = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("not a number: {v:?}"));
    // (job, total, spot, runs, failed, skipped, mean minutes)
    let expected: [(&str, f64, f64, i64, i64, i64, f64); 5] = [
        ("1001", 4.15, 2.3025, 3, 0, 0, 112.5),
        ("1002", 2.35, 0.24, 3, 2, 0, 205.0 / 3.0),
        ("1004", 0.60, 0.20, 3, 1, 1, 35.0),
        ("1003", 0.0, 0.0, 1, 0, 0, 75.0),
        ("1005", 0.0, 0.0, 1, 0, 0, 30.0),
    ];
    assert_eq!(rows.len(), expected.len());
    for (i, (job, total, spot, runs, failed, skipped, minutes)) in expected.into_iter().enumerate() {
        let row = rows.row(i);
        assert_eq!(row.text("job_id"), job, "row {i}");
        assert_money(num(row.get("total_cost_usd")), total, &format!("{job} total"));
        assert_money(num(row.get("spot_cost_usd")), spot, &format!("{job} spot"));
        assert_eq!(num(row.get("runs")) as i64, runs, "{job} runs");
        assert_eq!(num(row.get("failed_runs")) as i64, failed, "{job} failed");
        assert_eq!(num(row.get("skipped_runs")) as i64, skipped, "{job} skipped");
        assert_close(num(row.get("avg_minutes")), minutes, 1e-6, &format!("{job} minutes"));
    }
    assert_eq!(rows.row(0).text("job_name"), "nightly_orders_etl");
    assert_money(num(result.kpi("total_cost_usd").unwrap()), 7.10, "KPI job spend");
}

#[test]
fn a_renamed_required_column_names_the_closest_table_and_what_it_lacks() {
    let mut files = good_files();
    files.push(bad_file("usage_renamed_quantity.csv"));
    let imported = import(&files);
    let f = imported.report.files.iter().find(|f| f.name == "usage_renamed_quantity.csv").unwrap();
    assert_eq!(f.table, None);
    assert_eq!(f.closest.map(|t| t.name()), Some("system.billing.usage"));
    assert!(f.missing_columns.iter().any(|c| c == "usage_quantity"), "{:?}", f.missing_columns);
    assert_eq!(f.imported, 0);
    // Its rows did not leak into the import.
    assert_money(imported.report.gaps.total_cost, 25.70, "total_cost");
    assert_eq!(common::int(imported.db.conn(), "SELECT COUNT(*) FROM compute_usage"), 15);
}

#[test]
fn malformed_lines_are_reported_by_line_and_the_rest_imports() {
    let mut files: Files = good_files().into_iter().filter(|(n, _)| n != "export_04.csv").collect();
    files.push(bad_file("runs_with_bad_lines.csv"));
    let imported = import(&files);
    let f = imported.report.files.iter().find(|f| f.name == "runs_with_bad_lines.csv").unwrap();
    assert_eq!(f.table.map(|t| t.name()), Some("system.lakeflow.job_run_timeline"));
    let lines: Vec<usize> = f.malformed.iter().map(|m| m.line).collect();
    assert_eq!(lines, [5, 12], "{:?}", f.malformed);
    assert!(f.malformed.iter().all(|m| !m.message.is_empty()));
    assert_eq!(f.rows, 19);
    assert_eq!(f.imported, 17);
    let conn = imported.db.conn();
    assert_eq!(common::int(conn, "SELECT COUNT(*) FROM job_runs"), 11);
    assert_eq!(common::int(conn, "SELECT COUNT(*) FROM job_runs WHERE job_run_id IN ('8098', '8099')"), 0);
    assert_eq!(text(conn, "SELECT run_status FROM job_runs WHERE job_run_id = '5001'"), "SUCCESS");
}

#[test]
fn the_same_files_in_another_order_give_the_same_import() {
    let forward = good_files();
    let mut backward = forward.clone();
    backward.reverse();
    // A third order: interleaved.
    let mut shuffled: Files = forward.iter().step_by(2).cloned().collect();
    shuffled.extend(forward.iter().skip(1).step_by(2).cloned());

    let a = import(&forward);
    let a_json = serde_json::to_string(&a.report).unwrap();
    let tables = ["jobs", "job_runs", "compute_usage", "non_job_compute", "job_run_spot", "sql_query_history", "import_report"];
    for other in [backward, shuffled] {
        let b = import(&other);
        assert_eq!(serde_json::to_string(&b.report).unwrap(), a_json);
        for table in tables {
            assert_eq!(dump(b.db.conn(), table), dump(a.db.conn(), table), "{table}");
        }
    }
}

/// The coverage the import page shows for these files, from every report spec's `[requires]`.
fn coverage_of(imported: &Imported, registry: &usage_copilot::report::Registry) -> Vec<usage_copilot::report::coverage::ReportCoverage> {
    let facts = usage_copilot::data::import::data_facts(imported.db.conn(), &imported.report).unwrap();
    usage_copilot::report::coverage::coverage(registry, &facts)
}

#[test]
fn coverage_lists_every_report_with_its_specs_title_and_requirements() {
    let imported = import(&good_files());
    let coverage = coverage_of(&imported, registry());
    let rows: Vec<(&str, &str, bool)> = coverage.iter().map(|c| (c.report.as_str(), c.title.as_str(), c.available)).collect();
    assert_eq!(
        rows,
        [
            ("job_cost", "Job Cost & Reliability", true),
            ("compute_type_cost", "Total Cost by Compute Type", true),
            ("job_cost_pareto", "Cost Concentration (Pareto)", true),
            // Up time and settings of shared compute are not mapped from the exports yet.
            ("utilization", "Utilization", false),
            ("tag_chargeback", "Tag Chargeback", true),
            ("budget_status", "Budgets", true),
            ("spot_risk_by_job", "Spot Risk Exposure", true),
            ("reliability_scorecard", "Reliability Scorecard", true),
            // The fixtures have usage on 13 days (EXPECTED.md §4: 8 job-run days, 3 more for the
            // all-purpose cluster, 2 more for the warehouse); the anomaly baseline needs 15.
            ("anomaly_detection", "Cost Anomalies", false),
            ("runtime_regression", "Runtime Regression", true),
            ("cost_drift", "Cost Drift", true),
        ]
    );
    let note = |key: &str| coverage.iter().find(|c| c.report == key).unwrap().note.clone();
    assert_eq!(note("job_cost"), "job spend from billing usage");
    // EXPECTED.md §8: run 5001 observed; 6003 and 8002 unknown; the other eight configured.
    assert_eq!(
        note("spot_risk_by_job"),
        "spot share observed from instance events for 1 run, configured (aws_attributes) for 8 runs, unknown for 2 runs"
    );
    assert_eq!(note("anomaly_detection"), "needs at least 15 days of usage (14 of baseline); the files cover 13");
    assert_eq!(
        note("utilization"),
        "the import does not map up time yet (start and terminate events of all-purpose clusters and warehouses) nor their auto-termination and autoscaling settings"
    );
    // Without the price list nothing can be priced, and every report says what it needs.
    let no_prices: Files = good_files().into_iter().filter(|(n, _)| n != "export_02.jsonl").collect();
    let unpriced = coverage_of(&import(&no_prices), registry());
    // (The runtime regression reads run durations only, and needs no price.)
    let (priced, unpriced): (Vec<_>, Vec<_>) = unpriced.into_iter().partition(|c| c.report != "runtime_regression");
    assert!(priced.iter().all(|c| !c.available && c.note == "needs system.billing.list_prices (to put a price on the DBUs)"), "{priced:?}");
    assert!(unpriced.len() == 1 && unpriced[0].available, "{unpriced:?}");
}

#[test]
fn a_new_report_spec_appears_on_the_coverage_page_with_no_code() {
    // A report that needs the query history and one that needs a table the files lack.
    let pillars = "[[pillars]]\nkey = \"cost\"\ntitle = \"Cost\"\ndescription = \"d\"\n";
    let spec = |key: &str, title: &str, tables: &str| {
        format!(
            "key = \"{key}\"\ntitle = \"{title}\"\npillar = \"cost\"\norder = 1\ndescription = \"d\"\nrows = \"rows\"\n\
             [[columns]]\nname = \"n\"\nlabel = \"N\"\nunit = \"count\"\nmeaning = \"m\"\n\
             [requires]\ntables = [{tables}]\nnote = \"{{usage_days}} days of queries\"\n"
        )
    };
    let (a, b) = (
        spec("warehouse_query_failures", "Warehouse Query Failures", "\"system.query.history\""),
        spec("serving_cost", "Model Serving Cost", "\"system.billing.usage\", \"system.serving.served_entities\""),
    );
    let sql = "-- query: rows\nSELECT COUNT(*) AS n FROM sql_query_history";
    let err = usage_copilot::report::Registry::from_sources(pillars, &[("serving_cost", &b, sql)]).err().unwrap();
    assert!(err.starts_with("serving_cost.toml: ") && err.contains("unknown system table \"system.serving.served_entities\""), "{err}");
    let c = spec("serving_cost", "Model Serving Cost", "\"system.billing.usage\", \"system.compute.node_timeline\"");
    let registry =
        usage_copilot::report::Registry::from_sources(pillars, &[("serving_cost", &c, sql), ("warehouse_query_failures", &a, sql)])
            .unwrap();
    let no_nodes: Files = good_files().into_iter().filter(|(n, _)| n != "export_08.csv").collect();
    let coverage = coverage_of(&import(&no_nodes), &registry);
    let rows: Vec<(&str, bool, &str)> = coverage.iter().map(|c| (c.title.as_str(), c.available, c.note.as_str())).collect();
    assert_eq!(
        rows,
        [
            ("Model Serving Cost", false, "needs system.compute.node_timeline (node-minutes per cluster)"),
            ("Warehouse Query Failures", true, "13 days of queries"),
        ]
    );
}

#[test]
fn an_unknown_entity_type_in_a_report_spec_names_the_file() {
    let pillars = "[[pillars]]\nkey = \"cost\"\ntitle = \"Cost\"\ndescription = \"d\"\n";
    let spec = "key = \"by_warehouse\"\ntitle = \"T\"\npillar = \"cost\"\norder = 1\ndescription = \"d\"\nrows = \"rows\"\n\
                [[columns]]\nname = \"id\"\nlabel = \"Id\"\nunit = \"text\"\nmeaning = \"m\"\n\
                [[entities]]\ndataset = \"rows\"\nentity_type = \"warehouse\"\nid = \"{id}\"\nlabel = \"{id}\"\n\
                [requires]\nnote = \"n\"\n";
    let err =
        usage_copilot::report::Registry::from_sources(pillars, &[("by_warehouse", spec, "-- query: rows\nSELECT 1 AS id")]).err().unwrap();
    assert!(err.starts_with("by_warehouse.toml: "), "{err}");
    assert!(err.contains("unknown variant `warehouse`") && err.contains("`job`, `compute_type`, `compute`, `anomaly`"), "{err}");
}
