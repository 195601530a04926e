//! Timings for `make bench` that run the same way natively (`copilot bench-reports`) and in
//! the browser (`#/bench`): the usage graph build and every report over the data's range;
//! and the comparison with DuckDB-WASM that `make bench` recorded, which `#/bench` shows.

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
///
/// With `only` (report keys), just those reports are timed, without the graph and the
/// aggregates: what `make bench` repeats in interleaved rounds against DuckDB-WASM.
pub fn graph_and_reports(db: &UsageDb, runs: usize, only: Option<&[String]>) -> Result<serde_json::Value, String> {
    if let Some(keys) = only {
        if let Some(unknown) = keys.iter().find(|k| !registry().reports.iter().any(|r| &r.spec.key == *k)) {
            return Err(format!("There is no report called {unknown:?}."));
        }
    }
    let filters = ReportFilters::data_range(db.conn()).map_err(|e| e.to_string())?;
    let graph_json = if only.is_none() {
        let graph = crate::copilot::graph::build(db.conn()).map_err(|e| e.to_string())?;
        Some(serde_json::json!({ "build_ms": graph.stats.build_ms, "nodes": graph.stats.nodes, "edges": graph.stats.edges }))
    } else {
        None
    };
    let third = filters.from.days_until(filters.to) / 3;
    let workspace: Option<String> =
        db.conn().query_row("SELECT MIN(workspace_id) FROM workspace", [], |r| r.get(0)).map_err(|e| e.to_string())?;
    let narrowed = ReportFilters { from: filters.from.add_days(third), to: filters.to.add_days(-third), workspace: None };
    let in_workspace = ReportFilters { workspace, ..filters.clone() };
    let mut reports = serde_json::Map::new();
    for report in registry().reports.iter().filter(|r| only.is_none_or(|keys| keys.contains(&r.spec.key))) {
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
    let mut json = serde_json::json!({ "reports": reports });
    if let Some(graph) = graph_json {
        json["graph"] = graph;
        let built = crate::data::aggregates::build_temp(db.conn()).map_err(|e| e.to_string())?;
        json["aggregates"] = serde_json::json!(built);
    }
    Ok(json)
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

/// The comparison with DuckDB-WASM and native SQLite that `make bench` last recorded
/// (`BENCH_VS_RECORD=1 node bench/duckdb.mjs` writes `bench/comparison.json`): the `#/bench`
/// page shows it, the README quotes it.
const RECORDED_COMPARISON: &str = include_str!("../../bench/comparison.json");

/// Measured figures of one comparison run, with where and when they were measured.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Comparison {
    pub measured: String,
    pub machine: String,
    pub duckdb: String,
    pub rounds: u32,
    pub runs: u32,
    pub rows: Vec<ComparisonRow>,
    pub memory: Vec<MemoryPeak>,
    pub page: PageFigures,
}

/// One question on one database: median ms of the app (`#/bench`), DuckDB-WASM and native.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct ComparisonRow {
    pub db: String,
    pub usage_rows: u64,
    pub question: String,
    pub app_ms: f64,
    pub duckdb_ms: f64,
    pub native_ms: f64,
}

impl ComparisonRow {
    /// App time ÷ DuckDB-WASM time (above 1: the app is slower).
    pub fn app_per_duckdb(&self) -> f64 {
        self.app_ms / self.duckdb_ms
    }

    /// App time ÷ native SQLite time: what running in the browser costs.
    pub fn app_per_native(&self) -> f64 {
        self.app_ms / self.native_ms
    }
}

/// Peak renderer memory (VmHWM) of the app's `#/bench` page and of the DuckDB-WASM page.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct MemoryPeak {
    pub db: String,
    pub app_mib: u64,
    pub duckdb_mib: u64,
}

/// The app's real page (engine in its worker): an import and the reports on each database.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct PageFigures {
    pub import: ImportFigures,
    pub reports: Vec<PageReports>,
}

/// An import of generated billing rows dropped on the page's file input.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct ImportFigures {
    pub billing_rows: u64,
    pub csv_mib: u64,
    pub wall_ms: u64,
    pub longest_task_ms: u64,
    pub peak_mib: u64,
}

/// Opening one database in the page (not for the seeded one, which loads by itself) and
/// running each question's report: longest main-thread task and wall time, peak memory.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct PageReports {
    pub db: String,
    pub open_longest_task_ms: Option<u64>,
    pub open_wall_ms: Option<u64>,
    pub longest_task_ms: BTreeMap<String, u64>,
    pub wall_ms: BTreeMap<String, u64>,
    pub peak_mib: u64,
}

/// The recorded comparison, parsed.
pub fn recorded_comparison() -> Result<Comparison, String> {
    serde_json::from_str(RECORDED_COMPARISON).map_err(|e| format!("bench/comparison.json: {e}"))
}
