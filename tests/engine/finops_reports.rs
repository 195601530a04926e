//! The FinOps reports (runtime regression …) on the seeded DB, against oracles that
//! recompute every figure in plain Rust from raw `SELECT`ed rows, never through the
//! report's own SQL or transforms.

use crate::common;

use std::collections::BTreeMap;

use rusqlite::Connection;
use usage_copilot::base::calendar::Date;
use usage_copilot::report::{run_report, ReportFilters, ReportResult, Value};

const EPS: f64 = 1e-9;

fn filters(from: &str, to: &str) -> ReportFilters {
    ReportFilters { from: Date::parse(from).unwrap(), to: Date::parse(to).unwrap(), workspace: None }
}

fn run(conn: &Connection, key: &str, f: &ReportFilters, params: &[(&str, f64)]) -> ReportResult {
    let params: BTreeMap<String, f64> = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    run_report(conn, key, f, &params).unwrap_or_else(|e| panic!("{key}: {e}"))
}

fn close(actual: &Value, expected: Option<f64>, what: &str) {
    match (actual.as_f64(), expected) {
        (Some(a), Some(e)) => assert!((a - e).abs() < EPS * e.abs().max(1.0), "{what}: report {a} vs oracle {e}"),
        (None, None) => {}
        (a, e) => panic!("{what}: report {a:?} vs oracle {e:?}"),
    }
}

/// The oracle's view of one job's successful runs: (date, minutes) sorted by start time.
fn successful_runs(conn: &Connection, from: &str, to: &str) -> BTreeMap<String, (String, Vec<(String, f64)>)> {
    let mut names = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT job_id, job_name FROM jobs").unwrap();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).unwrap() {
        let (id, name) = row.unwrap();
        names.insert(id, name);
    }
    let mut runs: Vec<(String, String, String, f64)> = Vec::new();
    let mut stmt = conn.prepare("SELECT job_id, start_time, run_status, duration_ms FROM job_runs").unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<i64>>(3)?)))
        .unwrap()
    {
        let (job, start, status, ms) = row.unwrap();
        let day = start[..10].to_string();
        if status == "SUCCESS" && day.as_str() >= from && day.as_str() <= to {
            if let Some(ms) = ms {
                runs.push((job, start, day, ms as f64 / 60000.0));
            }
        }
    }
    runs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut out: BTreeMap<String, (String, Vec<(String, f64)>)> = BTreeMap::new();
    for (job, _, day, minutes) in runs {
        out.entry(job.clone()).or_insert_with(|| (names[&job].clone(), Vec::new())).1.push((day, minutes));
    }
    out
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn sum_sq(values: &[f64]) -> f64 {
    let m = mean(values);
    values.iter().map(|x| (x - m).powi(2)).sum()
}

struct Expected {
    name: String,
    points: usize,
    median: f64,
    mean: f64,
    change: Option<(String, f64, f64, f64)>, // day, before, after, step R²
    slope: f64,
    trend_r2: Option<f64>,
    pattern: &'static str,
}

/// Recomputes the runtime regression of one job, the plain way: every candidate day's two
/// sides sorted afresh.
fn expected_runtime(name: &str, runs: &[(String, f64)], min_side: usize) -> Expected {
    let xs: Vec<f64> = runs.iter().map(|r| r.1).collect();
    let total = sum_sq(&xs);
    let mut days: Vec<&String> = runs.iter().map(|r| &r.0).collect();
    days.dedup();
    let mut change: Option<(String, f64, f64, f64)> = None;
    let mut best_shift = -1.0;
    for day in days.iter().skip(1) {
        let before: Vec<f64> = runs.iter().filter(|r| r.0.as_str() < day.as_str()).map(|r| r.1).collect();
        let after: Vec<f64> = runs.iter().filter(|r| r.0.as_str() >= day.as_str()).map(|r| r.1).collect();
        if before.len() < min_side || after.len() < min_side {
            continue;
        }
        let (b, a) = (median(&before), median(&after));
        if (a - b).abs() > best_shift {
            best_shift = (a - b).abs();
            change = Some(((*day).clone(), b, a, 1.0 - (sum_sq(&before) + sum_sq(&after)) / total));
        }
    }
    let first = Date::parse(&runs[0].0).unwrap();
    let ts: Vec<f64> = runs.iter().map(|r| first.days_until(Date::parse(&r.0).unwrap()) as f64).collect();
    let (tm, xm) = (mean(&ts), mean(&xs));
    let sxx: f64 = ts.iter().map(|t| (t - tm).powi(2)).sum();
    let slope = if sxx > 0.0 { ts.iter().zip(&xs).map(|(t, x)| (t - tm) * (x - xm)).sum::<f64>() / sxx } else { 0.0 };
    let residual: f64 = ts.iter().zip(&xs).map(|(t, x)| (x - xm - slope * (t - tm)).powi(2)).sum();
    let trend_r2 = (total > 0.0).then(|| 1.0 - residual / total);
    let slope_pct = 100.0 * slope / xm;
    let pattern = match (&change, trend_r2) {
        (Some((_, b, a, step)), Some(trend)) if (100.0 * (a - b) / b).abs() >= 15.0 && *step >= 0.5 && *step > trend => "step change",
        (_, Some(trend)) if slope_pct >= 0.5 && trend >= 0.5 => "steady growth",
        (_, Some(trend)) if slope_pct <= -0.5 && trend >= 0.5 => "steady decline",
        _ => "stable",
    };
    Expected { name: name.to_string(), points: xs.len(), median: median(&xs), mean: xm, change, slope, trend_r2, pattern }
}

fn check_runtime(conn: &Connection, from: &str, to: &str, min_side: usize) -> BTreeMap<String, Expected> {
    let result = run(conn, "runtime_regression", &filters(from, to), &[("min_side", min_side as f64)]);
    let oracle: BTreeMap<String, Expected> =
        successful_runs(conn, from, to).into_iter().map(|(id, (name, runs))| (id, expected_runtime(&name, &runs, min_side))).collect();
    let rows = result.rows();
    assert_eq!(rows.len(), oracle.len(), "one row per job with a successful run");
    for i in 0..rows.len() {
        let row = rows.row(i);
        let id = row.text("job_id");
        let o = &oracle[&id];
        assert_eq!(row.text("job_name"), o.name);
        assert_eq!(row.get("points"), &Value::Int(o.points as i64), "{id}");
        close(row.get("median_value"), Some(o.median), &format!("{id} median"));
        close(row.get("mean_value"), Some(o.mean), &format!("{id} mean"));
        close(row.get("slope_per_day"), Some(o.slope), &format!("{id} slope"));
        close(row.get("slope_pct_per_day"), Some(100.0 * o.slope / o.mean), &format!("{id} slope %"));
        close(row.get("trend_r2"), o.trend_r2, &format!("{id} trend R²"));
        assert_eq!(row.text("change_date"), o.change.as_ref().map(|c| c.0.clone()).unwrap_or_default(), "{id}");
        let c = o.change.as_ref();
        close(row.get("median_before"), c.map(|c| c.1), &format!("{id} before"));
        close(row.get("median_after"), c.map(|c| c.2), &format!("{id} after"));
        close(row.get("change_value"), c.map(|c| c.2 - c.1), &format!("{id} change"));
        close(row.get("change_pct"), c.map(|c| 100.0 * (c.2 - c.1) / c.1), &format!("{id} change %"));
        close(row.get("step_r2"), c.map(|c| c.3), &format!("{id} step R²"));
        assert_eq!(row.text("pattern"), o.pattern, "{id}");
    }
    let count = |p: &str| Value::Int(oracle.values().filter(|o| o.pattern == p).count() as i64);
    assert_eq!(result.kpi("jobs"), Some(&Value::Int(oracle.len() as i64)));
    assert_eq!(result.kpi("step_changes"), Some(&count("step change")));
    assert_eq!(result.kpi("growing"), Some(&count("steady growth")));
    close(result.kpi("runs").unwrap(), Some(oracle.values().map(|o| o.points as f64).sum()), "KPI runs");
    oracle
}

#[test]
fn runtime_regression_matches_the_oracle_and_flags_the_planted_changes() {
    let conn = common::seeded();
    let full = check_runtime(&conn, "2025-11-01", "2025-12-15", 5);
    // ML training slows down from Dec 1 (the planted 1.4× regression) …
    let ml = &full["J-ML-TRAINING"];
    assert_eq!(ml.pattern, "step change");
    let (day, before, after, _) = ml.change.clone().unwrap();
    assert_eq!(day, "2025-12-01");
    assert!(after > 1.2 * before, "{before} → {after}");
    // … the legacy ETL grows steadily (1 % of its base per day) …
    let legacy = &full["J-LEGACY-ETL"];
    assert_eq!(legacy.pattern, "steady growth");
    assert!(legacy.slope > 0.0);
    // … and the quiet daily jobs raise nothing.
    for quiet in ["J-FIN-DAILY", "J-SUPPLY-RAW", "J-SUPPLY-TRANSFORM", "J-SUPPLY-DASHBOARD", "J-ROUTE-OPT"] {
        assert_eq!(full[quiet].pattern, "stable", "{quiet}");
    }
    // A weekly job has too few runs for a change day at 5 runs a side.
    assert!(full["J-HR-WEEKLY"].change.is_none());
    // Another range and another minimum.
    check_runtime(&conn, "2025-11-15", "2025-12-10", 3);
    check_runtime(&conn, "2025-12-01", "2025-12-15", 2);
}

/// One finished run as the reliability oracle reads it.
struct FinishedRun {
    start: String,
    id: String,
    failed: bool,
    duration_ms: Option<i64>,
    cost: f64,
}

#[derive(Debug, Default)]
struct Reliability {
    name: String,
    finished: usize,
    succeeded: usize,
    failed: usize,
    total_cost: f64,
    failed_cost: f64,
    incidents: usize,
    retries: usize,
    recovered: usize,
    mttr_minutes: Option<f64>,
    longest: usize,
    p95_minutes: Option<f64>,
    over_p95: usize,
    score: f64,
}

/// Recomputes the scorecard from raw rows: runs and their usage, walked run by run.
fn expected_reliability(conn: &Connection, from: &str, to: &str) -> BTreeMap<String, Reliability> {
    use usage_copilot::base::calendar::Timestamp;
    let mut cost: BTreeMap<String, f64> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT parent_id, parent_type, total_cost FROM compute_usage").unwrap();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<f64>>(2)?))).unwrap() {
        let (parent, kind, c) = row.unwrap();
        if kind == "JOB_RUN" {
            *cost.entry(parent).or_default() += c.unwrap_or(0.0);
        }
    }
    let names: BTreeMap<String, String> = {
        let mut stmt = conn.prepare("SELECT job_id, job_name FROM jobs").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).unwrap();
        rows.map(|r| r.unwrap()).collect()
    };
    let mut runs: BTreeMap<String, Vec<FinishedRun>> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT job_id, job_run_id, start_time, run_status, duration_ms FROM job_runs").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get(4)?)))
        .unwrap();
    for row in rows {
        let (job, id, start, status, duration_ms): (String, String, String, String, Option<i64>) = row.unwrap();
        let day = &start[..10];
        if day < from || day > to || !(status == "SUCCESS" || status == "FAILED") {
            continue;
        }
        let c = cost.get(&id).copied().unwrap_or(0.0);
        runs.entry(job).or_default().push(FinishedRun { start, id, failed: status == "FAILED", duration_ms, cost: c });
    }
    let seconds = |t: &str| Timestamp::parse(t).unwrap().unix_seconds() as f64;
    let mut out = BTreeMap::new();
    for (job, mut list) in runs {
        list.sort_by(|a, b| (&a.start, &a.id).cmp(&(&b.start, &b.id)));
        let mut r = Reliability { name: names[&job].clone(), ..Reliability::default() };
        let (mut streak, mut first_failure): (usize, Option<f64>) = (0, None);
        let mut recoveries: Vec<f64> = Vec::new();
        for (i, run) in list.iter().enumerate() {
            r.finished += 1;
            r.total_cost += run.cost;
            let after_failure = i > 0 && list[i - 1].failed;
            if after_failure {
                r.retries += 1;
            }
            if run.failed {
                r.failed += 1;
                r.failed_cost += run.cost;
                if !after_failure {
                    r.incidents += 1;
                    first_failure = Some(seconds(&run.start));
                    streak = 0;
                }
                streak += 1;
                r.longest = r.longest.max(streak);
            } else {
                r.succeeded += 1;
                if let (true, Some(began), Some(ms)) = (after_failure, first_failure, run.duration_ms) {
                    recoveries.push((seconds(&run.start) + ms as f64 / 1000.0 - began) / 60.0);
                }
            }
        }
        r.recovered = recoveries.len();
        r.mttr_minutes = (!recoveries.is_empty()).then(|| recoveries.iter().sum::<f64>() / recoveries.len() as f64);
        let mut ok: Vec<i64> = list.iter().filter(|x| !x.failed).filter_map(|x| x.duration_ms).collect();
        ok.sort();
        if !ok.is_empty() {
            // Nearest rank: the ⌈0.95 n⌉-th smallest.
            let rank = (95 * ok.len()).div_ceil(100);
            let p95 = ok[rank - 1];
            r.p95_minutes = Some(p95 as f64 / 60000.0);
            r.over_p95 = list.iter().filter(|x| x.duration_ms.is_some_and(|d| d > p95)).count();
        }
        let success = r.succeeded as f64 / r.finished as f64;
        let wasted = if r.total_cost > 0.0 { r.failed_cost / r.total_cost } else { 0.0 };
        r.score = 60.0 * success + 20.0 * (1.0 - (r.longest as f64 / 5.0).min(1.0)) + 20.0 * (1.0 - wasted);
        out.insert(job, r);
    }
    out
}

fn check_reliability(conn: &Connection, from: &str, to: &str) -> BTreeMap<String, Reliability> {
    let result = run(conn, "reliability_scorecard", &filters(from, to), &[]);
    let oracle = expected_reliability(conn, from, to);
    let rows = result.rows();
    assert_eq!(rows.len(), oracle.len());
    let mut previous = f64::NEG_INFINITY;
    for i in 0..rows.len() {
        let row = rows.row(i);
        let id = row.text("job_id");
        let o = &oracle[&id];
        let what = |c: &str| format!("{id} {c}");
        assert_eq!(row.text("job_name"), o.name);
        let score = row.get("score").as_f64().unwrap();
        assert!(score >= previous, "worst first");
        previous = score;
        close(row.get("score"), Some(o.score), &what("score"));
        assert!((0.0..=100.0).contains(&score), "{id} {score}");
        let int = |c: &str| row.get(c).as_f64().map(|x| x as usize);
        assert_eq!(int("finished_runs"), Some(o.finished), "{id}");
        assert_eq!(int("succeeded_runs"), Some(o.succeeded), "{id}");
        assert_eq!(int("failed_runs"), Some(o.failed), "{id}");
        close(row.get("success_rate_pct"), Some(100.0 * o.succeeded as f64 / o.finished as f64), &what("success"));
        close(row.get("total_cost_usd"), Some(o.total_cost), &what("cost"));
        close(row.get("failed_cost_usd"), Some(o.failed_cost), &what("failed cost"));
        assert_eq!(int("incidents"), Some(o.incidents), "{id}");
        assert_eq!(int("retries"), Some(o.retries), "{id}");
        close(row.get("retries_per_incident"), (o.incidents > 0).then(|| o.retries as f64 / o.incidents as f64), &what("retries"));
        assert_eq!(int("recovered_incidents"), Some(o.recovered), "{id}");
        // julianday() keeps about a millisecond: MTTR to within a second.
        match (row.get("mttr_minutes").as_f64(), o.mttr_minutes) {
            (Some(a), Some(e)) => assert!((a - e).abs() < 1.0 / 60.0, "{id} MTTR {a} vs {e}"),
            (a, e) => assert_eq!(a, e, "{id} MTTR"),
        }
        assert_eq!(int("longest_streak"), Some(o.longest), "{id}");
        close(row.get("p95_minutes"), o.p95_minutes, &what("p95"));
        assert_eq!(int("runs_over_p95"), Some(o.over_p95), "{id}");
    }
    close(result.kpi("failed_cost_usd").unwrap(), Some(oracle.values().map(|o| o.failed_cost).sum()), "KPI failed cost");
    let below = oracle.values().filter(|o| o.score < 80.0).count();
    assert_eq!(result.kpi("below_80"), Some(&Value::Int(below as i64)));
    oracle
}

#[test]
fn reliability_scorecard_matches_the_oracle_and_ranks_the_planted_failures() {
    let conn = common::seeded();
    let full = check_reliability(&conn, "2025-11-01", "2025-12-15");
    // The retry storm of Dec 5–7: three incidents of three failures, each retried three times.
    let fin = &full["J-FIN-DAILY"];
    assert_eq!((fin.incidents, fin.retries, fin.longest, fin.recovered), (3, 9, 3, 3));
    // The legacy ETL's timeouts make it the least reliable; a job that never failed scores 100.
    let worst = full.iter().min_by(|a, b| a.1.score.total_cmp(&b.1.score)).unwrap().0;
    assert_eq!(worst, "J-LEGACY-ETL");
    assert_eq!(full["J-HR-WEEKLY"].score, 100.0);
    check_reliability(&conn, "2025-12-01", "2025-12-15");
    check_reliability(&conn, "2025-11-15", "2025-11-15");
}
