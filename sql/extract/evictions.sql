-- Databricks Usage Copilot: pre-aggregated extract `evictions` (see README.md in this folder).
-- Spot instances lost while a job run was going, numbered in (job, run, time) order. Fills eviction_details and events; the row count is ImportReport.gaps.evictions.
-- Parameters: :from, :to (dates, inclusive), :workspaces (comma-separated ids, '' = all).
-- Reads: system.billing.usage, system.lakeflow.job_run_timeline, system.lakeflow.job_task_run_timeline, system.compute.instance_events.
-- Databricks SQL / Spark SQL. Run as one statement; save the result as evictions.csv.
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

  -- Spot instances that terminated, once for every cluster the instance was seen on.
  termination_clusters AS (
    SELECT DISTINCT t.instance_id, t.time_s, t.cluster_id AS event_cluster, p.cluster_id
    FROM instance_rows t
    JOIN (SELECT DISTINCT instance_id, cluster_id FROM instance_rows WHERE cluster_id IS NOT NULL) p
      ON p.instance_id = t.instance_id
    WHERE t.is_spot AND t.state = 'INSTANCE_TERMINATED'
  ),

  -- A spot termination on one of a run's clusters strictly after the run started and more
  -- than a minute before it ended; counted once per run however many clusters lead to it.
  run_evictions AS (
    SELECT DISTINCT rc.job_id, rc.run_id, tc.instance_id, tc.time_s, tc.event_cluster
    FROM run_clusters rc
    JOIN termination_clusters tc ON tc.cluster_id = rc.cluster_id
    WHERE tc.time_s > rc.start_s AND tc.time_s < rc.end_s - 60
  ),

  -- The next start of another run of the same job (for was_retried: a run of the same job
  -- starting later, less than six hours after this one ended).
  run_next_start AS (
    SELECT job_id, run_id, end_s,
      min(start_s) OVER (
        PARTITION BY job_id ORDER BY start_s
        RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_start
    FROM runs
  )
SELECT
  'evictions' AS extract_kind,
  eviction_seq,
  concat('EVICT-', run_id, '-', instance_id, '-', CAST(eviction_seq AS STRING)) AS eviction_id,
  run_id AS job_run_id,
  job_id,
  instance_id AS cloud_instance_id,
  timestamp_seconds(time_s) AS eviction_time,
  was_retried
FROM (
  SELECT
    e.job_id,
    e.run_id,
    e.instance_id,
    e.time_s,
    row_number() OVER (ORDER BY e.job_id, e.run_id, e.time_s, e.instance_id, e.event_cluster) AS eviction_seq,
    CASE WHEN n.next_start IS NOT NULL AND n.next_start - n.end_s < 21600 THEN 1 ELSE 0 END AS was_retried
  FROM run_evictions e
  JOIN run_next_start n ON n.job_id = e.job_id AND n.run_id = e.run_id)
ORDER BY eviction_seq;
