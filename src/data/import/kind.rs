//! What an imported file is: a raw export of a system table, or one of the twelve
//! pre-aggregated extracts of `sql/extract/`.

use serde::{Deserialize, Serialize};

use crate::base::vocab::SystemTable;

/// One of the twelve extraction statements, named as its file in `sql/extract/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractKind {
    UsageDaily,
    JobRuns,
    Jobs,
    NonJobCompute,
    SkuPrices,
    Evictions,
    SqlQueries,
    Users,
    Workspaces,
    TaskAttribution,
    AttributionGaps,
    TableCoverage,
}

impl ExtractKind {
    pub const ALL: [ExtractKind; 12] = [
        ExtractKind::UsageDaily,
        ExtractKind::JobRuns,
        ExtractKind::Jobs,
        ExtractKind::NonJobCompute,
        ExtractKind::SkuPrices,
        ExtractKind::Evictions,
        ExtractKind::SqlQueries,
        ExtractKind::Users,
        ExtractKind::Workspaces,
        ExtractKind::TaskAttribution,
        ExtractKind::AttributionGaps,
        ExtractKind::TableCoverage,
    ];

    /// The statement's name (`usage_daily`), which is also the value of `extract_kind`.
    pub fn name(self) -> &'static str {
        match self {
            ExtractKind::UsageDaily => "usage_daily",
            ExtractKind::JobRuns => "job_runs",
            ExtractKind::Jobs => "jobs",
            ExtractKind::NonJobCompute => "non_job_compute",
            ExtractKind::SkuPrices => "sku_prices",
            ExtractKind::Evictions => "evictions",
            ExtractKind::SqlQueries => "sql_queries",
            ExtractKind::Users => "users",
            ExtractKind::Workspaces => "workspaces",
            ExtractKind::TaskAttribution => "task_attribution",
            ExtractKind::AttributionGaps => "attribution_gaps",
            ExtractKind::TableCoverage => "table_coverage",
        }
    }
}

impl std::fmt::Display for ExtractKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pre-aggregated extract {}", self.name())
    }
}

/// What a file is: a raw export of a system table, or one of the pre-aggregated extracts
/// that `sql/extract/` produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Table(SystemTable),
    Extract(ExtractKind),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Table(t) => write!(f, "{t}"),
            Source::Extract(k) => write!(f, "{k}"),
        }
    }
}
