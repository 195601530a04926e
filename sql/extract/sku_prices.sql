-- Databricks Usage Copilot: pre-aggregated extract `sku_prices` (see README.md in this folder).
-- Every usable price row (the price table is small). Fills sku_prices.
-- Parameters: :prices ('list' or 'account').
-- Reads: system.billing.list_prices (or account_prices).
-- Databricks SQL / Spark SQL. Run as one statement; save the result as sku_prices.csv.
WITH
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
  )
SELECT
  'sku_prices' AS extract_kind,
  sku_name AS compute_sku,
  cloud,
  currency_code,
  usage_unit,
  timestamp_seconds(start_s) AS price_start_time,
  timestamp_seconds(end_s) AS price_end_time,
  usd AS usd_per_dbu
FROM price_rows
ORDER BY compute_sku, price_start_time, cloud;
