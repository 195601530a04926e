//! The Budgets report on the seeded DB: each budget's month so far, forecast and interval
//! recomputed in plain Rust from raw rows (scope matching, weekday means, the daily error),
//! and the status rule checked exactly at its boundaries.

use crate::common;
use crate::common::oracle::Raw;

use std::collections::BTreeMap;

use rusqlite::Connection;
use usage_copilot::base::calendar::Date;
use usage_copilot::data::budgets::{install, Budget, BudgetScope};
use usage_copilot::report::{run_report, ReportFilters, ReportResult, Value};

fn filters(to: &str) -> ReportFilters {
    ReportFilters { from: Date::parse("2025-11-01").unwrap(), to: Date::parse(to).unwrap(), workspace: None }
}

fn run(conn: &Connection, to: &str, weeks: usize) -> ReportResult {
    run_report(conn, "budget_status", &filters(to), &BTreeMap::from([("trailing_weeks".to_string(), weeks as f64)])).unwrap()
}

fn budget(name: &str, scope: BudgetScope, value: &str, usd: f64) -> Budget {
    Budget { name: name.into(), scope, value: value.into(), monthly_usd: usd }
}

/// The scope's spend per day, from raw usage rows.
fn daily(conn: &Connection, raw: &Raw, b: &Budget) -> BTreeMap<Date, f64> {
    let tags: BTreeMap<String, Vec<String>> = {
        let mut stmt = conn.prepare("SELECT job_id, tags FROM jobs").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))).unwrap();
        rows.map(Result::unwrap).map(|(id, t)| (id, t.map(|t| serde_json::from_str(&t).unwrap()).unwrap_or_default())).collect()
    };
    let mut out = BTreeMap::new();
    for u in &raw.usage {
        let job = (u.parent_type == "JOB_RUN").then(|| raw.run(&u.parent_id).map(|r| r.job_id.clone())).flatten();
        let workspace = match &job {
            Some(j) => raw.jobs.get(j).map(|x| x.1.clone()),
            None => raw.compute.get(&u.parent_id).map(|x| x.1.clone()),
        };
        let counts = match b.scope {
            BudgetScope::All => true,
            BudgetScope::Workspace => workspace.as_deref() == Some(b.value.as_str()),
            BudgetScope::ComputeType => u.parent_type == b.value,
            BudgetScope::Tag => job.is_some_and(|j| tags[&j].iter().any(|t| t.to_lowercase() == b.value.to_lowercase())),
        };
        if counts {
            *out.entry(Date::parse(&u.date).unwrap()).or_insert(0.0) += u.cost;
        }
    }
    out
}

struct Expected {
    to_date: f64,
    forecast: f64,
    low: f64,
    high: f64,
    sd: f64,
    days_left: i64,
    days: usize,
    cumulative: Vec<f64>,
}

/// The forecast the plain way: four lists of weekday spend, their means, the residuals.
fn expected(values: &BTreeMap<Date, f64>, as_of: Date, weeks: usize) -> Expected {
    let at = |d: Date| values.get(&d).copied().unwrap_or(0.0);
    let mut by_weekday: Vec<Vec<f64>> = vec![Vec::new(); 7];
    for i in 0..(7 * weeks) as i64 {
        let d = as_of.add_days(-i);
        by_weekday[d.weekday() as usize].push(at(d));
    }
    let means: Vec<f64> = by_weekday.iter().map(|v| v.iter().sum::<f64>() / v.len() as f64).collect();
    let ss: f64 = by_weekday.iter().zip(&means).map(|(v, m)| v.iter().map(|x| (x - m).powi(2)).sum::<f64>()).sum();
    let sd = if weeks > 1 { (ss / (7 * weeks - 7) as f64).sqrt() } else { 0.0 };
    let (y, m, _) = as_of.ymd();
    let first = Date::from_ymd(y, m, 1);
    let next = if m == 12 { Date::from_ymd(y + 1, 1, 1) } else { Date::from_ymd(y, m + 1, 1) };
    let last = next.add_days(-1);
    let to_date: f64 = first.through(as_of).map(at).sum();
    let ahead: Vec<Date> = as_of.add_days(1).through(last).collect();
    let forecast = to_date + ahead.iter().map(|d| means[d.weekday() as usize]).sum::<f64>();
    let half = 1.645 * sd * (ahead.len() as f64).sqrt();
    let mut running = 0.0;
    let cumulative = first.through(as_of).map(|d| {
        running += at(d);
        running
    });
    Expected {
        to_date,
        forecast,
        low: (forecast - half).max(to_date),
        high: forecast + half,
        sd,
        days_left: ahead.len() as i64,
        days: first.days_until(last) as usize + 1,
        cumulative: cumulative.collect(),
    }
}

fn close(actual: &Value, expected: f64, what: &str) {
    let a = actual.as_f64().unwrap_or_else(|| panic!("{what}: {actual:?}"));
    assert!((a - expected).abs() <= 1e-9 * expected.abs().max(1.0), "{what}: report {a} vs oracle {expected}");
}

fn check(conn: &Connection, raw: &Raw, budgets: &[Budget], to: &str, weeks: usize) -> BTreeMap<String, (f64, f64, String)> {
    install(conn, budgets).unwrap();
    let result = run(conn, to, weeks);
    let rows = result.rows();
    assert_eq!(rows.len(), budgets.len(), "one row per budget");
    let burn = result.dataset("burn").unwrap();
    let as_of = Date::parse(to).unwrap();
    let mut out = BTreeMap::new();
    for b in budgets {
        let e = expected(&daily(conn, raw, b), as_of, weeks);
        let i = (0..rows.len()).find(|&i| rows.row(i).text("budget_name") == b.name).unwrap();
        let row = rows.row(i);
        let what = format!("{} to {to}, {weeks} weeks", b.name);
        close(row.get("to_date"), e.to_date, &format!("{what} spent"));
        close(row.get("forecast"), e.forecast, &format!("{what} forecast"));
        close(row.get("forecast_low"), e.low, &format!("{what} low"));
        close(row.get("forecast_high"), e.high, &format!("{what} high"));
        close(row.get("daily_sd"), e.sd, &format!("{what} sd"));
        close(row.get("limit_gap"), b.monthly_usd - e.forecast, &format!("{what} gap"));
        close(row.get("used_pct"), 100.0 * e.to_date / b.monthly_usd, &format!("{what} used"));
        assert_eq!(row.get("days_left"), &Value::Int(e.days_left), "{what}");
        if e.days_left > 0 {
            close(row.get("allowed_daily"), (b.monthly_usd - e.to_date) / e.days_left as f64, &format!("{what} allowed"));
        }
        // The rule on the report's figures (equal to the oracle's within rounding, checked
        // above), so that a budget set at exactly a figure tests the rule's boundary.
        let (spent, high) = (row.get("to_date").as_f64().unwrap(), row.get("forecast_high").as_f64().unwrap());
        let status = if spent > b.monthly_usd {
            "over"
        } else if high > b.monthly_usd {
            "at risk"
        } else {
            "on track"
        };
        assert_eq!(row.text("status"), status, "{what}");
        // The burn-down: every day of the month, actuals through the as-of day.
        let days: Vec<usize> = (0..burn.len()).filter(|&r| burn.row(r).text("budget_name") == b.name).collect();
        assert_eq!(days.len(), e.days, "{what} burn-down days");
        for (k, &r) in days.iter().enumerate() {
            match e.cumulative.get(k) {
                Some(c) => close(burn.row(r).get("actual_cum"), *c, &format!("{what} day {k}")),
                None => assert!(burn.row(r).get("actual_cum").is_null(), "{what} day {k} is ahead"),
            }
        }
        out.insert(b.name.clone(), (row.get("to_date").as_f64().unwrap(), row.get("forecast_high").as_f64().unwrap(), row.text("status")));
    }
    let count = |s: &str| Value::Int(out.values().filter(|v| v.2 == s).count() as i64);
    assert_eq!(result.kpi("over"), Some(&count("over")));
    assert_eq!(result.kpi("at_risk"), Some(&count("at risk")));
    assert_eq!(result.kpi("on_track"), Some(&count("on track")));
    out
}

/// A tag the seed puts on J-FIN-DAILY, spelled in another case.
fn finance_tag(conn: &Connection) -> String {
    let tags: String = conn.query_row("SELECT tags FROM jobs WHERE job_id = 'J-FIN-DAILY'", [], |r| r.get(0)).unwrap();
    let tags: Vec<String> = serde_json::from_str(&tags).unwrap();
    tags[0].to_uppercase()
}

#[test]
fn budgets_match_the_oracle_for_every_scope() {
    let conn = common::seeded();
    let raw = Raw::load(&conn);
    let workspace = raw.jobs["J-FIN-DAILY"].1.clone();
    let budgets = vec![
        budget("Everything", BudgetScope::All, "", 150_000.0),
        budget("Jobs", BudgetScope::ComputeType, "JOB_RUN", 200_000.0),
        budget("Warehouses", BudgetScope::ComputeType, "SQL_WAREHOUSE", 1_000.0),
        budget("Finance", BudgetScope::Tag, &finance_tag(&conn), 3_000.0),
        budget("Main workspace", BudgetScope::Workspace, &workspace, 500_000.0),
        budget("Nobody", BudgetScope::Workspace, "no-such-workspace", 10.0),
    ];
    let found = check(&conn, &raw, &budgets, "2025-12-15", 4);
    assert!(found["Finance"].0 > 0.0, "the tag matches without regard to case");
    assert_eq!(found["Nobody"], (0.0, 0.0, "on track".to_string()), "a scope without spend");
    check(&conn, &raw, &budgets, "2025-11-30", 2);
    check(&conn, &raw, &budgets, "2025-12-10", 1);
    check(&conn, &raw, &budgets[..1], "2025-12-15", 12);
}

#[test]
fn the_status_rule_holds_at_its_boundaries() {
    let conn = common::seeded();
    let raw = Raw::load(&conn);
    let probe = check(&conn, &raw, &[budget("Everything", BudgetScope::All, "", 1.0)], "2025-12-15", 4);
    let (spent, high, _) = probe["Everything"];
    let at = |usd: f64| -> String {
        let out = check(&conn, &raw, &[budget("Everything", BudgetScope::All, "", usd)], "2025-12-15", 4);
        out["Everything"].2.clone()
    };
    // Over only when the spend so far is above the budget: at exactly the budget it is not.
    assert_eq!(at(spent), "at risk");
    assert_eq!(at(spent - 0.01), "over");
    // At risk while the interval's high end is above the budget; at exactly it, on track.
    assert_eq!(at(high), "on track");
    assert_eq!(at(high - 0.01), "at risk");
    // No budgets: an empty report, not an error.
    install(&conn, &[]).unwrap();
    let empty = run(&conn, "2025-12-15", 4);
    assert_eq!((empty.rows().len(), empty.kpi("budgets")), (0, Some(&Value::Int(0))));
}
