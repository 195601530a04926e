//! The shared vocabulary: the few types that several layers speak about and that belong to
//! none of them — what an entity or a graph node is, which system table a file holds, what
//! a fact is about, a documentation chunk, a mention in a question, and the two traits the
//! copilot uses to reach the retrieval layer. A leaf: it imports nothing from the crate.
//!
//! Closed sets that code dispatches on are enums here, parsed once where data enters
//! (report specs, chip templates, URLs, imported files), so an unknown value is an error
//! at load that names its file rather than a silent fall-through later.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a selectable report row stands for. Report specs name it (`entity_type = "job"`),
/// chips apply to some of them, and the evidence step gathers facts per type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Job,
    ComputeType,
    /// One all-purpose cluster or SQL warehouse.
    Compute,
    /// A flagged day of a job or resource (`J-FIN-DAILY@2025-12-05`).
    Anomaly,
    /// A monthly budget the user set, by its name.
    Budget,
    /// One normalised value of a tag key: a chargeback line (`team=supply chain`).
    TagValue,
}

impl EntityType {
    pub const ALL: [EntityType; 6] =
        [EntityType::Job, EntityType::ComputeType, EntityType::Compute, EntityType::Anomaly, EntityType::Budget, EntityType::TagValue];

    /// The name used in specs, URLs and prompts.
    pub fn name(self) -> &'static str {
        match self {
            EntityType::Job => "job",
            EntityType::ComputeType => "compute_type",
            EntityType::Compute => "compute",
            EntityType::Anomaly => "anomaly",
            EntityType::Budget => "budget",
            EntityType::TagValue => "tag_value",
        }
    }

    pub fn parse(text: &str) -> Option<EntityType> {
        EntityType::ALL.into_iter().find(|t| t.name() == text)
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Databricks system table the importer reads and report specs may require.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SystemTable {
    BillingUsage,
    ListPrices,
    Jobs,
    JobRunTimeline,
    JobTaskRunTimeline,
    Clusters,
    NodeTimeline,
    InstanceEvents,
    Warehouses,
    QueryHistory,
}

impl SystemTable {
    pub const ALL: [SystemTable; 10] = [
        SystemTable::BillingUsage,
        SystemTable::ListPrices,
        SystemTable::Jobs,
        SystemTable::JobRunTimeline,
        SystemTable::JobTaskRunTimeline,
        SystemTable::Clusters,
        SystemTable::NodeTimeline,
        SystemTable::InstanceEvents,
        SystemTable::Warehouses,
        SystemTable::QueryHistory,
    ];

    /// The table's three-part name in Unity Catalog.
    pub fn name(self) -> &'static str {
        match self {
            SystemTable::BillingUsage => "system.billing.usage",
            SystemTable::ListPrices => "system.billing.list_prices",
            SystemTable::Jobs => "system.lakeflow.jobs",
            SystemTable::JobRunTimeline => "system.lakeflow.job_run_timeline",
            SystemTable::JobTaskRunTimeline => "system.lakeflow.job_task_run_timeline",
            SystemTable::Clusters => "system.compute.clusters",
            SystemTable::NodeTimeline => "system.compute.node_timeline",
            SystemTable::InstanceEvents => "system.compute.instance_events",
            SystemTable::Warehouses => "system.compute.warehouses",
            SystemTable::QueryHistory => "system.query.history",
        }
    }

    pub fn parse(text: &str) -> Option<SystemTable> {
        SystemTable::ALL.into_iter().find(|t| t.name() == text)
    }

    /// What the table gives the reports, in a few words (for "needs …" notes).
    pub fn provides(self) -> &'static str {
        match self {
            SystemTable::BillingUsage => "the DBUs used",
            SystemTable::ListPrices => "to put a price on the DBUs",
            SystemTable::Jobs => "job names and settings",
            SystemTable::JobRunTimeline => "job runs and their outcomes",
            SystemTable::JobTaskRunTimeline => "task runs on shared compute",
            SystemTable::Clusters => "cluster settings and configured spot",
            SystemTable::NodeTimeline => "node-minutes per cluster",
            SystemTable::InstanceEvents => "spot evictions and observed spot",
            SystemTable::Warehouses => "SQL warehouse settings",
            SystemTable::QueryHistory => "SQL queries",
        }
    }
}

impl fmt::Display for SystemTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for SystemTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for SystemTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SystemTable, D::Error> {
        let text = String::deserialize(d)?;
        SystemTable::parse(&text).ok_or_else(|| {
            let known: Vec<&str> = SystemTable::ALL.iter().map(|t| t.name()).collect();
            serde::de::Error::custom(format!("unknown system table {text:?}; known: {}", known.join(", ")))
        })
    }
}

/// The kinds of node of the usage graph (and of entity the telemetry index finds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Workspace,
    User,
    Job,
    JobRun,
    InstancePool,
    Compute,
    ComputeUsage,
    Event,
    Eviction,
    SqlQuery,
}

impl NodeKind {
    pub const ALL: [NodeKind; 10] = [
        NodeKind::Workspace,
        NodeKind::User,
        NodeKind::Job,
        NodeKind::JobRun,
        NodeKind::InstancePool,
        NodeKind::Compute,
        NodeKind::ComputeUsage,
        NodeKind::Event,
        NodeKind::Eviction,
        NodeKind::SqlQuery,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Workspace => "workspace",
            NodeKind::User => "user",
            NodeKind::Job => "job",
            NodeKind::JobRun => "job_run",
            NodeKind::InstancePool => "instance_pool",
            NodeKind::Compute => "compute",
            NodeKind::ComputeUsage => "compute_usage",
            NodeKind::Event => "event",
            NodeKind::Eviction => "eviction",
            NodeKind::SqlQuery => "sql_query",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a fact is about; chips list the topics they care about first (`focus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Selection,
    Configuration,
    Changes,
    Runs,
    Failures,
    Evictions,
    Runtime,
    Cost,
    Dependencies,
    Peers,
    TopEntities,
    Queries,
    Utilization,
    Day,
    Baseline,
    History,
    /// A What if chip's counterfactual: its result, formula and assumptions.
    WhatIf,
    /// Entities a follow-up question names (found in the telemetry index).
    Mentions,
}

/// A documentation chunk, citable as `[id]` (filled by the docs corpus).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct DocChunk {
    pub id: String,
    /// The page title (what the Sources list shows).
    pub title: String,
    /// The section heading the chunk comes from.
    pub heading: String,
    /// Page URL with the section's `#anchor`.
    pub url: String,
    pub text: String,
    pub score: f64,
}

impl DocChunk {
    /// "Page title › Section heading", or just the title for a page's introduction.
    pub fn place(&self, separator: &str) -> String {
        if self.heading.is_empty() || self.heading == self.title {
            self.title.clone()
        } else {
            format!("{}{separator}{}", self.title, self.heading)
        }
    }
}

/// Where documentation comes from (the docs corpus implements it).
pub trait DocsSource {
    /// The best chunks for `query`, best first, above the source's relevance floor.
    fn search(&self, query: &str, k: usize) -> Vec<DocChunk>;
    /// What answers (corpus size, retrieval mode), for the debug panel.
    fn describe(&self) -> String {
        String::new()
    }
}

/// An entity a free-text question names.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Mention {
    pub kind: NodeKind,
    pub id: String,
    pub label: String,
    pub score: f64,
}

/// Finds the entities a question is about (the telemetry index implements it).
pub trait EntitySource {
    fn find(&self, question: &str, k: usize) -> Vec<Mention>;
}

/// Entities named outright score at least this (retrieval hits score far lower).
pub const NAMED_SCORE: f64 = 0.9;
