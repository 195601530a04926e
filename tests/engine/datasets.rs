//! The datasets kept in the browser, natively: the catalog's SQL (names made unique, renames,
//! deletes, the last opened one, ids never reused), and opening a database file in place —
//! the checks of `from_bytes` on a real file instead of an in-memory copy, and a reopen of a
//! checked copy — with the same figures as opening the bytes.

use rusqlite::{Connection, MAIN_DB};
use usage_copilot::app::datasets::{clean_name, Catalog, CatalogError, StoredKind, MAX_NAME_CHARS, SITE_DATA};
use usage_copilot::data::budgets::{Budget, BudgetScope};
use usage_copilot::data::db::UsageDb;
use usage_copilot::data::summary::dataset_summary;

fn catalog() -> Catalog {
    Catalog::open(Connection::open_in_memory().unwrap()).unwrap()
}

#[test]
fn names_are_cleaned_and_made_unique_and_ids_are_never_reused() {
    let c = catalog();
    let a = c.add("  usage.db ", StoredKind::Database, "2026-12-01T10:00:00Z", 1024, &[]).unwrap();
    let b = c.add("usage.db", StoredKind::Database, "2026-12-01T10:01:00Z", 2048, &["w".to_string()]).unwrap();
    let d = c.add("usage\t\n  .db", StoredKind::Import, "2026-12-01T10:02:00Z", 4096, &[]).unwrap();
    assert_eq!((a.id.as_str(), a.name.as_str()), ("d1", "usage.db"));
    assert_eq!((b.id.as_str(), b.name.as_str(), b.warnings.clone()), ("d2", "usage.db (2)", vec!["w".to_string()]));
    assert_eq!((d.id.as_str(), d.name.as_str(), d.kind), ("d3", "usage .db", StoredKind::Import));
    assert_eq!(a.file_name(), "/dataset-d1.sqlite");
    c.remove("d3").unwrap();
    let e = c.add("again", StoredKind::Import, "2026-12-01T10:03:00Z", 1, &[]).unwrap();
    assert_eq!(e.id, "d4", "a deleted dataset's id (and file name) is not given to a new one");
    let names: Vec<(String, String, u64)> = c.list().unwrap().into_iter().map(|d| (d.id, d.name, d.bytes)).collect();
    assert_eq!(
        names,
        [("d1".into(), "usage.db".into(), 1024), ("d2".into(), "usage.db (2)".into(), 2048), ("d4".into(), "again".into(), 1)]
    );
}

#[test]
fn renames_refuse_empty_long_and_taken_names() {
    let c = catalog();
    c.add("first", StoredKind::Database, "t", 1, &[]).unwrap();
    c.add("second", StoredKind::Database, "t", 1, &[]).unwrap();
    assert_eq!(c.rename("d2", "first"), Err(CatalogError::NameTaken("first".into())));
    assert_eq!(c.rename("d2", " \t "), Err(CatalogError::EmptyName));
    assert_eq!(c.rename("d2", &"x".repeat(MAX_NAME_CHARS + 1)), Err(CatalogError::NameTooLong));
    assert_eq!(c.rename("d9", "nine"), Err(CatalogError::NoSuchDataset("d9".into())));
    assert_eq!(c.rename("zzz", "nine"), Err(CatalogError::NoSuchDataset("zzz".into())));
    // Its own name is not "taken"; white space is folded.
    assert_eq!(c.rename("d1", "  first ").unwrap().name, "first");
    assert_eq!(c.rename("d2", "Q4  FinOps\u{7} review").unwrap().name, "Q4 FinOps review");
    assert_eq!(clean_name(&"é".repeat(MAX_NAME_CHARS)).unwrap().chars().count(), MAX_NAME_CHARS, "characters are counted, not bytes");
    assert_eq!(c.get("d2").unwrap().name, "Q4 FinOps review");
}

#[test]
fn the_last_opened_dataset_is_remembered_until_it_is_deleted() {
    let c = catalog();
    assert_eq!(c.current().unwrap(), None);
    c.add("a", StoredKind::Database, "t", 1, &[]).unwrap();
    c.add("b", StoredKind::Import, "t", 1, &[]).unwrap();
    c.set_current(Some("d2")).unwrap();
    assert_eq!(c.current().unwrap().as_deref(), Some("d2"));
    assert_eq!(c.set_current(Some("d7")), Err(CatalogError::NoSuchDataset("d7".into())));
    assert_eq!(c.current().unwrap().as_deref(), Some("d2"), "a refused change keeps the last one");
    c.update("d2", 99, Some(&["bad cost".to_string()])).unwrap();
    assert_eq!((c.get("d2").unwrap().bytes, c.get("d2").unwrap().warnings), (99, vec!["bad cost".to_string()]));
    c.remove("d1").unwrap();
    assert_eq!(c.current().unwrap().as_deref(), Some("d2"));
    c.remove("d2").unwrap();
    assert_eq!(c.current().unwrap(), None, "deleting the last opened one falls back to the demo");
    c.set_current(None).unwrap();
    assert_eq!(c.remove("d2"), Err(CatalogError::NoSuchDataset("d2".into())));
}

#[test]
fn the_catalog_survives_reopening_its_file() {
    let dir = crate::common::temp_dir("catalog");
    let path = dir.join("catalog.sqlite");
    {
        let c = Catalog::open(Connection::open(&path).unwrap()).unwrap();
        c.add("kept", StoredKind::Import, "2026-12-01T09:00:00Z", 5, &[]).unwrap();
        c.set_current(Some("d1")).unwrap();
    }
    let c = Catalog::open(Connection::open(&path).unwrap()).unwrap();
    assert_eq!(c.current().unwrap().as_deref(), Some("d1"));
    assert_eq!(c.get("d1").unwrap().added, "2026-12-01T09:00:00Z");
}

#[test]
fn budgets_are_kept_per_dataset_and_go_with_it() {
    let dir = crate::common::temp_dir("catalog-budgets");
    let path = dir.join("catalog.sqlite");
    let finance = Budget { name: "Finance".into(), scope: BudgetScope::Tag, value: "team=Finance".into(), monthly_usd: 2_500.0 };
    let all = Budget { name: "All".into(), scope: BudgetScope::All, value: String::new(), monthly_usd: 90_000.0 };
    {
        let c = Catalog::open(Connection::open(&path).unwrap()).unwrap();
        c.add("a", StoredKind::Import, "t", 1, &[]).unwrap();
        assert_eq!(c.budgets("d1").unwrap(), vec![], "none until set");
        c.set_budgets("d1", std::slice::from_ref(&finance)).unwrap();
        c.set_budgets(SITE_DATA, &[all.clone(), finance.clone()]).unwrap();
    }
    // Kept across reopening, each dataset its own …
    let c = Catalog::open(Connection::open(&path).unwrap()).unwrap();
    assert_eq!(c.budgets("d1").unwrap(), vec![finance.clone()]);
    assert_eq!(c.budgets(SITE_DATA).unwrap(), vec![all.clone(), finance]);
    // … an empty list clears them, and a deleted dataset takes its budgets along.
    c.set_budgets(SITE_DATA, &[]).unwrap();
    assert_eq!(c.budgets(SITE_DATA).unwrap(), vec![]);
    c.remove("d1").unwrap();
    let left: i64 = Connection::open(&path).unwrap().query_row("SELECT COUNT(*) FROM budget_file", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0);
}

/// The seeded demo as a database file on disk, as the browser's copy would be.
fn seeded_file(name: &str, extra_sql: &str) -> (std::path::PathBuf, Vec<u8>) {
    let mut conn = crate::common::seeded();
    conn.execute_batch(extra_sql).unwrap();
    let bytes = conn.serialize(MAIN_DB).unwrap().to_vec();
    let path = crate::common::temp_dir(name).join("copy.sqlite");
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

#[test]
fn a_file_opened_in_place_has_the_figures_of_its_bytes() {
    let trap = "CREATE TABLE trap(n INTEGER);
                CREATE TRIGGER on_usage AFTER INSERT ON compute_usage BEGIN INSERT INTO trap VALUES (1); END;
                UPDATE compute_usage SET total_cost = 9e999 WHERE rowid = 1;";
    let (path, bytes) = seeded_file("in-place", trap);
    let from_bytes = UsageDb::from_bytes(&bytes).unwrap();
    let in_place = UsageDb::from_copy(Connection::open(&path).unwrap(), bytes.len()).unwrap();
    assert_eq!(dataset_summary(in_place.conn()).unwrap(), dataset_summary(from_bytes.conn()).unwrap());
    let said = |db: &UsageDb| db.warnings().iter().map(|w| w.to_string()).collect::<Vec<_>>();
    assert_eq!(said(&in_place), said(&from_bytes));
    assert_eq!(said(&in_place).len(), 1, "{:?}", said(&in_place));
    drop(in_place);
    // The copy was changed by the checks (trigger gone, the infinite cost emptied), so a
    // reopen is clean and has the same figures; the warnings are the catalog's to keep.
    let reopened = UsageDb::reopen_copy(Connection::open(&path).unwrap(), bytes.len()).unwrap();
    assert!(reopened.warnings().is_empty());
    assert_eq!(dataset_summary(reopened.conn()).unwrap(), dataset_summary(from_bytes.conn()).unwrap());
    let triggers: i64 = reopened.conn().query_row("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger'", [], |r| r.get(0)).unwrap();
    assert_eq!(triggers, 0);
    let filters = usage_copilot::report::ReportFilters::data_range(reopened.conn()).unwrap();
    for report in &usage_copilot::report::registry().reports {
        let a = report.run(reopened.conn(), &filters, &Default::default()).unwrap();
        let b = report.run(from_bytes.conn(), &filters, &Default::default()).unwrap();
        assert_eq!(format!("{:?}", a.kpis), format!("{:?}", b.kpis), "{}", report.spec.key);
    }
}

#[test]
fn a_reopened_file_that_lost_its_schema_is_refused_with_the_message_of_a_bad_file() {
    let (path, bytes) = seeded_file("lost-schema", "DROP TABLE job_runs;");
    let err = UsageDb::reopen_copy(Connection::open(&path).unwrap(), bytes.len()).unwrap_err();
    assert_eq!(err.to_string(), UsageDb::from_bytes(&bytes).unwrap_err().to_string());
}
