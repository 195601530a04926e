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
-- The reverse links the copilot follows when it reads a selection's neighbourhood of the
-- usage graph (copilot::graph::neighbourhood): events by user and by eviction, and the jobs
-- that depend on a job.
CREATE INDEX IF NOT EXISTS idx_events_user ON events(user_id, event_time);
CREATE INDEX IF NOT EXISTS idx_events_eviction ON events(eviction_id);
CREATE INDEX IF NOT EXISTS idx_job_dependencies_upstream ON job_dependencies(depends_on_job_id);

-- How each job run's spot_ratio was found, when it was imported from system tables:
-- 'observed' (instance events), 'configured' (the cluster's aws_attributes) or 'unknown'.
-- Empty for generated data.
CREATE TABLE IF NOT EXISTS job_run_spot (
    job_run_id TEXT PRIMARY KEY,
    source     TEXT NOT NULL CHECK (source IN ('observed', 'configured', 'unknown'))
);

-- Settings of each all-purpose cluster and SQL warehouse, as system.compute.clusters
-- (auto_termination_minutes, min/max_autoscale_workers) and system.compute.warehouses
-- (auto_stop_minutes, min/max_num_clusters) state them: minutes without a running
-- statement before it stops (0 = never), and its autoscaling range (workers of a cluster,
-- clusters of a warehouse; min = max when it does not autoscale). Filled by the seed; the
-- import does not fill it yet. A database without it gets it empty when opened.
CREATE TABLE IF NOT EXISTS compute_settings (
    compute_id            TEXT PRIMARY KEY,
    auto_termination_mins INTEGER,
    min_workers           INTEGER,
    max_workers           INTEGER
);

-- Aggregates -------------------------------------------------------------------
-- Pre-aggregated facts the reports read instead of the raw tables, so that a report's cost
-- grows with the size of its answer, not with the size of the data. They are derived data,
-- written only by data::aggregates: `build` writes them into the database itself (as plain
-- tables, these statements without TEMP) at the end of an import and when `copilot db`
-- writes the seed, so the file ships them; when a database whose set is missing, of another
-- version or built from other raw rows is opened, they are built as temp tables of the
-- connection, which shadow any stale set (SQLite finds temp tables first) and never grow
-- the file's in-memory copy (which cannot grow past its size above 1 GiB). Running this file
-- only creates them empty, as temp tables; the app keeps or replaces them when it opens a
-- database. agg_meta records the version and a fingerprint of the raw rows they were built
-- from. Each table is keyed by the access path the report SQL uses (no other index; all
-- but agg_series are WITHOUT ROWID); sums are stored untyped, exactly as SUM() returns them (an integer, a real
-- or NULL), so the reports keep SUM's types.
--
-- Days are ranks: agg_day ranks every day text a report filters on, in text order, so
-- `:from`/`:to` become a rank range with exactly the text comparison the raw SQL makes.
-- Facts by job are kept per day (lvl 0) and per aligned block of 2^lvl days (lvl 3, 4, …);
-- a range is the few blocks inside it whose parent block is not (agg_block), so any range
-- costs at most ~2 log2(days) rows per job. Distinct runs with usage in a range are counted
-- from their usage spans (maximal runs of consecutive day ranks): spans starting in the
-- range, plus spans carried into its first day, minus the gaps of runs with several spans
-- that fall inside the range.

CREATE TEMP TABLE IF NOT EXISTS agg_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Every compute_usage.usage_date text, date(job_runs.start_time) and date(event_time) of a
-- spot eviction, ranked 0, 1, … in text order.
CREATE TEMP TABLE IF NOT EXISTS agg_day (
    day  TEXT PRIMARY KEY,
    rank INTEGER NOT NULL
) WITHOUT ROWID;

-- The blocks of day ranks: [pos, last] at each level, and the block of the next level up
-- that contains it ([up_pos, up_last]; -1 and a huge rank above the top level).
CREATE TEMP TABLE IF NOT EXISTS agg_block (
    lvl     INTEGER NOT NULL,
    pos     INTEGER NOT NULL,
    last    INTEGER NOT NULL,
    up_pos  INTEGER NOT NULL,
    up_last INTEGER NOT NULL,
    PRIMARY KEY (lvl, pos)
) WITHOUT ROWID;

-- Per job and block: usage dated in it (of the job's runs), runs started in it, usage spans
-- of runs starting in it (run_carried / failed_carried: lvl 0 only, spans that began before
-- that day and cover it), and spot evictions dated in it.
-- A sum is kept as two numbers whose SUM() is the block's exact sum: `x` (SUM's running
-- total) and `x_lo` (what its rounding left over), so a sum over blocks rounds once, like a
-- SUM() over the rows. unlisted_* sum only the runs that are not in agg_run_usage (NULL
-- when every run is, i.e. listed_rows = 0: then they equal cost and spot_cost).
-- evicted_* are the runs with one usage row whose evictions are all on its day.
-- cents: the sum of each usage row's cost rounded to the cent,
-- CAST(ROUND(COALESCE(total_cost, 0) * 100) AS INTEGER) (Tag Chargeback's unit).
CREATE TEMP TABLE IF NOT EXISTS agg_job_block (
    lvl              INTEGER NOT NULL,
    pos              INTEGER NOT NULL,
    job_id           TEXT NOT NULL,
    cost,
    cost_lo,
    spot_cost,
    spot_cost_lo,
    dbus,
    dbus_lo,
    usage_rows       INTEGER NOT NULL,
    listed_rows      INTEGER NOT NULL,
    unlisted_cost,
    unlisted_cost_lo,
    unlisted_spot,
    unlisted_spot_lo,
    runs             INTEGER NOT NULL,
    succeeded        INTEGER NOT NULL,
    failed           INTEGER NOT NULL,
    skipped          INTEGER NOT NULL,
    finished         INTEGER NOT NULL,
    finished_ms,
    finished_ms_lo,
    finished_ms_n    INTEGER NOT NULL,
    run_starts       INTEGER NOT NULL,
    failed_starts    INTEGER NOT NULL,
    run_carried      INTEGER NOT NULL,
    failed_carried   INTEGER NOT NULL,
    evictions        INTEGER NOT NULL,
    eviction_days    INTEGER NOT NULL,
    evicted_runs     INTEGER NOT NULL,
    evicted_cost,
    evicted_cost_lo,
    evicted_cost_n   INTEGER NOT NULL,
    cents            INTEGER NOT NULL,
    PRIMARY KEY (job_id, lvl, pos)
) WITHOUT ROWID;

-- Per day, the cent-rounded usage (as agg_job_block.cents) that is not of a run of a known
-- job, by kind: 'compute' (a cluster's or warehouse's, workspace_id its non_job_compute
-- row's), 'unlinked' (JOB_RUN usage whose run is not in job_runs) and 'orphan' (a known
-- run whose job is not in jobs; job_id set). workspace_id and job_id are '' when none.
CREATE TEMP TABLE IF NOT EXISTS agg_other_cents (
    rank         INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    cents        INTEGER NOT NULL,
    PRIMARY KEY (rank, kind, workspace_id, job_id)
) WITHOUT ROWID;

-- The same usage spans by job_run_spot.source, for runs that have a job_run_spot row.
CREATE TEMP TABLE IF NOT EXISTS agg_job_source_block (
    lvl         INTEGER NOT NULL,
    pos         INTEGER NOT NULL,
    job_id      TEXT NOT NULL,
    source      TEXT NOT NULL,
    run_starts  INTEGER NOT NULL,
    run_carried INTEGER NOT NULL,
    PRIMARY KEY (job_id, lvl, pos, source)
) WITHOUT ROWID;

-- Gaps between two usage spans of one run: the last rank of a span and the first of the
-- next. source is NULL for a run without a job_run_spot row.
CREATE TEMP TABLE IF NOT EXISTS agg_run_gap (
    end_rank   INTEGER NOT NULL,
    job_id     TEXT NOT NULL,
    job_run_id TEXT NOT NULL,
    next_rank  INTEGER NOT NULL,
    failed     INTEGER NOT NULL,
    source     TEXT,
    PRIMARY KEY (end_rank, job_id, job_run_id)
) WITHOUT ROWID;

-- The usage rows, as they are, of the runs whose cost over a range is not one fixed number:
-- runs with several usage rows, and evicted runs whose evictions are not all on their usage
-- day. Their evictions' days are in agg_evicted_event.
CREATE TEMP TABLE IF NOT EXISTS agg_run_usage (
    rank       INTEGER NOT NULL,
    job_id     TEXT NOT NULL,
    job_run_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    cost,
    spot_cost,
    PRIMARY KEY (rank, job_id, job_run_id, seq)
) WITHOUT ROWID;

CREATE TEMP TABLE IF NOT EXISTS agg_evicted_event (
    rank       INTEGER NOT NULL,
    job_id     TEXT NOT NULL,
    job_run_id TEXT NOT NULL,
    PRIMARY KEY (rank, job_id, job_run_id)
) WITHOUT ROWID;

-- Per compute type and day: for all workspaces (per_ws = 0, workspace_id '') and for each
-- workspace (per_ws = 1) the usage of its jobs' runs or of its clusters and warehouses.
-- entity_* are the usage spans of the distinct runs, clusters or warehouses.
CREATE TEMP TABLE IF NOT EXISTS agg_type_day (
    per_ws         INTEGER NOT NULL,
    workspace_id   TEXT NOT NULL,
    compute_type   TEXT NOT NULL,
    rank           INTEGER NOT NULL,
    cost,
    dbus,
    cpu_sum,
    cpu_n          INTEGER NOT NULL,
    usage_rows     INTEGER NOT NULL,
    entity_starts  INTEGER NOT NULL,
    entity_carried INTEGER NOT NULL,
    PRIMARY KEY (per_ws, workspace_id, compute_type, rank)
) WITHOUT ROWID;

CREATE TEMP TABLE IF NOT EXISTS agg_type_gap (
    per_ws       INTEGER NOT NULL,
    workspace_id TEXT NOT NULL,
    compute_type TEXT NOT NULL,
    end_rank     INTEGER NOT NULL,
    parent_id    TEXT NOT NULL,
    next_rank    INTEGER NOT NULL,
    PRIMARY KEY (per_ws, workspace_id, compute_type, end_rank, parent_id)
) WITHOUT ROWID;

-- The anomaly report's daily cost series: per job (its runs' usage) and per shared cluster or
-- warehouse. A series whose dates are all calendar dates is packed: from first_day, one byte
-- per day in kinds (0 no usage, 1 a real sum, 2 an integer sum, 3 usage whose cost is NULL)
-- and 8 little-endian bytes per day in costs. Other series (regular = 0) are in
-- agg_series_day, a row per date text. (A rowid table: a series of a few KB stays on its
-- page, where a WITHOUT ROWID row over ~1 KB would spill to an overflow page of its own.)
CREATE TEMP TABLE IF NOT EXISTS agg_series (
    subject_type TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    regular      INTEGER NOT NULL,
    first_day    TEXT,
    kinds        BLOB,
    costs        BLOB,
    PRIMARY KEY (subject_type, entity_id)
);

CREATE TEMP TABLE IF NOT EXISTS agg_series_day (
    subject_type TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    day          TEXT NOT NULL,
    actual_usd,
    PRIMARY KEY (subject_type, entity_id, day)
) WITHOUT ROWID;
