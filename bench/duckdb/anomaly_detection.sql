-- anomaly_detection in DuckDB SQL over the raw rows: each job's and each shared cluster's
-- or warehouse's daily cost over every day of [:from, :to] ($0 on days without spend);
-- day i (0-based) is scored once i >= :warmup against the previous min(i, :window) days
-- (mean, population standard deviation); |z| >= :threshold is an anomaly (medium below
-- threshold + 1, high below threshold + 2, critical above). The app's rolling_zscore
-- transform, as SQL window functions; ordered like the app's anomalies.
WITH days AS (
    SELECT CAST(d AS DATE) AS day FROM range(:from, :to + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(d)
),
spend AS (
    SELECT 'job' AS subject_type, r.job_id AS entity_id, u.usage_date AS day, SUM(u.total_cost) AS cost
    FROM compute_usage u JOIN job_runs r ON r.job_run_id = u.parent_id
    WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
    GROUP BY ALL
    UNION ALL
    SELECT 'compute', parent_id, usage_date, SUM(total_cost)
    FROM compute_usage
    WHERE parent_type <> 'JOB_RUN' AND usage_date BETWEEN :from AND :to
    GROUP BY ALL
),
entities AS (SELECT DISTINCT subject_type, entity_id FROM spend),
filled AS (
    SELECT e.subject_type, e.entity_id, days.day, COALESCE(s.cost, 0) AS cost
    FROM entities e CROSS JOIN days
    LEFT JOIN spend s ON s.subject_type = e.subject_type AND s.entity_id = e.entity_id AND s.day = days.day
),
scored AS (
    SELECT *,
           ROW_NUMBER() OVER series - 1 AS i,
           AVG(cost) OVER baseline AS expected,
           STDDEV_POP(cost) OVER baseline AS std
    FROM filled
    WINDOW series AS (PARTITION BY subject_type, entity_id ORDER BY day),
           baseline AS (series ROWS BETWEEN :window PRECEDING AND 1 PRECEDING)
),
flagged AS (
    SELECT *, (cost - expected) / std AS z
    FROM scored
    WHERE i >= GREATEST(:warmup, 1) AND std > 0 AND ABS((cost - expected) / std) >= :threshold
)
SELECT f.subject_type, f.entity_id, COALESCE(j.job_name, c.compute_name, f.entity_id) AS entity_label,
       f.day AS date, f.cost AS actual_usd, f.expected AS expected_usd, f.std AS std_usd,
       f.cost - f.expected AS deviation_usd,
       CASE WHEN f.expected > 0 THEN 100.0 * (f.cost - f.expected) / f.expected END AS deviation_pct,
       f.z AS z_score,
       CASE WHEN ABS(f.z) < :threshold + 1 THEN 'medium' WHEN ABS(f.z) < :threshold + 2 THEN 'high' ELSE 'critical' END AS severity,
       CASE WHEN ABS(f.z) < :threshold + 1 THEN 1 WHEN ABS(f.z) < :threshold + 2 THEN 2 ELSE 3 END AS severity_rank
FROM flagged f
LEFT JOIN jobs j ON f.subject_type = 'job' AND j.job_id = f.entity_id
LEFT JOIN non_job_compute c ON f.subject_type = 'compute' AND c.compute_id = f.entity_id
ORDER BY severity_rank DESC, date DESC, ABS(z_score) DESC, f.entity_id
