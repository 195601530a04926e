-- FOCUS 1.2 export: one row per compute_usage row, in usage_date then id order.
-- Read by data::focus, which formats the values (decimals, Tags JSON) and checks that no
-- column FOCUS requires to be filled came out NULL (a date SQLite could not read, say).
--
-- The usage row's resource is its cluster when known, else its parent (the job run, the
-- all-purpose cluster or the SQL warehouse); its sub account is the workspace of the job
-- or of the shared compute. The list price is the sku_prices row valid on usage_date (the
-- latest start, then the lowest price when several clouds list one); without one, the list
-- and contracted costs are the billed cost. Nothing in the data records discounts or
-- commitments, so the effective and contracted costs equal the billed and list costs.
SELECT
    u.compute_usage_id,
    u.parent_type,
    u.parent_id,
    u.compute_sku,
    u.dbus_consumed,
    COALESCE(u.total_cost, 0) AS billed_cost,
    p.usd_per_dbu AS list_unit_price,
    p.price_start_date,
    strftime('%Y-%m-%dT%H:%M:%SZ', u.usage_date) AS charge_start,
    strftime('%Y-%m-%dT%H:%M:%SZ', u.usage_date, '+1 day') AS charge_end,
    strftime('%Y-%m-%dT%H:%M:%SZ', u.usage_date, 'start of month') AS billing_start,
    strftime('%Y-%m-%dT%H:%M:%SZ', u.usage_date, 'start of month', '+1 month') AS billing_end,
    w.workspace_id,
    w.workspace_name,
    w.account_id,
    COALESCE(u.cluster_id, u.parent_id) AS resource_id,
    CASE u.parent_type WHEN 'JOB_RUN' THEN j.job_name ELSE c.compute_name END AS resource_name,
    j.job_id,
    CASE u.parent_type WHEN 'JOB_RUN' THEN u.parent_id END AS job_run_id,
    r.run_status,
    r.spot_ratio,
    j.tags,
    u.cluster_id,
    u.cluster_instance_type,
    u.avg_cpu_utilization,
    u.is_production,
    u.usage_date
FROM compute_usage u
LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
LEFT JOIN jobs j ON j.job_id = r.job_id
LEFT JOIN non_job_compute c ON u.parent_type <> 'JOB_RUN' AND c.compute_id = u.parent_id
LEFT JOIN workspace w ON w.workspace_id = COALESCE(j.workspace_id, c.workspace_id)
LEFT JOIN sku_prices p ON p.rowid = (
    SELECT s.rowid FROM sku_prices s
    WHERE s.compute_sku = u.compute_sku
      AND s.price_start_date <= u.usage_date
      AND (s.price_end_date IS NULL OR s.price_end_date > u.usage_date)
    ORDER BY s.price_start_date DESC, s.usd_per_dbu
    LIMIT 1
)
ORDER BY u.usage_date, u.compute_usage_id
