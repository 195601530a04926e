-- Databricks Usage Copilot: pre-aggregated extract `non_job_compute` (see README.md in this folder).
-- One row per all-purpose cluster or SQL warehouse named by usage, the warehouses table or query history. Fills non_job_compute.
-- Parameters: :from, :to (dates, inclusive), :workspaces (comma-separated ids, '' = all), :prices ('list' or 'account').
-- Reads: system.billing.usage, system.lakeflow.job_run_timeline, system.lakeflow.job_task_run_timeline, system.billing.list_prices (or account_prices), system.lakeflow.jobs, system.compute.clusters, system.compute.warehouses, system.query.history.
-- Databricks SQL / Spark SQL. Run as one statement; save the result as non_job_compute.csv.
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

  -- Rows that differ only in their quantity (an ORIGINAL with its RETRACTION and RESTATEMENT)
  -- summed: cost is linear in the quantity, so pricing the sum equals summing priced rows.
  usage_cells AS (
    SELECT workspace_id, sku_name, cloud, start_s, end_s, usage_day, job_id, job_run_id, job_name,
           cluster_id, warehouse_id, node_type, untagged,
           CAST(sum(usage_quantity) AS DOUBLE) AS dbus
    FROM usage_rows
    GROUP BY ALL
  ),

  -- The price of each cell: its SKU's price valid at the usage start time (start inclusive,
  -- end exclusive), cloud equal or unknown on either side; among several, the latest start,
  -- then a row of exactly the cell's cloud, then the smallest cloud, then the lowest price.
  priced_cells AS (
    SELECT c.workspace_id, c.sku_name, c.cloud, c.start_s, c.end_s, c.usage_day, c.job_id,
           c.job_run_id, c.job_name, c.cluster_id, c.warehouse_id, c.node_type, c.untagged, c.dbus,
           min_by(p.usd, struct(-p.start_s, CASE WHEN p.cloud = c.cloud THEN 0 ELSE 1 END, coalesce(p.cloud, ''), p.usd)) AS usd
    FROM usage_cells c
    LEFT JOIN price_rows p
      ON p.sku_name = c.sku_name
     AND (p.cloud IS NULL OR c.cloud IS NULL OR p.cloud = c.cloud)
     AND p.start_s <= c.start_s
     AND (p.end_s IS NULL OR c.start_s < p.end_s)
    GROUP BY ALL
  ),

  -- The parent each cell is billed to: a job run when the row names both job_id and
  -- job_run_id, else its warehouse, else its (all-purpose) cluster; no parent = other product.
  classified AS (
    SELECT *,
      dbus * usd AS cost,
      CASE WHEN job_id IS NOT NULL AND job_run_id IS NOT NULL THEN 'JOB_RUN'
           WHEN job_id IS NULL AND warehouse_id IS NOT NULL THEN 'SQL_WAREHOUSE'
           WHEN job_id IS NULL AND cluster_id IS NOT NULL THEN 'APC_CLUSTER' END AS parent_type,
      CASE WHEN job_id IS NOT NULL AND job_run_id IS NOT NULL THEN job_run_id
           WHEN job_id IS NULL AND warehouse_id IS NOT NULL THEN warehouse_id
           WHEN job_id IS NULL THEN cluster_id END AS parent_id
    FROM priced_cells
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
  'non_job_compute' AS extract_kind,
  ids.compute_id,
  coalesce(CASE WHEN ids.compute_type = 'SQL_WAREHOUSE' THEN wn.warehouse_name ELSE cn.cluster_name END,
           ids.compute_id) AS compute_name,
  ids.compute_type,
  coalesce(ww.workspace_id, cw.workspace_id, uw.workspace_id,
           (SELECT min(workspace_id) FROM all_workspaces)) AS workspace_id
FROM (
  SELECT compute_id,
         CASE WHEN max(in_warehouses) = 1 THEN 'SQL_WAREHOUSE'
              ELSE coalesce(max(usage_kind), 'SQL_WAREHOUSE') END AS compute_type
  FROM (
    SELECT parent_id AS compute_id, parent_type AS usage_kind, 0 AS in_warehouses
    FROM classified WHERE parent_type IN ('SQL_WAREHOUSE', 'APC_CLUSTER')
    UNION ALL
    SELECT warehouse_id, NULL, 1 FROM warehouse_versions
    UNION ALL
    SELECT warehouse_id, NULL, 0 FROM query_rows WHERE warehouse_id IS NOT NULL)
  GROUP BY compute_id) ids
LEFT JOIN (SELECT warehouse_id, min_by(warehouse_name, struct(-change_s, workspace_id, warehouse_name)) AS warehouse_name
           FROM warehouse_versions GROUP BY warehouse_id) wn
  ON wn.warehouse_id = ids.compute_id
LEFT JOIN (SELECT cluster_id,
                  min_by(cluster_name, struct(-change_s, workspace_id, cluster_name, cluster_source,
                                              driver_node_type, worker_node_type, worker_count,
                                              min_autoscale_workers, max_autoscale_workers,
                                              first_on_demand, availability, pool_id)) AS cluster_name
           FROM cluster_versions GROUP BY cluster_id) cn
  ON cn.cluster_id = ids.compute_id
LEFT JOIN (SELECT warehouse_id, min(workspace_id) AS workspace_id FROM warehouse_versions GROUP BY warehouse_id) ww
  ON ww.warehouse_id = ids.compute_id
LEFT JOIN (SELECT cluster_id, min(workspace_id) AS workspace_id FROM cluster_versions GROUP BY cluster_id) cw
  ON cw.cluster_id = ids.compute_id
LEFT JOIN (
  SELECT compute_id, min(workspace_id) AS workspace_id
  FROM (SELECT warehouse_id AS compute_id, workspace_id FROM usage_rows WHERE warehouse_id IS NOT NULL
        UNION ALL
        SELECT cluster_id, workspace_id FROM usage_rows WHERE cluster_id IS NOT NULL)
  GROUP BY compute_id) uw
  ON uw.compute_id = ids.compute_id
ORDER BY compute_id;
