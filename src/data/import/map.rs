//! From typed system-table rows to the app's schema (billing rows streamed, see [`Mapper`]): prices applied at usage time,
//! corrections summed, hourly run slices merged, spot share observed or configured, and
//! the attribution gaps measured. Everything is ordered by key, and where a group has
//! several values the smallest is kept, so the same rows in any order give the same
//! database.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::load::*;
use super::report::{AttributionGaps, JobAttribution};
use super::source::FastHash;
use super::tables::{ComputeRow, EvictionRow, JobRow, PriceRow, QueryRow, RunRow, Tables, UsageRow};

pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
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

/// The smaller of a kept value and a new one (a missing value is never kept over one).
fn smallest(kept: &mut Option<String>, new: &Option<String>) {
    if let Some(n) = new {
        if kept.as_ref().is_none_or(|k| n < k) {
            *kept = Some(n.clone());
        }
    }
}

#[derive(Default)]
struct Agg {
    dbus: f64,
    cost: f64,
    priced: bool,
    cluster: Option<String>,
    node_type: Option<String>,
}

/// A job run as billing rows show it.
struct BilledRun {
    start: i64,
    end: i64,
    workspace: String,
    clusters: Vec<u32>,
}

/// The smaller of a kept value and a new one, borrowed.
fn smallest_str(kept: &mut Option<String>, new: Option<&str>) {
    if let Some(n) = new {
        if kept.as_deref().is_none_or(|k| n < k) {
            *kept = Some(n.to_string());
        }
    }
}

/// From typed rows to the rows of the app's schema and the attribution gaps, in three steps:
/// [`Mapper::new`] with every table but billing, [`Mapper::usage`] with each billing row in
/// key order (one pass; what it keeps grows with the imported database's rows, not with the
/// billing rows), then [`Mapper::tables`]. Where a group has several values the smallest is
/// kept, as `sql/extract/` does, so the same rows in any order give the same tables.
pub struct Mapper<'a> {
    data: &'a Loaded,
    runs: BTreeMap<(String, String), Run>,
    /// Task runs by each compute they ran on, in key order.
    tasks_on: HashMap<&'a str, Vec<&'a TaskRun>, FastHash>,
    gaps: AttributionGaps,
    // What billing rows give, keyed by their strings' numbers in the `Dict` (the strings are
    // looked up once, in `tables`): every one is a sum in row order, or order-free (smallest,
    // largest, union), so the same rows give the same figures.
    usage: HashMap<(&'static str, u32, u32, u32), Agg, FastHash>,
    /// Per (job, run) billed: first start, last end, smallest workspace, clusters.
    billed_runs: HashMap<(u32, u32), BilledRun, FastHash>,
    non_job: HashMap<u32, &'static str, FastHash>,
    usage_workspaces: HashSet<u32, FastHash>,
    billed_names: HashMap<u32, String, FastHash>,
    usage_workspace_of: HashMap<u32, String, FastHash>,
    by_job: BTreeMap<String, f64>,
    /// The first and last billing row start.
    pub usage_span: Option<(i64, i64)>,
}

impl<'a> Mapper<'a> {
    pub fn new(data: &'a Loaded) -> Mapper<'a> {
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
        let mut tasks_on: HashMap<&str, Vec<&TaskRun>, FastHash> = HashMap::default();
        for t in &data.tasks {
            if let Some(run) = runs.get_mut(&(t.job_id.clone(), t.job_run_id.clone())) {
                run.clusters.extend(t.compute_ids.iter().cloned());
            }
            let ids: BTreeSet<&str> = t.compute_ids.iter().map(String::as_str).collect();
            for id in ids {
                tasks_on.entry(id).or_default().push(t);
            }
        }
        Mapper {
            data,
            runs,
            tasks_on,
            gaps: AttributionGaps::default(),
            usage: HashMap::default(),
            billed_runs: HashMap::default(),
            non_job: HashMap::default(),
            usage_workspaces: HashSet::default(),
            billed_names: HashMap::default(),
            usage_workspace_of: HashMap::default(),
            by_job: BTreeMap::new(),
            usage_span: None,
        }
    }

    /// One billing row (priced), in key order.
    pub fn usage(&mut self, u: &Usage<'_>) {
        self.usage_span = Some(match self.usage_span {
            None => (u.start, u.start),
            Some((first, last)) => (first.min(u.start), last.max(u.start)),
        });
        let ids = u.ids;
        // Runs as billing shows them (merged with the timeline's in `tables`).
        if let (Some(_), Some(_)) = (u.job_id, u.job_run_id) {
            let run = self.billed_runs.entry((ids.job_id, ids.job_run_id)).or_insert_with(|| BilledRun {
                start: u.start,
                end: u.end,
                workspace: u.workspace.to_string(),
                clusters: Vec::new(),
            });
            run.start = run.start.min(u.start);
            run.end = run.end.max(u.end);
            if u.workspace < run.workspace.as_str() {
                run.workspace = u.workspace.to_string();
            }
            if ids.cluster_id != 0 && !run.clusters.contains(&ids.cluster_id) {
                run.clusters.push(ids.cluster_id);
            }
        }
        self.usage_workspaces.insert(ids.workspace);
        if let (Some(_), Some(name)) = (u.job_id, u.job_name) {
            match self.billed_names.get_mut(&ids.job_id) {
                Some(kept) => {
                    if name < kept.as_str() {
                        *kept = name.to_string();
                    }
                }
                None => {
                    self.billed_names.insert(ids.job_id, name.to_string());
                }
            }
        }
        for id in [ids.warehouse_id, ids.cluster_id].into_iter().filter(|id| *id != 0) {
            match self.usage_workspace_of.get_mut(&id) {
                Some(kept) => {
                    if u.workspace < kept.as_str() {
                        *kept = u.workspace.to_string();
                    }
                }
                None => {
                    self.usage_workspace_of.insert(id, u.workspace.to_string());
                }
            }
        }

        // Usage: priced at its start time, aggregated per (parent, sku, day), corrections summed.
        let gaps = &mut self.gaps;
        let cost = u.price.map(|p| u.quantity * p);
        match cost {
            Some(c) => gaps.total_cost += c,
            None => gaps.unpriced_dbus += u.quantity,
        }
        if u.untagged {
            gaps.untagged_cost += cost.unwrap_or(0.0);
        }
        let parent = match (u.job_id, u.job_run_id, u.warehouse_id, u.cluster_id) {
            (Some(_), Some(_), _, _) => Some(("JOB_RUN", ids.job_run_id)),
            (None, _, Some(_), _) => Some(("SQL_WAREHOUSE", ids.warehouse_id)),
            (None, _, None, Some(_)) => Some(("APC_CLUSTER", ids.cluster_id)),
            _ => None,
        };
        let Some((kind, id)) = parent else {
            gaps.other_products_cost += cost.unwrap_or(0.0);
            return;
        };
        if kind != "JOB_RUN" {
            // An id billed both ways is a warehouse (the larger kind, as the SQL has it).
            let entry = self.non_job.entry(id).or_insert(kind);
            *entry = (*entry).max(kind);
            gaps.unattributed_cost += cost.unwrap_or(0.0);
            if let Some(c) = cost {
                self.attribute(u, c);
            }
        }
        let agg = self.usage.entry((kind, id, ids.sku, ids.date)).or_default();
        agg.dbus += u.quantity;
        agg.cost += cost.unwrap_or(0.0);
        agg.priced |= cost.is_some();
        smallest_str(&mut agg.cluster, u.cluster_id);
        smallest_str(&mut agg.node_type, u.node_type);
    }

    /// What task runs on the same all-purpose cluster or warehouse could attribute of a
    /// non-job billing row's `cost`.
    fn attribute(&mut self, u: &Usage<'_>, cost: f64) {
        let compute = u.warehouse_id.or(u.cluster_id).expect("non-job usage has a compute id");
        let window = (u.end - u.start).max(1) as f64;
        let tasks: &[&TaskRun] = self.tasks_on.get(compute).map(Vec::as_slice).unwrap_or_default();
        let mut per_job: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
        for t in tasks {
            let (s, e) = (t.start.max(u.start), t.end.min(u.end));
            if s < e {
                per_job.entry(&t.job_id).or_default().push((s, e));
            }
        }
        let jobs: Vec<(&str, i64)> = per_job.into_iter().map(|(job, spans)| (job, union_seconds(spans))).collect();
        let all: i64 = {
            let spans: Vec<(i64, i64)> = tasks.iter().map(|t| (t.start.max(u.start), t.end.min(u.end))).filter(|(s, e)| s < e).collect();
            union_seconds(spans)
        };
        let summed: i64 = jobs.iter().map(|(_, s)| s).sum();
        for (job, seconds) in jobs {
            // Seconds covered by several jobs are shared in proportion.
            let share = if summed > 0 { seconds as f64 / summed as f64 } else { 0.0 };
            *self.by_job.entry(job.to_string()).or_default() += cost * (all as f64 / window) * share;
        }
    }

    /// The tables and gaps, once every billing row was seen (`dict` holds their strings).
    pub fn tables(self, dict: &Dict) -> (Tables, AttributionGaps) {
        let Mapper {
            data,
            mut runs,
            mut gaps,
            usage,
            billed_runs,
            non_job,
            usage_workspaces,
            billed_names,
            usage_workspace_of,
            by_job,
            ..
        } = self;
        let mut out = Tables::default();

        // Runs seen only in billing; billed clusters of every run.
        for ((job, run_id), billed) in billed_runs {
            let (job, run_id) = (dict.must(job), dict.must(run_id));
            let run = runs.entry((job.to_string(), run_id.to_string())).or_insert_with(|| Run {
                workspace: billed.workspace.clone(),
                job_id: job.to_string(),
                run_id: run_id.to_string(),
                start: billed.start,
                end: billed.end,
                status: "RUNNING",
                error: Some("no system.lakeflow.job_run_timeline row: outcome unknown".to_string()),
                clusters: BTreeSet::new(),
                from_timeline: false,
            });
            if !run.from_timeline {
                run.start = run.start.min(billed.start);
                run.end = run.end.max(billed.end);
                if billed.workspace < run.workspace {
                    run.workspace = billed.workspace.clone();
                }
            }
            run.clusters.extend(billed.clusters.iter().map(|c| dict.must(*c).to_string()));
        }
        let billed_names: HashMap<&str, &String> = billed_names.iter().map(|(job, name)| (dict.must(*job), name)).collect();
        let usage_workspace_of: HashMap<&str, &String> = usage_workspace_of.iter().map(|(id, ws)| (dict.must(*id), ws)).collect();
        let mut non_job: BTreeMap<String, &'static str> = non_job.into_iter().map(|(id, kind)| (dict.must(id).to_string(), kind)).collect();
        let usage: BTreeMap<(&'static str, &str, &str, &str), Agg> = usage
            .into_iter()
            .map(|((kind, parent, sku, day), agg)| ((kind, dict.must(parent), dict.must(sku), dict.must(day)), agg))
            .collect();

        // Workspaces and users (a user's workspace: the smallest they ran a statement in).
        let mut workspaces: BTreeSet<String> = usage_workspaces.into_iter().map(|ws| dict.must(ws).to_string()).collect();
        workspaces.extend(data.jobs.iter().map(|j| j.workspace.clone()));
        workspaces.extend(runs.values().map(|r| r.workspace.clone()));
        workspaces.extend(data.clusters.iter().map(|c| c.workspace.clone()));
        workspaces.extend(data.warehouses.iter().map(|w| w.workspace.clone()));
        workspaces.extend(data.queries.iter().map(|q| q.workspace.clone()));
        let first_ws = workspaces.iter().next().cloned().unwrap_or_else(|| "unknown".into());
        out.workspaces = workspaces.into_iter().map(|ws| (ws.clone(), format!("Workspace {ws}"))).collect();
        for q in &data.queries {
            let ws = out.users.entry(q.user.clone()).or_insert_with(|| q.workspace.clone());
            if q.workspace < *ws {
                *ws = q.workspace.clone();
            }
        }

        // Prices: every row, per (SKU, cloud, start).
        out.prices = data
            .prices
            .iter()
            .map(|p| PriceRow { sku: p.sku.clone(), cloud: p.cloud.clone(), start: p.start, end: p.end, usd: p.usd })
            .collect();

        // Jobs: the latest version of each; jobs seen only in runs or billing get a stub named
        // after the smallest billed name.
        let mut jobs: BTreeMap<String, &JobVersion> = BTreeMap::new();
        for j in &data.jobs {
            let keep = jobs.get(&j.job_id).is_none_or(|k| j.change_time >= k.change_time);
            if keep {
                jobs.insert(j.job_id.clone(), j);
            }
        }
        let mut job_ids: BTreeSet<String> = jobs.keys().cloned().collect();
        job_ids.extend(runs.values().map(|r| r.job_id.clone()));
        let mut run_workspace: BTreeMap<&str, &str> = BTreeMap::new();
        for r in runs.values() {
            run_workspace.entry(&r.job_id).or_insert(&r.workspace);
        }
        for job_id in &job_ids {
            let version = jobs.get(job_id);
            let billed_name = billed_names.get(job_id.as_str()).map(|n| n.to_string());
            let name = version.and_then(|v| v.name.clone()).or(billed_name).unwrap_or_else(|| format!("Job {job_id}"));
            let workspace = version
                .map(|v| v.workspace.clone())
                .or_else(|| run_workspace.get(job_id.as_str()).map(|w| w.to_string()))
                .unwrap_or_else(|| first_ws.clone());
            let tags = version.map(|v| serde_json::to_string(&v.tags).expect("serialises"));
            out.jobs.insert(job_id.clone(), JobRow { workspace, name, description: version.and_then(|v| v.description.clone()), tags });
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
            out.runs.push(RunRow {
                run_id: run.run_id.clone(),
                job_id: run.job_id.clone(),
                workspace: run.workspace.clone(),
                start: run.start,
                end: run.end,
                duration_ms: (run.end - run.start) * 1000,
                status: run.status.to_string(),
                error: run.error.clone(),
                driver_type: config.and_then(|c| c.driver_type.clone()),
                worker_type: config.and_then(|c| c.worker_type.clone()),
                pool_id: config.and_then(|c| c.pool_id.clone()),
                min_nodes: config.and_then(|c| c.min_workers),
                max_nodes: config.and_then(|c| c.max_workers),
                fixed_nodes: config.and_then(|c| c.worker_count),
                autoscaling: config.is_some_and(|c| c.worker_count.is_none() && c.max_workers.is_some()),
                spot_ratio: round6(spot),
                spot_source: source.to_string(),
            });
        }

        for w in &data.warehouses {
            non_job.insert(w.warehouse_id.clone(), "SQL_WAREHOUSE");
        }
        for q in &data.queries {
            if let Some(w) = &q.warehouse_id {
                non_job.entry(w.clone()).or_insert("SQL_WAREHOUSE");
            }
        }
        // A compute's workspace: the smallest of its warehouse versions, else of its cluster
        // versions, else of its usage rows, else the smallest workspace.
        let mut workspace_of: [BTreeMap<&str, Option<String>>; 2] = [BTreeMap::new(), BTreeMap::new()];
        for w in &data.warehouses {
            smallest(workspace_of[0].entry(w.warehouse_id.as_str()).or_default(), &Some(w.workspace.clone()));
        }
        for c in &data.clusters {
            smallest(workspace_of[1].entry(c.cluster_id.as_str()).or_default(), &Some(c.workspace.clone()));
        }
        for (id, kind) in &non_job {
            let name = match *kind {
                "SQL_WAREHOUSE" => {
                    data.warehouses.iter().filter(|w| &w.warehouse_id == id).max_by_key(|w| w.change_time).and_then(|w| w.name.clone())
                }
                _ => data.clusters.iter().filter(|c| &c.cluster_id == id).max_by_key(|c| c.change_time).and_then(|c| c.name.clone()),
            };
            let workspace = workspace_of
                .iter()
                .find_map(|m| m.get(id.as_str()).cloned().flatten())
                .or_else(|| usage_workspace_of.get(id.as_str()).map(|w| w.to_string()))
                .unwrap_or_else(|| first_ws.clone());
            out.compute.insert(id.clone(), ComputeRow { name: name.unwrap_or_else(|| id.clone()), kind: kind.to_string(), workspace });
        }
        for ((kind, parent, sku, day), agg) in usage {
            out.usage.push(UsageRow {
                id: format!("BU-{kind}-{parent}-{sku}-{day}"),
                parent_id: parent.to_string(),
                parent_type: kind.to_string(),
                sku: sku.to_string(),
                dbus: round6(agg.dbus),
                cluster_id: agg.cluster,
                node_type: agg.node_type,
                cost: agg.priced.then_some(round6(agg.cost)),
                date: day.to_string(),
            });
        }

        // Evictions: spot instances of a run's cluster that terminated before the run ended,
        // numbered in (job, run, time, instance, cluster) order.
        for run in runs.values() {
            for e in compute.terminations(&run.clusters) {
                if e.time <= run.start || e.time >= run.end - 60 {
                    continue;
                }
                let seq = out.evictions.len() + 1;
                let retried = runs.values().any(|r| r.job_id == run.job_id && r.start > run.start && r.start - run.end < 6 * 3600);
                out.evictions.push(EvictionRow {
                    id: format!("EVICT-{}-{}-{seq}", run.run_id, e.instance_id),
                    run_id: run.run_id.clone(),
                    instance_id: e.instance_id.clone(),
                    time: e.time,
                    retried,
                });
            }
        }

        // Queries on warehouses.
        for q in &data.queries {
            let Some(w) = &q.warehouse_id else { continue };
            out.queries.insert(
                q.statement_id.clone(),
                QueryRow {
                    warehouse_id: w.clone(),
                    user: q.user.clone(),
                    workspace: q.workspace.clone(),
                    start: q.start,
                    duration_ms: q.duration_ms,
                    text: q.text.clone(),
                    error: q.error.clone(),
                },
            );
        }

        gaps.attributable_by_tasks = by_job.into_iter().map(|(job_id, cost)| JobAttribution { job_id, cost: round6(cost) }).collect();
        gaps.total_cost = round6(gaps.total_cost);
        gaps.unattributed_cost = round6(gaps.unattributed_cost);
        gaps.untagged_cost = round6(gaps.untagged_cost);
        gaps.other_products_cost = round6(gaps.other_products_cost);
        gaps.unpriced_dbus = round6(gaps.unpriced_dbus);
        gaps.evictions = out.evictions.len();
        finish_gaps(&mut gaps);
        (out, gaps)
    }
}

/// The figures derived from the others: the attributable total and the shares of spend.
pub fn finish_gaps(gaps: &mut AttributionGaps) {
    gaps.attributable_by_tasks_cost = round6(gaps.attributable_by_tasks.iter().map(|j| j.cost).sum());
    let total = gaps.total_cost;
    let pct = |part: f64| if total.abs() > 0.0 { (part / total * 10000.0).round() / 100.0 } else { 0.0 };
    gaps.unattributed_share_pct = pct(gaps.unattributed_cost);
    gaps.untagged_share_pct = pct(gaps.untagged_cost);
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
        // In time order, so that where an instance has several events the latest labels it.
        for list in events.values_mut() {
            list.sort_by(|a, b| (a.time, &a.state, a.spot, &a.instance_id).cmp(&(b.time, &b.state, b.spot, &b.instance_id)));
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

    /// Spot instances of `clusters` that terminated, each once, in (time, instance, cluster)
    /// order.
    fn terminations(&self, clusters: &BTreeSet<String>) -> Vec<&'a InstanceEvent> {
        let mut found: BTreeMap<usize, &InstanceEvent> = BTreeMap::new();
        for c in clusters {
            for (i, e) in self.spot_terminations.get(c.as_str()).into_iter().flatten() {
                found.insert(*i, e);
            }
        }
        let mut out: Vec<&InstanceEvent> = found.into_values().collect();
        out.sort_by(|a, b| (a.time, &a.instance_id, &a.cluster_id).cmp(&(b.time, &b.instance_id, &b.cluster_id)));
        out
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
