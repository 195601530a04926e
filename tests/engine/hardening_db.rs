//! Hardening of opening a `.db`: any valid SQLite file opens (WAL mode included), required
//! tables are real tables, the file's triggers and views never run, long queries are bounded,
//! and non-finite or non-numeric money values are reported instead of read as $0 or inf.

use rusqlite::{Connection, MAIN_DB};
use usage_copilot::data::db::{BadValue, QueryError, UsageDb};
use usage_copilot::data::schema::SCHEMA_SQL;
use usage_copilot::data::summary::dataset_summary;

/// A database with the usage schema, one workspace, job and run, and `usage` compute_usage
/// rows given as (id, total_cost SQL literal).
fn database(extra_sql: &str) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA_SQL).unwrap();
    conn.execute_batch(
        "INSERT INTO workspace(workspace_id, workspace_name) VALUES ('w', 'W');
         INSERT INTO jobs(job_id, workspace_id, job_name) VALUES ('j', 'w', 'J');
         INSERT INTO job_runs(job_run_id, job_id, start_time, run_status) VALUES ('r', 'j', '2025-11-01 00:00:00', 'SUCCESS');
         INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, total_cost, usage_date)
         VALUES ('u1', 'r', 'JOB_RUN', 'S', 1.0, 1.0, '2025-11-01');",
    )
    .unwrap();
    conn.execute_batch(extra_sql).unwrap();
    conn
}

fn bytes_of(mut conn: Connection) -> Vec<u8> {
    conn.serialize(MAIN_DB).unwrap().to_vec()
}

#[test]
fn an_infinite_cost_is_reported_not_summed() {
    let conn = database(
        "INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, total_cost, usage_date)
         VALUES ('u2', 'r', 'JOB_RUN', 'S', 1.0, 9e999, '2025-11-02'), ('u3', 'r', 'JOB_RUN', 'S', 1.0, -9e999, '2025-11-02');",
    );
    let db = UsageDb::from_bytes(&bytes_of(conn)).expect("the file opens");
    let summary = dataset_summary(db.conn()).expect("the summary runs");
    assert!(summary.total_spend_usd.is_finite(), "{}", summary.total_spend_usd);
    assert_eq!(summary.total_spend_usd, 1.0);
    let warnings: Vec<String> = db.warnings().iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        ["Table compute_usage, column total_cost: 2 rows hold a value that is not a finite number (e.g. inf); the app reads them as empty."]
    );
    let w = &db.warnings()[0];
    assert_eq!((w.table.as_str(), w.column.as_str(), w.rows, w.problem.clone()), ("compute_usage", "total_cost", 2, BadValue::NotFinite));
    // Every report runs on it.
    let filters = usage_copilot::report::ReportFilters::data_range(db.conn()).unwrap();
    for report in &usage_copilot::report::registry().reports {
        report.run(db.conn(), &filters, &Default::default()).unwrap_or_else(|e| panic!("{}: {e}", report.spec.key));
    }
}

#[test]
fn a_nan_in_the_file_reads_as_no_value() {
    // SQL cannot write a NaN (SQLite stores NULL); write a marker and patch its bytes.
    let conn = database(
        "INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, total_cost, usage_date)
         VALUES ('u2', 'r', 'JOB_RUN', 'S', 1.0, 1234.5678, '2025-11-02');",
    );
    let mut bytes = bytes_of(conn);
    let marker = 1234.5678f64.to_be_bytes();
    // In the table and in the indexes that cover total_cost.
    let places: Vec<usize> = bytes.windows(8).enumerate().filter(|(_, w)| *w == marker).map(|(i, _)| i).collect();
    assert!(!places.is_empty(), "the marker is in the file");
    for at in places {
        bytes[at..at + 8].copy_from_slice(&f64::NAN.to_be_bytes());
    }
    let db = UsageDb::from_bytes(&bytes).expect("the file opens");
    // SQLite reads the stored NaN as NULL (an index holding it is another matter: it sorts
    // where no value does, so the table is read directly here).
    assert_eq!(crate::common::int(db.conn(), "SELECT COUNT(*) FROM compute_usage NOT INDEXED WHERE total_cost IS NULL"), 1);
    assert_eq!(dataset_summary(db.conn()).unwrap().total_spend_usd, 1.0);
}

#[test]
fn text_in_a_money_column_is_reported() {
    let conn = database(
        "INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, total_cost, usage_date)
         VALUES ('u2', 'r', 'JOB_RUN', 'S', 1.0, 'abc', '2025-11-02'), ('u3', 'r', 'JOB_RUN', 'S', 'lots', 2.0, '2025-11-02');",
    );
    let db = UsageDb::from_bytes(&bytes_of(conn)).expect("the file opens: the app stays usable");
    let warnings: Vec<String> = db.warnings().iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "Table compute_usage, column dbus_consumed: 1 row holds text that is not a number (e.g. 'lots'); those rows are left out.",
            "Table compute_usage, column total_cost: 1 row holds text that is not a number (e.g. 'abc'); the app reads them as empty.",
        ]
    );
    // 'abc' is not read as $0 of a priced row: the row counts as unpriced.
    assert_eq!(crate::common::int(db.conn(), "SELECT COUNT(*) FROM compute_usage WHERE total_cost IS NULL"), 1);
    assert_eq!(crate::common::int(db.conn(), "SELECT COUNT(*) FROM compute_usage WHERE compute_usage_id = 'u3'"), 0);
}

#[test]
fn a_clean_file_has_no_warnings() {
    let db = UsageDb::from_bytes(&bytes_of(database(""))).unwrap();
    assert!(db.warnings().is_empty(), "{:?}", db.warnings());
    let original = UsageDb::from_bytes(&crate::original_schema::original_db_bytes()).unwrap();
    assert!(original.warnings().is_empty(), "{:?}", original.warnings());
}

#[test]
fn a_wal_mode_file_opens() {
    let dir = crate::common::temp_dir("wal");
    let path = dir.join("wal.db");
    {
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch(SCHEMA_SQL).unwrap();
        conn.execute_batch(
            "INSERT INTO workspace(workspace_id, workspace_name) VALUES ('w', 'W');
             INSERT INTO jobs(job_id, workspace_id, job_name) VALUES ('j', 'w', 'J');",
        )
        .unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!((bytes[18], bytes[19]), (2, 2), "the file is in WAL mode");
    let db = UsageDb::from_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(crate::common::int(db.conn(), "SELECT COUNT(*) FROM jobs"), 1);
}

#[test]
fn a_view_in_place_of_a_required_table_is_refused() {
    let conn = database(
        "DROP TABLE job_dependencies; DROP TABLE sql_query_history;
         CREATE VIEW sql_query_history AS SELECT 'q' AS query_id, 'p' AS parent_id, 'u' AS user_id, '' AS start_time,
             0 AS duration_ms, NULL AS warehouse_sku, NULL AS sql_text, NULL AS error_message;",
    );
    let err = UsageDb::from_bytes(&bytes_of(conn)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("sql_query_history") && err.contains("view"), "{err:?}");
}

#[test]
fn triggers_in_the_file_never_fire() {
    let conn = database(
        "CREATE TABLE trap(n INTEGER);
         CREATE TRIGGER on_usage AFTER INSERT ON compute_usage BEGIN DELETE FROM jobs; INSERT INTO trap VALUES (1); END;
         CREATE TRIGGER on_calendar AFTER INSERT ON date_series BEGIN UPDATE compute_usage SET total_cost = 666; END;",
    );
    let db = UsageDb::from_bytes(&bytes_of(conn)).expect("the file opens");
    assert_eq!(crate::common::real(db.conn(), "SELECT SUM(total_cost) FROM compute_usage"), 1.0, "a trigger fired while opening");
    db.conn()
        .execute_batch(
            "INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, total_cost, usage_date)
             VALUES ('u9', 'r', 'JOB_RUN', 'S', 1.0, 2.0, '2025-11-03');",
        )
        .unwrap();
    assert_eq!(crate::common::int(db.conn(), "SELECT COUNT(*) FROM jobs"), 1, "a trigger fired on an app write");
    assert_eq!(crate::common::int(db.conn(), "SELECT COUNT(*) FROM trap"), 0);
}

#[test]
fn a_view_named_like_a_required_table_is_refused_with_a_message() {
    let conn = database("DROP TABLE job_dependencies; DROP TABLE job_runs; CREATE VIEW jobs_view AS SELECT 1;");
    let conn = {
        let c = conn;
        c.execute_batch("ALTER TABLE jobs RENAME TO jobs_data; CREATE VIEW jobs AS SELECT * FROM jobs_data;").unwrap();
        c
    };
    let err = UsageDb::from_bytes(&bytes_of(conn)).unwrap_err();
    assert_eq!(err.to_string(), "This database does not have the usage schema: missing table job_runs; jobs is a view, not a table.");
}

#[test]
fn a_long_query_stops_at_the_deadline_with_a_message() {
    let db = UsageDb::from_bytes(&bytes_of(database(""))).unwrap();
    let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n";
    let started = std::time::Instant::now();
    let err =
        db.with_deadline(std::time::Duration::from_millis(200), |conn| conn.query_row(endless, [], |r| r.get::<_, i64>(0))).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, QueryError::Deadline { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "The query was stopped after 0.2 s: it ran longer than the 0.2 s the app allows. Narrow the date range or the filters and try again."
    );
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    // The connection is usable afterwards, and a quick query is not interrupted.
    let n = db.with_deadline(std::time::Duration::from_millis(200), |conn| {
        conn.query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get::<_, i64>(0))
    });
    assert_eq!(n.unwrap(), 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(crate::common::int(db.conn(), "SELECT COUNT(*) FROM jobs"), 1);
}

#[test]
fn a_report_that_runs_past_its_time_limit_says_so_and_the_next_run_works() {
    use usage_copilot::app::session::{Session, REPORT_TIME_LIMIT};
    use usage_copilot::app::url_state::ViewState;
    use usage_copilot::app::view::param_names;
    // An account of 90 jobs: enough rows that each report's SQL takes thousands of steps.
    let config = usage_copilot::data::seed::SeedConfig { jobs: 90, ..Default::default() };
    let db = UsageDb::from_bytes(&bytes_of(crate::common::generated(&config))).unwrap();
    let mut session = Session::open("generated", db).unwrap();
    assert_eq!(session.report_time_limit, REPORT_TIME_LIMIT);
    let view = ViewState::from_hash("#/report/anomaly_detection", &param_names);
    // No time at all: the first look at the clock stops the report's SQL.
    session.report_time_limit = std::time::Duration::ZERO;
    let run = session.run_view(&view).unwrap();
    assert_eq!(
        run.outcome.err().as_deref(),
        Some("The query was stopped after 0 s: it ran longer than the 0 s the app allows. Narrow the date range or the filters and try again.")
    );
    let err = session.run_report("job_cost", None, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("The query was stopped after 0 s"), "{err}");
    // The limit is lifted once the run returns: the same report then runs in full.
    session.report_time_limit = REPORT_TIME_LIMIT;
    let run = session.run_view(&view).unwrap();
    assert!(run.outcome.is_ok(), "{:?}", run.outcome.err());
    assert!(session.run_report("job_cost", None, &Default::default()).is_ok());
}
