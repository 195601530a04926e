//! Typed rows of each recognised system table, read from a file's rows (`source::Row`). A
//! row whose required field cannot be parsed, whose numbers are not finite or that ends
//! before it starts is reported as malformed (file line, column) and skipped. Typed rows
//! are written to the staging database (`stage`) as they are read, never kept in memory:
//! billing rows compactly (their strings interned in a [`Dict`]), the others serialized.
//!
//! [`Staging::finish`] then makes the import idempotent and independent of row order:
//! rows that are the same record (same key) are kept once — the latest copy where the table
//! says which is latest, else the smallest by content, else the first file and line — and
//! every table is put in key order. Billing rows are read back the same way, one key at a
//! time, by [`Staging::usage`]: each is priced (a cost that is not a finite number makes the
//! row malformed) and handed on, so memory holds the tables other than billing and what
//! billing aggregates to, never the billing rows.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::error::{required, RowError};
use super::source::{Columns, FastHash, Malformed, Row};
use super::stage::{Key, StagingStore, Store};
use super::ImportError;
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

/// A billing row as the import reads it back: its strings borrowed from the [`Dict`].
#[derive(Clone, Debug)]
pub struct Usage<'a> {
    /// `ingestion_date` (Unix seconds): among copies of a record, the latest is kept.
    pub ingested: Option<i64>,
    pub workspace: &'a str,
    pub sku: &'a str,
    pub cloud: Option<&'a str>,
    pub start: i64,
    pub end: i64,
    pub date: &'a str,
    pub quantity: f64,
    pub job_id: Option<&'a str>,
    pub job_run_id: Option<&'a str>,
    pub job_name: Option<&'a str>,
    pub cluster_id: Option<&'a str>,
    pub warehouse_id: Option<&'a str>,
    pub node_type: Option<&'a str>,
    pub untagged: bool,
    /// The list price at `start`, set by [`Staging::usage`].
    pub price: Option<f64>,
    /// The numbers of its strings in the [`Dict`] (0 for none), for grouping without
    /// comparing strings.
    pub ids: UsageIds,
}

/// The [`Dict`] numbers of a billing row's strings (0 for none).
#[derive(Clone, Copy, Debug, Default)]
pub struct UsageIds {
    pub workspace: u32,
    pub sku: u32,
    pub date: u32,
    pub job_id: u32,
    pub job_run_id: u32,
    pub cluster_id: u32,
    pub warehouse_id: u32,
}

impl Usage<'_> {
    /// The row's content, in the order copies of one record are compared (the record id,
    /// which copies share, left out).
    fn content(&self) -> impl Ord + '_ {
        (
            (self.workspace, self.sku, self.cloud, self.start, self.end, self.date, Num(self.quantity)),
            (self.job_id, self.job_run_id, self.job_name, self.cluster_id, self.warehouse_id, self.node_type, self.untagged),
            self.ingested,
        )
    }

    /// Copies of one billing record share `record_id`: its key. Rows without one are the same
    /// record only when they are identical: their key is their content (and all of them come
    /// after the rows with an id).
    fn key(&self, record_id: Option<&str>) -> Key {
        let mut k = Key::default();
        match record_id {
            Some(id) => {
                k.tag(0).str(id);
            }
            None => {
                k.tag(1).str(self.workspace).str(self.sku).opt_str(self.cloud).int(self.start).int(self.end).str(self.date);
                k.num(self.quantity).opt_str(self.job_id).opt_str(self.job_run_id).opt_str(self.job_name);
                k.opt_str(self.cluster_id).opt_str(self.warehouse_id).opt_str(self.node_type).flag(self.untagged);
                k.opt_int(self.ingested);
            }
        }
        k
    }

    /// The copy kept first: the latest ingestion (missing = oldest), then the smallest.
    fn prefer(&self, other: &Usage<'_>) -> Ordering {
        other
            .ingested
            .is_some()
            .cmp(&self.ingested.is_some())
            .then(other.ingested.cmp(&self.ingested))
            .then_with(|| self.content().cmp(&other.content()))
    }
}

/// Strings of billing rows, each kept once (workspaces, SKUs, dates, job, run and cluster
/// ids): a staged billing row holds their numbers. Grows with the distinct values, which
/// is what the imported database holds anyway, not with the rows.
#[derive(Debug, Default)]
pub struct Dict {
    ids: HashMap<Box<str>, u32, FastHash>,
    strings: Vec<Box<str>>,
}

impl Dict {
    /// 0 for none, else the string's number + 1.
    fn id(&mut self, s: Option<&str>) -> u32 {
        let Some(s) = s else { return 0 };
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        self.strings.push(s.into());
        let id = self.strings.len() as u32;
        self.ids.insert(s.into(), id);
        id
    }

    pub fn get(&self, id: u32) -> Option<&str> {
        (id > 0).then(|| &*self.strings[id as usize - 1])
    }

    pub fn must(&self, id: u32) -> &str {
        self.get(id).unwrap_or_default()
    }
}

/// A staged billing row: numbers of strings in the [`Dict`].
#[derive(Serialize, Deserialize)]
struct UsageRecord {
    ingested: Option<i64>,
    workspace: u32,
    sku: u32,
    cloud: u32,
    start: i64,
    end: i64,
    date: u32,
    quantity: f64,
    job_id: u32,
    job_run_id: u32,
    job_name: u32,
    cluster_id: u32,
    warehouse_id: u32,
    node_type: u32,
    untagged: bool,
}

impl UsageRecord {
    fn of(u: &Usage<'_>, dict: &mut Dict) -> UsageRecord {
        UsageRecord {
            ingested: u.ingested,
            workspace: dict.id(Some(u.workspace)),
            sku: dict.id(Some(u.sku)),
            cloud: dict.id(u.cloud),
            start: u.start,
            end: u.end,
            date: dict.id(Some(u.date)),
            quantity: u.quantity,
            job_id: dict.id(u.job_id),
            job_run_id: dict.id(u.job_run_id),
            job_name: dict.id(u.job_name),
            cluster_id: dict.id(u.cluster_id),
            warehouse_id: dict.id(u.warehouse_id),
            node_type: dict.id(u.node_type),
            untagged: u.untagged,
        }
    }

    fn usage<'d>(&self, dict: &'d Dict) -> Usage<'d> {
        Usage {
            ingested: self.ingested,
            workspace: dict.must(self.workspace),
            sku: dict.must(self.sku),
            cloud: dict.get(self.cloud),
            start: self.start,
            end: self.end,
            date: dict.must(self.date),
            quantity: self.quantity,
            job_id: dict.get(self.job_id),
            job_run_id: dict.get(self.job_run_id),
            job_name: dict.get(self.job_name),
            cluster_id: dict.get(self.cluster_id),
            warehouse_id: dict.get(self.warehouse_id),
            node_type: dict.get(self.node_type),
            untagged: self.untagged,
            price: None,
            ids: UsageIds {
                workspace: self.workspace,
                sku: self.sku,
                date: self.date,
                job_id: self.job_id,
                job_run_id: self.job_run_id,
                cluster_id: self.cluster_id,
                warehouse_id: self.warehouse_id,
            },
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Price {
    pub sku: String,
    pub cloud: Option<String>,
    pub start: i64,
    pub end: Option<i64>,
    pub usd: f64,
}

impl Price {
    fn key(&self) -> Key {
        Key::default().str(&self.sku).opt_str(self.cloud.as_deref()).int(self.start).clone()
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.sku, &self.cloud, self.start, self.end, Num(self.usd))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobVersion {
    pub workspace: String,
    pub job_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub change_time: i64,
}

impl JobVersion {
    fn key(&self) -> Key {
        Key::default().str(&self.job_id).int(self.change_time).clone()
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.job_id, self.change_time, &self.workspace, &self.name, &self.description, &self.tags)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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
    fn key(&self) -> Key {
        Key::default().str(&self.job_id).str(&self.run_id).int(self.start).clone()
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.job_id, &self.run_id, self.start, self.end, &self.workspace, &self.result_state, &self.termination_code, &self.compute_ids)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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
    fn key(&self) -> Key {
        Key::default().str(&self.job_id).str(&self.job_run_id).opt_str(self.task.as_deref()).int(self.start).clone()
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.job_id, &self.job_run_id, &self.task, self.start, self.end, &self.compute_ids)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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
    fn key(&self) -> Key {
        Key::default().str(&self.cluster_id).int(self.change_time).clone()
    }

    fn content(&self) -> impl Ord + '_ {
        (
            (&self.cluster_id, self.change_time, &self.workspace, &self.name, &self.source, &self.driver_type, &self.worker_type),
            (self.worker_count, self.min_workers, self.max_workers, self.first_on_demand, &self.availability, &self.pool_id),
        )
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeMinute {
    pub cluster_id: String,
    pub instance_id: String,
    pub start: i64,
    pub end: i64,
}

impl NodeMinute {
    fn key(&self) -> Key {
        Key::default().str(&self.instance_id).int(self.start).clone()
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.instance_id, self.start, self.end, &self.cluster_id)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InstanceEvent {
    pub instance_id: String,
    pub cluster_id: Option<String>,
    pub spot: bool,
    pub state: String,
    pub time: i64,
}

impl InstanceEvent {
    fn key(&self) -> Key {
        Key::default().str(&self.instance_id).int(self.time).str(&self.state).clone()
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.instance_id, self.time, &self.state, &self.cluster_id, self.spot)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Warehouse {
    pub workspace: String,
    pub warehouse_id: String,
    pub name: Option<String>,
    pub change_time: i64,
}

impl Warehouse {
    fn key(&self) -> Key {
        Key::default().str(&self.warehouse_id).int(self.change_time).clone()
    }

    fn content(&self) -> impl Ord + '_ {
        (&self.warehouse_id, self.change_time, &self.workspace, &self.name)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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

    fn key(&self) -> Key {
        Key::default().str(&self.statement_id).clone()
    }
}

/// Every typed row of the import but the billing rows, from all files, deduplicated and in
/// key order.
#[derive(Default)]
pub struct Loaded {
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

/// Rows as they are read, staged with their origin (file id and line).
pub struct Staging {
    store: Store,
    dict: Dict,
    scratch: Vec<u8>,
}

/// What [`Staging::finish`] and [`Staging::usage`] found beyond the rows: per file index,
/// the rows dropped as duplicates and the rows found malformed only once all files were
/// read (costs).
#[derive(Default)]
pub struct Finished {
    pub duplicates: BTreeMap<usize, usize>,
    pub malformed: BTreeMap<usize, Vec<Malformed>>,
}

/// The staged kind of each table's rows.
fn kind(table: SystemTable) -> u8 {
    SystemTable::ALL.iter().position(|t| *t == table).expect("a table") as u8
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

/// The index of group member kept: the first by `prefer`, then by origin.
fn preferred<T>(rows: &[(Origin, T)], prefer: &impl Fn(&T, &T) -> Ordering) -> usize {
    let mut best = 0;
    for i in 1..rows.len() {
        let (o, r) = &rows[i];
        let (bo, b) = &rows[best];
        if prefer(r, b).then_with(|| o.cmp(bo)) == Ordering::Less {
            best = i;
        }
    }
    best
}

/// Keeps one row per key of the staged rows of `table`: the first by `prefer`, then by
/// origin (`rank` gives each file id its place among the files). Returns the kept rows in
/// key order; counts the dropped ones per file index in `finished`.
fn dedup<T: serde::de::DeserializeOwned>(
    store: &Store,
    table: SystemTable,
    rank: &[usize],
    prefer: impl Fn(&T, &T) -> Ordering,
    finished: &mut Finished,
    tick: &mut dyn FnMut() -> Result<(), ImportError>,
) -> Result<Vec<T>, ImportError> {
    let mut kept = Vec::new();
    let mut rows: Vec<(Origin, T)> = Vec::new();
    store.groups::<ImportError>(kind(table), |group| {
        tick()?;
        rows.clear();
        for s in group.drain(..) {
            let row: T = postcard::from_bytes(&s.row).expect("staged rows decode");
            rows.push((Origin { file: rank[s.file], line: s.line }, row));
        }
        let best = preferred(&rows, &prefer);
        for (i, (origin, _)) in rows.iter().enumerate() {
            if i != best {
                *finished.duplicates.entry(origin.file).or_default() += 1;
            }
        }
        kept.push(rows.swap_remove(best).1);
        Ok(())
    })?;
    Ok(kept)
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
    pub fn new(store: &StagingStore) -> rusqlite::Result<Staging> {
        Ok(Staging { store: Store::open(store)?, dict: Dict::default(), scratch: Vec::new() })
    }

    /// Stages one row of `file` (its id; recognised as `table`) read at `line`: `Ok(Ok(()))`,
    /// or the problem that makes it malformed, or a failure of the staging database.
    pub fn add(
        &mut self,
        index: usize,
        table: SystemTable,
        file: &Columns,
        line: usize,
        row: &Row,
    ) -> Result<Result<(), RowError>, rusqlite::Error> {
        let dict = &mut self.dict;
        let ws = || file.text(row, "workspace_id").unwrap_or_else(|| "unknown".to_string());
        let outcome: Result<(Key, Vec<u8>), RowError> = (|| {
            Ok(match table {
                SystemTable::BillingUsage => {
                    let start = required(file.instant(row, "usage_start_time")?, "usage_start_time")?;
                    let end = required(file.instant(row, "usage_end_time")?, "usage_end_time")?;
                    ordered(start, "usage_start_time", end, "usage_end_time")?;
                    let date = match file.text(row, "usage_date") {
                        Some(d) if crate::base::calendar::Date::parse(&d).is_some() => d[..10].to_string(),
                        _ => date_of(start),
                    };
                    let record_id = file.text(row, "record_id");
                    let ingested = file.instant(row, "ingestion_date")?;
                    let workspace = ws();
                    let sku = required(file.text(row, "sku_name"), "sku_name")?;
                    let cloud = file.text(row, "cloud");
                    let quantity = required(file.number(row, "usage_quantity")?, "usage_quantity")?;
                    let meta = |path: &str| file.text(row, path);
                    let (job_id, job_run_id, job_name) =
                        (meta("usage_metadata.job_id"), meta("usage_metadata.job_run_id"), meta("usage_metadata.job_name"));
                    let (cluster_id, warehouse_id, node_type) =
                        (meta("usage_metadata.cluster_id"), meta("usage_metadata.warehouse_id"), meta("usage_metadata.node_type"));
                    let usage = Usage {
                        ingested,
                        workspace: &workspace,
                        sku: &sku,
                        cloud: cloud.as_deref(),
                        start,
                        end,
                        date: &date,
                        quantity,
                        job_id: job_id.as_deref(),
                        job_run_id: job_run_id.as_deref(),
                        job_name: job_name.as_deref(),
                        cluster_id: cluster_id.as_deref(),
                        warehouse_id: warehouse_id.as_deref(),
                        node_type: node_type.as_deref(),
                        untagged: file.tags(row, "custom_tags").is_empty(),
                        price: None,
                        ids: UsageIds::default(),
                    };
                    let record = UsageRecord::of(&usage, dict);
                    (usage.key(record_id.as_deref()), postcard::to_allocvec(&record).expect("serialises"))
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
                    let price =
                        Price { sku: required(file.text(row, "sku_name"), "sku_name")?, cloud: file.text(row, "cloud"), start, end, usd };
                    (price.key(), postcard::to_allocvec(&price).expect("serialises"))
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
                    (job.key(), postcard::to_allocvec(&job).expect("serialises"))
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
                    (slice.key(), postcard::to_allocvec(&slice).expect("serialises"))
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
                    (task.key(), postcard::to_allocvec(&task).expect("serialises"))
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
                    (cluster.key(), postcard::to_allocvec(&cluster).expect("serialises"))
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
                    (node.key(), postcard::to_allocvec(&node).expect("serialises"))
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
                    (event.key(), postcard::to_allocvec(&event).expect("serialises"))
                }
                SystemTable::Warehouses => {
                    let warehouse = Warehouse {
                        workspace: ws(),
                        warehouse_id: required(file.text(row, "warehouse_id"), "warehouse_id")?,
                        name: file.text(row, "warehouse_name"),
                        change_time: required(file.instant(row, "change_time")?, "change_time")?,
                    };
                    (warehouse.key(), postcard::to_allocvec(&warehouse).expect("serialises"))
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
                    (query.key(), postcard::to_allocvec(&query).expect("serialises"))
                }
            })
        })();
        match outcome {
            Ok((key, bytes)) => {
                self.scratch = bytes;
                self.store.add(kind(table), &key, &self.scratch, index, line)?;
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(e)),
        }
    }

    /// Forgets every row of file `index` (found unreadable after some of its rows).
    pub fn forget_file(&mut self, index: usize) -> rusqlite::Result<()> {
        self.store.forget_file(index)
    }

    /// The strings of billing rows.
    pub fn dict(&self) -> &Dict {
        &self.dict
    }

    /// Staged billing rows (before duplicates are dropped).
    pub fn usage_rows(&self) -> rusqlite::Result<u64> {
        self.store.count(kind(SystemTable::BillingUsage))
    }

    /// Ends the staging, drops duplicates and orders every table but billing by key. `rank`
    /// gives each file id its index among the files (files in name order); `tick` is called
    /// once per key (and may stop the import).
    pub fn finish(&mut self, rank: &[usize], tick: &mut dyn FnMut() -> Result<(), ImportError>) -> Result<(Loaded, Finished), ImportError> {
        self.store.seal()?;
        let mut finished = Finished::default();
        let s = &self.store;
        let f = &mut finished;
        let loaded = Loaded {
            prices: dedup(s, SystemTable::ListPrices, rank, |a: &Price, b| a.content().cmp(&b.content()), f, tick)?,
            jobs: dedup(s, SystemTable::Jobs, rank, |a: &JobVersion, b| a.content().cmp(&b.content()), f, tick)?,
            runs: dedup(s, SystemTable::JobRunTimeline, rank, |a: &RunSlice, b| a.content().cmp(&b.content()), f, tick)?,
            tasks: dedup(s, SystemTable::JobTaskRunTimeline, rank, |a: &TaskRun, b| a.content().cmp(&b.content()), f, tick)?,
            clusters: dedup(s, SystemTable::Clusters, rank, |a: &ClusterVersion, b| a.content().cmp(&b.content()), f, tick)?,
            nodes: dedup(s, SystemTable::NodeTimeline, rank, |a: &NodeMinute, b| a.content().cmp(&b.content()), f, tick)?,
            instance_events: dedup(s, SystemTable::InstanceEvents, rank, |a: &InstanceEvent, b| a.content().cmp(&b.content()), f, tick)?,
            warehouses: dedup(s, SystemTable::Warehouses, rank, |a: &Warehouse, b| a.content().cmp(&b.content()), f, tick)?,
            queries: dedup(s, SystemTable::QueryHistory, rank, Query::prefer, f, tick)?,
        };
        Ok((loaded, finished))
    }

    /// The billing rows, deduplicated, in key order, each priced with `prices`: `f` is called
    /// with every row kept (a row whose cost is not a finite number is malformed instead).
    pub fn usage(
        &self,
        rank: &[usize],
        prices: &PriceIndex<'_>,
        finished: &mut Finished,
        tick: &mut dyn FnMut() -> Result<(), ImportError>,
        mut f: impl FnMut(&Usage<'_>),
    ) -> Result<(), ImportError> {
        let dict = &self.dict;
        let mut rows: Vec<(Origin, Usage<'_>)> = Vec::new();
        self.store.groups::<ImportError>(kind(SystemTable::BillingUsage), |group| {
            tick()?;
            rows.clear();
            for s in group.drain(..) {
                let record: UsageRecord = postcard::from_bytes(&s.row).expect("staged rows decode");
                rows.push((Origin { file: rank[s.file], line: s.line }, record.usage(dict)));
            }
            let best = preferred(&rows, &|a: &Usage<'_>, b: &Usage<'_>| a.prefer(b));
            for (i, (origin, _)) in rows.iter().enumerate() {
                if i != best {
                    *finished.duplicates.entry(origin.file).or_default() += 1;
                }
            }
            let (origin, mut u) = rows.swap_remove(best);
            u.price = prices.price_at(u.sku, u.cloud, u.start);
            if let Some(price) = u.price {
                if !(u.quantity * price).is_finite() {
                    let error = RowError::CostOverflow {
                        column: "usage_quantity".to_string(),
                        quantity: u.quantity,
                        price,
                        sku: u.sku.to_string(),
                    };
                    finished.malformed.entry(origin.file).or_default().push(Malformed::new(origin.line, &error));
                    return Ok(());
                }
            }
            f(&u);
            Ok(())
        })
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
    fn the_preferred_copy_is_the_first_by_preference_then_origin() {
        let o = |file, line| Origin { file, line };
        let rows = vec![(o(1, 2), ("a", 7)), (o(0, 3), ("a", 5)), (o(0, 9), ("a", 7))];
        // The largest number first, then the first file and line.
        assert_eq!(preferred(&rows, &|x: &(&str, i32), y: &(&str, i32)| y.1.cmp(&x.1)), 2);
        assert_eq!(preferred(&rows, &|x: &(&str, i32), y: &(&str, i32)| x.1.cmp(&y.1)), 1);
    }
}
