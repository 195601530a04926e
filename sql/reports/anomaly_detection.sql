-- Cost anomalies: a daily cost series per job and per shared cluster or warehouse over
-- the selected range, with days without spend as $0. The spec's rolling_zscore transform
-- scores each day against the days before it. The range comes from the filters, whose
-- default is the data's own first and last day, never today's date.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).

-- query: series
WITH RECURSIVE days(d) AS (
    SELECT :from WHERE :from <= :to
    UNION ALL
    SELECT date(d, '+1 day') FROM days WHERE d < :to
),
spend AS (
    SELECT 'job' AS subject_type, r.job_id AS entity_id, u.usage_date AS d, SUM(u.total_cost) AS cost
    FROM compute_usage u
    JOIN job_runs r ON r.job_run_id = u.parent_id
    WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
    GROUP BY r.job_id, u.usage_date
    UNION ALL
    SELECT 'compute', u.parent_id, u.usage_date, SUM(u.total_cost)
    FROM compute_usage u
    WHERE u.parent_type <> 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
    GROUP BY u.parent_id, u.usage_date
),
entities AS (
    SELECT 'job' AS subject_type, job_id AS entity_id, job_name AS entity_label, workspace_id FROM jobs
    UNION ALL
    SELECT 'compute', compute_id, compute_name, workspace_id FROM non_job_compute
),
active AS (
    SELECT e.subject_type, e.entity_id, e.entity_label
    FROM entities e
    WHERE (:workspace IS NULL OR e.workspace_id = :workspace)
      AND EXISTS (SELECT 1 FROM spend s WHERE s.subject_type = e.subject_type AND s.entity_id = e.entity_id)
)
SELECT a.subject_type, a.entity_id, a.entity_label, days.d AS date, COALESCE(s.cost, 0) AS actual_usd
FROM active a
CROSS JOIN days
LEFT JOIN spend s ON s.subject_type = a.subject_type AND s.entity_id = a.entity_id AND s.d = days.d
ORDER BY a.subject_type, a.entity_id, days.d
