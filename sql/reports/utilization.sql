-- Utilization: for every all-purpose cluster and SQL warehouse, the hours it was up
-- against the hours it was busy running statements, what the idle hours cost, and the
-- settings behind them (auto-termination, autoscaling range and the largest size used).
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
--
-- Up time: each CLUSTER_START event of a resource's usage rows is paired with the
-- resource's next start or terminate event; a start followed by a terminate is a session
-- [start, terminate). Sessions are cut at midnight into day pieces, and only the pieces
-- inside the range count. Events are read from the usage rows dated from the day before
-- the range to its end (a session that started earlier than that is not seen).
-- Busy time: the union of the resource's statements [start, start + duration) from
-- sql_query_history (overlapping statements count once), inside the day pieces.
-- Idle = up − busy. A day's idle cost = the day's cost × idle ÷ up of that day (a day with
-- cost and no up time has no idle cost); the range's idle cost sums the days. Idle cost
-- per month = idle cost ÷ days in the range × 30.
-- Settings come from compute_settings (empty in a database that lacks them: the columns
-- are then NULL); the largest size used is the largest "to N" of the resource's AUTOSCALING
-- events in the range, else its minimum.

-- query: rows
WITH RECURSIVE days(d) AS (
    SELECT :from WHERE :from <= :to
    UNION ALL
    SELECT date(d, '+1 day') FROM days WHERE d < :to
),
compute AS MATERIALIZED (
    SELECT c.compute_id, c.compute_name, c.compute_type
    FROM non_job_compute c
    WHERE (:workspace IS NULL OR c.workspace_id = :workspace)
),
-- The resources' usage rows around the range, and the cost of those in it.
usage AS MATERIALIZED (
    SELECT u.compute_usage_id, u.parent_id AS compute_id, u.usage_date, u.total_cost
    FROM compute u0
    JOIN compute_usage u ON u.parent_id = u0.compute_id AND u.parent_type = u0.compute_type
    WHERE u.usage_date >= date(:from, '-1 day') AND u.usage_date <= :to
),
marks AS (
    SELECT x.compute_id, e.event_type, e.event_id, CAST(strftime('%s', e.event_time) AS INTEGER) AS t
    FROM usage x
    JOIN events e ON e.compute_usage_id = x.compute_usage_id
    WHERE e.event_type IN ('CLUSTER_START', 'CLUSTER_TERMINATE')
),
-- A terminate at the same second as a start comes first: it ends the earlier session.
paired AS (
    SELECT compute_id, event_type, t,
           LEAD(event_type) OVER w AS next_type,
           LEAD(t) OVER w AS next_t
    FROM marks
    WINDOW w AS (PARTITION BY compute_id ORDER BY t, event_type = 'CLUSTER_START', event_id)
),
sessions AS MATERIALIZED (
    SELECT compute_id, t AS s, next_t AS e
    FROM paired
    WHERE event_type = 'CLUSTER_START' AND next_type = 'CLUSTER_TERMINATE' AND next_t > t
),
-- Each session cut at midnight into day pieces (one step per day it spans).
cut(compute_id, d, s, e, last) AS (
    SELECT compute_id, date(s, 'unixepoch'), s,
           MIN(e, CAST(strftime('%s', date(s, 'unixepoch', '+1 day')) AS INTEGER)), e
    FROM sessions
    UNION ALL
    SELECT compute_id, date(d, '+1 day'), e, MIN(last, e + 86400), last FROM cut WHERE e < last
),
pieces AS MATERIALIZED (
    SELECT compute_id, d, s, e FROM cut WHERE d >= :from AND d <= :to
),
-- Statements, merged into busy islands (gaps and islands over the running end).
statements AS (
    SELECT q.parent_id AS compute_id,
           CAST(strftime('%s', q.start_time) AS INTEGER) AS s,
           CAST(strftime('%s', q.start_time) AS INTEGER) + COALESCE(q.duration_ms, 0) / 1000.0 AS e
    FROM compute c
    JOIN sql_query_history q ON q.parent_id = c.compute_id
    WHERE q.start_time >= date(:from, '-1 day') AND q.start_time < date(:to, '+1 day')
),
running AS (
    SELECT compute_id, s, e,
           MAX(e) OVER (PARTITION BY compute_id ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end
    FROM statements
),
numbered AS (
    SELECT compute_id, s, e,
           SUM(CASE WHEN before_end IS NULL OR s > before_end THEN 1 ELSE 0 END)
               OVER (PARTITION BY compute_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM running
),
islands AS MATERIALIZED (
    SELECT compute_id, MIN(s) AS s, MAX(e) AS e FROM numbered GROUP BY compute_id, island
),
busy AS (
    SELECT p.compute_id, p.d, SUM(MIN(i.e, p.e) - MAX(i.s, p.s)) AS busy_s
    FROM pieces p
    JOIN islands i ON i.compute_id = p.compute_id AND i.s < p.e AND i.e > p.s
    GROUP BY p.compute_id, p.d
),
up AS (
    SELECT compute_id, d, SUM(e - s) AS up_s, COUNT(*) AS pieces FROM pieces GROUP BY compute_id, d
),
cost AS (
    SELECT compute_id, usage_date AS d, SUM(total_cost) AS cost
    FROM usage WHERE usage_date >= :from GROUP BY compute_id, usage_date
),
daily AS (
    SELECT u.compute_id, u.d, u.up_s, COALESCE(b.busy_s, 0) AS busy_s, COALESCE(c.cost, 0) AS cost,
           COALESCE(c.cost, 0) * (u.up_s - COALESCE(b.busy_s, 0)) / u.up_s AS idle_cost
    FROM up u
    LEFT JOIN busy b ON b.compute_id = u.compute_id AND b.d = u.d
    LEFT JOIN cost c ON c.compute_id = u.compute_id AND c.d = u.d
),
per_compute AS (
    SELECT compute_id, SUM(up_s) AS up_s, SUM(busy_s) AS busy_s, SUM(idle_cost) AS idle_cost, COUNT(*) AS up_days
    FROM daily GROUP BY compute_id
),
session_counts AS (
    SELECT compute_id, COUNT(*) AS sessions FROM sessions
    WHERE s < CAST(strftime('%s', date(:to, '+1 day')) AS INTEGER) AND e > CAST(strftime('%s', :from) AS INTEGER)
    GROUP BY compute_id
),
totals AS (SELECT compute_id, SUM(cost) AS cost FROM cost GROUP BY compute_id),
scaled AS (
    SELECT x.compute_id,
           MAX(CAST(TRIM(substr(e.details, instr(e.details, ' to ') + 4)) AS INTEGER)) AS peak,
           COUNT(*) AS scale_events
    FROM usage x
    JOIN events e ON e.compute_usage_id = x.compute_usage_id
    WHERE e.event_type = 'AUTOSCALING' AND instr(e.details, ' to ') > 0
      AND e.event_time >= :from AND e.event_time < date(:to, '+1 day')
    GROUP BY x.compute_id
),
range_days AS (SELECT COUNT(*) AS n FROM days),
queries AS (
    SELECT compute_id, COUNT(*) AS n FROM statements
    WHERE s >= CAST(strftime('%s', :from) AS INTEGER) AND s < CAST(strftime('%s', date(:to, '+1 day')) AS INTEGER)
    GROUP BY compute_id
)
SELECT c.compute_id,
       c.compute_name,
       CASE c.compute_type WHEN 'APC_CLUSTER' THEN 'All-purpose cluster' WHEN 'SQL_WAREHOUSE' THEN 'SQL warehouse' ELSE c.compute_type END
           AS compute_kind,
       COALESCE(t.cost, 0) AS total_cost_usd,
       COALESCE(n.sessions, 0) AS sessions,
       COALESCE(p.up_s, 0) / 3600.0 AS up_hours,
       COALESCE(p.busy_s, 0) / 3600.0 AS busy_hours,
       (COALESCE(p.up_s, 0) - COALESCE(p.busy_s, 0)) / 3600.0 AS idle_hours,
       CASE WHEN p.up_s > 0 THEN 100.0 * p.busy_s / p.up_s END AS busy_pct,
       COALESCE(p.idle_cost, 0) AS idle_cost_usd,
       CASE WHEN r.n > 0 THEN COALESCE(p.idle_cost, 0) / r.n * 30 END AS idle_cost_per_month_usd,
       COALESCE(q.n, 0) AS statements,
       st.auto_termination_mins,
       st.min_workers,
       st.max_workers,
       COALESCE(MAX(a.peak, st.min_workers), a.peak, st.min_workers) AS peak_workers,
       COALESCE(a.scale_events, 0) AS scale_events,
       st.compute_id IS NOT NULL AS has_settings
FROM compute c
LEFT JOIN per_compute p ON p.compute_id = c.compute_id
LEFT JOIN session_counts n ON n.compute_id = c.compute_id
LEFT JOIN totals t ON t.compute_id = c.compute_id
LEFT JOIN scaled a ON a.compute_id = c.compute_id
LEFT JOIN queries q ON q.compute_id = c.compute_id
LEFT JOIN compute_settings st ON st.compute_id = c.compute_id, range_days r
WHERE t.cost IS NOT NULL OR p.up_s IS NOT NULL
ORDER BY idle_cost_usd DESC, c.compute_id
