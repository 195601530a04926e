//! Report results as the CLI and the download button emit them: JSON
//! (`{"report", "filters", "params", "kpis", "rows"}`) and CSV, figures rounded by unit.

use serde_json::{json, Map, Value as Json};

use super::dataset::{Dataset, Value};
use super::engine::ReportResult;
use super::spec::{ReportSpec, Unit};

/// Rounds half away from zero to `decimals` places.
pub fn round_to(x: f64, decimals: u32) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (x * f).round() / f
}

/// A value as exported: numbers rounded to their unit's precision.
pub fn export_value(value: &Value, unit: Unit) -> Value {
    match (value, unit.decimals()) {
        (Value::Real(x), Some(0)) => Value::Int(x.round() as i64),
        (Value::Real(x), Some(d)) => Value::Real(round_to(*x, d)),
        _ => value.clone(),
    }
}

fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).expect("values serialise")
}

fn rows_json(spec: &ReportSpec, data: &Dataset) -> Vec<Json> {
    (0..data.len())
        .map(|i| {
            let mut obj = Map::new();
            for (c, name) in data.columns.iter().enumerate() {
                obj.insert(name.clone(), to_json(&export_value(data.cell(i, c), spec.unit_of(name))));
            }
            Json::Object(obj)
        })
        .collect()
}

/// The JSON document `copilot report --format json` prints.
pub fn report_json(spec: &ReportSpec, result: &ReportResult) -> Json {
    let kpis: Map<String, Json> = result.kpis.iter().map(|k| (k.name.clone(), to_json(&export_value(&k.value, k.unit)))).collect();
    // Numeric params as numbers, text params as strings, in one object by name.
    let mut params: Map<String, Json> = result.params.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    params.extend(result.text_params.iter().map(|(k, v)| (k.clone(), json!(v))));
    json!({
        "report": result.key,
        "filters": {
            "from": result.filters.from.to_string(),
            "to": result.filters.to.to_string(),
            "workspace": result.filters.workspace,
        },
        "params": params,
        "kpis": kpis,
        "rows": rows_json(spec, result.rows()),
    })
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// CSV (RFC 4180) of `columns` of a dataset (all columns when empty), with a header row
/// of column names and figures rounded by unit.
pub fn dataset_csv(spec: &ReportSpec, data: &Dataset, columns: &[String]) -> String {
    let cols: Vec<&String> = if columns.is_empty() { data.columns.iter().collect() } else { columns.iter().collect() };
    let mut out = String::new();
    out.push_str(&cols.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for i in 0..data.len() {
        let line: Vec<String> = cols.iter().map(|c| csv_field(&export_value(data.get(i, c), spec.unit_of(c)).to_string())).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::approx_constant)] // -3.14159 is a z-score that happens to look like π
    fn rounds_by_unit_and_quotes_csv() {
        assert_eq!(export_value(&Value::Real(12.345), Unit::Usd), Value::Real(12.35));
        assert_eq!(export_value(&Value::Real(-3.14159), Unit::Zscore), Value::Real(-3.14));
        assert_eq!(export_value(&Value::Real(7.0), Unit::Count), Value::Int(7));
        assert_eq!(export_value(&Value::Text("x".into()), Unit::Usd), Value::Text("x".into()));
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
