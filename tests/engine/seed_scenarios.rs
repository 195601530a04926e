//! Every planted scenario of the seeded database, asserted with exact figures.

use crate::common;

use common::{int, real, strings};

#[test]
fn cast_matches_the_original_project() {
    let c = common::seeded();
    assert_eq!(strings(&c, "SELECT workspace_id || ' ' || workspace_name FROM workspace"), ["OU-CHICOLA Chicago Cola Co."]);
    assert_eq!(int(&c, "SELECT COUNT(*) FROM users_lookup"), 7);
    assert_eq!(int(&c, "SELECT COUNT(*) FROM instance_pools"), 2);
    assert_eq!(
        strings(&c, "SELECT compute_type || ':' || COUNT(*) FROM non_job_compute GROUP BY compute_type ORDER BY 1"),
        ["APC_CLUSTER:3", "SQL_WAREHOUSE:4"]
    );
    assert_eq!(int(&c, "SELECT COUNT(*) FROM jobs"), 9);
    assert_eq!(
        strings(&c, "SELECT job_id || '->' || depends_on_job_id FROM job_dependencies ORDER BY 1"),
        ["J-SUPPLY-DASHBOARD->J-SUPPLY-TRANSFORM", "J-SUPPLY-TRANSFORM->J-SUPPLY-RAW"]
    );
    assert_eq!(
        strings(&c, "SELECT DISTINCT compute_sku || '=' || usd_per_dbu FROM sku_prices ORDER BY 1"),
        ["STANDARD_ALL_PURPOSE_COMPUTE=0.4", "STANDARD_JOB_COMPUTE=0.4", "STANDARD_SQL_WAREHOUSE_COMPUTE=0.4"]
    );
    // Run counts follow the schedules: daily 45, Mondays 7, the 1st of the month 2, plus retries.
    assert_eq!(
        strings(&c, "SELECT job_id || ':' || COUNT(*) FROM job_runs GROUP BY job_id ORDER BY job_id"),
        [
            "J-FIN-DAILY:54",
            "J-FIN-MONTHLY:2",
            "J-HR-WEEKLY:7",
            "J-LEGACY-ETL:72",
            "J-ML-TRAINING:60",
            "J-ROUTE-OPT:45",
            "J-SUPPLY-DASHBOARD:45",
            "J-SUPPLY-RAW:45",
            "J-SUPPLY-TRANSFORM:45",
        ]
    );
    assert_eq!(int(&c, "SELECT COUNT(*) FROM job_runs"), 375);
    assert_eq!(int(&c, "SELECT COUNT(*) FROM compute_usage"), 688);
}

#[test]
fn fin_daily_retry_storm_with_spot_evictions_dec_5_to_7() {
    let c = common::seeded();
    for day in ["20251205", "20251206", "20251207"] {
        assert_eq!(
            strings(
                &c,
                &format!(
                    "SELECT substr(job_run_id, -3) || ':' || run_status FROM job_runs
                 WHERE job_id = 'J-FIN-DAILY' AND job_run_id LIKE '%-{day}-%' ORDER BY start_time"
                )
            ),
            ["R01:FAILED", "R02:FAILED", "R03:FAILED", "R04:SUCCESS"],
            "{day}"
        );
    }
    assert_eq!(int(&c, "SELECT COUNT(*) FROM job_runs WHERE job_id = 'J-FIN-DAILY' AND run_status = 'FAILED'"), 9);
    assert_eq!(
        int(
            &c,
            "SELECT COUNT(*) FROM job_runs WHERE job_id = 'J-FIN-DAILY' AND run_status = 'FAILED'
                 AND error_summary LIKE 'SpotInstanceTerminated%' AND date(start_time) BETWEEN '2025-12-05' AND '2025-12-07'"
        ),
        9
    );
    assert_eq!(
        int(
            &c,
            "SELECT COUNT(*) FROM eviction_details WHERE eviction_id LIKE 'EVICT-J-FIN-DAILY-%'
                 AND eviction_reason = 'PRICE_CHANGE' AND was_retried = 1"
        ),
        9
    );
    // Daily cost on the storm days is about twice a normal day.
    let daily: Vec<(String, f64)> = {
        let mut stmt = c
            .prepare(
                "SELECT u.usage_date, SUM(u.total_cost) FROM compute_usage u JOIN job_runs r ON r.job_run_id = u.parent_id
                 WHERE r.job_id = 'J-FIN-DAILY' GROUP BY u.usage_date ORDER BY u.usage_date",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let storm = |d: &str| ["2025-12-05", "2025-12-06", "2025-12-07"].contains(&d);
    let mut normal: Vec<f64> = daily.iter().filter(|(d, _)| !storm(d)).map(|(_, v)| *v).collect();
    normal.sort_by(f64::total_cmp);
    let median = normal[normal.len() / 2];
    let storm_costs: Vec<f64> = daily.iter().filter(|(d, _)| storm(d)).map(|(_, v)| (v * 100.0).round() / 100.0).collect();
    assert_eq!(storm_costs, [226.78, 236.99, 205.55]);
    for cost in storm_costs {
        let ratio = cost / median;
        assert!((1.7..2.4).contains(&ratio), "storm day is {ratio:.2}x the median day");
    }
}

#[test]
fn supply_raw_failure_on_nov_15_skips_transform_and_dashboard() {
    let c = common::seeded();
    assert_eq!(
        strings(
            &c,
            "SELECT job_id || ' ' || run_status || ' ' || date(start_time) FROM job_runs
                     WHERE run_status IN ('FAILED', 'SKIPPED') AND job_id LIKE 'J-SUPPLY-%' ORDER BY start_time"
        ),
        ["J-SUPPLY-RAW FAILED 2025-11-15", "J-SUPPLY-TRANSFORM SKIPPED 2025-11-15", "J-SUPPLY-DASHBOARD SKIPPED 2025-11-15"]
    );
    assert_eq!(
        strings(&c, "SELECT error_summary FROM job_runs WHERE job_id = 'J-SUPPLY-RAW' AND run_status = 'FAILED'"),
        ["IOException: connection timeout to source database supply-erp-db"]
    );
    assert_eq!(
        strings(&c, "SELECT error_summary FROM job_runs WHERE run_status = 'SKIPPED' ORDER BY start_time"),
        [
            "Skipped: upstream dependency J-SUPPLY-RAW did not succeed on 2025-11-15",
            "Skipped: upstream dependency J-SUPPLY-TRANSFORM did not succeed on 2025-11-15",
        ]
    );
    // Skipped runs cost nothing: no usage rows (the original project's shape).
    assert_eq!(
        int(&c, "SELECT COUNT(*) FROM compute_usage u JOIN job_runs r ON r.job_run_id = u.parent_id WHERE r.run_status = 'SKIPPED'"),
        0
    );
}

#[test]
fn route_opt_eviction_cluster_nov_28_to_30() {
    let c = common::seeded();
    assert_eq!(
        strings(
            &c,
            "SELECT date(start_time) || ' ' || run_status || ' ' || spot_ratio FROM job_runs
                     WHERE job_id = 'J-ROUTE-OPT' AND date(start_time) BETWEEN '2025-11-27' AND '2025-12-01' ORDER BY 1"
        ),
        ["2025-11-27 SUCCESS 0.7", "2025-11-28 FAILED 0.85", "2025-11-29 FAILED 0.85", "2025-11-30 FAILED 0.85", "2025-12-01 SUCCESS 0.7"]
    );
    assert_eq!(int(&c, "SELECT COUNT(*) FROM job_runs WHERE job_id = 'J-ROUTE-OPT'"), 45); // no retries
    assert_eq!(
        int(
            &c,
            "SELECT COUNT(*) FROM eviction_details WHERE eviction_id LIKE 'EVICT-J-ROUTE-OPT-%'
                 AND eviction_reason = 'CAPACITY_CHANGE' AND was_retried = 0"
        ),
        3
    );
}

#[test]
fn ml_training_regresses_from_dec_1() {
    let c = common::seeded();
    let avg_minutes = |cond: &str| {
        real(
            &c,
            &format!(
                "SELECT ROUND(AVG(duration_ms) / 60000.0, 1) FROM job_runs
             WHERE job_id = 'J-ML-TRAINING' AND run_status = 'SUCCESS' AND {cond}"
            ),
        )
    };
    let (before, after) = (avg_minutes("start_time < '2025-12-01'"), avg_minutes("start_time >= '2025-12-01'"));
    assert_eq!((before, after), (122.8, 168.1));
    assert!((1.3..1.5).contains(&(after / before)));
    assert_eq!(
        strings(&c, "SELECT DISTINCT CAST(spot_ratio AS TEXT) FROM job_runs WHERE job_id = 'J-ML-TRAINING' AND start_time >= '2025-12-01'"),
        ["0.65"]
    );
    assert_eq!(
        strings(
            &c,
            "SELECT group_concat(d) FROM (SELECT DISTINCT date(start_time) AS d FROM job_runs
                     WHERE job_id = 'J-ML-TRAINING' AND run_status = 'FAILED' ORDER BY d)"
        ),
        ["2025-12-03,2025-12-06,2025-12-09,2025-12-12,2025-12-15"]
    );
    assert_eq!(
        int(
            &c,
            "SELECT COUNT(*) FROM job_runs WHERE job_id = 'J-ML-TRAINING' AND run_status = 'FAILED'
                 AND error_summary LIKE '%Insufficient GPU capacity%'"
        ),
        15
    );
    assert_eq!(int(&c, "SELECT COUNT(*) FROM eviction_details WHERE eviction_id LIKE 'EVICT-J-ML-TRAINING-%'"), 15);
}

#[test]
fn legacy_etl_fails_every_fifth_day_and_grows_one_percent_a_day() {
    let c = common::seeded();
    assert_eq!(
        strings(
            &c,
            "SELECT group_concat(d) FROM (SELECT DISTINCT date(start_time) AS d FROM job_runs
                     WHERE job_id = 'J-LEGACY-ETL' AND run_status = 'FAILED' ORDER BY d)"
        ),
        ["2025-11-01,2025-11-06,2025-11-11,2025-11-16,2025-11-21,2025-11-26,2025-12-01,2025-12-06,2025-12-11"]
    );
    assert_eq!(int(&c, "SELECT COUNT(*) FROM job_runs WHERE job_id = 'J-LEGACY-ETL' AND run_status = 'FAILED'"), 27);
    assert_eq!(
        int(
            &c,
            "SELECT COUNT(*) FROM job_runs WHERE job_id = 'J-LEGACY-ETL' AND run_status = 'FAILED'
                 AND error_summary = 'Query timeout after 3 hours in stage customer_merge' AND duration_ms = 10800000"
        ),
        27
    );
    let week = |cond: &str| {
        real(
            &c,
            &format!(
                "SELECT ROUND(AVG(duration_ms) / 60000.0, 1) FROM job_runs
             WHERE job_id = 'J-LEGACY-ETL' AND run_status = 'SUCCESS' AND {cond}"
            ),
        )
    };
    assert_eq!((week("date(start_time) <= '2025-11-07'"), week("date(start_time) >= '2025-12-09'")), (176.9, 260.4));
}

#[test]
fn messy_tags_month_start_doubling_and_ad_hoc_query_problems() {
    let c = common::seeded();
    assert_eq!(
        strings(&c, "SELECT COALESCE(tags, 'NULL') FROM jobs WHERE job_id IN ('J-HR-WEEKLY', 'J-LEGACY-ETL') ORDER BY job_id"),
        ["[\"team=HR\"]", "NULL"]
    );
    assert_eq!(strings(&c, "SELECT tags FROM jobs WHERE job_id = 'J-SUPPLY-DASHBOARD'"), ["[\"stage=dashboard\",\"team=supply-chain\"]"]);
    // APC-FINANCE draws 300–500 DBUs a day, doubled on the 1st of each month.
    assert_eq!(
        strings(&c, "SELECT usage_date || ' ' || dbus_consumed FROM compute_usage WHERE parent_id = 'APC-FINANCE' AND dbus_consumed >= 500 ORDER BY 1"),
        ["2025-11-01 614.44", "2025-12-01 993.96"]
    );
    // 72 ad-hoc queries (Q-…); the rest are the shared resources' daily statements (QS-…).
    assert_eq!(int(&c, "SELECT COUNT(*) FROM sql_query_history WHERE query_id LIKE 'Q-%'"), 72);
    assert_eq!(int(&c, "SELECT COUNT(*) FROM sql_query_history"), 72 + 834);
    assert_eq!(
        int(
            &c,
            "SELECT COUNT(*) FROM sql_query_history WHERE parent_id = 'WH-HR' AND user_id = 'U-CHARLIE'
                 AND error_message LIKE '%timeout (180s)%' AND duration_ms >= 180000"
        ),
        9
    );
    assert_eq!(
        int(&c, "SELECT COUNT(*) FROM sql_query_history WHERE parent_id = 'WH-FINANCE' AND error_message LIKE '%exceeded 10GB%'"),
        9
    );
}

#[test]
fn evictions_and_events_per_job() {
    let c = common::seeded();
    assert_eq!(
        strings(
            &c,
            "SELECT r.job_id || ':' || COUNT(*) FROM eviction_details v
                     JOIN events e ON e.eviction_id = v.eviction_id
                     JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id
                     JOIN job_runs r ON r.job_run_id = u.parent_id GROUP BY r.job_id ORDER BY r.job_id"
        ),
        ["J-FIN-DAILY:9", "J-ML-TRAINING:15", "J-ROUTE-OPT:3"]
    );
    // Job clusters' events, then the sessions of the shared clusters and warehouses.
    assert_eq!(
        strings(
            &c,
            "SELECT u.parent_type || ' ' || e.event_type || ':' || COUNT(*) FROM events e
             JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id GROUP BY u.parent_type, e.event_type ORDER BY 1"
        ),
        [
            "APC_CLUSTER AUTOSCALING:62",
            "APC_CLUSTER CLUSTER_START:137",
            "APC_CLUSTER CLUSTER_TERMINATE:137",
            "JOB_RUN AUTOSCALING:131",
            "JOB_RUN CLUSTER_START:373",
            "JOB_RUN CLUSTER_TERMINATE:373",
            "JOB_RUN SPOT_EVICTION:27",
            "SQL_WAREHOUSE AUTOSCALING:82",
            "SQL_WAREHOUSE CLUSTER_START:207",
            "SQL_WAREHOUSE CLUSTER_TERMINATE:207",
        ]
    );
}

#[test]
fn shared_compute_sessions_follow_their_statements_and_settings() {
    let c = common::seeded();
    // The planted idler: the legacy cluster waits eight hours after its last command.
    assert_eq!(
        strings(
            &c,
            "SELECT compute_id || ' ' || auto_termination_mins || ' ' || min_workers || '-' || max_workers FROM compute_settings ORDER BY 1"
        ),
        ["APC-FINANCE 30 2-8", "APC-LEGACY 480 4-4", "APC-LOGISTICS 60 2-16", "WH-FINANCE 10 1-4", "WH-HR 45 1-2", "WH-ML 120 1-1", "WH-SUPPLY 15 1-3"]
    );
    // The logistics cluster may grow to 16 workers but never needs more than 6.
    assert_eq!(
        int(
            &c,
            "SELECT MAX(CAST(substr(details, instr(details, ' to ') + 4) AS INTEGER)) FROM events
             WHERE event_type = 'AUTOSCALING' AND compute_usage_id LIKE 'CU-APC-LOGISTICS-%'"
        ),
        6
    );
    assert_eq!(int(&c, "SELECT COUNT(*) FROM events WHERE compute_usage_id LIKE 'CU-APC-LEGACY-%' AND event_type = 'CLUSTER_START'"), 45);
}
