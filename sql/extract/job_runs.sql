-- Databricks Usage Copilot: pre-aggregated extract `job_runs` (see README.md in this folder).
-- One row per job run (hourly slices merged, runs seen only in billing added): outcome, configuration, spot share. Fills job_runs, job_run_spot and instance_pools.
-- Parameters: :from, :to (dates, inclusive), :workspaces (comma-separated ids, '' = all).
-- Reads: system.billing.usage, system.lakeflow.job_run_timeline, system.lakeflow.job_task_run_timeline, system.compute.clusters, system.compute.instance_events, system.compute.node_timeline.
-- Databricks SQL / Spark SQL. Run as one statement; save the result as job_runs.csv.
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

  run_clusters AS (
    SELECT job_id, run_id, start_s, end_s, explode(cluster_ids) AS cluster_id
    FROM runs
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

  -- For each cluster of a run, the version in force at the run's start, or the cluster's
  -- earliest version when it was created after the run started.
  run_cluster_versions AS (
    SELECT * FROM (
      SELECT
        rc.job_id,
        rc.run_id,
        v.*,
        row_number() OVER (
          PARTITION BY rc.job_id, rc.run_id, rc.cluster_id
          ORDER BY CASE WHEN v.change_s <= rc.start_s THEN 0 ELSE 1 END,
                   CASE WHEN v.change_s <= rc.start_s THEN -v.change_s ELSE v.change_s END,
                   v.workspace_id, v.cluster_name, v.cluster_source, v.driver_node_type,
                   v.worker_node_type, v.worker_count, v.min_autoscale_workers,
                   v.max_autoscale_workers, v.first_on_demand, v.availability, v.pool_id) AS version_rank
      FROM run_clusters rc
      JOIN cluster_versions v ON v.cluster_id = rc.cluster_id)
    WHERE version_rank = 1
  ),

  -- The run's configuration: the first of its clusters (by id) that is a job cluster, else
  -- the first that has a version at all.
  run_config AS (
    SELECT * FROM (
      SELECT *,
        row_number() OVER (
          PARTITION BY job_id, run_id
          ORDER BY CASE WHEN cluster_source = 'JOB' THEN 0 ELSE 1 END, cluster_id) AS config_rank
      FROM run_cluster_versions)
    WHERE config_rank = 1
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

  -- Rows of one instance that follow each other end to start merged into one span. The overlap
  -- of such a span with a run is the sum of its rows' overlaps, so nothing is counted
  -- differently; rows that overlap each other stay apart, rows of no length are dropped.
  node_spans AS (
    SELECT cluster_id, instance_id, min(start_s) AS start_s, max(end_s) AS end_s
    FROM (
      SELECT *,
        sum(CASE WHEN start_s = prev_end THEN 0 ELSE 1 END) OVER (
          PARTITION BY cluster_id, instance_id ORDER BY start_s, end_s
          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS span
      FROM (
        SELECT *,
          lag(end_s) OVER (PARTITION BY cluster_id, instance_id ORDER BY start_s, end_s) AS prev_end
        FROM node_rows
        WHERE end_s > start_s))
    GROUP BY cluster_id, instance_id, span
  ),

  -- Instances seen (any state) on a run's clusters, with their availability.
  run_labels AS (
    SELECT rc.job_id, rc.run_id, e.instance_id,
           max_by(e.is_spot, struct(e.cluster_id, e.time_s, e.state, e.is_spot)) AS is_spot
    FROM run_clusters rc
    JOIN instance_rows e ON e.cluster_id = rc.cluster_id
    GROUP BY rc.job_id, rc.run_id, e.instance_id
  ),

  -- Node seconds of labelled instances within the run's span, and the spot part of them.
  run_node_seconds AS (
    SELECT
      l.job_id,
      l.run_id,
      sum(least(n.end_s, rc.end_s) - greatest(n.start_s, rc.start_s)) AS node_s,
      sum(CASE WHEN l.is_spot THEN least(n.end_s, rc.end_s) - greatest(n.start_s, rc.start_s)
               ELSE 0 END) AS spot_s
    FROM run_clusters rc
    JOIN node_spans n ON n.cluster_id = rc.cluster_id
    JOIN run_labels l
      ON l.job_id = rc.job_id AND l.run_id = rc.run_id AND l.instance_id = n.instance_id
    WHERE least(n.end_s, rc.end_s) > greatest(n.start_s, rc.start_s)
    GROUP BY l.job_id, l.run_id
  ),

  -- Fallback when no node seconds overlap the run: the share of spot instances placed on
  -- the run's clusters by the run's end.
  run_placed AS (
    SELECT job_id, run_id, CAST(count_if(is_spot) AS DOUBLE) / count(*) AS placed_share
    FROM (
      SELECT rc.job_id, rc.run_id, e.instance_id,
             max_by(e.is_spot, struct(e.cluster_id, e.time_s, e.state, e.is_spot)) AS is_spot
      FROM run_clusters rc
      JOIN instance_rows e ON e.cluster_id = rc.cluster_id
      WHERE e.state = 'INSTANCE_PLACED' AND e.time_s <= rc.end_s
      GROUP BY rc.job_id, rc.run_id, e.instance_id)
    GROUP BY job_id, run_id
  )
SELECT
  'job_runs' AS extract_kind,
  run_id AS job_run_id,
  job_id,
  workspace_id,
  timestamp_seconds(start_s) AS start_time,
  timestamp_seconds(end_s) AS end_time,
  (end_s - start_s) * 1000 AS duration_ms,
  run_status,
  CASE WHEN NOT from_timeline THEN 'no system.lakeflow.job_run_timeline row: outcome unknown'
       WHEN run_status = 'FAILED'
         THEN concat('result_state ', outcome.result_state, ', termination_code ',
                     coalesce(outcome.termination_code, 'none')) END AS error_summary,
  driver_node_type AS driver_instance_type,
  worker_node_type AS worker_instance_type,
  pool_id AS instance_pool_id,
  min_autoscale_workers AS min_nodes,
  max_autoscale_workers AS max_nodes,
  worker_count AS fixed_nodes,
  CASE WHEN worker_count IS NULL AND max_autoscale_workers IS NOT NULL THEN 1 ELSE 0 END
    AS is_autoscaling_enabled,
  round(coalesce(observed_spot, configured_spot, 0.0), 6) AS spot_ratio,
  CASE WHEN observed_spot IS NOT NULL THEN 'observed'
       WHEN configured_spot IS NOT NULL THEN 'configured'
       ELSE 'unknown' END AS spot_source
FROM (
  SELECT
    r.*,
    c.driver_node_type, c.worker_node_type, c.pool_id, c.worker_count,
    c.min_autoscale_workers, c.max_autoscale_workers,
    CASE WHEN NOT r.from_timeline OR r.outcome IS NULL THEN 'RUNNING'
         WHEN r.outcome.result_state IN ('SUCCEEDED', 'SUCCESS') THEN 'SUCCESS'
         WHEN r.outcome.result_state IN ('SKIPPED', 'BLOCKED') THEN 'SKIPPED'
         ELSE 'FAILED' END AS run_status,
    -- Observed: node seconds by instance availability, else the share of spot instances placed.
    CASE WHEN l.run_id IS NULL THEN NULL
         WHEN ns.node_s > 0 THEN CAST(ns.spot_s AS DOUBLE) / ns.node_s
         ELSE pl.placed_share END AS observed_spot,
    -- Configured (aws_attributes): the first first_on_demand nodes (driver included, 1 when
    -- unset) are on demand, the rest follow the availability.
    CASE WHEN c.availability IS NULL OR coalesce(c.worker_count, c.max_autoscale_workers) IS NULL THEN NULL
         WHEN c.availability IN ('SPOT', 'SPOT_WITH_FALLBACK')
           THEN CAST(coalesce(c.worker_count, c.max_autoscale_workers) + 1
                     - least(greatest(coalesce(c.first_on_demand, 1), 0),
                             coalesce(c.worker_count, c.max_autoscale_workers) + 1) AS DOUBLE)
                / (coalesce(c.worker_count, c.max_autoscale_workers) + 1)
         ELSE 0.0 END AS configured_spot
  FROM runs r
  LEFT JOIN run_config c ON c.job_id = r.job_id AND c.run_id = r.run_id
  LEFT JOIN (SELECT DISTINCT job_id, run_id FROM run_labels) l
    ON l.job_id = r.job_id AND l.run_id = r.run_id
  LEFT JOIN run_node_seconds ns ON ns.job_id = r.job_id AND ns.run_id = r.run_id
  LEFT JOIN run_placed pl ON pl.job_id = r.job_id AND pl.run_id = r.run_id)
ORDER BY job_id, job_run_id;
