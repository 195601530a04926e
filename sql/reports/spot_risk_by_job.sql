-- Spot Risk Exposure: per job, how much of its cost ran on spot and how often spot
-- capacity was lost (evictions), what those lost attempts cost, and a risk score.
-- Evictions are SPOT_EVICTION events on the job's run usage, dated in the range.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
-- Reads the per-job aggregates (agg_job_block and its companions, see
-- sql/create_usage_tables.sql): the range is a few blocks of days (one index seek per job
-- and block). Runs with usage in the range are counted from their usage spans: spans
-- starting in the range, plus those carried into its first day, minus the gaps (of runs
-- with several spans) inside it. A job's cost is the SUM() of its runs' costs in the range:
-- runs with one usage row are summed in the blocks; the few others (agg_run_usage) run by
-- run, and then the job's sum is made again from both in one SUM().

-- query: rows
WITH span AS (
    SELECT (SELECT rank FROM agg_day WHERE day >= :from ORDER BY day LIMIT 1) AS lo,
           (SELECT rank FROM agg_day WHERE day <= :to ORDER BY day DESC LIMIT 1) AS hi
),
blocks AS MATERIALIZED (
    SELECT b.lvl, b.pos, 0 AS carry FROM span s CROSS JOIN agg_block b
    WHERE b.pos >= s.lo AND b.last <= s.hi AND (b.up_pos < s.lo OR b.up_last > s.hi)
    UNION ALL
    -- The first day again, for the spans carried into it.
    SELECT 0, s.lo, 1 FROM span s WHERE s.lo <= s.hi
),
halves(half) AS (VALUES (0), (1)),
in_scope AS MATERIALIZED (SELECT job_id FROM jobs WHERE :workspace IS NULL OR workspace_id = :workspace),
sums AS MATERIALIZED (
    SELECT j.job_id,
           SUM(CASE WHEN b.carry = 0 AND h.half = 0 THEN a.usage_rows END) AS usage_rows,
           SUM(CASE WHEN b.carry = 0 AND h.half = 0 THEN a.run_starts WHEN b.carry = 1 AND h.half = 0 THEN a.run_carried END) AS runs,
           SUM(CASE WHEN b.carry = 0 AND h.half = 0 THEN a.failed_starts WHEN b.carry = 1 AND h.half = 0 THEN a.failed_carried END) AS failed,
           SUM(CASE WHEN b.carry = 0 AND h.half = 0 THEN a.listed_rows END) AS listed_rows,
           SUM(CASE WHEN b.carry = 0 AND h.half = 0 THEN a.evictions END) AS evictions,
           SUM(CASE WHEN b.carry = 0 AND h.half = 0 THEN a.eviction_days END) AS eviction_days,
           SUM(CASE WHEN b.carry = 0 AND h.half = 0 THEN a.evicted_runs END) AS evicted_simple,
           SUM(CASE WHEN b.carry = 0 AND h.half = 0 THEN a.evicted_cost_n END) AS evicted_simple_n,
           -- The runs with one usage row (a block without other runs: all its usage).
           SUM(CASE WHEN b.carry = 1 THEN NULL
                    WHEN a.listed_rows = 0 THEN (CASE h.half WHEN 0 THEN a.cost ELSE a.cost_lo END)
                    ELSE (CASE h.half WHEN 0 THEN a.unlisted_cost ELSE a.unlisted_cost_lo END) END) AS unlisted_cost,
           SUM(CASE WHEN b.carry = 1 THEN NULL
                    WHEN a.listed_rows = 0 THEN (CASE h.half WHEN 0 THEN a.spot_cost ELSE a.spot_cost_lo END)
                    ELSE (CASE h.half WHEN 0 THEN a.unlisted_spot ELSE a.unlisted_spot_lo END) END) AS unlisted_spot,
           SUM(CASE WHEN b.carry = 0 AND a.evicted_runs > 0 THEN (CASE h.half WHEN 0 THEN a.evicted_cost ELSE a.evicted_cost_lo END) END)
               AS simple_evicted_cost
    FROM in_scope j
    CROSS JOIN blocks b
    CROSS JOIN agg_job_block a
    CROSS JOIN halves h
    WHERE a.job_id = j.job_id AND a.lvl = b.lvl AND a.pos = b.pos
    GROUP BY j.job_id
),
gaps AS (
    SELECT g.job_id, COUNT(*) AS n, SUM(g.failed) AS failed
    FROM span s CROSS JOIN agg_run_gap g
    WHERE g.end_rank >= s.lo AND g.end_rank < s.hi AND g.next_rank <= s.hi
    GROUP BY g.job_id
),
-- Runs kept row by row (several usage rows, or evictions off their usage day): their cost
-- in the range, run by run.
listed_runs AS MATERIALIZED (
    SELECT u.job_id, u.job_run_id, SUM(u.cost) AS cost, SUM(u.spot_cost) AS spot_cost
    FROM span s CROSS JOIN agg_run_usage u
    WHERE u.rank BETWEEN s.lo AND s.hi
    GROUP BY u.job_run_id
),
-- Jobs with such runs: their cost and spot cost again, from the blocks' halves and the runs.
listed_jobs AS (
    SELECT job_id, SUM(cost) AS total_cost, SUM(spot_cost) AS spot_cost FROM (
        SELECT a.job_id,
               CASE WHEN a.listed_rows = 0 THEN (CASE h.half WHEN 0 THEN a.cost ELSE a.cost_lo END)
                    ELSE (CASE h.half WHEN 0 THEN a.unlisted_cost ELSE a.unlisted_cost_lo END) END AS cost,
               CASE WHEN a.listed_rows = 0 THEN (CASE h.half WHEN 0 THEN a.spot_cost ELSE a.spot_cost_lo END)
                    ELSE (CASE h.half WHEN 0 THEN a.unlisted_spot ELSE a.unlisted_spot_lo END) END AS spot_cost
        FROM (SELECT DISTINCT job_id FROM listed_runs) j
        CROSS JOIN blocks b
        CROSS JOIN agg_job_block a
        CROSS JOIN halves h
        WHERE b.carry = 0 AND a.job_id = j.job_id AND a.lvl = b.lvl AND a.pos = b.pos
        UNION ALL
        SELECT job_id, cost, spot_cost FROM listed_runs
    )
    GROUP BY job_id
),
-- Evicted runs kept run by run: evicted in the range, and their cost there if they ran.
complex_evicted AS MATERIALIZED (
    SELECT DISTINCT e.job_id, e.job_run_id
    FROM span s CROSS JOIN agg_evicted_event e
    WHERE e.rank BETWEEN s.lo AND s.hi
),
complex_stats AS (
    SELECT e.job_id, COUNT(*) AS evicted_runs,
           COUNT(l.job_run_id) AS counted, COUNT(l.cost) AS counted_with_cost
    FROM complex_evicted e LEFT JOIN listed_runs l ON l.job_run_id = e.job_run_id
    GROUP BY e.job_id
),
-- Jobs with such runs: the cost of every evicted run with usage in the range, in one SUM().
complex_evicted_cost AS (
    SELECT job_id, SUM(cost) AS cost FROM (
        SELECT a.job_id, CASE h.half WHEN 0 THEN a.evicted_cost ELSE a.evicted_cost_lo END AS cost
        FROM (SELECT DISTINCT job_id FROM complex_evicted) j
        CROSS JOIN blocks b
        CROSS JOIN agg_job_block a
        CROSS JOIN halves h
        WHERE b.carry = 0 AND a.job_id = j.job_id AND a.lvl = b.lvl AND a.pos = b.pos AND a.evicted_runs > 0
        UNION ALL
        SELECT l.job_id, l.cost FROM complex_evicted e JOIN listed_runs l ON l.job_run_id = e.job_run_id
    )
    GROUP BY job_id
),
per_job AS (
    SELECT s.job_id,
           CASE WHEN lj.job_id IS NULL THEN s.unlisted_cost ELSE lj.total_cost END AS total_cost,
           CASE WHEN lj.job_id IS NULL THEN s.unlisted_spot ELSE lj.spot_cost END AS spot_cost,
           s.runs - COALESCE(g.n, 0) AS runs,
           s.failed - COALESCE(g.failed, 0) AS failed,
           s.evictions,
           s.eviction_days,
           s.evicted_simple + COALESCE(x.evicted_runs, 0) AS evicted_runs,
           -- As SUM(CASE WHEN evicted THEN run cost ELSE 0 END) over the runs: NULL when every
           -- run is evicted without a cost, the integer 0 when no evicted run has one.
           CASE
               WHEN s.evicted_simple_n + COALESCE(x.counted_with_cost, 0) > 0
                   THEN CASE WHEN x.job_id IS NULL THEN s.simple_evicted_cost ELSE xc.cost END
               WHEN s.runs - COALESCE(g.n, 0) > s.evicted_simple + COALESCE(x.counted, 0) THEN 0
           END AS evicted_cost
    FROM sums s
    LEFT JOIN gaps g ON g.job_id = s.job_id
    LEFT JOIN listed_jobs lj ON lj.job_id = s.job_id
    LEFT JOIN complex_stats x ON x.job_id = s.job_id
    LEFT JOIN complex_evicted_cost xc ON xc.job_id = s.job_id
    WHERE s.usage_rows > 0
),
-- Where the runs' spot ratios come from (imported data records it per run; generated
-- data has no records, and then this is skipped and every run counts as generated).
has_sources AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM job_run_spot) AS yes),
source_counts AS (
    SELECT job_id, source, SUM(n) AS n FROM (
        SELECT a.job_id, a.source, CASE b.carry WHEN 0 THEN a.run_starts ELSE a.run_carried END AS n
        FROM has_sources CROSS JOIN per_job j CROSS JOIN blocks b CROSS JOIN agg_job_source_block a
        WHERE has_sources.yes AND a.job_id = j.job_id AND a.lvl = b.lvl AND a.pos = b.pos
        UNION ALL
        SELECT g.job_id, g.source, -1
        FROM has_sources CROSS JOIN span s CROSS JOIN agg_run_gap g
        WHERE has_sources.yes AND g.end_rank >= s.lo AND g.end_rank < s.hi AND g.next_rank <= s.hi AND g.source IS NOT NULL
    )
    GROUP BY job_id, source
),
known_sources AS (SELECT job_id, SUM(n) AS n FROM source_counts GROUP BY job_id),
sources AS (
    SELECT job_id, source, SUM(n) AS n FROM (
        SELECT job_id, source, n FROM source_counts
        UNION ALL
        SELECT p.job_id, 'generated', p.runs - COALESCE(k.n, 0)
        FROM has_sources CROSS JOIN per_job p LEFT JOIN known_sources k ON k.job_id = p.job_id
        WHERE has_sources.yes
    )
    WHERE job_id IN (SELECT job_id FROM per_job)
    GROUP BY job_id, source
),
spot_sources AS (
    SELECT job_id, group_concat(source || ' ' || n, ', ') AS spot_source
    FROM (SELECT job_id, source, n FROM sources WHERE n > 0 ORDER BY job_id, source)
    GROUP BY job_id
),
scored AS (
    SELECT p.*,
           CASE WHEN p.total_cost > 0 THEN 100.0 * p.spot_cost / p.total_cost ELSE 0 END AS spot_pct,
           CASE WHEN p.runs > 0 THEN 100.0 * p.evicted_runs / p.runs ELSE 0 END AS eviction_rate,
           CASE WHEN p.runs > 0 THEN 100.0 * p.failed / p.runs ELSE 0 END AS failure_rate
    FROM per_job p
)
SELECT s.job_id,
       j.job_name,
       s.total_cost AS total_cost_usd,
       s.spot_cost AS spot_cost_usd,
       s.spot_pct AS spot_cost_pct,
       s.runs,
       s.failed AS failed_runs,
       s.failure_rate AS failure_rate_pct,
       s.evictions,
       s.eviction_days,
       s.evicted_runs,
       s.eviction_rate AS eviction_rate_pct,
       s.evicted_cost AS evicted_cost_usd,
       s.spot_pct * s.eviction_rate / 100.0 AS risk_score,
       COALESCE(ss.spot_source, 'generated ' || s.runs) AS spot_source,
       CASE
           WHEN s.evictions > 0 AND s.failure_rate > 10 THEN 'Evictions are failing runs: keep the driver and first workers on-demand or use spot with on-demand fallback'
           WHEN s.evictions > 0 THEN 'Evictions seen: watch the eviction rate and retry cost'
           WHEN s.spot_pct > 50 THEN 'Mostly on spot without evictions so far: keep a fallback ready'
           ELSE 'No spot action needed'
       END AS suggestion
FROM scored s
JOIN jobs j ON j.job_id = s.job_id
LEFT JOIN spot_sources ss ON ss.job_id = s.job_id
ORDER BY risk_score DESC, spot_cost_usd DESC, s.job_id

-- query: heatmap
WITH RECURSIVE days(d) AS (
    SELECT :from WHERE :from <= :to
    UNION ALL
    SELECT date(d, '+1 day') FROM days WHERE d < :to
),
span AS (
    SELECT (SELECT rank FROM agg_day WHERE day >= :from ORDER BY day LIMIT 1) AS lo,
           (SELECT rank FROM agg_day WHERE day <= :to ORDER BY day DESC LIMIT 1) AS hi
),
blocks AS MATERIALIZED (
    SELECT b.lvl, b.pos FROM span s CROSS JOIN agg_block b
    WHERE b.pos >= s.lo AND b.last <= s.hi AND (b.up_pos < s.lo OR b.up_last > s.hi)
),
top_jobs AS MATERIALIZED (
    SELECT j.job_id, SUM(a.evictions) AS n
    FROM jobs j
    CROSS JOIN blocks b
    CROSS JOIN agg_job_block a
    WHERE (:workspace IS NULL OR j.workspace_id = :workspace)
      AND a.job_id = j.job_id AND a.lvl = b.lvl AND a.pos = b.pos AND a.evictions > 0
    GROUP BY j.job_id
    ORDER BY n DESC, j.job_id
    LIMIT 15
)
SELECT t.job_id, j.job_name, days.d AS date, COALESCE(a.evictions, 0) AS evictions
FROM top_jobs t
JOIN jobs j ON j.job_id = t.job_id
CROSS JOIN days
LEFT JOIN agg_day ad ON ad.day = days.d
LEFT JOIN agg_job_block a ON a.job_id = t.job_id AND a.lvl = 0 AND a.pos = ad.rank
ORDER BY t.n DESC, t.job_id, days.d
