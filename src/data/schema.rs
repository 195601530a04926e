//! The usage schema: the DDL, the tables and columns a database must have, and the
//! validation that names exactly what a loaded file lacks.

use rusqlite::Connection;

include!(concat!(env!("OUT_DIR"), "/schema_sql.rs"));

/// A table the app reads and the columns it needs.
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

/// The ten tables of the original project, with exactly its column names. A database
/// written by the original project has all of them.
pub const REQUIRED_TABLES: &[TableSpec] = &[
    TableSpec { name: "workspace", columns: &["workspace_id", "workspace_name", "account_id", "description"] },
    TableSpec { name: "users_lookup", columns: &["user_id", "name", "workspace_id", "department"] },
    TableSpec {
        name: "instance_pools",
        columns: &["instance_pool_id", "pool_name", "pool_instance_type", "min_size", "max_size", "auto_termination_mins"],
    },
    TableSpec { name: "non_job_compute", columns: &["compute_id", "compute_name", "compute_type", "workspace_id"] },
    TableSpec { name: "jobs", columns: &["job_id", "workspace_id", "job_name", "description", "tags"] },
    TableSpec {
        name: "job_runs",
        columns: &[
            "job_run_id",
            "job_id",
            "start_time",
            "end_time",
            "duration_ms",
            "run_status",
            "error_summary",
            "driver_instance_type",
            "worker_instance_type",
            "is_fleet_cluster",
            "instance_pool_id",
            "min_nodes",
            "max_nodes",
            "fixed_nodes",
            "is_autoscaling_enabled",
            "spot_ratio",
        ],
    },
    TableSpec {
        name: "compute_usage",
        columns: &[
            "compute_usage_id",
            "parent_id",
            "parent_type",
            "compute_sku",
            "dbus_consumed",
            "cluster_id",
            "cluster_instance_type",
            "total_cost",
            "avg_cpu_utilization",
            "avg_memory_gb",
            "peak_concurrent_users",
            "is_production",
            "usage_date",
        ],
    },
    TableSpec {
        name: "events",
        columns: &["event_id", "compute_usage_id", "event_time", "event_type", "user_id", "details", "eviction_id"],
    },
    TableSpec {
        name: "eviction_details",
        columns: &[
            "eviction_id",
            "cloud_instance_id",
            "eviction_time",
            "cloud_provider_message",
            "eviction_reason",
            "spot_price",
            "eviction_action",
            "was_retried",
        ],
    },
    TableSpec {
        name: "sql_query_history",
        columns: &["query_id", "parent_id", "user_id", "start_time", "duration_ms", "warehouse_sku", "sql_text", "error_message"],
    },
];

/// Tables the app creates (empty, or derived) when a loaded database lacks them.
pub const OPTIONAL_TABLES: &[&str] = &["date_series", "job_dependencies", "sku_prices", "compute_settings"];

/// What a database lacks, table by table.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SchemaProblem {
    pub missing_tables: Vec<String>,
    /// (table, missing columns) for tables that exist but are incomplete.
    pub missing_columns: Vec<(String, Vec<String>)>,
    /// (name, what it is) for required tables that are a view or a virtual table instead.
    pub not_tables: Vec<(String, String)>,
}

impl SchemaProblem {
    pub fn is_empty(&self) -> bool {
        self.missing_tables.is_empty() && self.missing_columns.is_empty() && self.not_tables.is_empty()
    }
}

impl std::fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if !self.missing_tables.is_empty() {
            let noun = if self.missing_tables.len() == 1 { "table" } else { "tables" };
            parts.push(format!("missing {noun} {}", self.missing_tables.join(", ")));
        }
        for (table, columns) in &self.missing_columns {
            let noun = if columns.len() == 1 { "column" } else { "columns" };
            parts.push(format!("table {table} lacks {noun} {}", columns.join(", ")));
        }
        for (name, kind) in &self.not_tables {
            parts.push(format!("{name} is a {kind}, not a table"));
        }
        f.write_str(&parts.join("; "))
    }
}

/// Compares the database's tables and columns with [`REQUIRED_TABLES`]; each must be a
/// real table (`type = 'table'` in the schema, not virtual), not a view.
pub fn check_required(conn: &Connection) -> rusqlite::Result<SchemaProblem> {
    let mut problem = SchemaProblem::default();
    let mut kind = conn.prepare(
        "SELECT CASE WHEN type = 'view' THEN 'view' WHEN sql LIKE 'CREATE VIRTUAL TABLE%' THEN 'virtual table' END
         FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE AND type IN ('table', 'view')",
    )?;
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    for table in REQUIRED_TABLES {
        let not_table: Option<String> = kind.query_row([table.name], |r| r.get(0)).ok().flatten();
        if let Some(what) = not_table {
            problem.not_tables.push((table.name.to_string(), what));
            continue;
        }
        let present: Vec<String> = stmt.query_map([table.name], |row| row.get::<_, String>(0))?.collect::<Result<_, _>>()?;
        if present.is_empty() {
            problem.missing_tables.push(table.name.to_string());
            continue;
        }
        let missing: Vec<String> =
            table.columns.iter().filter(|c| !present.iter().any(|p| p.eq_ignore_ascii_case(c))).map(|c| c.to_string()).collect();
        if !missing.is_empty() {
            problem.missing_columns.push((table.name.to_string(), missing));
        }
    }
    Ok(problem)
}

/// Creates the optional tables and the indexes the reports rely on, and fills an empty
/// `date_series` from the usage dates. Only call it on a database that passed
/// [`check_required`].
pub fn complete_optional(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA_SQL)?;
    let calendar_empty: bool = conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM date_series)", [], |r| r.get(0))?;
    if calendar_empty {
        conn.execute_batch(
            "WITH RECURSIVE span(d, last) AS (
                 SELECT MIN(usage_date), MAX(usage_date) FROM compute_usage WHERE usage_date IS NOT NULL
                 UNION ALL
                 SELECT date(d, '+1 day'), last FROM span WHERE d < last
             )
             INSERT INTO date_series(date) SELECT d FROM span WHERE d IS NOT NULL;",
        )?;
    }
    Ok(())
}
