-- Databricks Usage Copilot: pre-aggregated extract `task_attribution` (see README.md in this folder).
-- Per job: the cost on all-purpose clusters and warehouses its task runs overlap. Fills ImportReport.gaps.attributable_by_tasks.
-- Parameters: :from, :to (dates, inclusive), :workspaces (comma-separated ids, '' = all), :prices ('list' or 'account').
-- Reads: system.billing.usage, system.billing.list_prices (or account_prices), system.lakeflow.job_task_run_timeline.
-- Databricks SQL / Spark SQL. Run as one statement; save the result as task_attribution.csv.
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

  -- Priced usage on all-purpose clusters and warehouses (no job attribution in billing), by
  -- compute and usage window.
  unattributed_cells AS (
    SELECT coalesce(warehouse_id, cluster_id) AS compute_id, start_s, end_s, sum(cost) AS cost
    FROM classified
    WHERE parent_type IN ('SQL_WAREHOUSE', 'APC_CLUSTER') AND usd IS NOT NULL
    GROUP BY 1, 2, 3
  ),

  -- Task run slices per compute id they name and per hour they touch (hours only narrow the
  -- join; a slice and a usage window that share no hour cannot overlap).
  task_hours AS (
    SELECT job_id, start_s, end_s, compute_id,
           explode(sequence(CAST(floor(start_s / 3600) AS BIGINT), CAST(floor((end_s - 1) / 3600) AS BIGINT))) AS hour
    FROM (
      SELECT job_id, start_s, end_s, explode(array_distinct(compute_ids)) AS compute_id
      FROM task_rows
      WHERE end_s > start_s)
  ),

  -- The part of each task slice inside each usage window of the same compute.
  task_spans AS (
    SELECT DISTINCT c.compute_id, c.start_s AS cell_start, c.end_s AS cell_end, t.job_id,
           greatest(t.start_s, c.start_s) AS s, least(t.end_s, c.end_s) AS e
    FROM (
      SELECT *, explode(sequence(CAST(floor(start_s / 3600) AS BIGINT), CAST(floor((end_s - 1) / 3600) AS BIGINT))) AS hour
      FROM unattributed_cells
      WHERE end_s > start_s) c
    JOIN task_hours t ON t.compute_id = c.compute_id AND t.hour = c.hour
    WHERE greatest(t.start_s, c.start_s) < least(t.end_s, c.end_s)
  ),

  -- Seconds of each usage window covered by each job's task slices (overlaps counted once).
  job_seconds AS (
    SELECT compute_id, cell_start, cell_end, job_id, sum(e - s) AS seconds
    FROM (
      SELECT compute_id, cell_start, cell_end, job_id, island, min(s) AS s, max(e) AS e
      FROM (
        SELECT *,
          sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END) OVER (
            PARTITION BY compute_id, cell_start, cell_end, job_id ORDER BY s, e
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island
        FROM (
          SELECT *,
            max(e) OVER (
              PARTITION BY compute_id, cell_start, cell_end, job_id ORDER BY s, e
              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
          FROM task_spans))
      GROUP BY compute_id, cell_start, cell_end, job_id, island)
    GROUP BY compute_id, cell_start, cell_end, job_id
  ),

  -- Seconds of each usage window covered by any task slice (overlaps counted once).
  cell_seconds AS (
    SELECT compute_id, cell_start, cell_end, sum(e - s) AS seconds
    FROM (
      SELECT compute_id, cell_start, cell_end, island, min(s) AS s, max(e) AS e
      FROM (
        SELECT *,
          sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END) OVER (
            PARTITION BY compute_id, cell_start, cell_end ORDER BY s, e
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island
        FROM (
          SELECT *,
            max(e) OVER (
              PARTITION BY compute_id, cell_start, cell_end ORDER BY s, e
              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
          FROM task_spans))
      GROUP BY compute_id, cell_start, cell_end, island)
    GROUP BY compute_id, cell_start, cell_end
  )
SELECT
  'task_attribution' AS extract_kind,
  j.job_id,
  round(sum(u.cost * (c.seconds / greatest(j.cell_end - j.cell_start, 1)) * (j.seconds / t.seconds)), 6)
    AS attributable_cost
FROM job_seconds j
JOIN cell_seconds c
  ON c.compute_id = j.compute_id AND c.cell_start = j.cell_start AND c.cell_end = j.cell_end
JOIN (
  SELECT compute_id, cell_start, cell_end, sum(seconds) AS seconds
  FROM job_seconds
  GROUP BY compute_id, cell_start, cell_end) t
  ON t.compute_id = j.compute_id AND t.cell_start = j.cell_start AND t.cell_end = j.cell_end
JOIN unattributed_cells u
  ON u.compute_id = j.compute_id AND u.start_s = j.cell_start AND u.end_s = j.cell_end
GROUP BY j.job_id
ORDER BY j.job_id;
