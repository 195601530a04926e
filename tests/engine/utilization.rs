//! The Utilization report on the seeded DB against an oracle that rebuilds every figure in
//! plain Rust from raw `SELECT`ed rows (events, usage, statements, settings): sessions from
//! start/terminate pairs cut at midnight, busy time as the union of statements, idle cost
//! per day. Also: the planted idle cluster, a database without settings, and the evidence
//! the copilot gathers for a cluster.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;
use usage_copilot::app::session::{DocsAssets, Session};
use usage_copilot::base::calendar::{Date, Timestamp};
use usage_copilot::copilot::{offered_chips, Ask};
use usage_copilot::data::db::UsageDb;
use usage_copilot::data::seed::SeedConfig;
use usage_copilot::report::selection::find_selection;
use usage_copilot::report::{registry, run_report, EntityRef, ReportFilters, ReportResult, Value};

const EPS: f64 = 1e-9;

fn filters(from: &str, to: &str) -> ReportFilters {
    ReportFilters { from: Date::parse(from).unwrap(), to: Date::parse(to).unwrap(), workspace: None }
}

fn run(conn: &Connection, f: &ReportFilters) -> ReportResult {
    run_report(conn, "utilization", f, &BTreeMap::new()).unwrap_or_else(|e| panic!("utilization: {e}"))
}

fn secs(text: &str) -> i64 {
    Timestamp::parse(text).unwrap_or_else(|| panic!("timestamp {text}")).unix_seconds()
}

fn day_start(d: Date) -> i64 {
    d.days_since_epoch() * 86_400
}

/// One resource as the oracle sees it.
#[derive(Debug, Default)]
struct Expected {
    name: String,
    kind: String,
    cost: f64,
    sessions: i64,
    up_s: f64,
    busy_s: f64,
    idle_cost: f64,
    statements: i64,
    settings: Option<(i64, i64, i64)>,
    peak: Option<i64>,
    scale_events: i64,
}

/// Measure of the union of `intervals` (sorted by start) inside [lo, hi).
fn covered(islands: &[(f64, f64)], lo: f64, hi: f64) -> f64 {
    islands.iter().map(|&(s, e)| (e.min(hi) - s.max(lo)).max(0.0)).sum()
}

fn oracle(conn: &Connection, from: &str, to: &str) -> BTreeMap<String, Expected> {
    let (from_d, to_d) = (Date::parse(from).unwrap(), Date::parse(to).unwrap());
    let before = from_d.add_days(-1).to_string();
    let (lo, hi) = (day_start(from_d), day_start(to_d.add_days(1)));
    let mut out: BTreeMap<String, Expected> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT compute_id, compute_name, compute_type FROM non_job_compute").unwrap();
    let resources: Vec<(String, String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let kinds: BTreeMap<String, String> = resources.iter().map(|(id, _, k)| (id.clone(), k.clone())).collect();

    // Usage rows: which resource and day each belongs to, and the cost per (resource, day).
    let mut usage_of: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut cost: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT compute_usage_id, parent_id, parent_type, usage_date, total_cost FROM compute_usage").unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<f64>>(4)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (usage, parent, ptype, day, c) = row.unwrap();
        if kinds.get(&parent) != Some(&ptype) {
            continue;
        }
        if day.as_str() >= before.as_str() && day.as_str() <= to {
            usage_of.insert(usage, (parent.clone(), day.clone()));
        }
        if day.as_str() >= from && day.as_str() <= to {
            *cost.entry((parent, day)).or_default() += c.unwrap_or(0.0);
        }
    }

    // Events of those usage rows.
    let mut marks: BTreeMap<String, Vec<(i64, bool, String)>> = BTreeMap::new();
    let mut scale: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT event_id, compute_usage_id, event_time, event_type, details FROM events").unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (id, usage, time, kind, details) = row.unwrap();
        let Some((compute, _)) = usage_of.get(&usage) else { continue };
        match kind.as_str() {
            "CLUSTER_START" => marks.entry(compute.clone()).or_default().push((secs(&time), true, id)),
            "CLUSTER_TERMINATE" => marks.entry(compute.clone()).or_default().push((secs(&time), false, id)),
            "AUTOSCALING" => {
                let t = secs(&time);
                let details = details.unwrap_or_default();
                if let (true, Some(at)) = (t >= lo && t < hi, details.find(" to ")) {
                    let digits: String = details[at + 4..].trim_start().chars().take_while(|c| c.is_ascii_digit()).collect();
                    scale.entry(compute.clone()).or_default().push(digits.parse().unwrap_or(0));
                }
            }
            _ => {}
        }
    }

    // Statements, merged into islands per resource.
    let mut statements: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut started_in_range: BTreeMap<String, i64> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT parent_id, start_time, duration_ms FROM sql_query_history").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<i64>>(2)?))).unwrap();
    let next_day = to_d.add_days(1).to_string();
    for row in rows {
        let (compute, start, ms) = row.unwrap();
        if !kinds.contains_key(&compute) || start.as_str() < before.as_str() || start.as_str() >= next_day.as_str() {
            continue;
        }
        let s = secs(&start);
        if s >= lo && s < hi {
            *started_in_range.entry(compute.clone()).or_default() += 1;
        }
        statements.entry(compute).or_default().push((s as f64, s as f64 + ms.unwrap_or(0) as f64 / 1000.0));
    }
    let islands: BTreeMap<String, Vec<(f64, f64)>> = statements
        .into_iter()
        .map(|(id, mut v)| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let mut merged: Vec<(f64, f64)> = Vec::new();
            for (s, e) in v {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            (id, merged)
        })
        .collect();

    let mut settings: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT compute_id, auto_termination_mins, min_workers, max_workers FROM compute_settings").unwrap();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))).unwrap() {
        let (id, s) = row.unwrap();
        settings.insert(id, s);
    }

    let days: Vec<Date> = from_d.through(to_d).collect();
    for (id, name, kind) in resources {
        let mut m = marks.remove(&id).unwrap_or_default();
        // Time order; a terminate at the same second as a start first.
        m.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
        let sessions: Vec<(i64, i64)> = m.windows(2).filter(|w| w[0].1 && !w[1].1 && w[1].0 > w[0].0).map(|w| (w[0].0, w[1].0)).collect();
        let empty = Vec::new();
        let isl = islands.get(&id).unwrap_or(&empty);
        let mut x = Expected { name, kind, ..Default::default() };
        x.sessions = sessions.iter().filter(|(s, e)| *s < hi && *e > lo).count() as i64;
        let mut up_days = 0;
        for d in &days {
            let (dl, dh) = (day_start(*d), day_start(d.add_days(1)));
            let pieces: Vec<(i64, i64)> =
                sessions.iter().filter(|(s, e)| *s < dh && *e > dl).map(|(s, e)| ((*s).max(dl), (*e).min(dh))).collect();
            if pieces.is_empty() {
                continue;
            }
            up_days += 1;
            let up: f64 = pieces.iter().map(|(s, e)| (e - s) as f64).sum();
            let busy: f64 = pieces.iter().map(|(s, e)| covered(isl, *s as f64, *e as f64)).sum();
            let day_cost = cost.get(&(id.clone(), d.to_string())).copied().unwrap_or(0.0);
            x.up_s += up;
            x.busy_s += busy;
            x.idle_cost += day_cost * (up - busy) / up;
        }
        x.cost = cost.iter().filter(|((c, _), _)| *c == id).map(|(_, v)| v).sum();
        let has_cost = cost.keys().any(|(c, _)| *c == id);
        if !has_cost && up_days == 0 {
            continue;
        }
        x.statements = started_in_range.get(&id).copied().unwrap_or(0);
        x.settings = settings.get(&id).copied();
        let targets = scale.get(&id).cloned().unwrap_or_default();
        x.scale_events = targets.len() as i64;
        let observed = targets.iter().max().copied();
        x.peak = match (observed, x.settings) {
            (Some(p), Some((_, min, _))) => Some(p.max(min)),
            (None, Some((_, min, _))) => Some(min),
            (p, None) => p,
        };
        out.insert(id, x);
    }
    out
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn close(actual: &Value, expected: f64, what: &str) {
    let a = num(actual).unwrap_or_else(|| panic!("{what}: report has no number ({actual:?})"));
    assert!((a - expected).abs() < EPS * expected.abs().max(1.0), "{what}: report {a} vs oracle {expected}");
}

fn check_range(conn: &Connection, from: &str, to: &str) -> (ReportResult, BTreeMap<String, Expected>) {
    let result = run(conn, &filters(from, to));
    let expected = oracle(conn, from, to);
    let rows = result.dataset("rows").unwrap();
    let ids: Vec<String> = (0..rows.len()).map(|r| rows.get(r, "compute_id").to_string()).collect();
    let mut want: Vec<(&String, &Expected)> = expected.iter().collect();
    want.sort_by(|a, b| b.1.idle_cost.partial_cmp(&a.1.idle_cost).unwrap().then(a.0.cmp(b.0)));
    assert_eq!(ids, want.iter().map(|(id, _)| (*id).clone()).collect::<Vec<_>>(), "{from}..{to}: rows and their order");
    let days = (Date::parse(from).unwrap().days_until(Date::parse(to).unwrap()) + 1) as f64;
    for r in 0..rows.len() {
        let x = &expected[&ids[r]];
        let what = |c: &str| format!("{from}..{to} {} {c}", ids[r]);
        assert_eq!(rows.get(r, "compute_name").to_string(), x.name);
        let kind = if x.kind == "APC_CLUSTER" { "All-purpose cluster" } else { "SQL warehouse" };
        assert_eq!(rows.get(r, "compute_kind").to_string(), kind);
        close(rows.get(r, "total_cost_usd"), x.cost, &what("cost"));
        close(rows.get(r, "sessions"), x.sessions as f64, &what("sessions"));
        close(rows.get(r, "up_hours"), x.up_s / 3600.0, &what("up"));
        close(rows.get(r, "busy_hours"), x.busy_s / 3600.0, &what("busy"));
        close(rows.get(r, "idle_hours"), (x.up_s - x.busy_s) / 3600.0, &what("idle"));
        if x.up_s > 0.0 {
            close(rows.get(r, "busy_pct"), 100.0 * x.busy_s / x.up_s, &what("busy share"));
        } else {
            assert!(rows.get(r, "busy_pct").is_null(), "{}", what("busy share of no up time"));
        }
        close(rows.get(r, "idle_cost_usd"), x.idle_cost, &what("idle cost"));
        close(rows.get(r, "idle_cost_per_month_usd"), x.idle_cost / days * 30.0, &what("idle cost per month"));
        close(rows.get(r, "statements"), x.statements as f64, &what("statements"));
        close(rows.get(r, "scale_events"), x.scale_events as f64, &what("scale events"));
        match x.settings {
            Some((auto, min, max)) => {
                close(rows.get(r, "auto_termination_mins"), auto as f64, &what("auto-termination"));
                close(rows.get(r, "min_workers"), min as f64, &what("min"));
                close(rows.get(r, "max_workers"), max as f64, &what("max"));
            }
            None => {
                for c in ["auto_termination_mins", "min_workers", "max_workers"] {
                    assert!(rows.get(r, c).is_null(), "{}", what(c));
                }
            }
        }
        match x.peak {
            Some(p) => close(rows.get(r, "peak_workers"), p as f64, &what("peak")),
            None => assert!(rows.get(r, "peak_workers").is_null(), "{}", what("peak")),
        }
    }
    // KPIs from the oracle's rows.
    let up: f64 = expected.values().map(|x| x.up_s).sum();
    let busy: f64 = expected.values().map(|x| x.busy_s).sum();
    let idle_cost: f64 = expected.values().map(|x| x.idle_cost).sum();
    let kpi = |name: &str| result.kpis.iter().find(|k| k.name == name).unwrap_or_else(|| panic!("KPI {name}")).value.clone();
    close(&kpi("resources"), expected.len() as f64, "resources");
    close(&kpi("up_hours"), up / 3600.0, "KPI up hours");
    close(&kpi("busy_pct"), 100.0 * busy / up, "KPI busy share");
    close(&kpi("idle_cost_usd"), idle_cost, "KPI idle cost");
    close(&kpi("idle_cost_per_month_usd"), idle_cost / days * 30.0, "KPI idle cost per month");
    let mostly_idle = expected.values().filter(|x| x.busy_s < 0.5 * x.up_s).count();
    close(&kpi("mostly_idle"), mostly_idle as f64, "KPI mostly idle");
    (result, expected)
}

#[test]
fn utilization_matches_the_oracle_over_the_whole_seed_and_two_weeks() {
    let conn = common::seeded();
    let (_, all) = check_range(&conn, "2025-11-01", "2025-12-15");
    assert_eq!(all.len(), 7, "every shared cluster and warehouse");
    assert!(all.values().all(|x| x.sessions > 0 && x.busy_s > 0.0 && x.busy_s < x.up_s), "{all:?}");
    check_range(&conn, "2025-11-10", "2025-11-23");
    // A range that starts mid-data, one day long: the day before the range is read for events.
    check_range(&conn, "2025-12-01", "2025-12-01");
}

#[test]
fn utilization_matches_the_oracle_on_another_seed_with_clones() {
    // Two groups: the clones' resources have usage and settings but no sessions.
    let config = SeedConfig { seed: 7, jobs: 18, days: 20, first_day: Date::from_ymd(2025, 11, 1) };
    let conn = common::generated(&config);
    let (_, all) = check_range(&conn, "2025-11-01", "2025-11-20");
    assert_eq!(all.len(), 14);
    assert_eq!(all.values().filter(|x| x.up_s > 0.0).count(), 7, "the cast's resources have up time");
    check_range(&conn, "2025-11-05", "2025-11-11");
}

#[test]
fn a_session_across_midnight_counts_on_both_days_and_from_the_day_before_the_range() {
    let conn = common::seeded();
    // A late session on the logistics cluster, 22:00 to 03:00, with one hour of work at midnight.
    conn.execute_batch(
        "INSERT INTO events(event_id, compute_usage_id, event_time, event_type, user_id, details) VALUES
           ('EV-LATE-START', 'CU-APC-LOGISTICS-20251110', '2025-11-10 22:00:00', 'CLUSTER_START', 'U-DAVID', 'late'),
           ('EV-LATE-END', 'CU-APC-LOGISTICS-20251110', '2025-11-11 03:00:00', 'CLUSTER_TERMINATE', 'U-SYSTEM', 'late');
         INSERT INTO sql_query_history(query_id, parent_id, user_id, start_time, duration_ms) VALUES
           ('QS-LATE', 'APC-LOGISTICS', 'U-DAVID', '2025-11-10 23:30:00', 3600000);",
    )
    .unwrap();
    let (_, both) = check_range(&conn, "2025-11-10", "2025-11-11");
    let (_, second) = check_range(&conn, "2025-11-11", "2025-11-11");
    let (_, first) = check_range(&conn, "2025-11-10", "2025-11-10");
    let logistics = |m: &BTreeMap<String, Expected>| (m["APC-LOGISTICS"].up_s, m["APC-LOGISTICS"].busy_s);
    // The late session adds 5 h up and 1 h busy in all: 2 h up / 0.5 h busy on the 10th, 3 h / 0.5 h on the 11th.
    assert_eq!(logistics(&both).0, logistics(&first).0 + logistics(&second).0);
    assert_eq!(logistics(&both).1, logistics(&first).1 + logistics(&second).1);
    conn.execute_batch("DELETE FROM events WHERE event_id LIKE 'EV-LATE-%'; DELETE FROM sql_query_history WHERE query_id = 'QS-LATE'")
        .unwrap();
    let (_, plain_second) = check_range(&conn, "2025-11-11", "2025-11-11");
    let (_, plain_first) = check_range(&conn, "2025-11-10", "2025-11-10");
    assert_eq!(logistics(&second).0 - logistics(&plain_second).0, 3.0 * 3600.0);
    assert_eq!(logistics(&second).1 - logistics(&plain_second).1, 0.5 * 3600.0);
    assert_eq!(logistics(&first).0 - logistics(&plain_first).0, 2.0 * 3600.0);
    assert_eq!(logistics(&first).1 - logistics(&plain_first).1, 0.5 * 3600.0);
}

#[test]
fn the_planted_idle_cluster_tops_the_report() {
    let conn = common::seeded();
    let result = run(&conn, &filters("2025-11-01", "2025-12-15"));
    let rows = result.dataset("rows").unwrap();
    assert_eq!(rows.get(0, "compute_id").to_string(), "APC-LEGACY");
    let busy = num(rows.get(0, "busy_pct")).unwrap();
    assert!(busy < 25.0, "APC-LEGACY busy {busy}%");
    assert_eq!(num(rows.get(0, "auto_termination_mins")), Some(480.0));
    // Its sessions end eight hours after the last statement: the tail is its setting.
    let tail = common::real(
        &conn,
        "SELECT AVG((strftime('%s', e.event_time) - strftime('%s', q.last_end)) / 60.0) FROM events e
         JOIN (SELECT parent_id, substr(start_time, 1, 10) AS day,
                      datetime(MAX(strftime('%s', start_time) + duration_ms / 1000), 'unixepoch') AS last_end
               FROM sql_query_history WHERE parent_id = 'APC-LEGACY' GROUP BY parent_id, day) q
           ON e.compute_usage_id = 'CU-APC-LEGACY-' || replace(q.day, '-', '')
         WHERE e.event_type = 'CLUSTER_TERMINATE'",
    );
    assert!((tail - 480.0).abs() < 1e-9, "tail {tail}");
    // The busiest shared resource is a warehouse with a short auto-stop.
    let (mut best, mut best_pct) = (String::new(), 0.0);
    for r in 0..rows.len() {
        let pct = num(rows.get(r, "busy_pct")).unwrap();
        if pct > best_pct {
            (best, best_pct) = (rows.get(r, "compute_id").to_string(), pct);
        }
    }
    assert!(best.starts_with("WH-") && best_pct > 50.0, "{best} {best_pct}");
}

#[test]
fn a_database_without_settings_still_reports_up_and_idle_time() {
    let conn = common::seeded();
    conn.execute_batch("DROP TABLE compute_settings").unwrap();
    // Opening it the way the app does creates the optional table, empty.
    let db = UsageDb::from_connection(conn, 0).unwrap();
    assert_eq!(common::int(db.conn(), "SELECT COUNT(*) FROM compute_settings"), 0);
    let (result, expected) = check_range(db.conn(), "2025-11-01", "2025-12-15");
    let rows = result.dataset("rows").unwrap();
    assert!(expected.values().all(|x| x.settings.is_none()));
    assert!((0..rows.len()).all(|r| rows.get(r, "auto_termination_mins").is_null()));
    let spec = &registry().get("utilization").unwrap().spec;
    assert!(spec.notes.iter().any(|n| n.contains("a database without them shows them empty")));
}

#[test]
fn the_copilot_has_sessions_settings_and_cost_of_a_cluster_and_grounds_every_chip() {
    let conn = common::seeded();
    let expected = oracle(&conn, "2025-11-01", "2025-12-15");
    let session = Session::open("Seeded demo data", UsageDb::from_connection(conn, 0).unwrap()).unwrap();
    let docs = common::docs_assets();
    let assets = || DocsAssets { index: Some(&docs.index), model: docs.model.as_ref() };
    let spec = &registry().get("utilization").unwrap().spec;
    let result = session.run_report("utilization", None, &Default::default()).unwrap();
    let mut chips_seen = BTreeSet::new();
    for id in ["APC-LEGACY", "WH-FINANCE"] {
        let selection = find_selection(spec, &result, &EntityRef::parse(&format!("compute:{id}")).unwrap()).unwrap();
        let offered = offered_chips(spec, &selection);
        let own: Vec<&str> = offered.iter().map(|c| c.id.as_str()).filter(|c| c.starts_with("utilization.")).collect();
        assert_eq!(own, ["utilization.idle_time", "utilization.why_idle", "utilization.stop_idling", "utilization.idle_watch"]);
        for chip in &offered {
            let p = session.prepare(spec, &result, &selection, &Ask::chip(&chip.id), assets()).unwrap().prepared;
            let text = p.evidence.all_text();
            let x = &expected[id];
            let up = format!("up {:.2} h in all", x.up_s / 3600.0);
            if chip.focus.iter().any(|t| format!("{t:?}") == "Utilization") {
                assert!(text.contains(&up), "{id} {}: {up} in\n{text}", chip.id);
            }
            let check = p.check(&p.offline_answer);
            assert_eq!(check.ungrounded_texts(), Vec::<&str>::new(), "{id} {}:\n{}", chip.id, p.offline_answer);
            assert_eq!(check.unsupported_texts(), Vec::<&str>::new(), "{id} {}:\n{}", chip.id, p.offline_answer);
            chips_seen.insert(chip.id.clone());
        }
    }
    assert!(chips_seen.len() >= 8, "{chips_seen:?}");
    // The planted cluster's settings and its tail after the last statement reach the evidence.
    let selection = find_selection(spec, &result, &EntityRef::parse("compute:APC-LEGACY").unwrap()).unwrap();
    let p = session.prepare(spec, &result, &selection, &Ask::chip("utilization.why_idle"), assets()).unwrap().prepared;
    let text = p.evidence.all_text();
    assert!(text.contains("auto-termination after 480.0 min without a running statement"), "{text}");
    assert!(text.contains("a session stayed up 480.0 min on average after its last statement ended"), "{text}");
    assert!(p.offline_answer.contains("shorten its auto-termination (now 480.0 min)"), "{}", p.offline_answer);
}
