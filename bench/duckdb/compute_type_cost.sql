-- compute_type_cost in DuckDB SQL over the raw rows: per compute type, total spend, share,
-- mean / highest / lowest daily cost over every day of [:from, :to] (days without spend
-- count as $0), volatility, DBUs, mean CPU, distinct resources and usage rows; and the
-- zero-filled daily series, which the app returns as its second dataset (returned here as
-- a list column so that one query answers both).
WITH days AS (
    SELECT CAST(d AS DATE) AS day FROM range(:from, :to + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(d)
),
usage AS (
    SELECT parent_type AS compute_type, parent_id, usage_date, total_cost, dbus_consumed, avg_cpu_utilization
    FROM compute_usage
    WHERE usage_date BETWEEN :from AND :to
),
per_day AS (
    SELECT compute_type, usage_date AS day, SUM(total_cost) AS cost FROM usage GROUP BY ALL
),
daily AS (
    SELECT t.compute_type, days.day, COALESCE(p.cost, 0) AS cost
    FROM (SELECT DISTINCT compute_type FROM usage) t
    CROSS JOIN days
    LEFT JOIN per_day p ON p.compute_type = t.compute_type AND p.day = days.day
),
per_type AS (
    SELECT compute_type, SUM(total_cost) AS total_cost, SUM(dbus_consumed) AS dbus,
           AVG(avg_cpu_utilization) AS avg_cpu, COUNT(DISTINCT parent_id) AS entities, COUNT(*) AS usage_rows
    FROM usage GROUP BY compute_type
),
daily_stats AS (
    SELECT compute_type, AVG(cost) AS mean_daily, MAX(cost) AS max_daily, MIN(cost) AS min_daily,
           LIST(cost ORDER BY day) AS daily_costs
    FROM daily GROUP BY compute_type
),
grand AS (SELECT SUM(total_cost) AS total FROM per_type)
SELECT p.compute_type,
       p.total_cost AS total_cost_usd,
       CASE WHEN g.total > 0 THEN 100.0 * p.total_cost / g.total ELSE 0 END AS share_pct,
       s.mean_daily AS avg_daily_cost_usd,
       s.max_daily AS max_daily_cost_usd,
       s.min_daily AS min_daily_cost_usd,
       CASE WHEN s.mean_daily > 0 THEN (s.max_daily - s.min_daily) / s.mean_daily END AS volatility,
       p.dbus AS dbus_consumed,
       100.0 * p.avg_cpu AS avg_cpu_pct,
       p.entities AS active_entities,
       p.usage_rows,
       s.daily_costs
FROM per_type p JOIN daily_stats s USING (compute_type), grand g
ORDER BY total_cost_usd DESC, p.compute_type
