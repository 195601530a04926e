//! From typed system-table rows to the app's schema: prices applied at usage time,
//! corrections summed, hourly run slices merged, spot share observed or configured, and
//! the attribution gaps measured. Everything is ordered by key, so the same files always
//! give the same database.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection};

use super::load::*;
use super::report::{AttributionGaps, JobAttribution};

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The price of `sku` (in `cloud`) at `at`.
fn price_at(prices: &[Price], sku: &str, cloud: Option<&str>, at: i64) -> Option<f64> {
    prices
        .iter()
        .filter(|p| p.sku == sku && (p.cloud.is_none() || cloud.is_none() || p.cloud.as_deref() == cloud))
        .filter(|p| p.start <= at && p.end.is_none_or(|e| at < e))
        .max_by_key(|p| p.start)
        .map(|p| p.usd)
}

/// A merged job run.
#[derive(Clone, Debug)]
struct Run {
    workspace: String,
    job_id: String,
    run_id: String,
    start: i64,
    end: i64,
    status: &'static str,
    error: Option<String>,
    clusters: BTreeSet<String>,
    from_timeline: bool,
}

fn run_status(state: Option<&str>, code: Option<&str>) -> (&'static str, Option<String>) {
    let detail = |s: &str| Some(format!("result_state {s}, termination_code {}", code.unwrap_or("none")));
    match state {
        Some("SUCCEEDED") | Some("SUCCESS") => ("SUCCESS", None),
        Some(s @ ("FAILED" | "TIMED_OUT" | "ERROR" | "CANCELLED" | "CANCELED")) => ("FAILED", detail(s)),
        Some("SKIPPED") | Some("BLOCKED") => ("SKIPPED", None),
        Some(other) => ("FAILED", detail(other)),
        None => ("RUNNING", None),
    }
}

/// Writes everything into `conn` (schema already created); returns the gaps and the spot
/// source per run.
pub fn write(conn: &Connection, data: &Loaded) -> rusqlite::Result<AttributionGaps> {
    // Runs: slices merged per (job, run); the outcome is the latest terminal slice's.
    let mut runs: BTreeMap<(String, String), Run> = BTreeMap::new();
    let mut slices: Vec<&RunSlice> = data.runs.iter().collect();
    slices.sort_by(|a, b| (&a.job_id, &a.run_id, a.end, a.start).cmp(&(&b.job_id, &b.run_id, b.end, b.start)));
    for s in slices {
        let run = runs.entry((s.job_id.clone(), s.run_id.clone())).or_insert_with(|| Run {
            workspace: s.workspace.clone(),
            job_id: s.job_id.clone(),
            run_id: s.run_id.clone(),
            start: s.start,
            end: s.end,
            status: "RUNNING",
            error: None,
            clusters: BTreeSet::new(),
            from_timeline: true,
        });
        run.start = run.start.min(s.start);
        run.end = run.end.max(s.end);
        run.clusters.extend(s.compute_ids.iter().cloned());
        if s.result_state.is_some() {
            let (status, error) = run_status(s.result_state.as_deref(), s.termination_code.as_deref());
            run.status = status;
            run.error = error;
        }
    }
    for t in &data.tasks {
        if let Some(run) = runs.get_mut(&(t.job_id.clone(), t.job_run_id.clone())) {
            run.clusters.extend(t.compute_ids.iter().cloned());
        }
    }
    for u in &data.usage {
        if let (Some(job), Some(run_id)) = (&u.job_id, &u.job_run_id) {
            let run = runs.entry((job.clone(), run_id.clone())).or_insert_with(|| Run {
                workspace: u.workspace.clone(),
                job_id: job.clone(),
                run_id: run_id.clone(),
                start: u.start,
                end: u.end,
                status: "RUNNING",
                error: Some("no system.lakeflow.job_run_timeline row: outcome unknown".to_string()),
                clusters: BTreeSet::new(),
                from_timeline: false,
            });
            if !run.from_timeline {
                run.start = run.start.min(u.start);
                run.end = run.end.max(u.end);
            }
            if let Some(c) = &u.cluster_id {
                run.clusters.insert(c.clone());
            }
        }
    }

    // Workspaces and users.
    let mut workspaces: BTreeSet<String> = BTreeSet::new();
    workspaces.extend(data.usage.iter().map(|u| u.workspace.clone()));
    workspaces.extend(data.jobs.iter().map(|j| j.workspace.clone()));
    workspaces.extend(runs.values().map(|r| r.workspace.clone()));
    workspaces.extend(data.clusters.iter().map(|c| c.workspace.clone()));
    workspaces.extend(data.warehouses.iter().map(|w| w.workspace.clone()));
    workspaces.extend(data.queries.iter().map(|q| q.workspace.clone()));
    for ws in &workspaces {
        conn.execute(
            "INSERT INTO workspace(workspace_id, workspace_name, description) VALUES (?1, ?2, 'imported from system tables')",
            params![ws, format!("Workspace {ws}")],
        )?;
    }
    let first_ws = workspaces.iter().next().cloned().unwrap_or_else(|| "unknown".into());
    let mut users: BTreeMap<String, String> = BTreeMap::new();
    for q in &data.queries {
        users.entry(q.user.clone()).or_insert_with(|| q.workspace.clone());
    }
    for (user, ws) in &users {
        conn.execute("INSERT INTO users_lookup(user_id, name, workspace_id) VALUES (?1, ?1, ?2)", params![user, ws])?;
    }

    // Prices.
    for p in &data.prices {
        let start = crate::base::calendar::Timestamp::from_unix_seconds(p.start).to_string();
        let end = p.end.map(|e| crate::base::calendar::Timestamp::from_unix_seconds(e).to_string());
        conn.execute(
            "INSERT OR REPLACE INTO sku_prices(compute_sku, price_start_date, price_end_date, usd_per_dbu) VALUES (?1, ?2, ?3, ?4)",
            params![p.sku, start, end, p.usd],
        )?;
    }

    // Jobs: the latest version of each; jobs seen only in runs or billing get a stub.
    let mut jobs: BTreeMap<String, &JobVersion> = BTreeMap::new();
    for j in &data.jobs {
        let keep = jobs.get(&j.job_id).is_none_or(|k| j.change_time >= k.change_time);
        if keep {
            jobs.insert(j.job_id.clone(), j);
        }
    }
    let mut job_ids: BTreeSet<String> = jobs.keys().cloned().collect();
    job_ids.extend(runs.values().map(|r| r.job_id.clone()));
    let mut billed_names: BTreeMap<&str, &str> = BTreeMap::new();
    for u in &data.usage {
        if let (Some(job), Some(name)) = (&u.job_id, &u.job_name) {
            billed_names.entry(job).or_insert(name);
        }
    }
    let mut run_workspace: BTreeMap<&str, &str> = BTreeMap::new();
    for r in runs.values() {
        run_workspace.entry(&r.job_id).or_insert(&r.workspace);
    }
    for job_id in &job_ids {
        let version = jobs.get(job_id);
        let billed_name = billed_names.get(job_id.as_str()).map(|n| n.to_string());
        let name = version.and_then(|v| v.name.clone()).or(billed_name).unwrap_or_else(|| format!("Job {job_id}"));
        let ws = version
            .map(|v| v.workspace.clone())
            .or_else(|| run_workspace.get(job_id.as_str()).map(|w| w.to_string()))
            .unwrap_or_else(|| first_ws.clone());
        let tags = version.map(|v| serde_json::to_string(&v.tags).expect("serialises"));
        conn.execute(
            "INSERT INTO jobs(job_id, workspace_id, job_name, description, tags) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![job_id, ws, name, version.and_then(|v| v.description.clone()), tags],
        )?;
    }

    // Clusters: the version in force at a time.
    let mut cluster_versions: BTreeMap<&str, Vec<&ClusterVersion>> = BTreeMap::new();
    for c in &data.clusters {
        cluster_versions.entry(&c.cluster_id).or_default().push(c);
    }
    // The version in force at `at`, or the earliest when the cluster was created after it
    // (a job cluster appears a few seconds after its run starts).
    let cluster_at = |id: &str, at: i64| -> Option<&ClusterVersion> {
        let versions = cluster_versions.get(id)?;
        versions
            .iter()
            .copied()
            .filter(|c| c.change_time <= at)
            .max_by_key(|c| c.change_time)
            .or_else(|| versions.iter().copied().min_by_key(|c| c.change_time))
    };
    let mut pools: BTreeMap<String, String> = BTreeMap::new();

    // Job runs with their configuration and spot share.
    let compute = ComputeIndex::new(data);
    for run in runs.values() {
        let config = run
            .clusters
            .iter()
            .filter_map(|c| cluster_at(c, run.start))
            .find(|c| c.source.as_deref() == Some("JOB"))
            .or_else(|| run.clusters.iter().find_map(|c| cluster_at(c, run.start)));
        let (spot, source) = match compute.observed_spot(&run.clusters, run.start, run.end) {
            Some(s) => (s, "observed"),
            None => match config.and_then(configured_spot) {
                Some(s) => (s, "configured"),
                None => (0.0, "unknown"),
            },
        };
        let pool = config.and_then(|c| c.pool_id.clone());
        if let (Some(p), Some(c)) = (&pool, config) {
            pools.entry(p.clone()).or_insert_with(|| c.worker_type.clone().unwrap_or_else(|| "unknown".into()));
        }
        let autoscaling = config.is_some_and(|c| c.worker_count.is_none() && c.max_workers.is_some());
        conn.prepare_cached(
            "INSERT INTO job_runs(job_run_id, job_id, start_time, end_time, duration_ms, run_status, error_summary, driver_instance_type,
                worker_instance_type, instance_pool_id, min_nodes, max_nodes, fixed_nodes, is_autoscaling_enabled, spot_ratio)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?
        .execute(params![
            run.run_id,
            run.job_id,
            crate::base::calendar::Timestamp::from_unix_seconds(run.start).to_string(),
            crate::base::calendar::Timestamp::from_unix_seconds(run.end).to_string(),
            (run.end - run.start) * 1000,
            run.status,
            run.error,
            config.and_then(|c| c.driver_type.clone()),
            config.and_then(|c| c.worker_type.clone()),
            pool,
            config.and_then(|c| c.min_workers),
            config.and_then(|c| c.max_workers),
            config.and_then(|c| c.worker_count),
            autoscaling as i64,
            round6(spot),
        ])?;
        conn.prepare_cached("INSERT INTO job_run_spot(job_run_id, source) VALUES (?1, ?2)")?.execute(params![run.run_id, source])?;
    }
    for (pool, node_type) in &pools {
        conn.execute(
            "INSERT INTO instance_pools(instance_pool_id, pool_name, pool_instance_type) VALUES (?1, ?1, ?2)",
            params![pool, node_type],
        )?;
    }

    // Usage: priced at its start time, aggregated per (parent, sku, day), corrections summed.
    let mut gaps = AttributionGaps::default();
    #[derive(Default)]
    struct Agg {
        dbus: f64,
        cost: f64,
        priced: bool,
        cluster: Option<String>,
        node_type: Option<String>,
    }
    let mut usage: BTreeMap<(&'static str, String, String, String), Agg> = BTreeMap::new();
    let mut non_job: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut unattributed: Vec<(&Usage, f64)> = Vec::new();
    for u in &data.usage {
        let price = price_at(&data.prices, &u.sku, u.cloud.as_deref(), u.start);
        let cost = price.map(|p| u.quantity * p);
        match cost {
            Some(c) => gaps.total_cost += c,
            None => gaps.unpriced_dbus += u.quantity,
        }
        if u.untagged {
            gaps.untagged_cost += cost.unwrap_or(0.0);
        }
        let parent = match (&u.job_id, &u.job_run_id, &u.warehouse_id, &u.cluster_id) {
            (Some(_), Some(run), _, _) => Some(("JOB_RUN", run.clone())),
            (None, _, Some(w), _) => Some(("SQL_WAREHOUSE", w.clone())),
            (None, _, None, Some(c)) => Some(("APC_CLUSTER", c.clone())),
            _ => None,
        };
        let Some((kind, id)) = parent else {
            gaps.other_products_cost += cost.unwrap_or(0.0);
            continue;
        };
        if kind != "JOB_RUN" {
            non_job.insert(id.clone(), kind);
            gaps.unattributed_cost += cost.unwrap_or(0.0);
            if let Some(c) = cost {
                unattributed.push((u, c));
            }
        }
        let agg = usage.entry((kind, id, u.sku.clone(), u.date.clone())).or_default();
        agg.dbus += u.quantity;
        agg.cost += cost.unwrap_or(0.0);
        agg.priced |= cost.is_some();
        agg.cluster = agg.cluster.take().or_else(|| u.cluster_id.clone());
        agg.node_type = agg.node_type.take().or_else(|| u.node_type.clone());
    }
    for w in &data.warehouses {
        non_job.insert(w.warehouse_id.clone(), "SQL_WAREHOUSE");
    }
    for q in &data.queries {
        if let Some(w) = &q.warehouse_id {
            non_job.entry(w.clone()).or_insert("SQL_WAREHOUSE");
        }
    }
    let mut usage_workspace: BTreeMap<&str, &str> = BTreeMap::new();
    for u in &data.usage {
        for id in [&u.warehouse_id, &u.cluster_id].into_iter().flatten() {
            usage_workspace.entry(id).or_insert(&u.workspace);
        }
    }
    for (id, kind) in &non_job {
        let name = match *kind {
            "SQL_WAREHOUSE" => {
                data.warehouses.iter().filter(|w| &w.warehouse_id == id).max_by_key(|w| w.change_time).and_then(|w| w.name.clone())
            }
            _ => data.clusters.iter().filter(|c| &c.cluster_id == id).max_by_key(|c| c.change_time).and_then(|c| c.name.clone()),
        };
        let ws = data
            .warehouses
            .iter()
            .find(|w| &w.warehouse_id == id)
            .map(|w| w.workspace.clone())
            .or_else(|| data.clusters.iter().find(|c| &c.cluster_id == id).map(|c| c.workspace.clone()))
            .or_else(|| usage_workspace.get(id.as_str()).map(|w| w.to_string()))
            .unwrap_or_else(|| first_ws.clone());
        conn.execute(
            "INSERT INTO non_job_compute(compute_id, compute_name, compute_type, workspace_id) VALUES (?1, ?2, ?3, ?4)",
            params![id, name.unwrap_or_else(|| id.clone()), kind, ws],
        )?;
    }
    for ((kind, parent, sku, day), agg) in &usage {
        let id = format!("BU-{kind}-{parent}-{sku}-{day}");
        conn.prepare_cached(
            "INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, cluster_id, cluster_instance_type, total_cost, usage_date)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![id, parent, kind, sku, round6(agg.dbus), agg.cluster, agg.node_type, agg.priced.then_some(round6(agg.cost)), day])?;
    }

    // Evictions: spot instances of a run's cluster that terminated before the run ended.
    let mut evictions = 0;
    for run in runs.values() {
        for e in compute.terminations(&run.clusters) {
            if e.time <= run.start || e.time >= run.end - 60 {
                continue;
            }
            evictions += 1;
            let day = crate::base::calendar::Timestamp::from_unix_seconds(e.time).date().to_string();
            let usage_id: Option<String> = conn
                .query_row(
                    "SELECT compute_usage_id FROM compute_usage WHERE parent_type = 'JOB_RUN' AND parent_id = ?1 ORDER BY usage_date = ?2 DESC, usage_date LIMIT 1",
                    params![run.run_id, day],
                    |r| r.get(0),
                )
                .ok();
            let Some(usage_id) = usage_id else { continue };
            let eviction_id = format!("EVICT-{}-{}-{evictions}", run.run_id, e.instance_id);
            let when = crate::base::calendar::Timestamp::from_unix_seconds(e.time).to_string();
            let retried = runs.values().any(|r| r.job_id == run.job_id && r.start > run.start && r.start - run.end < 6 * 3600);
            conn.execute(
                "INSERT INTO eviction_details(eviction_id, cloud_instance_id, eviction_time, cloud_provider_message, was_retried) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![eviction_id, e.instance_id, when, "spot instance terminated while its job run was still going (system.compute.instance_events)", retried as i64],
            )?;
            conn.execute(
                "INSERT INTO events(event_id, compute_usage_id, event_time, event_type, details, eviction_id) VALUES (?1, ?2, ?3, 'SPOT_EVICTION', ?4, ?5)",
                params![format!("EV-{eviction_id}"), usage_id, when, format!("spot instance {} terminated during run {}", e.instance_id, run.run_id), eviction_id],
            )?;
        }
    }

    // Queries on warehouses.
    for q in &data.queries {
        let Some(w) = &q.warehouse_id else { continue };
        conn.execute(
            "INSERT OR REPLACE INTO sql_query_history(query_id, parent_id, user_id, start_time, duration_ms, sql_text, error_message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![q.statement_id, w, q.user, crate::base::calendar::Timestamp::from_unix_seconds(q.start).to_string(), q.duration_ms, q.text, q.error],
        )?;
    }

    // What task runs on all-purpose clusters and warehouses could attribute.
    let mut by_job: BTreeMap<String, f64> = BTreeMap::new();
    for (u, cost) in unattributed {
        let compute = u.warehouse_id.as_ref().or(u.cluster_id.as_ref()).expect("non-job usage has a compute id");
        let window = (u.end - u.start).max(1) as f64;
        let mut per_job: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
        for t in data.tasks.iter().filter(|t| t.compute_ids.contains(compute)) {
            let (s, e) = (t.start.max(u.start), t.end.min(u.end));
            if s < e {
                per_job.entry(&t.job_id).or_default().push((s, e));
            }
        }
        let jobs: Vec<(&str, i64)> = per_job.into_iter().map(|(job, spans)| (job, union_seconds(spans))).collect();
        let all: i64 = {
            let spans: Vec<(i64, i64)> = data
                .tasks
                .iter()
                .filter(|t| t.compute_ids.contains(compute))
                .map(|t| (t.start.max(u.start), t.end.min(u.end)))
                .filter(|(s, e)| s < e)
                .collect();
            union_seconds(spans)
        };
        let summed: i64 = jobs.iter().map(|(_, s)| s).sum();
        for (job, seconds) in jobs {
            // Seconds covered by several jobs are shared in proportion.
            let share = if summed > 0 { seconds as f64 / summed as f64 } else { 0.0 };
            *by_job.entry(job.to_string()).or_default() += cost * (all as f64 / window) * share;
        }
    }
    gaps.attributable_by_tasks = by_job.into_iter().map(|(job_id, cost)| JobAttribution { job_id, cost: round6(cost) }).collect();
    gaps.attributable_by_tasks_cost = round6(gaps.attributable_by_tasks.iter().map(|j| j.cost).sum());
    gaps.total_cost = round6(gaps.total_cost);
    gaps.unattributed_cost = round6(gaps.unattributed_cost);
    gaps.untagged_cost = round6(gaps.untagged_cost);
    gaps.other_products_cost = round6(gaps.other_products_cost);
    gaps.unpriced_dbus = round6(gaps.unpriced_dbus);
    let pct = |part: f64| if gaps.total_cost.abs() > 0.0 { (part / gaps.total_cost * 10000.0).round() / 100.0 } else { 0.0 };
    gaps.unattributed_share_pct = pct(gaps.unattributed_cost);
    gaps.untagged_share_pct = pct(gaps.untagged_cost);
    gaps.evictions = evictions;
    Ok(gaps)
}

/// Seconds covered by the union of `spans`.
fn union_seconds(mut spans: Vec<(i64, i64)>) -> i64 {
    spans.sort();
    let mut total = 0;
    let mut current: Option<(i64, i64)> = None;
    for (s, e) in spans {
        match current {
            Some((cs, ce)) if s <= ce => current = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                current = Some((s, e));
            }
            None => current = Some((s, e)),
        }
    }
    total + current.map(|(s, e)| e - s).unwrap_or(0)
}

/// Instance events and node rows by cluster, built once.
struct ComputeIndex<'a> {
    events: BTreeMap<&'a str, Vec<&'a InstanceEvent>>,
    nodes: BTreeMap<&'a str, Vec<&'a NodeMinute>>,
    /// Spot instances that terminated, by every cluster they were placed on.
    spot_terminations: BTreeMap<&'a str, Vec<(usize, &'a InstanceEvent)>>,
}

impl<'a> ComputeIndex<'a> {
    fn new(data: &'a Loaded) -> ComputeIndex<'a> {
        let mut events: BTreeMap<&str, Vec<&InstanceEvent>> = BTreeMap::new();
        let mut placed_on: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for e in &data.instance_events {
            if let Some(c) = &e.cluster_id {
                events.entry(c).or_default().push(e);
                placed_on.entry(&e.instance_id).or_default().insert(c);
            }
        }
        let mut nodes: BTreeMap<&str, Vec<&NodeMinute>> = BTreeMap::new();
        for n in &data.nodes {
            nodes.entry(&n.cluster_id).or_default().push(n);
        }
        let mut spot_terminations: BTreeMap<&str, Vec<(usize, &InstanceEvent)>> = BTreeMap::new();
        for (i, e) in data.instance_events.iter().enumerate().filter(|(_, e)| e.spot && e.state == "INSTANCE_TERMINATED") {
            let mut clusters: BTreeSet<&str> = placed_on.get(e.instance_id.as_str()).cloned().unwrap_or_default();
            clusters.extend(e.cluster_id.as_deref());
            for c in clusters {
                spot_terminations.entry(c).or_default().push((i, e));
            }
        }
        ComputeIndex { events, nodes, spot_terminations }
    }

    /// Spot share observed on `clusters` during [start, end]: node-minutes by availability
    /// when the node timeline has them, else the share of spot instances placed on them.
    fn observed_spot(&self, clusters: &BTreeSet<String>, start: i64, end: i64) -> Option<f64> {
        let on_clusters = || clusters.iter().filter_map(|c| self.events.get(c.as_str())).flatten();
        let labelled: BTreeMap<&str, bool> = on_clusters().map(|e| (e.instance_id.as_str(), e.spot)).collect();
        if labelled.is_empty() {
            return None;
        }
        let (mut spot, mut all) = (0i64, 0i64);
        for n in clusters.iter().filter_map(|c| self.nodes.get(c.as_str())).flatten() {
            let seconds = n.end.min(end) - n.start.max(start);
            if seconds <= 0 {
                continue;
            }
            if let Some(&is_spot) = labelled.get(n.instance_id.as_str()) {
                all += seconds;
                if is_spot {
                    spot += seconds;
                }
            }
        }
        if all > 0 {
            return Some(spot as f64 / all as f64);
        }
        let placed: BTreeMap<&str, bool> =
            on_clusters().filter(|e| e.state == "INSTANCE_PLACED" && e.time <= end).map(|e| (e.instance_id.as_str(), e.spot)).collect();
        (!placed.is_empty()).then(|| placed.values().filter(|s| **s).count() as f64 / placed.len() as f64)
    }

    /// Spot instances of `clusters` that terminated, each once, in file order.
    fn terminations(&self, clusters: &BTreeSet<String>) -> Vec<&'a InstanceEvent> {
        let mut found: BTreeMap<usize, &InstanceEvent> = BTreeMap::new();
        for c in clusters {
            for (i, e) in self.spot_terminations.get(c.as_str()).into_iter().flatten() {
                found.insert(*i, e);
            }
        }
        found.into_values().collect()
    }
}

/// Spot share the cluster's `aws_attributes` ask for.
fn configured_spot(c: &ClusterVersion) -> Option<f64> {
    let availability = c.availability.as_deref()?;
    let workers = c.worker_count.or(c.max_workers)?;
    let nodes = workers + 1;
    let on_demand = c.first_on_demand.unwrap_or(1).clamp(0, nodes);
    Some(match availability {
        "SPOT" | "SPOT_WITH_FALLBACK" => (nodes - on_demand) as f64 / nodes as f64,
        _ => 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_spans_count_once() {
        assert_eq!(union_seconds(vec![(0, 10), (5, 20), (30, 40)]), 30);
        assert_eq!(union_seconds(vec![]), 0);
    }
}
