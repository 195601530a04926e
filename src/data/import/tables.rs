//! The rows of the app's schema an import writes, whichever way they were computed — from
//! raw exports (`map`) or read from the pre-aggregated extracts (`extract`) — and the one
//! writer both use, so the two paths give the same database from the same figures.
//!
//! The writer inserts in dependency order (workspaces, users, prices, jobs, instance pools,
//! runs, compute, usage, evictions, queries), so every foreign key resolves when it is
//! inserted, and completes references an incomplete set of files leaves dangling (a run of
//! a job without a definition, a statement of a user without a row) with stubs.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};

use crate::base::calendar::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub struct JobRow {
    pub workspace: String,
    pub name: String,
    pub description: Option<String>,
    /// JSON array of `key=value`, or NULL for a job without a definition.
    pub tags: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub run_id: String,
    pub job_id: String,
    pub workspace: String,
    pub start: i64,
    pub end: i64,
    pub duration_ms: i64,
    pub status: String,
    pub error: Option<String>,
    pub driver_type: Option<String>,
    pub worker_type: Option<String>,
    pub pool_id: Option<String>,
    pub min_nodes: Option<i64>,
    pub max_nodes: Option<i64>,
    pub fixed_nodes: Option<i64>,
    pub autoscaling: bool,
    pub spot_ratio: f64,
    /// `observed`, `configured` or `unknown`.
    pub spot_source: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ComputeRow {
    pub name: String,
    /// `SQL_WAREHOUSE` or `APC_CLUSTER`.
    pub kind: String,
    pub workspace: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UsageRow {
    pub id: String,
    pub parent_id: String,
    pub parent_type: String,
    pub sku: String,
    pub dbus: f64,
    pub cluster_id: Option<String>,
    pub node_type: Option<String>,
    pub cost: Option<f64>,
    pub date: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EvictionRow {
    pub id: String,
    pub run_id: String,
    pub instance_id: String,
    pub time: i64,
    pub retried: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueryRow {
    pub warehouse_id: String,
    pub user: String,
    pub workspace: String,
    pub start: i64,
    pub duration_ms: Option<i64>,
    pub text: Option<String>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PriceRow {
    pub sku: String,
    pub cloud: Option<String>,
    pub start: i64,
    pub end: Option<i64>,
    pub usd: f64,
}

/// Everything an import writes, keyed where the schema has a key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tables {
    /// workspace id → name.
    pub workspaces: BTreeMap<String, String>,
    /// user id → workspace id.
    pub users: BTreeMap<String, String>,
    pub prices: Vec<PriceRow>,
    /// job id → job.
    pub jobs: BTreeMap<String, JobRow>,
    /// In (job id, run id) order.
    pub runs: Vec<RunRow>,
    /// compute id → warehouse or all-purpose cluster.
    pub compute: BTreeMap<String, ComputeRow>,
    pub usage: Vec<UsageRow>,
    /// In numbering order.
    pub evictions: Vec<EvictionRow>,
    /// statement id → statement on a warehouse.
    pub queries: BTreeMap<String, QueryRow>,
}

fn timestamp(seconds: i64) -> String {
    Timestamp::from_unix_seconds(seconds).to_string()
}

impl Tables {
    /// Adds what rows refer to but no file defines: the job of a run, the warehouse and user
    /// of a statement, the workspace of anything. Stubs are named as the raw import names
    /// them (`Job <id>`, `Workspace <id>`, the warehouse's id).
    pub fn complete(&mut self) {
        for r in &self.runs {
            self.jobs.entry(r.job_id.clone()).or_insert_with(|| JobRow {
                workspace: r.workspace.clone(),
                name: format!("Job {}", r.job_id),
                description: None,
                tags: None,
            });
        }
        for q in self.queries.values() {
            self.compute.entry(q.warehouse_id.clone()).or_insert_with(|| ComputeRow {
                name: q.warehouse_id.clone(),
                kind: "SQL_WAREHOUSE".to_string(),
                workspace: q.workspace.clone(),
            });
            self.users.entry(q.user.clone()).or_insert_with(|| q.workspace.clone());
        }
        let named: Vec<String> = self
            .jobs
            .values()
            .map(|j| &j.workspace)
            .chain(self.compute.values().map(|c| &c.workspace))
            .chain(self.users.values())
            .cloned()
            .collect();
        for ws in named {
            self.workspaces.entry(ws.clone()).or_insert_with(|| format!("Workspace {ws}"));
        }
    }

    /// Instance pools: walking the runs in (job, run) order, the first run that names a pool
    /// gives its instance type (its worker type, or `unknown`).
    pub fn pools(&self) -> BTreeMap<String, String> {
        let mut runs: Vec<&RunRow> = self.runs.iter().collect();
        runs.sort_by(|a, b| (&a.job_id, &a.run_id).cmp(&(&b.job_id, &b.run_id)));
        let mut pools = BTreeMap::new();
        for r in runs {
            if let Some(p) = &r.pool_id {
                pools.entry(p.clone()).or_insert_with(|| r.worker_type.clone().unwrap_or_else(|| "unknown".to_string()));
            }
        }
        pools
    }

    /// Writes every table into `conn` (schema already created); returns how many evictions
    /// were written (those whose run has usage to attach the event to).
    pub fn write(&self, conn: &Connection) -> rusqlite::Result<usize> {
        for (id, name) in &self.workspaces {
            conn.prepare_cached(
                "INSERT INTO workspace(workspace_id, workspace_name, description) VALUES (?1, ?2, 'imported from system tables')",
            )?
            .execute(params![id, name])?;
        }
        for (user, ws) in &self.users {
            conn.prepare_cached("INSERT INTO users_lookup(user_id, name, workspace_id) VALUES (?1, ?1, ?2)")?.execute(params![user, ws])?;
        }
        for p in &self.prices {
            conn.prepare_cached(
                "INSERT INTO sku_prices(compute_sku, cloud, price_start_date, price_end_date, usd_per_dbu) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![p.sku, p.cloud, timestamp(p.start), p.end.map(timestamp), p.usd])?;
        }
        for (id, j) in &self.jobs {
            conn.prepare_cached("INSERT INTO jobs(job_id, workspace_id, job_name, description, tags) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![id, j.workspace, j.name, j.description, j.tags])?;
        }
        for (pool, node_type) in self.pools() {
            conn.prepare_cached("INSERT INTO instance_pools(instance_pool_id, pool_name, pool_instance_type) VALUES (?1, ?1, ?2)")?
                .execute(params![pool, node_type])?;
        }
        for r in &self.runs {
            conn.prepare_cached(
                "INSERT INTO job_runs(job_run_id, job_id, start_time, end_time, duration_ms, run_status, error_summary, driver_instance_type,
                    worker_instance_type, instance_pool_id, min_nodes, max_nodes, fixed_nodes, is_autoscaling_enabled, spot_ratio)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                r.run_id,
                r.job_id,
                timestamp(r.start),
                timestamp(r.end),
                r.duration_ms,
                r.status,
                r.error,
                r.driver_type,
                r.worker_type,
                r.pool_id,
                r.min_nodes,
                r.max_nodes,
                r.fixed_nodes,
                r.autoscaling as i64,
                r.spot_ratio,
            ])?;
            conn.prepare_cached("INSERT INTO job_run_spot(job_run_id, source) VALUES (?1, ?2)")?
                .execute(params![r.run_id, r.spot_source])?;
        }
        for (id, c) in &self.compute {
            conn.prepare_cached(
                "INSERT INTO non_job_compute(compute_id, compute_name, compute_type, workspace_id) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![id, c.name, c.kind, c.workspace])?;
        }
        for u in &self.usage {
            conn.prepare_cached(
                "INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, cluster_id, cluster_instance_type, total_cost, usage_date)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![u.id, u.parent_id, u.parent_type, u.sku, u.dbus, u.cluster_id, u.node_type, u.cost, u.date])?;
        }
        let mut written = 0;
        for e in &self.evictions {
            let day = Timestamp::from_unix_seconds(e.time).date().to_string();
            let usage_id: Option<String> = conn
                .prepare_cached(
                    "SELECT compute_usage_id FROM compute_usage WHERE parent_type = 'JOB_RUN' AND parent_id = ?1 ORDER BY usage_date = ?2 DESC, usage_date LIMIT 1",
                )?
                .query_row(params![e.run_id, day], |r| r.get(0))
                .ok();
            let Some(usage_id) = usage_id else { continue };
            let when = timestamp(e.time);
            conn.prepare_cached(
                "INSERT INTO eviction_details(eviction_id, cloud_instance_id, eviction_time, cloud_provider_message, was_retried) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                e.id,
                e.instance_id,
                when,
                "spot instance terminated while its job run was still going (system.compute.instance_events)",
                e.retried as i64
            ])?;
            conn.prepare_cached(
                "INSERT INTO events(event_id, compute_usage_id, event_time, event_type, details, eviction_id) VALUES (?1, ?2, ?3, 'SPOT_EVICTION', ?4, ?5)",
            )?
            .execute(params![
                format!("EV-{}", e.id),
                usage_id,
                when,
                format!("spot instance {} terminated during run {}", e.instance_id, e.run_id),
                e.id
            ])?;
            written += 1;
        }
        for (id, q) in &self.queries {
            conn.prepare_cached(
                "INSERT INTO sql_query_history(query_id, parent_id, user_id, start_time, duration_ms, sql_text, error_message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![id, q.warehouse_id, q.user, timestamp(q.start), q.duration_ms, q.text, q.error])?;
        }
        Ok(written)
    }
}
