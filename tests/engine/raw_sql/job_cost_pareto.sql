-- Cost concentration (Pareto): jobs ranked by cost with the running share of job spend.
-- "Jobs needed to reach X %" is the smallest rank whose cumulative share is at least X %.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).

-- query: rows
WITH cost AS (
    SELECT r.job_id, SUM(u.total_cost) AS total_cost
    FROM compute_usage u
    JOIN job_runs r ON r.job_run_id = u.parent_id
    JOIN jobs j ON j.job_id = r.job_id
    WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
      AND (:workspace IS NULL OR j.workspace_id = :workspace)
    GROUP BY r.job_id
    HAVING SUM(u.total_cost) > 0
),
runs AS (
    SELECT job_id,
           COUNT(*) AS runs,
           SUM(run_status = 'FAILED') AS failed,
           SUM(run_status IN ('SUCCESS', 'FAILED')) AS finished
    FROM job_runs
    WHERE date(start_time) BETWEEN :from AND :to
    GROUP BY job_id
),
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
