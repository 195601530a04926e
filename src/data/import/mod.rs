//! Importing Databricks system-table exports (CSV or JSON Lines of `system.billing.usage`,
//! `list_prices`, `lakeflow.jobs`, `job_run_timeline`, `job_task_run_timeline`,
//! `compute.clusters`, `node_timeline`, `instance_events`, `warehouses`, `query.history`)
//! — or the twelve pre-aggregated extracts `sql/extract/` computes next to them — into the
//! app's schema, in the browser or natively (`copilot import`). Files are recognised by
//! their columns (`source`), read into typed rows (`load`), deduplicated and ordered by key
//! (`load::Staging::finish`), mapped (`map`) or read (`extract`) into the schema's rows
//! (`tables`), written by one writer, and described (`report`): what was imported, what was
//! malformed and where, the duplicates dropped, the attribution gaps, and the facts report
//! specs' requirements are checked against (`data_facts`). Nothing leaves the machine.

mod csv;
pub mod error;
pub mod extract;
pub mod kind;
mod load;
mod map;
pub mod report;
pub mod source;
mod tables;

use rusqlite::Connection;
use thiserror::Error;

use crate::base::vocab::SystemTable;
use crate::data::db::UsageDb;
pub use error::{FileError, RowError};
pub use kind::{ExtractKind, Source};
pub use report::{AttributionGaps, DataFacts, FileReport, ImportReport, JobAttribution, TableDates};
use source::{identify, SourceFile};

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("None of the files is a known Databricks system-table export or pre-aggregated extract:\n{0}")]
    NothingRecognised(String),
    #[error(
        "Raw system-table exports and pre-aggregated extracts cannot be imported together: the extracts already hold what the exports would give. Import either the exports ({raw}) or the extracts ({extracts})."
    )]
    Mixed { raw: String, extracts: String },
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

/// Imports `files` (name, bytes): raw exports or pre-aggregated extracts (not both).
/// Unrecognised files, malformed rows and duplicate rows are reported, not fatal; the
/// import fails only when no file is a known source, or when raw exports and extracts are
/// mixed. The same files in any order, or with their rows in any order, give the same
/// database; a row given twice (the same file under two names, overlapping exports) is
/// imported once.
pub fn import_files(files: &[(String, Vec<u8>)]) -> Result<Imported, ImportError> {
    let mut ordered: Vec<&(String, Vec<u8>)> = files.iter().collect();
    // Same files in any order → same database and report.
    ordered.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut raw = load::Staging::default();
    let mut extracts = extract::Staging::default();
    let mut reports = Vec::new();
    for (index, (name, bytes)) in ordered.into_iter().enumerate() {
        let mut report = FileReport::new(name);
        match SourceFile::read(bytes) {
            Err(e) => report.error = Some(e.to_string()),
            Ok(file) => {
                report.format = file.format.to_string();
                let (rows, read, malformed) = match identify(&file) {
                    Ok(Source::Table(table)) => {
                        report.table = Some(table);
                        raw.add(index, table, &file)
                    }
                    Ok(Source::Extract(kind)) => {
                        report.extract = Some(kind);
                        extracts.add(index, kind, &file)
                    }
                    Err((closest, missing)) => {
                        match closest {
                            Source::Table(t) => report.closest = Some(t),
                            Source::Extract(k) => report.closest_extract = Some(k),
                        }
                        report.missing_columns = missing;
                        (0, 0, Vec::new())
                    }
                };
                report.rows = rows;
                report.imported = read;
                report.malformed = malformed;
            }
        }
        reports.push(report);
    }
    let has_raw = reports.iter().any(|r| r.table.is_some());
    let has_extracts = reports.iter().any(|r| r.extract.is_some());
    if !has_raw && !has_extracts {
        let partial = ImportReport {
            files: reports,
            gaps: AttributionGaps::default(),
            tables: Vec::new(),
            spot_sources: Vec::new(),
            missing_extracts: Vec::new(),
        };
        return Err(ImportError::NothingRecognised(partial.to_text()));
    }
    if has_raw && has_extracts {
        let names =
            |f: &dyn Fn(&FileReport) -> bool| reports.iter().filter(|r| f(r)).map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ");
        return Err(ImportError::Mixed { raw: names(&|r| r.table.is_some()), extracts: names(&|r| r.extract.is_some()) });
    }

    let (tables, gaps, dates, duplicates, late_malformed, missing_extracts) = if has_raw {
        let (loaded, finished) = raw.finish();
        let (tables, gaps) = map::tables(&loaded);
        let mut imported: Vec<(SystemTable, usize)> = Vec::new();
        for (index, r) in reports.iter_mut().enumerate() {
            let dropped = finished.duplicates.get(&index).copied().unwrap_or(0);
            let late = finished.malformed.get(&index).map(Vec::len).unwrap_or(0);
            r.imported -= dropped + late;
            if let Some(t) = r.table {
                imported.push((t, r.imported));
            }
        }
        let dates = table_dates(&loaded, &imported);
        (tables, gaps, dates, finished.duplicates, finished.malformed, Vec::new())
    } else {
        let finished = extracts.finish();
        for (index, r) in reports.iter_mut().enumerate() {
            r.imported -= finished.duplicates.get(&index).copied().unwrap_or(0);
        }
        (finished.tables, finished.gaps, finished.dates, finished.duplicates, Default::default(), finished.missing)
    };
    for (index, r) in reports.iter_mut().enumerate() {
        r.duplicates = duplicates.get(&index).copied().unwrap_or(0);
        if let Some(late) = late_malformed.get(&index) {
            r.malformed.extend(late.iter().cloned());
        }
        r.malformed.sort_by_key(|m| m.line);
    }

    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(crate::data::schema::SCHEMA_SQL)?;
    conn.execute_batch("BEGIN")?;
    tables.write(&conn)?;
    conn.execute_batch("COMMIT")?;
    let spot_sources = {
        let mut stmt = conn.prepare("SELECT source, COUNT(*) FROM job_run_spot GROUP BY source ORDER BY source")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize)))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let report = ImportReport { files: reports, gaps, tables: dates, spot_sources, missing_extracts };
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
    let span = |times: Vec<i64>| (times.iter().min().map(|t| day(*t)), times.iter().max().map(|t| day(*t)));
    let mut out: Vec<TableDates> = Vec::new();
    for table in SystemTable::ALL {
        let count: usize = rows.iter().filter(|(t, _)| *t == table).map(|(_, n)| n).sum();
        if count == 0 {
            continue;
        }
        let (first, last) = match table {
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
        out.push(TableDates { table, rows: count, first, last });
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
