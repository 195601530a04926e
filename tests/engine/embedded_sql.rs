//! The browser build embeds its SQL without the comments nothing reads at run time
//! (`base::sql_text`, applied by build.rs): each report and evidence file parses to the very
//! same queries, and the schema creates the very same tables, indexes and aggregate DDL.

use std::path::Path;

use rusqlite::Connection;
use usage_copilot::base::sql_text::{without_comment_lines, without_header, AGGREGATES_MARKER};
use usage_copilot::report::engine::parse_sql_file;

fn sql_files(dir: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn report_and_evidence_files_parse_to_the_same_queries_without_their_headers() {
    let mut dropped = 0;
    for (path, text) in sql_files("sql/reports").into_iter().chain(sql_files("sql/evidence")) {
        let stripped = without_header(&text);
        assert_eq!(parse_sql_file(&stripped), parse_sql_file(&text), "{path}");
        assert!(stripped.len() < text.len(), "{path} has a header comment");
        dropped += text.len() - stripped.len();
    }
    assert!(dropped > 5_000, "{dropped} bytes of headers");
    // A file whose first line is its first query keeps everything.
    assert_eq!(without_header("-- query: a\n-- about a\nSELECT 1\n"), "-- query: a\n-- about a\nSELECT 1\n");
    assert_eq!(without_header("-- about\n\n-- with:\nx AS (SELECT 1)\n"), "-- with:\nx AS (SELECT 1)\n");
}

#[test]
fn the_schema_without_comment_lines_creates_the_same_objects() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/create_usage_tables.sql")).unwrap();
    let stripped = without_comment_lines(&text, AGGREGATES_MARKER);
    assert!(stripped.len() * 3 < text.len() * 2, "{} of {} bytes", stripped.len(), text.len());
    let objects = |sql: &str| {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        let mut stmt = conn
            .prepare("SELECT type, name, sql FROM sqlite_master UNION ALL SELECT type, name, sql FROM sqlite_temp_master ORDER BY 1, 2")
            .unwrap();
        let rows: Vec<(String, String, Option<String>)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        rows.into_iter().map(|(t, n, sql)| (t, n, sql.map(|s| without_comment_lines(&s, AGGREGATES_MARKER)))).collect::<Vec<_>>()
    };
    let (full, lean) = (objects(&text), objects(&stripped));
    assert!(full.len() > 20, "{full:?}");
    assert_eq!(lean, full);
    // The aggregate tables' DDL is found by its marker in both.
    let tail = |sql: &str| sql[sql.find(AGGREGATES_MARKER).expect("marker kept")..].to_string();
    assert_eq!(without_comment_lines(&tail(&text), AGGREGATES_MARKER), tail(&stripped));
}
