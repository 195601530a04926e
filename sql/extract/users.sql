-- Databricks Usage Copilot: pre-aggregated extract `users` (see README.md in this folder).
-- One row per user who ran a statement. Fills users_lookup.
-- Parameters: :from, :to (dates, inclusive), :workspaces (comma-separated ids, '' = all).
-- Reads: system.query.history.
-- Databricks SQL / Spark SQL. Run as one statement; save the result as users.csv.
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
  'users' AS extract_kind,
  user_id,
  min(workspace_id) AS user_workspace_id
FROM query_rows
GROUP BY user_id
ORDER BY user_id;
