//! The reports read pre-aggregated tables (`data::aggregates`); these tests hold them to the
//! raw-table SQL they replaced (kept in `tests/engine/raw_sql/`, the reports' SQL before the
//! aggregates): on generated databases of another seed and size, and on one edited into
//! every shape the aggregates special-case (runs with usage on several days and gaps, spot
//! evictions dated apart from the usage, NULL costs and durations, spot sources, dates that
//! are not calendar dates, usage of unknown runs and jobs), every report, for ranges that
//! start and end mid-month, a single day, ranges past the data, and a workspace, gives the
//! same JSON (figures rounded to their unit, as exported) and every dataset the same rows.
//! Unrounded figures may differ by the last bits of a sum (a sum of block sums against one
//! sum of rows); they are checked within 1e-9 relative, and such differences are counted.
//!
//! Also: the set is kept when a database is opened unchanged, and rebuilt when it is missing,
//! of another version, or the raw rows changed.

use crate::common;

use std::collections::BTreeMap;

use rusqlite::{Connection, MAIN_DB};
use serde_json::Value as Json;
use usage_copilot::base::calendar::Date;
use usage_copilot::data::aggregates;
use usage_copilot::data::db::UsageDb;
use usage_copilot::data::seed::{self, SeedConfig};
use usage_copilot::report::engine::parse_sql_file;
use usage_copilot::report::output::{export_value, report_json};
use usage_copilot::report::{registry, ParamValue, Report, ReportFilters, ReportResult, Value};

/// The reports' SQL over the raw tables, before the aggregates.
const RAW_SQL: &[(&str, &str)] = &[
    ("anomaly_detection", include_str!("raw_sql/anomaly_detection.sql")),
    ("compute_type_cost", include_str!("raw_sql/compute_type_cost.sql")),
    ("job_cost", include_str!("raw_sql/job_cost.sql")),
    ("job_cost_pareto", include_str!("raw_sql/job_cost_pareto.sql")),
    ("spot_risk_by_job", include_str!("raw_sql/spot_risk_by_job.sql")),
    ("tag_chargeback", include_str!("raw_sql/tag_chargeback.sql")),
];

/// The built-in report with its raw-table SQL instead of its own.
fn raw_report(key: &str) -> Report {
    let mut report = registry().get(key).unwrap().clone();
    let sql = RAW_SQL.iter().find(|(k, _)| *k == key).unwrap_or_else(|| panic!("no raw SQL for {key}")).1;
    report.queries = parse_sql_file(sql).unwrap();
    report
}

fn filters(from: &str, to: &str, workspace: Option<&str>) -> ReportFilters {
    ReportFilters { from: Date::parse(from).unwrap(), to: Date::parse(to).unwrap(), workspace: workspace.map(String::from) }
}

/// A dataset's rows as exported: each figure rounded to its column's unit.
fn rounded_rows(report: &Report, result: &ReportResult, dataset: &str) -> Vec<Json> {
    let data = result.dataset(dataset).unwrap();
    (0..data.len())
        .map(|i| {
            let row: serde_json::Map<String, Json> = data
                .columns
                .iter()
                .map(|c| (c.clone(), serde_json::to_value(export_value(data.get(i, c), report.spec.unit_of(c))).unwrap()))
                .collect();
            Json::Object(row)
        })
        .collect()
}

/// Where two JSON documents first differ: the path and both values.
fn first_difference(a: &Json, b: &Json, path: &str) -> Option<String> {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{path}.{k}: only in the first")),
                }
            }
            y.keys().find(|k| !x.contains_key(*k)).map(|k| format!("{path}.{k}: only in the second"))
        }
        (Json::Array(x), Json::Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(v, w, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}: {} vs {} items", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

/// Compares two values: equal, or reals within 1e-9 relative (counted in `last_bits`).
fn same_value(a: &Value, b: &Value, last_bits: &mut usize) -> bool {
    match (a, b) {
        (Value::Real(x), Value::Real(y)) if x.to_bits() != y.to_bits() => {
            *last_bits += 1;
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-9)
        }
        _ => a == b,
    }
}

#[derive(Default, Debug)]
struct Tally {
    runs: usize,
    cells: usize,
    last_bits: usize,
}

/// Runs `key` both ways and compares everything; returns the aggregate path's result.
fn compare(conn: &Connection, key: &str, f: &ReportFilters, params: &BTreeMap<String, ParamValue>, tally: &mut Tally) -> ReportResult {
    let what = format!("{key} {}..{} {:?} {params:?}", f.from, f.to, f.workspace);
    let ours = registry().get(key).unwrap();
    let theirs = raw_report(key);
    let a = ours.run_with(conn, f, params).unwrap_or_else(|e| panic!("{what}: {e}"));
    let b = theirs.run_with(conn, f, params).unwrap_or_else(|e| panic!("{what} (raw SQL): {e}"));
    let (ja, jb) = (report_json(&ours.spec, &a), report_json(&theirs.spec, &b));
    assert!(ja == jb, "{what}: report JSON differs at {}", first_difference(&ja, &jb, "").unwrap_or_default());
    tally.runs += 1;
    for (name, data) in &a.datasets {
        // The series query is the one whose shape changed (packed rows); what the transform
        // makes of it (scored, flagged, anomalies) is compared.
        if name == "series" {
            continue;
        }
        let other = &b.datasets[name];
        assert_eq!(data.columns, other.columns, "{what}: columns of {name}");
        assert_eq!(data.len(), other.len(), "{what}: rows of {name}");
        let (ra, rb) = (Json::Array(rounded_rows(ours, &a, name)), Json::Array(rounded_rows(&theirs, &b, name)));
        assert!(ra == rb, "{what}: rounded rows of {name} differ at {}", first_difference(&ra, &rb, "").unwrap_or_default());
        for i in 0..data.len() {
            for c in 0..data.columns.len() {
                tally.cells += 1;
                let (x, y) = (data.cell(i, c), other.cell(i, c));
                assert!(same_value(x, y, &mut tally.last_bits), "{what}: {name} row {i} {}: {x:?} vs {y:?}", data.columns[c]);
            }
        }
    }
    for (k, l) in a.kpis.iter().zip(&b.kpis) {
        assert!(same_value(&k.value, &l.value, &mut tally.last_bits), "{what}: KPI {}: {:?} vs {:?}", k.name, k.value, l.value);
    }
    a
}

const KEYS: [&str; 6] = ["job_cost", "compute_type_cost", "job_cost_pareto", "spot_risk_by_job", "anomaly_detection", "tag_chargeback"];

/// The ranges every database is checked on (its data runs from 2025-11-01 for 60 days).
fn ranges(workspace: &str) -> Vec<ReportFilters> {
    vec![
        filters("2025-11-01", "2025-12-30", None),
        filters("2025-11-10", "2025-12-20", None),
        filters("2025-11-17", "2025-12-02", None),
        filters("2025-12-07", "2025-12-07", None),
        filters("2025-10-20", "2025-11-05", None),
        filters("2025-12-24", "2026-01-15", None),
        filters("2026-02-01", "2026-02-10", None),
        filters("2025-11-03", "2025-12-27", Some(workspace)),
        filters("2025-11-21", "2025-11-29", Some(workspace)),
        filters("2025-11-01", "2025-12-30", Some("OU-NOWHERE")),
    ]
}

fn check_every_report(conn: &Connection, workspace: &str) -> Tally {
    let mut tally = Tally::default();
    for f in ranges(workspace) {
        for key in KEYS {
            compare(conn, key, &f, &BTreeMap::new(), &mut tally);
        }
    }
    let params: BTreeMap<String, ParamValue> =
        [("window".into(), 7.0.into()), ("warmup".into(), 3.0.into()), ("threshold".into(), 2.0.into())].into();
    compare(conn, "anomaly_detection", &filters("2025-11-04", "2025-12-26", None), &params, &mut tally);
    // Tag Chargeback by another key, its shared spend kept apart.
    for f in [filters("2025-11-01", "2025-12-30", None), filters("2025-11-12", "2025-12-03", Some(workspace))] {
        let params: BTreeMap<String, ParamValue> =
            [("tag_key".into(), " Cost_Center ".into()), ("allocation".into(), "unallocated".into())].into();
        compare(conn, "tag_chargeback", &f, &params, &mut tally);
    }
    tally
}

fn count(conn: &Connection, sql: &str) -> i64 {
    common::int(conn, sql)
}

#[test]
fn aggregates_give_the_raw_tables_figures_on_another_seed_and_size() {
    let conn = common::generated(&SeedConfig { jobs: 40, days: 60, seed: 7, ..SeedConfig::default() });
    let tally = check_every_report(&conn, "OU-SCALE-02");
    assert!(tally.cells > 100_000, "{tally:?}");
    eprintln!("seed 7, 40 jobs × 60 days: {tally:?}");
}

/// Edits a generated database into the shapes the aggregates special-case.
fn messy() -> Connection {
    let conn = common::generated(&SeedConfig { jobs: 27, days: 60, seed: 11, ..SeedConfig::default() });
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         -- Runs with usage on the next day, and on the day after next (a gap).
         INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, total_cost,
                                   avg_cpu_utilization, usage_date)
         SELECT compute_usage_id || '-next', parent_id, parent_type, compute_sku, dbus_consumed / 2, total_cost / 3,
                avg_cpu_utilization, date(usage_date, '+1 day')
         FROM compute_usage WHERE parent_type = 'JOB_RUN' AND rowid % 7 = 0;
         INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, total_cost,
                                   avg_cpu_utilization, usage_date)
         SELECT compute_usage_id || '-later', parent_id, parent_type, compute_sku, dbus_consumed, total_cost / 7, NULL,
                date(usage_date, '+3 days')
         FROM compute_usage WHERE parent_type = 'JOB_RUN' AND rowid % 11 = 0 AND compute_usage_id NOT LIKE '%-next';
         -- Costs and durations without a value, runs without a spot ratio.
         UPDATE compute_usage SET total_cost = NULL WHERE rowid % 13 = 0;
         UPDATE job_runs SET duration_ms = NULL WHERE rowid % 17 = 0;
         UPDATE job_runs SET spot_ratio = NULL WHERE rowid % 19 = 0;
         -- Evictions a day after their usage, and a second eviction on other runs.
         UPDATE events SET event_time = datetime(event_time, '+1 day') WHERE event_type = 'SPOT_EVICTION' AND rowid % 3 = 0;
         INSERT INTO events(event_id, compute_usage_id, event_time, event_type)
         SELECT e.event_id || '-again', u.compute_usage_id, u.usage_date || ' 23:59:00', 'SPOT_EVICTION'
         FROM events e JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id
         WHERE e.event_type = 'SPOT_EVICTION' AND e.rowid % 2 = 0;
         INSERT INTO events(event_id, compute_usage_id, event_time, event_type)
         SELECT 'E-NEXT-' || u.compute_usage_id, u.compute_usage_id, u.usage_date || ' 10:00:00', 'SPOT_EVICTION'
         FROM compute_usage u WHERE u.compute_usage_id LIKE '%-next' AND u.rowid % 5 = 0;
         -- Where spot ratios came from, for most runs.
         INSERT INTO job_run_spot(job_run_id, source)
         SELECT job_run_id, CASE rowid % 3 WHEN 0 THEN 'observed' WHEN 1 THEN 'configured' ELSE 'unknown' END
         FROM job_runs WHERE rowid % 5 <> 0;
         -- A warehouse used every other day, a cluster with some dates that are not calendar dates.
         DELETE FROM compute_usage
         WHERE parent_id = (SELECT MIN(compute_id) FROM non_job_compute WHERE compute_type = 'SQL_WAREHOUSE')
           AND CAST(substr(usage_date, 9, 2) AS INTEGER) % 2 = 0;
         UPDATE compute_usage SET usage_date = usage_date || ' 00:00:00'
         WHERE parent_id = (SELECT MIN(compute_id) FROM non_job_compute WHERE compute_type = 'APC_CLUSTER') AND rowid % 2 = 0;
         -- Usage of a run nobody knows, and a run of a job that is not in jobs.
         INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, total_cost, usage_date)
         VALUES ('U-GHOST-1', 'R-GHOST', 'JOB_RUN', 'JOBS_COMPUTE', 3.0, 4.5, '2025-11-20'),
                ('U-GHOST-2', 'R-ORPHAN', 'JOB_RUN', 'JOBS_COMPUTE', 2.0, 3.25, '2025-11-21'),
                ('U-GHOST-3', 'R-ORPHAN', 'JOB_RUN', 'JOBS_COMPUTE', 2.0, 1.75, '2025-11-23'),
                ('U-STRAY-1', 'WH-NOWHERE', 'SQL_WAREHOUSE', 'SQL_PRO', 1.0, 2.675, '2025-11-22');
         -- Tags as a JSON object (a key twice, a messy spelling) and tags that are not JSON.
         UPDATE jobs SET tags = '{\"team\": \"  Supply_Chain \", \"Team\": \"zeta\", \"cost_center\": \"CC-9\"}' WHERE rowid % 8 = 1;
         UPDATE jobs SET tags = 'not json' WHERE rowid % 9 = 2;
         -- Costs on half a cent, for the cent rounding of Tag Chargeback.
         UPDATE compute_usage SET total_cost = 0.125 WHERE rowid % 29 = 0;
         UPDATE compute_usage SET total_cost = -0.005 WHERE rowid % 31 = 0;
         INSERT INTO job_runs(job_run_id, job_id, start_time, run_status, duration_ms, spot_ratio)
         VALUES ('R-ORPHAN', 'J-NOT-IN-JOBS', '2025-11-21 03:00:00', 'FAILED', 60000, 0.5);",
    )
    .unwrap();
    aggregates::build(&conn).unwrap();
    conn
}

#[test]
fn aggregates_give_the_raw_tables_figures_on_every_special_shape() {
    let conn = messy();
    // Every special case is there to be checked.
    assert!(count(&conn, "SELECT COUNT(*) FROM agg_run_gap") > 0, "runs with gaps");
    assert!(count(&conn, "SELECT COUNT(*) FROM agg_job_block WHERE run_carried > 0") > 0, "runs spanning days");
    assert!(count(&conn, "SELECT COUNT(*) FROM agg_type_gap") > 0, "resources with gaps");
    assert!(count(&conn, "SELECT COUNT(DISTINCT job_run_id) FROM agg_evicted_event") > 10, "evicted runs of several days");
    assert!(count(&conn, "SELECT COUNT(*) FROM agg_job_block WHERE evicted_runs > 0") > 10, "evicted runs of one day");
    assert!(count(&conn, "SELECT COUNT(*) FROM agg_series WHERE regular = 0") == 1, "a series with dates that are not days");
    assert!(count(&conn, "SELECT COUNT(*) FROM agg_job_source_block") > 0, "spot sources");
    assert!(count(&conn, "SELECT COUNT(DISTINCT kind) FROM agg_other_cents") == 3, "clusters, unknown runs and jobs");
    assert!(count(&conn, "SELECT COUNT(*) FROM agg_other_cents WHERE kind = 'compute' AND workspace_id = ''") == 1, "a stray warehouse");
    let tally = check_every_report(&conn, "OU-SCALE-01");
    eprintln!("edited database: {tally:?}");
}

fn bytes_of(conn: &mut Connection) -> Vec<u8> {
    conn.serialize(MAIN_DB).unwrap().to_vec()
}

fn meta(conn: &Connection) -> Vec<String> {
    common::strings(conn, "SELECT key || '=' || value FROM agg_meta ORDER BY key")
}

#[test]
fn a_current_set_is_kept_and_a_stale_or_missing_one_rebuilt_at_open() {
    let dir = common::temp_dir("aggregates");
    let path = dir.join("seed.db");
    seed::write_database(&path, &SeedConfig { jobs: 18, days: 30, ..SeedConfig::default() }).unwrap();
    // The written file ships a current set that survives VACUUM INTO.
    let db = UsageDb::open_path(&path).unwrap();
    assert_eq!(aggregates::refresh(db.conn()).unwrap(), None, "a shipped set is kept");
    let shipped = meta(db.conn());
    assert!(shipped.contains(&format!("version={}", aggregates::VERSION)), "{shipped:?}");

    let file = std::fs::read(&path).unwrap();
    let reopen = |edit: &str| {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.deserialize_read_exact(MAIN_DB, &file[..], file.len(), false).unwrap();
        conn.execute_batch(edit).unwrap();
        UsageDb::from_bytes(&bytes_of(&mut conn)).unwrap()
    };
    let job_cost = |db: &UsageDb| {
        let f = ReportFilters::data_range(db.conn()).unwrap();
        let result = registry().get("job_cost").unwrap().run(db.conn(), &f, &BTreeMap::new()).unwrap();
        result.kpi("total_cost_usd").and_then(Value::as_f64).unwrap()
    };
    let before = job_cost(&reopen(""));
    // Raw rows edited by another tool: the set no longer matches them and is rebuilt.
    let edited = reopen("UPDATE compute_usage SET total_cost = total_cost + 1000 WHERE rowid = (SELECT MIN(rowid) FROM compute_usage WHERE parent_type = 'JOB_RUN')");
    assert!((job_cost(&edited) - before - 1000.0).abs() < 1e-6, "the edit shows in the report");
    assert_ne!(meta(edited.conn()), shipped);
    let moved = reopen("UPDATE jobs SET workspace_id = 'OU-CHICOLA' WHERE workspace_id = 'OU-SCALE-01'");
    assert_ne!(meta(moved.conn()), shipped, "a job moved to another workspace");
    // An older set, or none at all (an original-project file), is built in the copy.
    let old = reopen("UPDATE agg_meta SET value = '0' WHERE key = 'version'; DELETE FROM agg_job_block;");
    assert_eq!(job_cost(&old), before);
    let none = reopen("DROP TABLE agg_meta; DROP TABLE agg_job_block; DROP TABLE agg_day;");
    assert_eq!(job_cost(&none), before);
    assert_eq!(meta(none.conn()), shipped);
    // Values the loader sets aside (an infinite cost) are not in the aggregates either.
    let inf = reopen(
        "UPDATE compute_usage SET total_cost = 9e999 WHERE rowid = (SELECT MIN(rowid) FROM compute_usage WHERE parent_type = 'JOB_RUN')",
    );
    assert!(job_cost(&inf).is_finite());
}

#[test]
fn a_connection_without_aggregates_gets_them_at_its_first_report() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(include_str!("../fixtures/original_project.sql")).unwrap();
    usage_copilot::data::schema::complete_optional(&conn).unwrap();
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM agg_meta"), 0);
    let f = ReportFilters::data_range(&conn).unwrap();
    let result = registry().get("job_cost").unwrap().run(&conn, &f, &BTreeMap::new()).unwrap();
    assert!(result.timings.iter().any(|(step, _)| step == "build aggregates"), "{:?}", result.timings);
    let again = registry().get("job_cost").unwrap().run(&conn, &f, &BTreeMap::new()).unwrap();
    assert!(!again.timings.iter().any(|(step, _)| step == "build aggregates"));
    let mut tally = Tally::default();
    for key in KEYS {
        compare(&conn, key, &f, &BTreeMap::new(), &mut tally);
    }
}

/// The job evidence's peers (spend and runs with usage in range, per job) read from the
/// aggregates, against the raw-table query they replaced, on the edited database: same jobs,
/// same run counts, the same spend to the cent (and within an ulp unrounded).
#[test]
fn job_peers_from_the_aggregates_equal_the_raw_tables() {
    const RAW_PEERS: &str = "SELECT r.job_id, SUM(u.total_cost) AS cost, COUNT(DISTINCT r.job_run_id) AS runs
        FROM compute_usage u JOIN job_runs r ON r.job_run_id = u.parent_id JOIN jobs j ON j.job_id = r.job_id
        WHERE u.parent_type = 'JOB_RUN' AND u.usage_date BETWEEN :from AND :to
          AND (:workspace IS NULL OR j.workspace_id = :workspace)
        GROUP BY r.job_id ORDER BY r.job_id";
    let queries = parse_sql_file(include_str!("../../sql/evidence/job.sql")).unwrap();
    let ours = &queries.iter().find(|q| q.name == "peers").unwrap().sql;
    let conn = messy();
    let rows = |sql: &str, f: &ReportFilters| -> Vec<(String, Option<f64>, i64)> {
        let mut stmt = conn.prepare(sql).unwrap();
        let (from, to) = (f.from.to_string(), f.to.to_string());
        let rows = stmt
            .query_map(rusqlite::named_params! {":from": from, ":to": to, ":workspace": f.workspace}, |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    let mut compared = 0;
    for f in ranges("OU-SCALE-01") {
        let (a, b) = (rows(ours, &f), rows(RAW_PEERS, &f));
        assert_eq!(a.len(), b.len(), "{}..{} {:?}: jobs", f.from, f.to, f.workspace);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x.0, x.2), (&y.0, y.2), "{}..{} {:?}: job and runs", f.from, f.to, f.workspace);
            assert_eq!(x.1.is_some(), y.1.is_some(), "{}..{}: {} spend NULL", f.from, f.to, x.0);
            let (p, q) = (x.1.unwrap_or(0.0), y.1.unwrap_or(0.0));
            assert!((p - q).abs() <= 1e-9 * q.abs().max(1.0), "{}..{}: {} spend {p} vs {q}", f.from, f.to, x.0);
            compared += 1;
        }
    }
    assert!(compared > 150, "{compared}");
}
