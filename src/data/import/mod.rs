//! Importing Databricks system-table exports (CSV or JSON Lines of `system.billing.usage`,
//! `list_prices`, `lakeflow.jobs`, `job_run_timeline`, `job_task_run_timeline`,
//! `compute.clusters`, `node_timeline`, `instance_events`, `warehouses`, `query.history`)
//! into the app's schema, in the browser or natively (`copilot import`). Files are
//! recognised by their columns (`source`), read into typed rows (`load`), mapped (`map`)
//! and described (`report`): what was imported, what was malformed and where, the
//! attribution gaps, and the facts report specs' requirements are checked against
//! (`data_facts`). Nothing leaves the machine.

mod csv;
mod load;
mod map;
pub mod report;
pub mod source;

use rusqlite::Connection;
use thiserror::Error;

use crate::base::vocab::SystemTable;
use crate::data::db::UsageDb;
pub use report::{AttributionGaps, DataFacts, FileReport, ImportReport, JobAttribution, TableDates};
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
    let mut table_rows: Vec<(SystemTable, usize)> = Vec::new();
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
                        report.table = Some(table);
                        let (rows, imported, malformed) = loaded.add(table, &file);
                        report.rows = rows;
                        report.imported = imported;
                        report.malformed = malformed;
                        report.malformed.sort_by_key(|m| m.line);
                        table_rows.push((table, report.imported));
                    }
                    Err((closest, missing)) => {
                        report.closest = Some(closest);
                        report.missing_columns = missing;
                    }
                }
            }
        }
        reports.push(report);
    }
    if table_rows.is_empty() {
        let partial = ImportReport { files: reports, gaps: AttributionGaps::default(), tables: Vec::new(), spot_sources: Vec::new() };
        return Err(ImportError::NothingRecognised(partial.to_text()));
    }

    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(crate::data::schema::SCHEMA_SQL)?;
    conn.execute_batch("BEGIN")?;
    let gaps = map::write(&conn, &loaded)?;
    conn.execute_batch("COMMIT")?;
    let tables = table_dates(&loaded, &table_rows);
    let spot_sources = {
        let mut stmt = conn.prepare("SELECT source, COUNT(*) FROM job_run_spot GROUP BY source ORDER BY source")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize)))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let report = ImportReport { files: reports, gaps, tables, spot_sources };
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
    crate::base::calendar::Timestamp::from_unix_seconds(seconds).date().to_string()
}

fn table_dates(data: &load::Loaded, rows: &[(SystemTable, usize)]) -> Vec<TableDates> {
    use source::SIGNATURES;
    let span = |times: Vec<i64>| (times.iter().min().map(|t| day(*t)), times.iter().max().map(|t| day(*t)));
    let mut out: Vec<TableDates> = Vec::new();
    for sig in SIGNATURES {
        let count: usize = rows.iter().filter(|(t, _)| *t == sig.table).map(|(_, n)| n).sum();
        if count == 0 {
            continue;
        }
        let (first, last) = match sig.table {
            SystemTable::BillingUsage => span(data.usage.iter().map(|u| u.start).collect()),
            SystemTable::ListPrices => span(data.prices.iter().map(|p| p.start).collect()),
            SystemTable::Jobs => span(data.jobs.iter().map(|j| j.change_time).collect()),
            SystemTable::JobRunTimeline => span(data.runs.iter().map(|r| r.start).collect()),
            SystemTable::JobTaskRunTimeline => span(data.tasks.iter().map(|t| t.start).collect()),
            SystemTable::Clusters => span(data.clusters.iter().map(|c| c.change_time).collect()),
            SystemTable::NodeTimeline => span(data.nodes.iter().map(|n| n.start).collect()),
            SystemTable::InstanceEvents => span(data.instance_events.iter().map(|e| e.time).collect()),
            SystemTable::Warehouses => span(data.warehouses.iter().map(|w| w.change_time).collect()),
            SystemTable::QueryHistory => span(data.queries.iter().map(|q| q.start).collect()),
        };
        out.push(TableDates { table: sig.table, rows: count, first, last });
    }
    out
}

/// The facts about an imported database that report requirements are checked against:
/// rows per table from its import report, and what its usage rows hold.
pub fn data_facts(conn: &Connection, report: &ImportReport) -> rusqlite::Result<DataFacts> {
    let flag = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, bool>(0));
    let priced_usage = flag("SELECT EXISTS (SELECT 1 FROM compute_usage WHERE total_cost IS NOT NULL)")?;
    let job_usage = flag("SELECT EXISTS (SELECT 1 FROM compute_usage WHERE parent_type = 'JOB_RUN' AND total_cost IS NOT NULL)")?;
    let usage_days: u32 = conn.query_row("SELECT COUNT(DISTINCT usage_date) FROM compute_usage", [], |r| r.get(0))?;
    let mut tables = std::collections::BTreeMap::new();
    for t in &report.tables {
        *tables.entry(t.table).or_insert(0) += t.rows;
    }
    let runs = |n: usize| if n == 1 { "1 run".to_string() } else { format!("{n} runs") };
    let spot = |source: &str| runs(report.spot_sources.iter().find(|(s, _)| s == source).map(|(_, n)| *n).unwrap_or(0));
    let figures = [
        ("usage_days", usage_days.to_string()),
        ("spot_observed_runs", spot("observed")),
        ("spot_configured_runs", spot("configured")),
        ("spot_unknown_runs", spot("unknown")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Ok(DataFacts { tables, priced_usage, job_usage, usage_days, figures })
}
