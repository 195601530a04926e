-- (The report before the aggregates, with its job list put in id order as the report now does.)
-- Tag Chargeback: showback of the range's spend by the value of one tag key of the jobs
-- (`team`, `cost_center` …), with the spend no value carries (shared) either spread over
-- the values in proportion to their direct spend or kept on an "Unallocated" line.
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all), :tag_key (text),
-- :allocation ('proportional' or 'unallocated').
--
-- Money is counted in whole cents: each usage row's cost is rounded to the cent
-- (ROUND(total_cost × 100), half away from zero) before anything is summed, so every line,
-- every spelling and the total are exact integers of cents. The proportional split is the
-- engine's `apportion` transform (largest remainder), which keeps the sum exact.
--
-- Tags: a job's `tags` is a JSON array of `key=value` strings (what an import writes) or a
-- JSON object; keys match case-insensitively after trimming; a job with the key twice takes
-- its smallest value. Values are normalised by: lowercase (ASCII), `-`, `_` and tabs as
-- spaces, runs of spaces (up to 32) collapsed to one, trimmed. A value that normalises to
-- nothing counts as untagged; tags that are not valid JSON count as untagged.
-- The workspace filter keeps usage whose run's job, or whose cluster or warehouse, is in
-- the workspace (as in Total Cost by Compute Type).

-- with:
-- Each job's value of the key (its smallest when the key is there twice), normalised.
pairs AS (
    SELECT j.job_id,
           lower(trim(CASE WHEN typeof(e.key) = 'text' THEN e.key WHEN instr(e.value, '=') > 0 THEN substr(e.value, 1, instr(e.value, '=') - 1) END)) AS k,
           trim(CASE WHEN typeof(e.key) = 'text' THEN e.value ELSE substr(e.value, instr(e.value, '=') + 1) END) AS raw
    FROM jobs j, json_each(CASE WHEN json_valid(j.tags) THEN j.tags END) e
    WHERE e.type = 'text'
),
tagged AS MATERIALIZED (
    SELECT job_id, MIN(raw) AS raw FROM pairs WHERE k = lower(trim(:tag_key)) AND raw <> '' GROUP BY job_id
),
named AS MATERIALIZED (
    SELECT job_id, raw, value FROM (
        SELECT job_id, raw,
               trim(replace(replace(replace(replace(replace(
                   replace(replace(replace(lower(raw), '-', ' '), '_', ' '), char(9), ' '),
                   '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' ')) AS value
        FROM tagged
    ) WHERE value <> ''
),
-- Every usage row in the range, in whole cents, with its job's value (NULL: untagged or
-- not a job's).
spend AS MATERIALIZED (
    SELECT u.parent_type, r.job_id, n.value, n.raw, CAST(ROUND(COALESCE(u.total_cost, 0) * 100) AS INTEGER) AS cents
    FROM compute_usage u
    LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
    LEFT JOIN jobs j ON j.job_id = r.job_id
    LEFT JOIN non_job_compute c ON u.parent_type <> 'JOB_RUN' AND c.compute_id = u.parent_id
    LEFT JOIN named n ON n.job_id = j.job_id
    WHERE u.usage_date BETWEEN :from AND :to
      AND (:workspace IS NULL OR COALESCE(j.workspace_id, c.workspace_id) = :workspace)
)

-- query: tag_keys
-- The tag keys the jobs carry (normalised to lowercase), for the key picker.
SELECT DISTINCT lower(trim(CASE WHEN typeof(e.key) = 'text' THEN e.key ELSE substr(e.value, 1, instr(e.value, '=') - 1) END)) AS tag_key
FROM jobs j, json_each(CASE WHEN json_valid(j.tags) THEN j.tags END) e
WHERE (:workspace IS NULL OR j.workspace_id = :workspace)
  AND e.type = 'text' AND (typeof(e.key) = 'text' OR instr(e.value, '=') > 1)
  AND trim(CASE WHEN typeof(e.key) = 'text' THEN e.key ELSE substr(e.value, 1, instr(e.value, '=') - 1) END) <> ''
ORDER BY tag_key

-- query: lines
WITH spelled AS (SELECT value, raw, SUM(cents) AS cents FROM spend WHERE value IS NOT NULL GROUP BY value, raw),
-- A value is shown as its spelling with the most spend (ties: the first in text order).
shown AS (
    SELECT value, raw AS label FROM (
        SELECT value, raw, ROW_NUMBER() OVER (PARTITION BY value ORDER BY cents DESC, raw) AS k FROM spelled
    ) WHERE k = 1
),
direct AS (
    SELECT value, SUM(cents) AS cents, COUNT(DISTINCT job_id) AS jobs, COUNT(DISTINCT raw) AS spellings
    FROM spend WHERE value IS NOT NULL GROUP BY value
),
totals AS (
    SELECT COALESCE(SUM(cents), 0) AS total,
           COALESCE(SUM(CASE WHEN value IS NOT NULL THEN cents END), 0) AS tagged,
           COALESCE(SUM(CASE WHEN value IS NULL THEN cents END), 0) AS shared
    FROM spend
),
-- Shared spend is spread only by the proportional rule and only when some value has
-- positive spend (the weights of the split).
rule AS (
    SELECT t.*, (:allocation = 'proportional' AND COALESCE((SELECT SUM(MAX(cents, 0)) FROM direct), 0) > 0) AS spread FROM totals t
)
SELECT d.value AS tag_value,
       s.label AS tag_label,
       lower(trim(:tag_key)) || '=' || d.value AS entity_id,
       0 AS is_unallocated,
       d.jobs AS jobs,
       d.spellings AS spellings,
       d.cents / 100.0 AS direct_cost_usd,
       CASE WHEN r.spread THEN r.shared / 100.0 ELSE 0.0 END AS pool_usd
FROM direct d JOIN shown s ON s.value = d.value CROSS JOIN rule r
UNION ALL
SELECT '(unallocated)', 'Unallocated (shared and untagged)', NULL, 1, NULL, NULL, r.shared / 100.0, 0.0
FROM rule r WHERE NOT r.spread AND r.shared <> 0
ORDER BY is_unallocated, direct_cost_usd DESC, tag_value

-- query: spellings
-- Every raw spelling of the key's values, the group it normalises to, and its spend.
SELECT raw AS spelling,
       value AS tag_value,
       lower(trim(:tag_key)) || '=' || value AS entity_id,
       COUNT(DISTINCT job_id) AS jobs,
       group_concat(DISTINCT job_id ORDER BY job_id) AS job_ids,
       SUM(cents) / 100.0 AS spelling_cost_usd
FROM spend
WHERE value IS NOT NULL
GROUP BY value, raw
ORDER BY value, spelling_cost_usd DESC, raw

-- query: summary
-- One row: the range's total and where it went (tagged, untagged jobs, other compute).
WITH totals AS (
    SELECT COALESCE(SUM(cents), 0) AS total,
           COALESCE(SUM(CASE WHEN value IS NOT NULL THEN cents END), 0) AS tagged,
           COALESCE(SUM(CASE WHEN value IS NULL AND job_id IS NOT NULL THEN cents END), 0) AS untagged_jobs,
           COALESCE(SUM(CASE WHEN parent_type <> 'JOB_RUN' THEN cents END), 0) AS other_compute,
           COALESCE(SUM(CASE WHEN parent_type = 'JOB_RUN' AND job_id IS NULL THEN cents END), 0) AS unlinked,
           COUNT(DISTINCT value) AS tag_values,
           COUNT(DISTINCT CASE WHEN value IS NULL THEN job_id END) AS untagged_job_count
    FROM spend
)
SELECT total / 100.0 AS spend_total_usd,
       tagged / 100.0 AS tagged_cost_usd,
       (total - tagged) / 100.0 AS shared_cost_usd,
       CASE WHEN total <> 0 THEN 100.0 * (total - tagged) / total END AS shared_pct,
       untagged_jobs / 100.0 AS untagged_jobs_cost_usd,
       other_compute / 100.0 AS other_compute_cost_usd,
       unlinked / 100.0 AS unlinked_cost_usd,
       tag_values,
       untagged_job_count
FROM totals
