//! The importer side of tests/spark/differential.py (run through tests/spark/import_dump.sh,
//! not by a plain `cargo test`): imports the export files named in `IMPORT_DUMP_FILES` (one
//! path a line) with the library's `import_files` and writes every table of the resulting
//! database, and the ImportReport, as one JSON object to the file `IMPORT_DUMP_OUT`.

use usage_copilot::data::import::import_files;

const TABLES: [&str; 12] = [
    "workspace",
    "users_lookup",
    "instance_pools",
    "non_job_compute",
    "jobs",
    "job_runs",
    "compute_usage",
    "events",
    "eviction_details",
    "sql_query_history",
    "sku_prices",
    "job_run_spot",
];

#[test]
#[ignore = "run by tests/spark/import_dump.sh for the differential check"]
fn dump_an_import() {
    let list = std::env::var("IMPORT_DUMP_FILES").expect("IMPORT_DUMP_FILES names the files, one a line");
    let out = std::env::var("IMPORT_DUMP_OUT").expect("IMPORT_DUMP_OUT names the output file");
    let files: Vec<(String, Vec<u8>)> = list
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|p| {
            let path = std::path::Path::new(p.trim());
            (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(path).unwrap_or_else(|e| panic!("{p}: {e}")))
        })
        .collect();
    let imported = import_files(&files).unwrap_or_else(|e| panic!("{e}"));
    let conn = imported.db.conn();
    let mut dump = serde_json::Map::new();
    for table in TABLES {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
        let rows: Vec<serde_json::Value> = stmt
            .query_map([], |r| {
                let mut row = serde_json::Map::new();
                for (i, n) in names.iter().enumerate() {
                    let v = match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => serde_json::Value::Null,
                        rusqlite::types::ValueRef::Integer(x) => serde_json::json!(x),
                        rusqlite::types::ValueRef::Real(x) => serde_json::json!(x),
                        rusqlite::types::ValueRef::Text(t) => serde_json::json!(String::from_utf8_lossy(t)),
                        rusqlite::types::ValueRef::Blob(_) => serde_json::json!("<blob>"),
                    };
                    row.insert(n.clone(), v);
                }
                Ok(serde_json::Value::Object(row))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        dump.insert(table.to_string(), serde_json::Value::Array(rows));
    }
    dump.insert("report".into(), serde_json::to_value(&imported.report).unwrap());
    std::fs::write(&out, serde_json::Value::Object(dump).to_string()).unwrap();
}
