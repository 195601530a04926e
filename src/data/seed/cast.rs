//! The cast of the seeded dataset: Chicago Cola Co.'s workspace, people, pools, shared
//! compute and nine jobs, with the per-job configuration of the original project.
//!
//! This is data, not logic: the generator in `seed::generator` turns it into rows and
//! `seed::scenarios` decides what happens to each job on each day.

use crate::base::calendar::Weekday;

pub struct WorkspaceSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub account_id: &'static str,
    pub description: &'static str,
}

pub struct UserSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub department: &'static str,
}

pub struct PoolSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub instance_type: &'static str,
    pub min_size: u32,
    pub max_size: u32,
    pub auto_termination_mins: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NonJobKind {
    AllPurposeCluster,
    SqlWarehouse,
}

impl NonJobKind {
    /// The value stored in `non_job_compute.compute_type` and `compute_usage.parent_type`.
    pub fn compute_type(self) -> &'static str {
        match self {
            NonJobKind::AllPurposeCluster => "APC_CLUSTER",
            NonJobKind::SqlWarehouse => "SQL_WAREHOUSE",
        }
    }

    pub fn sku(self) -> &'static str {
        match self {
            NonJobKind::AllPurposeCluster => SKU_ALL_PURPOSE,
            NonJobKind::SqlWarehouse => SKU_SQL_WAREHOUSE,
        }
    }
}

/// A shared resource billed once per day: an all-purpose cluster or a SQL warehouse.
pub struct NonJobSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub kind: NonJobKind,
    /// Instance type for clusters, t-shirt size for warehouses.
    pub instance_type: &'static str,
    pub daily_dbus: (f64, f64),
    /// Constant factor on the daily DBUs (an oversized legacy cluster, say).
    pub dbu_multiplier: f64,
    /// Extra factor on the first day of each month (month-end close on the finance cluster).
    pub month_start_multiplier: f64,
    pub cpu: (f64, f64),
    pub memory_gb: f64,
    pub users: (i64, i64),
    pub production: bool,
    /// How it is configured and used each day: its settings and its statements.
    pub sessions: SessionSpec,
}

/// The settings and daily use of a shared resource. Each day it runs a run of statements
/// (notebook commands on a cluster, SQL on a warehouse), one after another from a start
/// time; it starts shortly before a statement when it is down, and stops when it has been
/// idle for its auto-termination time. Its up time therefore follows from its statements
/// and its settings, as on Databricks.
pub struct SessionSpec {
    /// Minutes of inactivity after which it stops (`compute_settings.auto_termination_mins`).
    pub auto_termination_mins: i64,
    /// The autoscaling range: workers of a cluster, clusters of a warehouse.
    pub scale: (u32, u32),
    /// How far into the range above its minimum a session scales (a share of max − min).
    pub peak_share: (f64, f64),
    /// Statements a weekday and a weekend day.
    pub weekday_statements: (i64, i64),
    pub weekend_statements: (i64, i64),
    /// When the first statement starts, in minutes after midnight.
    pub first_at_mins: (i64, i64),
    /// How long one statement runs, in seconds.
    pub duration_s: (i64, i64),
    /// From one statement's start to the next one's, in minutes.
    pub gap_mins: (i64, i64),
    pub users: &'static [&'static str],
    pub sql: &'static str,
}

#[derive(Clone, Copy)]
pub enum Nodes {
    Fixed(u32),
    Autoscale { min: u32, max: u32 },
}

#[derive(Clone, Copy)]
pub enum Schedule {
    Daily,
    Weekly(Weekday),
    MonthlyOnDay(u32),
}

#[derive(Clone, Copy)]
pub enum StartWindow {
    /// Starts at hour:minute plus 0–29 minutes of jitter.
    At { hour: u32, minute: u32 },
    /// Starts at a random minute between the two hours (first included, last excluded).
    Between { from_hour: u32, to_hour: u32 },
}

pub struct JobSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// Tags as stored: sorted `key=value` strings, as an import writes them; `None` is a job
    /// nobody tagged.
    pub tags: Option<&'static [&'static str]>,
    pub worker_type: &'static str,
    pub nodes: Nodes,
    pub fleet: bool,
    pub pool: Option<&'static str>,
    pub base_cpu: f64,
    /// DBUs per node per minute of runtime.
    pub dbu_per_node_minute: f64,
    pub runtime_minutes: f64,
    pub spot_ratio: f64,
    pub schedule: Schedule,
    pub start: StartWindow,
    /// A failed run is retried (R02, R03 …) until one succeeds or the attempts run out.
    pub retries: bool,
    pub production: bool,
    /// Jobs that must succeed the same day before this one runs.
    pub depends_on: &'static [&'static str],
}

impl JobSpec {
    pub fn memory_gb(&self) -> f64 {
        match self.worker_type {
            "g4dn.xlarge" => 256.0,
            "r5.2xlarge" => 128.0,
            _ => 64.0,
        }
    }
}

pub const SKU_JOBS: &str = "STANDARD_JOB_COMPUTE";
pub const SKU_ALL_PURPOSE: &str = "STANDARD_ALL_PURPOSE_COMPUTE";
pub const SKU_SQL_WAREHOUSE: &str = "STANDARD_SQL_WAREHOUSE_COMPUTE";

/// List price per DBU of each SKU for the whole seeded period.
pub const SKU_PRICES: &[(&str, f64)] = &[(SKU_JOBS, 0.40), (SKU_ALL_PURPOSE, 0.40), (SKU_SQL_WAREHOUSE, 0.40)];

pub const DRIVER_TYPE: &str = "m5.xlarge";
pub const SYSTEM_USER: &str = "U-SYSTEM";

pub const WORKSPACE: WorkspaceSpec = WorkspaceSpec {
    id: "OU-CHICOLA",
    name: "Chicago Cola Co.",
    account_id: "CCOL-1234",
    description: "Beverage distributor; data platform for supply chain and finance reporting",
};

pub const USERS: &[UserSpec] = &[
    UserSpec { id: "U-ALICE", name: "Alice Chen", department: "Finance" },
    UserSpec { id: "U-BOB", name: "Bob Martinez", department: "Supply Chain" },
    UserSpec { id: "U-CHARLIE", name: "Charlie Kumar", department: "HR" },
    UserSpec { id: "U-DAVID", name: "David Thompson", department: "Logistics" },
    UserSpec { id: "U-EMILY", name: "Emily Rodriguez", department: "Data Science" },
    UserSpec { id: "U-FRANK", name: "Frank Lee", department: "Supply Chain" },
    UserSpec { id: SYSTEM_USER, name: "System Account", department: "System" },
];

pub const POOLS: &[PoolSpec] = &[
    PoolSpec {
        id: "POOL-WORKER-STD",
        name: "Standard Worker Pool",
        instance_type: "i3.xlarge",
        min_size: 2,
        max_size: 8,
        auto_termination_mins: 30,
    },
    PoolSpec {
        id: "POOL-WORKER-GPU",
        name: "GPU Worker Pool",
        instance_type: "g4dn.xlarge",
        min_size: 1,
        max_size: 4,
        auto_termination_mins: 15,
    },
];

pub const NON_JOB_COMPUTE: &[NonJobSpec] = &[
    NonJobSpec {
        id: "APC-LOGISTICS",
        name: "Logistics Analytics Cluster",
        kind: NonJobKind::AllPurposeCluster,
        instance_type: "r5.xlarge",
        daily_dbus: (300.0, 500.0),
        dbu_multiplier: 1.0,
        month_start_multiplier: 1.0,
        cpu: (0.45, 0.85),
        memory_gb: 128.0,
        users: (2, 5),
        production: false,
        sessions: SessionSpec {
            auto_termination_mins: 60,
            scale: (2, 16),
            peak_share: (0.1, 0.3),
            weekday_statements: (3, 5),
            weekend_statements: (1, 1),
            first_at_mins: (480, 540),
            duration_s: (1200, 3600),
            gap_mins: (40, 90),
            users: &["U-DAVID"],
            sql: "%python route_legs_by_depot()",
        },
    },
    NonJobSpec {
        id: "APC-FINANCE",
        name: "Finance Ad-Hoc Cluster",
        kind: NonJobKind::AllPurposeCluster,
        instance_type: "r5.xlarge",
        daily_dbus: (300.0, 500.0),
        dbu_multiplier: 1.0,
        month_start_multiplier: 2.0,
        cpu: (0.45, 0.85),
        memory_gb: 128.0,
        users: (2, 5),
        production: true,
        sessions: SessionSpec {
            auto_termination_mins: 30,
            scale: (2, 8),
            peak_share: (0.5, 1.0),
            weekday_statements: (3, 4),
            weekend_statements: (1, 1),
            first_at_mins: (510, 570),
            duration_s: (1800, 4500),
            gap_mins: (35, 70),
            users: &["U-ALICE"],
            sql: "%sql SELECT * FROM finance.ledger_close",
        },
    },
    NonJobSpec {
        id: "APC-LEGACY",
        name: "Legacy ETL Cluster",
        kind: NonJobKind::AllPurposeCluster,
        instance_type: "i3.2xlarge",
        daily_dbus: (300.0, 500.0),
        dbu_multiplier: 1.5,
        month_start_multiplier: 1.0,
        cpu: (0.45, 0.85),
        memory_gb: 128.0,
        users: (2, 5),
        production: false,
        sessions: SessionSpec {
            auto_termination_mins: 480,
            scale: (4, 4),
            peak_share: (0.0, 0.0),
            weekday_statements: (2, 2),
            weekend_statements: (1, 1),
            first_at_mins: (330, 390),
            duration_s: (1800, 4800),
            gap_mins: (50, 90),
            users: &["U-FRANK"],
            sql: "%scala LegacyEtl.run()",
        },
    },
    NonJobSpec {
        id: "WH-FINANCE",
        name: "Finance SQL Warehouse",
        kind: NonJobKind::SqlWarehouse,
        instance_type: "L",
        daily_dbus: (250.0, 400.0),
        dbu_multiplier: 1.0,
        month_start_multiplier: 1.0,
        cpu: (0.35, 0.65),
        memory_gb: 256.0,
        users: (3, 10),
        production: true,
        sessions: SessionSpec {
            auto_termination_mins: 10,
            scale: (1, 4),
            peak_share: (0.3, 0.7),
            weekday_statements: (5, 7),
            weekend_statements: (1, 1),
            first_at_mins: (450, 510),
            duration_s: (900, 2700),
            gap_mins: (10, 40),
            users: &["U-ALICE"],
            sql: "SELECT * FROM finance.revenue_board",
        },
    },
    NonJobSpec {
        id: "WH-SUPPLY",
        name: "Supply Chain Warehouse",
        kind: NonJobKind::SqlWarehouse,
        instance_type: "L",
        daily_dbus: (250.0, 400.0),
        dbu_multiplier: 1.0,
        month_start_multiplier: 1.0,
        cpu: (0.35, 0.65),
        memory_gb: 256.0,
        users: (3, 10),
        production: true,
        sessions: SessionSpec {
            auto_termination_mins: 15,
            scale: (1, 3),
            peak_share: (0.3, 1.0),
            weekday_statements: (3, 5),
            weekend_statements: (1, 1),
            first_at_mins: (420, 480),
            duration_s: (300, 1200),
            gap_mins: (10, 25),
            users: &["U-BOB", "U-FRANK"],
            sql: "SELECT * FROM supply.stock_board",
        },
    },
    NonJobSpec {
        id: "WH-HR",
        name: "HR Analytics Warehouse",
        kind: NonJobKind::SqlWarehouse,
        instance_type: "M",
        daily_dbus: (250.0, 400.0),
        dbu_multiplier: 1.0,
        month_start_multiplier: 1.0,
        cpu: (0.35, 0.65),
        memory_gb: 128.0,
        users: (3, 10),
        production: false,
        sessions: SessionSpec {
            auto_termination_mins: 45,
            scale: (1, 2),
            peak_share: (0.0, 0.8),
            weekday_statements: (2, 2),
            weekend_statements: (1, 1),
            first_at_mins: (540, 600),
            duration_s: (10, 120),
            gap_mins: (20, 40),
            users: &["U-CHARLIE"],
            sql: "SELECT * FROM hr.headcount",
        },
    },
    NonJobSpec {
        id: "WH-ML",
        name: "ML Experimentation WH",
        kind: NonJobKind::SqlWarehouse,
        instance_type: "XL",
        daily_dbus: (250.0, 400.0),
        dbu_multiplier: 1.0,
        month_start_multiplier: 1.0,
        cpu: (0.35, 0.65),
        memory_gb: 512.0,
        users: (3, 10),
        production: false,
        sessions: SessionSpec {
            auto_termination_mins: 120,
            scale: (1, 1),
            peak_share: (0.0, 0.0),
            weekday_statements: (2, 3),
            weekend_statements: (1, 1),
            first_at_mins: (600, 660),
            duration_s: (600, 1500),
            gap_mins: (60, 120),
            users: &["U-EMILY"],
            sql: "SELECT * FROM ml.click_sample",
        },
    },
];

pub const JOBS: &[JobSpec] = &[
    JobSpec {
        id: "J-FIN-DAILY",
        name: "Daily Financial Aggregation",
        description: "Critical end-of-day revenue aggregation for finance; must finish within its 4-hour SLA.",
        tags: Some(&["cost_center=CC-100", "schedule=Daily", "sla=4hr", "team=Finance", "tier=Critical"]),
        worker_type: "r5.xlarge",
        nodes: Nodes::Fixed(8),
        fleet: false,
        pool: None,
        base_cpu: 0.65,
        dbu_per_node_minute: 1.2,
        runtime_minutes: 30.0,
        spot_ratio: 0.10,
        schedule: Schedule::Daily,
        start: StartWindow::At { hour: 2, minute: 0 },
        retries: true,
        production: true,
        depends_on: &[],
    },
    JobSpec {
        id: "J-FIN-MONTHLY",
        name: "Monthly Revenue Rollup",
        description: "Month-end revenue rollup for financial reporting.",
        tags: Some(&["cost_center=cc_100", "schedule=Monthly", "team=finance"]),
        worker_type: "r5.2xlarge",
        nodes: Nodes::Fixed(12),
        fleet: false,
        pool: None,
        base_cpu: 0.70,
        dbu_per_node_minute: 2.0,
        runtime_minutes: 90.0,
        spot_ratio: 0.0,
        schedule: Schedule::MonthlyOnDay(1),
        start: StartWindow::At { hour: 0, minute: 0 },
        retries: false,
        production: true,
        depends_on: &[],
    },
    JobSpec {
        id: "J-SUPPLY-RAW",
        name: "Supply Chain Raw Ingestion",
        description: "Ingests raw sensor and inventory feeds from plants and warehouses; upstream of the supply chain pipeline.",
        tags: Some(&["cost_center=CC-200", "stage=Ingestion", "team=Supply Chain"]),
        worker_type: "i3.xlarge",
        nodes: Nodes::Fixed(5),
        fleet: true,
        pool: None,
        base_cpu: 0.40,
        dbu_per_node_minute: 0.8,
        runtime_minutes: 20.0,
        spot_ratio: 0.25,
        schedule: Schedule::Daily,
        start: StartWindow::At { hour: 1, minute: 0 },
        retries: false,
        production: false,
        depends_on: &[],
    },
    JobSpec {
        id: "J-SUPPLY-TRANSFORM",
        name: "Supply Chain Transformation",
        description: "Cleans and joins the raw supply chain feeds. DEPENDS ON: J-SUPPLY-RAW.",
        tags: Some(&["cost_center=CC-200", "stage=Transformation", "team=Supply Chain"]),
        worker_type: "r5.xlarge",
        nodes: Nodes::Autoscale { min: 6, max: 12 },
        fleet: false,
        pool: None,
        base_cpu: 0.55,
        dbu_per_node_minute: 1.0,
        runtime_minutes: 35.0,
        spot_ratio: 0.30,
        schedule: Schedule::Daily,
        start: StartWindow::At { hour: 2, minute: 30 },
        retries: false,
        production: false,
        depends_on: &["J-SUPPLY-RAW"],
    },
    JobSpec {
        id: "J-SUPPLY-DASHBOARD",
        name: "Supply Chain Dashboard Refresh",
        description: "Refreshes the supply chain dashboards. DEPENDS ON: J-SUPPLY-TRANSFORM.",
        // Inconsistent spelling and case on purpose (`supply-chain` vs `Supply Chain`), and no
        // cost centre: real tags are messy.
        tags: Some(&["stage=dashboard", "team=supply-chain"]),
        worker_type: "i3.xlarge",
        nodes: Nodes::Fixed(4),
        fleet: false,
        pool: Some("POOL-WORKER-STD"),
        base_cpu: 0.45,
        dbu_per_node_minute: 0.7,
        runtime_minutes: 15.0,
        spot_ratio: 0.20,
        schedule: Schedule::Daily,
        start: StartWindow::At { hour: 3, minute: 30 },
        retries: false,
        production: false,
        depends_on: &["J-SUPPLY-TRANSFORM"],
    },
    JobSpec {
        id: "J-HR-WEEKLY",
        name: "Weekly HR Metrics",
        description: "Weekly headcount and attrition metrics.",
        tags: Some(&["team=HR"]),
        worker_type: "i3.xlarge",
        nodes: Nodes::Fixed(3),
        fleet: false,
        pool: None,
        base_cpu: 0.35,
        dbu_per_node_minute: 0.6,
        runtime_minutes: 25.0,
        spot_ratio: 0.15,
        schedule: Schedule::Weekly(Weekday::Monday),
        start: StartWindow::At { hour: 8, minute: 0 },
        retries: false,
        production: false,
        depends_on: &[],
    },
    JobSpec {
        id: "J-ROUTE-OPT",
        name: "Logistics Route Optimizer",
        description: "Optimises delivery routes with an ML model; runs mostly on spot capacity.",
        tags: Some(&["cost_center=CC-300", "scaling=Autoscaling", "spot=Heavy", "team=Logistics"]),
        worker_type: "r5.2xlarge",
        nodes: Nodes::Autoscale { min: 4, max: 12 },
        fleet: false,
        pool: None,
        base_cpu: 0.30,
        dbu_per_node_minute: 1.5,
        runtime_minutes: 45.0,
        spot_ratio: 0.70,
        schedule: Schedule::Daily,
        start: StartWindow::Between { from_hour: 6, to_hour: 18 },
        retries: false,
        production: false,
        depends_on: &[],
    },
    JobSpec {
        id: "J-ML-TRAINING",
        name: "Product Recommendation Model Training",
        description: "Trains the product recommendation model on GPU workers; the most expensive ML workload.",
        tags: Some(&["cost_center=CC-400", "hardware=GPU", "scaling=Autoscaling", "team=Data_Science", "tier=Critical"]),
        worker_type: "g4dn.xlarge",
        nodes: Nodes::Autoscale { min: 6, max: 12 },
        fleet: false,
        pool: Some("POOL-WORKER-GPU"),
        base_cpu: 0.75,
        dbu_per_node_minute: 3.5,
        runtime_minutes: 120.0,
        spot_ratio: 0.50,
        schedule: Schedule::Daily,
        // Starts by 18:00 so that even a day with three failed attempts finishes its retries
        // before midnight and all usage stays inside the seeded period.
        start: StartWindow::Between { from_hour: 0, to_hour: 18 },
        retries: true,
        production: true,
        depends_on: &[],
    },
    JobSpec {
        id: "J-LEGACY-ETL",
        name: "Legacy Customer Data ETL",
        description: "Nightly customer data ETL written years ago; slow, inefficient and due for a refactor.",
        tags: None,
        worker_type: "r5.xlarge",
        nodes: Nodes::Fixed(10),
        fleet: false,
        pool: None,
        base_cpu: 0.85,
        dbu_per_node_minute: 2.2,
        runtime_minutes: 180.0,
        spot_ratio: 0.05,
        schedule: Schedule::Daily,
        start: StartWindow::At { hour: 4, minute: 0 },
        retries: true,
        production: false,
        depends_on: &[],
    },
];

/// One ad-hoc SQL statement shape that analysts run on query days.
pub struct QuerySpec {
    pub warehouse: &'static str,
    pub user: &'static str,
    pub size: &'static str,
    pub base_ms: i64,
    pub sql: &'static str,
    pub error: Option<&'static str>,
}

pub const QUERIES: &[QuerySpec] = &[
    QuerySpec {
        warehouse: "WH-FINANCE",
        user: "U-ALICE",
        size: "SMALL",
        base_ms: 450,
        sql: "SELECT region, SUM(revenue) AS revenue FROM finance.daily_revenue WHERE sale_date = current_date() - 1 GROUP BY region",
        error: None,
    },
    QuerySpec {
        warehouse: "WH-FINANCE",
        user: "U-ALICE",
        size: "SMALL",
        base_ms: 720,
        sql: "SELECT sku, SUM(units) AS units FROM finance.daily_revenue WHERE sale_date >= date_trunc('MONTH', current_date()) GROUP BY sku ORDER BY units DESC LIMIT 20",
        error: None,
    },
    QuerySpec {
        warehouse: "WH-SUPPLY",
        user: "U-BOB",
        size: "MEDIUM",
        base_ms: 1_200,
        sql: "SELECT plant_id, AVG(stock_level) AS avg_stock FROM supply.inventory_snapshots GROUP BY plant_id",
        error: None,
    },
    QuerySpec {
        warehouse: "WH-SUPPLY",
        user: "U-FRANK",
        size: "MEDIUM",
        base_ms: 2_400,
        sql: "CREATE TABLE sandbox.frank_late_shipments AS SELECT * FROM supply.shipments WHERE delivered_at > promised_at",
        error: None,
    },
    QuerySpec {
        warehouse: "WH-HR",
        user: "U-CHARLIE",
        size: "LARGE",
        base_ms: 900,
        sql: "SELECT department, COUNT(*) AS headcount FROM hr.employees WHERE active GROUP BY department",
        error: None,
    },
    QuerySpec {
        warehouse: "WH-HR",
        user: "U-CHARLIE",
        size: "SMALL",
        base_ms: 180_000,
        sql: "SELECT e.*, h.* FROM hr.employees e CROSS JOIN hr.history h WHERE h.changed_at > e.hired_at",
        error: Some("Query exceeded warehouse timeout (180s) and was cancelled"),
    },
    QuerySpec {
        warehouse: "WH-ML",
        user: "U-EMILY",
        size: "XL",
        base_ms: 15_000,
        sql: "SELECT * FROM ml.click_events TABLESAMPLE (10000000 ROWS)",
        error: None,
    },
    QuerySpec {
        warehouse: "WH-FINANCE",
        user: "U-ALICE",
        size: "SMALL",
        base_ms: 12_000,
        sql: "SELECT * FROM finance.transactions_raw",
        error: Some("Result set exceeded 10GB limit; query killed"),
    },
];
