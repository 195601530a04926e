-- Databricks Usage Copilot: pre-aggregated extract `table_coverage` (see README.md in this folder).
-- Per system table: rows read and the first and last day they cover (UTC). Fills ImportReport.tables.
-- Parameters: :from, :to (dates, inclusive), :workspaces (comma-separated ids, '' = all), :prices ('list' or 'account').
-- Reads: system.billing.usage, system.billing.list_prices (or account_prices), system.lakeflow.jobs, system.lakeflow.job_run_timeline, system.lakeflow.job_task_run_timeline, system.compute.clusters, system.compute.node_timeline, system.compute.instance_events, system.compute.warehouses, system.query.history.
-- Databricks SQL / Spark SQL. Run as one statement; save the result as table_coverage.csv.
WITH
  -- Billing rows of the window with the fields the importer reads from each row.
  usage_rows AS (
    SELECT
      coalesce(workspace_id, 'unknown') AS workspace_id,
      sku_name,
      cloud,
      unix_timestamp(usage_start_time) AS start_s,
      unix_timestamp(usage_end_time) AS end_s,
      usage_date AS usage_day,
      usage_quantity,
      nullif(usage_metadata.job_id, '') AS job_id,
      nullif(usage_metadata.job_run_id, '') AS job_run_id,
      nullif(usage_metadata.job_name, '') AS job_name,
      nullif(usage_metadata.cluster_id, '') AS cluster_id,
      nullif(usage_metadata.warehouse_id, '') AS warehouse_id,
      nullif(usage_metadata.node_type, '') AS node_type,
      (custom_tags IS NULL OR size(custom_tags) = 0) AS untagged
    FROM system.billing.usage
    WHERE usage_date BETWEEN CAST(:from AS DATE) AND CAST(:to AS DATE)
      AND (:workspaces = '' OR array_contains(split(replace(:workspaces, ' ', ''), ','), workspace_id))
      AND sku_name IS NOT NULL AND usage_quantity IS NOT NULL
      AND usage_start_time IS NOT NULL AND usage_end_time IS NOT NULL
      AND usage_end_time >= usage_start_time
  ),

  -- Price rows: effective_list.default when present, else default (read through JSON so that
  -- a price table whose struct lacks effective_list still works). Rows with neither are skipped.
  price_rows AS (
    SELECT * FROM (
      SELECT
        sku_name,
        cloud,
        currency_code,
        usage_unit,
        unix_timestamp(price_start_time) AS start_s,
        unix_timestamp(price_end_time) AS end_s,
        coalesce(
          CAST(get_json_object(to_json(pricing), '$.effective_list.default') AS DOUBLE),
          CAST(pricing.default AS DOUBLE)) AS usd
      FROM IDENTIFIER(CASE WHEN :prices = 'account' THEN 'system.billing.account_prices'
                           ELSE 'system.billing.list_prices' END)
      WHERE sku_name IS NOT NULL AND price_start_time IS NOT NULL
        AND (price_end_time IS NULL OR price_end_time >= price_start_time))
    WHERE usd IS NOT NULL
  ),

  -- Job definitions (SCD2) up to the end of the window.
  job_versions AS (
    SELECT
      coalesce(workspace_id, 'unknown') AS workspace_id,
      job_id,
      nullif(regexp_replace(name, '^\\s+|\\s+$', ''), '') AS name,
      nullif(regexp_replace(description, '^\\s+|\\s+$', ''), '') AS description,
      tags,
      unix_timestamp(change_time) AS change_s
    FROM system.lakeflow.jobs
    WHERE change_time < CAST(concat(CAST(date_add(CAST(:to AS DATE), 1) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND (:workspaces = '' OR array_contains(split(replace(:workspaces, ' ', ''), ','), workspace_id))
      AND job_id IS NOT NULL
  ),

  -- Job run timeline slices (long runs come as hourly slices) started in the window.
  run_slices AS (
    SELECT
      coalesce(workspace_id, 'unknown') AS workspace_id,
      job_id,
      run_id,
      unix_timestamp(period_start_time) AS start_s,
      unix_timestamp(period_end_time) AS end_s,
      nullif(result_state, '') AS result_state,
      nullif(termination_code, '') AS termination_code,
      coalesce(compute_ids, CAST(array() AS ARRAY<STRING>)) AS compute_ids
    FROM system.lakeflow.job_run_timeline
    WHERE period_start_time >= CAST(concat(CAST(CAST(:from AS DATE) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND period_start_time < CAST(concat(CAST(date_add(CAST(:to AS DATE), 1) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND (:workspaces = '' OR array_contains(split(replace(:workspaces, ' ', ''), ','), workspace_id))
      AND job_id IS NOT NULL AND run_id IS NOT NULL AND period_end_time IS NOT NULL
      AND period_end_time >= period_start_time
  ),

  -- Task run slices started in the window (the only link from a job to the all-purpose
  -- clusters and warehouses its tasks used).
  task_rows AS (
    SELECT
      job_id,
      job_run_id,
      unix_timestamp(period_start_time) AS start_s,
      unix_timestamp(period_end_time) AS end_s,
      coalesce(compute_ids, CAST(array() AS ARRAY<STRING>)) AS compute_ids
    FROM system.lakeflow.job_task_run_timeline
    WHERE period_start_time >= CAST(concat(CAST(CAST(:from AS DATE) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND period_start_time < CAST(concat(CAST(date_add(CAST(:to AS DATE), 1) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND (:workspaces = '' OR array_contains(split(replace(:workspaces, ' ', ''), ','), workspace_id))
      AND job_id IS NOT NULL AND job_run_id IS NOT NULL AND period_end_time IS NOT NULL
      AND period_end_time >= period_start_time
  ),

  -- Cluster configuration history (SCD2) up to the end of the window.
  cluster_versions AS (
    SELECT
      coalesce(workspace_id, 'unknown') AS workspace_id,
      cluster_id,
      nullif(regexp_replace(cluster_name, '^\\s+|\\s+$', ''), '') AS cluster_name,
      nullif(cluster_source, '') AS cluster_source,
      unix_timestamp(change_time) AS change_s,
      nullif(driver_node_type, '') AS driver_node_type,
      nullif(worker_node_type, '') AS worker_node_type,
      worker_count,
      min_autoscale_workers,
      max_autoscale_workers,
      aws_attributes.first_on_demand AS first_on_demand,
      nullif(aws_attributes.availability, '') AS availability,
      nullif(worker_instance_pool_id, '') AS pool_id
    FROM system.compute.clusters
    WHERE change_time < CAST(concat(CAST(date_add(CAST(:to AS DATE), 1) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND (:workspaces = '' OR array_contains(split(replace(:workspaces, ' ', ''), ','), workspace_id))
      AND cluster_id IS NOT NULL
  ),

  -- Per-minute node rows started in the window.
  node_rows AS (
    SELECT
      cluster_id,
      instance_id,
      unix_timestamp(start_time) AS start_s,
      unix_timestamp(end_time) AS end_s
    FROM system.compute.node_timeline
    WHERE start_time >= CAST(concat(CAST(CAST(:from AS DATE) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND start_time < CAST(concat(CAST(date_add(CAST(:to AS DATE), 1) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND (:workspaces = '' OR array_contains(split(replace(:workspaces, ' ', ''), ','), workspace_id))
      AND cluster_id IS NOT NULL AND instance_id IS NOT NULL AND end_time IS NOT NULL
      AND end_time >= start_time
  ),

  -- Instance state transitions in the window; spot = availability SPOT (AWS, Azure) or
  -- PREEMPTIBLE (GCP).
  instance_rows AS (
    SELECT
      instance_id,
      nullif(cluster_id, '') AS cluster_id,
      upper(availability_type) IN ('SPOT', 'PREEMPTIBLE') AS is_spot,
      coalesce(state, '') AS state,
      unix_timestamp(event_time) AS time_s
    FROM system.compute.instance_events
    WHERE event_time >= CAST(concat(CAST(CAST(:from AS DATE) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND event_time < CAST(concat(CAST(date_add(CAST(:to AS DATE), 1) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND (:workspaces = '' OR array_contains(split(replace(:workspaces, ' ', ''), ','), workspace_id))
      AND instance_id IS NOT NULL AND availability_type IS NOT NULL
  ),

  -- Warehouse configuration history (SCD2) up to the end of the window.
  warehouse_versions AS (
    SELECT
      coalesce(workspace_id, 'unknown') AS workspace_id,
      warehouse_id,
      nullif(regexp_replace(warehouse_name, '^\\s+|\\s+$', ''), '') AS warehouse_name,
      unix_timestamp(change_time) AS change_s
    FROM system.compute.warehouses
    WHERE change_time < CAST(concat(CAST(date_add(CAST(:to AS DATE), 1) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND (:workspaces = '' OR array_contains(split(replace(:workspaces, ' ', ''), ','), workspace_id))
      AND warehouse_id IS NOT NULL
  ),

  -- Statements started in the window.
  query_rows AS (
    SELECT
      coalesce(workspace_id, 'unknown') AS workspace_id,
      statement_id,
      nullif(compute.warehouse_id, '') AS warehouse_id,
      coalesce(nullif(executed_by, ''), nullif(executed_by_user_id, ''), 'unknown') AS user_id,
      unix_timestamp(start_time) AS start_s,
      coalesce(total_duration_ms,
               (unix_timestamp(end_time) - unix_timestamp(start_time)) * 1000) AS duration_ms,
      nullif(regexp_replace(statement_text, '^\\s+|\\s+$', ''), '') AS sql_text,
      coalesce(nullif(regexp_replace(error_message, '^\\s+|\\s+$', ''), ''),
               CASE WHEN execution_status = 'FAILED'
                    THEN 'FAILED (no error message in the export)' END) AS error_message,
      update_time,
      end_time
    FROM system.query.history
    WHERE start_time >= CAST(concat(CAST(CAST(:from AS DATE) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND start_time < CAST(concat(CAST(date_add(CAST(:to AS DATE), 1) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
      AND (:workspaces = '' OR array_contains(split(replace(:workspaces, ' ', ''), ','), workspace_id))
      AND statement_id IS NOT NULL
      AND (end_time IS NULL OR end_time >= start_time)
  )
SELECT
  'table_coverage' AS extract_kind,
  source_table,
  read_from,
  row_count,
  date_from_unix_date(CAST(floor(first_s / 86400) AS INT)) AS first_date,
  date_from_unix_date(CAST(floor(last_s / 86400) AS INT)) AS last_date
FROM (
  SELECT 1 AS position, 'system.billing.usage' AS source_table, 'system.billing.usage' AS read_from,
         count(*) AS row_count, min(start_s) AS first_s, max(start_s) AS last_s FROM usage_rows
  UNION ALL
  SELECT 2, 'system.billing.list_prices',
         CASE WHEN :prices = 'account' THEN 'system.billing.account_prices' ELSE 'system.billing.list_prices' END,
         count(*), min(start_s), max(start_s) FROM price_rows
  UNION ALL
  SELECT 3, 'system.lakeflow.jobs', 'system.lakeflow.jobs',
         count(*), min(change_s), max(change_s) FROM job_versions
  UNION ALL
  SELECT 4, 'system.lakeflow.job_run_timeline', 'system.lakeflow.job_run_timeline',
         count(*), min(start_s), max(start_s) FROM run_slices
  UNION ALL
  SELECT 5, 'system.lakeflow.job_task_run_timeline', 'system.lakeflow.job_task_run_timeline',
         count(*), min(start_s), max(start_s) FROM task_rows
  UNION ALL
  SELECT 6, 'system.compute.clusters', 'system.compute.clusters',
         count(*), min(change_s), max(change_s) FROM cluster_versions
  UNION ALL
  SELECT 7, 'system.compute.node_timeline', 'system.compute.node_timeline',
         count(*), min(start_s), max(start_s) FROM node_rows
  UNION ALL
  SELECT 8, 'system.compute.instance_events', 'system.compute.instance_events',
         count(*), min(time_s), max(time_s) FROM instance_rows
  UNION ALL
  SELECT 9, 'system.compute.warehouses', 'system.compute.warehouses',
         count(*), min(change_s), max(change_s) FROM warehouse_versions
  UNION ALL
  SELECT 10, 'system.query.history', 'system.query.history',
         count(DISTINCT statement_id), min(start_s), max(start_s) FROM query_rows)
ORDER BY position;
