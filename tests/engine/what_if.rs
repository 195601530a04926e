//! What if counterfactuals on the seeded DB against an oracle that recomputes each saving in
//! plain Rust from raw `SELECT`ed rows: retries capped at K (runs in start order, incidents,
//! attempts), auto-termination after N minutes (sessions from start/terminate events, the
//! union of statements, each session's idle tail), and job compute instead of an
//! all-purpose cluster (the Utilization row and the price list). Also: which selections are
//! offered the What if chips, and that the offline answer and the prompt lead with the result.

use crate::common;

use std::collections::BTreeMap;

use rusqlite::Connection;
use usage_copilot::base::calendar::{Date, Timestamp};
use usage_copilot::base::format::usd;
use usage_copilot::copilot::chips::{Lane, WhatIf};
use usage_copilot::copilot::evidence::counterfactual;
use usage_copilot::copilot::graph::GraphSource;
use usage_copilot::copilot::{offered_chips, prepare, Ask, Request};
use usage_copilot::report::selection::find_selection;
use usage_copilot::report::{registry, run_report, EntityRef, ReportFilters, ReportResult, Selection};

fn filters(from: &str, to: &str) -> ReportFilters {
    ReportFilters { from: Date::parse(from).unwrap(), to: Date::parse(to).unwrap(), workspace: None }
}

fn days(f: &ReportFilters) -> f64 {
    (f.from.days_until(f.to) + 1) as f64
}

fn secs(text: &str) -> i64 {
    Timestamp::parse(text).unwrap_or_else(|| panic!("timestamp {text}")).unix_seconds()
}

fn run(conn: &Connection, key: &str, f: &ReportFilters) -> ReportResult {
    run_report(conn, key, f, &BTreeMap::new()).unwrap_or_else(|e| panic!("{key}: {e}"))
}

fn select(key: &str, result: &ReportResult, entity: &str) -> Selection {
    let spec = &registry().get(key).unwrap().spec;
    find_selection(spec, result, &EntityRef::parse(entity).unwrap()).unwrap_or_else(|| panic!("{key}: no row for {entity}"))
}

fn cents(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

/// The oracle for a retry cap: (saving, skipped attempts, incidents that recover late).
fn retry_oracle(conn: &Connection, job: &str, f: &ReportFilters, k: usize) -> (f64, usize, usize) {
    let mut cost: BTreeMap<String, f64> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT parent_id, total_cost FROM compute_usage WHERE parent_type = 'JOB_RUN'").unwrap();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<f64>>(1)?))).unwrap() {
        let (run, c) = row.unwrap();
        *cost.entry(run).or_default() += c.unwrap_or(0.0);
    }
    let mut stmt = conn.prepare("SELECT job_run_id, start_time, run_status FROM job_runs WHERE job_id = ?1").unwrap();
    let mut runs: Vec<(String, String, String)> =
        stmt.query_map([job], |r| Ok((r.get(1)?, r.get(0)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let (lo, hi) = (f.from.to_string(), f.to.add_days(1).to_string());
    runs.retain(|(start, _, status)| {
        start.as_str() >= lo.as_str() && start.as_str() < hi.as_str() && (status == "SUCCESS" || status == "FAILED")
    });
    runs.sort();
    let (mut saving, mut skipped, mut late) = (0.0, 0, 0);
    // Attempts of the incident under way: failures so far.
    let mut failures: Option<usize> = None;
    for (_, id, status) in &runs {
        match (status.as_str(), failures) {
            ("FAILED", None) => failures = Some(1),
            ("FAILED", Some(n)) => {
                if n + 1 > k + 1 {
                    saving += cost.get(id).copied().unwrap_or(0.0);
                    skipped += 1;
                }
                failures = Some(n + 1);
            }
            ("SUCCESS", Some(n)) => {
                if n + 1 > k + 1 {
                    late += 1;
                }
                failures = None;
            }
            _ => {}
        }
    }
    (saving, skipped, late)
}

/// The oracle for auto-termination after `cap` minutes: the hours cut from the sessions that
/// start in the range (each session's up time after its last statement beyond `cap`).
fn cut_hours_oracle(conn: &Connection, compute: &str, f: &ReportFilters, cap: i64) -> f64 {
    let before = f.from.add_days(-1).to_string();
    let (to, next) = (f.to.to_string(), f.to.add_days(2).to_string());
    let mut stmt = conn
        .prepare(
            "SELECT e.event_time, e.event_type, e.event_id, u.usage_date FROM events e JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id
             WHERE u.parent_id = ?1 AND u.parent_type <> 'JOB_RUN'",
        )
        .unwrap();
    let mut marks: Vec<(i64, bool, String)> = Vec::new();
    for row in stmt
        .query_map([compute], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
        .unwrap()
    {
        let (time, kind, id, day) = row.unwrap();
        if day.as_str() < before.as_str() || day.as_str() > to.as_str() {
            continue;
        }
        match kind.as_str() {
            "CLUSTER_START" => marks.push((secs(&time), true, id)),
            "CLUSTER_TERMINATE" => marks.push((secs(&time), false, id)),
            _ => {}
        }
    }
    // Terminations before starts at the same second, as the evidence SQL orders them.
    marks.sort();
    let (lo, hi) = (f.from.days_since_epoch() * 86_400, f.to.add_days(1).days_since_epoch() * 86_400);
    let sessions: Vec<(f64, f64)> = marks
        .windows(2)
        .filter(|w| w[0].1 && !w[1].1 && w[1].0 > w[0].0 && w[0].0 >= lo && w[0].0 < hi)
        .map(|w| (w[0].0 as f64, w[1].0 as f64))
        .collect();
    let mut stmt = conn.prepare("SELECT start_time, duration_ms FROM sql_query_history WHERE parent_id = ?1").unwrap();
    let mut statements: Vec<(f64, f64)> = Vec::new();
    for row in stmt.query_map([compute], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))).unwrap() {
        let (start, ms) = row.unwrap();
        if start.as_str() >= before.as_str() && start.as_str() < next.as_str() {
            let s = secs(&start) as f64;
            statements.push((s, s + ms.unwrap_or(0) as f64 / 1000.0));
        }
    }
    statements.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut islands: Vec<(f64, f64)> = Vec::new();
    for (s, e) in statements {
        match islands.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => islands.push((s, e)),
        }
    }
    let mut cut = 0.0;
    for (s, e) in sessions {
        let last_busy = islands
            .iter()
            .filter(|(a, b)| *a < e && *b > s)
            .map(|(_, b)| b.min(e))
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        cut += (e - last_busy.unwrap_or(s) - 60.0 * cap as f64).max(0.0);
    }
    cut / 3600.0
}

fn metric(sel: &Selection, column: &str) -> f64 {
    sel.metric(column).and_then(|v| v.as_f64()).unwrap_or_else(|| panic!("{column}"))
}

#[test]
fn capped_retries_save_the_cost_of_the_attempts_past_the_cap() {
    let conn = common::seeded();
    let mut saved_any = 0;
    for (from, to) in [("2025-11-01", "2025-12-15"), ("2025-12-01", "2025-12-15")] {
        let f = filters(from, to);
        let result = run(&conn, "reliability_scorecard", &f);
        let jobs = common::strings(&conn, "SELECT job_id FROM jobs ORDER BY job_id");
        for job in &jobs {
            let entity = format!("job:{job}");
            let spec = &registry().get("reliability_scorecard").unwrap().spec;
            let Some(sel) = find_selection(spec, &result, &EntityRef::parse(&entity).unwrap()) else { continue };
            for k in [0u32, 1, 2] {
                let (saving, skipped, late) = retry_oracle(&conn, job, &f, k as usize);
                let cf = counterfactual(&conn, WhatIf::RetryCap { retries: k }, &sel, &f).unwrap().expect("computed");
                assert_eq!(cents(cf.saving), cents(saving), "{job} K={k} {from}..{to}: {}", cf.result);
                assert_eq!(cents(cf.per_month), cents(saving / days(&f) * 30.0), "{job} K={k}");
                if skipped > 0 {
                    saved_any += 1;
                    assert!(cf.result.contains(&format!("skips {skipped} of")), "{job} K={k}: {}", cf.result);
                    assert!(cf.result.contains(&format!("{late} incidents recovered only after more attempts")), "{}", cf.result);
                    assert!(cf.result.contains(&usd(saving)), "{}", cf.result);
                }
            }
        }
    }
    assert!(saved_any >= 6, "the seeded failures give several jobs something to save: {saved_any}");
    // LEGACY-ETL's incidents are three failures and a success: capped at one retry, one
    // failed attempt per incident is saved and every incident waits for a manual rerun.
    let f = filters("2025-11-01", "2025-12-15");
    let result = run(&conn, "reliability_scorecard", &f);
    let sel = select("reliability_scorecard", &result, "job:J-LEGACY-ETL");
    let cf = counterfactual(&conn, WhatIf::RetryCap { retries: 1 }, &sel, &f).unwrap().unwrap();
    assert!(cf.result.starts_with("at most 1 retry per failure skips 9 of its 27 failed attempts in 9 incidents"), "{}", cf.result);
    let none = counterfactual(&conn, WhatIf::RetryCap { retries: 3 }, &sel, &f).unwrap().unwrap();
    assert_eq!(
        (none.saving, none.result.as_str()),
        (0.0, "no incident had more than 4 failed attempts (at most 4 attempts in all): no saving")
    );
}

#[test]
fn auto_termination_cuts_each_sessions_idle_tail_past_the_setting() {
    let conn = common::seeded();
    let resources = common::strings(&conn, "SELECT compute_id FROM non_job_compute ORDER BY compute_id");
    let mut checked = 0;
    for (from, to) in [("2025-11-01", "2025-12-15"), ("2025-12-01", "2025-12-15")] {
        let f = filters(from, to);
        let result = run(&conn, "utilization", &f);
        for id in &resources {
            let sel = select("utilization", &result, &format!("compute:{id}"));
            let per_hour = metric(&sel, "idle_cost_usd") / metric(&sel, "idle_hours");
            for cap in [5i64, 10, 30, 120] {
                let cut = cut_hours_oracle(&conn, id, &f, cap);
                let cf = counterfactual(&conn, WhatIf::AutoTermination { minutes: cap as u32 }, &sel, &f).unwrap().expect("computed");
                assert_eq!(cents(cf.saving), cents(cut * per_hour), "{id} cap {cap} {from}..{to}: {}", cf.result);
                assert_eq!(cents(cf.per_month), cents(cut * per_hour / days(&f) * 30.0), "{id} cap {cap}");
                if cut > 0.0 {
                    assert!(cf.result.contains(&format!("cuts {:.2} h of idle up time", cut)), "{}", cf.result);
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 * 7 * 4);
    // The planted cluster stays up 480 minutes after its last statement in each of its 45
    // sessions: 10 minutes would cut 470 of them, 352.50 h, at the row's idle cost per hour.
    let f = filters("2025-11-01", "2025-12-15");
    let result = run(&conn, "utilization", &f);
    let sel = select("utilization", &result, "compute:APC-LEGACY");
    let cf = counterfactual(&conn, WhatIf::AutoTermination { minutes: 10 }, &sel, &f).unwrap().unwrap();
    assert!(
        cf.result
            .starts_with("stopping 10 min after the last statement (now 480.0 min) cuts 352.50 h of idle up time in 45 of 45 sessions"),
        "{}",
        cf.result
    );
    assert!(cf.saving < metric(&sel, "idle_cost_usd"), "never more than the idle cost");
}

#[test]
fn job_compute_prices_the_busy_hours_and_each_start_at_the_jobs_rate() {
    let conn = common::seeded();
    let f = filters("2025-11-01", "2025-12-15");
    let result = run(&conn, "utilization", &f);
    let price = |sku: &str| common::real(&conn, &format!("SELECT usd_per_dbu FROM sku_prices WHERE compute_sku = '{sku}'"));
    let ratio = price("STANDARD_JOB_COMPUTE") / price("STANDARD_ALL_PURPOSE_COMPUTE");
    for id in common::strings(&conn, "SELECT compute_id FROM non_job_compute WHERE compute_type = 'APC_CLUSTER' ORDER BY compute_id") {
        let sel = select("utilization", &result, &format!("compute:{id}"));
        let (total, idle, busy, sessions) =
            (metric(&sel, "total_cost_usd"), metric(&sel, "idle_cost_usd"), metric(&sel, "busy_hours"), metric(&sel, "sessions"));
        for startup in [0u32, 5, 15] {
            let on_jobs = (busy + sessions * startup as f64 / 60.0) * ((total - idle) / busy) * ratio;
            let cf = counterfactual(&conn, WhatIf::JobCompute { startup_minutes: startup }, &sel, &f).unwrap().unwrap();
            assert_eq!(cents(cf.saving), cents(total - on_jobs), "{id} startup {startup}: {}", cf.result);
            assert!(cf.result.contains(&format!("would cost {} instead of {}", usd(on_jobs), usd(total))), "{}", cf.result);
        }
    }
    // A price list with a cheaper jobs SKU: the busy hours are priced at the ratio.
    let cheaper = common::seeded();
    cheaper.execute("UPDATE sku_prices SET usd_per_dbu = 0.15 WHERE compute_sku = 'STANDARD_JOB_COMPUTE'", []).unwrap();
    let sel = select("utilization", &result, "compute:APC-LOGISTICS");
    let cf = counterfactual(&cheaper, WhatIf::JobCompute { startup_minutes: 5 }, &sel, &f).unwrap().unwrap();
    let (total, idle, busy, sessions) =
        (metric(&sel, "total_cost_usd"), metric(&sel, "idle_cost_usd"), metric(&sel, "busy_hours"), metric(&sel, "sessions"));
    let on_jobs = (busy + sessions * 5.0 / 60.0) * ((total - idle) / busy) * (0.15 / 0.4);
    assert_eq!(cents(cf.saving), cents(total - on_jobs));
    assert!(
        cf.inputs.contains("price ratio 0.375 = $0.15 per DBU of STANDARD_JOB_COMPUTE ÷ $0.40 per DBU of STANDARD_ALL_PURPOSE_COMPUTE"),
        "{}",
        cf.inputs
    );
    // Without a jobs price the ratio is 1 and the assumption says so.
    cheaper.execute("DELETE FROM sku_prices WHERE compute_sku = 'STANDARD_JOB_COMPUTE'", []).unwrap();
    let cf = counterfactual(&cheaper, WhatIf::JobCompute { startup_minutes: 5 }, &sel, &f).unwrap().unwrap();
    assert!(cf.inputs.contains("price ratio 1 (the price list has no jobs-compute price"), "{}", cf.inputs);
    assert!(cf.assumptions.iter().any(|a| a.contains("lower bound")), "{:?}", cf.assumptions);
}

#[test]
fn what_if_chips_lead_with_the_computed_result_in_the_answer_and_the_prompt() {
    let conn = common::seeded();
    let f = filters("2025-11-01", "2025-12-15");
    let cases = [
        ("utilization", "compute:APC-LEGACY", vec!["whatif.auto_termination", "whatif.job_compute"]),
        // A warehouse: no job compute; its 10-minute auto stop leaves nothing to shorten.
        ("utilization", "compute:WH-FINANCE", vec![]),
        ("utilization", "compute:WH-ML", vec!["whatif.auto_termination"]),
        ("reliability_scorecard", "job:J-LEGACY-ETL", vec!["whatif.retry_cap"]),
        ("job_cost", "job:J-LEGACY-ETL", vec!["whatif.retry_cap"]),
    ];
    for (key, entity, expected) in cases {
        let spec = &registry().get(key).unwrap().spec;
        let result = run(&conn, key, &f);
        let sel = select(key, &result, entity);
        let offered = offered_chips(spec, &sel);
        let what_if: Vec<&str> = offered.iter().filter(|c| c.lane == Lane::WhatIf).map(|c| c.id.as_str()).collect();
        assert_eq!(what_if, expected, "{key} {entity}");
        for chip in what_if {
            let req = Request {
                conn: &conn,
                graph: GraphSource::Database(&conn),
                report: spec,
                result: &result,
                selection: &sel,
                docs: None,
                telemetry: None,
                budget: Default::default(),
            };
            let p = prepare(&req, &Ask::chip(chip)).unwrap();
            let cf = p.evidence.signals.what_if.clone().expect("computed");
            let template = p.chip_template().unwrap();
            assert_eq!(counterfactual(&conn, template.what_if.unwrap(), &sel, &f).unwrap().as_ref(), Some(&cf));
            // The result is the first fact after the selected row, and the prompt carries it.
            assert_eq!(p.evidence.facts[1].title, format!("What if: {}", cf.title), "{chip}");
            assert!(p.evidence.facts[1].text.starts_with(&cf.result), "{chip}");
            let user = &p.messages[1].content;
            assert!(user.contains(&format!("[T2] What if: {}: {}", cf.title, cf.result)), "{chip}: {user}");
            assert!(user.contains("Start with the computed counterfactual in the What if facts"), "{chip}");
            // The offline answer opens with it, formula and assumptions before anything else.
            let body = p.offline_answer.split_once(&format!("— {}**\n\n", sel.label)).map(|(_, b)| b).unwrap_or_default();
            assert!(body.starts_with(&format!("**What if: {}** — ", cf.title)), "{chip}:\n{}", p.offline_answer);
            let formula = body.find("Formula: ").unwrap();
            let assumptions = body.find("Assumptions:").unwrap();
            let opening = body.find(&format!("{} cost ", sel.label)).unwrap_or(usize::MAX);
            assert!(formula < assumptions && assumptions < opening, "{chip}:\n{}", p.offline_answer);
            let check = p.check(&p.offline_answer);
            assert!(check.clean() && check.uncited.is_empty(), "{chip}: {}", check.summary());
            assert_eq!(check.coverage_missing(), Vec::<&str>::new(), "{chip}");
        }
    }
}
