-- Evidence about one job (copilot::evidence::job): each query below is one fact's SQL.
-- Parameters: :job (job_id), :from, :to (inclusive dates), :workspace (NULL = all).
-- Columns are read by name; every computed column has an alias.

-- query: config
-- The configuration of the latest run in range.
SELECT r.start_time, r.worker_instance_type, r.driver_instance_type, r.fixed_nodes, r.min_nodes, r.max_nodes,
       r.is_autoscaling_enabled, r.is_fleet_cluster, r.instance_pool_id, p.pool_name, p.pool_instance_type,
       r.spot_ratio, j.job_name, j.description, j.tags, j.workspace_id, w.workspace_name
FROM job_runs r
JOIN jobs j ON j.job_id = r.job_id
LEFT JOIN instance_pools p ON p.instance_pool_id = r.instance_pool_id
LEFT JOIN workspace w ON w.workspace_id = j.workspace_id
WHERE r.job_id = :job AND date(r.start_time) BETWEEN :from AND :to
ORDER BY r.start_time DESC, r.job_run_id DESC
LIMIT 1

-- query: changes
-- Each finished run's configuration, in order, to find changes between consecutive runs.
SELECT date(start_time) AS day, COALESCE(spot_ratio, 0) AS spot_ratio, COALESCE(worker_instance_type, '') AS worker_type,
       COALESCE(fixed_nodes, -1) AS fixed_nodes, COALESCE(min_nodes, -1) AS min_nodes, COALESCE(max_nodes, -1) AS max_nodes,
       COALESCE(is_autoscaling_enabled, 0) AS autoscaling
FROM job_runs
WHERE job_id = :job AND date(start_time) BETWEEN :from AND :to AND run_status <> 'SKIPPED'
ORDER BY start_time, job_run_id

-- query: runs
-- Runs per day and their outcomes.
SELECT date(start_time) AS day, COUNT(*) AS runs, SUM(run_status = 'SUCCESS') AS succeeded, SUM(run_status = 'FAILED') AS failed,
       SUM(run_status = 'SKIPPED') AS skipped
FROM job_runs
WHERE job_id = :job AND date(start_time) BETWEEN :from AND :to
GROUP BY day ORDER BY day

-- query: errors
-- The most frequent error messages of failed runs.
SELECT COALESCE(NULLIF(TRIM(error_summary), ''), '(no error message)') AS error, COUNT(*) AS runs,
       MIN(date(start_time)) AS first_day, MAX(date(start_time)) AS last_day
FROM job_runs
WHERE job_id = :job AND run_status = 'FAILED' AND date(start_time) BETWEEN :from AND :to
GROUP BY error ORDER BY runs DESC, error LIMIT 3

-- query: failed_days
SELECT DISTINCT date(start_time) AS day FROM job_runs
WHERE job_id = :job AND run_status = 'FAILED' AND date(start_time) BETWEEN :from AND :to ORDER BY day

-- query: evictions
-- Spot evictions during the job's runs.
SELECT date(e.event_time) AS day, COALESCE(v.eviction_reason, 'unknown') AS reason,
       COALESCE(v.cloud_provider_message, e.details, '') AS message, COALESCE(v.was_retried, 0) AS retried
FROM events e
JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id AND u.parent_type = 'JOB_RUN'
JOIN job_runs r ON r.job_run_id = u.parent_id
LEFT JOIN eviction_details v ON v.eviction_id = e.eviction_id
WHERE r.job_id = :job AND e.event_type = 'SPOT_EVICTION' AND date(e.event_time) BETWEEN :from AND :to
ORDER BY e.event_time, e.event_id

-- query: runtime
-- Minutes of every successful run, in order.
SELECT date(start_time) AS day, duration_ms / 60000.0 AS minutes FROM job_runs
WHERE job_id = :job AND run_status = 'SUCCESS' AND date(start_time) BETWEEN :from AND :to AND duration_ms IS NOT NULL
ORDER BY start_time, job_run_id

-- query: cost
-- Cost per day with spend.
SELECT u.usage_date AS day, SUM(u.total_cost) AS cost FROM compute_usage u
JOIN job_runs r ON r.job_run_id = u.parent_id
WHERE u.parent_type = 'JOB_RUN' AND r.job_id = :job AND u.usage_date BETWEEN :from AND :to
GROUP BY u.usage_date ORDER BY u.usage_date

-- query: upstream
-- The jobs this job depends on, with their failed or skipped runs in range.
SELECT d.depends_on_job_id AS job_id, j.job_name, date(r.start_time) AS day, r.run_status, COALESCE(r.error_summary, '') AS error
FROM job_dependencies d
JOIN jobs j ON j.job_id = d.depends_on_job_id
LEFT JOIN job_runs r ON r.job_id = d.depends_on_job_id AND r.run_status IN ('FAILED', 'SKIPPED')
     AND date(r.start_time) BETWEEN :from AND :to
WHERE d.job_id = :job
ORDER BY d.depends_on_job_id, r.start_time

-- query: downstream
-- The jobs that depend on this job, with their skipped runs in range.
SELECT d.job_id, j.job_name, date(r.start_time) AS day, r.run_status
FROM job_dependencies d
JOIN jobs j ON j.job_id = d.job_id
LEFT JOIN job_runs r ON r.job_id = d.job_id AND r.run_status = 'SKIPPED' AND date(r.start_time) BETWEEN :from AND :to
WHERE d.depends_on_job_id = :job
ORDER BY d.job_id, r.start_time

-- query: peers
-- Spend and runs with usage in range of every job with spend in range (in the workspace,
-- when one is chosen), from the per-job aggregates (agg_job_block, see
-- sql/create_usage_tables.sql) as in Spot Risk Exposure: a few blocks of days per job, and
-- runs counted from their usage spans (starting in the range, plus those carried into its
-- first day, minus the gaps inside it).
WITH span AS (
    SELECT (SELECT rank FROM agg_day WHERE day >= :from ORDER BY day LIMIT 1) AS lo,
           (SELECT rank FROM agg_day WHERE day <= :to ORDER BY day DESC LIMIT 1) AS hi
),
blocks AS MATERIALIZED (
    SELECT b.lvl, b.pos, 0 AS carry FROM span s CROSS JOIN agg_block b
    WHERE b.pos >= s.lo AND b.last <= s.hi AND (b.up_pos < s.lo OR b.up_last > s.hi)
    UNION ALL
    SELECT 0, s.lo, 1 FROM span s WHERE s.lo <= s.hi
),
halves(half) AS (VALUES (0), (1)),
sums AS (
    SELECT j.job_id,
           SUM(CASE WHEN b.carry = 0 THEN (CASE h.half WHEN 0 THEN a.cost ELSE a.cost_lo END) END) AS cost,
           SUM(CASE WHEN b.carry = 0 AND h.half = 0 THEN a.usage_rows END) AS usage_rows,
           SUM(CASE WHEN h.half = 0 THEN (CASE b.carry WHEN 0 THEN a.run_starts ELSE a.run_carried END) END) AS runs
    FROM jobs j
    CROSS JOIN blocks b
    CROSS JOIN agg_job_block a
    CROSS JOIN halves h
    WHERE (:workspace IS NULL OR j.workspace_id = :workspace)
      AND a.job_id = j.job_id AND a.lvl = b.lvl AND a.pos = b.pos
    GROUP BY j.job_id
),
gaps AS (
    SELECT g.job_id, COUNT(*) AS n
    FROM span s CROSS JOIN agg_run_gap g
    WHERE g.end_rank >= s.lo AND g.end_rank < s.hi AND g.next_rank <= s.hi
    GROUP BY g.job_id
)
SELECT s.job_id, s.cost, s.runs - COALESCE(g.n, 0) AS runs
FROM sums s LEFT JOIN gaps g ON g.job_id = s.job_id
WHERE s.usage_rows > 0
ORDER BY s.job_id

-- query: retry_cap
-- What-if retries capped at :retries: its finished runs in start order; an incident starts at
-- a failure after a success (or at the first run), and its attempts are its failed runs and
-- the success that ended it. With the cap, failed attempts after the first :retries + 1 of an
-- incident are not run; the success that ended a longer incident is kept (rerun by hand).
WITH runs AS (
    SELECT r.job_run_id, r.start_time, r.run_status AS status,
           (SELECT SUM(u.total_cost) FROM compute_usage u WHERE u.parent_id = r.job_run_id AND u.parent_type = 'JOB_RUN') AS cost
    FROM job_runs r
    WHERE r.job_id = :job AND r.start_time >= :from AND r.start_time < date(:to, '+1 day') AND r.run_status IN ('SUCCESS', 'FAILED')
),
marked AS (SELECT x.*, LAG(x.status) OVER (ORDER BY x.start_time, x.job_run_id) AS previous FROM runs x),
numbered AS (
    SELECT m.*, SUM(m.status = 'FAILED' AND (m.previous IS NULL OR m.previous = 'SUCCESS'))
               OVER (ORDER BY m.start_time, m.job_run_id ROWS UNBOUNDED PRECEDING) AS incident
    FROM marked m
),
attempts AS (
    SELECT n.*, ROW_NUMBER() OVER (PARTITION BY n.incident ORDER BY n.start_time, n.job_run_id) AS attempt
    FROM numbered n
    WHERE n.incident > 0 AND (n.status = 'FAILED' OR n.previous = 'FAILED')
)
SELECT COUNT(DISTINCT incident) AS incidents,
       COALESCE(SUM(status = 'FAILED'), 0) AS failed_attempts,
       COALESCE(SUM(CASE WHEN status = 'FAILED' THEN cost END), 0) AS failed_cost,
       COALESCE(SUM(status = 'FAILED' AND attempt > :retries + 1), 0) AS capped_attempts,
       COALESCE(SUM(CASE WHEN status = 'FAILED' AND attempt > :retries + 1 THEN cost END), 0) AS capped_cost,
       COUNT(DISTINCT CASE WHEN attempt > :retries + 1 THEN incident END) AS capped_incidents,
       COUNT(DISTINCT CASE WHEN status = 'SUCCESS' AND attempt > :retries + 1 THEN incident END) AS late_recoveries,
       MAX(attempt) AS most_attempts
FROM attempts
