-- Total Cost by Compute Type: spend of job compute, all-purpose clusters and SQL
-- warehouses, their daily trend (days without spend count as $0) and volatility.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).

-- query: daily
WITH RECURSIVE days(d) AS (
    SELECT :from WHERE :from <= :to
    UNION ALL
    SELECT date(d, '+1 day') FROM days WHERE d < :to
),
spend AS (
    SELECT u.parent_type AS compute_type, u.usage_date AS d, SUM(u.total_cost) AS cost
    FROM compute_usage u
    LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
    LEFT JOIN jobs j ON j.job_id = r.job_id
    LEFT JOIN non_job_compute c ON u.parent_type <> 'JOB_RUN' AND c.compute_id = u.parent_id
    WHERE u.usage_date BETWEEN :from AND :to
      AND (:workspace IS NULL OR COALESCE(j.workspace_id, c.workspace_id) = :workspace)
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
usage AS (
    SELECT u.parent_type AS compute_type, u.parent_id, u.usage_date AS d, u.total_cost, u.dbus_consumed,
           u.avg_cpu_utilization
    FROM compute_usage u
    LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
    LEFT JOIN jobs j ON j.job_id = r.job_id
    LEFT JOIN non_job_compute c ON u.parent_type <> 'JOB_RUN' AND c.compute_id = u.parent_id
    WHERE u.usage_date BETWEEN :from AND :to
      AND (:workspace IS NULL OR COALESCE(j.workspace_id, c.workspace_id) = :workspace)
),
spend AS (SELECT compute_type, d, SUM(total_cost) AS cost FROM usage GROUP BY compute_type, d),
daily AS (
    SELECT t.compute_type, days.d, COALESCE(s.cost, 0) AS cost
    FROM (SELECT DISTINCT compute_type FROM usage) t
    CROSS JOIN days
    LEFT JOIN spend s ON s.compute_type = t.compute_type AND s.d = days.d
),
per_type AS (
    SELECT compute_type,
           SUM(total_cost) AS total_cost,
           SUM(dbus_consumed) AS dbus,
           AVG(avg_cpu_utilization) AS avg_cpu,
           COUNT(DISTINCT parent_id) AS entities,
           COUNT(*) AS usage_rows
    FROM usage GROUP BY compute_type
),
daily_stats AS (
    SELECT compute_type, AVG(cost) AS mean_daily, MAX(cost) AS max_daily, MIN(cost) AS min_daily, COUNT(*) AS days
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
       p.entities AS active_entities,
       p.usage_rows
FROM per_type p
JOIN daily_stats s ON s.compute_type = p.compute_type, total t
ORDER BY p.total_cost DESC, p.compute_type
