//! Two builds of the seeded database are byte-identical; other seeds differ.

use crate::common;

use usage_copilot::data::seed::{write_database, SeedConfig};

#[test]
fn two_builds_give_identical_files() {
    let dir = common::temp_dir("determinism");
    let (a, b) = (dir.join("a.db"), dir.join("b.db"));
    let stats_a = write_database(&a, &SeedConfig::default()).unwrap();
    let stats_b = write_database(&b, &SeedConfig::default()).unwrap();
    assert_eq!(stats_a, stats_b);
    let (bytes_a, bytes_b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(bytes_a.len() > 100_000, "suspiciously small: {} bytes", bytes_a.len());
    assert!(bytes_a == bytes_b, "two builds of the seeded DB differ");
}

#[test]
fn a_different_seed_gives_different_numbers_with_the_same_shapes() {
    let base = common::seeded();
    let other = common::generated(&SeedConfig { seed: 7, ..SeedConfig::default() });
    let sql_cost = "SELECT ROUND(SUM(total_cost), 2) FROM compute_usage";
    assert_ne!(common::real(&base, sql_cost), common::real(&other, sql_cost));
    let sql_failed = "SELECT COUNT(*) FROM job_runs WHERE run_status = 'FAILED'";
    assert_eq!(common::int(&base, sql_failed), common::int(&other, sql_failed));
}

#[test]
fn regenerating_replaces_an_existing_file() {
    let dir = common::temp_dir("replace");
    let path = dir.join("x.db");
    std::fs::write(&path, b"old contents").unwrap();
    write_database(&path, &SeedConfig::default()).unwrap();
    assert!(std::fs::read(&path).unwrap().starts_with(b"SQLite format 3\0"));
}

#[test]
fn the_lean_demo_file_opens_to_the_same_figures_as_the_full_one() {
    use usage_copilot::app::session::Session;
    use usage_copilot::data::db::UsageDb;
    use usage_copilot::data::seed::write_lean_database;
    use usage_copilot::report::output::report_json;
    use usage_copilot::report::registry;
    let dir = common::temp_dir("lean");
    let (full, lean) = (dir.join("full.db"), dir.join("lean.db"));
    write_database(&full, &SeedConfig::default()).unwrap();
    write_lean_database(&lean, &SeedConfig::default()).unwrap();
    let (full_len, lean_len) = (std::fs::metadata(&full).unwrap().len(), std::fs::metadata(&lean).unwrap().len());
    assert!(lean_len * 3 < full_len * 2, "the lean file is smaller: {lean_len} vs {full_len} bytes");
    let raw = rusqlite::Connection::open(&lean).unwrap();
    assert_eq!(common::int(&raw, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL OR name LIKE 'agg%'"), 0);
    let open = |p: &std::path::Path| Session::open("x", UsageDb::open_path(p).unwrap()).unwrap();
    let (a, b) = (open(&full), open(&lean));
    assert_eq!(a.summary, b.summary);
    for report in &registry().reports {
        let key = &report.spec.key;
        let (ra, rb) = (a.run_report(key, None, &Default::default()).unwrap(), b.run_report(key, None, &Default::default()).unwrap());
        assert_eq!(report_json(&report.spec, &ra), report_json(&report.spec, &rb), "{key}");
    }
}
