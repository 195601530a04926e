//! Facts about an anomaly — an entity's cost on one day: the baseline and the days around
//! it, what ran (or was billed) that day, upstream trouble, and earlier anomalies.

use rusqlite::Connection;

use super::common::{int, num, params, text, FactQuery};
use super::{job, Fact, Signals, Topic};
use crate::base::calendar::Date;
use crate::base::format::{date_ranges, minutes, pct, thousands, usd};
use crate::copilot::graph::NodeKind;
use crate::report::{ReportFilters, ReportResult, Selection};

/// The evidence SQL file of this module (`sql/evidence/anomaly.sql`).
const FILE: &str = "anomaly";

/// Gathers the anomaly's facts; returns the subject's graph node kind and id, and the day.
pub fn facts(
    conn: &Connection,
    result: &ReportResult,
    sel: &Selection,
    f: &ReportFilters,
    facts: &mut Vec<Fact>,
    s: &mut Signals,
) -> rusqlite::Result<(NodeKind, String, Date)> {
    let metric = |c: &str| sel.metric(c).cloned().unwrap_or(crate::report::Value::Null);
    let subject = text(&metric("subject_type"));
    let id = text(&metric("entity_id"));
    let day_text = text(&metric("date"));
    let day = Date::parse(&day_text).unwrap_or(f.to);
    let (z, actual, expected) = (num(&metric("z_score")), num(&metric("actual_usd")), num(&metric("expected_usd")));
    s.anomaly = Some((day_text.clone(), actual, expected, z, text(&metric("severity"))));
    s.subject = Some(text(&metric("entity_label")));
    s.anomaly_deviation = Some(actual - expected);

    // Baseline settings and the days around the anomaly, from the report's own series.
    if let Some(scored) = result.dataset("scored") {
        let rows: Vec<usize> = (0..scored.len()).filter(|&i| scored.get(i, "entity_id").to_string() == id).collect();
        let around: Vec<String> = rows
            .iter()
            .filter(|&&i| Date::parse(&scored.get(i, "date").to_string()).is_some_and(|d| (d.days_until(day)).abs() <= 3))
            .map(|&i| format!("{} {}", scored.get(i, "date"), usd(num(scored.get(i, "actual_usd")))))
            .collect();
        let others: Vec<String> = rows
            .iter()
            .filter(|&&i| int(scored.get(i, "is_anomaly")) == 1 && scored.get(i, "date").to_string() != day_text)
            .map(|&i| scored.get(i, "date").to_string())
            .collect();
        s.other_anomaly_days = others.clone();
        let window = result.params.get("window").copied().unwrap_or(0.0);
        let threshold = result.params.get("threshold").copied().unwrap_or(0.0);
        facts.push(Fact {
            id: String::new(),
            topic: Topic::Baseline,
            title: "Baseline and nearby days".into(),
            text: format!(
                "expected {} is the mean of the previous {} days (standard deviation {}); a day is an anomaly at |z| ≥ {threshold}; daily cost around it: {}",
                usd(expected),
                thousands(window as u64),
                usd(num(&metric("std_usd"))),
                around.join(", ")
            ),
            sql: "-- report anomaly_detection, dataset scored (rolling_zscore over the series query)".into(),
        });
        facts.push(Fact {
            id: String::new(),
            topic: Topic::History,
            title: "Other anomalies of this entity".into(),
            text: if others.is_empty() { "none in range".into() } else { format!("also flagged on {}", date_ranges(&others)) },
            sql: "-- report anomaly_detection, dataset scored where is_anomaly = 1".into(),
        });
    }

    let day_s = day.to_string();
    if subject == "job" {
        let q = FactQuery::new(FILE, "day_runs", &params(&[(":id", &id), (":day", &day_s)]));
        let runs = q.rows(conn)?;
        let failed = runs.iter().filter(|r| r.text("run_status") == "FAILED").count() as i64;
        s.day_runs = Some((runs.len() as i64, failed));
        let (from, to) = (f.from.to_string(), f.to.to_string());
        let typical = FactQuery::new(FILE, "typical_runs", &params(&[(":id", &id), (":from", &from), (":to", &to)])).rows(conn)?;
        let per_day = typical.first().map(|r| r.num("runs_per_day")).unwrap_or(0.0);
        s.typical_runs_per_day = Some(per_day);
        let listed: Vec<String> = runs
            .iter()
            .map(|r| {
                let err = r.text("error");
                format!(
                    "{} {} at {} ({}, spot {}){}",
                    r.text("job_run_id"),
                    r.text("run_status"),
                    r.text("started"),
                    minutes(r.num("minutes")),
                    pct(100.0 * r.num("spot_ratio")),
                    if err.is_empty() { String::new() } else { format!(" \"{err}\"") }
                )
            })
            .collect();
        facts.push(q.fact(
            Topic::Day,
            "Runs that day",
            if runs.is_empty() {
                format!("no runs on {day_s} (the job usually runs {per_day:.1} times a day in range)")
            } else {
                format!(
                    "{} runs on {day_s} ({} failed; usually {per_day:.1} a day in range): {}",
                    thousands(runs.len() as u64),
                    thousands(failed as u64),
                    listed.join("; ")
                )
            },
        ));
        // What else the job facts say about that day: evictions, upstream trouble, changes.
        let day_filters = ReportFilters { from: day, to: day, workspace: f.workspace.clone() };
        let mut day_facts = Vec::new();
        let mut day_signals = Signals::default();
        job::facts(conn, &id, &day_filters, &mut day_facts, &mut day_signals)?;
        for fact in day_facts.into_iter().filter(|x| matches!(x.topic, Topic::Evictions | Topic::Dependencies)) {
            facts.push(Fact { title: format!("{} that day", fact.title), ..fact });
        }
        s.evictions = day_signals.evictions;
        s.eviction_days = day_signals.eviction_days;
        s.upstream_failures = day_signals.upstream_failures;
        s.top_errors = day_signals.top_errors;
        let week = ReportFilters { from: day.add_days(-7), to: day, workspace: f.workspace.clone() };
        let mut week_facts = Vec::new();
        let mut week_signals = Signals::default();
        job::facts(conn, &id, &week, &mut week_facts, &mut week_signals)?;
        if let Some(change) = week_facts.into_iter().find(|x| x.topic == Topic::Changes) {
            s.spot_change = week_signals.spot_change;
            facts.push(Fact { title: format!("Configuration changes in the 7 days up to {day_s}"), ..change });
        }
        Ok((NodeKind::Job, id, day))
    } else {
        let q = FactQuery::new(FILE, "day_usage", &params(&[(":id", &id), (":day", &day_s)]));
        let usage = q.rows(conn)?;
        if let Some(r) = usage.first() {
            let d = day.day_of_month();
            facts.push(q.fact(
                Topic::Day,
                "Usage that day",
                format!(
                    "{:.2} DBUs costing {} on {day_s} (day {d} of the month, a {:?}); mean CPU {}, up to {} concurrent users",
                    r.num("dbus"),
                    usd(r.num("cost")),
                    day.weekday(),
                    pct(100.0 * r.num("cpu")),
                    thousands(r.int("peak_users").max(0) as u64)
                ),
            ));
            if r.text("compute_type") == "SQL_WAREHOUSE" {
                let q = FactQuery::new(FILE, "day_queries", &params(&[(":id", &id), (":day", &day_s)]));
                let queries = q.rows(conn)?;
                if let Some(t) = queries.first() {
                    facts.push(q.fact(
                        Topic::Queries,
                        "Queries that day",
                        format!(
                            "{} queries, {} failed, slowest {:.1} s",
                            thousands(t.int("queries").max(0) as u64),
                            thousands(t.int("failed").max(0) as u64),
                            t.num("slowest_s")
                        ),
                    ));
                }
            }
        }
        Ok((NodeKind::Compute, id, day))
    }
}
