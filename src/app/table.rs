//! A report table as the page shows it and as its CSV download holds it: the rows the
//! table's condition keeps (numbered as in the dataset, so each maps back to its entity),
//! formatted cells, which row stands for which entity, and the CSV file's name.

use crate::report::dataset::Dataset;
use crate::report::display::report_value;
use crate::report::expr::Condition;
use crate::report::output::dataset_csv;
use crate::report::selection::{selection_at, EntityRef};
use crate::report::spec::{ReportSpec, TableSpec, Unit};
use crate::report::transform::matching_rows;
use crate::report::ReportResult;

/// Rows shown in the page; the CSV always has all of them.
pub const SHOWN_ROWS: usize = 200;

/// A column header: label, what it means (a tooltip), and whether it holds numbers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    pub label: String,
    pub meaning: String,
    pub numeric: bool,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
    pub date: bool,
}

/// One shown row: the entity it selects (if any) and its cells.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableRow {
    pub entity: Option<EntityRef>,
    pub cells: Vec<Cell>,
}

/// What the page draws for a table.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableView {
    pub headers: Vec<Header>,
    /// At most [`SHOWN_ROWS`].
    pub rows: Vec<TableRow>,
    /// Rows the table's condition keeps, shown or not.
    pub total: usize,
}

/// The dataset rows `table` keeps, by their dataset row numbers.
fn kept_rows(table: &TableSpec, data: &Dataset) -> Vec<usize> {
    match table.filter.as_deref().map(Condition::parse) {
        Some(Ok(condition)) => matching_rows(data, &condition),
        _ => (0..data.len()).collect(),
    }
}

/// The table's headers and first [`SHOWN_ROWS`] rows; `None` when its dataset is missing.
pub fn table_view(report: &ReportSpec, table: &TableSpec, result: &ReportResult) -> Option<TableView> {
    let data = result.dataset(&table.dataset)?;
    let keep = kept_rows(table, data);
    let headers = table
        .columns
        .iter()
        .map(|c| {
            let column = report.column(c);
            Header {
                label: report.label_of(c).to_string(),
                meaning: column.map(|c| c.meaning.clone()).unwrap_or_default(),
                numeric: column.is_some_and(|c| c.unit.decimals().is_some()),
            }
        })
        .collect();
    let rows = keep
        .iter()
        .take(SHOWN_ROWS)
        .map(|&i| TableRow {
            entity: selection_at(report, result, &table.dataset, i).map(|s| s.entity),
            cells: table
                .columns
                .iter()
                .map(|c| {
                    let unit = report.unit_of(c);
                    Cell { text: report_value(data.get(i, c), unit), numeric: unit.decimals().is_some(), date: unit == Unit::Date }
                })
                .collect(),
        })
        .collect();
    Some(TableView { headers, rows, total: keep.len() })
}

/// The table's CSV (every kept row, the table's columns) and its file name
/// `<report>_<table>_<from>_<to>.csv`.
pub fn table_csv(report: &ReportSpec, table: &TableSpec, result: &ReportResult) -> Option<(String, String)> {
    let data = result.dataset(&table.dataset)?;
    let subset = Dataset { columns: data.columns.clone(), rows: kept_rows(table, data).iter().map(|&i| data.rows[i].clone()).collect() };
    let name = format!("{}_{}_{}_{}.csv", report.key, table.id, result.filters.from, result.filters.to);
    Some((name, dataset_csv(report, &subset, &table.columns)))
}
