//! Reading one exported file: CSV or JSON Lines into rows of JSON values (nested struct,
//! map and array columns parsed once), recognising which system table it is by its
//! columns, and reading fields whether nested (`usage_metadata` as an object or JSON text)
//! or flattened (`usage_metadata.job_id` or `usage_metadata_job_id` columns).

use std::collections::HashMap;

use serde_json::Value;

use super::csv;
use crate::base::vocab::SystemTable;

/// A row that could not be read, with its physical line (the CSV header is line 1).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Malformed {
    pub line: usize,
    pub message: String,
}

/// One exported file: its format and columns, read row by row (a large export is never
/// held in memory as parsed rows).
pub struct SourceFile<'a> {
    pub format: &'static str,
    pub columns: Vec<String>,
    index: HashMap<String, usize>,
    text: &'a str,
}

/// One row: CSV cells aligned to the columns, or a JSON object.
pub enum Row {
    Cells(Vec<Value>),
    Object(serde_json::Map<String, Value>),
}

/// Parses a CSV cell: JSON text for nested columns, otherwise the string itself.
fn cell(text: String) -> Value {
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            return v;
        }
    }
    Value::String(text)
}

/// How many JSON Lines rows are read to learn the columns.
const JSON_SAMPLE_LINES: usize = 1000;

impl<'a> SourceFile<'a> {
    /// Reads the columns of `bytes`: JSON Lines when the first non-blank character is `{`
    /// (columns = keys of the first rows), else CSV (columns = the header).
    pub fn read(bytes: &'a [u8]) -> Result<SourceFile<'a>, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("the file is not UTF-8 text ({e})"))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (format, columns) = match text.trim_start().chars().next() {
            None => return Err("the file is empty".to_string()),
            Some('{') => {
                let mut columns: Vec<String> = Vec::new();
                for line in text.lines().filter(|l| !l.trim().is_empty()).take(JSON_SAMPLE_LINES) {
                    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(line) {
                        for key in map.keys() {
                            if !columns.contains(key) {
                                columns.push(key.clone());
                            }
                        }
                    }
                }
                ("jsonl", columns)
            }
            Some(_) => match csv::records(text).next() {
                Some(Ok(header)) => ("csv", header.fields.into_iter().map(|f| f.trim().to_string()).collect()),
                Some(Err(b)) => return Err(format!("line {}: {}", b.line, b.message)),
                None => return Err("the file is empty".to_string()),
            },
        };
        let index = columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
        Ok(SourceFile { format, columns, index, text })
    }

    /// Calls `f` with every row and its physical line; returns the rows that could not be
    /// read. `f` returns an error message for a row it rejects.
    pub fn for_each_row(&self, mut f: impl FnMut(&Row) -> Result<(), String>) -> (usize, Vec<Malformed>) {
        let mut malformed = Vec::new();
        let mut rows = 0;
        let mut check = |line: usize, row: Row, malformed: &mut Vec<Malformed>| {
            if let Err(message) = f(&row) {
                malformed.push(Malformed { line, message });
            }
        };
        if self.format == "jsonl" {
            for (i, line) in self.text.lines().enumerate() {
                let line_no = i + 1;
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                rows += 1;
                match serde_json::from_str::<Value>(line) {
                    Ok(Value::Object(map)) => {
                        let map = map.into_iter().map(|(k, v)| (k, if let Value::String(s) = v { cell(s) } else { v })).collect();
                        check(line_no, Row::Object(map), &mut malformed);
                    }
                    Ok(_) => malformed.push(Malformed { line: line_no, message: "not a JSON object".to_string() }),
                    Err(e) => malformed.push(Malformed { line: line_no, message: format!("invalid JSON: {e}") }),
                }
            }
        } else {
            for record in csv::records(self.text).skip(1) {
                rows += 1;
                match record {
                    Ok(r) if r.fields.len() != self.columns.len() => malformed.push(Malformed {
                        line: r.line,
                        message: format!("{} fields where the header has {}", r.fields.len(), self.columns.len()),
                    }),
                    Ok(r) => check(r.line, Row::Cells(r.fields.into_iter().map(cell).collect()), &mut malformed),
                    Err(b) => malformed.push(Malformed { line: b.line, message: b.message }),
                }
            }
        }
        (rows, malformed)
    }

    /// Whether the file has `column`, directly or, for a struct column, flattened
    /// (`usage_metadata.job_id` or `usage_metadata_job_id`).
    pub fn has(&self, column: &str) -> bool {
        if self.index.contains_key(column) {
            return true;
        }
        let dotted = format!("{column}.");
        let underscored = format!("{column}_");
        STRUCT_COLUMNS.contains(&column) && self.columns.iter().any(|c| c.starts_with(&dotted) || c.starts_with(&underscored))
    }

    fn column<'r>(&self, row: &'r Row, name: &str) -> Option<&'r Value> {
        match row {
            Row::Cells(cells) => self.index.get(name).map(|&i| &cells[i]),
            Row::Object(map) => map.get(name),
        }
    }

    /// The value at `path` ("a" or "a.b.c") in `row`: a flattened column first, then the
    /// nested value.
    pub fn get<'r>(&self, row: &'r Row, path: &str) -> Option<&'r Value> {
        if let Some(v) = self.column(row, path) {
            return non_null(v);
        }
        if path.contains('.') {
            if let Some(v) = self.column(row, &path.replace('.', "_")) {
                return non_null(v);
            }
        }
        let mut parts = path.split('.');
        let mut value = self.column(row, parts.next()?)?;
        for part in parts {
            value = value.as_object()?.get(part)?;
        }
        non_null(value)
    }

    pub fn text(&self, row: &Row, path: &str) -> Option<String> {
        match self.get(row, path)? {
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty() && s != "null" && s != "NULL"),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        }
    }

    pub fn number(&self, row: &Row, path: &str) -> Result<Option<f64>, String> {
        match self.get(row, path) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse::<f64>().map(Some).map_err(|_| format!("{path} {s:?} is not a number")),
            Some(other) => Err(format!("{path} {other} is not a number")),
        }
    }

    /// A timestamp as Unix seconds (UTC).
    pub fn instant(&self, row: &Row, path: &str) -> Result<Option<i64>, String> {
        match self.text(row, path) {
            None => Ok(None),
            Some(t) => parse_instant(&t).map(Some).ok_or_else(|| format!("{path} {t:?} is not a timestamp")),
        }
    }

    /// Strings of an array column (JSON array, or a single value).
    pub fn list(&self, row: &Row, path: &str) -> Vec<String> {
        match self.get(row, path) {
            Some(Value::Array(items)) => {
                items.iter().filter_map(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string()))).collect()
            }
            Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_string()],
            _ => Vec::new(),
        }
    }

    /// A map column as sorted `key=value` strings (empty for null or `{}`).
    pub fn tags(&self, row: &Row, path: &str) -> Vec<String> {
        let mut out: Vec<String> = match self.get(row, path) {
            Some(Value::Object(map)) => {
                map.iter().map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect()
            }
            _ => Vec::new(),
        };
        out.sort();
        out
    }
}

fn non_null(v: &Value) -> Option<&Value> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        other => Some(other),
    }
}

/// Parses `2025-11-03T01:00:00.000+00:00`, `2025-11-03 01:00:00`, `...Z`, `...+0100` or a
/// bare date into Unix seconds, UTC.
pub fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.len() == 10 {
        return crate::base::calendar::Date::parse(text).map(|d| d.at_midnight().unix_seconds());
    }
    let base = crate::base::calendar::Timestamp::parse(text)?.unix_seconds();
    let mut rest = &text[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.chars().take_while(|c| c.is_ascii_digit()).count();
        rest = &r[digits..];
    }
    let offset = match rest {
        "" | "Z" | "z" | " UTC" | "UTC" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| c.is_ascii_digit()).collect();
            if digits.len() != 4 {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    Some(base - offset)
}

/// Columns that are structs in the system tables and may arrive flattened.
const STRUCT_COLUMNS: &[&str] = &["usage_metadata", "pricing", "compute", "product_features", "identity_metadata", "aws_attributes"];

/// A known system table: its name, the columns that identify it, and columns it must not have.
pub struct Signature {
    pub table: SystemTable,
    pub required: &'static [&'static str],
    pub forbidden: &'static [&'static str],
}

pub const SIGNATURES: &[Signature] = &[
    Signature {
        table: SystemTable::BillingUsage,
        required: &["sku_name", "usage_quantity", "usage_start_time", "usage_end_time", "usage_metadata"],
        forbidden: &[],
    },
    Signature { table: SystemTable::ListPrices, required: &["sku_name", "price_start_time", "pricing"], forbidden: &[] },
    Signature { table: SystemTable::Jobs, required: &["job_id", "name", "change_time"], forbidden: &[] },
    Signature {
        table: SystemTable::JobRunTimeline,
        required: &["job_id", "run_id", "period_start_time", "period_end_time", "result_state"],
        forbidden: &["task_key"],
    },
    Signature {
        table: SystemTable::JobTaskRunTimeline,
        required: &["job_id", "run_id", "job_run_id", "task_key", "period_start_time", "period_end_time", "compute_ids"],
        forbidden: &[],
    },
    Signature { table: SystemTable::Clusters, required: &["cluster_id", "cluster_name", "change_time", "cluster_source"], forbidden: &[] },
    Signature {
        table: SystemTable::NodeTimeline,
        required: &["cluster_id", "instance_id", "start_time", "end_time", "driver"],
        forbidden: &[],
    },
    Signature {
        table: SystemTable::InstanceEvents,
        required: &["instance_id", "event_time", "availability_type", "state"],
        forbidden: &[],
    },
    Signature {
        table: SystemTable::Warehouses,
        required: &["warehouse_id", "warehouse_name", "warehouse_size", "change_time"],
        forbidden: &[],
    },
    Signature {
        table: SystemTable::QueryHistory,
        required: &["statement_id", "execution_status", "start_time", "compute"],
        forbidden: &[],
    },
];

/// Which table a file is: `Ok(table)`, or `Err((closest table, its missing columns))`.
pub fn recognise(file: &SourceFile<'_>) -> Result<SystemTable, (SystemTable, Vec<String>)> {
    let mut best: Option<(&Signature, usize)> = None;
    let mut closest: Option<(&Signature, usize)> = None;
    for sig in SIGNATURES {
        let present = sig.required.iter().filter(|c| file.has(c)).count();
        let excluded = sig.forbidden.iter().any(|c| file.has(c));
        if present == sig.required.len() && !excluded {
            if best.is_none_or(|(b, _)| sig.required.len() > b.required.len()) {
                best = Some((sig, present));
            }
        } else if closest.is_none_or(|(c, p)| present * c.required.len() > p * sig.required.len()) {
            closest = Some((sig, present));
        }
    }
    match (best, closest) {
        (Some((sig, _)), _) => Ok(sig.table),
        (None, Some((sig, _))) => Err((sig.table, sig.required.iter().filter(|c| !file.has(c)).map(|c| c.to_string()).collect())),
        (None, None) => unreachable!("there are signatures"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_fractions_and_offsets() {
        let utc = parse_instant("2025-11-03 01:00:00").unwrap();
        assert_eq!(parse_instant("2025-11-03T01:00:00.000+00:00"), Some(utc));
        assert_eq!(parse_instant("2025-11-03T01:00:00Z"), Some(utc));
        assert_eq!(parse_instant("2025-11-03T02:30:00+01:30"), Some(utc));
        assert_eq!(parse_instant("2025-11-03"), Some(utc - 3600));
        assert_eq!(parse_instant("yesterday"), None);
    }

    fn first_text(file: &SourceFile<'_>, path: &str) -> Option<String> {
        let mut out = None;
        file.for_each_row(|row| {
            out = out.take().or_else(|| file.text(row, path));
            Ok(())
        });
        out
    }

    #[test]
    fn nested_or_flattened_fields_and_recognition() {
        let nested = SourceFile::read(b"sku_name,usage_quantity,usage_start_time,usage_end_time,usage_metadata\nJOBS,2.5,2025-11-03 01:00:00,2025-11-03 02:00:00,\"{\"\"job_id\"\":\"\"42\"\"}\"\n").unwrap();
        assert_eq!(recognise(&nested), Ok(SystemTable::BillingUsage));
        assert_eq!(first_text(&nested, "usage_metadata.job_id").as_deref(), Some("42"));
        let flat = SourceFile::read(b"sku_name,usage_quantity,usage_start_time,usage_end_time,usage_metadata.job_id\nJOBS,2.5,2025-11-03 01:00:00,2025-11-03 02:00:00,42\n").unwrap();
        assert_eq!(recognise(&flat), Ok(SystemTable::BillingUsage));
        assert_eq!(first_text(&flat, "usage_metadata.job_id").as_deref(), Some("42"));
        let renamed = SourceFile::read(b"sku_name,quantity,usage_start_time,usage_end_time,usage_metadata\n").unwrap();
        assert_eq!(recognise(&renamed), Err((SystemTable::BillingUsage, vec!["usage_quantity".to_string()])));
        let jsonl = SourceFile::read(b"{\"job_id\":\"1\",\"run_id\":\"9\",\"job_run_id\":\"5\",\"task_key\":\"t\",\"period_start_time\":\"2025-11-03T01:00:00Z\",\"period_end_time\":\"2025-11-03T01:10:00Z\",\"compute_ids\":[\"c1\"],\"result_state\":null}\nnot json\n").unwrap();
        assert_eq!(recognise(&jsonl), Ok(SystemTable::JobTaskRunTimeline));
        let mut ids = Vec::new();
        let (rows, malformed) = jsonl.for_each_row(|row| {
            ids = jsonl.list(row, "compute_ids");
            Ok(())
        });
        assert_eq!(ids, ["c1"]);
        assert_eq!((rows, malformed[0].line), (2, 2));
    }
}
