//! Facts about a compute type (job compute, all-purpose clusters, SQL warehouses): its
//! largest contributors, daily pattern, and what goes wrong on it.

use rusqlite::Connection;

use super::common::{daily_cost, DailyCost, FactQuery, Param};
use super::{Fact, Signals, Topic};
use crate::base::format::{date_ranges, pct, thousands, usd};
use crate::report::ReportFilters;

/// The evidence SQL file of this module (`sql/evidence/compute_type.sql`).
const FILE: &str = "compute_type";

/// Gathers facts; returns the ids of the largest contributors (graph starting points).
pub fn facts(
    conn: &Connection,
    compute_type: &str,
    f: &ReportFilters,
    facts: &mut Vec<Fact>,
    s: &mut Signals,
) -> rusqlite::Result<Vec<String>> {
    let (from, to) = (f.from.to_string(), f.to.to_string());
    let text = |s: &str| -> Param { Some(s.to_string()) };
    let base = [(":from", text(&from)), (":to", text(&to)), (":workspace", f.workspace.clone())];
    let typed = [(":type", text(compute_type)), (":from", text(&from)), (":to", text(&to)), (":workspace", f.workspace.clone())];
    let over_all = |name: &str| FactQuery::new(FILE, name, &base);
    let of_type = |name: &str| FactQuery::new(FILE, name, &typed);

    // The largest contributors, with their share of this type's spend.
    let jobs = compute_type == "JOB_RUN";
    let q = if jobs { over_all("top_jobs") } else { of_type("top_resources") };
    let top = q.rows(conn)?;
    let daily_q = of_type("daily");
    let daily: Vec<(String, f64)> = daily_q.rows(conn)?.iter().map(|r| (r.text("day"), r.num("cost"))).collect();
    let type_total: f64 = s.total_cost.unwrap_or_else(|| daily.iter().map(|d| d.1).sum());
    s.top_entities = top
        .iter()
        .map(|r| {
            let cost = r.num("cost");
            (format!("{} ({})", r.text("name"), r.text("id")), cost, if type_total > 0.0 { 100.0 * cost / type_total } else { 0.0 })
        })
        .collect();
    if !top.is_empty() {
        let listed: Vec<String> = s.top_entities.iter().map(|(n, c, share)| format!("{n} {} ({})", usd(*c), pct(*share))).collect();
        facts.push(q.fact(Topic::TopEntities, "Largest contributors", listed.join("; ")));
        let cpu: Vec<String> = top
            .iter()
            .map(|r| {
                let users =
                    if jobs { String::new() } else { format!(", up to {} concurrent users", thousands(r.int("peak_users").max(0) as u64)) };
                format!("{} mean CPU {}{users}", r.text("id"), pct(100.0 * r.num("cpu")))
            })
            .collect();
        facts.push(q.fact(Topic::Utilization, "Utilization", cpu.join("; ")));
    }

    // Daily pattern over every day of the range.
    if let Some(DailyCost { span, mean, peak, .. }) = daily_cost(&daily, f, s) {
        let low = if daily.len() < span {
            ("a day without spend".to_string(), 0.0)
        } else {
            let l = daily.iter().fold(&daily[0], |b, d| if d.1 < b.1 { d } else { b });
            (l.0.clone(), l.1)
        };
        facts.push(daily_q.fact(
            Topic::Cost,
            "Daily cost",
            format!(
                "{} a day on average over {} days; highest {} ({}); lowest {} ({})",
                usd(mean),
                thousands(span as u64),
                peak.0,
                usd(peak.1),
                low.0,
                usd(low.1)
            ),
        ));
    }

    match compute_type {
        "JOB_RUN" => {
            let q = over_all("failing_jobs");
            let rows = q.rows(conn)?;
            if !rows.is_empty() {
                let listed: Vec<String> = rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {} failed and {} skipped of {} runs",
                            r.text("job_id"),
                            thousands(r.int("failed") as u64),
                            thousands(r.int("skipped") as u64),
                            thousands(r.int("runs") as u64)
                        )
                    })
                    .collect();
                facts.push(q.fact(Topic::Failures, "Jobs with failed or skipped runs", listed.join("; ")));
            }
            let q = over_all("evictions_by_job");
            let rows = q.rows(conn)?;
            let total: i64 = rows.iter().map(|r| r.int("evictions")).sum();
            s.evictions = Some(total);
            let text_ = if rows.is_empty() {
                "no spot evictions in range".to_string()
            } else {
                rows.iter()
                    .map(|r| format!("{} {} evictions", r.text("job_id"), thousands(r.int("evictions") as u64)))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            facts.push(q.fact(Topic::Evictions, "Spot evictions by job", text_));
        }
        "SQL_WAREHOUSE" => {
            let totals_q = over_all("query_totals");
            let totals = totals_q.rows(conn)?;
            let q = over_all("query_errors");
            let errors = q.rows(conn)?;
            s.query_errors = errors.iter().map(|r| (r.text("error"), r.int("queries"))).collect();
            if let Some(t) = totals.first() {
                let listed: Vec<String> = errors
                    .iter()
                    .map(|r| {
                        format!(
                            "\"{}\" ×{} (warehouses {}; users {})",
                            r.text("error"),
                            thousands(r.int("queries") as u64),
                            r.text("warehouses"),
                            r.text("users")
                        )
                    })
                    .collect();
                let errors_text =
                    if listed.is_empty() { "no failed queries".to_string() } else { format!("failures: {}", listed.join("; ")) };
                facts.push(Fact {
                    sql: format!("{}\n\n{}", totals_q.shown(), q.shown()),
                    ..q.fact(
                        Topic::Queries,
                        "Ad-hoc SQL queries",
                        format!(
                            "{} queries, {} failed, slowest {:.1} s; {errors_text}",
                            thousands(t.int("queries").max(0) as u64),
                            thousands(t.int("failed").max(0) as u64),
                            t.num("slowest_s")
                        ),
                    )
                });
            }
        }
        _ => {
            let q = of_type("spike_days");
            let rows = q.rows(conn)?;
            if !rows.is_empty() {
                let dates: Vec<String> = {
                    let mut d: Vec<String> = rows.iter().map(|r| r.text("day")).collect();
                    d.dedup();
                    d
                };
                let listed: Vec<String> = rows
                    .iter()
                    .map(|r| format!("{} on {} {} (mean day {})", r.text("id"), r.text("day"), usd(r.num("cost")), usd(r.num("mean"))))
                    .collect();
                facts.push(q.fact(
                    Topic::Changes,
                    "Unusually expensive days",
                    format!("days above 1.5 × the resource's mean daily cost ({}): {}", date_ranges(&dates), listed.join("; ")),
                ));
            }
        }
    }
    Ok(top.iter().map(|r| r.text("id")).collect())
}
