//! The `copilot` binary end to end: summary of an original-project database, errors that
//! name the problem, and `db` writing identical files twice.

use std::path::{Path, PathBuf};
use std::process::Command;

fn copilot(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_copilot")).args(args).output().expect("copilot runs");
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("copilot-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn original_project_db(dir: &Path) -> PathBuf {
    let path = dir.join("original.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(include_str!("../../tests/fixtures/original_project.sql")).unwrap();
    path
}

#[test]
fn summary_of_an_original_project_database() {
    let dir = temp_dir("original");
    let db = original_project_db(&dir);
    let (ok, stdout, stderr) = copilot(&["summary", "--db", db.to_str().unwrap(), "--format", "json"]);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "workspaces": 1, "jobs": 3, "job_runs": 5, "failed_runs": 3, "compute_resources": 2,
            "first_date": "2025-11-14", "last_date": "2025-12-05", "days": 22, "total_spend_usd": 670.43,
            "spend_by_compute_type": [
                {"compute_type": "APC_CLUSTER", "spend_usd": 348.0, "share_pct": 51.91},
                {"compute_type": "JOB_RUN", "spend_usd": 200.93, "share_pct": 29.97},
                {"compute_type": "SQL_WAREHOUSE", "spend_usd": 121.5, "share_pct": 18.12}
            ]
        })
    );
    // The file on disk is not modified by opening it (no tables added).
    let conn = rusqlite::Connection::open(&db).unwrap();
    let tables: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0)).unwrap();
    assert_eq!(tables, 11);
}

#[test]
fn summary_names_what_is_wrong_with_a_bad_file() {
    let dir = temp_dir("bad");
    let csv = dir.join("usage.csv");
    std::fs::write(&csv, "a,b\n1,2\n").unwrap();
    let (ok, _, stderr) = copilot(&["summary", "--db", csv.to_str().unwrap()]);
    assert!(!ok);
    assert_eq!(stderr.trim(), "error: This is not a SQLite database: the file does not start with the SQLite header.");

    let db = original_project_db(&dir);
    rusqlite::Connection::open(&db).unwrap().execute_batch("DROP TABLE events; ALTER TABLE jobs DROP COLUMN tags;").unwrap();
    let (ok, _, stderr) = copilot(&["summary", "--db", db.to_str().unwrap()]);
    assert!(!ok);
    assert_eq!(
        stderr.trim(),
        "error: This database does not have the usage schema: missing table events; table jobs lacks column tags."
    );

    let (ok, _, stderr) = copilot(&["summary", "--db", dir.join("absent.db").to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("absent.db") && stderr.contains("No such file"), "{stderr}");
}

#[test]
fn db_writes_the_same_bytes_twice_and_summary_reads_them() {
    let dir = temp_dir("db");
    let (a, b) = (dir.join("a.db"), dir.join("nested/b.db"));
    for path in [&a, &b] {
        let (ok, _, stderr) = copilot(&["db", "--out", path.to_str().unwrap()]);
        assert!(ok, "{stderr}");
        assert!(stderr.contains("375 job runs, 688 usage rows"), "{stderr}");
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let (ok, stdout, _) = copilot(&["summary", "--db", a.to_str().unwrap(), "--format", "json"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((json["jobs"].as_u64(), json["job_runs"].as_u64(), json["days"].as_u64()), (Some(9), Some(375), Some(45)));
}
