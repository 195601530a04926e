//! Facts about a job: configuration and its changes, runs and retries, failures, spot
//! evictions, runtime (step change or steady growth), daily cost, dependencies, peers.

use rusqlite::Connection;

use super::common::{daily_cost, params, DailyCost, FactQuery, Param, Row};
use super::{Fact, Signals, Topic};
use crate::base::format::{date_ranges, minutes, pct, thousands, usd};
use crate::report::ReportFilters;

/// The evidence SQL file of this module (`sql/evidence/job.sql`).
const FILE: &str = "job";

fn nodes_text(fixed: i64, min: i64, max: i64, worker: &str) -> String {
    if fixed > 0 {
        format!("{fixed} fixed {worker} workers")
    } else if min > 0 || max > 0 {
        format!("{min} to {max} {worker} workers")
    } else {
        format!("{worker} workers")
    }
}

/// Gathers the job's facts into `facts` and its figures into `signals`.
pub fn facts(conn: &Connection, job: &str, f: &ReportFilters, facts: &mut Vec<Fact>, s: &mut Signals) -> rusqlite::Result<()> {
    let (from, to) = (f.from.to_string(), f.to.to_string());
    let params = params(&[(":job", job), (":from", from.as_str()), (":to", to.as_str())]);
    let query = |name: &str| FactQuery::new(FILE, name, &params);

    // Configuration of the latest run in range.
    let q = query("config");
    if let Some(r) = q.rows(conn)?.first() {
        let autoscaling = r.int("is_autoscaling_enabled") == 1;
        s.autoscaling = Some(autoscaling);
        let pool = (!r.is_null("instance_pool_id"))
            .then(|| format!("{} ({}, {})", r.text("pool_name"), r.text("instance_pool_id"), r.text("pool_instance_type")));
        s.pool = pool.clone();
        let tags = match r.text("tags").trim() {
            t if r.is_null("tags") || t.is_empty() || t == "[]" => "none".to_string(),
            _ => r.text("tags"),
        };
        let description = r.text("description");
        facts.push(q.fact(
            Topic::Configuration,
            "Configuration",
            format!(
                "latest run in range started {}: {} (driver {}), autoscaling {}{}, instance pool {}, spot share of workers {}; workspace {} ({}); tags {tags}{}",
                r.text("start_time"),
                nodes_text(r.int("fixed_nodes"), r.int("min_nodes"), r.int("max_nodes"), &r.text("worker_instance_type")),
                r.text("driver_instance_type"),
                if autoscaling { "on" } else { "off" },
                if r.int("is_fleet_cluster") == 1 { ", fleet cluster" } else { "" },
                pool.unwrap_or_else(|| "none".into()),
                pct(100.0 * r.num("spot_ratio")),
                r.text("workspace_name"),
                r.text("workspace_id"),
                if description.is_empty() { String::new() } else { format!("; description \"{description}\"") },
            ),
        ));
    }

    // Configuration changes between consecutive runs.
    let q = query("changes");
    let rows = q.rows(conn)?;
    let mut changes: Vec<String> = Vec::new();
    let nodes = |r: &Row<'_>| (r.int("fixed_nodes"), r.int("min_nodes"), r.int("max_nodes"));
    for i in 1..rows.len() {
        let (a, b) = (rows.row(i - 1), rows.row(i));
        let date = b.text("day");
        let (from_spot, to_spot) = (a.num("spot_ratio"), b.num("spot_ratio"));
        if (from_spot - to_spot).abs() > 1e-9 {
            if s.spot_change.is_none() {
                s.spot_change = Some((date.clone(), 100.0 * from_spot, 100.0 * to_spot));
            }
            changes.push(format!("{date}: spot share of workers {} → {}", pct(100.0 * from_spot), pct(100.0 * to_spot)));
        }
        if a.text("worker_type") != b.text("worker_type") {
            changes.push(format!("{date}: worker type {} → {}", a.text("worker_type"), b.text("worker_type")));
        }
        if nodes(&a) != nodes(&b) {
            let ((fa, na, xa), (fb, nb, xb)) = (nodes(&a), nodes(&b));
            changes.push(format!("{date}: workers {} → {}", nodes_text(fa, na, xa, ""), nodes_text(fb, nb, xb, "")));
        }
    }
    if !rows.is_empty() {
        let text = if changes.is_empty() {
            "no change of spot share, worker type or worker count between runs in range".to_string()
        } else {
            let shown: Vec<String> = changes.iter().take(6).cloned().collect();
            format!("{}{}", shown.join("; "), if changes.len() > 6 { format!("; and {} more", changes.len() - 6) } else { String::new() })
        };
        facts.push(q.fact(Topic::Changes, "Configuration changes", text));
    }

    // Runs per day: outcomes and days with retries.
    let q = query("runs");
    let days = q.rows(conn)?;
    let (mut runs, mut ok, mut failed, mut skipped) = (0, 0, 0, 0);
    let mut multi = 0;
    let mut busiest: Option<(String, i64)> = None;
    for d in days.iter() {
        let n = d.int("runs");
        runs += n;
        ok += d.int("succeeded");
        failed += d.int("failed");
        skipped += d.int("skipped");
        if n > 1 {
            multi += 1;
            if busiest.as_ref().is_none_or(|(_, most)| n > *most) {
                busiest = Some((d.text("day"), n));
            }
        }
    }
    s.runs = Some(runs);
    s.failed = Some(failed);
    s.skipped = Some(skipped);
    let finished = ok + failed;
    if finished > 0 {
        s.failure_rate_pct = Some(100.0 * failed as f64 / finished as f64);
    }
    if let Some((day, n)) = &busiest {
        s.retry_days = Some((multi, day.clone(), *n));
    }
    let retry_text = match &busiest {
        Some((day, n)) => {
            format!("; {} days had more than one run (retries), up to {} runs on {day}", thousands(multi as u64), thousands(*n as u64))
        }
        None => "; no day had more than one run".to_string(),
    };
    facts.push(q.fact(
        Topic::Runs,
        "Runs",
        format!(
            "{} runs on {} days: {} succeeded, {} failed, {} skipped{retry_text}",
            thousands(runs as u64),
            thousands(days.len() as u64),
            thousands(ok as u64),
            thousands(failed as u64),
            thousands(skipped as u64)
        ),
    ));

    // Failures: rate, days and the most frequent errors.
    let q = query("errors");
    let errors = q.rows(conn)?;
    s.top_errors = errors.iter().map(|e| (e.text("error"), e.int("runs"), e.text("first_day"), e.text("last_day"))).collect();
    let days_q = query("failed_days");
    let failed_days: Vec<String> = days_q.rows(conn)?.iter().map(|r| r.text("day")).collect();
    let failure_text = if failed == 0 {
        "no failed runs in range".to_string()
    } else {
        let listed: Vec<String> = s
            .top_errors
            .iter()
            .map(|(e, n, a, b)| {
                let when = if a == b { a.clone() } else { format!("{a} to {b}") };
                format!("\"{e}\" ×{} ({when})", thousands(*n as u64))
            })
            .collect();
        format!(
            "{} failed runs ({} of {} finished) on {}; errors: {}",
            thousands(failed as u64),
            pct(s.failure_rate_pct.unwrap_or(0.0)),
            thousands(finished as u64),
            date_ranges(&failed_days),
            listed.join("; ")
        )
    };
    facts.push(Fact { sql: format!("{}\n\n{}", q.shown(), days_q.shown()), ..q.fact(Topic::Failures, "Failures", failure_text) });

    // Spot evictions.
    let q = query("evictions");
    let ev = q.rows(conn)?;
    s.evictions = Some(ev.len() as i64);
    let mut days: Vec<String> = ev.iter().map(|r| r.text("day")).collect();
    days.dedup();
    s.eviction_days = days.clone();
    let eviction_text = if ev.is_empty() {
        "no spot evictions in range".to_string()
    } else {
        let mut reasons: Vec<(String, usize)> = Vec::new();
        for r in ev.iter() {
            let reason = r.text("reason");
            match reasons.iter_mut().find(|(k, _)| *k == reason) {
                Some((_, n)) => *n += 1,
                None => reasons.push((reason, 1)),
            }
        }
        let retried = ev.iter().filter(|r| r.int("retried") == 1).count();
        format!(
            "{} spot evictions on {}; reasons: {}; {} followed by a retry; provider message \"{}\"",
            thousands(ev.len() as u64),
            date_ranges(&days),
            reasons.iter().map(|(k, n)| format!("{} {k}", thousands(*n as u64))).collect::<Vec<_>>().join(", "),
            thousands(retried as u64),
            ev.row(0).text("message")
        )
    };
    facts.push(q.fact(Topic::Evictions, "Spot evictions", eviction_text));

    // Runtime of successful runs: a step change or steady growth.
    let q = query("runtime");
    let durations: Vec<(String, f64)> = q.rows(conn)?.iter().map(|r| (r.text("day"), r.num("minutes"))).collect();
    if let Some(t) = runtime_text(&durations, s) {
        facts.push(q.fact(Topic::Runtime, "Runtime", t));
    }

    // Daily cost.
    let q = query("cost");
    let daily: Vec<(String, f64)> = q.rows(conn)?.iter().map(|r| (r.text("day"), r.num("cost"))).collect();
    if let Some(DailyCost { span, total, mean, peak }) = daily_cost(&daily, f, s) {
        let low = daily.iter().fold(&daily[0], |best, d| if d.1 < best.1 { d } else { best });
        facts.push(q.fact(
            Topic::Cost,
            "Daily cost",
            format!(
                "{} over {} days ({} a day on average, days without spend counted as $0); most expensive day {} ({}); cheapest day with spend {} ({})",
                usd(total),
                thousands(span as u64),
                usd(mean),
                peak.0,
                usd(peak.1),
                low.0,
                usd(low.1)
            ),
        ));
    }

    // Dependencies both ways.
    let up = query("upstream");
    let down = query("downstream");
    let (up_rows, down_rows) = (up.rows(conn)?, down.rows(conn)?);
    if !up_rows.is_empty() || !down_rows.is_empty() {
        let mut parts: Vec<String> = Vec::new();
        let mut jobs: Vec<String> = up_rows.iter().map(|r| r.text("job_id")).collect();
        jobs.dedup();
        for upstream in jobs {
            let rows: Vec<Row<'_>> = up_rows.iter().filter(|r| r.text("job_id") == upstream).collect();
            let name = rows[0].text("job_name");
            let trouble: Vec<String> = rows
                .iter()
                .filter(|r| !r.is_null("day"))
                .map(|r| {
                    s.upstream_failures.push((upstream.clone(), r.text("day"), r.text("error"), r.text("run_status").to_lowercase()));
                    format!("{} on {} (\"{}\")", r.text("run_status").to_lowercase(), r.text("day"), r.text("error"))
                })
                .collect();
            parts.push(if trouble.is_empty() {
                format!("depends on {upstream} ({name}), which had no failed or skipped run in range")
            } else {
                format!("depends on {upstream} ({name}), which {}", trouble.join(", "))
            });
        }
        let mut jobs: Vec<String> = down_rows.iter().map(|r| r.text("job_id")).collect();
        jobs.dedup();
        for downstream in jobs {
            let rows: Vec<Row<'_>> = down_rows.iter().filter(|r| r.text("job_id") == downstream).collect();
            let skips: Vec<String> = rows.iter().filter(|r| !r.is_null("day")).map(|r| r.text("day")).collect();
            for d in &skips {
                s.downstream_skips.push((downstream.clone(), d.clone()));
            }
            parts.push(if skips.is_empty() {
                format!("is upstream of {downstream} ({})", rows[0].text("job_name"))
            } else {
                format!("is upstream of {downstream} ({}), which was skipped on {}", rows[0].text("job_name"), date_ranges(&skips))
            });
        }
        facts.push(Fact {
            sql: format!("{}\n\n{}", up.shown(), down.shown()),
            ..up.fact(Topic::Dependencies, "Dependencies", format!("this job {}", parts.join("; it ")))
        });
    }

    // Peers: cost per run among all jobs with spend in range.
    let workspace: Param = f.workspace.clone();
    let mut peer_params = super::common::params(&[(":from", from.as_str()), (":to", to.as_str())]);
    peer_params.push((":workspace", workspace));
    let q = FactQuery::new(FILE, "peers", &peer_params);
    let peers: Vec<(String, f64, i64)> = q.rows(conn)?.iter().map(|r| (r.text("job_id"), r.num("cost"), r.int("runs"))).collect();
    if let Some(me) = peers.iter().find(|p| p.0 == job).filter(|p| p.2 > 0) {
        let mine = me.1 / me.2 as f64;
        let mut others: Vec<f64> = peers.iter().filter(|p| p.0 != job && p.2 > 0).map(|p| p.1 / p.2 as f64).collect();
        others.sort_by(f64::total_cmp);
        let mut by_cost: Vec<&(String, f64, i64)> = peers.iter().collect();
        by_cost.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let rank = by_cost.iter().position(|p| p.0 == job).map_or(0, |p| p + 1);
        s.cost_per_run = Some(mine);
        let peer_text = if others.is_empty() {
            String::new()
        } else {
            let median = others[others.len() / 2];
            s.peer_cost_per_run = Some(median);
            format!("; median of the other {} jobs {} per run", thousands(others.len() as u64), usd(median))
        };
        facts.push(q.fact(
            Topic::Peers,
            "Peers",
            format!("{} per run{peer_text}; rank {rank} of {} jobs by cost", usd(mine), thousands(peers.len() as u64)),
        ));
    }
    Ok(())
}

/// A step change or steady growth of successful run time, whichever explains it better.
fn runtime_text(durations: &[(String, f64)], s: &mut Signals) -> Option<String> {
    let n = durations.len();
    if n == 0 {
        return None;
    }
    let xs: Vec<f64> = durations.iter().map(|d| d.1).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    s.mean_minutes = Some(mean);
    let sse = |v: &[f64]| -> f64 {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - m) * (x - m)).sum()
    };
    let total_sse = sse(&xs);
    let base = format!(
        "{} successful runs averaged {} (shortest {}, longest {})",
        thousands(n as u64),
        minutes(mean),
        minutes(xs.iter().cloned().fold(f64::MAX, f64::min)),
        minutes(xs.iter().cloned().fold(f64::MIN, f64::max))
    );
    if n < 10 || total_sse <= 0.0 {
        return Some(base);
    }
    // Best split into two levels, at a day boundary, with at least 5 runs each side.
    let mut best_step: Option<(usize, f64)> = None;
    for k in 5..=n - 5 {
        if durations[k].0 == durations[k - 1].0 {
            continue;
        }
        let e = sse(&xs[..k]) + sse(&xs[k..]);
        if best_step.is_none_or(|(_, b)| e < b) {
            best_step = Some((k, e));
        }
    }
    // Least-squares line over the day number.
    let day0 = crate::base::calendar::Date::parse(&durations[0].0);
    let ts: Vec<f64> = durations
        .iter()
        .map(|d| match (day0, crate::base::calendar::Date::parse(&d.0)) {
            (Some(a), Some(b)) => a.days_until(b) as f64,
            _ => 0.0,
        })
        .collect();
    let tm = ts.iter().sum::<f64>() / n as f64;
    let sxx: f64 = ts.iter().map(|t| (t - tm) * (t - tm)).sum();
    let slope = if sxx > 0.0 { ts.iter().zip(&xs).map(|(t, x)| (t - tm) * (x - mean)).sum::<f64>() / sxx } else { 0.0 };
    let line_sse: f64 = ts.iter().zip(&xs).map(|(t, x)| (x - (mean + slope * (t - tm))).powi(2)).sum();
    let line_r2 = 1.0 - line_sse / total_sse;
    let step = best_step.map(|(k, e)| {
        let (before, after) = (xs[..k].iter().sum::<f64>() / k as f64, xs[k..].iter().sum::<f64>() / (n - k) as f64);
        (k, e, before, after)
    });
    match step {
        Some((k, e, before, after)) if e < line_sse && 1.0 - e / total_sse >= 0.5 && ((after - before) / before).abs() >= 0.15 => {
            let change = 100.0 * (after - before) / before;
            let day = durations[k].0.clone();
            s.runtime_step = Some((day.clone(), before, after, change));
            Some(format!(
                "{base}; they took {} on average before {day} and {} from {day} on ({change:+.1}%)",
                minutes(before),
                minutes(after)
            ))
        }
        _ if line_r2 >= 0.5 && (100.0 * slope / mean).abs() >= 0.5 => {
            let per_day = 100.0 * slope / mean;
            s.runtime_slope = Some((slope, per_day));
            Some(format!(
                "{base}; run time changed steadily by {slope:+.2} min per day ({per_day:+.2}% of the mean per day, R² {line_r2:.2}), from {} in the first run to {} in the last",
                minutes(xs[0]),
                minutes(xs[n - 1])
            ))
        }
        _ => Some(format!("{base}; no step change or steady trend")),
    }
}
