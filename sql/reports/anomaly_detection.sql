-- Cost anomalies: daily cost per job and per shared cluster or warehouse over the selected
-- range. Only days with spend come from SQL; the spec's rolling_zscore transform fills the
-- other days of the range with $0 and scores each day against the days before it. The
-- range comes from the filters, whose default is the data's own first and last day, never
-- today's date.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
-- Reads the series aggregate (agg_series, see sql/create_usage_tables.sql): one row per
-- entity whose daily series is packed (its days in the range are cut out of two BLOBs, and
-- the transform unpacks them), or, for an entity with dates that are not calendar dates,
-- one row per date with spend (agg_series_day), as the raw rows give them.

-- query: series
WITH entity AS (
    SELECT s.subject_type, s.entity_id, COALESCE(j.job_name, c.compute_name, s.entity_id) AS entity_label,
           s.regular, s.first_day, s.kinds, s.costs
    FROM agg_series s
    LEFT JOIN jobs j ON s.subject_type = 'job' AND j.job_id = s.entity_id
    LEFT JOIN non_job_compute c ON s.subject_type = 'compute' AND c.compute_id = s.entity_id
    WHERE (:workspace IS NULL OR COALESCE(j.workspace_id, c.workspace_id) = :workspace)
),
sliced AS (
    SELECT e.*,
           MAX(0, CAST(julianday(:from) - julianday(e.first_day) AS INTEGER)) AS a,
           MIN(length(e.kinds), CAST(julianday(:to) - julianday(e.first_day) AS INTEGER) + 1) AS b
    FROM entity e
    WHERE e.regular = 1
)
SELECT subject_type, entity_id, entity_label, NULL AS date, NULL AS actual_usd,
       date(first_day, '+' || a || ' days') AS series_from,
       substr(kinds, a + 1, b - a) AS day_kinds,
       substr(costs, 8 * a + 1, 8 * (b - a)) AS day_values
FROM sliced
WHERE a < b
UNION ALL
SELECT e.subject_type, e.entity_id, e.entity_label, d.day, d.actual_usd, NULL, NULL, NULL
FROM entity e
JOIN agg_series_day d ON d.subject_type = e.subject_type AND d.entity_id = e.entity_id AND d.day BETWEEN :from AND :to
WHERE e.regular = 0
