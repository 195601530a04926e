//! Writes the seeded usage data: the cast, then day by day every job run with its usage,
//! cluster events and spot evictions, the daily usage of shared compute, ad-hoc queries,
//! the statements and sessions (start, autoscaling and termination events) of the shared
//! clusters and warehouses, and the calendar.
//!
//! Guarantees, checked by the tests: the same configuration gives byte-identical files;
//! `end_time = start_time + duration_ms` with whole seconds; `total_cost = dbus_consumed ×
//! the SKU's list price`; every reference resolves; skipped runs have no usage or events.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{params, Connection};

use super::cast::{self, JobSpec, Nodes, Schedule, StartWindow, JOBS, NON_JOB_COMPUTE, QUERIES};
use super::prng::Prng;
use super::scenarios::{self, FailedDuration};
use crate::base::calendar::{Date, Timestamp, Weekday};
use crate::data::aggregates;
use crate::data::schema::SCHEMA_SQL;

/// What to generate. `SeedConfig::default()` is the seeded demo database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedConfig {
    pub seed: u64,
    /// Number of jobs. The first nine are the cast; more are clones of the cast, nine per
    /// "group", each group with its own copies of the shared compute.
    pub jobs: usize,
    pub days: u32,
    pub first_day: Date,
}

impl Default for SeedConfig {
    fn default() -> Self {
        SeedConfig { seed: 20_251_101, jobs: JOBS.len(), days: 45, first_day: Date::from_ymd(2025, 11, 1) }
    }
}

impl SeedConfig {
    pub fn last_day(&self) -> Date {
        self.first_day.add_days(i64::from(self.days) - 1)
    }

    fn groups(&self) -> usize {
        self.jobs.div_ceil(JOBS.len())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("invalid seed configuration: {0}")]
    Config(String),
    #[error("SQLite error while writing the seed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("could not replace {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// Row counts written, by table.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeedStats {
    pub job_runs: u64,
    pub compute_usage: u64,
    pub events: u64,
    pub eviction_details: u64,
    pub sql_query_history: u64,
}

// Stream tags for keyed random streams; fixed forever so data stays stable.
const STREAM_JOB_DAY: u64 = 1;
const STREAM_NON_JOB_DAY: u64 = 2;
const STREAM_QUERY_DAY: u64 = 3;
const STREAM_SESSION_DAY: u64 = 4;

/// The clone groups whose shared clusters and warehouses get statements and sessions (the
/// cast's only; the clones' resources have usage and settings, no up time).
const SESSION_GROUPS: usize = 1;

/// Builds the database in memory and writes it compactly to `path` (replacing it).
pub fn write_database(path: &Path, config: &SeedConfig) -> Result<SeedStats, SeedError> {
    let conn = Connection::open_in_memory()?;
    let stats = generate(&conn, config)?;
    conn.execute_batch("ANALYZE;")?;
    write_to(&conn, path)?;
    Ok(stats)
}

/// Like [`write_database`], without what the app derives again whenever it opens a file
/// (`data::db`: the schema's indexes, the calendar and the reports' aggregates): the
/// smallest file to download, for the demo. Opened, it gives the same figures.
pub fn write_lean_database(path: &Path, config: &SeedConfig) -> Result<SeedStats, SeedError> {
    let conn = Connection::open_in_memory()?;
    let stats = generate(&conn, config)?;
    let derived: Vec<(String, String)> = conn
        .prepare(
            "SELECT type, name FROM sqlite_master
             WHERE (type = 'index' AND sql IS NOT NULL) OR (type = 'table' AND name LIKE 'agg\\_%' ESCAPE '\\')
             ORDER BY type = 'table', name",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (kind, name) in derived {
        let what = if kind == "index" { "INDEX" } else { "TABLE" };
        conn.execute_batch(&format!("DROP {what} \"{}\"", name.replace('"', "\"\"")))?;
    }
    conn.execute_batch("DELETE FROM date_series;")?;
    write_to(&conn, path)?;
    Ok(stats)
}

fn write_to(conn: &Connection, path: &Path) -> Result<(), SeedError> {
    if path.exists() {
        std::fs::remove_file(path).map_err(|source| SeedError::Io { path: path.display().to_string(), source })?;
    }
    conn.execute("VACUUM INTO ?1", params![path.to_string_lossy()])?;
    Ok(())
}

/// Creates the schema in `conn`, fills it, and builds the aggregates the reports read
/// (`data::aggregates`), so the seeded database ships them.
pub fn generate(conn: &Connection, config: &SeedConfig) -> Result<SeedStats, SeedError> {
    if config.jobs == 0 || config.days == 0 {
        return Err(SeedError::Config("--jobs and --days must both be at least 1".into()));
    }
    conn.execute_batch(SCHEMA_SQL)?;
    conn.execute_batch("BEGIN")?;
    let mut writer = Writer { conn, stats: SeedStats::default(), config };
    let result = writer.write_all();
    match result {
        Ok(()) => {
            aggregates::build(conn)?;
            conn.execute_batch("COMMIT")?;
            Ok(writer.stats)
        }
        Err(err) => {
            conn.execute_batch("ROLLBACK").ok();
            Err(err)
        }
    }
}

struct Writer<'a> {
    conn: &'a Connection,
    config: &'a SeedConfig,
    stats: SeedStats,
}

/// One job of the generated set: a cast member or a clone of one.
struct JobInstance {
    index: usize,
    group: usize,
    id: String,
    template: &'static JobSpec,
    depends_on: Vec<String>,
}

fn suffix(group: usize) -> String {
    if group == 0 {
        String::new()
    } else {
        format!("-C{group:04}")
    }
}

fn workspace_of_group(group: usize) -> String {
    if group == 0 {
        cast::WORKSPACE.id.to_string()
    } else {
        format!("OU-SCALE-{:02}", (group - 1) % 4 + 1)
    }
}

fn price_of(sku: &str) -> f64 {
    cast::SKU_PRICES.iter().find(|(s, _)| *s == sku).map(|(_, p)| *p).expect("every SKU has a price")
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

fn is_scheduled(schedule: Schedule, date: Date) -> bool {
    match schedule {
        Schedule::Daily => true,
        Schedule::Weekly(day) => date.weekday() == day,
        Schedule::MonthlyOnDay(day) => date.day_of_month() == day,
    }
}

fn bool_int(b: bool) -> i64 {
    i64::from(b)
}

impl Writer<'_> {
    fn write_all(&mut self) -> Result<(), SeedError> {
        let jobs = self.write_cast()?;
        for day in 0..i64::from(self.config.days) {
            let date = self.config.first_day.add_days(day);
            // Jobs are in dependency order, so an upstream job's outcome is known in time.
            let mut succeeded: HashSet<String> = HashSet::new();
            for job in &jobs {
                if self.write_job_day(job, day, date, &succeeded)? {
                    succeeded.insert(job.id.clone());
                }
            }
            self.write_non_job_day(day, date)?;
            let ad_hoc = self.write_queries(day, date)?;
            self.write_sessions_day(day, date, &ad_hoc)?;
        }
        let mut stmt = self.conn.prepare("INSERT INTO date_series(date) VALUES (?1)")?;
        for date in self.config.first_day.through(self.config.last_day()) {
            stmt.execute(params![date.to_string()])?;
        }
        Ok(())
    }

    fn write_cast(&mut self) -> Result<Vec<JobInstance>, SeedError> {
        let c = self.conn;
        let groups = self.config.groups();
        let mut workspaces_done = HashSet::new();
        for group in 0..groups {
            let ws = workspace_of_group(group);
            if !workspaces_done.insert(ws.clone()) {
                continue;
            }
            let (name, description) = if group == 0 {
                (cast::WORKSPACE.name.to_string(), cast::WORKSPACE.description.to_string())
            } else {
                (
                    format!("{} scale unit {}", cast::WORKSPACE.name, &ws[ws.len() - 2..]),
                    "Generated workspace for performance work: clones of the cast".to_string(),
                )
            };
            c.execute(
                "INSERT INTO workspace(workspace_id, workspace_name, account_id, description) VALUES (?1, ?2, ?3, ?4)",
                params![ws, name, cast::WORKSPACE.account_id, description],
            )?;
        }
        for user in cast::USERS {
            c.execute(
                "INSERT INTO users_lookup(user_id, name, workspace_id, department) VALUES (?1, ?2, ?3, ?4)",
                params![user.id, user.name, cast::WORKSPACE.id, user.department],
            )?;
        }
        for pool in cast::POOLS {
            c.execute(
                "INSERT INTO instance_pools(instance_pool_id, pool_name, pool_instance_type, min_size, max_size, auto_termination_mins) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![pool.id, pool.name, pool.instance_type, pool.min_size, pool.max_size, pool.auto_termination_mins],
            )?;
        }
        for (sku, price) in cast::SKU_PRICES {
            c.execute(
                "INSERT INTO sku_prices(compute_sku, price_start_date, price_end_date, usd_per_dbu) VALUES (?1, ?2, NULL, ?3)",
                params![sku, self.config.first_day.to_string(), price],
            )?;
        }
        for group in 0..groups {
            let sfx = suffix(group);
            for res in NON_JOB_COMPUTE {
                let name = if group == 0 { res.name.to_string() } else { format!("{} (clone {group})", res.name) };
                c.execute(
                    "INSERT INTO non_job_compute(compute_id, compute_name, compute_type, workspace_id) VALUES (?1, ?2, ?3, ?4)",
                    params![format!("{}{sfx}", res.id), name, res.kind.compute_type(), workspace_of_group(group)],
                )?;
                let settings = &res.sessions;
                c.execute(
                    "INSERT INTO compute_settings(compute_id, auto_termination_mins, min_workers, max_workers) VALUES (?1, ?2, ?3, ?4)",
                    params![format!("{}{sfx}", res.id), settings.auto_termination_mins, settings.scale.0, settings.scale.1],
                )?;
            }
        }
        let mut jobs: Vec<JobInstance> = Vec::with_capacity(self.config.jobs);
        for index in 0..self.config.jobs {
            let template = &JOBS[index % JOBS.len()];
            let group = index / JOBS.len();
            let sfx = suffix(group);
            let id = format!("{}{sfx}", template.id);
            let tags = template.tags.map(|t| serde_json::to_string(t).expect("tags serialise"));
            let name = if group == 0 { template.name.to_string() } else { format!("{} (clone {group})", template.name) };
            c.execute(
                "INSERT INTO jobs(job_id, workspace_id, job_name, description, tags) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, workspace_of_group(group), name, template.description, tags],
            )?;
            // A partial last group may lack an upstream job; such a dependency is dropped.
            let depends_on: Vec<String> = template
                .depends_on
                .iter()
                .map(|d| format!("{d}{sfx}"))
                .filter(|d| jobs.iter().any(|j| j.group == group && &j.id == d))
                .collect();
            for upstream in &depends_on {
                c.execute("INSERT INTO job_dependencies(job_id, depends_on_job_id) VALUES (?1, ?2)", params![id, upstream])?;
            }
            jobs.push(JobInstance { index, group, id, template, depends_on });
        }
        Ok(jobs)
    }

    /// Writes one job's runs for one day; returns whether the job ended the day successfully.
    fn write_job_day(&mut self, job: &JobInstance, day: i64, date: Date, succeeded_today: &HashSet<String>) -> Result<bool, SeedError> {
        let spec = job.template;
        if !is_scheduled(spec.schedule, date) {
            return Ok(false);
        }
        let mut rng = Prng::keyed(self.config.seed, &[STREAM_JOB_DAY, job.index as u64, day as u64]);
        let start_minute = match spec.start {
            StartWindow::At { hour, minute } => i64::from(hour * 60 + minute) + rng.int_between(0, 29),
            StartWindow::Between { from_hour, to_hour } => rng.int_between(i64::from(from_hour) * 60, i64::from(to_hour) * 60 - 1),
        };
        let mut start = date.at_midnight().add_seconds(start_minute * 60 + rng.int_between(0, 59));

        if let Some(upstream) = job.depends_on.iter().find(|u| !succeeded_today.contains(*u)) {
            let run_id = format!("{}-{}-R01", job.id, date.compact());
            let error = format!("Skipped: upstream dependency {upstream} did not succeed on {date}");
            self.insert_run(&RunRow {
                run_id: &run_id,
                job,
                start,
                duration_s: 0,
                status: "SKIPPED",
                error: Some(&error),
                spot_ratio: spec.spot_ratio,
            })?;
            return Ok(false);
        }

        let plan = scenarios::plan_for(spec.id, spec.spot_ratio, day);
        let runtime_minutes = spec.runtime_minutes * plan.runtime_factor * rng.between(0.85, 1.15);
        let failing_attempts = match (&plan.failure, spec.retries) {
            (None, _) => 0,
            (Some(_), true) => 3,
            (Some(_), false) => 1,
        };
        let ends_in_success = plan.failure.is_none() || spec.retries;
        let attempts = failing_attempts + u32::from(ends_in_success);
        let price = price_of(cast::SKU_JOBS);

        for attempt in 1..=attempts {
            let failure = if attempt <= failing_attempts { plan.failure.as_ref() } else { None };
            let minutes = match failure.map(|f| f.duration) {
                None => runtime_minutes,
                Some(FailedDuration::ShareOfRuntime(share)) => runtime_minutes * share,
                Some(FailedDuration::Minutes(m)) => m,
            };
            let duration_s = (minutes * 60.0).round() as i64;
            let run_id = format!("{}-{}-R{attempt:02}", job.id, date.compact());
            let usage_id = format!("CU-{run_id}");
            let status = if failure.is_some() { "FAILED" } else { "SUCCESS" };
            self.insert_run(&RunRow {
                run_id: &run_id,
                job,
                start,
                duration_s,
                status,
                error: failure.map(|f| f.error),
                spot_ratio: plan.spot_ratio,
            })?;

            let (avg_nodes, scaled_to) = match spec.nodes {
                Nodes::Fixed(n) => (f64::from(n), None),
                Nodes::Autoscale { min, max } => {
                    let peak = min + ((f64::from(max - min)) * rng.between(0.3, 0.8)).round() as u32;
                    (f64::from(min + peak) / 2.0, Some((min, peak)))
                }
            };
            // A retry starts on a cold cluster and repeats work: 20 % more DBUs per minute.
            let retry_overhead = if (2..=3).contains(&attempt) { 1.2 } else { 1.0 };
            let dbus = round_to(spec.dbu_per_node_minute * (duration_s as f64 / 60.0) * avg_nodes * retry_overhead, 2);
            let cpu = round_to((spec.base_cpu + rng.between(-0.10, 0.10)).clamp(0.05, 0.98), 3);
            let cluster_id = format!("jc-{}", rng.hex(10));
            self.conn
                .prepare_cached(
                    "INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, cluster_id, cluster_instance_type, total_cost, avg_cpu_utilization, avg_memory_gb, peak_concurrent_users, is_production, usage_date) VALUES (?1, ?2, 'JOB_RUN', ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11)",
                )?
                .execute(params![
                    usage_id,
                    run_id,
                    cast::SKU_JOBS,
                    dbus,
                    cluster_id,
                    spec.worker_type,
                    dbus * price,
                    cpu,
                    spec.memory_gb(),
                    bool_int(spec.production),
                    start.date().to_string(),
                ])?;
            self.stats.compute_usage += 1;

            let end = start.add_seconds(duration_s);
            let nodes_text = match spec.nodes {
                Nodes::Fixed(n) => format!("{n} workers"),
                Nodes::Autoscale { min, max } => format!("{min}-{max} workers (autoscaling)"),
            };
            self.insert_event(
                &format!("EV-{run_id}-START"),
                &usage_id,
                start,
                "CLUSTER_START",
                &format!(
                    "Job cluster {cluster_id} starting for {} attempt {attempt}: {nodes_text} of {}, {:.0}% spot",
                    job.id,
                    spec.worker_type,
                    plan.spot_ratio * 100.0
                ),
                None,
            )?;
            if let (Some((min, peak)), None) = (scaled_to, failure) {
                if peak > min {
                    self.insert_event(
                        &format!("EV-{run_id}-SCALE"),
                        &usage_id,
                        start.add_seconds(duration_s / 5),
                        "AUTOSCALING",
                        &format!("Autoscaled job cluster {cluster_id} from {min} to {peak} workers"),
                        None,
                    )?;
                }
            }
            if let Some(eviction) = failure.and_then(|f| f.eviction.as_ref()) {
                let eviction_id = format!("EVICT-{run_id}");
                let evicted_at = start.add_seconds(duration_s * 6 / 10);
                let retried = attempt < attempts;
                self.conn
                    .prepare_cached(
                        "INSERT INTO eviction_details(eviction_id, cloud_instance_id, eviction_time, cloud_provider_message, eviction_reason, spot_price, eviction_action, was_retried) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'STOP_DEALLOCATE', ?7)",
                    )?
                    .execute(params![
                        eviction_id,
                        format!("i-{}", rng.hex(17)),
                        evicted_at.to_string(),
                        eviction.provider_message,
                        eviction.reason,
                        round_to(rng.between(0.08, 0.13), 4),
                        bool_int(retried),
                    ])?;
                self.stats.eviction_details += 1;
                self.insert_event(
                    &format!("EV-{run_id}-EVICT"),
                    &usage_id,
                    evicted_at,
                    "SPOT_EVICTION",
                    eviction.provider_message,
                    Some(&eviction_id),
                )?;
            }
            self.insert_event(
                &format!("EV-{run_id}-END"),
                &usage_id,
                end,
                "CLUSTER_TERMINATE",
                &format!("Job cluster {cluster_id} terminated after {} minutes ({status})", duration_s / 60),
                None,
            )?;
            // The next attempt waits five minutes after this one ends.
            start = end.add_seconds(300);
        }
        Ok(ends_in_success)
    }

    fn insert_run(&mut self, run: &RunRow<'_>) -> Result<(), SeedError> {
        let spec = run.job.template;
        let (min_nodes, max_nodes, fixed_nodes, autoscaling) = match spec.nodes {
            Nodes::Fixed(n) => (None, None, Some(n), false),
            Nodes::Autoscale { min, max } => (Some(min), Some(max), None, true),
        };
        self.conn
            .prepare_cached(
                "INSERT INTO job_runs(job_run_id, job_id, start_time, end_time, duration_ms, run_status, error_summary, driver_instance_type, worker_instance_type, is_fleet_cluster, instance_pool_id, min_nodes, max_nodes, fixed_nodes, is_autoscaling_enabled, spot_ratio) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                run.run_id,
                run.job.id,
                run.start.to_string(),
                run.start.add_seconds(run.duration_s).to_string(),
                run.duration_s * 1000,
                run.status,
                run.error,
                cast::DRIVER_TYPE,
                spec.worker_type,
                bool_int(spec.fleet),
                spec.pool,
                min_nodes,
                max_nodes,
                fixed_nodes,
                bool_int(autoscaling),
                run.spot_ratio,
            ])?;
        self.stats.job_runs += 1;
        Ok(())
    }

    fn insert_event(
        &mut self,
        event_id: &str,
        usage_id: &str,
        at: Timestamp,
        event_type: &str,
        details: &str,
        eviction_id: Option<&str>,
    ) -> Result<(), SeedError> {
        self.conn
            .prepare_cached(
                "INSERT INTO events(event_id, compute_usage_id, event_time, event_type, user_id, details, eviction_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![event_id, usage_id, at.to_string(), event_type, cast::SYSTEM_USER, details, eviction_id])?;
        self.stats.events += 1;
        Ok(())
    }

    /// One usage row per shared cluster or warehouse per day.
    fn write_non_job_day(&mut self, day: i64, date: Date) -> Result<(), SeedError> {
        for group in 0..self.config.groups() {
            let sfx = suffix(group);
            for (res_index, res) in NON_JOB_COMPUTE.iter().enumerate() {
                let mut rng = Prng::keyed(self.config.seed, &[STREAM_NON_JOB_DAY, group as u64, res_index as u64, day as u64]);
                let month_start = if date.day_of_month() == 1 { res.month_start_multiplier } else { 1.0 };
                let dbus = round_to(rng.between(res.daily_dbus.0, res.daily_dbus.1) * res.dbu_multiplier * month_start, 2);
                let compute_id = format!("{}{sfx}", res.id);
                let sku = res.kind.sku();
                self.conn
                    .prepare_cached(
                        "INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, cluster_id, cluster_instance_type, total_cost, avg_cpu_utilization, avg_memory_gb, peak_concurrent_users, is_production, usage_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    )?
                    .execute(params![
                        format!("CU-{compute_id}-{}", date.compact()),
                        compute_id,
                        res.kind.compute_type(),
                        sku,
                        dbus,
                        compute_id,
                        res.instance_type,
                        dbus * price_of(sku),
                        round_to(rng.between(res.cpu.0, res.cpu.1), 3),
                        res.memory_gb,
                        rng.int_between(res.users.0, res.users.1),
                        bool_int(res.production),
                        date.to_string(),
                    ])?;
                self.stats.compute_usage += 1;
            }
        }
        Ok(())
    }

    /// Ad-hoc SQL: on about a third of the weekdays, analysts run every query shape once.
    /// Returns each query's warehouse and [`Statement`] (their warehouses must be up then).
    fn write_queries(&mut self, day: i64, date: Date) -> Result<Vec<(String, Statement)>, SeedError> {
        let mut written = Vec::new();
        if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
            return Ok(written);
        }
        let mut day_rng = Prng::keyed(self.config.seed, &[STREAM_QUERY_DAY, day as u64]);
        if !day_rng.chance(0.3) {
            return Ok(written);
        }
        for group in 0..self.config.groups() {
            let sfx = suffix(group);
            for (q_index, query) in QUERIES.iter().enumerate() {
                let start_s = 8 * 3600 + 15 * 60 * q_index as i64 + day_rng.int_between(0, 599);
                let start = date.at_midnight().add_seconds(start_s);
                let duration_ms = query.base_ms + day_rng.int_between(0, 499);
                self.conn
                    .prepare_cached(
                        "INSERT INTO sql_query_history(query_id, parent_id, user_id, start_time, duration_ms, warehouse_sku, sql_text, error_message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )?
                    .execute(params![
                        format!("Q-{}-{:02}{sfx}", date.compact(), q_index + 1),
                        format!("{}{sfx}", query.warehouse),
                        query.user,
                        start.to_string(),
                        duration_ms,
                        query.size,
                        query.sql,
                        query.error,
                    ])?;
                self.stats.sql_query_history += 1;
                written.push((format!("{}{sfx}", query.warehouse), Statement { start_ms: start_s * 1000, duration_ms, user: query.user }));
            }
        }
        Ok(written)
    }
}

/// One statement of a shared resource's day: its start (milliseconds after midnight), how
/// long it ran and who ran it.
#[derive(Clone)]
struct Statement {
    start_ms: i64,
    duration_ms: i64,
    user: &'static str,
}

impl Statement {
    fn end_ms(&self) -> i64 {
        self.start_ms + self.duration_ms
    }
}

impl Writer<'_> {
    /// The statements of each shared cluster and warehouse for one day, and the sessions
    /// they and the day's ad-hoc queries (`ad_hoc`, already written) imply: it starts
    /// shortly before a statement when it is down (CLUSTER_START), may scale up once when
    /// the session runs more than one statement (AUTOSCALING), and stops `auto_termination_mins` after the end of its last running
    /// statement, rounded up to the second (CLUSTER_TERMINATE). Every event belongs to the
    /// day's usage row; no statement starts so late that its session would run past midnight.
    /// Written for the first [`SESSION_GROUPS`] groups.
    fn write_sessions_day(&mut self, day: i64, date: Date, ad_hoc: &[(String, Statement)]) -> Result<(), SeedError> {
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        // Only the cast's resources: thousands of statements a day per clone group would make
        // a scaled database many times larger without telling the reports anything new.
        for group in 0..SESSION_GROUPS.min(self.config.groups()) {
            let sfx = suffix(group);
            for (res_index, res) in NON_JOB_COMPUTE.iter().enumerate() {
                let mut rng = Prng::keyed(self.config.seed, &[STREAM_SESSION_DAY, group as u64, res_index as u64, day as u64]);
                let spec = &res.sessions;
                let compute_id = format!("{}{sfx}", res.id);
                let usage_id = format!("CU-{compute_id}-{}", date.compact());
                let idle_s = spec.auto_termination_mins * 60;
                let (lo, hi) = if weekend { spec.weekend_statements } else { spec.weekday_statements };
                let count = rng.int_between(lo, hi);
                let mut statements: Vec<Statement> = Vec::new();
                let mut at = spec.first_at_mins.0 * 60 + rng.int_between(0, (spec.first_at_mins.1 - spec.first_at_mins.0) * 60);
                for i in 0..count {
                    let duration_s = rng.int_between(spec.duration_s.0, spec.duration_s.1);
                    if at + duration_s + idle_s + 60 > 86_400 {
                        break;
                    }
                    statements.push(Statement {
                        start_ms: at * 1000,
                        duration_ms: duration_s * 1000,
                        user: spec.users[i as usize % spec.users.len()],
                    });
                    at += rng.int_between(spec.gap_mins.0, spec.gap_mins.1) * 60 + rng.int_between(0, 59);
                }
                let (lead_s, unit, verb) = match res.kind {
                    cast::NonJobKind::AllPurposeCluster => (240, "workers", "Autoscaled"),
                    cast::NonJobKind::SqlWarehouse => (20, "clusters", "Scaled"),
                };
                let midnight = date.at_midnight();
                let mut all: Vec<Statement> = statements.clone();
                all.extend(ad_hoc.iter().filter(|(id, _)| *id == compute_id).map(|(_, st)| st.clone()));
                all.sort_by_key(|st| (st.start_ms, st.duration_ms));
                // Sessions: (first statement, statements in it, end of the last running statement).
                let mut sessions: Vec<(usize, usize, i64)> = Vec::new();
                for (i, st) in all.iter().enumerate() {
                    match sessions.last_mut() {
                        Some((_, n, busy_until)) if st.start_ms - lead_s * 1000 <= *busy_until + idle_s * 1000 => {
                            *n += 1;
                            *busy_until = (*busy_until).max(st.end_ms());
                        }
                        _ => sessions.push((i, 1, st.end_ms())),
                    }
                }
                for (k, (first, n, busy_until)) in sessions.iter().enumerate() {
                    let tag = format!("EV-{compute_id}-{}-S{:02}", date.compact(), k + 1);
                    let opener = &all[*first];
                    let opened_s = opener.start_ms / 1000;
                    self.insert_event_by(
                        &format!("{tag}-START"),
                        &usage_id,
                        midnight.add_seconds(opened_s - lead_s),
                        "CLUSTER_START",
                        &format!("Started for {}", opener.user),
                        opener.user,
                    )?;
                    let (min, max) = spec.scale;
                    let peak = min + (f64::from(max - min) * rng.between(spec.peak_share.0, spec.peak_share.1)).round() as u32;
                    // A session of one statement does not scale.
                    if peak > min && *n > 1 {
                        self.insert_event_by(
                            &format!("{tag}-SCALE"),
                            &usage_id,
                            midnight.add_seconds(opened_s + 60),
                            "AUTOSCALING",
                            &format!("{verb} from {min} to {peak} {unit}"),
                            cast::SYSTEM_USER,
                        )?;
                    }
                    self.insert_event_by(
                        &format!("{tag}-END"),
                        &usage_id,
                        midnight.add_seconds((busy_until + 999) / 1000 + idle_s),
                        "CLUSTER_TERMINATE",
                        &format!("Auto-terminated, {} min idle after {n} statements", spec.auto_termination_mins),
                        cast::SYSTEM_USER,
                    )?;
                }
                let size = match res.kind {
                    cast::NonJobKind::SqlWarehouse => Some(res.instance_type),
                    cast::NonJobKind::AllPurposeCluster => None,
                };
                for (i, st) in statements.iter().enumerate() {
                    self.conn
                        .prepare_cached(
                            "INSERT INTO sql_query_history(query_id, parent_id, user_id, start_time, duration_ms, warehouse_sku, sql_text, error_message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)",
                        )?
                        .execute(params![
                            format!("QS-{compute_id}-{}-{:03}", date.compact(), i + 1),
                            compute_id,
                            st.user,
                            midnight.add_seconds(st.start_ms / 1000).to_string(),
                            st.duration_ms,
                            size,
                            spec.sql,
                        ])?;
                    self.stats.sql_query_history += 1;
                }
            }
        }
        Ok(())
    }

    /// An event by `user` (the job events are all by the system account).
    fn insert_event_by(
        &mut self,
        event_id: &str,
        usage_id: &str,
        at: Timestamp,
        event_type: &str,
        details: &str,
        user: &str,
    ) -> Result<(), SeedError> {
        self.conn
            .prepare_cached(
                "INSERT INTO events(event_id, compute_usage_id, event_time, event_type, user_id, details, eviction_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
            )?
            .execute(params![event_id, usage_id, at.to_string(), event_type, user, details])?;
        self.stats.events += 1;
        Ok(())
    }
}

struct RunRow<'a> {
    run_id: &'a str,
    job: &'a JobInstance,
    start: Timestamp,
    duration_s: i64,
    status: &'a str,
    error: Option<&'a str>,
    spot_ratio: f64,
}
