//! The importer side of tests/spark/differential.py: imports raw system-table exports with the
//! library's `import_files` and prints every table of the resulting database, and the
//! ImportReport, as one JSON object on stdout. Not built by the workspace as it stands: copy it
//! to `examples/import_dump.rs` (or fold it into `copilot import`) and run
//!     cargo run --example import_dump -- FILE...
//! `usage_copilot::data::import` is the module path after the src/ restructuring
//! (`usage_copilot::import` before it).
use usage_copilot::data::import::import_files;
fn main() {
    let files: Vec<(String, Vec<u8>)> = std::env::args().skip(1).map(|p| (std::path::Path::new(&p).file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())).collect();
    let imported = import_files(&files).unwrap_or_else(|e| panic!("{e}"));
    let conn = imported.db.conn();
    let mut out = serde_json::Map::new();
    for table in ["workspace", "users_lookup", "instance_pools", "non_job_compute", "jobs", "job_runs", "compute_usage", "events", "eviction_details", "sql_query_history", "sku_prices", "job_run_spot"] {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
        let rows: Vec<serde_json::Value> = stmt.query_map([], |r| {
            let mut m = serde_json::Map::new();
            for (i, n) in names.iter().enumerate() {
                let v = match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => serde_json::Value::Null,
                    rusqlite::types::ValueRef::Integer(x) => serde_json::json!(x),
                    rusqlite::types::ValueRef::Real(x) => serde_json::json!(x),
                    rusqlite::types::ValueRef::Text(t) => serde_json::json!(String::from_utf8_lossy(t)),
                    rusqlite::types::ValueRef::Blob(_) => serde_json::json!("<blob>"),
                };
                m.insert(n.clone(), v);
            }
            Ok(serde_json::Value::Object(m))
        }).unwrap().map(|r| r.unwrap()).collect();
        out.insert(table.to_string(), serde_json::Value::Array(rows));
    }
    out.insert("report".into(), serde_json::to_value(&imported.report).unwrap());
    println!("{}", serde_json::Value::Object(out));
}
