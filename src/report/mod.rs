//! The report engine. A report is data — `sql/reports/<key>.sql` (named queries) plus
//! `sql/reports/<key>.toml` (its spec) — and this module runs it the same way natively and
//! in the browser: filters and params → SQL datasets → transforms → KPIs, with entity
//! mappings that make rows selectable and JSON/CSV output.

pub mod change_point;
pub mod coverage;
pub mod dataset;
pub mod display;
pub mod engine;
pub mod expr;
pub mod forecast;
pub mod output;
pub mod registry;
pub mod selection;
pub mod spec;
pub mod transform;

pub use dataset::{Dataset, Value};
pub use engine::{ParamValue, ReportError, ReportFilters, ReportResult};
pub use registry::{registry, Registry, Report};
pub use selection::{EntityRef, Selection};
pub use spec::ReportSpec;

use std::collections::BTreeMap;

use rusqlite::Connection;

impl Report {
    /// Runs this report on a database with numeric params (text params take their defaults).
    pub fn run(&self, conn: &Connection, filters: &ReportFilters, params: &BTreeMap<String, f64>) -> Result<ReportResult, ReportError> {
        engine::run(conn, &self.spec, &self.queries, filters, &engine::typed(params))
    }

    /// Runs this report with params of any kind: numbers, or texts that each param parses
    /// by its kind (URL and CLI values).
    pub fn run_with(
        &self,
        conn: &Connection,
        filters: &ReportFilters,
        params: &BTreeMap<String, ParamValue>,
    ) -> Result<ReportResult, ReportError> {
        engine::run(conn, &self.spec, &self.queries, filters, params)
    }
}

/// Runs a built-in report by key, with numeric params.
pub fn run_report(
    conn: &Connection,
    key: &str,
    filters: &ReportFilters,
    params: &BTreeMap<String, f64>,
) -> Result<ReportResult, ReportError> {
    registry().get(key).ok_or_else(|| ReportError::UnknownReport(key.to_string()))?.run(conn, filters, params)
}

/// Runs a built-in report by key, with params of any kind ([`ParamValue`]).
pub fn run_report_with(
    conn: &Connection,
    key: &str,
    filters: &ReportFilters,
    params: &BTreeMap<String, ParamValue>,
) -> Result<ReportResult, ReportError> {
    registry().get(key).ok_or_else(|| ReportError::UnknownReport(key.to_string()))?.run_with(conn, filters, params)
}
