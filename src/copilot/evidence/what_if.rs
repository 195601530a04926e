//! What if: the counterfactual a What if chip asks for, computed before any narrative from
//! the selected report row, the dataset's price list and the evidence SQL
//! (`sql/evidence/compute.sql`, `sql/evidence/job.sql`). Each result states its formula, its
//! inputs and its assumptions in facts, so the offline answer, the prompt and the answer
//! card all carry the same computed saving.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::common::{params, FactQuery, Row};
use super::{Fact, Signals, Topic};
use crate::base::format::{hours, minutes, thousands, usd};
use crate::copilot::chips::WhatIf;
use crate::report::{ReportFilters, Selection};

/// A computed counterfactual, as the facts and the answer card state it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counterfactual {
    pub scenario: WhatIf,
    /// "auto-termination after 10 min".
    pub title: String,
    /// The outcome in one sentence.
    pub result: String,
    pub formula: String,
    /// The formula's inputs with their values and sources.
    pub inputs: String,
    pub assumptions: Vec<String>,
    /// Saving over the range and per 30 days (negative: it would cost more).
    pub saving: f64,
    pub per_month: f64,
}

/// The days a saving per 30 days is scaled from.
pub const MONTH_DAYS: f64 = 30.0;

/// The counterfactual `what_if` for the selection over the filters' range (`None` when the
/// selection lacks the report figures it starts from).
pub fn counterfactual(conn: &Connection, what_if: WhatIf, sel: &Selection, f: &ReportFilters) -> rusqlite::Result<Option<Counterfactual>> {
    Ok(compute(conn, what_if, sel, f)?.1)
}

/// Computes the chip's counterfactual for the selection and adds its two facts (result
/// with formula and inputs; assumptions). Nothing is added when the selection lacks what
/// the scenario needs (the fact says so).
pub fn facts(
    conn: &Connection,
    what_if: WhatIf,
    sel: &Selection,
    f: &ReportFilters,
    facts: &mut Vec<Fact>,
    s: &mut Signals,
) -> rusqlite::Result<()> {
    let (query, counterfactual) = compute(conn, what_if, sel, f)?;
    match counterfactual {
        Some(cf) => {
            let text = format!("{}. Formula: {}. Inputs: {}.", cf.result, cf.formula, cf.inputs);
            facts.push(query.fact(Topic::WhatIf, &format!("What if: {}", cf.title), text));
            facts.push(query.fact(Topic::WhatIf, "What-if assumptions", format!("{}.", cf.assumptions.join("; "))));
            s.what_if = Some(cf);
        }
        None => facts.push(query.fact(
            Topic::WhatIf,
            "What if",
            "not computed: it needs the selected row of the Utilization report (its up, busy and idle hours and idle cost)".to_string(),
        )),
    }
    Ok(())
}

/// The counterfactual and the query its facts cite.
fn compute(
    conn: &Connection,
    what_if: WhatIf,
    sel: &Selection,
    f: &ReportFilters,
) -> rusqlite::Result<(FactQuery, Option<Counterfactual>)> {
    let days = f.from.days_until(f.to) + 1;
    let (from, to) = (f.from.to_string(), f.to.to_string());
    let id = sel.entity.entity_id.as_str();
    let num = |c: &str| sel.metric(c).and_then(|v| v.as_f64());
    Ok(match what_if {
        WhatIf::AutoTermination { minutes: cap } => {
            let cap_text = cap.to_string();
            let q = FactQuery::new("compute", "idle_tails", &params(&[(":id", id), (":from", &from), (":to", &to), (":cap", &cap_text)]));
            let tails = q.rows(conn)?;
            let cf = match (tails.first(), UtilizationRow::of(&num)) {
                (Some(t), Some(row)) => Some(auto_termination(cap, num("auto_termination_mins").map(|m| m as i64), &t, &row, days)),
                _ => None,
            };
            (q, cf)
        }
        WhatIf::JobCompute { startup_minutes } => {
            let q = FactQuery::new("compute", "job_prices", &params(&[(":id", id), (":from", &from), (":to", &to)]));
            let prices = q.rows(conn)?;
            let cf = UtilizationRow::of(&num).map(|row| job_compute(startup_minutes, prices.first(), &row, days));
            (q, cf)
        }
        WhatIf::RetryCap { retries } => {
            let k = retries.to_string();
            let q = FactQuery::new("job", "retry_cap", &params(&[(":job", id), (":from", &from), (":to", &to), (":retries", &k)]));
            let rows = q.rows(conn)?;
            let cf = rows.first().map(|r| retry_cap(retries, &r, days));
            (q, cf)
        }
    })
}

/// The selected Utilization row's figures a compute counterfactual starts from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UtilizationRow {
    pub total_cost: f64,
    pub idle_cost: f64,
    pub busy_hours: f64,
    pub idle_hours: f64,
    pub sessions: f64,
}

impl UtilizationRow {
    fn of(num: &dyn Fn(&str) -> Option<f64>) -> Option<UtilizationRow> {
        Some(UtilizationRow {
            total_cost: num("total_cost_usd")?,
            idle_cost: num("idle_cost_usd")?,
            busy_hours: num("busy_hours")?,
            idle_hours: num("idle_hours")?,
            sessions: num("sessions")?,
        })
    }
}

fn per_month(saving: f64, days: i64) -> f64 {
    saving / days.max(1) as f64 * MONTH_DAYS
}

fn saving_text(saving: f64, days: i64) -> String {
    format!("{} over the {} days of the range, {} per 30 days", usd(saving), thousands(days.max(0) as u64), usd(per_month(saving, days)))
}

/// Auto-termination after `cap` minutes: the idle time after each session's last statement
/// beyond `cap` is cut, at what an idle hour costs in the row.
pub fn auto_termination(cap: u32, current: Option<i64>, tails: &Row<'_>, row: &UtilizationRow, days: i64) -> Counterfactual {
    let cut_hours = tails.num("cut_hours");
    let per_hour = if row.idle_hours > 0.0 { row.idle_cost / row.idle_hours } else { 0.0 };
    let saving = cut_hours * per_hour;
    let setting = match current {
        Some(0) => "off (never stops on its own)".to_string(),
        Some(m) => minutes(m as f64),
        None => "not recorded".to_string(),
    };
    let cap_text = format!("{cap} min");
    let result = if cut_hours > 0.0 {
        format!(
            "stopping {cap_text} after the last statement (now {setting}) cuts {} of idle up time in {} of {} sessions: {}",
            hours(cut_hours),
            thousands(tails.int("sessions_cut").max(0) as u64),
            thousands(tails.int("sessions").max(0) as u64),
            saving_text(saving, days)
        )
    } else {
        format!("no session stayed up more than {cap_text} after its last statement (now {setting}): no saving")
    };
    Counterfactual {
        scenario: WhatIf::AutoTermination { minutes: cap },
        title: format!("auto-termination after {cap_text}"),
        result,
        formula: format!(
            "saving = Σ over sessions max(0, up time after the last statement − {cap_text}) × idle cost per hour; per 30 days = saving ÷ days × 30"
        ),
        inputs: format!(
            "idle cost per hour {} = idle cost {} ÷ idle {} (the selected row); {} up in {} sessions that started in the range",
            usd(per_hour),
            usd(row.idle_cost),
            hours(row.idle_hours),
            hours(tails.num("up_hours")),
            thousands(tails.int("sessions").max(0) as u64)
        ),
        assumptions: vec![
            "an idle hour costs what the row's idle hours cost on average (its size does not change while idle)".into(),
            format!("only the time after a session's last statement is cut; pauses longer than {cap_text} inside a session are kept, since stopping there would cost a restart and make users wait"),
            "the statements run as they did (no statement arrived in the cut time)".into(),
        ],
        saving,
        per_month: per_month(saving, days),
    }
}

/// Job compute instead of an all-purpose cluster: the busy hours (plus each session's start
/// as one job run) at the jobs-compute price; the idle hours disappear.
pub fn job_compute(startup: u32, prices: Option<Row<'_>>, row: &UtilizationRow, days: i64) -> Counterfactual {
    let busy_cost = row.total_cost - row.idle_cost;
    let per_busy_hour = if row.busy_hours > 0.0 { busy_cost / row.busy_hours } else { 0.0 };
    let listed = prices.filter(|p| !p.is_null("price") && !p.is_null("jobs_price") && p.num("price") > 0.0);
    let (ratio, price_text, price_assumption) = match listed {
        Some(p) => (
            p.num("jobs_price") / p.num("price"),
            format!(
                "price ratio {:.3} = {} per DBU of {} ÷ {} per DBU of {} (the dataset's list prices on the range's last day)",
                p.num("jobs_price") / p.num("price"),
                usd(p.num("jobs_price")),
                p.text("jobs_sku"),
                usd(p.num("price")),
                p.text("sku")
            ),
            "the job clusters use the same instance types and consume the same DBUs per busy hour".to_string(),
        ),
        None => (
            1.0,
            "price ratio 1 (the price list has no jobs-compute price next to this cluster's SKU)".to_string(),
            "a jobs-compute DBU costs what an all-purpose DBU costs here, since the price list does not say; at Databricks' list prices jobs compute is cheaper, so the saving is a lower bound".to_string(),
        ),
    };
    let startup_hours = row.sessions * startup as f64 / 60.0;
    let on_jobs = (row.busy_hours + startup_hours) * per_busy_hour * ratio;
    let saving = row.total_cost - on_jobs;
    Counterfactual {
        scenario: WhatIf::JobCompute { startup_minutes: startup },
        title: "its work on job compute".into(),
        result: format!(
            "running its {} of busy time as {} job runs would cost {} instead of {}: {}",
            hours(row.busy_hours),
            thousands(row.sessions.max(0.0) as u64),
            usd(on_jobs),
            usd(row.total_cost),
            saving_text(saving, days)
        ),
        formula: format!(
            "cost on job compute = (busy hours + sessions × {startup} min ÷ 60) × busy cost per hour × price ratio; saving = its cost − cost on job compute"
        ),
        inputs: format!(
            "busy cost per hour {} = (cost {} − idle cost {}) ÷ busy {}; {price_text}",
            usd(per_busy_hour),
            usd(row.total_cost),
            usd(row.idle_cost),
            hours(row.busy_hours)
        ),
        assumptions: vec![
            "all of its statements can run as scheduled or triggered jobs (interactive notebook work cannot)".into(),
            format!("each session's work becomes one job run, whose cluster is billed {startup} min for its start"),
            price_assumption,
        ],
        saving,
        per_month: per_month(saving, days),
    }
}

/// Retries capped at `k`: failed attempts after the first `k + 1` of an incident are not run.
pub fn retry_cap(k: u32, r: &Row<'_>, days: i64) -> Counterfactual {
    let capped = r.int("capped_attempts").max(0) as u64;
    let saving = r.num("capped_cost");
    let incidents = r.int("incidents").max(0) as u64;
    let late = r.int("late_recoveries").max(0) as u64;
    let tries = if k == 1 { "1 retry".to_string() } else { format!("{k} retries") };
    let result = if capped > 0 {
        format!(
            "at most {tries} per failure skips {} of its {} failed attempts in {} incidents: {}; {} incidents recovered only after more attempts and would wait for a manual rerun",
            thousands(capped),
            thousands(r.int("failed_attempts").max(0) as u64),
            thousands(incidents),
            saving_text(saving, days),
            thousands(late)
        )
    } else if incidents == 0 {
        "no run failed in the range: nothing to cap".to_string()
    } else {
        format!(
            "no incident had more than {} failed attempts (at most {} attempts in all): no saving",
            k + 1,
            thousands(r.int("most_attempts").max(0) as u64)
        )
    };
    Counterfactual {
        scenario: WhatIf::RetryCap { retries: k },
        title: format!("retries capped at {k}"),
        result,
        formula: format!("saving = Σ over incidents the cost of its failed attempts after the first {} (1 run + {tries}); per 30 days = saving ÷ days × 30", k + 1),
        inputs: format!(
            "its failed attempts cost {} in all; an incident starts at a failure after a success and ends at the next success",
            usd(r.num("failed_cost"))
        ),
        assumptions: vec![
            "the skipped attempts would have failed, as they did".into(),
            "a capped incident is rerun by hand once its cause is fixed, and that run costs what its recovering run cost (kept in the cost)".into(),
            "the job's cluster and schedule stay as they are".into(),
        ],
        saving,
        per_month: per_month(saving, days),
    }
}
