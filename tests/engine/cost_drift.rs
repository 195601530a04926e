//! The Cost Drift report on the seeded DB against an oracle that recomputes both periods'
//! spend per job and per cluster or warehouse in plain Rust from raw rows, then checks that
//! every breakdown (entities, waterfall, workspaces, compute types, KPIs) adds up to the
//! change to the cent.

use crate::common;
use crate::common::oracle::Raw;

use std::collections::BTreeMap;

use usage_copilot::base::calendar::Date;
use usage_copilot::report::{run_report, ReportFilters, ReportResult, Value};

/// One line of the oracle: (kind, id) → (name, compute type, workspace, prior ¢, current ¢).
type Lines = BTreeMap<(String, String), (String, String, String, i64, i64)>;

fn run(conn: &rusqlite::Connection, to: &str, workspace: Option<&str>, period: i64, top: i64) -> ReportResult {
    let filters =
        ReportFilters { from: Date::parse("2025-11-01").unwrap(), to: Date::parse(to).unwrap(), workspace: workspace.map(String::from) };
    let params = BTreeMap::from([("period_days".to_string(), period as f64), ("top_steps".to_string(), top as f64)]);
    run_report(conn, "cost_drift", &filters, &params).unwrap()
}

/// Both periods' spend per job and per cluster or warehouse: raw costs summed per line and
/// period, each sum rounded to the cent (half away from zero, as the report states).
fn oracle(raw: &Raw, to: &str, workspace: Option<&str>, period: i64) -> Lines {
    let end = Date::parse(to).unwrap();
    let current_start = end.add_days(1 - period).to_string();
    let prior_start = end.add_days(1 - 2 * period).to_string();
    let mut sums: BTreeMap<(String, String), (String, [f64; 2])> = BTreeMap::new();
    for u in raw.usage.iter().filter(|u| u.date >= prior_start && u.date.as_str() <= to) {
        let key = if u.parent_type == "JOB_RUN" {
            ("job".to_string(), raw.run(&u.parent_id).map(|r| r.job_id.clone()).unwrap_or_default())
        } else {
            ("compute".to_string(), u.parent_id.clone())
        };
        let entry = sums.entry(key).or_insert_with(|| (u.parent_type.clone(), [0.0; 2]));
        entry.1[usize::from(u.date >= current_start)] += u.cost;
    }
    let cents = |x: f64| (x * 100.0).round() as i64;
    sums.into_iter()
        .filter_map(|((kind, id), (compute_type, [prior, current]))| {
            let (name, ws) = if kind == "job" { raw.jobs[&id].clone() } else { raw.compute[&id].clone() };
            workspace.is_none_or(|w| w == ws).then(|| ((kind, id), (name, compute_type, ws, cents(prior), cents(current))))
        })
        .collect()
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        other => panic!("{other:?} is not an integer"),
    }
}

fn usd(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v:?} is not a number"))
}

fn check(conn: &rusqlite::Connection, raw: &Raw, to: &str, workspace: Option<&str>, period: i64, top: i64) -> Lines {
    let result = run(conn, to, workspace, period, top);
    let lines = oracle(raw, to, workspace, period);
    let change = |l: &(String, String, String, i64, i64)| l.4 - l.3;
    let prior: i64 = lines.values().map(|l| l.3).sum();
    let current: i64 = lines.values().map(|l| l.4).sum();
    let what = format!("to {to}, {period} days, {workspace:?}");

    // Entities: one row per line, largest change first.
    let mut order: Vec<(&(String, String), _)> = lines.iter().collect();
    order.sort_by(|a, b| change(b.1).abs().cmp(&change(a.1).abs()).then(b.1 .4.cmp(&a.1 .4)).then(a.0.cmp(b.0)));
    let rows = result.rows();
    assert_eq!(rows.len(), lines.len(), "{what}");
    for (i, ((kind, id), l)) in order.iter().enumerate() {
        let row = rows.row(i);
        assert_eq!((row.text("entity_kind"), row.text("entity_id")), (kind.clone(), id.clone()), "{what} row {i}");
        assert_eq!(row.text("entity_name"), l.0);
        assert_eq!(row.text("compute_type"), l.1);
        assert_eq!((int(row.get("prior_cents")), int(row.get("current_cents")), int(row.get("change_cents"))), (l.3, l.4, change(l)));
        assert_eq!(usd(row.get("change_usd")), change(l) as f64 / 100.0);
        let movement = match (l.3, l.4) {
            (0, c) if c > 0 => "new",
            (p, 0) if p > 0 => "stopped",
            (p, c) if c > p => "up",
            (p, c) if c < p => "down",
            _ => "flat",
        };
        assert_eq!(row.text("movement"), movement, "{what} {id}");
    }

    // Waterfall: prior total, the `top` largest changes, the rest in one line, current total;
    // the steps add up to the change exactly and each bar starts where the last one ended.
    let steps = result.dataset("steps").unwrap();
    let moved: Vec<_> = order.iter().filter(|(_, l)| change(l) != 0).collect();
    let named = moved.len().min(top as usize);
    let others = moved.len() - named;
    assert_eq!(steps.len(), 2 + named + usize::from(others > 0), "{what}");
    let step = |i: usize, c: &str| steps.row(i).get(c).clone();
    assert_eq!((steps.row(0).text("step_kind"), int(&step(0, "value_cents"))), ("total".into(), prior));
    let last = steps.len() - 1;
    assert_eq!((steps.row(last).text("step_kind"), int(&step(last, "value_cents"))), ("total".into(), current));
    let mut running = prior;
    for i in 1..last {
        let value = int(&step(i, "value_cents"));
        if i <= named {
            let ((_, id), l) = moved[i - 1];
            assert_eq!(steps.row(i).text("entity_id"), *id, "{what} step {i}");
            assert_eq!(value, change(l));
        } else {
            assert_eq!(steps.row(i).text("step_kind"), "others");
            assert_eq!(value, moved[named..].iter().map(|(_, l)| change(l)).sum::<i64>());
            assert_eq!(steps.row(i).text("step_label"), format!("All other changes ({others})"));
        }
        assert_eq!(int(&step(i, "before_cents")), running, "{what} step {i}");
        running += value;
        assert_eq!(int(&step(i, "after_cents")), running);
        let (base, rise, fall) = (usd(&step(i, "base_usd")), usd(&step(i, "rise_usd")), usd(&step(i, "fall_usd")));
        assert_eq!(base, running.min(running - value) as f64 / 100.0);
        assert_eq!((rise, fall), ((value.max(0)) as f64 / 100.0, ((-value).max(0)) as f64 / 100.0));
    }
    assert_eq!(running, current, "{what}: the contributions sum to the change exactly");

    // Workspaces and compute types partition the same lines.
    for (dataset, key_column, key_of) in [("by_workspace", "workspace_id", 2usize), ("by_compute_type", "compute_type", 1usize)] {
        let mut expected: BTreeMap<String, i64> = BTreeMap::new();
        for l in lines.values() {
            let key = if key_of == 2 { l.2.clone() } else { l.1.clone() };
            *expected.entry(key).or_default() += change(l);
        }
        let data = result.dataset(dataset).unwrap();
        assert_eq!(data.len(), expected.len(), "{what} {dataset}");
        let got: BTreeMap<String, i64> =
            (0..data.len()).map(|i| (data.row(i).text(key_column), int(data.row(i).get("change_cents")))).collect();
        assert_eq!(got, expected, "{what} {dataset}");
        assert_eq!(got.values().sum::<i64>(), current - prior);
    }

    // KPIs and the periods' row.
    assert_eq!(usd(result.kpi("change").unwrap()), (current - prior) as f64 / 100.0, "{what}");
    assert_eq!(usd(result.kpi("prior_total").unwrap()), prior as f64 / 100.0);
    assert_eq!(usd(result.kpi("current_total").unwrap()), current as f64 / 100.0);
    let pct = (prior > 0).then(|| 100.0 * (current - prior) as f64 / prior as f64);
    assert_eq!(result.kpi("change_pct").and_then(Value::as_f64), pct);
    assert_eq!(result.kpi("rising"), Some(&Value::Int(lines.values().filter(|l| change(l) > 0).count() as i64)));
    let periods = result.dataset("periods").unwrap().row(0);
    let end = Date::parse(to).unwrap();
    assert_eq!(periods.text("current_end"), to);
    assert_eq!(periods.text("current_start"), end.add_days(1 - period).to_string());
    assert_eq!(periods.text("prior_end"), end.add_days(-period).to_string());
    assert_eq!(periods.text("prior_start"), end.add_days(1 - 2 * period).to_string());
    lines
}

#[test]
fn cost_drift_adds_up_to_the_change_to_the_cent() {
    let conn = common::seeded();
    let raw = Raw::load(&conn);
    check(&conn, &raw, "2025-12-15", None, 7, 8);
    check(&conn, &raw, "2025-12-15", None, 7, 2);
    check(&conn, &raw, "2025-12-10", None, 30, 5);
    check(&conn, &raw, "2025-12-15", Some("OU-CHICOLA"), 3, 25);
    let ws = raw.jobs.values().next().unwrap().1.clone();
    check(&conn, &raw, "2025-12-01", Some(&ws), 1, 1);
    // An unknown workspace has nothing: every total is $0 and the waterfall only the totals.
    let none = check(&conn, &raw, "2025-12-15", Some("nowhere"), 7, 8);
    assert!(none.is_empty());
}

#[test]
fn cost_drift_finds_the_planted_changes() {
    let conn = common::seeded();
    let raw = Raw::load(&conn);
    // Two weeks each side of Dec 1: ML training got 1.4× slower (and dearer) on Dec 1.
    let lines = check(&conn, &raw, "2025-12-14", None, 14, 8);
    let (_, _, _, prior, current) = &lines[&("job".to_string(), "J-ML-TRAINING".to_string())];
    assert!(*current as f64 > 1.2 * *prior as f64, "{prior} → {current}");
    // Every cent of the total change is explained by some line.
    let total: i64 = lines.values().map(|l| l.4 - l.3).sum();
    let result = run(&conn, "2025-12-14", None, 14, 8);
    let shares: f64 = (0..result.rows().len()).filter_map(|i| result.rows().row(i).get("share_of_change_pct").as_f64()).sum();
    if total != 0 {
        assert!((shares - 100.0).abs() < 1e-9, "shares sum to {shares}");
    }
}
