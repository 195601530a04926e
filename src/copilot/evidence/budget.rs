//! Facts about a budget the user set: what it covers, which jobs, clusters and warehouses
//! spend most of it this month against the same days of last month, and its last two weeks
//! of daily spend. The month's forecast and status are in the selected row.

use rusqlite::Connection;

use super::common::{FactQuery, Param};
use super::{Fact, Signals, Topic};
use crate::base::format::{pct, usd};
use crate::copilot::graph::NodeKind;
use crate::report::ReportFilters;

/// The evidence SQL file of this module (`sql/evidence/budget.sql`).
const FILE: &str = "budget";

/// Gathers facts; returns the largest spenders in scope (graph starting points).
pub fn facts(
    conn: &Connection,
    budget: &str,
    f: &ReportFilters,
    facts: &mut Vec<Fact>,
    s: &mut Signals,
) -> rusqlite::Result<Vec<(NodeKind, String)>> {
    let to = f.to.to_string();
    let params: [(&'static str, Param); 2] = [(":budget", Some(budget.to_string())), (":to", Some(to))];
    let query = |name: &str| FactQuery::new(FILE, name, &params);

    let q = query("budget");
    if let Some(b) = q.rows(conn)?.iter().next() {
        let scope = match b.text("scope").as_str() {
            "all" => "all spend".to_string(),
            "workspace" => format!("the spend of workspace {}", b.text("value")),
            "compute_type" => format!("the spend on compute type {}", b.text("value")),
            _ => format!("the spend of jobs tagged {}", b.text("value")),
        };
        facts.push(q.fact(
            Topic::Configuration,
            "Budget",
            format!("{} covers {scope}: {} a month", b.text("name"), usd(b.num("monthly_usd"))),
        ));
    }

    let q = query("drivers");
    let drivers = q.rows(conn)?;
    let mut starts = Vec::new();
    if let Some(first) = drivers.first() {
        let scope_month = first.num("scope_month");
        let share = |cost: f64| if scope_month > 0.0 { 100.0 * cost / scope_month } else { 0.0 };
        let listed: Vec<String> = drivers
            .iter()
            .map(|r| {
                format!(
                    "{} ({}) {} this month ({} of the scope's {}), {} over the same days of last month",
                    r.text("name"),
                    r.text("id"),
                    usd(r.num("this_month")),
                    pct(share(r.num("this_month"))),
                    usd(scope_month),
                    usd(r.num("last_month"))
                )
            })
            .collect();
        facts.push(q.fact(Topic::TopEntities, "Largest spenders this month", listed.join("; ")));
        s.top_entities = drivers
            .iter()
            .map(|r| (format!("{} ({})", r.text("name"), r.text("id")), r.num("this_month"), share(r.num("this_month"))))
            .collect();
        for r in drivers.iter().filter(|r| !r.text("id").is_empty()) {
            let kind = if r.text("kind") == "job" { NodeKind::Job } else { NodeKind::Compute };
            starts.push((kind, r.text("id")));
        }
    }

    let q = query("daily");
    let daily: Vec<(String, f64)> = q.rows(conn)?.iter().map(|r| (r.text("day"), r.num("cost"))).collect();
    if let Some(peak) = daily.iter().cloned().reduce(|best, d| if d.1 > best.1 { d } else { best }) {
        let mean = daily.iter().map(|d| d.1).sum::<f64>() / daily.len() as f64;
        let listed: Vec<String> = daily.iter().map(|(d, c)| format!("{d} {}", usd(*c))).collect();
        let text = format!(
            "{}; {} a day on average over these {} days; highest {} ({})",
            listed.join("; "),
            usd(mean),
            daily.len(),
            peak.0,
            usd(peak.1)
        );
        facts.push(q.fact(Topic::Cost, "Daily spend, last 14 days", text));
        s.mean_daily_cost = Some(mean);
        s.peak_day = Some(peak);
    }
    Ok(starts)
}
