//! The pre-aggregated extracts: the twelve CSV files `sql/extract/*.sql` produce next to the
//! system tables (see `sql/extract/README.md` for every column). Each starts with
//! `extract_kind` and is recognised by its header (`source::EXTRACT_SIGNATURES`); its rows
//! are read by column name into the same [`Tables`] the raw import computes, so both give the
//! same database and report.

use std::collections::BTreeMap;

use super::error::{required, RowError};
use super::kind::ExtractKind;
use super::load::Origin;
use super::map::round6;
use super::report::{AttributionGaps, JobAttribution, TableDates};
use super::source::{Columns, Row};
use super::tables::{ComputeRow, EvictionRow, JobRow, PriceRow, QueryRow, RunRow, Tables, UsageRow};
use crate::base::vocab::SystemTable;

/// The scalar figures of `attribution_gaps`.
#[derive(Clone, Debug, PartialEq)]
struct Gaps {
    total_cost: f64,
    unattributed_cost: f64,
    unattributed_share_pct: f64,
    untagged_cost: f64,
    untagged_share_pct: f64,
    unpriced_dbus: f64,
    other_products_cost: f64,
}

/// One row of an extract, typed.
#[derive(Clone, Debug, PartialEq)]
enum Item {
    Usage(UsageRow),
    Run(RunRow),
    Job(String, JobRow),
    Compute(String, ComputeRow),
    Price(PriceRow),
    Eviction(i64, EvictionRow),
    Query(String, QueryRow),
    User(String, String),
    Workspace(String, String),
    Attribution(JobAttribution),
    Gaps(Gaps),
    Coverage(TableDates),
}

impl Item {
    /// What makes two rows the same record (one row per key survives).
    fn key(&self) -> (u8, String) {
        let k = |n: u8, s: &str| (n, s.to_string());
        match self {
            Item::Usage(u) => k(0, &u.id),
            Item::Run(r) => k(1, &r.run_id),
            Item::Job(id, _) => k(2, id),
            Item::Compute(id, _) => k(3, id),
            Item::Price(p) => (4, format!("{}\u{0}{:?}\u{0}{}", p.sku, p.cloud, p.start)),
            Item::Eviction(_, e) => k(5, &e.id),
            Item::Query(id, _) => k(6, id),
            Item::User(id, _) => k(7, id),
            Item::Workspace(id, _) => k(8, id),
            Item::Attribution(a) => k(9, &a.job_id),
            Item::Gaps(_) => k(10, ""),
            Item::Coverage(t) => k(11, t.table.name()),
        }
    }

    /// A total order on content, for choosing among rows with one key (the smallest wins).
    fn content(&self) -> String {
        format!("{self:?}")
    }
}

/// The rows of every extract file, with their origins.
#[derive(Default)]
pub struct Staging {
    items: Vec<(Origin, Item)>,
    kinds: Vec<ExtractKind>,
}

/// An extract set read: the tables to write and the report's figures.
pub struct Finished {
    pub tables: Tables,
    pub gaps: AttributionGaps,
    pub dates: Vec<TableDates>,
    /// Extracts no file holds (their tables stay empty).
    pub missing: Vec<ExtractKind>,
    /// Rows dropped as duplicates, per file index.
    pub duplicates: BTreeMap<usize, usize>,
}

fn one_of(file: &Columns, row: &Row, column: &str, allowed: &[&str]) -> Result<String, RowError> {
    let value = required(file.verbatim(row, column), column)?;
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(RowError::NotOneOf { column: column.to_string(), value, allowed: allowed.join(", ") })
    }
}

fn flag(file: &Columns, row: &Row, column: &str) -> Result<bool, RowError> {
    match file.verbatim(row, column).as_deref() {
        None | Some("0") | Some("false") => Ok(false),
        Some("1") | Some("true") => Ok(true),
        Some(other) => Err(RowError::NotOneOf { column: column.to_string(), value: other.to_string(), allowed: "0, 1".to_string() }),
    }
}

fn date(file: &Columns, row: &Row, column: &str) -> Result<Option<String>, RowError> {
    match file.verbatim(row, column) {
        None => Ok(None),
        Some(d) if d.len() >= 10 && crate::base::calendar::Date::parse(&d[..10]).is_some() => Ok(Some(d[..10].to_string())),
        Some(d) => Err(RowError::NotADate { column: column.to_string(), value: d }),
    }
}

fn number(file: &Columns, row: &Row, column: &str) -> Result<f64, RowError> {
    required(file.number(row, column)?, column)
}

fn read_row(kind: ExtractKind, file: &Columns, row: &Row) -> Result<Item, RowError> {
    let text = |column: &str| file.verbatim(row, column);
    let id = |column: &str| required(file.verbatim(row, column), column);
    let instant = |column: &str| -> Result<i64, RowError> { required(file.instant(row, column)?, column) };
    let found = text("extract_kind").unwrap_or_default();
    if found != kind.name() {
        return Err(RowError::NotOneOf { column: "extract_kind".to_string(), value: found, allowed: kind.name().to_string() });
    }
    Ok(match kind {
        ExtractKind::UsageDaily => Item::Usage(UsageRow {
            id: id("compute_usage_id")?,
            parent_id: id("parent_id")?,
            parent_type: one_of(file, row, "parent_type", &["JOB_RUN", "SQL_WAREHOUSE", "APC_CLUSTER"])?,
            sku: id("compute_sku")?,
            dbus: number(file, row, "dbus_consumed")?,
            cluster_id: text("cluster_id"),
            node_type: text("cluster_instance_type"),
            cost: file.number(row, "total_cost")?,
            date: required(date(file, row, "usage_date")?, "usage_date")?,
        }),
        ExtractKind::JobRuns => {
            let (start, end) = (instant("start_time")?, instant("end_time")?);
            Item::Run(RunRow {
                run_id: id("job_run_id")?,
                job_id: id("job_id")?,
                workspace: text("workspace_id").unwrap_or_else(|| "unknown".to_string()),
                start,
                end,
                duration_ms: file.integer(row, "duration_ms")?.unwrap_or((end - start) * 1000),
                status: one_of(file, row, "run_status", &["SUCCESS", "FAILED", "SKIPPED", "RUNNING"])?,
                error: text("error_summary"),
                driver_type: text("driver_instance_type"),
                worker_type: text("worker_instance_type"),
                pool_id: text("instance_pool_id"),
                min_nodes: file.integer(row, "min_nodes")?,
                max_nodes: file.integer(row, "max_nodes")?,
                fixed_nodes: file.integer(row, "fixed_nodes")?,
                autoscaling: flag(file, row, "is_autoscaling_enabled")?,
                spot_ratio: file.number(row, "spot_ratio")?.unwrap_or(0.0),
                spot_source: one_of(file, row, "spot_source", &["observed", "configured", "unknown"])?,
            })
        }
        ExtractKind::Jobs => Item::Job(
            id("job_id")?,
            JobRow {
                workspace: text("workspace_id").unwrap_or_else(|| "unknown".to_string()),
                name: id("job_name")?,
                description: text("description"),
                tags: text("tags"),
            },
        ),
        ExtractKind::NonJobCompute => {
            let compute_id = id("compute_id")?;
            Item::Compute(
                compute_id.clone(),
                ComputeRow {
                    name: text("compute_name").unwrap_or(compute_id),
                    kind: one_of(file, row, "compute_type", &["SQL_WAREHOUSE", "APC_CLUSTER"])?,
                    workspace: text("workspace_id").unwrap_or_else(|| "unknown".to_string()),
                },
            )
        }
        ExtractKind::SkuPrices => Item::Price(PriceRow {
            sku: id("compute_sku")?,
            cloud: text("cloud"),
            start: instant("price_start_time")?,
            end: file.instant(row, "price_end_time")?,
            usd: number(file, row, "usd_per_dbu")?,
        }),
        ExtractKind::Evictions => {
            let seq = required(file.integer(row, "eviction_seq")?, "eviction_seq")?;
            Item::Eviction(
                seq,
                EvictionRow {
                    id: id("eviction_id")?,
                    run_id: id("job_run_id")?,
                    instance_id: id("cloud_instance_id")?,
                    time: instant("eviction_time")?,
                    retried: flag(file, row, "was_retried")?,
                },
            )
        }
        ExtractKind::SqlQueries => Item::Query(
            id("query_id")?,
            QueryRow {
                warehouse_id: id("parent_id")?,
                user: text("user_id").unwrap_or_else(|| "unknown".to_string()),
                workspace: text("workspace_id").unwrap_or_else(|| "unknown".to_string()),
                start: instant("start_time")?,
                duration_ms: file.integer(row, "duration_ms")?,
                text: text("sql_text"),
                error: text("error_message"),
            },
        ),
        ExtractKind::Users => Item::User(id("user_id")?, id("user_workspace_id")?),
        ExtractKind::Workspaces => {
            let ws = id("workspace_id")?;
            let name = text("workspace_name").unwrap_or_else(|| format!("Workspace {ws}"));
            Item::Workspace(ws, name)
        }
        ExtractKind::TaskAttribution => {
            Item::Attribution(JobAttribution { job_id: id("job_id")?, cost: number(file, row, "attributable_cost")? })
        }
        ExtractKind::AttributionGaps => Item::Gaps(Gaps {
            total_cost: number(file, row, "total_cost")?,
            unattributed_cost: number(file, row, "unattributed_cost")?,
            unattributed_share_pct: number(file, row, "unattributed_share_pct")?,
            untagged_cost: number(file, row, "untagged_cost")?,
            untagged_share_pct: number(file, row, "untagged_share_pct")?,
            unpriced_dbus: number(file, row, "unpriced_dbus")?,
            other_products_cost: number(file, row, "other_products_cost")?,
        }),
        ExtractKind::TableCoverage => {
            let name = id("source_table")?;
            let table = SystemTable::parse(&name).ok_or_else(|| RowError::NotOneOf {
                column: "source_table".to_string(),
                value: name.clone(),
                allowed: SystemTable::ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "),
            })?;
            let rows = required(file.integer(row, "row_count")?, "row_count")?;
            if rows < 0 {
                return Err(RowError::NotANumber { column: "row_count".to_string(), value: rows.to_string() });
            }
            Item::Coverage(TableDates {
                table,
                rows: rows as usize,
                first: date(file, row, "first_date")?,
                last: date(file, row, "last_date")?,
            })
        }
    })
}

impl Staging {
    /// A file (its id) was recognised as `kind`.
    pub fn recognised(&mut self, kind: ExtractKind) {
        self.kinds.push(kind);
    }

    /// Reads one row of file `index` (recognised as `kind`) at `line`.
    pub fn add(&mut self, index: usize, kind: ExtractKind, file: &Columns, line: usize, row: &Row) -> Result<(), RowError> {
        let item = read_row(kind, file, row)?;
        self.items.push((Origin { file: index, line }, item));
        Ok(())
    }

    /// Forgets file `index` (recognised as `kind`, found unreadable after some of its rows).
    pub fn forget_file(&mut self, index: usize, kind: ExtractKind) {
        self.items.retain(|(o, _)| o.file != index);
        if let Some(i) = self.kinds.iter().position(|k| *k == kind) {
            self.kinds.remove(i);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Keeps one row per key (the smallest by content, then the first file and line; `rank`
    /// gives each file id its index among the files) and assembles the tables and the
    /// report's figures.
    pub fn finish(mut self, rank: &[usize]) -> Finished {
        for (origin, _) in &mut self.items {
            origin.file = rank[origin.file];
        }
        self.items.sort_by(|(oa, a), (ob, b)| a.key().cmp(&b.key()).then_with(|| a.content().cmp(&b.content())).then_with(|| oa.cmp(ob)));
        let mut duplicates: BTreeMap<usize, usize> = BTreeMap::new();
        let mut kept: Vec<Item> = Vec::new();
        let mut last_key = None;
        for (origin, item) in self.items {
            let key = item.key();
            if last_key.as_ref() == Some(&key) {
                *duplicates.entry(origin.file).or_default() += 1;
                continue;
            }
            last_key = Some(key);
            kept.push(item);
        }

        let mut tables = Tables::default();
        let mut gaps = AttributionGaps::default();
        let mut dates = Vec::new();
        let mut evictions: Vec<(i64, EvictionRow)> = Vec::new();
        for item in kept {
            match item {
                Item::Usage(u) => tables.usage.push(u),
                Item::Run(r) => tables.runs.push(r),
                Item::Job(id, j) => {
                    tables.jobs.insert(id, j);
                }
                Item::Compute(id, c) => {
                    tables.compute.insert(id, c);
                }
                Item::Price(p) => tables.prices.push(p),
                Item::Eviction(seq, e) => evictions.push((seq, e)),
                Item::Query(id, q) => {
                    tables.queries.insert(id, q);
                }
                Item::User(id, ws) => {
                    tables.users.insert(id, ws);
                }
                Item::Workspace(id, name) => {
                    tables.workspaces.insert(id, name);
                }
                Item::Attribution(a) => gaps.attributable_by_tasks.push(a),
                Item::Gaps(g) => {
                    gaps.total_cost = g.total_cost;
                    gaps.unattributed_cost = g.unattributed_cost;
                    gaps.unattributed_share_pct = g.unattributed_share_pct;
                    gaps.untagged_cost = g.untagged_cost;
                    gaps.untagged_share_pct = g.untagged_share_pct;
                    gaps.unpriced_dbus = g.unpriced_dbus;
                    gaps.other_products_cost = g.other_products_cost;
                }
                Item::Coverage(t) => {
                    if t.rows > 0 {
                        dates.push(t);
                    }
                }
            }
        }
        tables.runs.sort_by(|a, b| (&a.job_id, &a.run_id).cmp(&(&b.job_id, &b.run_id)));
        evictions.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
        tables.evictions = evictions.into_iter().map(|(_, e)| e).collect();
        tables.complete();
        gaps.attributable_by_tasks.sort_by(|a, b| a.job_id.cmp(&b.job_id));
        gaps.attributable_by_tasks_cost = round6(gaps.attributable_by_tasks.iter().map(|j| j.cost).sum());
        gaps.evictions = tables.evictions.len();
        dates.sort_by_key(|t| SystemTable::ALL.iter().position(|a| *a == t.table));
        let missing = ExtractKind::ALL.into_iter().filter(|k| !self.kinds.contains(k)).collect();
        Finished { tables, gaps, dates, missing, duplicates }
    }
}
