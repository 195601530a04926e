//! Facts about a compute type (job compute, all-purpose clusters, SQL warehouses): its
//! largest contributors, daily pattern, and what goes wrong on it.

use rusqlite::Connection;

use super::common::{int, num, text, FactQuery};
use super::{Fact, Signals, Topic};
use crate::base::format::{date_ranges, pct, thousands, usd};
use crate::report::ReportFilters;

const TOP_JOBS_SQL: &str = "
SELECT r.job_id, j.job_name, SUM(u.total_cost), AVG(u.avg_cpu_utilization)
FROM compute_usage u
JOIN job_runs r ON r.job_run_id = u.parent_id
JOIN jobs j ON j.job_id = r.job_id
WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
  AND (:workspace = '' OR j.workspace_id = :workspace)
GROUP BY r.job_id ORDER BY 3 DESC, 1 LIMIT 5";

const TOP_RESOURCES_SQL: &str = "
SELECT u.parent_id, c.compute_name, SUM(u.total_cost), AVG(u.avg_cpu_utilization), MAX(u.peak_concurrent_users)
FROM compute_usage u
JOIN non_job_compute c ON c.compute_id = u.parent_id
WHERE u.parent_type = :type AND u.usage_date BETWEEN :from AND :to
  AND (:workspace = '' OR c.workspace_id = :workspace)
GROUP BY u.parent_id ORDER BY 3 DESC, 1 LIMIT 5";

const DAILY_SQL: &str = "
SELECT u.usage_date, SUM(u.total_cost) FROM compute_usage u
WHERE u.parent_type = :type AND u.usage_date BETWEEN :from AND :to
GROUP BY u.usage_date ORDER BY u.usage_date";

const FAILING_JOBS_SQL: &str = "
SELECT r.job_id, COUNT(*), SUM(r.run_status = 'FAILED'), SUM(r.run_status = 'SKIPPED')
FROM job_runs r JOIN jobs j ON j.job_id = r.job_id
WHERE date(r.start_time) BETWEEN :from AND :to AND (:workspace = '' OR j.workspace_id = :workspace)
GROUP BY r.job_id HAVING SUM(r.run_status = 'FAILED') > 0 OR SUM(r.run_status = 'SKIPPED') > 0
ORDER BY 3 DESC, 4 DESC, 1 LIMIT 5";

const EVICTIONS_BY_JOB_SQL: &str = "
SELECT r.job_id, COUNT(*) FROM events e
JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id AND u.parent_type = 'JOB_RUN'
JOIN job_runs r ON r.job_run_id = u.parent_id
JOIN jobs j ON j.job_id = r.job_id
WHERE e.event_type = 'SPOT_EVICTION' AND date(e.event_time) BETWEEN :from AND :to
  AND (:workspace = '' OR j.workspace_id = :workspace)
GROUP BY r.job_id ORDER BY 2 DESC, 1 LIMIT 5";

const QUERY_ERRORS_SQL: &str = "
SELECT q.error_message, COUNT(*), group_concat(DISTINCT q.parent_id), group_concat(DISTINCT q.user_id)
FROM sql_query_history q JOIN non_job_compute c ON c.compute_id = q.parent_id
WHERE q.error_message IS NOT NULL AND TRIM(q.error_message) <> '' AND date(q.start_time) BETWEEN :from AND :to
  AND (:workspace = '' OR c.workspace_id = :workspace)
GROUP BY q.error_message ORDER BY 2 DESC, 1 LIMIT 4";

const QUERY_TOTALS_SQL: &str = "
SELECT COUNT(*), SUM(q.error_message IS NOT NULL AND TRIM(q.error_message) <> ''), MAX(q.duration_ms) / 1000.0
FROM sql_query_history q JOIN non_job_compute c ON c.compute_id = q.parent_id
WHERE date(q.start_time) BETWEEN :from AND :to AND (:workspace = '' OR c.workspace_id = :workspace)";

const SPIKE_DAYS_SQL: &str = "
WITH daily AS (
    SELECT u.parent_id, u.usage_date, SUM(u.total_cost) AS cost FROM compute_usage u
    JOIN non_job_compute c ON c.compute_id = u.parent_id
    WHERE u.parent_type = :type AND u.usage_date BETWEEN :from AND :to
      AND (:workspace = '' OR c.workspace_id = :workspace)
    GROUP BY u.parent_id, u.usage_date
),
typical AS (SELECT parent_id, AVG(cost) AS mean FROM daily GROUP BY parent_id)
SELECT d.parent_id, d.usage_date, d.cost, t.mean FROM daily d JOIN typical t ON t.parent_id = d.parent_id
WHERE d.cost > 1.5 * t.mean ORDER BY d.usage_date, d.parent_id LIMIT 8";

/// Gathers facts; returns the ids of the largest contributors (graph starting points).
pub fn facts(
    conn: &Connection,
    compute_type: &str,
    f: &ReportFilters,
    facts: &mut Vec<Fact>,
    s: &mut Signals,
) -> rusqlite::Result<Vec<String>> {
    let (from, to) = (f.from.to_string(), f.to.to_string());
    let ws = f.workspace.clone().unwrap_or_default();
    let base = [(":from", from.as_str()), (":to", to.as_str()), (":workspace", ws.as_str())];
    let typed = [(":type", compute_type), (":from", from.as_str()), (":to", to.as_str()), (":workspace", ws.as_str())];

    // The largest contributors, with their share of this type's spend.
    let jobs = compute_type == "JOB_RUN";
    let q = if jobs { FactQuery::new(TOP_JOBS_SQL, &base) } else { FactQuery::new(TOP_RESOURCES_SQL, &typed) };
    let top = q.rows(conn)?;
    let daily_q = FactQuery::new(DAILY_SQL, &[(":type", compute_type), (":from", from.as_str()), (":to", to.as_str())]);
    let daily: Vec<(String, f64)> = daily_q.rows(conn)?.iter().map(|r| (text(&r[0]), num(&r[1]))).collect();
    let type_total: f64 = s.total_cost.unwrap_or_else(|| daily.iter().map(|d| d.1).sum());
    s.top_entities = top
        .iter()
        .map(|r| {
            (format!("{} ({})", text(&r[1]), text(&r[0])), num(&r[2]), if type_total > 0.0 { 100.0 * num(&r[2]) / type_total } else { 0.0 })
        })
        .collect();
    if !top.is_empty() {
        let listed: Vec<String> = s.top_entities.iter().map(|(n, c, share)| format!("{n} {} ({})", usd(*c), pct(*share))).collect();
        facts.push(q.fact(Topic::TopEntities, "Largest contributors", listed.join("; ")));
        let cpu: Vec<String> = top
            .iter()
            .map(|r| {
                let users = if jobs { String::new() } else { format!(", up to {} concurrent users", thousands(int(&r[4]).max(0) as u64)) };
                format!("{} mean CPU {}{users}", text(&r[0]), pct(100.0 * num(&r[3])))
            })
            .collect();
        facts.push(q.fact(Topic::Utilization, "Utilization", cpu.join("; ")));
    }

    // Daily pattern over every day of the range.
    if !daily.is_empty() {
        let span = (f.from.days_until(f.to) + 1).max(1) as usize;
        let total: f64 = daily.iter().map(|d| d.1).sum();
        let mean = total / span as f64;
        let peak = daily.iter().fold(&daily[0], |b, d| if d.1 > b.1 { d } else { b });
        let low = if daily.len() < span {
            ("a day without spend".to_string(), 0.0)
        } else {
            let l = daily.iter().fold(&daily[0], |b, d| if d.1 < b.1 { d } else { b });
            (l.0.clone(), l.1)
        };
        s.peak_day = Some((peak.0.clone(), peak.1));
        s.mean_daily_cost = Some(mean);
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
            let q = FactQuery::new(FAILING_JOBS_SQL, &base);
            let rows = q.rows(conn)?;
            if !rows.is_empty() {
                let listed: Vec<String> = rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {} failed and {} skipped of {} runs",
                            text(&r[0]),
                            thousands(int(&r[2]) as u64),
                            thousands(int(&r[3]) as u64),
                            thousands(int(&r[1]) as u64)
                        )
                    })
                    .collect();
                facts.push(q.fact(Topic::Failures, "Jobs with failed or skipped runs", listed.join("; ")));
            }
            let q = FactQuery::new(EVICTIONS_BY_JOB_SQL, &base);
            let rows = q.rows(conn)?;
            let total: i64 = rows.iter().map(|r| int(&r[1])).sum();
            s.evictions = Some(total);
            let text_ = if rows.is_empty() {
                "no spot evictions in range".to_string()
            } else {
                rows.iter().map(|r| format!("{} {} evictions", text(&r[0]), thousands(int(&r[1]) as u64))).collect::<Vec<_>>().join("; ")
            };
            facts.push(q.fact(Topic::Evictions, "Spot evictions by job", text_));
        }
        "SQL_WAREHOUSE" => {
            let totals_q = FactQuery::new(QUERY_TOTALS_SQL, &base);
            let totals = totals_q.rows(conn)?;
            let q = FactQuery::new(QUERY_ERRORS_SQL, &base);
            let errors = q.rows(conn)?;
            s.query_errors = errors.iter().map(|r| (text(&r[0]), int(&r[1]))).collect();
            if let Some(t) = totals.first() {
                let listed: Vec<String> = errors
                    .iter()
                    .map(|r| {
                        format!("\"{}\" ×{} (warehouses {}; users {})", text(&r[0]), thousands(int(&r[1]) as u64), text(&r[2]), text(&r[3]))
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
                            thousands(int(&t[0]).max(0) as u64),
                            thousands(int(&t[1]).max(0) as u64),
                            num(&t[2])
                        ),
                    )
                });
            }
        }
        _ => {
            let q = FactQuery::new(SPIKE_DAYS_SQL, &typed);
            let rows = q.rows(conn)?;
            if !rows.is_empty() {
                let dates: Vec<String> = {
                    let mut d: Vec<String> = rows.iter().map(|r| text(&r[1])).collect();
                    d.dedup();
                    d
                };
                let listed: Vec<String> = rows
                    .iter()
                    .map(|r| format!("{} on {} {} (mean day {})", text(&r[0]), text(&r[1]), usd(num(&r[2])), usd(num(&r[3]))))
                    .collect();
                facts.push(q.fact(
                    Topic::Changes,
                    "Unusually expensive days",
                    format!("days above 1.5 × the resource's mean daily cost ({}): {}", date_ranges(&dates), listed.join("; ")),
                ));
            }
        }
    }
    Ok(top.iter().map(|r| text(&r[0])).collect())
}
