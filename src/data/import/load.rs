//! Typed rows of each recognised system table, read from a `SourceFile`. A row whose
//! required field cannot be parsed is reported as malformed (file line) and skipped.

use super::source::{Malformed, SourceFile};
use crate::base::vocab::SystemTable;

#[derive(Clone, Debug)]
pub struct Usage {
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
}

#[derive(Clone, Debug)]
pub struct Price {
    pub sku: String,
    pub cloud: Option<String>,
    pub start: i64,
    pub end: Option<i64>,
    pub usd: f64,
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

#[derive(Clone, Debug)]
pub struct TaskRun {
    pub job_id: String,
    pub job_run_id: String,
    pub start: i64,
    pub end: i64,
    pub compute_ids: Vec<String>,
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

#[derive(Clone, Debug)]
pub struct NodeMinute {
    pub cluster_id: String,
    pub instance_id: String,
    pub start: i64,
    pub end: i64,
}

#[derive(Clone, Debug)]
pub struct InstanceEvent {
    pub instance_id: String,
    pub cluster_id: Option<String>,
    pub spot: bool,
    pub state: String,
    pub time: i64,
}

#[derive(Clone, Debug)]
pub struct Warehouse {
    pub workspace: String,
    pub warehouse_id: String,
    pub name: Option<String>,
    pub change_time: i64,
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
}

/// Every typed row of the import, from all files.
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

fn required<T>(v: Option<T>, what: &str) -> Result<T, String> {
    v.ok_or_else(|| format!("{what} is empty"))
}

fn date_of(seconds: i64) -> String {
    crate::base::calendar::Timestamp::from_unix_seconds(seconds).date().to_string()
}

impl Loaded {
    /// Adds the rows of `file` (recognised as `table`); returns (rows, imported, malformed).
    pub fn add(&mut self, table: SystemTable, file: &SourceFile<'_>) -> (usize, usize, Vec<Malformed>) {
        let mut imported = 0;
        let (rows, malformed) = file.for_each_row(|row| {
            let ws = || file.text(row, "workspace_id").unwrap_or_else(|| "unknown".to_string());
            let outcome: Result<(), String> = (|| {
                match table {
                    SystemTable::BillingUsage => {
                        let start = required(file.instant(row, "usage_start_time")?, "usage_start_time")?;
                        let end = required(file.instant(row, "usage_end_time")?, "usage_end_time")?;
                        let date = match file.text(row, "usage_date") {
                            Some(d) if crate::base::calendar::Date::parse(&d).is_some() => d[..10].to_string(),
                            _ => date_of(start),
                        };
                        self.usage.push(Usage {
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
                        });
                    }
                    SystemTable::ListPrices => {
                        let usd = match file.number(row, "pricing.effective_list.default")? {
                            Some(p) => p,
                            None => required(file.number(row, "pricing.default")?, "pricing.default")?,
                        };
                        self.prices.push(Price {
                            sku: required(file.text(row, "sku_name"), "sku_name")?,
                            cloud: file.text(row, "cloud"),
                            start: required(file.instant(row, "price_start_time")?, "price_start_time")?,
                            end: file.instant(row, "price_end_time")?,
                            usd,
                        });
                    }
                    SystemTable::Jobs => self.jobs.push(JobVersion {
                        workspace: ws(),
                        job_id: required(file.text(row, "job_id"), "job_id")?,
                        name: file.text(row, "name"),
                        description: file.text(row, "description"),
                        tags: file.tags(row, "tags"),
                        change_time: required(file.instant(row, "change_time")?, "change_time")?,
                    }),
                    SystemTable::JobRunTimeline => self.runs.push(RunSlice {
                        workspace: ws(),
                        job_id: required(file.text(row, "job_id"), "job_id")?,
                        run_id: required(file.text(row, "run_id"), "run_id")?,
                        start: required(file.instant(row, "period_start_time")?, "period_start_time")?,
                        end: required(file.instant(row, "period_end_time")?, "period_end_time")?,
                        result_state: file.text(row, "result_state"),
                        termination_code: file.text(row, "termination_code"),
                        compute_ids: file.list(row, "compute_ids"),
                    }),
                    SystemTable::JobTaskRunTimeline => self.tasks.push(TaskRun {
                        job_id: required(file.text(row, "job_id"), "job_id")?,
                        job_run_id: required(file.text(row, "job_run_id"), "job_run_id")?,
                        start: required(file.instant(row, "period_start_time")?, "period_start_time")?,
                        end: required(file.instant(row, "period_end_time")?, "period_end_time")?,
                        compute_ids: file.list(row, "compute_ids"),
                    }),
                    SystemTable::Clusters => {
                        let int = |path: &str| file.number(row, path).map(|v| v.map(|n| n as i64));
                        self.clusters.push(ClusterVersion {
                            workspace: ws(),
                            cluster_id: required(file.text(row, "cluster_id"), "cluster_id")?,
                            name: file.text(row, "cluster_name"),
                            source: file.text(row, "cluster_source"),
                            change_time: required(file.instant(row, "change_time")?, "change_time")?,
                            driver_type: file.text(row, "driver_node_type"),
                            worker_type: file.text(row, "worker_node_type"),
                            worker_count: int("worker_count")?,
                            min_workers: int("min_autoscale_workers")?,
                            max_workers: int("max_autoscale_workers")?,
                            first_on_demand: int("aws_attributes.first_on_demand")?,
                            availability: file.text(row, "aws_attributes.availability"),
                            pool_id: file.text(row, "worker_instance_pool_id"),
                        });
                    }
                    SystemTable::NodeTimeline => self.nodes.push(NodeMinute {
                        cluster_id: required(file.text(row, "cluster_id"), "cluster_id")?,
                        instance_id: required(file.text(row, "instance_id"), "instance_id")?,
                        start: required(file.instant(row, "start_time")?, "start_time")?,
                        end: required(file.instant(row, "end_time")?, "end_time")?,
                    }),
                    SystemTable::InstanceEvents => {
                        let availability = required(file.text(row, "availability_type"), "availability_type")?;
                        self.instance_events.push(InstanceEvent {
                            instance_id: required(file.text(row, "instance_id"), "instance_id")?,
                            cluster_id: file.text(row, "cluster_id"),
                            spot: matches!(availability.to_uppercase().as_str(), "SPOT" | "PREEMPTIBLE"),
                            state: file.text(row, "state").unwrap_or_default(),
                            time: required(file.instant(row, "event_time")?, "event_time")?,
                        });
                    }
                    SystemTable::Warehouses => self.warehouses.push(Warehouse {
                        workspace: ws(),
                        warehouse_id: required(file.text(row, "warehouse_id"), "warehouse_id")?,
                        name: file.text(row, "warehouse_name"),
                        change_time: required(file.instant(row, "change_time")?, "change_time")?,
                    }),
                    SystemTable::QueryHistory => {
                        let start = required(file.instant(row, "start_time")?, "start_time")?;
                        let duration_ms = match file.number(row, "total_duration_ms")? {
                            Some(ms) => Some(ms as i64),
                            None => file.instant(row, "end_time")?.map(|end| (end - start) * 1000),
                        };
                        let status = file.text(row, "execution_status").unwrap_or_default();
                        let error = file
                            .text(row, "error_message")
                            .or_else(|| (status == "FAILED").then(|| "FAILED (no error message in the export)".to_string()));
                        self.queries.push(Query {
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
                        });
                    }
                }
                Ok(())
            })();
            if outcome.is_ok() {
                imported += 1;
            }
            outcome
        });
        (rows, imported, malformed)
    }
}
