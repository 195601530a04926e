//! Typed rows of each recognised system table, read from a `SourceFile`. A row whose
//! required field cannot be parsed, whose numbers are not finite or that ends before it
//! starts is reported as malformed (file line, column) and skipped.
//!
//! [`Staging::finish`] then makes the import idempotent and independent of row order:
//! rows that are the same record (same key) are kept once — the latest copy where the table
//! says which is latest, else the smallest by content, else the first file and line — and
//! every table is put in key order. Each usage row is priced; a cost that is not a finite
//! number makes the row malformed.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::error::{required, RowError};
use super::source::{Malformed, SourceFile};
use crate::base::calendar::Timestamp;
use crate::base::vocab::SystemTable;

/// Where a row came from: the index of its file in the import and its physical line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub file: usize,
    pub line: usize,
}

/// A finite number with a total order (for comparing rows by content).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Num(f64);

impl Eq for Num {}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Num) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Num) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[derive(Clone, Debug)]
pub struct Usage {
    pub record_id: Option<String>,
    /// `ingestion_date` (Unix seconds): among copies of a record, the latest is kept.
    pub ingested: Option<i64>,
    pub workspace: String,
    pub sku: String,
    pub cloud: Option<String>,
    pub start: i64,
    pub end: i64,
    pub date: String,
    pub quantity: f64,
    pub job_id: Option<String>,
    pub job_run_id: Option<String>,
    pub job_name: Option<String>,
    pub cluster_id: Option<String>,
    pub warehouse_id: Option<String>,
    pub node_type: Option<String>,
    pub untagged: bool,
    /// The list price at `start`, set by [`Staging::finish`].
    pub price: Option<f64>,
}

impl Usage {
    fn content(&self) -> impl Ord + '_ {
        (
            (&self.workspace, &self.sku, &self.cloud, self.start, self.end, &self.date, Num(self.quantity)),
            (&self.job_id, &self.job_run_id, &self.job_name, &self.cluster_id, &self.warehouse_id, &self.node_type, self.untagged),
            (&self.record_id, self.ingested),
        )
    }

    /// Copies of one billing record share `record_id`; rows without one are the same record
    /// only when they are identical.
    fn key_cmp(&self, other: &Usage) -> Ordering {
        match (&self.record_id, &other.record_id) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.content().cmp(&other.content()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Price {
    pub sku: String,
    pub cloud: Option<String>,
    pub start: i64,
    pub end: Option<i64>,
    pub usd: f64,
}

impl Price {
    fn key(&self) -> impl Ord + '_ {
        (&self.sku, &self.cloud, self.start)
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.sku, &self.cloud, self.start, self.end, Num(self.usd))
    }
}

#[derive(Clone, Debug)]
pub struct JobVersion {
    pub workspace: String,
    pub job_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub change_time: i64,
}

impl JobVersion {
    fn key(&self) -> impl Ord + '_ {
        (&self.job_id, self.change_time)
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.job_id, self.change_time, &self.workspace, &self.name, &self.description, &self.tags)
    }
}

#[derive(Clone, Debug)]
pub struct RunSlice {
    pub workspace: String,
    pub job_id: String,
    pub run_id: String,
    pub start: i64,
    pub end: i64,
    pub result_state: Option<String>,
    pub termination_code: Option<String>,
    pub compute_ids: Vec<String>,
}

impl RunSlice {
    fn key(&self) -> impl Ord + '_ {
        (&self.job_id, &self.run_id, self.start)
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.job_id, &self.run_id, self.start, self.end, &self.workspace, &self.result_state, &self.termination_code, &self.compute_ids)
    }
}

#[derive(Clone, Debug)]
pub struct TaskRun {
    pub job_id: String,
    pub job_run_id: String,
    /// The task run's own `run_id`, else its `task_key`: with the start, what tells two task
    /// slices of one job run apart.
    pub task: Option<String>,
    pub start: i64,
    pub end: i64,
    pub compute_ids: Vec<String>,
}

impl TaskRun {
    fn key(&self) -> impl Ord + '_ {
        (&self.job_id, &self.job_run_id, &self.task, self.start)
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.job_id, &self.job_run_id, &self.task, self.start, self.end, &self.compute_ids)
    }
}

#[derive(Clone, Debug)]
pub struct ClusterVersion {
    pub workspace: String,
    pub cluster_id: String,
    pub name: Option<String>,
    pub source: Option<String>,
    pub change_time: i64,
    pub driver_type: Option<String>,
    pub worker_type: Option<String>,
    pub worker_count: Option<i64>,
    pub min_workers: Option<i64>,
    pub max_workers: Option<i64>,
    pub first_on_demand: Option<i64>,
    pub availability: Option<String>,
    pub pool_id: Option<String>,
}

impl ClusterVersion {
    fn key(&self) -> impl Ord + '_ {
        (&self.cluster_id, self.change_time)
    }

    fn content(&self) -> impl Ord + '_ {
        (
            (&self.cluster_id, self.change_time, &self.workspace, &self.name, &self.source, &self.driver_type, &self.worker_type),
            (self.worker_count, self.min_workers, self.max_workers, self.first_on_demand, &self.availability, &self.pool_id),
        )
    }
}

#[derive(Clone, Debug)]
pub struct NodeMinute {
    pub cluster_id: String,
    pub instance_id: String,
    pub start: i64,
    pub end: i64,
}

impl NodeMinute {
    fn key(&self) -> impl Ord + '_ {
        (&self.instance_id, self.start)
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.instance_id, self.start, self.end, &self.cluster_id)
    }
}

#[derive(Clone, Debug)]
pub struct InstanceEvent {
    pub instance_id: String,
    pub cluster_id: Option<String>,
    pub spot: bool,
    pub state: String,
    pub time: i64,
}

impl InstanceEvent {
    fn key(&self) -> impl Ord + '_ {
        (&self.instance_id, self.time, &self.state)
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.instance_id, self.time, &self.state, &self.cluster_id, self.spot)
    }
}

#[derive(Clone, Debug)]
pub struct Warehouse {
    pub workspace: String,
    pub warehouse_id: String,
    pub name: Option<String>,
    pub change_time: i64,
}

impl Warehouse {
    fn key(&self) -> impl Ord + '_ {
        (&self.warehouse_id, self.change_time)
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.warehouse_id, self.change_time, &self.workspace, &self.name)
    }
}

#[derive(Clone, Debug)]
pub struct Query {
    pub workspace: String,
    pub statement_id: String,
    pub warehouse_id: Option<String>,
    pub user: String,
    pub start: i64,
    pub duration_ms: Option<i64>,
    pub text: Option<String>,
    pub error: Option<String>,
    /// `update_time` and `end_time`: among copies of a statement the latest is kept.
    pub updated: Option<i64>,
    pub ended: Option<i64>,
}

impl Query {
    /// The copy kept first: latest `update_time`, then latest `end_time` (missing = oldest),
    /// then the smallest by content — as `sql/extract/sql_queries.sql` orders copies.
    fn prefer(&self, other: &Query) -> Ordering {
        let latest = |q: &Query| {
            (
                std::cmp::Reverse(q.updated.is_some()),
                std::cmp::Reverse(q.updated),
                std::cmp::Reverse(q.ended.is_some()),
                std::cmp::Reverse(q.ended),
            )
        };
        latest(self).cmp(&latest(other)).then_with(|| self.content().cmp(&other.content()))
    }

    fn content(&self) -> impl Ord + '_ {
        (self.start, &self.workspace, &self.warehouse_id, &self.user, self.duration_ms, &self.text, &self.error)
    }
}

/// Every typed row of the import, from all files, deduplicated and in key order.
#[derive(Default)]
pub struct Loaded {
    pub usage: Vec<Usage>,
    pub prices: Vec<Price>,
    pub jobs: Vec<JobVersion>,
    pub runs: Vec<RunSlice>,
    pub tasks: Vec<TaskRun>,
    pub clusters: Vec<ClusterVersion>,
    pub nodes: Vec<NodeMinute>,
    pub instance_events: Vec<InstanceEvent>,
    pub warehouses: Vec<Warehouse>,
    pub queries: Vec<Query>,
}

/// Rows as they are read, each with its origin.
#[derive(Default)]
pub struct Staging {
    usage: Vec<(Origin, Usage)>,
    prices: Vec<(Origin, Price)>,
    jobs: Vec<(Origin, JobVersion)>,
    runs: Vec<(Origin, RunSlice)>,
    tasks: Vec<(Origin, TaskRun)>,
    clusters: Vec<(Origin, ClusterVersion)>,
    nodes: Vec<(Origin, NodeMinute)>,
    instance_events: Vec<(Origin, InstanceEvent)>,
    warehouses: Vec<(Origin, Warehouse)>,
    queries: Vec<(Origin, Query)>,
}

/// What [`Staging::finish`] found beyond the rows: per file index, the rows dropped as
/// duplicates and the rows found malformed only once all files were read (costs).
#[derive(Default)]
pub struct Finished {
    pub duplicates: BTreeMap<usize, usize>,
    pub malformed: BTreeMap<usize, Vec<Malformed>>,
}

fn date_of(seconds: i64) -> String {
    Timestamp::from_unix_seconds(seconds).date().to_string()
}

/// `end` must not be before `start`.
fn ordered(start: i64, start_column: &str, end: i64, end_column: &str) -> Result<(), RowError> {
    if end < start {
        let show = |s: i64| Timestamp::from_unix_seconds(s).to_string();
        return Err(RowError::EndsBeforeStart {
            start_column: start_column.to_string(),
            start: show(start),
            column: end_column.to_string(),
            end: show(end),
        });
    }
    Ok(())
}

/// Keeps one row per key (`key` compares keys): the first by `prefer`, then by origin.
/// Returns the kept rows in key order and the origins of the dropped ones.
fn dedup<T>(
    mut rows: Vec<(Origin, T)>,
    key: impl Fn(&T, &T) -> Ordering,
    prefer: impl Fn(&T, &T) -> Ordering,
) -> (Vec<(Origin, T)>, Vec<Origin>) {
    rows.sort_by(|(oa, a), (ob, b)| key(a, b).then_with(|| prefer(a, b)).then_with(|| oa.cmp(ob)));
    let mut kept: Vec<(Origin, T)> = Vec::with_capacity(rows.len());
    let mut dropped = Vec::new();
    for (origin, row) in rows {
        match kept.last() {
            Some((_, last)) if key(last, &row) == Ordering::Equal => dropped.push(origin),
            _ => kept.push((origin, row)),
        }
    }
    (kept, dropped)
}

fn rows_only<T>(rows: Vec<(Origin, T)>) -> Vec<T> {
    rows.into_iter().map(|(_, r)| r).collect()
}

/// List prices by SKU, for pricing usage rows.
pub struct PriceIndex<'a> {
    by_sku: BTreeMap<&'a str, Vec<&'a Price>>,
}

impl<'a> PriceIndex<'a> {
    pub fn new(prices: &'a [Price]) -> PriceIndex<'a> {
        let mut by_sku: BTreeMap<&str, Vec<&Price>> = BTreeMap::new();
        for p in prices {
            by_sku.entry(&p.sku).or_default().push(p);
        }
        PriceIndex { by_sku }
    }

    /// The price of `sku` in `cloud` at `at`: rows valid then (start inclusive, end exclusive)
    /// whose cloud equals the usage's or is unknown on either side; the latest start wins,
    /// then a row of exactly the usage's cloud, then the smallest cloud, then the lowest price
    /// (as `sql/extract/` prices cells).
    pub fn price_at(&self, sku: &str, cloud: Option<&str>, at: i64) -> Option<f64> {
        let rank = |p: &Price| {
            let exact = p.cloud.is_some() && p.cloud.as_deref() == cloud;
            (std::cmp::Reverse(p.start), !exact, p.cloud.clone().unwrap_or_default(), Num(p.usd))
        };
        self.by_sku
            .get(sku)?
            .iter()
            .filter(|p| p.cloud.is_none() || cloud.is_none() || p.cloud.as_deref() == cloud)
            .filter(|p| p.start <= at && p.end.is_none_or(|e| at < e))
            .min_by_key(|p| rank(p))
            .map(|p| p.usd)
    }
}

impl Staging {
    /// Adds the rows of `file` (recognised as `table`, file index `index`); returns (rows,
    /// rows read, malformed).
    pub fn add(&mut self, index: usize, table: SystemTable, file: &SourceFile<'_>) -> (usize, usize, Vec<Malformed>) {
        let mut read = 0;
        let (rows, malformed) = file.for_each_row(|line, row| {
            let origin = Origin { file: index, line };
            let ws = || file.text(row, "workspace_id").unwrap_or_else(|| "unknown".to_string());
            let outcome: Result<(), RowError> = (|| {
                match table {
                    SystemTable::BillingUsage => {
                        let start = required(file.instant(row, "usage_start_time")?, "usage_start_time")?;
                        let end = required(file.instant(row, "usage_end_time")?, "usage_end_time")?;
                        ordered(start, "usage_start_time", end, "usage_end_time")?;
                        let date = match file.text(row, "usage_date") {
                            Some(d) if crate::base::calendar::Date::parse(&d).is_some() => d[..10].to_string(),
                            _ => date_of(start),
                        };
                        let usage = Usage {
                            record_id: file.text(row, "record_id"),
                            ingested: file.instant(row, "ingestion_date")?,
                            workspace: ws(),
                            sku: required(file.text(row, "sku_name"), "sku_name")?,
                            cloud: file.text(row, "cloud"),
                            start,
                            end,
                            date,
                            quantity: required(file.number(row, "usage_quantity")?, "usage_quantity")?,
                            job_id: file.text(row, "usage_metadata.job_id"),
                            job_run_id: file.text(row, "usage_metadata.job_run_id"),
                            job_name: file.text(row, "usage_metadata.job_name"),
                            cluster_id: file.text(row, "usage_metadata.cluster_id"),
                            warehouse_id: file.text(row, "usage_metadata.warehouse_id"),
                            node_type: file.text(row, "usage_metadata.node_type"),
                            untagged: file.tags(row, "custom_tags").is_empty(),
                            price: None,
                        };
                        self.usage.push((origin, usage));
                    }
                    SystemTable::ListPrices => {
                        let usd = match file.number(row, "pricing.effective_list.default")? {
                            Some(p) => p,
                            None => required(file.number(row, "pricing.default")?, "pricing.default")?,
                        };
                        let start = required(file.instant(row, "price_start_time")?, "price_start_time")?;
                        let end = file.instant(row, "price_end_time")?;
                        if let Some(end) = end {
                            ordered(start, "price_start_time", end, "price_end_time")?;
                        }
                        let price = Price {
                            sku: required(file.text(row, "sku_name"), "sku_name")?,
                            cloud: file.text(row, "cloud"),
                            start,
                            end,
                            usd,
                        };
                        self.prices.push((origin, price));
                    }
                    SystemTable::Jobs => {
                        let job = JobVersion {
                            workspace: ws(),
                            job_id: required(file.text(row, "job_id"), "job_id")?,
                            name: file.text(row, "name"),
                            description: file.text(row, "description"),
                            tags: file.tags(row, "tags"),
                            change_time: required(file.instant(row, "change_time")?, "change_time")?,
                        };
                        self.jobs.push((origin, job));
                    }
                    SystemTable::JobRunTimeline => {
                        let start = required(file.instant(row, "period_start_time")?, "period_start_time")?;
                        let end = required(file.instant(row, "period_end_time")?, "period_end_time")?;
                        ordered(start, "period_start_time", end, "period_end_time")?;
                        let slice = RunSlice {
                            workspace: ws(),
                            job_id: required(file.text(row, "job_id"), "job_id")?,
                            run_id: required(file.text(row, "run_id"), "run_id")?,
                            start,
                            end,
                            result_state: file.text(row, "result_state"),
                            termination_code: file.text(row, "termination_code"),
                            compute_ids: file.list(row, "compute_ids"),
                        };
                        self.runs.push((origin, slice));
                    }
                    SystemTable::JobTaskRunTimeline => {
                        let start = required(file.instant(row, "period_start_time")?, "period_start_time")?;
                        let end = required(file.instant(row, "period_end_time")?, "period_end_time")?;
                        ordered(start, "period_start_time", end, "period_end_time")?;
                        let task = TaskRun {
                            job_id: required(file.text(row, "job_id"), "job_id")?,
                            job_run_id: required(file.text(row, "job_run_id"), "job_run_id")?,
                            task: file.text(row, "run_id").or_else(|| file.text(row, "task_key")),
                            start,
                            end,
                            compute_ids: file.list(row, "compute_ids"),
                        };
                        self.tasks.push((origin, task));
                    }
                    SystemTable::Clusters => {
                        let cluster = ClusterVersion {
                            workspace: ws(),
                            cluster_id: required(file.text(row, "cluster_id"), "cluster_id")?,
                            name: file.text(row, "cluster_name"),
                            source: file.text(row, "cluster_source"),
                            change_time: required(file.instant(row, "change_time")?, "change_time")?,
                            driver_type: file.text(row, "driver_node_type"),
                            worker_type: file.text(row, "worker_node_type"),
                            worker_count: file.integer(row, "worker_count")?,
                            min_workers: file.integer(row, "min_autoscale_workers")?,
                            max_workers: file.integer(row, "max_autoscale_workers")?,
                            first_on_demand: file.integer(row, "aws_attributes.first_on_demand")?,
                            availability: file.text(row, "aws_attributes.availability"),
                            pool_id: file.text(row, "worker_instance_pool_id"),
                        };
                        self.clusters.push((origin, cluster));
                    }
                    SystemTable::NodeTimeline => {
                        let start = required(file.instant(row, "start_time")?, "start_time")?;
                        let end = required(file.instant(row, "end_time")?, "end_time")?;
                        ordered(start, "start_time", end, "end_time")?;
                        let node = NodeMinute {
                            cluster_id: required(file.text(row, "cluster_id"), "cluster_id")?,
                            instance_id: required(file.text(row, "instance_id"), "instance_id")?,
                            start,
                            end,
                        };
                        self.nodes.push((origin, node));
                    }
                    SystemTable::InstanceEvents => {
                        let availability = required(file.text(row, "availability_type"), "availability_type")?;
                        let event = InstanceEvent {
                            instance_id: required(file.text(row, "instance_id"), "instance_id")?,
                            cluster_id: file.text(row, "cluster_id"),
                            spot: matches!(availability.to_uppercase().as_str(), "SPOT" | "PREEMPTIBLE"),
                            state: file.text(row, "state").unwrap_or_default(),
                            time: required(file.instant(row, "event_time")?, "event_time")?,
                        };
                        self.instance_events.push((origin, event));
                    }
                    SystemTable::Warehouses => {
                        let warehouse = Warehouse {
                            workspace: ws(),
                            warehouse_id: required(file.text(row, "warehouse_id"), "warehouse_id")?,
                            name: file.text(row, "warehouse_name"),
                            change_time: required(file.instant(row, "change_time")?, "change_time")?,
                        };
                        self.warehouses.push((origin, warehouse));
                    }
                    SystemTable::QueryHistory => {
                        let start = required(file.instant(row, "start_time")?, "start_time")?;
                        let ended = file.instant(row, "end_time")?;
                        if let Some(end) = ended {
                            ordered(start, "start_time", end, "end_time")?;
                        }
                        let duration_ms = match file.integer(row, "total_duration_ms")? {
                            Some(ms) => Some(ms),
                            None => ended.map(|end| (end - start) * 1000),
                        };
                        let status = file.text(row, "execution_status").unwrap_or_default();
                        let error = file
                            .text(row, "error_message")
                            .or_else(|| (status == "FAILED").then(|| "FAILED (no error message in the export)".to_string()));
                        let query = Query {
                            workspace: ws(),
                            statement_id: required(file.text(row, "statement_id"), "statement_id")?,
                            warehouse_id: file.text(row, "compute.warehouse_id"),
                            user: file
                                .text(row, "executed_by")
                                .or_else(|| file.text(row, "executed_by_user_id"))
                                .unwrap_or_else(|| "unknown".to_string()),
                            start,
                            duration_ms,
                            text: file.text(row, "statement_text"),
                            error,
                            updated: file.instant(row, "update_time")?,
                            ended,
                        };
                        self.queries.push((origin, query));
                    }
                }
                Ok(())
            })();
            if outcome.is_ok() {
                read += 1;
            }
            outcome
        });
        (rows, read, malformed)
    }

    /// Drops duplicates, orders every table by key and prices the usage rows.
    pub fn finish(self) -> (Loaded, Finished) {
        let mut finished = Finished::default();
        let mut count = |dropped: Vec<Origin>| {
            for o in dropped {
                *finished.duplicates.entry(o.file).or_default() += 1;
            }
        };
        let by_content = |a: &Usage, b: &Usage| a.content().cmp(&b.content());
        let (usage, dropped) = dedup(self.usage, Usage::key_cmp, |a, b| {
            b.ingested.is_some().cmp(&a.ingested.is_some()).then(b.ingested.cmp(&a.ingested)).then_with(|| by_content(a, b))
        });
        count(dropped);
        let (prices, dropped) = dedup(self.prices, |a, b| a.key().cmp(&b.key()), |a, b| a.content().cmp(&b.content()));
        count(dropped);
        let (jobs, dropped) = dedup(self.jobs, |a, b| a.key().cmp(&b.key()), |a, b| a.content().cmp(&b.content()));
        count(dropped);
        let (runs, dropped) = dedup(self.runs, |a, b| a.key().cmp(&b.key()), |a, b| a.content().cmp(&b.content()));
        count(dropped);
        let (tasks, dropped) = dedup(self.tasks, |a, b| a.key().cmp(&b.key()), |a, b| a.content().cmp(&b.content()));
        count(dropped);
        let (clusters, dropped) = dedup(self.clusters, |a, b| a.key().cmp(&b.key()), |a, b| a.content().cmp(&b.content()));
        count(dropped);
        let (nodes, dropped) = dedup(self.nodes, |a, b| a.key().cmp(&b.key()), |a, b| a.content().cmp(&b.content()));
        count(dropped);
        let (instance_events, dropped) = dedup(self.instance_events, |a, b| a.key().cmp(&b.key()), |a, b| a.content().cmp(&b.content()));
        count(dropped);
        let (warehouses, dropped) = dedup(self.warehouses, |a, b| a.key().cmp(&b.key()), |a, b| a.content().cmp(&b.content()));
        count(dropped);
        let (queries, dropped) = dedup(self.queries, |a, b| a.statement_id.cmp(&b.statement_id), Query::prefer);
        count(dropped);

        let prices = rows_only(prices);
        let index = PriceIndex::new(&prices);
        let mut priced = Vec::with_capacity(usage.len());
        for (origin, mut u) in usage {
            u.price = index.price_at(&u.sku, u.cloud.as_deref(), u.start);
            if let Some(price) = u.price {
                if !(u.quantity * price).is_finite() {
                    let error =
                        RowError::CostOverflow { column: "usage_quantity".to_string(), quantity: u.quantity, price, sku: u.sku.clone() };
                    finished.malformed.entry(origin.file).or_default().push(Malformed::new(origin.line, &error));
                    continue;
                }
            }
            priced.push(u);
        }
        let loaded = Loaded {
            usage: priced,
            prices,
            jobs: rows_only(jobs),
            runs: rows_only(runs),
            tasks: rows_only(tasks),
            clusters: rows_only(clusters),
            nodes: rows_only(nodes),
            instance_events: rows_only(instance_events),
            warehouses: rows_only(warehouses),
            queries: rows_only(queries),
        };
        (loaded, finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(cloud: Option<&str>, start: i64, usd: f64) -> Price {
        Price { sku: "S".into(), cloud: cloud.map(str::to_string), start, end: None, usd }
    }

    #[test]
    fn the_price_at_a_time_prefers_the_latest_start_then_the_exact_cloud() {
        let prices = [price(Some("AWS"), 0, 1.0), price(Some("AZURE"), 0, 2.0), price(None, 0, 3.0), price(Some("AWS"), 10, 4.0)];
        let index = PriceIndex::new(&prices);
        assert_eq!(index.price_at("S", Some("AWS"), 5), Some(1.0));
        assert_eq!(index.price_at("S", Some("AZURE"), 5), Some(2.0));
        assert_eq!(index.price_at("S", Some("GCP"), 5), Some(3.0));
        // No cloud on the usage row: every row matches; the smallest cloud (none) wins.
        assert_eq!(index.price_at("S", None, 5), Some(3.0));
        assert_eq!(index.price_at("S", Some("AWS"), 10), Some(4.0));
        assert_eq!(index.price_at("T", Some("AWS"), 10), None);
    }

    #[test]
    fn duplicates_keep_the_preferred_copy_in_key_order() {
        let o = |file, line| Origin { file, line };
        let rows = vec![(o(0, 2), ("b", 1)), (o(0, 3), ("a", 5)), (o(1, 2), ("a", 7)), (o(1, 3), ("b", 1))];
        let (kept, dropped) = dedup(rows, |x, y| x.0.cmp(y.0), |x, y| y.1.cmp(&x.1));
        assert_eq!(kept, [(o(1, 2), ("a", 7)), (o(0, 2), ("b", 1))]);
        assert_eq!(dropped, [o(0, 3), o(1, 3)]);
    }
}
