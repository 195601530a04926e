-- Runtime Regression: every successful run's duration, per job, for the change-point
-- transform of the spec (median, the day the median shifts most, slope per day).
-- Parameters: :from, :to (inclusive dates), :workspace (NULL = all).
-- Runs count when they started in the range and succeeded with a known duration. Reads
-- job_runs through its (job_id, start_time) index: one range seek per job.

-- query: runs
SELECT r.job_id,
       j.job_name,
       substr(r.start_time, 1, 10) AS date,
       r.duration_ms / 60000.0 AS minutes
FROM jobs j
JOIN job_runs r ON r.job_id = j.job_id
WHERE (:workspace IS NULL OR j.workspace_id = :workspace)
  AND r.start_time >= :from AND r.start_time < date(:to, '+1 day')
  AND r.run_status = 'SUCCESS'
  AND r.duration_ms IS NOT NULL
ORDER BY r.job_id, r.start_time
