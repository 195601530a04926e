-- Evidence about one normalised value of a tag key (copilot::evidence::tag_value), a line
-- of the Tag Chargeback report. Each query below is one fact's SQL.
-- Parameters: :key (tag key), :value (normalised value), :from, :to (inclusive dates),
-- :workspace (NULL = all). Tags and their normalisation as in sql/reports/tag_chargeback.sql;
-- money in whole cents per usage row, as the report counts it.
-- Columns are read by name; every computed column has an alias.

-- with:
-- Each job's value of the key (its smallest when the key is there twice), normalised.
pairs AS (
    SELECT j.job_id,
           lower(trim(CASE WHEN typeof(e.key) = 'text' THEN e.key WHEN instr(e.value, '=') > 0 THEN substr(e.value, 1, instr(e.value, '=') - 1) END)) AS k,
           trim(CASE WHEN typeof(e.key) = 'text' THEN e.value ELSE substr(e.value, instr(e.value, '=') + 1) END) AS raw
    FROM jobs j, json_each(CASE WHEN json_valid(j.tags) THEN j.tags END) e
    WHERE e.type = 'text'
),
first AS (SELECT job_id, MIN(raw) AS raw FROM pairs WHERE k = lower(trim(:key)) AND raw <> '' GROUP BY job_id),
normalised AS MATERIALIZED (
    SELECT job_id, raw,
           trim(replace(replace(replace(replace(replace(
               replace(replace(replace(lower(raw), '-', ' '), '_', ' '), char(9), ' '),
               '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')) AS value
    FROM first
)

-- query: jobs
-- The jobs carrying the value, by spend in the range, with their raw spelling.
WITH named AS (SELECT job_id, raw FROM normalised WHERE value = :value)
SELECT n.job_id AS id, j.job_name AS name, n.raw AS spelling,
       COALESCE(SUM(CAST(ROUND(COALESCE(u.total_cost, 0) * 100) AS INTEGER)), 0) / 100.0 AS cost,
       COUNT(DISTINCT r.job_run_id) AS runs
FROM named n
JOIN jobs j ON j.job_id = n.job_id
JOIN job_runs r ON r.job_id = n.job_id
JOIN compute_usage u ON u.parent_type = 'JOB_RUN' AND u.parent_id = r.job_run_id
WHERE u.usage_date BETWEEN :from AND :to AND (:workspace IS NULL OR j.workspace_id = :workspace)
GROUP BY n.job_id
ORDER BY cost DESC, id

-- query: daily
-- The value's direct spend per day with spend.
WITH named AS (SELECT job_id FROM normalised WHERE value = :value)
SELECT u.usage_date AS day, SUM(CAST(ROUND(COALESCE(u.total_cost, 0) * 100) AS INTEGER)) / 100.0 AS cost
FROM named n
JOIN jobs j ON j.job_id = n.job_id
JOIN job_runs r ON r.job_id = n.job_id
JOIN compute_usage u ON u.parent_type = 'JOB_RUN' AND u.parent_id = r.job_run_id
WHERE u.usage_date BETWEEN :from AND :to AND (:workspace IS NULL OR j.workspace_id = :workspace)
GROUP BY u.usage_date
ORDER BY u.usage_date

-- query: untagged
-- Where the spend without the key comes from: jobs without it (their ids), and clusters
-- and warehouses; with the range's total.
WITH tagged AS (SELECT job_id FROM normalised WHERE value <> ''),
spend AS (
    SELECT u.parent_type, r.job_id, t.job_id AS tagged_job, CAST(ROUND(COALESCE(u.total_cost, 0) * 100) AS INTEGER) AS cents
    FROM compute_usage u
    LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
    LEFT JOIN jobs j ON j.job_id = r.job_id
    LEFT JOIN non_job_compute c ON u.parent_type <> 'JOB_RUN' AND c.compute_id = u.parent_id
    LEFT JOIN tagged t ON t.job_id = j.job_id
    WHERE u.usage_date BETWEEN :from AND :to
      AND (:workspace IS NULL OR COALESCE(j.workspace_id, c.workspace_id) = :workspace)
)
SELECT COALESCE(SUM(cents), 0) / 100.0 AS total,
       COALESCE(SUM(CASE WHEN tagged_job IS NULL THEN cents END), 0) / 100.0 AS shared,
       COALESCE(SUM(CASE WHEN tagged_job IS NULL AND job_id IS NOT NULL THEN cents END), 0) / 100.0 AS untagged_jobs,
       COALESCE(SUM(CASE WHEN parent_type <> 'JOB_RUN' THEN cents END), 0) / 100.0 AS other_compute,
       COALESCE(group_concat(DISTINCT CASE WHEN tagged_job IS NULL THEN job_id END), '') AS untagged_job_ids
FROM spend
