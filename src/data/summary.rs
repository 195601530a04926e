//! The dataset summary shown when a database is loaded (and printed by
//! `copilot summary`): what is in it, over which dates, and where the money went.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// Headline facts about a loaded usage database. Money is USD rounded to cents,
/// shares are percentages rounded to two decimals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub workspaces: u64,
    pub jobs: u64,
    pub job_runs: u64,
    pub failed_runs: u64,
    /// Shared clusters and SQL warehouses (`non_job_compute`).
    pub compute_resources: u64,
    /// First and last `usage_date` with spend; `None` when there is no usage.
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    /// Days from first to last date, both included.
    pub days: u64,
    pub total_spend_usd: f64,
    /// Largest first; ties by compute type name.
    pub spend_by_compute_type: Vec<ComputeTypeSpend>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComputeTypeSpend {
    /// `JOB_RUN`, `APC_CLUSTER` or `SQL_WAREHOUSE`.
    pub compute_type: String,
    pub spend_usd: f64,
    pub share_pct: f64,
}

fn count(conn: &Connection, sql: &str) -> rusqlite::Result<u64> {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n.max(0) as u64)
}

/// Computes the summary with plain SQL over the usage tables.
pub fn dataset_summary(conn: &Connection) -> rusqlite::Result<DatasetSummary> {
    let (first_date, last_date, days, total): (Option<String>, Option<String>, i64, f64) = conn.query_row(
        "SELECT MIN(usage_date), MAX(usage_date),
                COALESCE(CAST(julianday(MAX(usage_date)) - julianday(MIN(usage_date)) AS INTEGER) + 1, 0),
                COALESCE(SUM(total_cost), 0)
         FROM compute_usage",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut stmt = conn.prepare(
        "SELECT parent_type, ROUND(SUM(COALESCE(total_cost, 0)), 2) AS spend,
                CASE WHEN ?1 > 0 THEN ROUND(100.0 * SUM(COALESCE(total_cost, 0)) / ?1, 2) ELSE 0 END
         FROM compute_usage GROUP BY parent_type ORDER BY spend DESC, parent_type",
    )?;
    let spend_by_compute_type = stmt
        .query_map([total], |r| Ok(ComputeTypeSpend { compute_type: r.get(0)?, spend_usd: r.get(1)?, share_pct: r.get(2)? }))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DatasetSummary {
        workspaces: count(conn, "SELECT COUNT(*) FROM workspace")?,
        jobs: count(conn, "SELECT COUNT(*) FROM jobs")?,
        job_runs: count(conn, "SELECT COUNT(*) FROM job_runs")?,
        failed_runs: count(conn, "SELECT COUNT(*) FROM job_runs WHERE run_status = 'FAILED'")?,
        compute_resources: count(conn, "SELECT COUNT(*) FROM non_job_compute")?,
        first_date,
        last_date,
        days: days.max(0) as u64,
        total_spend_usd: (total * 100.0).round() / 100.0,
        spend_by_compute_type,
    })
}

/// A compute type's name as users read it.
pub fn compute_type_label(compute_type: &str) -> &str {
    match compute_type {
        "JOB_RUN" => "Jobs compute",
        "APC_CLUSTER" => "All-purpose clusters",
        "SQL_WAREHOUSE" => "SQL warehouses",
        other => other,
    }
}
