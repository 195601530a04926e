//! Importing Databricks system-table exports (CSV or JSON Lines of `system.billing.usage`,
//! `list_prices`, `lakeflow.jobs`, `job_run_timeline`, `job_task_run_timeline`,
//! `compute.clusters`, `node_timeline`, `instance_events`, `warehouses`, `query.history`)
//! into the app's schema, in the browser or natively (`copilot import`). Files are
//! recognised by their columns (`source`), read into typed rows (`load`), mapped (`map`)
//! and described (`report`): what was imported, what was malformed and where, which
//! reports the files can power, and the attribution gaps. Nothing leaves the machine.

mod csv;
mod load;
mod map;
pub mod report;
pub mod source;

use rusqlite::Connection;
use thiserror::Error;

use crate::db::UsageDb;
pub use report::{AttributionGaps, FileReport, ImportReport, JobAttribution, ReportCoverage, TableDates};
use source::{recognise, SourceFile};

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("None of the files is a known Databricks system-table export:\n{0}")]
    NothingRecognised(String),
    #[error("Writing the imported database failed: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("The imported database did not open: {0}")]
    Open(String),
}

/// The imported database and what the import found.
pub struct Imported {
    pub db: UsageDb,
    pub report: ImportReport,
    /// The database file's bytes (to save or download).
    pub bytes: Vec<u8>,
}

/// Imports `files` (name, bytes). Unrecognised files and malformed rows are reported, not
/// fatal; the import fails only when no file is a known export.
pub fn import_files(files: &[(String, Vec<u8>)]) -> Result<Imported, ImportError> {
    let mut ordered: Vec<&(String, Vec<u8>)> = files.iter().collect();
    // Same files in any order → same database and report.
    ordered.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut loaded = load::Loaded::default();
    let mut reports = Vec::new();
    let mut table_rows: Vec<(String, usize)> = Vec::new();
    for (name, bytes) in ordered {
        let mut report = FileReport {
            name: name.clone(),
            table: None,
            format: String::new(),
            rows: 0,
            imported: 0,
            malformed: Vec::new(),
            closest: None,
            missing_columns: Vec::new(),
            error: None,
        };
        match SourceFile::read(bytes) {
            Err(e) => report.error = Some(e),
            Ok(file) => {
                report.format = file.format.to_string();
                match recognise(&file) {
                    Ok(table) => {
                        report.table = Some(table.to_string());
                        let (rows, imported, malformed) = loaded.add(table, &file);
                        report.rows = rows;
                        report.imported = imported;
                        report.malformed = malformed;
                        report.malformed.sort_by_key(|m| m.line);
                        table_rows.push((table.to_string(), report.imported));
                    }
                    Err((closest, missing)) => {
                        report.closest = Some(closest.to_string());
                        report.missing_columns = missing;
                    }
                }
            }
        }
        reports.push(report);
    }
    if table_rows.is_empty() {
        let partial = ImportReport { files: reports, coverage: Vec::new(), gaps: AttributionGaps::default(), tables: Vec::new(), spot_sources: Vec::new() };
        return Err(ImportError::NothingRecognised(partial.to_text()));
    }

    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(crate::schema::SCHEMA_SQL)?;
    conn.execute_batch("BEGIN")?;
    let gaps = map::write(&conn, &loaded)?;
    conn.execute_batch("COMMIT")?;
    let tables = table_dates(&loaded, &table_rows);
    let spot_sources = {
        let mut stmt = conn.prepare("SELECT source, COUNT(*) FROM job_run_spot GROUP BY source ORDER BY source")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize)))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let coverage = coverage(&loaded, &conn, &spot_sources)?;
    let report = ImportReport { files: reports, coverage, gaps, tables, spot_sources };
    conn.execute_batch("CREATE TABLE import_report (json TEXT NOT NULL);")?;
    conn.execute("INSERT INTO import_report(json) VALUES (?1)", [serde_json::to_string(&report).expect("serialises")])?;
    let bytes = conn.serialize(rusqlite::MAIN_DB)?.to_vec();
    let db = UsageDb::from_connection(conn, bytes.len()).map_err(|e| ImportError::Open(e.to_string()))?;
    Ok(Imported { db, report, bytes })
}

/// The import report stored in a database, when it was imported.
pub fn stored_report(conn: &Connection) -> Option<ImportReport> {
    let json: String = conn.query_row("SELECT json FROM import_report LIMIT 1", [], |r| r.get(0)).ok()?;
    serde_json::from_str(&json).ok()
}

fn day(seconds: i64) -> String {
    crate::calendar::Timestamp::from_unix_seconds(seconds).date().to_string()
}

fn table_dates(data: &load::Loaded, rows: &[(String, usize)]) -> Vec<TableDates> {
    use source::*;
    let span = |times: Vec<i64>| (times.iter().min().map(|t| day(*t)), times.iter().max().map(|t| day(*t)));
    let mut out: Vec<TableDates> = Vec::new();
    for sig in SIGNATURES {
        let count: usize = rows.iter().filter(|(t, _)| t == sig.table).map(|(_, n)| n).sum();
        if count == 0 {
            continue;
        }
        let (first, last) = match sig.table {
            BILLING_USAGE => span(data.usage.iter().map(|u| u.start).collect()),
            LIST_PRICES => span(data.prices.iter().map(|p| p.start).collect()),
            JOBS => span(data.jobs.iter().map(|j| j.change_time).collect()),
            JOB_RUNS => span(data.runs.iter().map(|r| r.start).collect()),
            JOB_TASK_RUNS => span(data.tasks.iter().map(|t| t.start).collect()),
            CLUSTERS => span(data.clusters.iter().map(|c| c.change_time).collect()),
            NODE_TIMELINE => span(data.nodes.iter().map(|n| n.start).collect()),
            INSTANCE_EVENTS => span(data.instance_events.iter().map(|e| e.time).collect()),
            WAREHOUSES => span(data.warehouses.iter().map(|w| w.change_time).collect()),
            _ => span(data.queries.iter().map(|q| q.start).collect()),
        };
        out.push(TableDates { table: sig.table.to_string(), rows: count, first, last });
    }
    out
}

fn coverage(data: &load::Loaded, conn: &Connection, spot_sources: &[(String, usize)]) -> rusqlite::Result<Vec<ReportCoverage>> {
    let priced: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM compute_usage WHERE total_cost IS NOT NULL)", [], |r| r.get(0))?;
    let job_usage: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM compute_usage WHERE parent_type = 'JOB_RUN' AND total_cost IS NOT NULL)", [], |r| r.get(0))?;
    let days: i64 = conn.query_row("SELECT COUNT(DISTINCT usage_date) FROM compute_usage", [], |r| r.get(0))?;
    let no_usage = if data.usage.is_empty() {
        "needs system.billing.usage".to_string()
    } else if data.prices.is_empty() {
        "needs system.billing.list_prices to put a price on the DBUs".to_string()
    } else {
        "no usage row has a list price for its SKU at its time".to_string()
    };
    let item = |key: &str, title: &str, available: bool, note: String| ReportCoverage { report: key.into(), title: title.into(), available, note };
    let runs_note = if data.runs.is_empty() { "; runs, failures and success rates need system.lakeflow.job_run_timeline" } else { "" };
    let observed = spot_sources.iter().find(|(s, _)| s == "observed").map(|(_, n)| *n).unwrap_or(0);
    let configured = spot_sources.iter().find(|(s, _)| s == "configured").map(|(_, n)| *n).unwrap_or(0);
    let unknown = spot_sources.iter().find(|(s, _)| s == "unknown").map(|(_, n)| *n).unwrap_or(0);
    let runs = |n: usize| if n == 1 { "1 run".to_string() } else { format!("{n} runs") };
    let spot_note = format!(
        "spot share observed from instance events for {}, configured (aws_attributes) for {}, unknown for {}{}",
        runs(observed),
        runs(configured),
        runs(unknown),
        if data.instance_events.is_empty() { "; evictions need system.compute.instance_events" } else { "" }
    );
    Ok(vec![
        item("job_cost", "Job Cost & Reliability", job_usage, if job_usage { format!("job spend from billing usage{runs_note}") } else if priced { "no usage row carries usage_metadata.job_id (jobs on job compute)".into() } else { no_usage.clone() }),
        item("compute_type_cost", "Total Cost by Compute Type", priced, if priced { "jobs, all-purpose clusters and SQL warehouses; other products are listed below".into() } else { no_usage.clone() }),
        item("job_cost_pareto", "Cost Concentration (Pareto)", job_usage, if job_usage { "job spend from billing usage".into() } else { no_usage.clone() }),
        item("spot_risk_by_job", "Spot Risk Exposure", job_usage && observed + configured > 0, if !job_usage { no_usage.clone() } else if observed + configured == 0 { "needs system.compute.clusters (configured spot) or system.compute.instance_events (observed spot)".into() } else { spot_note }),
        item(
            "anomaly_detection",
            "Cost anomalies",
            priced && days >= 15,
            if !priced { no_usage } else if days < 15 { format!("needs at least 15 days of usage (14 of baseline); the files cover {days}") } else { format!("{days} days of usage") },
        ),
    ])
}
