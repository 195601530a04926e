-- Job Cost & Reliability: per job, spend split by spot share, runs and outcomes.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
-- Cost counts usage rows dated in the range; runs count runs started in the range.
-- Retries are runs of their own; skipped runs cost nothing and are counted apart.
-- Reads the per-job aggregates (agg_job_block, see sql/create_usage_tables.sql): the range
-- is a few blocks of days, and each job's figures are the sums of its rows in those blocks
-- (one index seek per job and block).

-- query: rows
WITH span AS (
    SELECT (SELECT rank FROM agg_day WHERE day >= :from ORDER BY day LIMIT 1) AS lo,
           (SELECT rank FROM agg_day WHERE day <= :to ORDER BY day DESC LIMIT 1) AS hi
),
blocks AS MATERIALIZED (
    SELECT b.lvl, b.pos FROM span s CROSS JOIN agg_block b
    WHERE b.pos >= s.lo AND b.last <= s.hi AND (b.up_pos < s.lo OR b.up_last > s.hi)
),
-- Each sum over blocks adds both halves of every block in one SUM(), so it rounds once.
halves(half) AS (VALUES (0), (1)),
sums AS (
    SELECT j.job_id, j.job_name,
           SUM(CASE h.half WHEN 0 THEN a.cost ELSE a.cost_lo END) AS total_cost,
           SUM(CASE h.half WHEN 0 THEN a.spot_cost ELSE a.spot_cost_lo END) AS spot_cost,
           SUM(CASE h.half WHEN 0 THEN a.dbus ELSE a.dbus_lo END) AS dbus,
           SUM(CASE h.half WHEN 0 THEN a.usage_rows END) AS usage_rows,
           SUM(CASE h.half WHEN 0 THEN a.runs END) AS runs,
           SUM(CASE h.half WHEN 0 THEN a.succeeded END) AS succeeded,
           SUM(CASE h.half WHEN 0 THEN a.failed END) AS failed,
           SUM(CASE h.half WHEN 0 THEN a.skipped END) AS skipped,
           SUM(CASE h.half WHEN 0 THEN a.finished END) AS finished,
           SUM(CASE h.half WHEN 0 THEN a.finished_ms ELSE a.finished_ms_lo END) AS finished_ms,
           SUM(CASE h.half WHEN 0 THEN a.finished_ms_n END) AS finished_ms_n
    FROM jobs j
    CROSS JOIN blocks b
    CROSS JOIN agg_job_block a
    CROSS JOIN halves h
    WHERE (:workspace IS NULL OR j.workspace_id = :workspace)
      AND a.job_id = j.job_id AND a.lvl = b.lvl AND a.pos = b.pos
    GROUP BY j.job_id
),
-- A job's cost counts its usage dated in the range, its runs those started in the range.
per_job AS (
    SELECT job_id, job_name,
           COALESCE(total_cost, 0) AS total_cost,
           COALESCE(spot_cost, 0) AS spot_cost,
           COALESCE(dbus, 0) AS dbus,
           runs, succeeded, failed, skipped, finished,
           finished_ms * 1.0 / finished_ms_n / 60000.0 AS avg_minutes
    FROM sums
    WHERE usage_rows > 0 OR runs > 0
),
total AS (SELECT SUM(total_cost) AS grand FROM per_job),
measured AS (
    SELECT p.*,
           CASE WHEN p.finished > 0 THEN 100.0 * p.succeeded / p.finished END AS success_rate,
           CASE WHEN p.finished > 0 THEN 100.0 * p.failed / p.finished END AS failure_rate,
           CASE WHEN t.grand > 0 THEN 100.0 * p.total_cost / t.grand ELSE 0 END AS share,
           CASE WHEN p.total_cost > 0 THEN 100.0 * p.spot_cost / p.total_cost ELSE 0 END AS spot_share
    FROM per_job p, total t
)
SELECT job_id,
       job_name,
       total_cost AS total_cost_usd,
       spot_cost AS spot_cost_usd,
       total_cost - spot_cost AS on_demand_cost_usd,
       spot_share AS spot_cost_pct,
       share AS share_pct,
       runs,
       succeeded AS succeeded_runs,
       failed AS failed_runs,
       skipped AS skipped_runs,
       finished AS finished_runs,
       success_rate AS success_rate_pct,
       failure_rate AS failure_rate_pct,
       avg_minutes,
       dbus AS dbus_consumed,
       CASE WHEN dbus > 0 THEN total_cost / dbus END AS cost_per_dbu_usd,
       COALESCE(concat_ws('; ',
           CASE WHEN failure_rate > 10 THEN printf('High failure rate: %.1f%% of finished runs failed', failure_rate) END,
           CASE WHEN share > 15 THEN printf('Cost hotspot: %.1f%% of job spend', share) END,
           CASE WHEN spot_share > 50 THEN printf('Spot exposure: %.1f%% of cost on spot', spot_share) END,
           CASE WHEN skipped > 0 THEN printf('%d run(s) skipped after an upstream failure', skipped) END
       ), '') AS attention_reasons
FROM measured
ORDER BY total_cost DESC, job_id
