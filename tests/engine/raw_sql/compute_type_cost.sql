-- Total Cost by Compute Type: spend of job compute, all-purpose clusters and SQL
-- warehouses, their daily trend (days without spend count as $0) and volatility.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
-- The workspace filter keeps usage whose run's job, or whose cluster or warehouse, is in
-- the workspace; with all workspaces it costs nothing.

-- query: daily
WITH RECURSIVE days(d) AS (
    SELECT :from WHERE :from <= :to
    UNION ALL
    SELECT date(d, '+1 day') FROM days WHERE d < :to
),
in_scope(parent_type, parent_id) AS (
    SELECT 'JOB_RUN', r.job_run_id FROM job_runs r JOIN jobs j ON j.job_id = r.job_id WHERE j.workspace_id = :workspace
    UNION ALL
    SELECT c.compute_type, c.compute_id FROM non_job_compute c WHERE c.workspace_id = :workspace
),
spend AS (
    SELECT u.parent_type AS compute_type, u.usage_date AS d, SUM(u.total_cost) AS cost
    FROM compute_usage u
    WHERE u.usage_date BETWEEN :from AND :to
      AND (:workspace IS NULL OR (u.parent_type, u.parent_id) IN (SELECT parent_type, parent_id FROM in_scope))
    GROUP BY u.parent_type, u.usage_date
),
types AS (SELECT DISTINCT compute_type FROM spend)
SELECT t.compute_type, days.d AS date, COALESCE(s.cost, 0) AS cost_usd
FROM types t
CROSS JOIN days
LEFT JOIN spend s ON s.compute_type = t.compute_type AND s.d = days.d
ORDER BY t.compute_type, days.d

-- query: rows
WITH RECURSIVE days(d) AS (
    SELECT :from WHERE :from <= :to
    UNION ALL
    SELECT date(d, '+1 day') FROM days WHERE d < :to
),
in_scope(parent_type, parent_id) AS (
    SELECT 'JOB_RUN', r.job_run_id FROM job_runs r JOIN jobs j ON j.job_id = r.job_id WHERE j.workspace_id = :workspace
    UNION ALL
    SELECT c.compute_type, c.compute_id FROM non_job_compute c WHERE c.workspace_id = :workspace
),
usage AS NOT MATERIALIZED (
    SELECT u.parent_type AS compute_type, u.parent_id, u.usage_date AS d, u.total_cost, u.dbus_consumed,
           u.avg_cpu_utilization
    FROM compute_usage u
    WHERE u.usage_date BETWEEN :from AND :to
      AND (:workspace IS NULL OR (u.parent_type, u.parent_id) IN (SELECT parent_type, parent_id FROM in_scope))
),
by_day AS (
    SELECT compute_type, d, SUM(total_cost) AS cost, SUM(dbus_consumed) AS dbus,
           SUM(avg_cpu_utilization) AS cpu_sum, COUNT(avg_cpu_utilization) AS cpu_n, COUNT(*) AS n
    FROM usage GROUP BY compute_type, d
),
entities AS (SELECT compute_type, COUNT(DISTINCT parent_id) AS entities FROM usage GROUP BY compute_type),
daily AS (
    SELECT t.compute_type, days.d, COALESCE(b.cost, 0) AS cost
    FROM (SELECT DISTINCT compute_type FROM by_day) t
    CROSS JOIN days
    LEFT JOIN by_day b ON b.compute_type = t.compute_type AND b.d = days.d
),
per_type AS (
    SELECT compute_type, SUM(cost) AS total_cost, SUM(dbus) AS dbus,
           SUM(cpu_sum) / NULLIF(SUM(cpu_n), 0) AS avg_cpu, SUM(n) AS usage_rows
    FROM by_day GROUP BY compute_type
),
daily_stats AS (
    SELECT compute_type, AVG(cost) AS mean_daily, MAX(cost) AS max_daily, MIN(cost) AS min_daily
    FROM daily GROUP BY compute_type
),
total AS (SELECT SUM(total_cost) AS grand FROM per_type)
SELECT p.compute_type,
       CASE p.compute_type
           WHEN 'JOB_RUN' THEN 'Jobs compute'
           WHEN 'APC_CLUSTER' THEN 'All-purpose clusters'
           WHEN 'SQL_WAREHOUSE' THEN 'SQL warehouses'
           ELSE p.compute_type
       END AS compute_type_label,
       p.total_cost AS total_cost_usd,
       CASE WHEN t.grand > 0 THEN 100.0 * p.total_cost / t.grand ELSE 0 END AS share_pct,
       s.mean_daily AS avg_daily_cost_usd,
       s.max_daily AS max_daily_cost_usd,
       s.min_daily AS min_daily_cost_usd,
       CASE WHEN s.mean_daily > 0 THEN (s.max_daily - s.min_daily) / s.mean_daily END AS volatility,
       p.dbus AS dbus_consumed,
       100.0 * p.avg_cpu AS avg_cpu_pct,
       e.entities AS active_entities,
       p.usage_rows
FROM per_type p
JOIN daily_stats s ON s.compute_type = p.compute_type
JOIN entities e ON e.compute_type = p.compute_type, total t
ORDER BY p.total_cost DESC, p.compute_type
