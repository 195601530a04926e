//! The usage database as a FOCUS 1.2 cost and usage dataset (CSV), for FinOps tools that
//! read the FinOps Open Cost and Usage Specification
//! (<https://focus.finops.org/focus-specification/v1-2/>). It owns the column list, how each
//! usage row maps onto it (the SQL is `sql/export/focus.sql`) and the value formats; the CLI
//! (`copilot export focus`) and the page's button both call [`focus_csv`].
//!
//! One row per `compute_usage` row, a usage charge for one day:
//! - the charge period is the usage day, `[day, day + 1)`, the billing period its calendar
//!   month; date/times are ISO 8601 in UTC (`2025-11-03T00:00:00Z`), the end bounds exclusive;
//! - BilledCost is `total_cost` (0 when the row has none); nothing in the data records
//!   discounts, credits or commitments, so EffectiveCost equals BilledCost and ContractedCost
//!   equals ListCost, which is the list price valid that day times the DBUs (the billed cost
//!   when `sku_prices` has no price for the SKU that day);
//! - the quantities are DBUs; the provider, publisher and invoice issuer are Databricks; the
//!   sub account is the workspace and the billing account its Databricks account (`unknown`
//!   when the data does not say: FOCUS allows no empty BillingAccountId);
//! - Tags are the job's tags as a JSON object: a `key=value` string (what an import writes)
//!   is that pair, a tag without a value maps to `true`, as FOCUS asks; other compute has none
//!   (empty);
//! - Databricks facts FOCUS has no column for are `x_` columns (compute type, job and run ids,
//!   run status, spot share, DBUs, cluster, CPU, production flag).
//!
//! Decimals are written in plain notation without thousands separators, nulls as empty
//! fields; the same database always gives the same bytes.

use std::collections::BTreeMap;

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use thiserror::Error;

const FOCUS_SQL: &str = include_str!("../../sql/export/focus.sql");

/// The FOCUS version the export follows.
pub const FOCUS_VERSION: &str = "1.2";

/// Why the export could not be written.
#[derive(Debug, Error)]
pub enum FocusError {
    #[error("reading the usage for the FOCUS export failed: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("usage row {usage_id} has a usage_date ({date:?}) that is not a date, so it has no FOCUS charge period")]
    BadDate { usage_id: String, date: String },
}

/// The exported file.
#[derive(Clone, Debug, PartialEq)]
pub struct FocusExport {
    /// CSV (RFC 4180): a header row, then one row per usage row, CRLF line ends.
    pub csv: String,
    pub rows: usize,
    /// Values that could not be carried over, in words (e.g. a job's tags that are not JSON).
    pub warnings: Vec<String>,
}

/// Every column, in file order: the FOCUS columns (alphabetical) then the `x_` columns.
pub const COLUMNS: &[&str] = &[
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
    "x_AvgCpuUtilization",
    "x_ClusterId",
    "x_ClusterInstanceType",
    "x_ComputeType",
    "x_ComputeUsageId",
    "x_DbusConsumed",
    "x_IsProduction",
    "x_JobId",
    "x_JobRunId",
    "x_RunStatus",
    "x_SpotShare",
];

/// The file name the page offers: `focus-1.2_<first day>_<last day>.csv`.
pub fn focus_file_name(first_day: Option<&str>, last_day: Option<&str>) -> String {
    match (first_day, last_day) {
        (Some(first), Some(last)) => format!("focus-{FOCUS_VERSION}_{first}_{last}.csv"),
        _ => format!("focus-{FOCUS_VERSION}.csv"),
    }
}

/// How each compute type reads in FOCUS: (ServiceName, ServiceSubcategory, ResourceType).
fn service_of(compute_type: &str) -> (&'static str, &'static str, &'static str) {
    match compute_type {
        "JOB_RUN" => ("Databricks Jobs", "Data Processing", "Job cluster"),
        "APC_CLUSTER" => ("Databricks All-Purpose Compute", "Analytics Platforms", "All-purpose cluster"),
        "SQL_WAREHOUSE" => ("Databricks SQL", "Business Intelligence", "SQL warehouse"),
        _ => ("Databricks", "Other (Analytics)", "Compute"),
    }
}

/// A number in plain decimal notation (`12.5`, `0.0000001`, `3`): Rust prints the shortest
/// text that reads back as the same f64, never with an exponent or separators.
fn decimal(value: f64) -> String {
    if value == 0.0 {
        "0".to_string()
    } else {
        format!("{value}")
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A column value as text: NULL is empty, numbers in plain decimal notation.
fn text_of(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(decimal(x)),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

fn number_of(value: ValueRef<'_>) -> Option<f64> {
    match value {
        ValueRef::Integer(n) => Some(n as f64),
        ValueRef::Real(x) => Some(x),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A job's `tags` (a JSON array of strings, or an object) as a FOCUS Tags object; `Err` when
/// it is neither.
fn tags_json(raw: &str) -> Result<Option<String>, ()> {
    let parsed: serde_json::Value = serde_json::from_str(raw).map_err(|_| ())?;
    let object: BTreeMap<String, serde_json::Value> = match parsed {
        serde_json::Value::Null => return Ok(None),
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                // `key=value` (what an import writes) is that pair; a bare label is `true`.
                serde_json::Value::String(tag) => Ok(match tag.split_once('=') {
                    Some((key, value)) if !key.is_empty() => (key.to_string(), serde_json::Value::String(value.to_string())),
                    _ => (tag, serde_json::Value::Bool(true)),
                }),
                _ => Err(()),
            })
            .collect::<Result<_, _>>()?,
        serde_json::Value::Object(map) => map.into_iter().collect(),
        _ => return Err(()),
    };
    Ok((!object.is_empty()).then(|| serde_json::to_string(&object).expect("a map of JSON values serialises")))
}

/// Writes every usage row of `conn` as FOCUS 1.2 CSV.
pub fn focus_csv(conn: &Connection) -> Result<FocusExport, FocusError> {
    let mut stmt = conn.prepare(FOCUS_SQL)?;
    let mut out = String::new();
    out.push_str(&COLUMNS.join(","));
    out.push_str("\r\n");
    let mut rows = 0;
    let mut warnings = Vec::new();
    let mut warned_jobs = std::collections::BTreeSet::new();
    let mut query = stmt.query([])?;
    while let Some(row) = query.next()? {
        let text = |name: &str| row.get_ref(name).map(text_of);
        let usage_id = text("compute_usage_id")?.unwrap_or_default();
        let compute_type = text("parent_type")?.unwrap_or_default();
        let sku = text("compute_sku")?.unwrap_or_default();
        let dbus = number_of(row.get_ref("dbus_consumed")?).unwrap_or(0.0);
        let billed = number_of(row.get_ref("billed_cost")?).unwrap_or(0.0);
        let list_price = number_of(row.get_ref("list_unit_price")?);
        let list_cost = list_price.map_or(billed, |price| price * dbus);
        let periods = ["charge_start", "charge_end", "billing_start", "billing_end"].map(&text);
        let [charge_start, charge_end, billing_start, billing_end] = periods;
        let (Some(charge_start), Some(charge_end), Some(billing_start), Some(billing_end)) =
            (charge_start?, charge_end?, billing_start?, billing_end?)
        else {
            return Err(FocusError::BadDate { usage_id, date: text("usage_date")?.unwrap_or_default() });
        };
        let (service, subcategory, resource_type) = service_of(&compute_type);
        let job_id = text("job_id")?;
        let run_id = text("job_run_id")?;
        let resource_name = text("resource_name")?;
        let tags = match text("tags")? {
            None => None,
            Some(raw) => tags_json(&raw).unwrap_or_else(|()| {
                if warned_jobs.insert(job_id.clone()) {
                    warnings.push(format!(
                        "Job {}: its tags ({raw:?}) are not a JSON list of strings or an object; its rows have no Tags.",
                        job_id.as_deref().unwrap_or("?")
                    ));
                }
                None
            }),
        };
        let description = match (&run_id, &resource_name) {
            (Some(run), Some(job)) => format!("{} DBUs of {sku} for run {run} of job {job}", decimal(dbus)),
            (Some(run), None) => format!("{} DBUs of {sku} for job run {run}", decimal(dbus)),
            (None, Some(name)) => format!("{} DBUs of {sku} on {} {name}", decimal(dbus), resource_type.to_lowercase()),
            (None, None) => format!("{} DBUs of {sku}", decimal(dbus)),
        };
        let sku_price_id = match text("price_start_date")? {
            Some(start) => format!("{sku}@{start}"),
            None => sku.clone(),
        };
        let is_production = number_of(row.get_ref("is_production")?).map(|n| if n != 0.0 { "true" } else { "false" });
        let values: Vec<Option<String>> = vec![
            Some(decimal(billed)),
            Some(text("account_id")?.unwrap_or_else(|| "unknown".to_string())),
            None,
            Some("USD".to_string()),
            Some(billing_end),
            Some(billing_start),
            Some("Usage".to_string()),
            None,
            Some(description),
            Some("Usage-Based".to_string()),
            Some(charge_end),
            Some(charge_start),
            Some(decimal(dbus)),
            Some("DBU".to_string()),
            Some(decimal(list_cost)),
            list_price.map(decimal),
            Some(decimal(billed)),
            Some("Databricks".to_string()),
            Some(decimal(list_cost)),
            list_price.map(decimal),
            Some("Standard".to_string()),
            Some(decimal(dbus)),
            Some("DBU".to_string()),
            Some("Databricks".to_string()),
            Some("Databricks".to_string()),
            None,
            None,
            text("resource_id")?,
            resource_name,
            Some(resource_type.to_string()),
            Some("Analytics".to_string()),
            Some(service.to_string()),
            Some(subcategory.to_string()),
            Some(sku),
            Some(sku_price_id),
            text("workspace_id")?,
            text("workspace_name")?,
            text("workspace_id")?.map(|_| "Workspace".to_string()),
            tags,
            text("avg_cpu_utilization")?,
            text("cluster_id")?,
            text("cluster_instance_type")?,
            Some(compute_type),
            Some(usage_id),
            Some(decimal(dbus)),
            is_production.map(str::to_string),
            job_id,
            run_id,
            text("run_status")?,
            text("spot_ratio")?,
        ];
        debug_assert_eq!(values.len(), COLUMNS.len());
        let line: Vec<String> = values.iter().map(|v| v.as_deref().map(csv_field).unwrap_or_default()).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
        rows += 1;
    }
    Ok(FocusExport { csv: out, rows, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain_and_tags_map_to_objects() {
        assert_eq!(decimal(0.0000001), "0.0000001");
        assert_eq!(decimal(1234567.5), "1234567.5");
        assert_eq!(decimal(-0.0), "0");
        assert_eq!(tags_json(r#"["b","a"]"#), Ok(Some(r#"{"a":true,"b":true}"#.to_string())));
        assert_eq!(
            tags_json(r#"["team=ml","cost_center=cc=42","x"]"#),
            Ok(Some(r#"{"cost_center":"cc=42","team":"ml","x":true}"#.to_string()))
        );
        assert_eq!(tags_json(r#"{"team":"ops"}"#), Ok(Some(r#"{"team":"ops"}"#.to_string())));
        assert_eq!(tags_json("[]"), Ok(None));
        assert_eq!(tags_json("not json"), Err(()));
        assert_eq!(tags_json("[1]"), Err(()));
    }
}
