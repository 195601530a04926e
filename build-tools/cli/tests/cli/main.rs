//! The `copilot` binary end to end: summary of an original-project database, errors that
//! name the problem, and `db` writing identical files twice.

mod ask;
mod databricks_job;
mod docs;
mod finops;
mod graph_export;
mod pull;
mod tag_chargeback;

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
    conn.execute_batch(include_str!("../../../../tests/fixtures/original_project.sql")).unwrap();
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
    assert_eq!(stderr.trim(), "error: This database does not have the usage schema: missing table events; table jobs lacks column tags.");

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

fn seeded_db(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let db = dir.join("seeded.db");
    let (ok, _, stderr) = copilot(&["db", "--out", db.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    db
}

#[test]
fn prompt_prints_the_committed_snapshot_and_is_identical_twice() {
    let db = seeded_db("prompt");
    let args =
        ["prompt", "--db", db.to_str().unwrap(), "--report", "job_cost", "--entity", "job:J-LEGACY-ETL", "--chip", "job.why_failing"];
    let (ok, first, stderr) = copilot(&args);
    assert!(ok, "{stderr}");
    let (_, second, _) = copilot(&args);
    assert_eq!(first, second);
    let golden = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/job_cost__job_J-LEGACY-ETL__job.why_failing.json"
    ))
    .unwrap();
    assert_eq!(first, golden);
}

#[test]
fn chips_lists_the_offered_chips_in_lane_order() {
    let db = seeded_db("chips");
    let (ok, stdout, stderr) =
        copilot(&["chips", "--db", db.to_str().unwrap(), "--report", "spot_risk_by_job", "--entity", "job:J-ML-TRAINING"]);
    assert!(ok, "{stderr}");
    let chips: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<&str> = chips.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "core.explain",
            "core.drivers",
            "core.spike",
            "spot.root_cause",
            "job.optimize_cost",
            "job.reliability",
            "spot.immediate_mitigation",
            "spot.cost_vs_reliability",
            "core.next_steps",
            "spot.long_term",
        ]
    );
    assert_eq!(chips[3], serde_json::json!({"id": "spot.root_cause", "version": 1, "lane": "diagnose", "label": "Root cause analysis"}));
}

#[test]
fn explain_offline_and_its_errors() {
    let db = seeded_db("explain");
    let base = ["explain", "--db", db.to_str().unwrap(), "--report", "job_cost", "--entity", "job:J-FIN-DAILY"];
    let (ok, stdout, stderr) = copilot(&[&base[..], &["--chip", "job.why_failing", "--offline"]].concat());
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("**Offline answer (built from the evidence, no LLM)**"), "{stdout}");
    assert!(stdout.contains("9 runs failed"), "{stdout}");
    let (ok, _, stderr) = copilot(&[&base[..], &["--chip", "anomaly.pattern", "--offline"]].concat());
    assert!(!ok && stderr.contains("is not offered for job:J-FIN-DAILY"), "{stderr}");
    let (ok, _, stderr) = copilot(&[
        "explain",
        "--db",
        db.to_str().unwrap(),
        "--report",
        "job_cost",
        "--entity",
        "job:NOPE",
        "--chip",
        "core.explain",
        "--offline",
    ]);
    assert!(!ok && stderr.contains("job:NOPE is not in report job_cost"), "{stderr}");
}

#[test]
fn export_focus_writes_one_row_per_usage_row_and_names_a_bad_database() {
    let db = seeded_db("focus");
    let out = db.parent().unwrap().join("out/focus.csv");
    let (ok, _, stderr) = copilot(&["export", "focus", "--db", db.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (usage_rows, spend): (i64, f64) =
        conn.query_row("SELECT COUNT(*), SUM(total_cost) FROM compute_usage", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines.len() as i64, usage_rows + 1);
    assert!(lines[0].starts_with("BilledCost,BillingAccountId,"), "{}", lines[0]);
    // BilledCost is the first column and never quoted: its sum is the data's spend.
    let billed: f64 = lines[1..].iter().map(|l| l.split(',').next().unwrap().parse::<f64>().unwrap()).sum();
    assert!((billed - spend).abs() < 1e-6, "{billed} vs {spend}");
    assert_eq!(stderr.trim(), format!("wrote {}: {usage_rows} FOCUS 1.2 rows, {} bytes", out.display(), thousands(csv.len())));
    // The same file again, byte for byte.
    let again = out.with_file_name("again.csv");
    assert!(copilot(&["export", "focus", "--db", db.to_str().unwrap(), "--out", again.to_str().unwrap()]).0);
    assert_eq!(std::fs::read(&again).unwrap(), csv.as_bytes());

    let not_db = db.with_file_name("notes.txt");
    std::fs::write(&not_db, "hello").unwrap();
    let (ok, _, stderr) = copilot(&["export", "focus", "--db", not_db.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!ok);
    assert_eq!(stderr.trim(), "error: This is not a SQLite database: the file does not start with the SQLite header.");
}

/// `1234567` as `1,234,567`, written here rather than taken from the engine.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
