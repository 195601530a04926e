-- Spot Risk Exposure: per job, how much of its cost ran on spot and how often spot
-- capacity was lost (evictions), what those lost attempts cost, and a risk score.
-- Evictions are SPOT_EVICTION events on the job's run usage, dated in the range.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).

-- query: rows
WITH job_usage AS (
    SELECT r.job_id, r.job_run_id, r.run_status, u.compute_usage_id, u.total_cost,
           u.total_cost * COALESCE(r.spot_ratio, 0) AS spot_cost
    FROM compute_usage u
    JOIN job_runs r ON r.job_run_id = u.parent_id
    WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
      AND (:workspace IS NULL OR r.job_id IN (SELECT job_id FROM jobs WHERE workspace_id = :workspace))
),
evictions AS (
    SELECT r.job_id, r.job_run_id, date(e.event_time) AS d
    FROM events e
    JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id AND u.parent_type = 'JOB_RUN'
    JOIN job_runs r ON r.job_run_id = u.parent_id
    WHERE e.event_type = 'SPOT_EVICTION' AND date(e.event_time) BETWEEN :from AND :to
      AND (:workspace IS NULL OR r.job_id IN (SELECT job_id FROM jobs WHERE workspace_id = :workspace))
),
eviction_stats AS (
    SELECT job_id, COUNT(*) AS evictions, COUNT(DISTINCT d) AS eviction_days, COUNT(DISTINCT job_run_id) AS evicted_runs
    FROM evictions GROUP BY job_id
),
evicted_runs AS (SELECT DISTINCT job_run_id FROM evictions),
per_run AS (
    SELECT job_id, job_run_id, MAX(run_status = 'FAILED') AS failed, SUM(total_cost) AS cost, SUM(spot_cost) AS spot_cost
    FROM job_usage GROUP BY job_run_id
),
-- Where the runs' spot ratios come from (imported data records it per run; generated
-- data has no records, and then this is skipped and every run counts as generated).
spot_sources AS (
    SELECT job_id, group_concat(source || ' ' || n, ', ') AS spot_source
    FROM (SELECT p.job_id, COALESCE(s.source, 'generated') AS source, COUNT(*) AS n
          FROM per_run p LEFT JOIN job_run_spot s ON s.job_run_id = p.job_run_id
          WHERE (SELECT EXISTS (SELECT 1 FROM job_run_spot))
          GROUP BY p.job_id, COALESCE(s.source, 'generated')
          ORDER BY p.job_id, COALESCE(s.source, 'generated'))
    GROUP BY job_id
),
per_job AS (
    SELECT pr.job_id,
           SUM(pr.cost) AS total_cost,
           SUM(pr.spot_cost) AS spot_cost,
           COUNT(*) AS runs,
           SUM(pr.failed) AS failed,
           SUM(CASE WHEN er.job_run_id IS NOT NULL THEN pr.cost ELSE 0 END) AS evicted_cost
    FROM per_run pr
    LEFT JOIN evicted_runs er ON er.job_run_id = pr.job_run_id
    GROUP BY pr.job_id
),
joined AS (
    SELECT p.*, COALESCE(es.evictions, 0) AS evictions, COALESCE(es.eviction_days, 0) AS eviction_days,
           COALESCE(es.evicted_runs, 0) AS evicted_runs
    FROM per_job p
    LEFT JOIN eviction_stats es ON es.job_id = p.job_id
),
scored AS (
    SELECT p.*,
           CASE WHEN p.total_cost > 0 THEN 100.0 * p.spot_cost / p.total_cost ELSE 0 END AS spot_pct,
           CASE WHEN p.runs > 0 THEN 100.0 * p.evicted_runs / p.runs ELSE 0 END AS eviction_rate,
           CASE WHEN p.runs > 0 THEN 100.0 * p.failed / p.runs ELSE 0 END AS failure_rate
    FROM joined p
)
SELECT s.job_id,
       j.job_name,
       s.total_cost AS total_cost_usd,
       s.spot_cost AS spot_cost_usd,
       s.spot_pct AS spot_cost_pct,
       s.runs,
       s.failed AS failed_runs,
       s.failure_rate AS failure_rate_pct,
       s.evictions,
       s.eviction_days,
       s.evicted_runs,
       s.eviction_rate AS eviction_rate_pct,
       s.evicted_cost AS evicted_cost_usd,
       s.spot_pct * s.eviction_rate / 100.0 AS risk_score,
       COALESCE(ss.spot_source, 'generated ' || s.runs) AS spot_source,
       CASE
           WHEN s.evictions > 0 AND s.failure_rate > 10 THEN 'Evictions are failing runs: keep the driver and first workers on-demand or use spot with on-demand fallback'
           WHEN s.evictions > 0 THEN 'Evictions seen: watch the eviction rate and retry cost'
           WHEN s.spot_pct > 50 THEN 'Mostly on spot without evictions so far: keep a fallback ready'
           ELSE 'No spot action needed'
       END AS suggestion
FROM scored s
JOIN jobs j ON j.job_id = s.job_id
LEFT JOIN spot_sources ss ON ss.job_id = s.job_id
ORDER BY risk_score DESC, spot_cost_usd DESC, s.job_id

-- query: heatmap
WITH RECURSIVE days(d) AS (
    SELECT :from WHERE :from <= :to
    UNION ALL
    SELECT date(d, '+1 day') FROM days WHERE d < :to
),
evictions AS (
    SELECT r.job_id, date(e.event_time) AS d
    FROM events e
    JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id AND u.parent_type = 'JOB_RUN'
    JOIN job_runs r ON r.job_run_id = u.parent_id
    JOIN jobs j ON j.job_id = r.job_id
    WHERE e.event_type = 'SPOT_EVICTION' AND date(e.event_time) BETWEEN :from AND :to
      AND (:workspace IS NULL OR j.workspace_id = :workspace)
),
top_jobs AS (
    SELECT job_id, COUNT(*) AS n FROM evictions GROUP BY job_id ORDER BY n DESC, job_id LIMIT 15
),
counts AS (SELECT job_id, d, COUNT(*) AS n FROM evictions GROUP BY job_id, d)
SELECT t.job_id, j.job_name, days.d AS date, COALESCE(c.n, 0) AS evictions
FROM top_jobs t
JOIN jobs j ON j.job_id = t.job_id
CROSS JOIN days
LEFT JOIN counts c ON c.job_id = t.job_id AND c.d = days.d
ORDER BY t.n DESC, t.job_id, days.d
