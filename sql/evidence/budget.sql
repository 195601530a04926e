-- Evidence about one budget (copilot::evidence::budget): each query below is one fact's SQL.
-- Parameters: :budget (the budget's name, in the connection's temp table `budgets`), :to
-- (the as-of day; its calendar month is the budget month).
-- Scopes are matched as the budget report does (sql/reports/budget_status.sql).

-- with:
budget AS (
    SELECT name, scope, value, monthly_usd FROM temp.budgets WHERE name = :budget
),
bounds AS (
    SELECT date(:to, 'start of month') AS month_start,
           date(:to, 'start of month', '-1 month') AS last_month_start,
           min(date(:to, '-1 month'), date(:to, 'start of month', '-1 day')) AS last_month_same_day
),
scoped AS (
    SELECT u.usage_date AS day, u.total_cost AS cost,
           CASE WHEN u.parent_type = 'JOB_RUN' THEN 'job' ELSE 'compute' END AS kind,
           CASE WHEN u.parent_type = 'JOB_RUN' THEN COALESCE(r.job_id, '') ELSE u.parent_id END AS id,
           CASE WHEN u.parent_type = 'JOB_RUN' THEN COALESCE(j.job_name, 'job usage without a known run')
                ELSE COALESCE(c.compute_name, u.parent_id) END AS name
    FROM budget b
    CROSS JOIN bounds d
    JOIN compute_usage u ON u.usage_date BETWEEN d.last_month_start AND :to
    LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
    LEFT JOIN jobs j ON j.job_id = r.job_id
    LEFT JOIN non_job_compute c ON u.parent_type <> 'JOB_RUN' AND c.compute_id = u.parent_id
    WHERE b.scope = 'all'
       OR (b.scope = 'workspace' AND CASE WHEN u.parent_type = 'JOB_RUN' THEN j.workspace_id ELSE c.workspace_id END = b.value)
       OR (b.scope = 'compute_type' AND u.parent_type = b.value)
       OR (b.scope = 'tag' AND json_valid(j.tags)
           AND EXISTS (SELECT 1 FROM json_each(j.tags) t WHERE lower(t.value) = lower(b.value)))
)

-- query: budget
-- The budget as the user set it.
SELECT name, scope, value, monthly_usd FROM budget

-- query: drivers
-- The five jobs, clusters or warehouses in scope with the most spend this month, their
-- spend over the same days of last month, and the whole scope's spend this month.
SELECT s.kind, s.id, s.name,
       SUM(CASE WHEN s.day >= d.month_start THEN s.cost ELSE 0 END) AS this_month,
       SUM(CASE WHEN s.day < d.month_start AND s.day <= d.last_month_same_day THEN s.cost ELSE 0 END) AS last_month,
       SUM(SUM(CASE WHEN s.day >= d.month_start THEN s.cost ELSE 0 END)) OVER () AS scope_month
FROM scoped s CROSS JOIN bounds d
GROUP BY s.kind, s.id
ORDER BY this_month DESC, s.kind, s.id
LIMIT 5

-- query: daily
-- The scope's spend on each of the last 14 days with spend.
SELECT s.day, SUM(s.cost) AS cost
FROM scoped s
WHERE s.day >= date(:to, '-13 days')
GROUP BY s.day
ORDER BY s.day
