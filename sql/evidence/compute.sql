-- Evidence about one all-purpose cluster or SQL warehouse (copilot::evidence::compute).
-- Each query below is one fact's SQL.
-- Parameters: :id (non_job_compute.compute_id), :from, :to (inclusive dates); the what-if
-- queries also :cap (minutes).
-- A session is a CLUSTER_START event of the resource's usage rows followed by a
-- CLUSTER_TERMINATE event; statements are its rows of sql_query_history.

-- with:
-- Its sessions that start in the range: how long they were up, how much of it statements
-- ran (overlapping statements count once), and when its last statement ended.
marks AS (
    SELECT e.event_type, e.event_id, CAST(strftime('%s', e.event_time) AS INTEGER) AS t
    FROM compute_usage u
    JOIN events e ON e.compute_usage_id = u.compute_usage_id
    WHERE u.parent_id = :id AND u.parent_type <> 'JOB_RUN'
      AND u.usage_date >= date(:from, '-1 day') AND u.usage_date <= :to
      AND e.event_type IN ('CLUSTER_START', 'CLUSTER_TERMINATE')
),
paired AS (
    SELECT event_type, t, LEAD(event_type) OVER w AS next_type, LEAD(t) OVER w AS next_t
    FROM marks WINDOW w AS (ORDER BY t, event_type = 'CLUSTER_START', event_id)
),
sessions AS (
    SELECT t AS s, next_t AS e FROM paired
    WHERE event_type = 'CLUSTER_START' AND next_type = 'CLUSTER_TERMINATE' AND next_t > t
      AND t >= CAST(strftime('%s', :from) AS INTEGER) AND t < CAST(strftime('%s', date(:to, '+1 day')) AS INTEGER)
),
statements AS (
    SELECT CAST(strftime('%s', start_time) AS INTEGER) AS s,
           CAST(strftime('%s', start_time) AS INTEGER) + COALESCE(duration_ms, 0) / 1000.0 AS e
    FROM sql_query_history
    WHERE parent_id = :id AND start_time >= date(:from, '-1 day') AND start_time < date(:to, '+2 day')
),
running AS (
    SELECT s, e, MAX(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end FROM statements
),
numbered AS (
    SELECT s, e, SUM(CASE WHEN before_end IS NULL OR s > before_end THEN 1 ELSE 0 END) OVER (ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM running
),
islands AS (SELECT MIN(s) AS s, MAX(e) AS e FROM numbered GROUP BY island),
per_session AS (
    SELECT x.s, x.e,
           (SELECT SUM(MIN(i.e, x.e) - MAX(i.s, x.s)) FROM islands i WHERE i.s < x.e AND i.e > x.s) AS busy_s,
           (SELECT MAX(MIN(i.e, x.e)) FROM islands i WHERE i.s < x.e AND i.e > x.s) AS last_busy
    FROM sessions x
)

-- query: sessions
-- Its sessions: how long they were up and busy, and how long each stayed up after its last
-- statement ended.
SELECT COUNT(*) AS sessions,
       SUM(e - s) / 3600.0 AS up_hours,
       COALESCE(SUM(busy_s), 0) / 3600.0 AS busy_hours,
       AVG(e - s) / 3600.0 AS mean_session_hours,
       MAX(e - s) / 3600.0 AS longest_session_hours,
       AVG(e - last_busy) / 60.0 AS mean_tail_minutes,
       SUM(last_busy IS NULL) AS sessions_without_statements
FROM per_session

-- query: settings
-- Its auto-termination and autoscaling settings, and the sizes its AUTOSCALING events
-- reached in the range.
WITH scaled AS (
    SELECT CAST(TRIM(substr(e.details, instr(e.details, ' to ') + 4)) AS INTEGER) AS target
    FROM compute_usage u
    JOIN events e ON e.compute_usage_id = u.compute_usage_id
    WHERE u.parent_id = :id AND u.parent_type <> 'JOB_RUN' AND u.usage_date BETWEEN date(:from, '-1 day') AND :to
      AND e.event_type = 'AUTOSCALING' AND instr(e.details, ' to ') > 0
      AND e.event_time >= :from AND e.event_time < date(:to, '+1 day')
)
SELECT c.compute_type, s.compute_id IS NOT NULL AS has_settings, s.auto_termination_mins, s.min_workers, s.max_workers,
       (SELECT COUNT(*) FROM scaled) AS scale_events, (SELECT MAX(target) FROM scaled) AS peak_target,
       (SELECT COUNT(*) FROM scaled WHERE target >= s.max_workers) AS at_max
FROM non_job_compute c
LEFT JOIN compute_settings s ON s.compute_id = c.compute_id
WHERE c.compute_id = :id

-- query: daily
-- Its cost per day with usage in the range.
SELECT usage_date AS day, SUM(total_cost) AS cost
FROM compute_usage
WHERE parent_id = :id AND parent_type <> 'JOB_RUN' AND usage_date BETWEEN :from AND :to
GROUP BY usage_date ORDER BY usage_date

-- query: statements
-- Its statements started in the range: how many, how many failed, the longest, by whom.
SELECT COUNT(*) AS statements,
       COALESCE(SUM(error_message IS NOT NULL AND TRIM(error_message) <> ''), 0) AS failed,
       MAX(duration_ms) / 60000.0 AS longest_minutes,
       AVG(duration_ms) / 60000.0 AS mean_minutes,
       group_concat(DISTINCT user_id) AS users
FROM sql_query_history
WHERE parent_id = :id AND start_time >= :from AND start_time < date(:to, '+1 day')

-- query: statement_errors
-- Its most frequent statement errors in the range.
SELECT error_message AS error, COUNT(*) AS queries
FROM sql_query_history
WHERE parent_id = :id AND error_message IS NOT NULL AND TRIM(error_message) <> ''
  AND start_time >= :from AND start_time < date(:to, '+1 day')
GROUP BY error_message ORDER BY queries DESC, error LIMIT 3

-- query: idle_tails
-- What-if auto-termination after :cap minutes: in each session, the time it stayed up after
-- its last statement ended (all of it when it ran none) beyond :cap minutes is cut. Pauses
-- inside a session are not cut (each would cost a restart).
SELECT COUNT(*) AS sessions,
       COALESCE(SUM(e - s), 0) / 3600.0 AS up_hours,
       COALESCE(SUM(MAX(0, e - COALESCE(last_busy, s) - 60 * :cap)), 0) / 3600.0 AS cut_hours,
       COALESCE(SUM(e - COALESCE(last_busy, s) > 60 * :cap), 0) AS sessions_cut
FROM per_session

-- query: job_prices
-- What-if job compute: its usage in the range by SKU, the list price per DBU of that SKU and
-- of its jobs-compute counterpart (ALL_PURPOSE_COMPUTE → JOBS_COMPUTE or JOB_COMPUTE, same
-- cloud) valid on :to; where the price list has several clouds, the one whose price is
-- nearest to what the usage cost per DBU.
WITH used AS (
    SELECT compute_sku AS sku, SUM(dbus_consumed) AS dbus, SUM(total_cost) AS cost
    FROM compute_usage
    WHERE parent_id = :id AND parent_type <> 'JOB_RUN' AND usage_date BETWEEN :from AND :to
    GROUP BY compute_sku
),
valid AS (
    SELECT * FROM sku_prices WHERE price_start_date <= :to AND (price_end_date IS NULL OR price_end_date > :to)
)
SELECT u.sku, u.dbus, u.cost, p.usd_per_dbu AS price, j.compute_sku AS jobs_sku, j.usd_per_dbu AS jobs_price
FROM used u
LEFT JOIN valid p ON p.compute_sku = u.sku
LEFT JOIN valid j ON j.compute_sku IN (replace(u.sku, 'ALL_PURPOSE_COMPUTE', 'JOBS_COMPUTE'), replace(u.sku, 'ALL_PURPOSE_COMPUTE', 'JOB_COMPUTE'))
    AND j.compute_sku <> u.sku AND j.cloud IS p.cloud
ORDER BY u.cost DESC, j.usd_per_dbu IS NULL, ABS(p.usd_per_dbu - u.cost / NULLIF(u.dbus, 0)), u.sku
