-- Job Cost & Reliability: per job, spend split by spot share, runs and outcomes.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
-- Cost counts usage rows dated in the range; runs count runs started in the range.
-- Retries are runs of their own; skipped runs cost nothing and are counted apart.

-- query: rows
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
runs AS (
    SELECT job_id,
           COUNT(*) AS runs,
           SUM(run_status = 'SUCCESS') AS succeeded,
           SUM(run_status = 'FAILED') AS failed,
           SUM(run_status = 'SKIPPED') AS skipped,
           SUM(run_status IN ('SUCCESS', 'FAILED')) AS finished,
           AVG(CASE WHEN run_status IN ('SUCCESS', 'FAILED') THEN duration_ms END) / 60000.0 AS avg_minutes
    FROM job_runs
    WHERE date(start_time) BETWEEN :from AND :to
    GROUP BY job_id
),
per_job AS (
    SELECT j.job_id, j.job_name,
           COALESCE(c.total_cost, 0) AS total_cost,
           COALESCE(c.spot_cost, 0) AS spot_cost,
           COALESCE(c.dbus, 0) AS dbus,
           COALESCE(r.runs, 0) AS runs,
           COALESCE(r.succeeded, 0) AS succeeded,
           COALESCE(r.failed, 0) AS failed,
           COALESCE(r.skipped, 0) AS skipped,
           COALESCE(r.finished, 0) AS finished,
           r.avg_minutes
    FROM jobs j
    LEFT JOIN cost c ON c.job_id = j.job_id
    LEFT JOIN runs r ON r.job_id = j.job_id
    WHERE (:workspace IS NULL OR j.workspace_id = :workspace)
      AND (c.job_id IS NOT NULL OR r.job_id IS NOT NULL)
),
total AS (SELECT SUM(total_cost) AS grand FROM per_job),
measured AS (
    SELECT p.*,
           CASE WHEN p.finished > 0 THEN 100.0 * p.succeeded / p.finished END AS success_rate,
           CASE WHEN p.finished > 0 THEN 100.0 * p.failed / p.finished END AS failure_rate,
           CASE WHEN t.grand > 0 THEN 100.0 * p.total_cost / t.grand ELSE 0 END AS share,
           CASE WHEN p.total_cost > 0 THEN 100.0 * p.spot_cost / p.total_cost ELSE 0 END AS spot_share
    FROM per_job p, total t
)
SELECT job_id,
       job_name,
       total_cost AS total_cost_usd,
       spot_cost AS spot_cost_usd,
       total_cost - spot_cost AS on_demand_cost_usd,
       spot_share AS spot_cost_pct,
       share AS share_pct,
       runs,
       succeeded AS succeeded_runs,
       failed AS failed_runs,
       skipped AS skipped_runs,
       finished AS finished_runs,
       success_rate AS success_rate_pct,
       failure_rate AS failure_rate_pct,
       avg_minutes,
       dbus AS dbus_consumed,
       CASE WHEN dbus > 0 THEN total_cost / dbus END AS cost_per_dbu_usd,
       COALESCE(concat_ws('; ',
           CASE WHEN failure_rate > 10 THEN printf('High failure rate: %.1f%% of finished runs failed', failure_rate) END,
           CASE WHEN share > 15 THEN printf('Cost hotspot: %.1f%% of job spend', share) END,
           CASE WHEN spot_share > 50 THEN printf('Spot exposure: %.1f%% of cost on spot', spot_share) END,
           CASE WHEN skipped > 0 THEN printf('%d run(s) skipped after an upstream failure', skipped) END
       ), '') AS attention_reasons
FROM measured
ORDER BY total_cost DESC, job_id
