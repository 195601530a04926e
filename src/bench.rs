//! Timings for `make bench` that run the same way natively (`copilot bench-reports`) and in
//! the browser (`#/bench`): the usage graph build and every report over the data's range.

use std::collections::BTreeMap;

use crate::clock::now_ms;
use crate::db::UsageDb;
use crate::report::{registry, ReportFilters};

/// The median of `values` (0 when empty).
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// `{"graph": {...}, "reports": {key: {median_ms, runs_ms, rows, steps}}}`: the graph built
/// once, then each report `runs` times over the data's full range.
pub fn graph_and_reports(db: &UsageDb, runs: usize) -> Result<serde_json::Value, String> {
    let filters = ReportFilters::data_range(db.conn()).map_err(|e| e.to_string())?;
    let graph = crate::graph::build(db.conn()).map_err(|e| e.to_string())?;
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
        reports.insert(report.spec.key.clone(), serde_json::json!({ "median_ms": median(times.clone()), "runs_ms": times, "rows": rows, "steps": steps }));
    }
    Ok(serde_json::json!({ "graph": graph_json, "reports": reports }))
}
