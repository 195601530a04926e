-- Total Cost by Compute Type: spend of job compute, all-purpose clusters and SQL
-- warehouses, their daily trend (days without spend count as $0) and volatility.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
-- The workspace filter keeps usage whose run's job, or whose cluster or warehouse, is in
-- the workspace. Reads the per-type daily aggregates (agg_type_day, see
-- sql/create_usage_tables.sql), kept for all workspaces and for each; distinct resources
-- are counted from their usage spans.

-- query: daily
WITH RECURSIVE days(d) AS (
    SELECT :from WHERE :from <= :to
    UNION ALL
    SELECT date(d, '+1 day') FROM days WHERE d < :to
),
span AS (
    SELECT (SELECT rank FROM agg_day WHERE day >= :from ORDER BY day LIMIT 1) AS lo,
           (SELECT rank FROM agg_day WHERE day <= :to ORDER BY day DESC LIMIT 1) AS hi
),
spend AS MATERIALIZED (
    SELECT t.compute_type, t.rank, t.cost
    FROM span s
    JOIN agg_type_day t ON t.per_ws = (:workspace IS NOT NULL) AND t.workspace_id = COALESCE(:workspace, '')
         AND t.rank BETWEEN s.lo AND s.hi
),
types AS (SELECT DISTINCT compute_type FROM spend)
SELECT t.compute_type, days.d AS date, COALESCE(s.cost, 0) AS cost_usd
FROM types t
CROSS JOIN days
LEFT JOIN agg_day ad ON ad.day = days.d
LEFT JOIN spend s ON s.compute_type = t.compute_type AND s.rank = ad.rank
ORDER BY t.compute_type, days.d

-- query: rows
WITH RECURSIVE days(d) AS (
    SELECT :from WHERE :from <= :to
    UNION ALL
    SELECT date(d, '+1 day') FROM days WHERE d < :to
),
span AS (
    SELECT (SELECT rank FROM agg_day WHERE day >= :from ORDER BY day LIMIT 1) AS lo,
           (SELECT rank FROM agg_day WHERE day <= :to ORDER BY day DESC LIMIT 1) AS hi
),
by_day AS MATERIALIZED (
    SELECT t.compute_type, t.rank, t.cost, t.dbus, t.cpu_sum, t.cpu_n, t.usage_rows AS n, t.entity_starts, t.entity_carried,
           t.rank = s.lo AS first_day
    FROM span s
    JOIN agg_type_day t ON t.per_ws = (:workspace IS NOT NULL) AND t.workspace_id = COALESCE(:workspace, '')
         AND t.rank BETWEEN s.lo AND s.hi
),
gaps AS (
    SELECT g.compute_type, COUNT(*) AS n
    FROM span s
    JOIN agg_type_gap g ON g.per_ws = (:workspace IS NOT NULL) AND g.workspace_id = COALESCE(:workspace, '')
         AND g.end_rank >= s.lo AND g.end_rank < s.hi
    WHERE g.next_rank <= s.hi
    GROUP BY g.compute_type
),
entities AS (
    SELECT b.compute_type, SUM(b.entity_starts) + SUM(CASE WHEN b.first_day THEN b.entity_carried ELSE 0 END) - COALESCE(g.n, 0) AS entities
    FROM by_day b LEFT JOIN gaps g ON g.compute_type = b.compute_type
    GROUP BY b.compute_type
),
daily AS (
    SELECT t.compute_type, days.d, COALESCE(b.cost, 0) AS cost
    FROM (SELECT DISTINCT compute_type FROM by_day) t
    CROSS JOIN days
    LEFT JOIN agg_day ad ON ad.day = days.d
    LEFT JOIN by_day b ON b.compute_type = t.compute_type AND b.rank = ad.rank
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
