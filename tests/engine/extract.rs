//! The pre-aggregated extracts of `sql/extract/`: the Spark run over the system-table
//! fixtures writes twelve CSV files (committed in tests/fixtures/system-tables-extracted/;
//! `tests/spark/run.sh` checks that a fresh run reproduces them byte for byte), and they
//! import into exactly the database the raw fixtures give. So the Spark test proves the SQL,
//! this one the importer, and together: the figures of EXPECTED.md from the extracts.

use usage_copilot::data::import::{import_files, ExtractKind, ImportError};

use crate::hardening_import::assert_same_database;
use crate::import::{good_files, import, read_files, Files};

fn extracted() -> Files {
    read_files("system-tables-extracted")
}

#[test]
fn every_extract_is_recognised_by_its_header() {
    let imported = import(&extracted());
    assert_eq!(imported.report.files.len(), 12);
    for f in &imported.report.files {
        let kind = f.extract.unwrap_or_else(|| panic!("{} not recognised: {:?}", f.name, f.messages()));
        assert_eq!(format!("{}.csv", kind.name()), f.name);
        assert_eq!(f.table, None, "{}", f.name);
        assert!(f.malformed.is_empty(), "{}: {:?}", f.name, f.malformed);
        assert_eq!((f.imported, f.duplicates), (f.rows, 0), "{}", f.name);
    }
    assert!(imported.report.missing_extracts.is_empty());
    assert!(imported.report.to_text().contains("usage_daily.csv: pre-aggregated extract usage_daily (csv), 15 of 15 rows imported\n"));
}

#[test]
fn the_extracts_import_into_the_same_database_as_the_raw_exports() {
    let raw = import(&good_files());
    let from_extracts = import(&extracted());
    assert_same_database(&raw, &from_extracts);
    // The stored report differs only in its file list.
    let without_files = |imported: &usage_copilot::data::import::Imported| {
        let mut json = serde_json::to_value(&imported.report).unwrap();
        json.as_object_mut().unwrap().remove("files");
        json
    };
    assert_eq!(without_files(&from_extracts), without_files(&raw));
    // The figures of EXPECTED.md, through the report page's own facts.
    let g = &from_extracts.report.gaps;
    assert_eq!((g.total_cost, g.unattributed_cost, g.attributable_by_tasks_cost, g.evictions), (25.7, 16.7, 3.0, 1));
}

#[test]
fn extracts_imported_twice_give_the_same_database() {
    let once = import(&extracted());
    let mut twice = extracted();
    twice.extend(extracted().into_iter().map(|(n, b)| (format!("again_{n}"), b)));
    let again = import(&twice);
    assert_same_database(&once, &again);
    assert_eq!(again.report.duplicates(), once.report.files.iter().map(|f| f.rows).sum::<usize>());
}

#[test]
fn raw_exports_and_extracts_are_not_imported_together() {
    let mut files = good_files();
    files.extend(extracted().into_iter().filter(|(n, _)| n == "usage_daily.csv"));
    match import_files(&files) {
        Err(e @ ImportError::Mixed { .. }) => {
            let text = e.to_string();
            assert!(text.contains("export_01.csv") && text.contains("(usage_daily.csv)"), "{text}");
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a mixed import was accepted"),
    }
}

#[test]
fn an_incomplete_extract_set_imports_and_says_what_is_missing() {
    // Without jobs, users and workspaces: runs, statements and compute still refer to them.
    let files: Files =
        extracted().into_iter().filter(|(n, _)| !["jobs.csv", "users.csv", "workspaces.csv"].contains(&n.as_str())).collect();
    let imported = import(&files);
    assert_eq!(imported.report.missing_extracts, [ExtractKind::Jobs, ExtractKind::Users, ExtractKind::Workspaces]);
    assert!(imported.report.to_text().contains("pre-aggregated extracts missing (their tables stay empty): jobs, users, workspaces\n"));
    let conn = imported.db.conn();
    assert_eq!(crate::common::strings(conn, "SELECT job_name FROM jobs WHERE job_id = '1001'"), ["Job 1001"]);
    assert_eq!(crate::common::strings(conn, "SELECT workspace_name FROM workspace"), ["Workspace 3141592653589793"]);
    assert_eq!(crate::common::int(conn, "SELECT COUNT(*) FROM users_lookup"), 2);
}

#[test]
fn an_extract_without_a_column_names_the_closest_extract_and_what_it_lacks() {
    let mut files = extracted();
    let (_, bytes) = files.iter_mut().find(|(n, _)| n == "job_runs.csv").unwrap();
    *bytes = String::from_utf8(bytes.clone()).unwrap().replacen(",spot_ratio,", ",spot_share,", 1).into_bytes();
    let imported = import(&files);
    let f = imported.report.files.iter().find(|f| f.name == "job_runs.csv").unwrap();
    assert_eq!((f.extract, f.closest_extract, f.table, f.closest), (None, Some(ExtractKind::JobRuns), None, None));
    assert_eq!(f.missing_columns, ["spot_ratio"]);
    assert_eq!(
        f.messages(),
        ["job_runs.csv: matches no known table; the closest is pre-aggregated extract job_runs but the file lacks spot_ratio."]
    );
    assert_eq!(imported.report.missing_extracts, [ExtractKind::JobRuns]);
}

#[test]
fn a_malformed_extract_row_is_named_by_line_and_column() {
    let mut files = extracted();
    let (_, bytes) = files.iter_mut().find(|(n, _)| n == "usage_daily.csv").unwrap();
    *bytes = String::from_utf8(bytes.clone())
        .unwrap()
        .replacen(",4.0,2.0,", ",4.0,inf,", 1)
        .replacen("JOB_RUN,5002", "JOB_RUNS,5002", 1)
        .into_bytes();
    let imported = import(&files);
    let f = imported.report.files.iter().find(|f| f.name == "usage_daily.csv").unwrap();
    assert_eq!(
        f.messages(),
        [
            "usage_daily.csv, line 2: total_cost \"inf\" is not a finite number.",
            "usage_daily.csv, line 6: parent_type \"JOB_RUNS\" is not one of JOB_RUN, SQL_WAREHOUSE, APC_CLUSTER."
        ]
    );
    assert_eq!((f.rows, f.imported), (15, 13));
}
