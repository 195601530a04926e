//! Timings for `make bench` that run the same way natively (`copilot bench-reports`) and in
//! the browser (`#/bench`): the usage graph build and every report over the data's range.

use std::collections::BTreeMap;

use crate::base::clock::{median, now_ms};
use crate::data::db::UsageDb;
use crate::report::{registry, ReportFilters};

/// `{"graph": {...}, "reports": {key: {median_ms, runs_ms, rows, steps, filtered_ms,
/// workspace_ms}}, "aggregates": {...}}`: the graph built once, then each report `runs` times
/// over the data's full range, each time followed by a filter change to the middle third of
/// the range (`filtered_ms`, median) and one to the first workspace over the full range
/// (`workspace_ms`); then the reports' aggregates built once more from the raw rows, as
/// opening a database without them does.
pub fn graph_and_reports(db: &UsageDb, runs: usize) -> Result<serde_json::Value, String> {
    let filters = ReportFilters::data_range(db.conn()).map_err(|e| e.to_string())?;
    let graph = crate::copilot::graph::build(db.conn()).map_err(|e| e.to_string())?;
    let graph_json = serde_json::json!({ "build_ms": graph.stats.build_ms, "nodes": graph.stats.nodes, "edges": graph.stats.edges });
    drop(graph);
    let third = filters.from.days_until(filters.to) / 3;
    let workspace: Option<String> =
        db.conn().query_row("SELECT MIN(workspace_id) FROM workspace", [], |r| r.get(0)).map_err(|e| e.to_string())?;
    let narrowed = ReportFilters { from: filters.from.add_days(third), to: filters.to.add_days(-third), workspace: None };
    let in_workspace = ReportFilters { workspace, ..filters.clone() };
    let mut reports = serde_json::Map::new();
    for report in &registry().reports {
        let mut times = Vec::with_capacity(runs);
        let mut filtered = Vec::with_capacity(runs);
        let mut in_ws = Vec::with_capacity(runs);
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
            drop(result);
            let t = now_ms();
            report.run(db.conn(), &narrowed, &BTreeMap::new()).map_err(|e| e.to_string())?;
            filtered.push(now_ms() - t);
            let t = now_ms();
            report.run(db.conn(), &in_workspace, &BTreeMap::new()).map_err(|e| e.to_string())?;
            in_ws.push(now_ms() - t);
        }
        let steps: BTreeMap<String, f64> = steps.into_iter().map(|(k, v)| (k, median(v))).collect();
        reports.insert(
            report.spec.key.clone(),
            serde_json::json!({
                "median_ms": median(times.clone()),
                "runs_ms": times,
                "rows": rows,
                "steps": steps,
                "filtered_ms": median(filtered),
                "workspace_ms": median(in_ws),
            }),
        );
    }
    let built = crate::data::aggregates::build_temp(db.conn()).map_err(|e| e.to_string())?;
    Ok(serde_json::json!({ "graph": graph_json, "reports": reports, "aggregates": built }))
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

/// Times an import of system-table exports given as (name, bytes), streamed through the
/// [`Importer`](crate::data::import::Importer) in 1 MiB chunks as a worker feeds
/// `File.stream()`: input size, import time and the time of each phase, database size and
/// usage rows written.
pub fn time_import(files: &[(String, Vec<u8>)]) -> Result<serde_json::Value, String> {
    use crate::data::import::{ImportOptions, Importer, Phase, Progress};
    use std::cell::RefCell;
    use std::rc::Rc;

    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let phases: Rc<RefCell<Vec<(Phase, f64)>>> = Rc::default();
    let log = Rc::clone(&phases);
    let on_progress = Box::new(move |p: &Progress| {
        let mut log = log.borrow_mut();
        if log.last().is_none_or(|(phase, _)| *phase != p.phase) {
            log.push((p.phase, now_ms()));
        }
    });
    let t = now_ms();
    let run = || -> Result<crate::data::import::Imported, crate::data::import::ImportError> {
        let mut importer = Importer::new(ImportOptions { on_progress: Some(on_progress), ..ImportOptions::default() })?;
        for (name, data) in files {
            let id = importer.add_file(name, Some(data.len() as u64));
            for chunk in data.chunks(1 << 20) {
                importer.feed(id, chunk)?;
            }
            importer.end_file(id)?;
        }
        importer.finish()
    };
    let imported = run().map_err(|e| e.to_string())?;
    let end = now_ms();
    let import_ms = end - t;
    let phases = phases.borrow();
    let mut phase_ms = serde_json::Map::new();
    for (i, (phase, start)) in phases.iter().enumerate() {
        let until = phases.get(i + 1).map(|(_, s)| *s).unwrap_or(end);
        if *phase != Phase::Done {
            let name = serde_json::to_value(phase).expect("serialises").as_str().unwrap_or_default().to_string();
            phase_ms.insert(name, serde_json::json!(until - if i == 0 { t } else { *start }));
        }
    }
    let usage_rows: i64 =
        imported.db.conn().query_row("SELECT COUNT(*) FROM compute_usage", [], |r| r.get(0)).map_err(|e| e.to_string())?;
    Ok(serde_json::json!({
        "input_bytes": bytes,
        "import_ms": import_ms,
        "phase_ms": phase_ms,
        "db_bytes": imported.bytes.len(),
        "compute_usage_rows": usage_rows
    }))
}
