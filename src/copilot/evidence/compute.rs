//! Facts about one all-purpose cluster or SQL warehouse: its sessions (up, busy and idle
//! hours, how long it stays up after its last statement), its auto-termination and
//! autoscaling settings, its daily cost and its statements.

use rusqlite::Connection;

use super::common::{daily_cost, DailyCost, FactQuery, Param};
use super::{Fact, Signals, Topic};
use crate::base::format::{hours, minutes, pct, thousands, usd};
use crate::report::ReportFilters;

/// The evidence SQL file of this module (`sql/evidence/compute.sql`).
const FILE: &str = "compute";

/// Gathers the facts about resource `id` over the filters' range.
pub fn facts(conn: &Connection, id: &str, f: &ReportFilters, facts: &mut Vec<Fact>, s: &mut Signals) -> rusqlite::Result<()> {
    let (from, to) = (f.from.to_string(), f.to.to_string());
    let text = |v: &str| -> Param { Some(v.to_string()) };
    let params = [(":id", text(id)), (":from", text(&from)), (":to", text(&to))];
    let query = |name: &str| FactQuery::new(FILE, name, &params);

    let q = query("settings");
    let settings = q.rows(conn)?;
    let unit = match settings.first().map(|r| r.text("compute_type")).as_deref() {
        Some("SQL_WAREHOUSE") => "clusters",
        _ => "workers",
    };
    let auto_termination = settings.first().filter(|r| !r.is_null("auto_termination_mins")).map(|r| r.int("auto_termination_mins"));

    let q_sessions = query("sessions");
    if let Some(r) = q_sessions.rows(conn)?.first().filter(|r| r.int("sessions") > 0) {
        let (up, busy) = (r.num("up_hours"), r.num("busy_hours"));
        let busy_pct = if up > 0.0 { 100.0 * busy / up } else { 0.0 };
        s.busy_pct = Some(busy_pct);
        let mut t = format!(
            "{} sessions started in the range, up {} in all (mean {}, longest {}); busy {} ({} of up time), idle {}",
            thousands(r.int("sessions").max(0) as u64),
            hours(up),
            hours(r.num("mean_session_hours")),
            hours(r.num("longest_session_hours")),
            hours(busy),
            pct(busy_pct),
            hours(up - busy)
        );
        if !r.is_null("mean_tail_minutes") {
            let tail = r.num("mean_tail_minutes");
            s.idle_tail_minutes = Some(tail);
            t.push_str(&format!("; a session stayed up {} on average after its last statement ended", minutes(tail)));
        }
        let empty = r.int("sessions_without_statements");
        if empty > 0 {
            t.push_str(&format!("; {} sessions ran no statement", thousands(empty as u64)));
        }
        facts.push(q_sessions.fact(Topic::Utilization, "Up, busy and idle time", t));
    }

    if let Some(r) = settings.first() {
        let t = if r.int("has_settings") == 0 {
            "no auto-termination or autoscaling settings in this dataset (the compute_settings table has no row for it)".to_string()
        } else {
            let stop = match auto_termination {
                Some(0) => "auto-termination off (it never stops on its own)".to_string(),
                Some(m) => format!("auto-termination after {} without a running statement", minutes(m as f64)),
                None => "auto-termination not recorded".to_string(),
            };
            let (min, max) = (r.int("min_workers"), r.int("max_workers"));
            let range = if min == max {
                format!("a fixed size of {} {unit} (no autoscaling)", thousands(min.max(0) as u64))
            } else {
                format!("autoscaling from {} to {} {unit}", thousands(min.max(0) as u64), thousands(max.max(0) as u64))
            };
            let used = match r.int("scale_events") {
                0 => format!("it never scaled up in the range, so it ran at {} {unit}", thousands(min.max(0) as u64)),
                n => format!(
                    "{} scale-ups in the range reached at most {} {unit}, {} of them to the maximum",
                    thousands(n as u64),
                    thousands(r.int("peak_target").max(0) as u64),
                    thousands(r.int("at_max").max(0) as u64)
                ),
            };
            format!("{stop}; {range}; {used}")
        };
        s.auto_termination_mins = auto_termination;
        facts.push(q.fact(Topic::Configuration, "Settings", t));
    }

    let q = query("daily");
    let daily: Vec<(String, f64)> = q.rows(conn)?.iter().map(|r| (r.text("day"), r.num("cost"))).collect();
    if let Some(DailyCost { span, mean, peak, .. }) = daily_cost(&daily, f, s) {
        facts.push(q.fact(
            Topic::Cost,
            "Daily cost",
            format!(
                "{} a day on average over {} days; highest {} ({}); usage on {} of the days",
                usd(mean),
                thousands(span as u64),
                peak.0,
                usd(peak.1),
                thousands(daily.len() as u64)
            ),
        ));
    }

    let q = query("statements");
    let errors_q = query("statement_errors");
    if let Some(r) = q.rows(conn)?.first().filter(|r| r.int("statements") > 0) {
        let errors = errors_q.rows(conn)?;
        s.query_errors = errors.iter().map(|e| (e.text("error"), e.int("queries"))).collect();
        let mut t = format!(
            "{} statements (queries or notebook commands) by {}, {} failed; mean {}, longest {}",
            thousands(r.int("statements").max(0) as u64),
            r.text("users"),
            thousands(r.int("failed").max(0) as u64),
            minutes(r.num("mean_minutes")),
            minutes(r.num("longest_minutes"))
        );
        if !errors.is_empty() {
            let listed: Vec<String> =
                errors.iter().map(|e| format!("\"{}\" ×{}", e.text("error"), thousands(e.int("queries").max(0) as u64))).collect();
            t.push_str(&format!("; errors: {}", listed.join("; ")));
        }
        facts.push(Fact { sql: format!("{}\n\n{}", q.shown(), errors_q.shown()), ..q.fact(Topic::Queries, "Statements", t) });
    }
    Ok(())
}
