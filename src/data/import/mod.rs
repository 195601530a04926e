//! Importing Databricks system-table exports (CSV, JSON Lines or Parquet, gzip'd or not, of
//! `system.billing.usage`, `list_prices`, `lakeflow.jobs`, `job_run_timeline`,
//! `job_task_run_timeline`, `compute.clusters`, `node_timeline`, `instance_events`,
//! `warehouses`, `query.history`) — or the twelve pre-aggregated extracts `sql/extract/`
//! computes next to them — into the app's schema, in the browser or natively (`copilot
//! import`). Files are streamed in chunks ([`Importer`], `stream`): decompressed and split
//! into rows (`text`, `csv`, `parquet`), recognised by their columns (`source`), typed and
//! staged in the import's own SQLite database (`load`, `stage`) or read (`extract`), then
//! deduplicated and ordered by key (`load::Staging::finish`), mapped (`map`) into the
//! schema's rows (`tables`), written by one writer, and described (`report`): what was
//! imported, what was malformed and where, the duplicates dropped, the attribution gaps,
//! and the facts report specs' requirements are checked against (`data_facts`). Nothing
//! leaves the machine.

mod csv;
pub mod error;
pub mod extract;
pub mod kind;
mod load;
mod map;
#[cfg(feature = "parquet")]
mod parquet;
pub mod report;
pub mod source;
mod stage;
mod stream;
mod tables;
mod text;

use rusqlite::Connection;
use thiserror::Error;

use crate::data::db::UsageDb;
pub use error::{FileError, RowError};
pub use kind::{ExtractKind, Source};
pub use report::{AttributionGaps, DataFacts, FileReport, ImportReport, JobAttribution, TableDates};
pub use stage::StagingStore;
pub use stream::{CancelFlag, FileId, ImportOptions, Importer, Phase, Progress, ProgressFn};

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
    #[error("The import was cancelled.")]
    Cancelled,
    #[error("Reading a file failed: {0}")]
    Io(String),
    /// A call out of order (a chunk for a file that has ended, an unknown file).
    #[error("The importer was called wrongly: {0}")]
    Call(String),
}

/// The imported database and what the import found.
pub struct Imported {
    pub db: UsageDb,
    pub report: ImportReport,
    /// The database file's bytes (to save or download).
    pub bytes: Vec<u8>,
}

/// Whether this build reads Parquet (the `parquet` feature).
pub const READS_PARQUET: bool = cfg!(feature = "parquet");

/// Imports `files` (name, bytes) at once, in memory: [`Importer`] fed each file whole. Raw
/// exports or pre-aggregated extracts (not both); see [`Importer::finish`].
pub fn import_files(files: &[(String, Vec<u8>)]) -> Result<Imported, ImportError> {
    let mut importer = Importer::new(ImportOptions::default())?;
    for (name, bytes) in files {
        let id = importer.add_file(name, Some(bytes.len() as u64));
        importer.feed(id, bytes)?;
        importer.end_file(id)?;
    }
    importer.finish()
}

/// The import report stored in a database, when it was imported.
pub fn stored_report(conn: &Connection) -> Option<ImportReport> {
    let json: String = conn.query_row("SELECT json FROM import_report LIMIT 1", [], |r| r.get(0)).ok()?;
    serde_json::from_str(&json).ok()
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
