-- Cost anomalies: daily cost per job and per shared cluster or warehouse over the selected
-- range. Only days with spend come from SQL; the spec's rolling_zscore transform fills the
-- other days of the range with $0 and scores each day against the days before it. The
-- range comes from the filters, whose default is the data's own first and last day, never
-- today's date.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).

-- query: series
WITH spend AS (
    SELECT 'job' AS subject_type, r.job_id AS entity_id, u.usage_date AS date, SUM(u.total_cost) AS actual_usd
    FROM compute_usage u
    JOIN job_runs r ON r.job_run_id = u.parent_id
    WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
    GROUP BY r.job_id, u.usage_date
    UNION ALL
    SELECT 'compute', u.parent_id, u.usage_date, SUM(u.total_cost)
    FROM compute_usage u
    WHERE u.parent_type <> 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
    GROUP BY u.parent_id, u.usage_date
)
SELECT s.subject_type, s.entity_id, COALESCE(j.job_name, c.compute_name, s.entity_id) AS entity_label, s.date, s.actual_usd
FROM spend s
LEFT JOIN jobs j ON s.subject_type = 'job' AND j.job_id = s.entity_id
LEFT JOIN non_job_compute c ON s.subject_type = 'compute' AND c.compute_id = s.entity_id
WHERE (:workspace IS NULL OR COALESCE(j.workspace_id, c.workspace_id) = :workspace)
