-- Reliability Scorecard: per job, how often its finished runs succeed, what the failed
-- attempts cost, how failures come in streaks and how long recovery takes, and which runs
-- ran past the job's usual p95 duration, scored 0–100 (the formula is in the spec's notes).
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
-- Runs count when they started in the range and finished (SUCCESS or FAILED); skipped and
-- running runs are left out. A run's cost is the cost of all its usage rows. Runs are read
-- through the (job_id, start_time) index, their usage through (parent_id, parent_type).

-- query: rows
WITH runs AS MATERIALIZED (
    SELECT r.job_id, j.job_name, r.job_run_id, r.start_time, r.run_status AS status, r.duration_ms,
           julianday(r.start_time) * 24.0 AS start_h
    FROM jobs j
    JOIN job_runs r ON r.job_id = j.job_id
    WHERE (:workspace IS NULL OR j.workspace_id = :workspace)
      AND r.start_time >= :from AND r.start_time < date(:to, '+1 day')
      AND r.run_status IN ('SUCCESS', 'FAILED')
),
-- The cost of every job run, from one pass over the covering usage index (cheaper than a
-- lookup per run on a large file), from the range's first day on: a run that starts in the
-- range has no usage dated before it.
run_cost AS MATERIALIZED (
    SELECT u.parent_id AS job_run_id, SUM(u.total_cost) AS cost
    FROM compute_usage u INDEXED BY idx_compute_usage_day
    WHERE u.usage_date >= :from AND u.parent_type = 'JOB_RUN'
    GROUP BY u.parent_id
),
-- Runs in start order per job, each with its cost and the status of the run before it.
ordered AS (
    SELECT x.*, COALESCE(c.cost, 0) AS cost,
           LAG(x.status) OVER (PARTITION BY x.job_id ORDER BY x.start_time, x.job_run_id) AS previous
    FROM runs x
    LEFT JOIN run_cost c ON c.job_run_id = x.job_run_id
),
-- An incident starts at a failure after a success (or at the first run); a retry is any
-- run right after a failure.
marked AS (
    SELECT o.*,
           CASE WHEN o.status = 'FAILED' AND (o.previous IS NULL OR o.previous = 'SUCCESS') THEN 1 ELSE 0 END AS incident_start,
           CASE WHEN o.previous = 'FAILED' THEN 1 ELSE 0 END AS is_retry
    FROM ordered o
),
numbered AS (
    SELECT m.*,
           SUM(m.incident_start) OVER (PARTITION BY m.job_id ORDER BY m.start_time, m.job_run_id ROWS UNBOUNDED PRECEDING) AS incident
    FROM marked m
),
-- Each incident: its failures, its first failure's start and the end of the success that
-- ended it (start + duration), if one did.
incidents AS (
    SELECT job_id, incident,
           SUM(status = 'FAILED') AS failures,
           MIN(CASE WHEN status = 'FAILED' THEN start_h END) AS failed_h,
           MIN(CASE WHEN status = 'SUCCESS' AND is_retry = 1 THEN start_h + duration_ms / 3600000.0 END) AS recovered_h
    FROM numbered
    WHERE incident > 0
    GROUP BY job_id, incident
),
streaks AS (
    SELECT job_id, MAX(failures) AS longest, COUNT(recovered_h) AS recovered,
           AVG((recovered_h - failed_h) * 60.0) AS mttr_minutes
    FROM incidents
    GROUP BY job_id
),
-- p95 of successful durations, nearest rank: the smallest duration whose rank r (1-based,
-- ascending) has r ≥ 0.95 × n.
ranked AS (
    SELECT job_id, duration_ms,
           ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY duration_ms) AS r,
           COUNT(*) OVER (PARTITION BY job_id) AS n
    FROM runs
    WHERE status = 'SUCCESS' AND duration_ms IS NOT NULL
),
p95 AS (SELECT job_id, MIN(duration_ms) AS p95_ms FROM ranked WHERE r * 100 >= 95 * n GROUP BY job_id),
per_job AS (
    SELECT m.job_id, m.job_name,
           COUNT(*) AS finished,
           SUM(m.status = 'SUCCESS') AS succeeded,
           SUM(m.status = 'FAILED') AS failed,
           SUM(m.cost) AS total_cost,
           SUM(CASE WHEN m.status = 'FAILED' THEN m.cost ELSE 0 END) AS failed_cost,
           SUM(m.is_retry) AS retries,
           SUM(m.incident_start) AS incidents,
           SUM(CASE WHEN m.duration_ms > p.p95_ms THEN 1 ELSE 0 END) AS over_p95,
           p.p95_ms
    FROM marked m
    LEFT JOIN p95 p ON p.job_id = m.job_id
    GROUP BY m.job_id
),
scored AS (
    SELECT p.*, s.longest, s.recovered, s.mttr_minutes,
           1.0 * p.succeeded / p.finished AS success_share,
           CASE WHEN p.total_cost > 0 THEN p.failed_cost / p.total_cost ELSE 0 END AS wasted_share
    FROM per_job p
    LEFT JOIN streaks s ON s.job_id = p.job_id
)
SELECT job_id,
       job_name,
       total_cost AS total_cost_usd,
       60.0 * success_share + 20.0 * (1.0 - MIN(1.0, COALESCE(longest, 0) / 5.0)) + 20.0 * (1.0 - wasted_share) AS score,
       finished AS finished_runs,
       succeeded AS succeeded_runs,
       failed AS failed_runs,
       100.0 * success_share AS success_rate_pct,
       failed_cost AS failed_cost_usd,
       100.0 * wasted_share AS failed_cost_pct,
       incidents,
       retries,
       CASE WHEN incidents > 0 THEN 1.0 * retries / incidents END AS retries_per_incident,
       COALESCE(recovered, 0) AS recovered_incidents,
       mttr_minutes,
       COALESCE(longest, 0) AS longest_streak,
       p95_ms / 60000.0 AS p95_minutes,
       over_p95 AS runs_over_p95
FROM scored
ORDER BY score, failed_cost_usd DESC, job_id
