//! What an import found: per file (recognised table, rows, malformed lines, missing
//! columns), the attribution gaps and the date coverage per table, stored as JSON in the
//! imported database (`import_report`); and the facts about the imported data that report
//! specs' requirements are checked against (`DataFacts`; `report::coverage` does that).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::kind::ExtractKind;
use super::source::Malformed;
use crate::base::vocab::SystemTable;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    pub name: String,
    /// The system table the file was recognised as (a raw export).
    pub table: Option<SystemTable>,
    /// The pre-aggregated extract (`sql/extract/`) the file was recognised as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<ExtractKind>,
    pub format: String,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows imported: `rows` less the malformed and the duplicates.
    pub imported: usize,
    pub malformed: Vec<Malformed>,
    /// Rows dropped because an earlier or preferred copy of the same record was imported
    /// (the same billing `record_id`, run slice, statement…; see `load`).
    #[serde(default)]
    pub duplicates: usize,
    /// When not recognised: the closest table and the columns the file lacks for it.
    pub closest: Option<SystemTable>,
    /// When not recognised but it has `extract_kind`: the closest extract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closest_extract: Option<ExtractKind>,
    pub missing_columns: Vec<String>,
    /// Why the file could not be read at all.
    pub error: Option<String>,
}

impl FileReport {
    pub fn new(name: &str) -> FileReport {
        FileReport {
            name: name.to_string(),
            table: None,
            extract: None,
            format: String::new(),
            rows: 0,
            imported: 0,
            malformed: Vec::new(),
            duplicates: 0,
            closest: None,
            closest_extract: None,
            missing_columns: Vec::new(),
            error: None,
        }
    }

    /// What the file was recognised as, in words.
    pub fn recognised_as(&self) -> Option<String> {
        self.table.map(|t| t.to_string()).or_else(|| self.extract.map(|k| k.to_string()))
    }

    /// Every problem of the file as one sentence each: "FILE: …" for the file, "FILE, line
    /// N: …" for a row.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(e) = &self.error {
            out.push(format!("{}: {e}.", self.name));
        }
        if self.table.is_none() && self.extract.is_none() && self.error.is_none() {
            let closest = self.closest.map(|t| t.to_string()).or_else(|| self.closest_extract.map(|k| k.to_string()));
            out.push(format!(
                "{}: matches no known table; the closest is {} but the file lacks {}.",
                self.name,
                closest.as_deref().unwrap_or("none"),
                self.missing_columns.join(", ")
            ));
        }
        for m in &self.malformed {
            out.push(format!("{}, line {}: {}.", self.name, m.line, m.message));
        }
        out
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobAttribution {
    pub job_id: String,
    pub cost: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributionGaps {
    /// All priced usage, list price.
    pub total_cost: f64,
    /// Usage on all-purpose clusters and SQL warehouses: no job attribution in billing.
    pub unattributed_cost: f64,
    pub unattributed_share_pct: f64,
    /// The part of it that task runs on the same compute overlap, by job.
    pub attributable_by_tasks_cost: f64,
    pub attributable_by_tasks: Vec<JobAttribution>,
    /// Usage with no custom tags.
    pub untagged_cost: f64,
    pub untagged_share_pct: f64,
    /// DBUs with no list price for their SKU at their time (not in any cost).
    pub unpriced_dbus: f64,
    /// Usage of products the reports do not cover (serverless notebooks, pipelines, serving…).
    pub other_products_cost: f64,
    /// Spot instances lost while a job run was going.
    pub evictions: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableDates {
    pub table: SystemTable,
    pub rows: usize,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
    pub gaps: AttributionGaps,
    pub tables: Vec<TableDates>,
    /// How job runs' spot shares were found: (source, runs).
    pub spot_sources: Vec<(String, usize)>,
    /// For an import of pre-aggregated extracts: the extracts no file held (their tables
    /// are empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_extracts: Vec<ExtractKind>,
}

impl ImportReport {
    /// Malformed rows over all files.
    pub fn malformed(&self) -> usize {
        self.files.iter().map(|f| f.malformed.len()).sum()
    }

    /// Duplicate rows dropped over all files.
    pub fn duplicates(&self) -> usize {
        self.files.iter().map(|f| f.duplicates).sum()
    }

    /// One paragraph for the CLI (report coverage is `report::coverage`'s to print).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            match (f.recognised_as(), &f.error) {
                (_, Some(e)) => out.push_str(&format!("{}: not imported: {e}.\n", f.name)),
                (Some(what), None) => {
                    let dropped = match f.duplicates {
                        0 => String::new(),
                        1 => ", 1 duplicate row dropped".to_string(),
                        n => format!(", {n} duplicate rows dropped"),
                    };
                    out.push_str(&format!("{}: {what} ({}), {} of {} rows imported{dropped}\n", f.name, f.format, f.imported, f.rows))
                }
                (None, None) => out.push_str(&format!("{}\n", f.messages()[0])),
            }
            for m in &f.malformed {
                out.push_str(&format!("  {}, line {}: {}.\n", f.name, m.line, m.message));
            }
        }
        if !self.missing_extracts.is_empty() {
            let names: Vec<&str> = self.missing_extracts.iter().map(|k| k.name()).collect();
            out.push_str(&format!("pre-aggregated extracts missing (their tables stay empty): {}\n", names.join(", ")));
        }
        let g = &self.gaps;
        out.push_str(&format!(
            "spend ${:.2}; without job attribution ${:.2} ({:.2}%), of which task runs attribute ${:.2}; untagged ${:.2} ({:.2}%); other products ${:.2}; unpriced DBUs {:.3}\n",
            g.total_cost, g.unattributed_cost, g.unattributed_share_pct, g.attributable_by_tasks_cost, g.untagged_cost, g.untagged_share_pct, g.other_products_cost, g.unpriced_dbus
        ));
        out
    }
}

/// What an imported database holds, for checking report specs' requirements: rows per
/// system table, whether usage is priced and attributed to job runs, how many days it
/// covers, and named figures that coverage notes may quote (`{usage_days}`, …).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DataFacts {
    pub tables: BTreeMap<SystemTable, usize>,
    /// Some usage row carries a list price.
    pub priced_usage: bool,
    /// Some priced usage row belongs to a job run.
    pub job_usage: bool,
    /// Distinct usage dates.
    pub usage_days: u32,
    /// Figures a coverage note may quote by name, already in words ("3 runs").
    pub figures: BTreeMap<String, String>,
}

impl DataFacts {
    pub fn rows(&self, table: SystemTable) -> usize {
        self.tables.get(&table).copied().unwrap_or(0)
    }
}
