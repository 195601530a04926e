-- Budget Status: each budget's month so far and its forecast to the month's end.
-- Parameters: :to (the as-of day; its calendar month is the budget month), :trailing_weeks
-- (the weeks of daily spend the forecast learns from). :from and :workspace are not read:
-- a budget has its own scope.
-- The budgets are the user's, kept beside the dataset and put in the connection's temp
-- table `budgets` (data::budgets); with none, the report is empty.
-- Scopes: all = every usage row; workspace = usage of the workspace's jobs, clusters and
-- warehouses; compute_type = usage of that type; tag = usage of the runs of jobs carrying
-- the tag (compared without regard to case).

-- query: daily
-- Every budget's spend on each day from the earlier of the month's first day and the
-- trailing window's first day through the as-of day (a day without spend is $0).
WITH RECURSIVE span AS (
    SELECT min(date(:to, 'start of month'), date(:to, printf('%+d days', 1 - 7 * :trailing_weeks))) AS first_day, :to AS last_day
),
days(d) AS (
    SELECT first_day FROM span
    UNION ALL
    SELECT date(d, '+1 day') FROM days, span WHERE d < span.last_day
),
usage AS (
    SELECT u.usage_date AS day, u.total_cost AS cost, u.parent_type,
           CASE WHEN u.parent_type = 'JOB_RUN' THEN j.workspace_id ELSE c.workspace_id END AS workspace_id,
           j.tags
    FROM span s
    JOIN compute_usage u ON u.usage_date BETWEEN s.first_day AND s.last_day
    LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
    LEFT JOIN jobs j ON j.job_id = r.job_id
    LEFT JOIN non_job_compute c ON u.parent_type <> 'JOB_RUN' AND c.compute_id = u.parent_id
),
spend AS (
    SELECT b.budget_id, u.day, SUM(u.cost) AS cost
    FROM temp.budgets b
    JOIN usage u ON b.scope = 'all'
        OR (b.scope = 'workspace' AND u.workspace_id = b.value)
        OR (b.scope = 'compute_type' AND u.parent_type = b.value)
        OR (b.scope = 'tag' AND json_valid(u.tags)
            AND EXISTS (SELECT 1 FROM json_each(u.tags) t WHERE lower(t.value) = lower(b.value)))
    GROUP BY b.budget_id, u.day
)
SELECT b.budget_id,
       b.name AS budget_name,
       b.scope,
       CASE b.scope
           WHEN 'all' THEN 'All spend'
           WHEN 'workspace' THEN 'Workspace ' || COALESCE(w.workspace_name, b.value)
           WHEN 'compute_type' THEN CASE b.value WHEN 'JOB_RUN' THEN 'Jobs compute' WHEN 'APC_CLUSTER' THEN 'All-purpose clusters'
                                                 WHEN 'SQL_WAREHOUSE' THEN 'SQL warehouses' ELSE b.value END
           ELSE 'Jobs tagged ' || b.value
       END AS scope_label,
       b.value AS scope_value,
       b.monthly_usd AS budget_usd,
       d.d AS date,
       COALESCE(s.cost, 0) AS cost_usd
FROM temp.budgets b
CROSS JOIN days d
LEFT JOIN spend s ON s.budget_id = b.budget_id AND s.day = d.d
LEFT JOIN workspace w ON b.scope = 'workspace' AND w.workspace_id = b.value
ORDER BY b.budget_id, d.d
