-- Cost concentration (Pareto): jobs ranked by cost with the running share of job spend.
-- "Jobs needed to reach X %" is the smallest rank whose cumulative share is at least X %.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
-- Reads the per-job aggregates (agg_job_block): the range is a few blocks of days (one
-- index seek per job and block).

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
    SELECT j.job_id,
           SUM(CASE h.half WHEN 0 THEN a.cost ELSE a.cost_lo END) AS total_cost,
           SUM(CASE h.half WHEN 0 THEN a.usage_rows END) AS usage_rows,
           SUM(CASE h.half WHEN 0 THEN a.runs END) AS runs,
           SUM(CASE h.half WHEN 0 THEN a.failed END) AS failed,
           SUM(CASE h.half WHEN 0 THEN a.finished END) AS finished
    FROM jobs j
    CROSS JOIN blocks b
    CROSS JOIN agg_job_block a
    CROSS JOIN halves h
    WHERE (:workspace IS NULL OR j.workspace_id = :workspace)
      AND a.job_id = j.job_id AND a.lvl = b.lvl AND a.pos = b.pos
    GROUP BY j.job_id
),
cost AS (SELECT job_id, total_cost FROM sums WHERE usage_rows > 0 AND total_cost > 0),
runs AS (SELECT job_id, runs, failed, finished FROM sums WHERE runs > 0),
ranked AS (
    SELECT c.job_id, c.total_cost,
           ROW_NUMBER() OVER (ORDER BY c.total_cost DESC, c.job_id) AS rank,
           SUM(c.total_cost) OVER (ORDER BY c.total_cost DESC, c.job_id ROWS UNBOUNDED PRECEDING) AS cumulative,
           SUM(c.total_cost) OVER () AS grand
    FROM cost c
),
shares AS (
    SELECT *, 100.0 * total_cost / grand AS share, 100.0 * cumulative / grand AS cumulative_share FROM ranked
),
thresholds AS (
    SELECT (SELECT MIN(rank) FROM shares WHERE cumulative_share >= 50) AS k50,
           (SELECT MIN(rank) FROM shares WHERE cumulative_share >= 80) AS k80
)
SELECT s.rank,
       s.job_id,
       j.job_name,
       s.total_cost AS total_cost_usd,
       s.share AS share_pct,
       s.cumulative_share AS cumulative_pct,
       COALESCE(r.runs, 0) AS runs,
       CASE WHEN r.finished > 0 THEN 100.0 * r.failed / r.finished END AS failure_rate_pct,
       CASE WHEN s.rank <= t.k50 THEN 'Critical' WHEN s.rank <= t.k80 THEN 'High' ELSE 'Monitor' END AS tier,
       printf('#%d %s', s.rank, j.job_name) AS rank_label
FROM shares s
JOIN jobs j ON j.job_id = s.job_id
LEFT JOIN runs r ON r.job_id = s.job_id
CROSS JOIN thresholds t
ORDER BY s.rank
