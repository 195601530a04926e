-- Databricks Usage Copilot: pre-aggregated extract `workspaces` (see README.md in this folder).
-- One row per workspace any extracted row names. Fills workspace.
-- Parameters: :from, :to (dates, inclusive), :workspaces (comma-separated ids, '' = all).
-- Reads: system.billing.usage, system.lakeflow.job_run_timeline, system.lakeflow.job_task_run_timeline, system.lakeflow.jobs, system.compute.clusters, system.compute.warehouses, system.query.history.
-- Databricks SQL / Spark SQL. Run as one statement; save the result as workspaces.csv.
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

  -- One run per (job_id, run_id): first start, last end, the outcome of the latest slice
  -- (by end, then start) that has a result_state, the workspace of the earliest slice.
  timeline_runs AS (
    SELECT
      job_id,
      run_id,
      min_by(workspace_id, struct(end_s, start_s)) AS workspace_id,
      min(start_s) AS start_s,
      max(end_s) AS end_s,
      max_by(struct(result_state, termination_code), struct(end_s, start_s))
        FILTER (WHERE result_state IS NOT NULL) AS outcome,
      array_distinct(flatten(collect_list(compute_ids))) AS cluster_ids
    FROM run_slices
    GROUP BY job_id, run_id
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

  -- Runs as billing sees them: usage rows with job_id and job_run_id, their span and clusters.
  billed_runs AS (
    SELECT
      job_id,
      job_run_id AS run_id,
      min(workspace_id) AS workspace_id,
      min(start_s) AS start_s,
      max(end_s) AS end_s,
      collect_set(cluster_id) AS cluster_ids
    FROM usage_rows
    WHERE job_id IS NOT NULL AND job_run_id IS NOT NULL
    GROUP BY job_id, job_run_id
  ),

  -- Every run: timeline runs, plus runs seen only in billing (outcome unknown, span of their
  -- usage rows). Clusters: the run's compute_ids, its task runs' compute_ids (timeline runs
  -- only) and the cluster_id of its usage rows.
  runs AS (
    SELECT
      coalesce(t.job_id, b.job_id) AS job_id,
      coalesce(t.run_id, b.run_id) AS run_id,
      coalesce(t.workspace_id, b.workspace_id) AS workspace_id,
      coalesce(t.start_s, b.start_s) AS start_s,
      coalesce(t.end_s, b.end_s) AS end_s,
      t.job_id IS NOT NULL AS from_timeline,
      t.outcome,
      array_sort(array_distinct(concat(
        coalesce(t.cluster_ids, CAST(array() AS ARRAY<STRING>)),
        coalesce(k.cluster_ids, CAST(array() AS ARRAY<STRING>)),
        coalesce(b.cluster_ids, CAST(array() AS ARRAY<STRING>))))) AS cluster_ids
    FROM timeline_runs t
    FULL OUTER JOIN billed_runs b
      ON b.job_id = t.job_id AND b.run_id = t.run_id
    LEFT JOIN (
      SELECT job_id, job_run_id, array_distinct(flatten(collect_list(compute_ids))) AS cluster_ids
      FROM task_rows
      GROUP BY job_id, job_run_id) k
      ON k.job_id = t.job_id AND k.job_run_id = t.run_id
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
  ),

  -- Every workspace any imported row names.
  all_workspaces AS (
    SELECT workspace_id FROM usage_rows
    UNION SELECT workspace_id FROM job_versions
    UNION SELECT workspace_id FROM runs
    UNION SELECT workspace_id FROM cluster_versions
    UNION SELECT workspace_id FROM warehouse_versions
    UNION SELECT workspace_id FROM query_rows
  )
SELECT
  'workspaces' AS extract_kind,
  workspace_id,
  concat('Workspace ', workspace_id) AS workspace_name
FROM all_workspaces
ORDER BY workspace_id;
