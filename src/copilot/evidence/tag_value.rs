//! Facts about one normalised value of a tag key (a chargeback line, id `key=value`): the
//! jobs that carry it and their spend, its spellings, where the spend without the key comes
//! from and how the report's rule allocates it, and its daily and weekly trend.

use rusqlite::Connection;

use super::common::{daily_cost, DailyCost, FactQuery, Param};
use super::{Fact, Signals, Topic};
use crate::base::calendar::{Date, Weekday};
use crate::base::format::{pct, thousands, usd};
use crate::report::{ReportFilters, ReportResult, Selection};

/// The evidence SQL file of this module (`sql/evidence/tag_value.sql`).
const FILE: &str = "tag_value";

/// Splits a tag value's entity id (`team=supply chain`) into key and value; an id without
/// `=` is a value of the report's `tag_key` param.
pub fn split_id<'a>(entity_id: &'a str, result: &'a ReportResult) -> (&'a str, &'a str) {
    match entity_id.split_once('=') {
        Some((key, value)) => (key, value),
        None => (result.text_params.get("tag_key").map(String::as_str).unwrap_or_default(), entity_id),
    }
}

/// Gathers facts; returns the ids of the jobs carrying the value, by spend (graph starting
/// points).
pub fn facts(
    conn: &Connection,
    selection: &Selection,
    result: &ReportResult,
    f: &ReportFilters,
    facts: &mut Vec<Fact>,
    s: &mut Signals,
) -> rusqlite::Result<Vec<String>> {
    let (key, value) = split_id(&selection.entity.entity_id, result);
    let (from, to) = (f.from.to_string(), f.to.to_string());
    let text = |s: &str| -> Param { Some(s.to_string()) };
    let of_value =
        [(":key", text(key)), (":value", text(value)), (":from", text(&from)), (":to", text(&to)), (":workspace", f.workspace.clone())];
    let of_key = [(":key", text(key)), (":from", text(&from)), (":to", text(&to)), (":workspace", f.workspace.clone())];

    // The jobs carrying the value, with their part of its direct spend.
    let jobs_q = FactQuery::new(FILE, "jobs", &of_value);
    let jobs = jobs_q.rows(conn)?;
    let direct: f64 = jobs.iter().map(|r| r.num("cost")).sum();
    s.top_entities = jobs
        .iter()
        .map(|r| {
            let cost = r.num("cost");
            (format!("{} ({})", r.text("name"), r.text("id")), cost, if direct > 0.0 { 100.0 * cost / direct } else { 0.0 })
        })
        .collect();
    if !jobs.is_empty() {
        let listed: Vec<String> = jobs
            .iter()
            .zip(&s.top_entities)
            .map(|(r, (name, cost, share))| {
                format!(
                    "{name} {} ({} of the value's direct spend, {} runs)",
                    usd(*cost),
                    pct(*share),
                    thousands(r.int("runs").max(0) as u64)
                )
            })
            .collect();
        facts.push(jobs_q.fact(Topic::TopEntities, &format!("Jobs tagged {key} = {value}"), listed.join("; ")));

        // Its spellings, each with the jobs that use it and their spend.
        let mut spellings: Vec<(String, Vec<String>, f64)> = Vec::new();
        for r in jobs.iter() {
            let spelling = r.text("spelling");
            match spellings.iter_mut().find(|(sp, ..)| *sp == spelling) {
                Some((_, ids, cost)) => {
                    ids.push(r.text("id"));
                    *cost += r.num("cost");
                }
                None => spellings.push((spelling, vec![r.text("id")], r.num("cost"))),
            }
        }
        s.tag_spellings = spellings.iter().map(|(sp, ..)| sp.clone()).collect();
        let listed: Vec<String> =
            spellings.iter().map(|(sp, ids, cost)| format!("\"{sp}\" on {} ({})", ids.join(", "), usd(*cost))).collect();
        let count = match spellings.len() {
            1 => "one spelling".to_string(),
            n => format!("{} spellings", thousands(n as u64)),
        };
        facts.push(jobs_q.fact(
            Topic::Configuration,
            &format!("Spellings of {key} grouped as \"{value}\""),
            format!("{count}: {}; grouped by lowercase, `-` and `_` read as spaces, runs of spaces collapsed, trimmed", listed.join("; ")),
        ));
    }

    // Where the spend without the key comes from, and what the report's rule does with it.
    let shared_q = FactQuery::new(FILE, "untagged", &of_key);
    if let Some(r) = shared_q.rows(conn)?.first() {
        let (total, shared) = (r.num("total"), r.num("shared"));
        let share = if total != 0.0 { 100.0 * shared / total } else { 0.0 };
        s.untagged_share_pct = Some(share);
        let mut ids: Vec<String> = r.text("untagged_job_ids").split(',').filter(|t| !t.is_empty()).map(str::to_string).collect();
        ids.sort();
        let jobs_without = if ids.is_empty() { String::new() } else { format!(" ({})", ids.join(", ")) };
        let mut line = format!(
            "total spend {}; spend without the key {key}: {} ({} of all spend), of which jobs without it {}{jobs_without} and all-purpose clusters and SQL warehouses {}",
            usd(total),
            usd(shared),
            pct(share),
            usd(r.num("untagged_jobs")),
            usd(r.num("other_compute"))
        );
        let money = |c: &str| selection.metric(c).and_then(|v| v.as_f64());
        match (result.text_params.get("allocation").map(String::as_str), money("direct_cost_usd"), money("allocated_cost_usd")) {
            (Some("proportional"), Some(own), Some(allocated)) => line.push_str(&format!(
                "; rule proportional: this value is charged its direct {} plus {} of the shared spend, in proportion to its direct spend",
                usd(own),
                usd(allocated)
            )),
            (Some("unallocated"), Some(own), _) => line.push_str(&format!(
                "; rule unallocated: this value is charged its direct {} only, the shared spend stays on the Unallocated line",
                usd(own)
            )),
            _ => {}
        }
        facts.push(shared_q.fact(Topic::Baseline, "Shared and untagged spend", line));
    }

    // The value's direct spend by day and by week (weeks start on Monday).
    let daily_q = FactQuery::new(FILE, "daily", &of_value);
    let daily: Vec<(String, f64)> = daily_q.rows(conn)?.iter().map(|r| (r.text("day"), r.num("cost"))).collect();
    if let Some(DailyCost { span, mean, peak, .. }) = daily_cost(&daily, f, s) {
        facts.push(daily_q.fact(
            Topic::Cost,
            "Daily direct spend",
            format!("{} a day on average over {} days; highest {} ({})", usd(mean), thousands(span as u64), peak.0, usd(peak.1)),
        ));
        let mut weeks: Vec<(Date, f64)> = Vec::new();
        for (day, cost) in &daily {
            let Some(d) = Date::parse(day) else { continue };
            let monday = d.add_days(-(weekday_index(d.weekday()) as i64));
            match weeks.last_mut() {
                Some((w, sum)) if *w == monday => *sum += cost,
                _ => weeks.push((monday, *cost)),
            }
        }
        let listed: Vec<String> = weeks.iter().map(|(w, c)| format!("week of {w} {}", usd(*c))).collect();
        facts.push(daily_q.fact(Topic::Changes, "Weekly direct spend", listed.join("; ")));
    }
    Ok(jobs.iter().map(|r| r.text("id")).collect())
}

/// Days since Monday.
fn weekday_index(day: Weekday) -> u32 {
    match day {
        Weekday::Monday => 0,
        Weekday::Tuesday => 1,
        Weekday::Wednesday => 2,
        Weekday::Thursday => 3,
        Weekday::Friday => 4,
        Weekday::Saturday => 5,
        Weekday::Sunday => 6,
    }
}
