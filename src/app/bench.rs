//! Timings for `make bench` that run the same way natively (`copilot bench-reports`) and in
//! the browser (`#/bench`): the usage graph build and every report over the data's range.

use std::collections::BTreeMap;

use crate::base::clock::{median, now_ms};
use crate::data::db::UsageDb;
use crate::report::{registry, ReportFilters};

/// `{"graph": {...}, "reports": {key: {median_ms, runs_ms, rows, steps}}}`: the graph built
/// once, then each report `runs` times over the data's full range.
pub fn graph_and_reports(db: &UsageDb, runs: usize) -> Result<serde_json::Value, String> {
    let filters = ReportFilters::data_range(db.conn()).map_err(|e| e.to_string())?;
    let graph = crate::copilot::graph::build(db.conn()).map_err(|e| e.to_string())?;
    let graph_json = serde_json::json!({ "build_ms": graph.stats.build_ms, "nodes": graph.stats.nodes, "edges": graph.stats.edges });
    drop(graph);
    let mut reports = serde_json::Map::new();
    for report in &registry().reports {
        let mut times = Vec::with_capacity(runs);
        let mut rows = 0;
        let mut steps: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for _ in 0..runs {
            let t = now_ms();
            let result = report.run(db.conn(), &filters, &BTreeMap::new()).map_err(|e| e.to_string())?;
            times.push(now_ms() - t);
            rows = result.rows().len();
            for (step, ms) in &result.timings {
                steps.entry(step.clone()).or_default().push(*ms);
            }
        }
        let steps: BTreeMap<String, f64> = steps.into_iter().map(|(k, v)| (k, median(v))).collect();
        reports.insert(
            report.spec.key.clone(),
            serde_json::json!({ "median_ms": median(times.clone()), "runs_ms": times, "rows": rows, "steps": steps }),
        );
    }
    Ok(serde_json::json!({ "graph": graph_json, "reports": reports }))
}

/// Times one ad-hoc query (`&sql=` on the bench URL): a tool for finding slow steps.
pub fn time_sql(db: &UsageDb, sql: &str, runs: usize) -> Result<serde_json::Value, String> {
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0usize;
    for _ in 0..runs {
        let t = now_ms();
        let mut stmt = db.conn().prepare(sql).map_err(|e| e.to_string())?;
        let mut cursor = stmt.raw_query();
        rows = 0;
        while cursor.next().map_err(|e| e.to_string())?.is_some() {
            rows += 1;
        }
        times.push(now_ms() - t);
    }
    Ok(serde_json::json!({ "sql": sql, "median_ms": median(times.clone()), "runs_ms": times, "rows": rows }))
}

/// Times an import of system-table exports given as (name, bytes): input size, import time,
/// database size and usage rows written.
pub fn time_import(files: &[(String, Vec<u8>)]) -> Result<serde_json::Value, String> {
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let t = now_ms();
    let imported = crate::data::import::import_files(files).map_err(|e| e.to_string())?;
    let import_ms = now_ms() - t;
    let usage_rows: i64 =
        imported.db.conn().query_row("SELECT COUNT(*) FROM compute_usage", [], |r| r.get(0)).map_err(|e| e.to_string())?;
    Ok(
        serde_json::json!({ "input_bytes": bytes, "import_ms": import_ms, "db_bytes": imported.bytes.len(), "compute_usage_rows": usage_rows }),
    )
}
