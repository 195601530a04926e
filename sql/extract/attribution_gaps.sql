-- Databricks Usage Copilot: pre-aggregated extract `attribution_gaps` (see README.md in this folder).
-- One row: spend and the parts of it the reports cannot attribute. Fills ImportReport.gaps.
-- Parameters: :from, :to (dates, inclusive), :workspaces (comma-separated ids, '' = all), :prices ('list' or 'account').
-- Reads: system.billing.usage, system.billing.list_prices (or account_prices).
-- Databricks SQL / Spark SQL. Run as one statement; save the result as attribution_gaps.csv.
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
  )
SELECT
  'attribution_gaps' AS extract_kind,
  total_cost,
  unattributed_cost,
  CASE WHEN abs(total_cost) > 0 THEN round(unattributed_cost / total_cost * 10000) / 100 ELSE 0.0 END
    AS unattributed_share_pct,
  untagged_cost,
  CASE WHEN abs(total_cost) > 0 THEN round(untagged_cost / total_cost * 10000) / 100 ELSE 0.0 END
    AS untagged_share_pct,
  unpriced_dbus,
  other_products_cost
FROM (
  SELECT
    round(coalesce(sum(cost), 0), 6) AS total_cost,
    round(coalesce(sum(CASE WHEN parent_type IN ('SQL_WAREHOUSE', 'APC_CLUSTER') THEN cost END), 0), 6)
      AS unattributed_cost,
    round(coalesce(sum(CASE WHEN untagged THEN cost END), 0), 6) AS untagged_cost,
    round(coalesce(sum(CASE WHEN usd IS NULL THEN dbus END), 0), 6) AS unpriced_dbus,
    round(coalesce(sum(CASE WHEN parent_type IS NULL THEN cost END), 0), 6) AS other_products_cost
  FROM classified);
