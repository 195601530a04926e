//! Facts about a job: configuration and its changes, runs and retries, failures, spot
//! evictions, runtime (step change or steady growth), daily cost, dependencies, peers.

use rusqlite::Connection;

use super::common::{int, num, text, FactQuery};
use super::{Fact, Signals, Topic};
use crate::base::format::{date_ranges, minutes, pct, thousands, usd};
use crate::report::ReportFilters;

const CONFIG_SQL: &str = "
SELECT r.start_time, r.worker_instance_type, r.driver_instance_type, r.fixed_nodes, r.min_nodes, r.max_nodes,
       r.is_autoscaling_enabled, r.is_fleet_cluster, r.instance_pool_id, p.pool_name, p.pool_instance_type,
       r.spot_ratio, j.job_name, j.description, j.tags, j.workspace_id, w.workspace_name
FROM job_runs r
JOIN jobs j ON j.job_id = r.job_id
LEFT JOIN instance_pools p ON p.instance_pool_id = r.instance_pool_id
LEFT JOIN workspace w ON w.workspace_id = j.workspace_id
WHERE r.job_id = :job AND date(r.start_time) BETWEEN :from AND :to
ORDER BY r.start_time DESC, r.job_run_id DESC
LIMIT 1";

const CHANGES_SQL: &str = "
SELECT date(start_time), COALESCE(spot_ratio, 0), COALESCE(worker_instance_type, ''), COALESCE(fixed_nodes, -1),
       COALESCE(min_nodes, -1), COALESCE(max_nodes, -1), COALESCE(is_autoscaling_enabled, 0)
FROM job_runs
WHERE job_id = :job AND date(start_time) BETWEEN :from AND :to AND run_status <> 'SKIPPED'
ORDER BY start_time, job_run_id";

const RUNS_SQL: &str = "
SELECT date(start_time) AS d, COUNT(*), SUM(run_status = 'SUCCESS'), SUM(run_status = 'FAILED'), SUM(run_status = 'SKIPPED')
FROM job_runs
WHERE job_id = :job AND date(start_time) BETWEEN :from AND :to
GROUP BY d ORDER BY d";

const ERRORS_SQL: &str = "
SELECT COALESCE(NULLIF(TRIM(error_summary), ''), '(no error message)') AS e, COUNT(*),
       MIN(date(start_time)), MAX(date(start_time))
FROM job_runs
WHERE job_id = :job AND run_status = 'FAILED' AND date(start_time) BETWEEN :from AND :to
GROUP BY e ORDER BY 2 DESC, e LIMIT 3";

const FAILED_DAYS_SQL: &str = "
SELECT DISTINCT date(start_time) AS d FROM job_runs
WHERE job_id = :job AND run_status = 'FAILED' AND date(start_time) BETWEEN :from AND :to ORDER BY d";

const EVICTIONS_SQL: &str = "
SELECT date(e.event_time), COALESCE(v.eviction_reason, 'unknown'), COALESCE(v.cloud_provider_message, e.details, ''),
       COALESCE(v.was_retried, 0)
FROM events e
JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id AND u.parent_type = 'JOB_RUN'
JOIN job_runs r ON r.job_run_id = u.parent_id
LEFT JOIN eviction_details v ON v.eviction_id = e.eviction_id
WHERE r.job_id = :job AND e.event_type = 'SPOT_EVICTION' AND date(e.event_time) BETWEEN :from AND :to
ORDER BY e.event_time, e.event_id";

const RUNTIME_SQL: &str = "
SELECT date(start_time), duration_ms / 60000.0 FROM job_runs
WHERE job_id = :job AND run_status = 'SUCCESS' AND date(start_time) BETWEEN :from AND :to AND duration_ms IS NOT NULL
ORDER BY start_time, job_run_id";

const COST_SQL: &str = "
SELECT u.usage_date, SUM(u.total_cost) FROM compute_usage u
JOIN job_runs r ON r.job_run_id = u.parent_id
WHERE u.parent_type = 'JOB_RUN' AND r.job_id = :job AND u.usage_date BETWEEN :from AND :to
GROUP BY u.usage_date ORDER BY u.usage_date";

const UPSTREAM_SQL: &str = "
SELECT d.depends_on_job_id, j.job_name, date(r.start_time), r.run_status, COALESCE(r.error_summary, '')
FROM job_dependencies d
JOIN jobs j ON j.job_id = d.depends_on_job_id
LEFT JOIN job_runs r ON r.job_id = d.depends_on_job_id AND r.run_status IN ('FAILED', 'SKIPPED')
     AND date(r.start_time) BETWEEN :from AND :to
WHERE d.job_id = :job
ORDER BY d.depends_on_job_id, r.start_time";

const DOWNSTREAM_SQL: &str = "
SELECT d.job_id, j.job_name, date(r.start_time), r.run_status
FROM job_dependencies d
JOIN jobs j ON j.job_id = d.job_id
LEFT JOIN job_runs r ON r.job_id = d.job_id AND r.run_status = 'SKIPPED' AND date(r.start_time) BETWEEN :from AND :to
WHERE d.depends_on_job_id = :job
ORDER BY d.job_id, r.start_time";

const PEERS_SQL: &str = "
SELECT r.job_id, SUM(u.total_cost), COUNT(DISTINCT r.job_run_id)
FROM compute_usage u JOIN job_runs r ON r.job_run_id = u.parent_id
WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
GROUP BY r.job_id ORDER BY r.job_id";

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
    let params = [(":job", job), (":from", from.as_str()), (":to", to.as_str())];

    // Configuration of the latest run in range.
    let q = FactQuery::new(CONFIG_SQL, &params);
    if let Some(r) = q.rows(conn)?.into_iter().next() {
        let autoscaling = int(&r[6]) == 1;
        s.autoscaling = Some(autoscaling);
        let pool = (!r[8].is_null()).then(|| format!("{} ({}, {})", text(&r[9]), text(&r[8]), text(&r[10])));
        s.pool = pool.clone();
        let tags = match &r[14] {
            v if v.is_null() || text(v).trim().is_empty() || text(v).trim() == "[]" => "none".to_string(),
            v => text(v),
        };
        let description = text(&r[13]);
        facts.push(q.fact(
            Topic::Configuration,
            "Configuration",
            format!(
                "latest run in range started {}: {} (driver {}), autoscaling {}{}, instance pool {}, spot share of workers {}; workspace {} ({}); tags {tags}{}",
                text(&r[0]),
                nodes_text(int(&r[3]), int(&r[4]), int(&r[5]), &text(&r[1])),
                text(&r[2]),
                if autoscaling { "on" } else { "off" },
                if int(&r[7]) == 1 { ", fleet cluster" } else { "" },
                pool.unwrap_or_else(|| "none".into()),
                pct(100.0 * num(&r[11])),
                text(&r[16]),
                text(&r[15]),
                if description.is_empty() { String::new() } else { format!("; description \"{description}\"") },
            ),
        ));
    }

    // Configuration changes between consecutive runs.
    let q = FactQuery::new(CHANGES_SQL, &params);
    let rows = q.rows(conn)?;
    let mut changes: Vec<String> = Vec::new();
    for pair in rows.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let date = text(&b[0]);
        if (num(&a[1]) - num(&b[1])).abs() > 1e-9 {
            if s.spot_change.is_none() {
                s.spot_change = Some((date.clone(), 100.0 * num(&a[1]), 100.0 * num(&b[1])));
            }
            changes.push(format!("{date}: spot share of workers {} → {}", pct(100.0 * num(&a[1])), pct(100.0 * num(&b[1]))));
        }
        if text(&a[2]) != text(&b[2]) {
            changes.push(format!("{date}: worker type {} → {}", text(&a[2]), text(&b[2])));
        }
        if (int(&a[3]), int(&a[4]), int(&a[5])) != (int(&b[3]), int(&b[4]), int(&b[5])) {
            changes.push(format!(
                "{date}: workers {} → {}",
                nodes_text(int(&a[3]), int(&a[4]), int(&a[5]), ""),
                nodes_text(int(&b[3]), int(&b[4]), int(&b[5]), "")
            ));
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
    let q = FactQuery::new(RUNS_SQL, &params);
    let days = q.rows(conn)?;
    let (mut runs, mut ok, mut failed, mut skipped) = (0, 0, 0, 0);
    let mut multi = 0;
    let mut busiest: Option<(String, i64)> = None;
    for d in &days {
        runs += int(&d[1]);
        ok += int(&d[2]);
        failed += int(&d[3]);
        skipped += int(&d[4]);
        if int(&d[1]) > 1 {
            multi += 1;
            if busiest.as_ref().is_none_or(|(_, n)| int(&d[1]) > *n) {
                busiest = Some((text(&d[0]), int(&d[1])));
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
    let q = FactQuery::new(ERRORS_SQL, &params);
    let errors = q.rows(conn)?;
    s.top_errors = errors.iter().map(|e| (text(&e[0]), int(&e[1]), text(&e[2]), text(&e[3]))).collect();
    let failed_days: Vec<String> = FactQuery::new(FAILED_DAYS_SQL, &params).rows(conn)?.iter().map(|r| text(&r[0])).collect();
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
    facts.push(Fact {
        sql: format!("{}\n\n{}", q.shown(), FactQuery::new(FAILED_DAYS_SQL, &params).shown()),
        ..q.fact(Topic::Failures, "Failures", failure_text)
    });

    // Spot evictions.
    let q = FactQuery::new(EVICTIONS_SQL, &params);
    let ev = q.rows(conn)?;
    s.evictions = Some(ev.len() as i64);
    let mut days: Vec<String> = ev.iter().map(|r| text(&r[0])).collect();
    days.dedup();
    s.eviction_days = days.clone();
    let eviction_text = if ev.is_empty() {
        "no spot evictions in range".to_string()
    } else {
        let mut reasons: Vec<(String, usize)> = Vec::new();
        for r in &ev {
            match reasons.iter_mut().find(|(k, _)| *k == text(&r[1])) {
                Some((_, n)) => *n += 1,
                None => reasons.push((text(&r[1]), 1)),
            }
        }
        let retried = ev.iter().filter(|r| int(&r[3]) == 1).count();
        format!(
            "{} spot evictions on {}; reasons: {}; {} followed by a retry; provider message \"{}\"",
            thousands(ev.len() as u64),
            date_ranges(&days),
            reasons.iter().map(|(k, n)| format!("{} {k}", thousands(*n as u64))).collect::<Vec<_>>().join(", "),
            thousands(retried as u64),
            text(&ev[0][2])
        )
    };
    facts.push(q.fact(Topic::Evictions, "Spot evictions", eviction_text));

    // Runtime of successful runs: a step change or steady growth.
    let q = FactQuery::new(RUNTIME_SQL, &params);
    let durations: Vec<(String, f64)> = q.rows(conn)?.iter().map(|r| (text(&r[0]), num(&r[1]))).collect();
    if let Some(t) = runtime_text(&durations, s) {
        facts.push(q.fact(Topic::Runtime, "Runtime", t));
    }

    // Daily cost.
    let q = FactQuery::new(COST_SQL, &params);
    let daily: Vec<(String, f64)> = q.rows(conn)?.iter().map(|r| (text(&r[0]), num(&r[1]))).collect();
    if !daily.is_empty() {
        let total: f64 = daily.iter().map(|d| d.1).sum();
        let span = f.from.days_until(f.to) + 1;
        let mean = total / span as f64;
        let peak = daily.iter().fold(&daily[0], |best, d| if d.1 > best.1 { d } else { best });
        let low = daily.iter().fold(&daily[0], |best, d| if d.1 < best.1 { d } else { best });
        s.mean_daily_cost = Some(mean);
        s.peak_day = Some((peak.0.clone(), peak.1));
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
    let up = FactQuery::new(UPSTREAM_SQL, &params);
    let down = FactQuery::new(DOWNSTREAM_SQL, &params);
    let (up_rows, down_rows) = (up.rows(conn)?, down.rows(conn)?);
    if !up_rows.is_empty() || !down_rows.is_empty() {
        let mut parts: Vec<String> = Vec::new();
        let mut jobs: Vec<String> = up_rows.iter().map(|r| text(&r[0])).collect();
        jobs.dedup();
        for upstream in jobs {
            let rows: Vec<&Vec<crate::report::Value>> = up_rows.iter().filter(|r| text(&r[0]) == upstream).collect();
            let name = text(&rows[0][1]);
            let trouble: Vec<String> = rows
                .iter()
                .filter(|r| !r[2].is_null())
                .map(|r| {
                    s.upstream_failures.push((upstream.clone(), text(&r[2]), text(&r[4])));
                    format!("{} on {} (\"{}\")", text(&r[3]).to_lowercase(), text(&r[2]), text(&r[4]))
                })
                .collect();
            parts.push(if trouble.is_empty() {
                format!("depends on {upstream} ({name}), which had no failed or skipped run in range")
            } else {
                format!("depends on {upstream} ({name}), which {}", trouble.join(", "))
            });
        }
        let mut jobs: Vec<String> = down_rows.iter().map(|r| text(&r[0])).collect();
        jobs.dedup();
        for downstream in jobs {
            let rows: Vec<&Vec<crate::report::Value>> = down_rows.iter().filter(|r| text(&r[0]) == downstream).collect();
            let skips: Vec<String> = rows.iter().filter(|r| !r[2].is_null()).map(|r| text(&r[2])).collect();
            for d in &skips {
                s.downstream_skips.push((downstream.clone(), d.clone()));
            }
            parts.push(if skips.is_empty() {
                format!("is upstream of {downstream} ({})", text(&rows[0][1]))
            } else {
                format!("is upstream of {downstream} ({}), which was skipped on {}", text(&rows[0][1]), date_ranges(&skips))
            });
        }
        facts.push(Fact {
            sql: format!("{}\n\n{}", up.shown(), down.shown()),
            ..up.fact(Topic::Dependencies, "Dependencies", format!("this job {}", parts.join("; it ")))
        });
    }

    // Peers: cost per run among all jobs with spend in range.
    let q = FactQuery::new(PEERS_SQL, &[(":from", from.as_str()), (":to", to.as_str())]);
    let peers: Vec<(String, f64, i64)> = q.rows(conn)?.iter().map(|r| (text(&r[0]), num(&r[1]), int(&r[2]))).collect();
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
