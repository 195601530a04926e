-- Databricks Usage Copilot: pre-aggregated extract `sql_queries` (see README.md in this folder).
-- One row per statement that ran on a SQL warehouse. Fills sql_query_history.
-- Parameters: :from, :to (dates, inclusive), :workspaces (comma-separated ids, '' = all).
-- Reads: system.query.history.
-- Databricks SQL / Spark SQL. Run as one statement; save the result as sql_queries.csv.
WITH
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
  'sql_queries' AS extract_kind,
  statement_id AS query_id,
  warehouse_id AS parent_id,
  user_id,
  workspace_id,
  timestamp_seconds(start_s) AS start_time,
  duration_ms,
  sql_text,
  error_message
FROM (
  -- Copies of one statement: the latest update_time, then the latest end_time (whole seconds,
  -- as the importer reads them), then the smallest by content, as the importer keeps copies.
  SELECT *,
    row_number() OVER (PARTITION BY statement_id
                       ORDER BY unix_timestamp(update_time) DESC NULLS LAST,
                                unix_timestamp(end_time) DESC NULLS LAST,
                                start_s, workspace_id, warehouse_id, user_id, duration_ms, sql_text,
                                error_message) AS copy_rank
  FROM query_rows)
WHERE copy_rank = 1 AND warehouse_id IS NOT NULL
ORDER BY query_id;
