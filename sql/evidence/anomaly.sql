-- Evidence about one anomaly, a job's or resource's cost on one day
-- (copilot::evidence::anomaly). Parameters: :id (job or resource id), :day, :from, :to.
-- Columns are read by name; every computed column has an alias.

-- query: day_runs
-- The job's runs on the day.
SELECT job_run_id, run_status, substr(start_time, 12, 5) AS started, COALESCE(duration_ms, 0) / 60000.0 AS minutes,
       COALESCE(error_summary, '') AS error, COALESCE(spot_ratio, 0) AS spot_ratio
FROM job_runs WHERE job_id = :id AND date(start_time) = :day ORDER BY start_time, job_run_id

-- query: typical_runs
-- The job's runs per day with runs, over the range.
SELECT COUNT(*) * 1.0 / COUNT(DISTINCT date(start_time)) AS runs_per_day FROM job_runs
WHERE job_id = :id AND date(start_time) BETWEEN :from AND :to

-- query: day_usage
-- The resource's usage on the day.
SELECT SUM(u.dbus_consumed) AS dbus, SUM(u.total_cost) AS cost, AVG(u.avg_cpu_utilization) AS cpu,
       MAX(u.peak_concurrent_users) AS peak_users, c.compute_type
FROM compute_usage u JOIN non_job_compute c ON c.compute_id = u.parent_id
WHERE u.parent_id = :id AND u.usage_date = :day GROUP BY c.compute_type

-- query: day_queries
-- The warehouse's ad-hoc SQL queries on the day.
SELECT COUNT(*) AS queries, SUM(error_message IS NOT NULL AND TRIM(error_message) <> '') AS failed,
       MAX(duration_ms) / 1000.0 AS slowest_s
FROM sql_query_history WHERE parent_id = :id AND date(start_time) = :day
