//! Internal consistency of the generated data, as SQL assertions: each query counts the
//! rows that break a rule and must return 0. Run on the seeded DB and on a scaled one.

use crate::common;

use rusqlite::Connection;
use usage_copilot::data::seed::SeedConfig;

const RULES: &[(&str, &str)] = &[
    ("run ends before it starts or duration disagrees with end - start",
     "SELECT COUNT(*) FROM job_runs WHERE end_time IS NULL OR duration_ms IS NULL OR duration_ms < 0
        OR duration_ms % 1000 <> 0
        OR CAST(strftime('%s', end_time) AS INTEGER) - CAST(strftime('%s', start_time) AS INTEGER) <> duration_ms / 1000"),
    ("cost differs from DBUs x list price of the SKU on the usage date",
     "SELECT COUNT(*) FROM compute_usage u LEFT JOIN sku_prices p
        ON p.compute_sku = u.compute_sku AND u.usage_date >= p.price_start_date
       AND (p.price_end_date IS NULL OR u.usage_date < p.price_end_date)
      WHERE p.usd_per_dbu IS NULL OR u.total_cost <> u.dbus_consumed * p.usd_per_dbu"),
    ("usage row without a parent run or resource",
     "SELECT COUNT(*) FROM compute_usage u WHERE
        (u.parent_type = 'JOB_RUN' AND NOT EXISTS (SELECT 1 FROM job_runs r WHERE r.job_run_id = u.parent_id))
     OR (u.parent_type <> 'JOB_RUN' AND NOT EXISTS (SELECT 1 FROM non_job_compute c WHERE c.compute_id = u.parent_id AND c.compute_type = u.parent_type))"),
    ("job-run usage dated other than its run's start date",
     "SELECT COUNT(*) FROM compute_usage u JOIN job_runs r ON r.job_run_id = u.parent_id
       WHERE u.parent_type = 'JOB_RUN' AND u.usage_date <> date(r.start_time)"),
    ("event pointing at a missing usage row, user or eviction",
     "SELECT COUNT(*) FROM events e WHERE
        NOT EXISTS (SELECT 1 FROM compute_usage u WHERE u.compute_usage_id = e.compute_usage_id)
     OR (e.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users_lookup x WHERE x.user_id = e.user_id))
     OR (e.eviction_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM eviction_details v WHERE v.eviction_id = e.eviction_id))"),
    ("eviction without exactly one SPOT_EVICTION event",
     "SELECT COUNT(*) FROM eviction_details v WHERE
        (SELECT COUNT(*) FROM events e WHERE e.eviction_id = v.eviction_id AND e.event_type = 'SPOT_EVICTION') <> 1"),
    ("event outside the interval of its job run",
     "SELECT COUNT(*) FROM events e JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id
        JOIN job_runs r ON r.job_run_id = u.parent_id
      WHERE u.parent_type = 'JOB_RUN' AND (e.event_time < r.start_time OR e.event_time > r.end_time)"),
    ("eviction outside its run or on a successful run",
     "SELECT COUNT(*) FROM eviction_details v JOIN events e ON e.eviction_id = v.eviction_id
        JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id JOIN job_runs r ON r.job_run_id = u.parent_id
      WHERE v.eviction_time <> e.event_time OR r.run_status <> 'FAILED'
         OR v.eviction_time < r.start_time OR v.eviction_time > r.end_time"),
    ("skipped run with usage or events, or with a duration",
     "SELECT COUNT(*) FROM job_runs r WHERE r.run_status = 'SKIPPED' AND (r.duration_ms <> 0
        OR EXISTS (SELECT 1 FROM compute_usage u WHERE u.parent_id = r.job_run_id))"),
    ("run that is not SKIPPED without exactly one usage row",
     "SELECT COUNT(*) FROM job_runs r WHERE r.run_status <> 'SKIPPED'
        AND (SELECT COUNT(*) FROM compute_usage u WHERE u.parent_id = r.job_run_id AND u.parent_type = 'JOB_RUN') <> 1"),
    ("query on something other than a shared cluster or warehouse, ad-hoc query on a cluster, or by an unknown user",
     "SELECT COUNT(*) FROM sql_query_history q WHERE
        NOT EXISTS (SELECT 1 FROM non_job_compute c WHERE c.compute_id = q.parent_id
                    AND (c.compute_type = 'SQL_WAREHOUSE' OR q.query_id LIKE 'QS-%'))
     OR NOT EXISTS (SELECT 1 FROM users_lookup x WHERE x.user_id = q.user_id)"),
    ("shared cluster or warehouse without settings, or with min > max",
     "SELECT COUNT(*) FROM non_job_compute c LEFT JOIN compute_settings s ON s.compute_id = c.compute_id
      WHERE s.compute_id IS NULL OR s.min_workers > s.max_workers"),
    ("shared compute session that does not end on its day after a start",
     "SELECT COUNT(*) FROM events e JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id
      WHERE u.parent_type <> 'JOB_RUN' AND e.event_type = 'CLUSTER_START' AND NOT EXISTS (
          SELECT 1 FROM events t WHERE t.event_id = replace(e.event_id, '-START', '-END') AND t.event_type = 'CLUSTER_TERMINATE'
            AND t.event_time > e.event_time AND substr(t.event_time, 1, 10) = u.usage_date)"),
    ("shared compute statement outside every session of its day",
     "SELECT COUNT(*) FROM sql_query_history q WHERE q.query_id LIKE 'QS-%' AND NOT EXISTS (
          SELECT 1 FROM events s JOIN events t ON t.event_id = replace(s.event_id, '-START', '-END')
          WHERE s.compute_usage_id = 'CU-' || q.parent_id || '-' || replace(substr(q.start_time, 1, 10), '-', '')
            AND s.event_type = 'CLUSTER_START' AND s.event_time < q.start_time
            AND strftime('%s', q.start_time) + q.duration_ms / 1000.0 < strftime('%s', t.event_time))"),
    ("shared compute session that does not stop auto-termination minutes after its last statement (to the second)",
     "SELECT COUNT(*) FROM events s JOIN events t ON t.event_id = replace(s.event_id, '-START', '-END')
      JOIN compute_usage u ON u.compute_usage_id = s.compute_usage_id AND u.parent_type <> 'JOB_RUN'
      JOIN compute_settings cs ON cs.compute_id = u.parent_id
      WHERE s.event_type = 'CLUSTER_START' AND (
          SELECT strftime('%s', t.event_time) - 60 * cs.auto_termination_mins - MAX(strftime('%s', q.start_time) + q.duration_ms / 1000.0)
          FROM sql_query_history q
          WHERE q.parent_id = u.parent_id AND q.start_time > s.event_time AND q.start_time < t.event_time) NOT BETWEEN 0 AND 0.999"),
    ("dependency on an unknown job",
     "SELECT COUNT(*) FROM job_dependencies d WHERE
        NOT EXISTS (SELECT 1 FROM jobs j WHERE j.job_id = d.job_id)
     OR NOT EXISTS (SELECT 1 FROM jobs j WHERE j.job_id = d.depends_on_job_id)"),
    ("usage date outside date_series",
     "SELECT COUNT(*) FROM compute_usage u WHERE NOT EXISTS (SELECT 1 FROM date_series d WHERE d.date = u.usage_date)"),
    ("negative or missing money, DBUs or utilisation",
     "SELECT COUNT(*) FROM compute_usage WHERE total_cost IS NULL OR total_cost < 0 OR dbus_consumed <= 0
        OR avg_cpu_utilization NOT BETWEEN 0 AND 1"),
    ("spot ratio outside 0..1", "SELECT COUNT(*) FROM job_runs WHERE spot_ratio NOT BETWEEN 0 AND 1"),
];

fn assert_consistent(conn: &Connection, label: &str) {
    let fk: i64 = conn.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 0, "{label}: declared foreign keys that do not resolve");
    let broken: Vec<String> = RULES
        .iter()
        .filter_map(|(rule, sql)| {
            let n = common::int(conn, sql);
            (n != 0).then(|| format!("{rule}: {n} rows"))
        })
        .collect();
    assert!(broken.is_empty(), "{label}: {broken:#?}");
}

#[test]
fn seeded_database_is_internally_consistent() {
    let conn = common::seeded();
    assert_consistent(&conn, "seeded");
    // date_series holds the 45 days and nothing else.
    assert_eq!(common::int(&conn, "SELECT COUNT(*) FROM date_series"), 45);
    assert_eq!(common::strings(&conn, "SELECT MIN(date) || ' ' || MAX(date) FROM date_series"), ["2025-11-01 2025-12-15"]);
    assert_eq!(common::strings(&conn, "SELECT MIN(usage_date) || ' ' || MAX(usage_date) FROM compute_usage"), ["2025-11-01 2025-12-15"]);
}

#[test]
fn scaled_database_keeps_the_same_rules() {
    // 20 jobs = two full groups plus a partial third; 70 days crosses a month start twice.
    let conn = common::generated(&SeedConfig { jobs: 20, days: 70, ..SeedConfig::default() });
    assert_consistent(&conn, "scaled");
    assert_eq!(common::int(&conn, "SELECT COUNT(*) FROM jobs"), 20);
    assert_eq!(common::int(&conn, "SELECT COUNT(*) FROM non_job_compute"), 21);
    assert_eq!(common::int(&conn, "SELECT COUNT(*) FROM workspace"), 3);
    assert_eq!(common::int(&conn, "SELECT COUNT(*) FROM date_series"), 70);
    // The clones repeat the cascade: groups 0 and 1 each skip TRANSFORM and DASHBOARD on
    // Nov 15; the partial group 2 (FIN-DAILY and FIN-MONTHLY clones) has no supply chain.
    assert_eq!(common::int(&conn, "SELECT COUNT(*) FROM job_runs WHERE run_status = 'SKIPPED'"), 4);
    assert_eq!(common::strings(&conn, "SELECT DISTINCT date(start_time) FROM job_runs WHERE run_status = 'SKIPPED'"), ["2025-11-15"]);
}
