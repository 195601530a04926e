//! Hardening of the importer: imports are idempotent (duplicates dropped by key), non-finite
//! numbers are malformed values, and every message names the line (never a byte offset),
//! duplicate header names, unterminated quotes and rows that end before they start.

use rusqlite::Connection;

use crate::import::{dump, good_files, import, Files};

/// The names of every table of an imported database but `import_report` (whose file list
/// legitimately differs between imports of differently named files).
pub(crate) fn tables(conn: &Connection) -> Vec<String> {
    crate::common::strings(conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'import_report' ORDER BY name")
}

/// Two imports hold the same rows in every table, and their reports the same gaps, table
/// dates and spot sources.
pub(crate) fn assert_same_database(a: &usage_copilot::data::import::Imported, b: &usage_copilot::data::import::Imported) {
    let (ta, tb) = (tables(a.db.conn()), tables(b.db.conn()));
    assert_eq!(ta, tb, "table lists differ");
    for table in &ta {
        assert_eq!(dump(b.db.conn(), table), dump(a.db.conn(), table), "table {table} differs");
    }
    assert_eq!(b.report.gaps, a.report.gaps, "gaps differ");
    assert_eq!(b.report.tables, a.report.tables, "table dates differ");
    assert_eq!(b.report.spot_sources, a.report.spot_sources, "spot sources differ");
}

/// The records of a CSV text (each with its line ending), split where no quote is open, so a
/// quoted field spanning lines stays in one record.
fn csv_records(text: &str) -> Vec<String> {
    let mut records = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in text.chars() {
        current.push(c);
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' if !in_quotes => records.push(std::mem::take(&mut current)),
            _ => {}
        }
    }
    if !current.is_empty() {
        records.push(current);
    }
    records
}

/// A file cut into two overlapping halves: records [0, ⅔) and [⅓, end), the CSV header in both.
fn overlapping_halves(name: &str, bytes: &[u8]) -> [(String, Vec<u8>); 2] {
    let text = std::str::from_utf8(bytes).unwrap();
    let (header, records): (String, Vec<String>) = if name.ends_with(".jsonl") {
        (String::new(), text.lines().map(|l| format!("{l}\n")).collect())
    } else {
        let mut all = csv_records(text);
        let header = all.remove(0);
        (header, all)
    };
    let n = records.len();
    let first: String = records[..(2 * n).div_ceil(3)].concat();
    let second: String = records[n / 3..].concat();
    let stem = name.rsplit_once('.').unwrap();
    [
        (format!("{}_a.{}", stem.0, stem.1), format!("{header}{first}").into_bytes()),
        (format!("{}_b.{}", stem.0, stem.1), format!("{header}{second}").into_bytes()),
    ]
}

#[test]
fn importing_an_export_twice_gives_the_same_database() {
    let once = import(&good_files());
    let mut twice = good_files();
    twice.extend(good_files().into_iter().map(|(n, b)| (format!("again_{n}"), b)));
    let again = import(&twice);
    assert_same_database(&once, &again);
}

#[test]
fn two_overlapping_exports_give_the_same_database() {
    let once = import(&good_files());
    let halves: Files = good_files().iter().flat_map(|(n, b)| overlapping_halves(n, b)).collect();
    let overlapping = import(&halves);
    assert_same_database(&once, &overlapping);
}

// ---------------------------------------------------------------------------------------------
// Editing one field of a CSV fixture.

/// The fields of one CSV record (quotes removed, doubled quotes undone).
fn fields(record: &str) -> Vec<String> {
    let record = record.trim_end_matches(['\n', '\r']);
    let (mut out, mut field, mut quoted, mut chars) = (Vec::new(), String::new(), false, record.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out
}

fn record(fields: &[String]) -> String {
    let quote = |f: &String| if f.contains([',', '"', '\n']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.clone() };
    format!("{}\n", fields.iter().map(quote).collect::<Vec<_>>().join(","))
}

/// `file` of the fixtures with `column` set to `value` on the given physical lines (records
/// that each fit on one line).
fn with_field(file: &str, edits: &[(usize, &str, &str)]) -> (String, Vec<u8>) {
    let (name, bytes) = good_files().into_iter().find(|(n, _)| n == file).unwrap();
    let mut records = csv_records(std::str::from_utf8(&bytes).unwrap());
    let header = fields(&records[0]);
    for (line, column, value) in edits {
        let i = header.iter().position(|h| h == column).unwrap_or_else(|| panic!("no column {column}"));
        let mut f = fields(&records[line - 1]);
        f[i] = value.to_string();
        records[line - 1] = record(&f);
    }
    (name, records.concat().into_bytes())
}

fn replace_file(files: &mut Files, file: (String, Vec<u8>)) {
    let slot = files.iter_mut().find(|(n, _)| *n == file.0).unwrap();
    *slot = file;
}

fn file_report<'a>(imported: &'a usage_copilot::data::import::Imported, name: &str) -> &'a usage_copilot::data::import::FileReport {
    imported.report.files.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{name} not in the report"))
}

#[test]
fn non_finite_numbers_are_malformed_values_named_by_line_and_column() {
    let mut files = good_files();
    replace_file(
        &mut files,
        with_field(
            "export_01.csv",
            &[(2, "usage_quantity", "NaN"), (3, "usage_quantity", "inf"), (4, "usage_quantity", "-inf"), (5, "usage_quantity", "1e400")],
        ),
    );
    let imported = import(&files);
    let f = file_report(&imported, "export_01.csv");
    let lines: Vec<usize> = f.malformed.iter().map(|m| m.line).collect();
    assert_eq!(lines, [2, 3, 4, 5], "{:?}", f.malformed);
    for m in &f.malformed {
        assert!(m.message.contains("usage_quantity"), "{m:?}");
    }
    assert_eq!((f.rows, f.imported), (28, 24));
    let g = &imported.report.gaps;
    assert!(g.total_cost.is_finite() && g.unpriced_dbus.is_finite(), "{g:?}");
    let cost: f64 = crate::common::real(imported.db.conn(), "SELECT SUM(total_cost) FROM compute_usage");
    assert!(cost.is_finite(), "{cost}");
}

#[test]
fn a_cost_that_overflows_is_a_malformed_row() {
    let mut files = good_files();
    replace_file(&mut files, with_field("export_01.csv", &[(2, "sku_name", "PREMIUM_OVERFLOW"), (2, "usage_quantity", "1e10")]));
    let price = r#"{"sku_name":"PREMIUM_OVERFLOW","cloud":"AWS","price_start_time":"2023-06-01T00:00:00.000Z","price_end_time":null,"pricing":{"default":"1e300"}}"#;
    files.push(("prices_overflow.jsonl".to_string(), format!("{price}\n").into_bytes()));
    let imported = import(&files);
    let f = file_report(&imported, "export_01.csv");
    assert_eq!(f.malformed.iter().map(|m| m.line).collect::<Vec<_>>(), [2], "{:?}", f.malformed);
    assert!(f.malformed[0].message.contains("usage_quantity"), "{:?}", f.malformed);
    assert!(imported.report.gaps.total_cost.is_finite(), "{:?}", imported.report.gaps);
    let conn = imported.db.conn();
    assert_eq!(crate::common::int(conn, "SELECT COUNT(*) FROM compute_usage WHERE compute_sku = 'PREMIUM_OVERFLOW'"), 0);
    assert!(crate::common::real(conn, "SELECT SUM(total_cost) FROM compute_usage").is_finite());
}

#[test]
fn a_file_that_is_not_utf8_names_the_line_not_a_byte_offset() {
    let mut files = good_files();
    let (name, mut bytes) = files.iter().find(|(n, _)| n == "export_01.csv").cloned().unwrap();
    // The first byte of line 5.
    let at = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(3).unwrap().0 + 1;
    bytes.insert(at, 0xff);
    replace_file(&mut files, (name, bytes));
    let imported = import(&files);
    let error = file_report(&imported, "export_01.csv").error.clone().expect("the file is refused");
    assert!(error.contains("line 5"), "{error}");
    assert!(!error.contains("index"), "{error}");
}

#[test]
fn invalid_json_names_the_file_line_not_the_line_inside_the_line() {
    let mut files = good_files();
    let (name, bytes) = files.iter().find(|(n, _)| n == "export_05.jsonl").cloned().unwrap();
    let mut lines: Vec<String> = std::str::from_utf8(&bytes).unwrap().lines().map(str::to_string).collect();
    lines[2] = r#"{"job_id": , "run_id": "1"}"#.to_string();
    replace_file(&mut files, (name, (lines.join("\n") + "\n").into_bytes()));
    let imported = import(&files);
    let f = file_report(&imported, "export_05.jsonl");
    assert_eq!(f.malformed.iter().map(|m| m.line).collect::<Vec<_>>(), [3], "{:?}", f.malformed);
    assert!(!f.malformed[0].message.contains("line 1"), "{:?}", f.malformed);
}

#[test]
fn a_duplicate_header_name_refuses_the_file_and_names_both_positions() {
    let mut files = good_files();
    let (name, bytes) = files.iter().find(|(n, _)| n == "export_01.csv").cloned().unwrap();
    let text = String::from_utf8(bytes).unwrap().replacen(",usage_unit,", ",usage_quantity,", 1);
    replace_file(&mut files, (name, text.into_bytes()));
    let imported = import(&files);
    let f = file_report(&imported, "export_01.csv");
    assert_eq!(f.imported, 0);
    let error = f.error.clone().expect("the file is refused");
    assert!(error.contains("usage_quantity") && error.contains("10") && error.contains("11"), "{error}");
}

#[test]
fn an_unterminated_quote_names_the_line_where_the_field_started() {
    let mut files = good_files();
    let (name, bytes) = files.iter().find(|(n, _)| n == "export_04.csv").cloned().unwrap();
    let mut text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), 18);
    // A record on line 19 whose run_name spans lines 19–20; on line 20 compute_ids opens a quote
    // that never closes.
    text.push_str("acct,3141592653589793,1004,8100,2025-11-26T10:00:00.000+00:00,2025-11-26T10:30:00.000+00:00,ONETIME,JOB_RUN,\"backfill\npart 3\",\"[\"\"c1\"\"]\n");
    replace_file(&mut files, (name, text.into_bytes()));
    let imported = import(&files);
    let f = file_report(&imported, "export_04.csv");
    assert_eq!(f.malformed.len(), 1, "{:?}", f.malformed);
    let m = &f.malformed[0];
    assert!(m.line == 20 || m.message.contains("line 20"), "{m:?}");
    assert_eq!(f.imported, 17);
}

#[test]
fn a_row_that_ends_before_it_starts_is_malformed() {
    let mut files = good_files();
    replace_file(
        &mut files,
        with_field(
            "export_01.csv",
            &[(2, "usage_start_time", "2025-11-03T02:00:00.000+00:00"), (2, "usage_end_time", "2025-11-03T01:00:00.000+00:00")],
        ),
    );
    let imported = import(&files);
    let f = file_report(&imported, "export_01.csv");
    assert_eq!(f.malformed.iter().map(|m| m.line).collect::<Vec<_>>(), [2], "{:?}", f.malformed);
    assert!(f.malformed[0].message.contains("usage_end_time"), "{:?}", f.malformed);
}

// ---------------------------------------------------------------------------------------------
// Found while writing the extraction SQL (sql/extract/): pools, prices per cloud, row order.

#[test]
fn a_run_on_an_instance_pool_imports() {
    let mut files = good_files();
    // Run 5001's job cluster draws its workers from a pool.
    let (name, bytes) = files.iter().find(|(n, _)| n == "export_06.csv").cloned().unwrap();
    let mut records = csv_records(std::str::from_utf8(&bytes).unwrap());
    let header = fields(&records[0]);
    let (id, pool) =
        (header.iter().position(|h| h == "cluster_id").unwrap(), header.iter().position(|h| h == "worker_instance_pool_id").unwrap());
    for r in records.iter_mut().skip(1) {
        let mut f = fields(r);
        if f[id] == "1103-010002-orders01" {
            f[pool] = "pool-i3".to_string();
            *r = record(&f);
        }
    }
    replace_file(&mut files, (name, records.concat().into_bytes()));
    let imported = import_files_or_panic(&files);
    let conn = imported.db.conn();
    assert_eq!(
        crate::common::strings(conn, "SELECT instance_pool_id || ' ' || pool_instance_type FROM instance_pools"),
        ["pool-i3 i3.xlarge"]
    );
    assert_eq!(crate::common::strings(conn, "SELECT instance_pool_id FROM job_runs WHERE job_run_id = '5001'"), ["pool-i3"]);
}

fn import_files_or_panic(files: &Files) -> usage_copilot::data::import::Imported {
    usage_copilot::data::import::import_files(files).unwrap_or_else(|e| panic!("import failed: {e}"))
}

#[test]
fn prices_of_every_cloud_are_kept() {
    let imported = import(&good_files());
    let prices = crate::common::strings(
        imported.db.conn(),
        "SELECT printf('%.2f', usd_per_dbu) FROM sku_prices WHERE compute_sku = 'PREMIUM_JOBS_COMPUTE' AND price_start_date = '2023-06-01 00:00:00' ORDER BY 1",
    );
    assert_eq!(prices, ["0.15", "0.30"]);
}

/// Every file with its records in reverse order (the CSV header first).
fn reversed(files: &Files) -> Files {
    files
        .iter()
        .map(|(name, bytes)| {
            let text = std::str::from_utf8(bytes).unwrap();
            let mut records: Vec<String> =
                if name.ends_with(".jsonl") { text.lines().map(|l| format!("{l}\n")).collect() } else { csv_records(text) };
            let header = if name.ends_with(".jsonl") { String::new() } else { records.remove(0) };
            records.reverse();
            (name.clone(), format!("{header}{}", records.concat()).into_bytes())
        })
        .collect()
}

#[test]
fn rows_in_another_order_give_the_same_database() {
    let forward = import(&good_files());
    let backward = import(&reversed(&good_files()));
    assert_same_database(&forward, &backward);
    assert_eq!(
        crate::common::strings(backward.db.conn(), "SELECT worker_instance_type FROM job_runs WHERE job_run_id = '5001'"),
        ["i3.xlarge"]
    );
}

#[test]
fn where_a_group_has_several_values_the_smallest_is_kept() {
    // Two usage rows of run 5001 on 2025-11-03 name different clusters and node types; a job
    // is billed under two names; the same user runs statements in two workspaces.
    let mut files = good_files();
    replace_file(
        &mut files,
        with_field(
            "export_01.csv",
            &[(
                2,
                "usage_metadata",
                r#"{"cluster_id":"zz-cluster","job_id":"1001","job_run_id":"5001","job_name":"zz_name","node_type":"zz.large"}"#,
            )],
        ),
    );
    for files in [files.clone(), reversed(&files)] {
        let imported = import(&files);
        let conn = imported.db.conn();
        assert_eq!(
            crate::common::strings(conn, "SELECT cluster_id || ' ' || cluster_instance_type FROM compute_usage WHERE parent_id = '5001'"),
            ["1103-010002-orders01 i3.xlarge"]
        );
    }
}

#[test]
fn duplicates_are_counted_per_file_and_shown() {
    let mut twice = good_files();
    twice.extend(good_files().into_iter().map(|(n, b)| (format!("again_{n}"), b)));
    let imported = import(&twice);
    for (name, _) in good_files() {
        let (a, b) = (file_report(&imported, &name), file_report(&imported, &format!("again_{name}")));
        // The copy read first (by name) is imported; every row of the other is a duplicate.
        assert_eq!((b.imported, b.duplicates), (b.rows, 0), "{name}");
        assert_eq!((a.imported, a.duplicates), (0, a.rows), "{name}");
    }
    assert_eq!(imported.report.duplicates(), 161);
    assert!(
        imported.report.to_text().contains("export_01.csv: system.billing.usage (csv), 0 of 28 rows imported, 28 duplicate rows dropped\n"),
        "{}",
        imported.report.to_text()
    );

    // Overlapping halves: the rows both halves hold are dropped from the second.
    let halves: Files = good_files().iter().flat_map(|(n, b)| overlapping_halves(n, b)).collect();
    let imported = import(&halves);
    let (a, b) = (file_report(&imported, "export_01_a.csv"), file_report(&imported, "export_01_b.csv"));
    assert_eq!((a.rows, a.imported, a.duplicates), (19, 19, 0));
    assert_eq!((b.rows, b.imported, b.duplicates), (19, 9, 10));
}

#[test]
fn messages_name_the_file_the_line_and_the_column() {
    let mut files = good_files();
    replace_file(&mut files, with_field("export_01.csv", &[(2, "usage_quantity", "NaN"), (3, "usage_start_time", "soon")]));
    let imported = import(&files);
    let f = file_report(&imported, "export_01.csv");
    assert_eq!(
        f.messages(),
        [
            "export_01.csv, line 2: usage_quantity \"NaN\" is not a finite number.",
            "export_01.csv, line 3: usage_start_time \"soon\" is not a timestamp."
        ]
    );
    assert_eq!(f.malformed.iter().map(|m| m.column.as_deref()).collect::<Vec<_>>(), [Some("usage_quantity"), Some("usage_start_time")]);
    assert!(imported.report.to_text().contains("  export_01.csv, line 2: usage_quantity \"NaN\" is not a finite number.\n"));
}

#[test]
fn a_billing_record_given_twice_keeps_its_latest_ingestion() {
    // Record b001 (4 DBU, ingested 2025-11-03) comes again in a later export: 6 DBU, ingested 2025-11-05.
    let (_, edited) = with_field("export_01.csv", &[(2, "usage_quantity", "6"), (2, "ingestion_date", "2025-11-05")]);
    let records = csv_records(std::str::from_utf8(&edited).unwrap());
    let later = format!("{}{}", records[0], records[1]).into_bytes();
    for name in ["a_later.csv", "z_later.csv"] {
        let mut files = good_files();
        files.push((name.to_string(), later.clone()));
        let imported = import(&files);
        // 4 + 4 + 2 − 4 + 5 with b001 at 6 instead of 4.
        let dbus = crate::common::real(imported.db.conn(), "SELECT SUM(dbus_consumed) FROM compute_usage WHERE parent_id = '5001'");
        assert_eq!(dbus, 13.0, "{name}");
        assert_eq!((file_report(&imported, "export_01.csv").duplicates, file_report(&imported, name).duplicates), (1, 0), "{name}");
    }
}
