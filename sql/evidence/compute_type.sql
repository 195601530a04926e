-- Evidence about one compute type (copilot::evidence::compute_type): JOB_RUN,
-- APC_CLUSTER or SQL_WAREHOUSE. Each query below is one fact's SQL.
-- Parameters: :type (compute type), :from, :to (inclusive dates), :workspace (NULL = all).
-- Columns are read by name; every computed column has an alias.

-- query: top_jobs
-- The five jobs with the most spend on job compute.
SELECT r.job_id AS id, j.job_name AS name, SUM(u.total_cost) AS cost, AVG(u.avg_cpu_utilization) AS cpu, NULL AS peak_users
FROM compute_usage u
JOIN job_runs r ON r.job_run_id = u.parent_id
JOIN jobs j ON j.job_id = r.job_id
WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
  AND (:workspace IS NULL OR j.workspace_id = :workspace)
GROUP BY r.job_id ORDER BY cost DESC, id LIMIT 5

-- query: top_resources
-- The five clusters or warehouses of the type with the most spend.
SELECT u.parent_id AS id, c.compute_name AS name, SUM(u.total_cost) AS cost, AVG(u.avg_cpu_utilization) AS cpu,
       MAX(u.peak_concurrent_users) AS peak_users
FROM compute_usage u
JOIN non_job_compute c ON c.compute_id = u.parent_id
WHERE u.parent_type = :type AND u.usage_date BETWEEN :from AND :to
  AND (:workspace IS NULL OR c.workspace_id = :workspace)
GROUP BY u.parent_id ORDER BY cost DESC, id LIMIT 5

-- query: daily
-- The type's cost per day with spend.
SELECT u.usage_date AS day, SUM(u.total_cost) AS cost FROM compute_usage u
LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
LEFT JOIN jobs j ON j.job_id = r.job_id
LEFT JOIN non_job_compute c ON u.parent_type <> 'JOB_RUN' AND c.compute_id = u.parent_id
WHERE u.parent_type = :type AND u.usage_date BETWEEN :from AND :to
  AND (:workspace IS NULL OR COALESCE(j.workspace_id, c.workspace_id) = :workspace)
GROUP BY u.usage_date ORDER BY u.usage_date

-- query: failing_jobs
-- Jobs with failed or skipped runs, most failures first.
SELECT r.job_id, COUNT(*) AS runs, SUM(r.run_status = 'FAILED') AS failed, SUM(r.run_status = 'SKIPPED') AS skipped
FROM job_runs r JOIN jobs j ON j.job_id = r.job_id
WHERE date(r.start_time) BETWEEN :from AND :to AND (:workspace IS NULL OR j.workspace_id = :workspace)
GROUP BY r.job_id HAVING failed > 0 OR skipped > 0
ORDER BY failed DESC, skipped DESC, r.job_id LIMIT 5

-- query: evictions_by_job
-- Spot evictions per job, most first.
SELECT r.job_id, COUNT(*) AS evictions FROM events e
JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id AND u.parent_type = 'JOB_RUN'
JOIN job_runs r ON r.job_run_id = u.parent_id
JOIN jobs j ON j.job_id = r.job_id
WHERE e.event_type = 'SPOT_EVICTION' AND date(e.event_time) BETWEEN :from AND :to
  AND (:workspace IS NULL OR j.workspace_id = :workspace)
GROUP BY r.job_id ORDER BY evictions DESC, r.job_id LIMIT 5

-- query: query_errors
-- The most frequent errors of ad-hoc SQL queries.
SELECT q.error_message AS error, COUNT(*) AS queries, group_concat(DISTINCT q.parent_id) AS warehouses,
       group_concat(DISTINCT q.user_id) AS users
FROM sql_query_history q JOIN non_job_compute c ON c.compute_id = q.parent_id
WHERE q.error_message IS NOT NULL AND TRIM(q.error_message) <> '' AND date(q.start_time) BETWEEN :from AND :to
  AND (:workspace IS NULL OR c.workspace_id = :workspace)
GROUP BY q.error_message ORDER BY queries DESC, error LIMIT 4

-- query: query_totals
-- All ad-hoc SQL queries: how many, how many failed, the slowest.
SELECT COUNT(*) AS queries, SUM(q.error_message IS NOT NULL AND TRIM(q.error_message) <> '') AS failed,
       MAX(q.duration_ms) / 1000.0 AS slowest_s
FROM sql_query_history q JOIN non_job_compute c ON c.compute_id = q.parent_id
WHERE date(q.start_time) BETWEEN :from AND :to AND (:workspace IS NULL OR c.workspace_id = :workspace)

-- query: spike_days
-- Days a cluster or warehouse cost more than 1.5 times its mean day.
WITH daily AS (
    SELECT u.parent_id, u.usage_date, SUM(u.total_cost) AS cost FROM compute_usage u
    JOIN non_job_compute c ON c.compute_id = u.parent_id
    WHERE u.parent_type = :type AND u.usage_date BETWEEN :from AND :to
      AND (:workspace IS NULL OR c.workspace_id = :workspace)
    GROUP BY u.parent_id, u.usage_date
),
typical AS (SELECT parent_id, AVG(cost) AS mean FROM daily GROUP BY parent_id)
SELECT d.parent_id AS id, d.usage_date AS day, d.cost, t.mean FROM daily d JOIN typical t ON t.parent_id = d.parent_id
WHERE d.cost > 1.5 * t.mean ORDER BY d.usage_date, d.parent_id LIMIT 8
