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
