//! The Tag Chargeback report on the seeded DB against an oracle that recomputes every line
//! in plain Rust from raw `SELECT`ed rows (jobs and their tags, runs, usage), never through
//! the report's SQL or its transforms: both allocation rules, two tag keys, two date ranges,
//! messy spellings grouped, and every total reconciled to the cent. Also the text params the
//! report needs (parsing, choices, binding) through the report engine.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;
use usage_copilot::base::calendar::Date;
use usage_copilot::report::engine::{typed_texts, ReportError};
use usage_copilot::report::{run_report, run_report_with, ParamValue, ReportFilters, ReportResult, Value};

fn filters(from: &str, to: &str) -> ReportFilters {
    ReportFilters { from: Date::parse(from).unwrap(), to: Date::parse(to).unwrap(), workspace: None }
}

fn run(conn: &Connection, f: &ReportFilters, key: &str, allocation: &str) -> ReportResult {
    let params: BTreeMap<String, String> =
        [("tag_key".to_string(), key.to_string()), ("allocation".to_string(), allocation.to_string())].into();
    run_report_with(conn, "tag_chargeback", f, &typed_texts(&params)).unwrap_or_else(|e| panic!("{key} {allocation}: {e}"))
}

/// Cents of a dollar figure the report computed (every one is a whole number of cents).
fn cents(v: &Value) -> i64 {
    let x = v.as_f64().unwrap_or_else(|| panic!("not a number: {v:?}"));
    let c = (x * 100.0).round();
    assert!((x * 100.0 - c).abs() < 1e-6, "{x} is not a whole number of cents");
    c as i64
}

/// SQLite's ROUND(x) for the cents of one usage row: half away from zero.
fn row_cents(cost: f64) -> i64 {
    let x = cost * 100.0;
    if x >= 0.0 {
        (x + 0.5).trunc() as i64
    } else {
        -((-x + 0.5).trunc() as i64)
    }
}

/// The stated normalisation: lowercase, `-`, `_` and tabs read as spaces, runs of spaces
/// collapsed to one, trimmed.
fn normalise(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.to_ascii_lowercase().chars() {
        let c = if matches!(c, '-' | '_' | '\t') { ' ' } else { c };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end_matches(' ').to_string()
}

/// A job's value of `key`, read from its raw tags (JSON `key=value` strings or an object).
fn value_of(tags: Option<&str>, key: &str) -> Option<String> {
    let parsed: serde_json::Value = serde_json::from_str(tags?).ok()?;
    let mut found: Vec<String> = Vec::new();
    match parsed {
        serde_json::Value::Array(items) => {
            for item in items {
                if let Some((k, v)) = item.as_str().and_then(|s| s.split_once('=')) {
                    if k.trim().to_lowercase() == key && !v.trim().is_empty() {
                        found.push(v.trim().to_string());
                    }
                }
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if let (true, Some(v)) = (k.trim().to_lowercase() == key, v.as_str()) {
                    found.push(v.trim().to_string());
                }
            }
        }
        _ => {}
    }
    found.sort();
    found.into_iter().next()
}

/// One usage row as the oracle sees it: its cents and the job (and raw value) it belongs to.
struct Usage {
    cents: i64,
    job: Option<String>,
    raw: Option<String>,
}

#[derive(Debug, PartialEq)]
struct Line {
    value: String,
    label: String,
    jobs: i64,
    spellings: i64,
    direct: i64,
    allocated: i64,
    total: i64,
}

/// One normalised value as the oracle sums it: cents, jobs, and cents by raw spelling.
type Group = (i64, BTreeSet<String>, BTreeMap<String, i64>);

struct Expected {
    total: i64,
    shared: i64,
    lines: Vec<Line>,
    /// (spelling, normalised value) → (jobs, cents).
    spellings: BTreeMap<(String, String), (i64, i64)>,
}

fn oracle(conn: &Connection, from: &str, to: &str, key: &str, allocation: &str) -> Expected {
    let mut jobs: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT job_id, tags FROM jobs").unwrap();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))).unwrap() {
        let (id, tags) = row.unwrap();
        jobs.insert(id, tags);
    }
    let mut run_job: BTreeMap<String, String> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT job_run_id, job_id FROM job_runs").unwrap();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).unwrap() {
        let (run, job) = row.unwrap();
        run_job.insert(run, job);
    }
    let mut usage: Vec<Usage> = Vec::new();
    let mut stmt = conn.prepare("SELECT parent_type, parent_id, total_cost, usage_date FROM compute_usage").unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<f64>>(2)?, r.get::<_, String>(3)?)))
        .unwrap()
    {
        let (kind, parent, cost, day) = row.unwrap();
        if day.as_str() < from || day.as_str() > to {
            continue;
        }
        let job = if kind == "JOB_RUN" { run_job.get(&parent).cloned() } else { None };
        let raw = job.as_ref().and_then(|j| value_of(jobs.get(j).cloned().flatten().as_deref(), key)).filter(|r| !normalise(r).is_empty());
        usage.push(Usage { cents: row_cents(cost.unwrap_or(0.0)), job, raw });
    }

    let total: i64 = usage.iter().map(|u| u.cents).sum();
    let shared: i64 = usage.iter().filter(|u| u.raw.is_none()).map(|u| u.cents).sum();
    // Per normalised value: cents, jobs, spellings with their cents.
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut spellings: BTreeMap<(String, String), (BTreeSet<String>, i64)> = BTreeMap::new();
    for u in usage.iter().filter(|u| u.raw.is_some()) {
        let raw = u.raw.clone().unwrap();
        let value = normalise(&raw);
        let g = groups.entry(value.clone()).or_default();
        g.0 += u.cents;
        g.1.insert(u.job.clone().unwrap());
        *g.2.entry(raw.clone()).or_default() += u.cents;
        let s = spellings.entry((raw, value)).or_default();
        s.0.insert(u.job.clone().unwrap());
        s.1 += u.cents;
    }
    let mut lines: Vec<Line> = groups
        .iter()
        .map(|(value, (direct, js, spelled))| {
            // Shown as the spelling with the most spend, ties to the first in text order.
            let label = spelled.iter().fold(None::<(&String, i64)>, |best, (s, c)| match best {
                Some((_, bc)) if bc >= *c => best,
                _ => Some((s, *c)),
            });
            Line {
                value: value.clone(),
                label: label.unwrap().0.clone(),
                jobs: js.len() as i64,
                spellings: spelled.len() as i64,
                direct: *direct,
                allocated: 0,
                total: *direct,
            }
        })
        .collect();
    let weight_sum: i64 = lines.iter().map(|l| l.direct.max(0)).sum();
    if allocation == "proportional" && weight_sum > 0 {
        // Largest remainder: floors, then a cent each to the largest remainders (ties: more
        // direct spend, then text order).
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by(|&a, &b| lines[b].direct.cmp(&lines[a].direct).then(lines[a].value.cmp(&lines[b].value)));
        let amount = shared.unsigned_abs() as i128;
        let mut rems: Vec<(i128, usize, usize)> = Vec::new();
        for (pos, &i) in order.iter().enumerate() {
            let w = lines[i].direct.max(0) as i128;
            lines[i].allocated = (amount * w / weight_sum as i128) as i64;
            rems.push((amount * w % weight_sum as i128, pos, i));
        }
        let left = amount as i64 - lines.iter().map(|l| l.allocated).sum::<i64>();
        rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, _, i) in rems.into_iter().take(left as usize) {
            lines[i].allocated += 1;
        }
        for l in &mut lines {
            if shared < 0 {
                l.allocated = -l.allocated;
            }
            l.total = l.direct + l.allocated;
        }
    } else if shared != 0 {
        lines.push(Line {
            value: "(unallocated)".into(),
            label: "Unallocated (shared and untagged)".into(),
            jobs: 0,
            spellings: 0,
            direct: shared,
            allocated: 0,
            total: shared,
        });
    }
    lines.sort_by(|a, b| {
        let un = |l: &Line| l.value == "(unallocated)";
        un(a).cmp(&un(b)).then(b.total.cmp(&a.total)).then(a.value.cmp(&b.value))
    });
    let spellings = spellings.into_iter().map(|(k, (js, c))| (k, (js.len() as i64, c))).collect();
    Expected { total, shared, lines, spellings }
}

fn check(conn: &Connection, from: &str, to: &str, key: &str, allocation: &str) -> Expected {
    let what = format!("{key} {allocation} {from}..{to}");
    let result = run(conn, &filters(from, to), key, allocation);
    let expected = oracle(conn, from, to, key, allocation);
    let rows = result.rows();
    let got: Vec<Line> = (0..rows.len())
        .map(|i| {
            let r = rows.row(i);
            let count = |c: &str| r.get(c).as_f64().map_or(0, |x| x as i64);
            Line {
                value: r.text("tag_value"),
                label: r.text("tag_label"),
                jobs: count("jobs"),
                spellings: count("spellings"),
                direct: cents(r.get("direct_cost_usd")),
                allocated: cents(r.get("allocated_cost_usd")),
                total: cents(r.get("total_cost_usd")),
            }
        })
        .collect();
    assert_eq!(got, expected.lines, "{what}");
    // Shares of the total, each line's charged ÷ total spend.
    for i in 0..rows.len() {
        let share = rows.get(i, "share_pct").as_f64().unwrap();
        assert!((share - 100.0 * expected.lines[i].total as f64 / expected.total as f64).abs() < 1e-9, "{what} share of line {i}");
    }
    // Reconciliation to the cent: Σ lines = the report total = Σ rounded usage cents.
    let kpi = |name: &str| cents(result.kpi(name).unwrap_or_else(|| panic!("KPI {name}")));
    assert_eq!(kpi("total_cost_usd"), expected.total, "{what} total");
    assert_eq!(got.iter().map(|l| l.total).sum::<i64>(), expected.total, "{what} lines reconcile");
    assert_eq!(kpi("shared_cost_usd"), expected.shared, "{what} shared");
    let charged: i64 = expected.lines.iter().filter(|l| l.value != "(unallocated)").map(|l| l.total).sum();
    assert_eq!(kpi("allocated_cost_usd"), charged, "{what} charged to values");
    let share = result.kpi("shared_pct").unwrap().as_f64().unwrap();
    assert!((share - 100.0 * expected.shared as f64 / expected.total as f64).abs() < 1e-9, "{what} shared %");
    let values = expected.lines.iter().filter(|l| l.value != "(unallocated)").count() as f64;
    assert_eq!(result.kpi("tag_values").unwrap().as_f64(), Some(values), "{what} values");
    // The spellings table: each raw spelling, its group, its jobs and spend.
    let sp = result.dataset("spellings").unwrap();
    let got: BTreeMap<(String, String), (i64, i64)> = (0..sp.len())
        .map(|i| {
            let r = sp.row(i);
            ((r.text("spelling"), r.text("tag_value")), (r.get("jobs").as_f64().unwrap() as i64, cents(r.get("spelling_cost_usd"))))
        })
        .collect();
    assert_eq!(got, expected.spellings, "{what} spellings");
    expected
}

#[test]
fn chargeback_matches_the_oracle_for_both_rules_two_keys_and_two_ranges() {
    let conn = common::seeded();
    for (from, to) in [("2025-11-01", "2025-12-15"), ("2025-11-10", "2025-11-30")] {
        for key in ["team", "cost_center"] {
            for allocation in ["proportional", "unallocated"] {
                let e = check(&conn, from, to, key, allocation);
                assert!(e.lines.len() >= 4 && e.shared > 0, "{key} {allocation}: a real split");
            }
        }
    }
    // The seed's figures, as the oracle and the report both see them.
    let e = oracle(&conn, "2025-11-01", "2025-12-15", "team", "proportional");
    let total: f64 = common::real(&conn, "SELECT SUM(total_cost) FROM compute_usage");
    assert!((e.total as f64 / 100.0 - total).abs() < 0.01 * 688.0, "per-row rounding stays within half a cent a row");
    assert_eq!(e.lines.iter().map(|l| l.allocated).sum::<i64>(), e.shared, "proportional spreads all shared spend");
}

#[test]
fn a_value_spelled_two_ways_is_one_line_and_the_mapping_shows_both() {
    let conn = common::seeded();
    let result = run(&conn, &filters("2025-11-01", "2025-12-15"), "team", "unallocated");
    let rows = result.rows();
    let supply: Vec<usize> = (0..rows.len()).filter(|&i| rows.row(i).text("tag_value") == "supply chain").collect();
    assert_eq!(supply.len(), 1, "one line for Supply Chain and supply-chain");
    let line = rows.row(supply[0]);
    assert_eq!(
        (line.text("tag_label"), line.get("jobs").as_f64(), line.get("spellings").as_f64()),
        ("Supply Chain".into(), Some(3.0), Some(2.0))
    );
    assert_eq!(line.text("entity_id"), "team=supply chain");
    let sp = result.dataset("spellings").unwrap();
    let of_group: BTreeSet<String> =
        (0..sp.len()).filter(|&i| sp.row(i).text("tag_value") == "supply chain").map(|i| sp.row(i).text("spelling")).collect();
    assert_eq!(of_group, ["Supply Chain".to_string(), "supply-chain".to_string()].into());
    let dash = (0..sp.len()).find(|&i| sp.row(i).text("spelling") == "supply-chain").unwrap();
    assert_eq!(sp.row(dash).text("job_ids"), "J-SUPPLY-DASHBOARD");
    // The untagged legacy job is shared spend, never a value.
    assert!((0..rows.len()).all(|i| !rows.row(i).text("tag_label").contains("Legacy")));
    // The normalisation rule itself, on spellings the seed does not have.
    assert_eq!(normalise("  Supply__Chain - "), "supply chain");
    // The key picker lists the keys the jobs carry.
    assert_eq!(result.param_choices["tag_key"], ["cost_center", "hardware", "scaling", "schedule", "sla", "spot", "stage", "team", "tier"]);
    assert_eq!(result.param_choices["allocation"], ["proportional", "unallocated"]);
}

#[test]
fn a_key_no_job_carries_leaves_everything_unallocated() {
    let conn = common::seeded();
    let result = run(&conn, &filters("2025-11-01", "2025-12-15"), "nobody", "proportional");
    let rows = result.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.row(0).text("tag_value"), "(unallocated)");
    let total = oracle(&conn, "2025-11-01", "2025-12-15", "nobody", "proportional").total;
    assert_eq!(cents(rows.get(0, "total_cost_usd")), total);
    // A key the data lacks is still offered back, so the select shows what is in use.
    assert!(result.param_choices["tag_key"].contains(&"nobody".to_string()));
}

#[test]
fn text_params_are_parsed_checked_and_bound() {
    let conn = common::seeded();
    let f = filters("2025-11-01", "2025-12-15");
    // Defaults: team, proportional; the numeric API still runs the report.
    let default = run_report(&conn, "tag_chargeback", &f, &BTreeMap::new()).unwrap();
    assert_eq!(default.text_params.get("tag_key").map(String::as_str), Some("team"));
    assert_eq!(default.text_params.get("allocation").map(String::as_str), Some("proportional"));
    // Keys are matched case-insensitively and trimmed.
    let shouted = run(&conn, &f, " TEAM ", "proportional");
    assert_eq!(shouted.rows().len(), default.rows().len());
    assert_eq!(shouted.rows().row(0).text("entity_id"), "team=data science");
    let err = |params: BTreeMap<String, ParamValue>| run_report_with(&conn, "tag_chargeback", &f, &params).unwrap_err();
    let one = |k: &str, v: ParamValue| -> BTreeMap<String, ParamValue> { [(k.to_string(), v)].into() };
    assert!(matches!(err(one("allocation", "evenly".into())), ReportError::ParamNotAChoice { .. }));
    assert_eq!(
        err(one("allocation", "evenly".into())).to_string(),
        "Shared spend must be one of proportional, unallocated (got \"evenly\")."
    );
    assert!(matches!(err(one("tag_key", ParamValue::Number(3.0))), ReportError::ParamNotText { .. }));
    assert!(matches!(err(one("tag_key", "  ".into())), ReportError::ParamTextLength { .. }));
    assert!(matches!(err(one("speed", "x".into())), ReportError::UnknownParam(_)));
    // Numeric params still parse from text (URL and CLI values) and say when they cannot.
    let anomaly = |v: &str| run_report_with(&conn, "anomaly_detection", &f, &one("window", v.into()));
    assert_eq!(anomaly("14").unwrap().params["window"], 14.0);
    assert_eq!(anomaly("x").unwrap_err().to_string(), "Baseline window (days) must be a number (got \"x\").");
}
