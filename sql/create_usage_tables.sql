-- Databricks Usage Copilot: usage schema.
--
-- The first eleven tables keep exactly the table and column names of the original
-- Python project (ChicagoDro/Databricks_Usage_Copilot), so a database written by it
-- opens unchanged. Everything after "Additions" is ours; the app treats those
-- tables as optional and creates them empty when a loaded database lacks them.
--
-- Conventions: ids are TEXT; timestamps are 'YYYY-MM-DD HH:MM:SS' text (UTC);
-- dates are 'YYYY-MM-DD' text; booleans are INTEGER 0/1; money is USD.

CREATE TABLE IF NOT EXISTS workspace (
    workspace_id   TEXT PRIMARY KEY,
    workspace_name TEXT NOT NULL,
    account_id     TEXT,
    description    TEXT
);

CREATE TABLE IF NOT EXISTS users_lookup (
    user_id      TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspace(workspace_id),
    department   TEXT
);

CREATE TABLE IF NOT EXISTS instance_pools (
    instance_pool_id      TEXT PRIMARY KEY,
    pool_name             TEXT NOT NULL,
    pool_instance_type    TEXT NOT NULL,
    min_size              INTEGER DEFAULT 0,
    max_size              INTEGER DEFAULT 10,
    auto_termination_mins INTEGER DEFAULT 30
);

CREATE TABLE IF NOT EXISTS non_job_compute (
    compute_id   TEXT PRIMARY KEY,
    compute_name TEXT NOT NULL,
    compute_type TEXT NOT NULL CHECK (compute_type IN ('SQL_WAREHOUSE', 'APC_CLUSTER')),
    workspace_id TEXT NOT NULL REFERENCES workspace(workspace_id)
);

CREATE TABLE IF NOT EXISTS jobs (
    job_id       TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspace(workspace_id),
    job_name     TEXT NOT NULL,
    description  TEXT,
    tags         TEXT -- JSON array of strings, may be NULL
);

CREATE TABLE IF NOT EXISTS job_runs (
    job_run_id             TEXT PRIMARY KEY,
    job_id                 TEXT NOT NULL REFERENCES jobs(job_id),
    start_time             TEXT NOT NULL,
    end_time               TEXT,
    duration_ms            INTEGER,
    run_status             TEXT NOT NULL CHECK (run_status IN ('SUCCESS', 'FAILED', 'SKIPPED', 'RUNNING')),
    error_summary          TEXT,
    driver_instance_type   TEXT,
    worker_instance_type   TEXT,
    is_fleet_cluster       INTEGER DEFAULT 0,
    instance_pool_id       TEXT REFERENCES instance_pools(instance_pool_id),
    min_nodes              INTEGER,
    max_nodes              INTEGER,
    fixed_nodes            INTEGER,
    is_autoscaling_enabled INTEGER DEFAULT 0,
    spot_ratio             REAL DEFAULT 0.0
);

-- parent_id is polymorphic: a job_runs.job_run_id when parent_type = 'JOB_RUN',
-- otherwise a non_job_compute.compute_id (one row per resource per day).
CREATE TABLE IF NOT EXISTS compute_usage (
    compute_usage_id      TEXT PRIMARY KEY,
    parent_id             TEXT NOT NULL,
    parent_type           TEXT NOT NULL CHECK (parent_type IN ('JOB_RUN', 'SQL_WAREHOUSE', 'APC_CLUSTER')),
    compute_sku           TEXT NOT NULL,
    dbus_consumed         REAL NOT NULL,
    cluster_id            TEXT,
    cluster_instance_type TEXT,
    total_cost            REAL,
    avg_cpu_utilization   REAL, -- fraction 0..1
    avg_memory_gb         REAL,
    peak_concurrent_users INTEGER,
    is_production         INTEGER DEFAULT 0,
    usage_date            TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
    event_id         TEXT PRIMARY KEY,
    compute_usage_id TEXT NOT NULL,
    event_time       TEXT NOT NULL,
    event_type       TEXT NOT NULL CHECK (event_type IN ('CLUSTER_START', 'CLUSTER_TERMINATE', 'SPOT_EVICTION', 'AUTOSCALING', 'CONFIG_CHANGE')),
    user_id          TEXT REFERENCES users_lookup(user_id),
    details          TEXT,
    eviction_id      TEXT -- logical reference to eviction_details
);

CREATE TABLE IF NOT EXISTS eviction_details (
    eviction_id            TEXT PRIMARY KEY,
    cloud_instance_id      TEXT NOT NULL,
    eviction_time          TEXT NOT NULL,
    cloud_provider_message TEXT,
    eviction_reason        TEXT CHECK (eviction_reason IN ('CAPACITY_CHANGE', 'PRICE_CHANGE', 'INSTANCE_FAILURE', 'MAINTENANCE')),
    spot_price             REAL,
    eviction_action        TEXT CHECK (eviction_action IN ('STOP_DEALLOCATE', 'DELETE')),
    was_retried            INTEGER DEFAULT 0
);

CREATE TABLE IF NOT EXISTS sql_query_history (
    query_id      TEXT PRIMARY KEY,
    parent_id     TEXT NOT NULL REFERENCES non_job_compute(compute_id),
    user_id       TEXT NOT NULL REFERENCES users_lookup(user_id),
    start_time    TEXT NOT NULL,
    duration_ms   INTEGER,
    warehouse_sku TEXT,
    sql_text      TEXT,
    error_message TEXT
);

CREATE TABLE IF NOT EXISTS date_series (
    date TEXT PRIMARY KEY
);

CREATE INDEX IF NOT EXISTS idx_compute_usage_parent ON compute_usage(parent_id, parent_type);
CREATE INDEX IF NOT EXISTS idx_compute_usage_date ON compute_usage(usage_date);
CREATE INDEX IF NOT EXISTS idx_compute_usage_cost ON compute_usage(total_cost DESC);
CREATE INDEX IF NOT EXISTS idx_events_time ON events(event_time);
CREATE INDEX IF NOT EXISTS idx_events_type ON events(event_type);
CREATE INDEX IF NOT EXISTS idx_eviction_time ON eviction_details(eviction_time);
CREATE INDEX IF NOT EXISTS idx_query_user ON sql_query_history(user_id);
CREATE INDEX IF NOT EXISTS idx_query_start ON sql_query_history(start_time);

-- Additions ------------------------------------------------------------------

-- Job lineage the original kept only as prose ("DEPENDS ON: ...") in jobs.description.
CREATE TABLE IF NOT EXISTS job_dependencies (
    job_id            TEXT NOT NULL REFERENCES jobs(job_id),
    depends_on_job_id TEXT NOT NULL REFERENCES jobs(job_id),
    PRIMARY KEY (job_id, depends_on_job_id)
);

-- List price per DBU for each SKU and cloud, valid from price_start_date (inclusive) until
-- price_end_date (exclusive; NULL = still valid). compute_usage.total_cost equals
-- dbus_consumed times the price valid on usage_date. cloud is the list price's cloud
-- (AWS, AZURE, GCP; NULL when the price list does not say, and for the seeded data): a SKU
-- has one price per cloud. A database written before cloud was added has no such column;
-- nothing the app reads needs it.
CREATE TABLE IF NOT EXISTS sku_prices (
    compute_sku      TEXT NOT NULL,
    cloud            TEXT,
    price_start_date TEXT NOT NULL,
    price_end_date   TEXT,
    usd_per_dbu      REAL NOT NULL,
    PRIMARY KEY (compute_sku, cloud, price_start_date)
);

CREATE INDEX IF NOT EXISTS idx_job_runs_job ON job_runs(job_id, start_time);
-- Covering indexes for the reports: usage by day without touching table rows, and the
-- run → job lookup every job report makes per usage row.
CREATE INDEX IF NOT EXISTS idx_compute_usage_day ON compute_usage(usage_date, parent_type, parent_id, total_cost, dbus_consumed, avg_cpu_utilization);
CREATE INDEX IF NOT EXISTS idx_job_runs_cover ON job_runs(job_run_id, job_id, spot_ratio, run_status);
CREATE INDEX IF NOT EXISTS idx_events_usage ON events(compute_usage_id);
CREATE INDEX IF NOT EXISTS idx_query_parent ON sql_query_history(parent_id);

-- How each job run's spot_ratio was found, when it was imported from system tables:
-- 'observed' (instance events), 'configured' (the cluster's aws_attributes) or 'unknown'.
-- Empty for generated data.
CREATE TABLE IF NOT EXISTS job_run_spot (
    job_run_id TEXT PRIMARY KEY,
    source     TEXT NOT NULL CHECK (source IN ('observed', 'configured', 'unknown'))
);
