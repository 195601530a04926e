-- Cost Drift: what changed between two equal periods ending on the range's last day, and
-- which jobs, clusters and warehouses explain the change.
-- Parameters: :to (the last day of the current period), :period_days (its length; the
-- prior period is the same number of days just before it), :top_steps (contributions the
-- waterfall names), :workspace (NULL = all). :from is not read: the periods are set by :to
-- and :period_days.
-- Money is counted in whole cents so that every breakdown adds up exactly: each entity's
-- spend in each period is its SUM(total_cost) rounded to the cent (half away from zero);
-- every total is a sum of those cents. Usage of a job run that is not in job_runs stays in
-- the totals as the line "Job usage without a known run".
-- Reads compute_usage through its (usage_date, parent_type, parent_id, total_cost, …)
-- covering index, then each run's job through the (job_run_id, job_id, …) one.

-- with:
bounds AS (
    SELECT date(:to, printf('%+d days', 1 - 2 * :period_days)) AS prior_start,
           date(:to, printf('%+d days', -:period_days)) AS prior_end,
           date(:to, printf('%+d days', 1 - :period_days)) AS current_start,
           :to AS current_end
),
usage AS (
    SELECT CASE WHEN u.parent_type = 'JOB_RUN' THEN 'job' ELSE 'compute' END AS entity_kind,
           CASE WHEN u.parent_type <> 'JOB_RUN' THEN u.parent_id WHEN r.job_id IS NOT NULL THEN r.job_id ELSE '' END AS entity_id,
           u.parent_type AS compute_type,
           u.usage_date >= b.current_start AS in_current,
           u.total_cost
    FROM bounds b
    JOIN compute_usage u ON u.usage_date BETWEEN b.prior_start AND b.current_end
    LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
),
per_entity AS (
    SELECT entity_kind, entity_id, compute_type,
           CAST(ROUND(100 * COALESCE(SUM(CASE WHEN NOT in_current THEN total_cost END), 0)) AS INTEGER) AS prior_cents,
           CAST(ROUND(100 * COALESCE(SUM(CASE WHEN in_current THEN total_cost END), 0)) AS INTEGER) AS current_cents
    FROM usage
    GROUP BY entity_kind, entity_id, compute_type
),
kept AS MATERIALIZED (
    SELECT e.entity_kind, e.entity_id, e.compute_type, e.prior_cents, e.current_cents,
           CASE e.compute_type
               WHEN 'JOB_RUN' THEN 'Jobs compute'
               WHEN 'APC_CLUSTER' THEN 'All-purpose clusters'
               WHEN 'SQL_WAREHOUSE' THEN 'SQL warehouses'
               ELSE e.compute_type
           END AS compute_type_label,
           e.current_cents - e.prior_cents AS change_cents,
           CASE WHEN e.entity_kind = 'job' THEN COALESCE(j.job_name, 'Job usage without a known run')
                ELSE COALESCE(c.compute_name, e.entity_id) END AS entity_name,
           CASE WHEN e.entity_kind = 'job' THEN j.workspace_id ELSE c.workspace_id END AS workspace_id
    FROM per_entity e
    LEFT JOIN jobs j ON e.entity_kind = 'job' AND j.job_id = e.entity_id
    LEFT JOIN non_job_compute c ON e.entity_kind = 'compute' AND c.compute_id = e.entity_id
    WHERE :workspace IS NULL OR CASE WHEN e.entity_kind = 'job' THEN j.workspace_id ELSE c.workspace_id END = :workspace
),
totals AS (
    SELECT COALESCE(SUM(prior_cents), 0) AS prior_cents, COALESCE(SUM(current_cents), 0) AS current_cents,
           COALESCE(SUM(change_cents), 0) AS change_cents
    FROM kept
)

-- query: entities
-- One row per job, cluster or warehouse with spend in either period, largest change first.
SELECT k.entity_kind,
       k.entity_id,
       k.entity_name,
       k.compute_type,
       k.compute_type_label,
       COALESCE(k.workspace_id, '') AS workspace_id,
       COALESCE(w.workspace_name, k.workspace_id, '(no workspace)') AS workspace_name,
       k.prior_cents,
       k.current_cents,
       k.change_cents,
       k.prior_cents / 100.0 AS prior_usd,
       k.current_cents / 100.0 AS current_usd,
       k.change_cents / 100.0 AS change_usd,
       CASE WHEN k.prior_cents > 0 THEN 100.0 * k.change_cents / k.prior_cents END AS change_pct,
       CASE WHEN t.change_cents <> 0 THEN 100.0 * k.change_cents / t.change_cents END AS share_of_change_pct,
       CASE
           WHEN k.prior_cents = 0 AND k.current_cents > 0 THEN 'new'
           WHEN k.current_cents = 0 AND k.prior_cents > 0 THEN 'stopped'
           WHEN k.change_cents > 0 THEN 'up'
           WHEN k.change_cents < 0 THEN 'down'
           ELSE 'flat'
       END AS movement
FROM kept k
CROSS JOIN totals t
LEFT JOIN workspace w ON w.workspace_id = k.workspace_id
ORDER BY abs(k.change_cents) DESC, k.current_cents DESC, k.entity_kind, k.entity_id

-- query: steps
-- The waterfall: the prior total, the largest contributions (at most :top_steps, by size of
-- change), one line for all other changes, and the current total. A step's bar runs from
-- the running total before it (before_cents) to the one after it (after_cents).
WITH ranked AS (
    SELECT k.*, ROW_NUMBER() OVER (ORDER BY abs(k.change_cents) DESC, k.current_cents DESC, k.entity_kind, k.entity_id) AS pos
    FROM kept k
    WHERE k.change_cents <> 0
),
lines AS (
    SELECT 0 AS step, 'total' AS step_kind, 'Prior period' AS step_label, '' AS entity_kind, '' AS entity_id, '' AS compute_type,
           t.prior_cents AS cents
    FROM totals t
    UNION ALL
    SELECT pos, 'change', entity_name, entity_kind, entity_id, compute_type, change_cents FROM ranked WHERE pos <= :top_steps
    UNION ALL
    SELECT CAST(:top_steps AS INTEGER) + 1, 'others', 'All other changes (' || COUNT(*) || ')', '', '', '', SUM(change_cents)
    FROM ranked WHERE pos > :top_steps HAVING COUNT(*) > 0
    UNION ALL
    SELECT CAST(:top_steps AS INTEGER) + 2, 'total', 'Current period', '', '', '', t.current_cents
    FROM totals t
),
running AS (
    SELECT l.*,
           t.prior_cents + SUM(CASE WHEN l.step_kind = 'total' THEN 0 ELSE l.cents END)
               OVER (ORDER BY l.step ROWS UNBOUNDED PRECEDING) AS after_change_cents
    FROM lines l CROSS JOIN totals t
)
SELECT step, step_kind, step_label, entity_kind, entity_id, compute_type,
       cents AS value_cents,
       cents / 100.0 AS value_usd,
       CASE WHEN step_kind = 'total' THEN 0 ELSE after_change_cents - cents END AS before_cents,
       CASE WHEN step_kind = 'total' THEN cents ELSE after_change_cents END AS after_cents,
       CASE WHEN step_kind = 'total' THEN 0 ELSE min(after_change_cents - cents, after_change_cents) / 100.0 END AS base_usd,
       CASE WHEN step_kind <> 'total' AND cents > 0 THEN cents / 100.0 ELSE 0 END AS rise_usd,
       CASE WHEN step_kind <> 'total' AND cents < 0 THEN -cents / 100.0 ELSE 0 END AS fall_usd,
       CASE WHEN step_kind = 'total' THEN cents / 100.0 ELSE 0 END AS total_usd
FROM running
ORDER BY step

-- query: by_workspace
SELECT COALESCE(k.workspace_id, '') AS workspace_id,
       COALESCE(w.workspace_name, k.workspace_id, '(no workspace)') AS workspace_name,
       SUM(k.prior_cents) / 100.0 AS prior_usd,
       SUM(k.current_cents) / 100.0 AS current_usd,
       SUM(k.change_cents) / 100.0 AS change_usd,
       CASE WHEN SUM(k.prior_cents) > 0 THEN 100.0 * SUM(k.change_cents) / SUM(k.prior_cents) END AS change_pct,
       SUM(k.change_cents) AS change_cents
FROM kept k
LEFT JOIN workspace w ON w.workspace_id = k.workspace_id
GROUP BY COALESCE(k.workspace_id, '')
ORDER BY abs(SUM(k.change_cents)) DESC, workspace_id

-- query: by_compute_type
SELECT k.compute_type,
       k.compute_type_label,
       SUM(k.prior_cents) / 100.0 AS prior_usd,
       SUM(k.current_cents) / 100.0 AS current_usd,
       SUM(k.change_cents) / 100.0 AS change_usd,
       CASE WHEN SUM(k.prior_cents) > 0 THEN 100.0 * SUM(k.change_cents) / SUM(k.prior_cents) END AS change_pct,
       SUM(k.change_cents) AS change_cents
FROM kept k
GROUP BY k.compute_type
ORDER BY abs(SUM(k.change_cents)) DESC, k.compute_type

-- query: periods
-- The two periods' first and last days, and their totals.
SELECT b.prior_start, b.prior_end, b.current_start, b.current_end,
       t.prior_cents / 100.0 AS prior_usd, t.current_cents / 100.0 AS current_usd, t.change_cents / 100.0 AS change_usd,
       CASE WHEN t.prior_cents > 0 THEN 100.0 * t.change_cents / t.prior_cents END AS change_pct
FROM bounds b CROSS JOIN totals t
