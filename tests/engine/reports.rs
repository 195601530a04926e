//! Every report's figures on the seeded DB, checked against an independent oracle that
//! recomputes them in plain Rust from raw rows (tests/common/oracle.rs).

use crate::common;

use std::collections::BTreeMap;

use common::oracle::{days, r2, set, Raw};
use rusqlite::Connection;
use usage_copilot::base::calendar::Date;
use usage_copilot::data::seed::SeedConfig;
use usage_copilot::report::output::report_json;
use usage_copilot::report::{registry, run_report, ReportFilters, ReportResult, Value};

const EPS: f64 = 1e-6;

fn filters(from: &str, to: &str, workspace: Option<&str>) -> ReportFilters {
    ReportFilters { from: Date::parse(from).unwrap(), to: Date::parse(to).unwrap(), workspace: workspace.map(String::from) }
}

fn run(conn: &Connection, key: &str, f: &ReportFilters) -> ReportResult {
    run_report(conn, key, f, &BTreeMap::new()).unwrap_or_else(|e| panic!("{key}: {e}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v:?}"))
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!((actual - expected).abs() < EPS, "{what}: report {actual} vs oracle {expected}");
}

fn check_job_cost(conn: &Connection, f: &ReportFilters) {
    let raw = Raw::load(conn);
    let (from, to) = (f.from.to_string(), f.to.to_string());
    let oracle = raw.job_costs(&from, &to, f.workspace.as_deref());
    let result = run(conn, "job_cost", f);
    let rows = result.rows();
    assert_eq!(rows.len(), oracle.len());
    let grand: f64 = oracle.values().map(|j| j.cost).sum();
    let mut previous = f64::INFINITY;
    for i in 0..rows.len() {
        let row = rows.row(i);
        let id = row.text("job_id");
        let o = &oracle[&id];
        let cost = num(row.get("total_cost_usd"));
        assert!(cost <= previous, "rows are ordered by cost");
        previous = cost;
        close(cost, o.cost, &format!("{id} total"));
        close(num(row.get("spot_cost_usd")), o.spot_cost, &format!("{id} spot"));
        close(num(row.get("on_demand_cost_usd")), o.cost - o.spot_cost, &format!("{id} on-demand"));
        close(num(row.get("share_pct")), 100.0 * o.cost / grand, &format!("{id} share"));
        assert_eq!(num(row.get("runs")) as i64, o.runs, "{id} runs");
        assert_eq!(num(row.get("failed_runs")) as i64, o.failed, "{id} failed");
        assert_eq!(num(row.get("skipped_runs")) as i64, o.skipped, "{id} skipped");
        if o.finished() == 0 {
            // Only skipped runs: no success rate and no duration to report.
            assert!(row.get("success_rate_pct").is_null() && row.get("avg_minutes").is_null(), "{id}");
            continue;
        }
        close(num(row.get("success_rate_pct")), 100.0 * o.succeeded as f64 / o.finished() as f64, &format!("{id} success"));
        let mean = o.finished_minutes.iter().sum::<f64>() / o.finished_minutes.len() as f64;
        close(num(row.get("avg_minutes")), mean, &format!("{id} minutes"));
    }
    close(num(result.kpi("total_cost_usd").unwrap()), grand, "KPI total");
    let succeeded: i64 = oracle.values().map(|j| j.succeeded).sum();
    let finished: i64 = oracle.values().map(|j| j.finished()).sum();
    close(num(result.kpi("success_rate_pct").unwrap()), 100.0 * succeeded as f64 / finished as f64, "KPI success");
    let high = oracle.values().filter(|j| 100.0 * j.cost / grand > 10.0).count();
    assert_eq!(result.kpi("high_cost_jobs"), Some(&Value::Int(high as i64)));
}

#[test]
fn job_cost_matches_the_oracle_for_the_full_range_and_a_sub_range() {
    let conn = common::seeded();
    check_job_cost(&conn, &filters("2025-11-01", "2025-12-15", None));
    check_job_cost(&conn, &filters("2025-12-01", "2025-12-15", None));
    check_job_cost(&conn, &filters("2025-11-15", "2025-11-15", None));

    // Fixed anchors a reader can check against the scenarios.
    let result = run(&conn, "job_cost", &filters("2025-11-01", "2025-12-15", None));
    let json = report_json(&registry().get("job_cost").unwrap().spec, &result);
    let legacy = &json["rows"][0];
    assert_eq!(legacy["job_id"], "J-LEGACY-ETL");
    assert_eq!((legacy["runs"].as_i64(), legacy["failed_runs"].as_i64()), (Some(72), Some(27)));
    assert_eq!(legacy["success_rate_pct"], 62.5);
    assert_eq!(json["kpis"]["total_cost_usd"], 232_360.44);
    assert_eq!(json["kpis"]["failed_runs"], 56);
    let transform = json["rows"].as_array().unwrap().iter().find(|r| r["job_id"] == "J-SUPPLY-TRANSFORM").unwrap();
    assert_eq!(transform["skipped_runs"], 1);
    assert_eq!(transform["attention_reasons"], "1 run(s) skipped after an upstream failure");
    assert_eq!(
        json["rows"][1]["attention_reasons"],
        "High failure rate: 25.0% of finished runs failed; Cost hotspot: 32.7% of job spend; Spot exposure: 57.3% of cost on spot"
    );
}

#[test]
fn compute_type_cost_matches_the_oracle() {
    let conn = common::seeded();
    for (from, to) in [("2025-11-01", "2025-12-15"), ("2025-11-20", "2025-12-05")] {
        let raw = Raw::load(&conn);
        let day_list = days(from, to);
        let oracle = raw.daily_by_type(&day_list, None);
        let result = run(&conn, "compute_type_cost", &filters(from, to, None));
        let rows = result.rows();
        assert_eq!(rows.len(), oracle.len());
        let grand: f64 = oracle.values().flatten().sum();
        for i in 0..rows.len() {
            let row = rows.row(i);
            let t = row.text("compute_type");
            let daily = &oracle[&t];
            let total: f64 = daily.iter().sum();
            let mean = total / daily.len() as f64;
            let max = daily.iter().cloned().fold(f64::MIN, f64::max);
            let min = daily.iter().cloned().fold(f64::MAX, f64::min);
            close(num(row.get("total_cost_usd")), total, &format!("{t} total"));
            close(num(row.get("share_pct")), 100.0 * total / grand, &format!("{t} share"));
            close(num(row.get("avg_daily_cost_usd")), mean, &format!("{t} mean"));
            close(num(row.get("max_daily_cost_usd")), max, &format!("{t} max"));
            close(num(row.get("min_daily_cost_usd")), min, &format!("{t} min"));
            close(num(row.get("volatility")), (max - min) / mean, &format!("{t} volatility"));
        }
        let daily_rows = result.dataset("daily").unwrap();
        assert_eq!(daily_rows.len(), oracle.len() * day_list.len(), "zero-filled trend");
    }
    let result = run(&conn, "compute_type_cost", &filters("2025-11-01", "2025-12-15", None));
    let order: Vec<String> = (0..3).map(|i| result.rows().row(i).text("compute_type")).collect();
    assert_eq!(order, ["JOB_RUN", "APC_CLUSTER", "SQL_WAREHOUSE"]);
}

#[test]
fn pareto_counts_the_smallest_k_reaching_each_threshold() {
    let conn = common::seeded();
    let raw = Raw::load(&conn);
    let mut costs: Vec<(String, f64)> = raw.job_costs("2025-11-01", "2025-12-15", None).into_iter().map(|(id, f)| (id, f.cost)).collect();
    costs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let grand: f64 = costs.iter().map(|c| c.1).sum();
    let k_for = |threshold: f64| {
        let mut cumulative = 0.0;
        for (k, (_, c)) in costs.iter().enumerate() {
            cumulative += c;
            if 100.0 * cumulative / grand >= threshold {
                return k as i64 + 1;
            }
        }
        unreachable!()
    };
    let result = run(&conn, "job_cost_pareto", &filters("2025-11-01", "2025-12-15", None));
    assert_eq!(num(result.kpi("jobs_for_50_pct").unwrap()) as i64, k_for(50.0));
    assert_eq!(num(result.kpi("jobs_for_80_pct").unwrap()) as i64, k_for(80.0));
    // LEGACY alone is 58 % of job spend and two jobs pass 80 %: 1 and 2, not 0 and 1.
    assert_eq!((k_for(50.0), k_for(80.0)), (1, 2));
    let rows = result.rows();
    let mut cumulative = 0.0;
    for (i, (id, cost)) in costs.iter().enumerate() {
        cumulative += cost;
        let row = rows.row(i);
        assert_eq!(&row.text("job_id"), id);
        assert_eq!(num(row.get("rank")) as usize, i + 1);
        close(num(row.get("cumulative_pct")), 100.0 * cumulative / grand, &format!("{id} cumulative"));
        let tier = if i < 1 {
            "Critical"
        } else if i < 2 {
            "High"
        } else {
            "Monitor"
        };
        assert_eq!(row.text("tier"), tier, "{id}");
    }
}

#[test]
fn spot_risk_matches_the_oracle() {
    let conn = common::seeded();
    let raw = Raw::load(&conn);
    let costs = raw.job_costs("2025-11-01", "2025-12-15", None);
    let evictions = raw.evictions_by_job("2025-11-01", "2025-12-15");
    let result = run(&conn, "spot_risk_by_job", &filters("2025-11-01", "2025-12-15", None));
    let rows = result.rows();
    let mut previous = f64::INFINITY;
    for i in 0..rows.len() {
        let row = rows.row(i);
        let id = row.text("job_id");
        let c = &costs[&id];
        let ev = evictions.get(&id).cloned().unwrap_or_default();
        let evicted_runs = set(ev.iter().map(|(run, _)| run.clone()));
        let runs_with_usage =
            raw.usage.iter().filter(|u| u.parent_type == "JOB_RUN" && raw.run(&u.parent_id).unwrap().job_id == id).count() as f64;
        let spot_pct = if c.cost > 0.0 { 100.0 * c.spot_cost / c.cost } else { 0.0 };
        let eviction_rate = 100.0 * evicted_runs.len() as f64 / runs_with_usage;
        let evicted_cost: f64 = raw.usage.iter().filter(|u| evicted_runs.contains(&u.parent_id)).map(|u| u.cost).sum();
        assert_eq!(num(row.get("evictions")) as usize, ev.len(), "{id} evictions");
        assert_eq!(num(row.get("eviction_days")) as usize, set(ev.iter().map(|(_, d)| d.clone())).len(), "{id} days");
        close(num(row.get("spot_cost_pct")), spot_pct, &format!("{id} spot %"));
        close(num(row.get("eviction_rate_pct")), eviction_rate, &format!("{id} eviction rate"));
        close(num(row.get("evicted_cost_usd")), evicted_cost, &format!("{id} evicted cost"));
        let risk = num(row.get("risk_score"));
        close(risk, spot_pct * eviction_rate / 100.0, &format!("{id} risk"));
        assert!(risk <= previous, "ordered by risk");
        previous = risk;
    }
    assert_eq!(rows.row(0).text("job_id"), "J-ML-TRAINING");
    assert_eq!(result.kpi("evictions"), Some(&Value::Real(27.0)));
    let heat = result.dataset("heatmap").unwrap();
    assert_eq!(heat.len(), 3 * 45, "three jobs with evictions × 45 days");
    let cells: f64 = (0..heat.len()).map(|i| num(heat.get(i, "evictions"))).sum();
    assert_eq!(cells, 27.0);
}

/// The oracle's own z-score: population std over the previous min(i, window) days,
/// scoring days i ≥ warmup.
fn oracle_anomalies(raw: &Raw, from: &str, to: &str, window: usize, warmup: usize, threshold: f64) -> BTreeMap<(String, String), f64> {
    let day_list = days(from, to);
    let mut out = BTreeMap::new();
    for ((_, entity), series) in raw.daily_series(&day_list) {
        for i in warmup.max(1)..series.len() {
            let base = &series[i.saturating_sub(window)..i];
            let mean = base.iter().sum::<f64>() / base.len() as f64;
            let std = (base.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / base.len() as f64).sqrt();
            if std > 0.0 && ((series[i] - mean) / std).abs() >= threshold {
                out.insert((entity.clone(), day_list[i].clone()), r2((series[i] - mean) / std));
            }
        }
    }
    out
}

fn report_anomalies(result: &ReportResult) -> BTreeMap<(String, String), f64> {
    let rows = result.rows();
    (0..rows.len())
        .map(|i| {
            let r = rows.row(i);
            ((r.text("entity_id"), r.text("date")), r2(num(r.get("z_score"))))
        })
        .collect()
}

#[test]
fn anomalies_match_the_oracle_and_catch_every_planted_onset() {
    let conn = common::seeded();
    let raw = Raw::load(&conn);
    let result = run(&conn, "anomaly_detection", &filters("2025-11-01", "2025-12-15", None));
    let found = report_anomalies(&result);
    assert_eq!(found, oracle_anomalies(&raw, "2025-11-01", "2025-12-15", 14, 14, 3.0));

    let planted = [
        ("J-SUPPLY-RAW", "2025-11-15"),       // source DB outage
        ("J-SUPPLY-TRANSFORM", "2025-11-15"), // skipped downstream: $0 that day
        ("J-SUPPLY-DASHBOARD", "2025-11-15"),
        ("J-ROUTE-OPT", "2025-11-28"),   // eviction cluster starts
        ("J-ML-TRAINING", "2025-12-01"), // runtime regression starts
        ("J-ML-TRAINING", "2025-12-03"), // first GPU-capacity failure with retries
        ("APC-FINANCE", "2025-12-01"),   // month-start doubling
        ("J-FIN-DAILY", "2025-12-05"),   // retry storm starts
    ];
    for (entity, date) in planted {
        assert!(found.contains_key(&(entity.to_string(), date.to_string())), "{entity} on {date} not flagged: {found:?}");
    }
    // Drops are negative, spikes positive.
    assert!(found[&("J-SUPPLY-RAW".into(), "2025-11-15".into())] < -3.0);
    assert!(found[&("J-FIN-DAILY".into(), "2025-12-05".into())] > 3.0);
    // Quiet controls raise nothing.
    for quiet in ["J-HR-WEEKLY", "WH-HR", "WH-FINANCE", "WH-SUPPLY", "WH-ML", "APC-LOGISTICS"] {
        assert!(!found.keys().any(|(e, _)| e == quiet), "{quiet} flagged: {found:?}");
    }
    assert_eq!(result.kpi("anomalies"), Some(&Value::Int(found.len() as i64)));

    // Every scored series day carries its band; the series is zero-filled.
    let scored = result.dataset("scored").unwrap();
    let entities = raw.daily_series(&days("2025-11-01", "2025-12-15")).len();
    assert_eq!(scored.len(), entities * 45);
}

#[test]
fn anomaly_parameters_change_the_result_and_are_checked() {
    let conn = common::seeded();
    let raw = Raw::load(&conn);
    let f = filters("2025-11-01", "2025-12-15", None);
    let params: BTreeMap<String, f64> = [("window".into(), 7.0), ("warmup".into(), 7.0), ("threshold".into(), 2.5)].into();
    let result = run_report(&conn, "anomaly_detection", &f, &params).unwrap();
    assert_eq!(report_anomalies(&result), oracle_anomalies(&raw, "2025-11-01", "2025-12-15", 7, 7, 2.5));
    assert!(result.rows().len() > 10);

    let bad: BTreeMap<String, f64> = [("window".into(), 2.0)].into();
    let err = run_report(&conn, "anomaly_detection", &f, &bad).unwrap_err();
    assert_eq!(err.to_string(), "Baseline window (days) must be between 3 and 90 (got 2).");
    let bad: BTreeMap<String, f64> = [("window".into(), 7.5)].into();
    assert_eq!(
        run_report(&conn, "anomaly_detection", &f, &bad).unwrap_err().to_string(),
        "Baseline window (days) must be a whole number (got 7.5)."
    );
    let bad: BTreeMap<String, f64> = [("speed".into(), 1.0)].into();
    assert!(run_report(&conn, "job_cost", &f, &bad).unwrap_err().to_string().contains("speed"));
    let backwards = filters("2025-12-15", "2025-11-01", None);
    assert_eq!(
        run_report(&conn, "job_cost", &backwards, &BTreeMap::new()).unwrap_err().to_string(),
        "The date range is empty: 2025-12-15 is after 2025-11-01."
    );
}

#[test]
fn workspace_filter_restricts_every_figure() {
    // 18 jobs: the cast in OU-CHICOLA and one clone group in OU-SCALE-01.
    let conn = common::generated(&SeedConfig { jobs: 18, days: 45, ..SeedConfig::default() });
    for ws in ["OU-CHICOLA", "OU-SCALE-01"] {
        check_job_cost(&conn, &filters("2025-11-01", "2025-12-15", Some(ws)));
        let raw = Raw::load(&conn);
        let oracle = raw.daily_by_type(&days("2025-11-01", "2025-12-15"), Some(ws));
        let result = run(&conn, "compute_type_cost", &filters("2025-11-01", "2025-12-15", Some(ws)));
        let total: f64 = oracle.values().flatten().sum();
        close(num(result.kpi("total_cost_usd").unwrap()), total, ws);
        let pareto = run(&conn, "job_cost_pareto", &filters("2025-11-01", "2025-12-15", Some(ws)));
        assert_eq!(pareto.rows().len(), 9, "{ws}");
        let anomalies = run(&conn, "anomaly_detection", &filters("2025-11-01", "2025-12-15", Some(ws)));
        let scored = anomalies.dataset("scored").unwrap();
        for i in 0..scored.len() {
            let id = scored.row(i).text("entity_id");
            assert_eq!(id.contains("-C0001"), ws == "OU-SCALE-01", "{id} in {ws}");
        }
    }
    let all = run(&conn, "job_cost", &filters("2025-11-01", "2025-12-15", None));
    assert_eq!(all.rows().len(), 18);
}

#[test]
fn reports_run_unchanged_on_an_original_project_database() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(include_str!("../fixtures/original_project.sql")).unwrap();
    // As the app opens any database (db::UsageDb): the file is not touched; our optional
    // tables (empty) and indexes are added to the in-memory copy.
    usage_copilot::data::schema::complete_optional(&conn).unwrap();
    let f = ReportFilters::data_range(&conn).unwrap();
    assert_eq!((f.from.to_string(), f.to.to_string()), ("2025-11-14".to_string(), "2025-12-05".to_string()));
    for report in &registry().reports {
        report.run(&conn, &f, &BTreeMap::new()).unwrap_or_else(|e| panic!("{}: {e}", report.spec.key));
    }
    let jobs = run(&conn, "job_cost", &f);
    let json = report_json(&registry().get("job_cost").unwrap().spec, &jobs);
    let fin = &json["rows"][0];
    assert_eq!(fin["job_id"], "J-FIN-DAILY");
    assert_eq!((fin["runs"].as_i64(), fin["failed_runs"].as_i64()), (Some(3), Some(2)));
    assert_eq!(fin["total_cost_usd"], 191.23);
    let transform = json["rows"].as_array().unwrap().iter().find(|r| r["job_id"] == "J-SUPPLY-TRANSFORM").unwrap();
    assert_eq!(
        (transform["runs"].as_i64(), transform["skipped_runs"].as_i64(), transform["total_cost_usd"].as_f64()),
        (Some(1), Some(1), Some(0.0))
    );
    let spot = run(&conn, "spot_risk_by_job", &f);
    assert_eq!(spot.kpi("evictions"), Some(&Value::Real(1.0)));
}

#[test]
fn cli_json_has_the_promised_row_fields() {
    let conn = common::seeded();
    let f = filters("2025-11-01", "2025-12-15", None);
    let expected: &[(&str, &[&str])] = &[
        (
            "job_cost",
            &[
                "job_id",
                "job_name",
                "total_cost_usd",
                "spot_cost_usd",
                "on_demand_cost_usd",
                "runs",
                "failed_runs",
                "success_rate_pct",
                "share_pct",
            ],
        ),
        ("compute_type_cost", &["compute_type", "total_cost_usd", "share_pct", "volatility"]),
        ("job_cost_pareto", &["rank", "job_id", "total_cost_usd", "cumulative_pct"]),
        ("spot_risk_by_job", &["job_id", "spot_cost_pct", "evictions", "failure_rate_pct", "risk_score"]),
        ("anomaly_detection", &["entity_id", "date", "actual_usd", "expected_usd", "z_score", "severity"]),
    ];
    for (key, fields) in expected {
        let report = registry().get(key).unwrap();
        let json = report_json(&report.spec, &report.run(&conn, &f, &BTreeMap::new()).unwrap());
        assert_eq!(json["report"], *key);
        let first = &json["rows"][0];
        for field in *fields {
            assert!(first.get(field).is_some(), "{key} rows lack {field}");
        }
    }
    let pareto = report_json(&registry().get("job_cost_pareto").unwrap().spec, &run(&conn, "job_cost_pareto", &f));
    assert_eq!((pareto["kpis"]["jobs_for_50_pct"].as_i64(), pareto["kpis"]["jobs_for_80_pct"].as_i64()), (Some(1), Some(2)));
}
