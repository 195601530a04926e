-- job_cost in DuckDB SQL over the raw rows (no aggregates): per job, the cost of its run
-- usage dated in [:from, :to], the spot part (run cost × the run's spot ratio), DBUs, and its
-- runs started in the range with their outcomes and mean duration; ordered like the app.
WITH cost AS (
    SELECT r.job_id,
           SUM(u.total_cost) AS total_cost,
           SUM(u.total_cost * COALESCE(r.spot_ratio, 0)) AS spot_cost,
           SUM(u.dbus_consumed) AS dbus
    FROM compute_usage u
    JOIN job_runs r ON r.job_run_id = u.parent_id
    WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
    GROUP BY r.job_id
),
outcomes AS (
    SELECT job_id,
           COUNT(*) AS runs,
           COUNT(*) FILTER (WHERE run_status = 'SUCCESS') AS succeeded,
           COUNT(*) FILTER (WHERE run_status = 'FAILED') AS failed,
           COUNT(*) FILTER (WHERE run_status = 'SKIPPED') AS skipped,
           COUNT(*) FILTER (WHERE run_status IN ('SUCCESS', 'FAILED')) AS finished,
           AVG(duration_ms) FILTER (WHERE run_status IN ('SUCCESS', 'FAILED')) / 60000.0 AS avg_minutes
    FROM job_runs
    WHERE CAST(start_time AS DATE) BETWEEN :from AND :to
    GROUP BY job_id
),
per_job AS (
    SELECT j.job_id, j.job_name,
           COALESCE(c.total_cost, 0) AS total_cost,
           COALESCE(c.spot_cost, 0) AS spot_cost,
           COALESCE(c.dbus, 0) AS dbus,
           COALESCE(o.runs, 0) AS runs,
           COALESCE(o.succeeded, 0) AS succeeded,
           COALESCE(o.failed, 0) AS failed,
           COALESCE(o.skipped, 0) AS skipped,
           COALESCE(o.finished, 0) AS finished,
           o.avg_minutes
    FROM jobs j
    LEFT JOIN cost c ON c.job_id = j.job_id
    LEFT JOIN outcomes o ON o.job_id = j.job_id
    WHERE c.job_id IS NOT NULL OR o.job_id IS NOT NULL
),
grand AS (SELECT SUM(total_cost) AS total FROM per_job)
SELECT p.job_id, p.job_name,
       p.total_cost AS total_cost_usd,
       p.spot_cost AS spot_cost_usd,
       p.total_cost - p.spot_cost AS on_demand_cost_usd,
       CASE WHEN p.total_cost > 0 THEN 100.0 * p.spot_cost / p.total_cost ELSE 0 END AS spot_cost_pct,
       CASE WHEN g.total > 0 THEN 100.0 * p.total_cost / g.total ELSE 0 END AS share_pct,
       p.runs, p.succeeded AS succeeded_runs, p.failed AS failed_runs, p.skipped AS skipped_runs,
       CASE WHEN p.finished > 0 THEN 100.0 * p.succeeded / p.finished END AS success_rate_pct,
       CASE WHEN p.finished > 0 THEN 100.0 * p.failed / p.finished END AS failure_rate_pct,
       p.avg_minutes,
       p.dbus AS dbus_consumed,
       CASE WHEN p.dbus > 0 THEN p.total_cost / p.dbus END AS cost_per_dbu_usd
FROM per_job p, grand g
ORDER BY total_cost_usd DESC, p.job_id
