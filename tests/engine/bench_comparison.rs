//! bench/comparison.json, the figures `make bench` recorded (bench/duckdb.mjs) and the
//! #/bench page shows: it parses into `app::bench::Comparison`, holds each question on the
//! seeded database, and the ratios the page prints are the recorded medians divided.

use usage_copilot::app::bench::recorded_comparison;

#[test]
fn the_recorded_comparison_holds_every_question_and_its_ratios_divide_the_medians() {
    let comparison = recorded_comparison().expect("bench/comparison.json parses");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/comparison.json");
    let raw: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON");
    let raw_rows = raw["rows"].as_array().expect("rows");
    assert_eq!(comparison.rows.len(), raw_rows.len());
    for question in ["job cost per job", "cost per compute type per day", "top anomalies", "loading the rows"] {
        assert!(comparison.rows.iter().any(|r| r.db == "seeded" && r.question == question), "no seeded row for {question:?}");
    }
    for (row, raw) in comparison.rows.iter().zip(raw_rows) {
        let (app, duckdb, native) =
            (raw["app_ms"].as_f64().unwrap(), raw["duckdb_ms"].as_f64().unwrap(), raw["native_ms"].as_f64().unwrap());
        assert!(app > 0.0 && duckdb > 0.0 && native > 0.0, "a median of 0 ms cannot be divided: {raw}");
        assert_eq!(row.app_per_duckdb(), app / duckdb);
        assert_eq!(row.app_per_native(), app / native);
    }
    assert_eq!(comparison.memory.len(), comparison.page.reports.len(), "one memory peak and one page run per database");
}
