//! Reading one exported file: CSV or JSON Lines into rows of JSON values (nested struct,
//! map and array columns parsed once), recognising which system table or pre-aggregated
//! extract it is by its columns, and reading fields whether nested (`usage_metadata` as an
//! object or JSON text) or flattened (`usage_metadata.job_id` or `usage_metadata_job_id`
//! columns). Numbers must be finite; problems are typed ([`RowError`], [`FileError`]) and
//! located by physical line, never by byte offset.

use std::collections::HashMap;

use serde_json::Value;

use super::csv;
use super::error::{json_error, FileError, RowError};
use super::kind::{ExtractKind, Source};
use crate::base::vocab::SystemTable;

/// A row that could not be read, with its physical line (the CSV header is line 1), the
/// column it is about when there is one, and the sentence that says what is wrong.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Malformed {
    pub line: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub message: String,
}

impl Malformed {
    pub fn new(line: usize, error: &RowError) -> Malformed {
        Malformed { line, column: error.column().map(str::to_string), message: error.to_string() }
    }
}

/// One exported file: its format and columns, read row by row (a large export is never
/// held in memory as parsed rows).
pub struct SourceFile<'a> {
    pub format: &'static str,
    pub columns: Vec<String>,
    index: HashMap<String, usize>,
    /// Per column: whether its cells are JSON text to parse (struct, map and array columns).
    nested: Vec<bool>,
    text: &'a str,
}

/// One row: CSV cells aligned to the columns, or a JSON object.
pub enum Row {
    Cells(Vec<Value>),
    Object(serde_json::Map<String, Value>),
}

/// Columns whose cells may be JSON text (structs, maps, arrays). Only these are parsed, so a
/// job description or a statement that starts with `{` or `[` stays exactly as written.
const NESTED_COLUMNS: &[&str] = &[
    "usage_metadata",
    "pricing",
    "compute",
    "product_features",
    "identity_metadata",
    "aws_attributes",
    "custom_tags",
    "tags",
    "compute_ids",
];

/// Parses a cell of a nested column: JSON text as JSON, otherwise the string itself.
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
    /// (columns = keys of the first rows), else CSV (columns = the header, each name once).
    pub fn read(bytes: &'a [u8]) -> Result<SourceFile<'a>, FileError> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            FileError::NotUtf8 { line }
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (format, columns) = match text.trim_start().chars().next() {
            None => return Err(FileError::Empty),
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
                Some(Err(b)) => return Err(FileError::UnclosedHeaderQuote { quote_line: b.line }),
                None => return Err(FileError::Empty),
            },
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        // An unnamed column (a trailing comma) is never read, so several of them are no clash.
        for (i, c) in columns.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
            if let Some(first) = index.insert(c.clone(), i) {
                return Err(FileError::DuplicateColumn { name: c.clone(), first: first + 1, second: i + 1 });
            }
        }
        let nested = columns.iter().map(|c| NESTED_COLUMNS.contains(&c.as_str())).collect();
        Ok(SourceFile { format, columns, index, nested, text })
    }

    /// Calls `f` with every row and its physical line; returns the number of rows and those
    /// that could not be read. `f` returns the problem of a row it rejects.
    pub fn for_each_row(&self, mut f: impl FnMut(usize, &Row) -> Result<(), RowError>) -> (usize, Vec<Malformed>) {
        let mut malformed = Vec::new();
        let mut rows = 0;
        let mut check = |line: usize, row: Row, malformed: &mut Vec<Malformed>| {
            if let Err(e) = f(line, &row) {
                malformed.push(Malformed::new(line, &e));
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
                        let map = map
                            .into_iter()
                            .map(|(k, v)| {
                                let v = match v {
                                    Value::String(s) if NESTED_COLUMNS.contains(&k.as_str()) => cell(s),
                                    v => v,
                                };
                                (k, v)
                            })
                            .collect();
                        check(line_no, Row::Object(map), &mut malformed);
                    }
                    Ok(_) => malformed.push(Malformed::new(line_no, &RowError::NotAnObject)),
                    Err(e) => malformed.push(Malformed::new(line_no, &json_error(line, &e))),
                }
            }
        } else {
            for record in csv::records(self.text).skip(1) {
                rows += 1;
                match record {
                    Ok(r) if r.fields.len() != self.columns.len() => malformed
                        .push(Malformed::new(r.line, &RowError::FieldCount { found: r.fields.len(), expected: self.columns.len() })),
                    Ok(r) => {
                        let cells = r
                            .fields
                            .into_iter()
                            .zip(&self.nested)
                            .map(|(f, nested)| if *nested { cell(f) } else { Value::String(f) })
                            .collect();
                        check(r.line, Row::Cells(cells), &mut malformed)
                    }
                    Err(b) => malformed.push(Malformed::new(b.line, &RowError::UnclosedQuote { quote_line: b.line })),
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

    /// A finite number (`NaN`, `inf` and values beyond the double range are malformed).
    pub fn number(&self, row: &Row, path: &str) -> Result<Option<f64>, RowError> {
        let not_finite = |value: String| RowError::NotFinite { column: path.to_string(), value };
        match self.get(row, path) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(not_finite(n.to_string())),
            },
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => match s.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                Ok(_) => Err(not_finite(s.trim().to_string())),
                Err(_) => Err(RowError::NotANumber { column: path.to_string(), value: s.trim().to_string() }),
            },
            Some(other) => Err(RowError::NotANumber { column: path.to_string(), value: other.to_string() }),
        }
    }

    /// A whole number (a finite number without a fraction, within ±2^53).
    pub fn integer(&self, row: &Row, path: &str) -> Result<Option<i64>, RowError> {
        match self.number(row, path)? {
            None => Ok(None),
            Some(x) if x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0 => Ok(Some(x as i64)),
            Some(x) => Err(RowError::NotAnInteger { column: path.to_string(), value: x.to_string() }),
        }
    }

    /// A timestamp as Unix seconds (UTC).
    pub fn instant(&self, row: &Row, path: &str) -> Result<Option<i64>, RowError> {
        match self.text(row, path) {
            None => Ok(None),
            Some(t) => parse_instant(&t).map(Some).ok_or_else(|| RowError::NotATimestamp { column: path.to_string(), value: t }),
        }
    }

    /// A column's text exactly as the file holds it; empty or absent is `None`. For the
    /// pre-aggregated extracts, whose values the extraction already normalised.
    pub fn verbatim(&self, row: &Row, column: &str) -> Option<String> {
        match self.column(row, column)? {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
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

/// A known source: the columns that identify it, and columns it must not have.
pub struct Signature {
    pub source: Source,
    pub required: &'static [&'static str],
    pub forbidden: &'static [&'static str],
}

/// Every extract has `extract_kind` and no raw export does, so the two never mix up.
const NOT_EXTRACT: &[&str] = &["extract_kind"];

/// The raw exports, in `SystemTable::ALL` order.
pub const SIGNATURES: &[Signature] = &[
    Signature {
        source: Source::Table(SystemTable::BillingUsage),
        required: &["sku_name", "usage_quantity", "usage_start_time", "usage_end_time", "usage_metadata"],
        forbidden: NOT_EXTRACT,
    },
    Signature {
        source: Source::Table(SystemTable::ListPrices),
        required: &["sku_name", "price_start_time", "pricing"],
        forbidden: NOT_EXTRACT,
    },
    Signature { source: Source::Table(SystemTable::Jobs), required: &["job_id", "name", "change_time"], forbidden: NOT_EXTRACT },
    Signature {
        source: Source::Table(SystemTable::JobRunTimeline),
        required: &["job_id", "run_id", "period_start_time", "period_end_time", "result_state"],
        forbidden: &["task_key", "extract_kind"],
    },
    Signature {
        source: Source::Table(SystemTable::JobTaskRunTimeline),
        required: &["job_id", "run_id", "job_run_id", "task_key", "period_start_time", "period_end_time", "compute_ids"],
        forbidden: NOT_EXTRACT,
    },
    Signature {
        source: Source::Table(SystemTable::Clusters),
        required: &["cluster_id", "cluster_name", "change_time", "cluster_source"],
        forbidden: NOT_EXTRACT,
    },
    Signature {
        source: Source::Table(SystemTable::NodeTimeline),
        required: &["cluster_id", "instance_id", "start_time", "end_time", "driver"],
        forbidden: NOT_EXTRACT,
    },
    Signature {
        source: Source::Table(SystemTable::InstanceEvents),
        required: &["instance_id", "event_time", "availability_type", "state"],
        forbidden: NOT_EXTRACT,
    },
    Signature {
        source: Source::Table(SystemTable::Warehouses),
        required: &["warehouse_id", "warehouse_name", "warehouse_size", "change_time"],
        forbidden: NOT_EXTRACT,
    },
    Signature {
        source: Source::Table(SystemTable::QueryHistory),
        required: &["statement_id", "execution_status", "start_time", "compute"],
        forbidden: NOT_EXTRACT,
    },
];

const fn extract(kind: ExtractKind, required: &'static [&'static str]) -> Signature {
    Signature { source: Source::Extract(kind), required, forbidden: &[] }
}

/// The columns each extract is read by (its distinguishing column second).
pub const EXTRACT_SIGNATURES: &[Signature] = &[
    extract(
        ExtractKind::UsageDaily,
        &[
            "extract_kind",
            "compute_usage_id",
            "parent_type",
            "parent_id",
            "compute_sku",
            "usage_date",
            "dbus_consumed",
            "total_cost",
            "cluster_id",
            "cluster_instance_type",
        ],
    ),
    extract(
        ExtractKind::JobRuns,
        &[
            "extract_kind",
            "spot_source",
            "job_run_id",
            "job_id",
            "workspace_id",
            "start_time",
            "end_time",
            "duration_ms",
            "run_status",
            "error_summary",
            "driver_instance_type",
            "worker_instance_type",
            "instance_pool_id",
            "min_nodes",
            "max_nodes",
            "fixed_nodes",
            "is_autoscaling_enabled",
            "spot_ratio",
        ],
    ),
    extract(ExtractKind::Jobs, &["extract_kind", "job_name", "job_id", "workspace_id", "description", "tags"]),
    extract(ExtractKind::NonJobCompute, &["extract_kind", "compute_type", "compute_id", "compute_name", "workspace_id"]),
    extract(ExtractKind::SkuPrices, &["extract_kind", "usd_per_dbu", "compute_sku", "cloud", "price_start_time", "price_end_time"]),
    extract(
        ExtractKind::Evictions,
        &["extract_kind", "eviction_id", "eviction_seq", "job_run_id", "job_id", "cloud_instance_id", "eviction_time", "was_retried"],
    ),
    extract(
        ExtractKind::SqlQueries,
        &["extract_kind", "query_id", "parent_id", "user_id", "workspace_id", "start_time", "duration_ms", "sql_text", "error_message"],
    ),
    extract(ExtractKind::Users, &["extract_kind", "user_workspace_id", "user_id"]),
    extract(ExtractKind::Workspaces, &["extract_kind", "workspace_name", "workspace_id"]),
    extract(ExtractKind::TaskAttribution, &["extract_kind", "attributable_cost", "job_id"]),
    extract(
        ExtractKind::AttributionGaps,
        &[
            "extract_kind",
            "unattributed_cost",
            "total_cost",
            "unattributed_share_pct",
            "untagged_cost",
            "untagged_share_pct",
            "unpriced_dbus",
            "other_products_cost",
        ],
    ),
    extract(ExtractKind::TableCoverage, &["extract_kind", "source_table", "row_count", "first_date", "last_date"]),
];

/// Which raw export a file is: `Ok(table)`, or `Err((closest table, its missing columns))`.
/// A pre-aggregated extract is never a raw export ([`identify`] recognises both).
pub fn recognise(file: &SourceFile<'_>) -> Result<SystemTable, (SystemTable, Vec<String>)> {
    let table = |s: Source| match s {
        Source::Table(t) => t,
        Source::Extract(_) => unreachable!("raw signatures name tables"),
    };
    best_match(file, SIGNATURES).map(table).map_err(|(s, missing)| (table(s), missing))
}

/// Which source a file is: `Ok(source)`, or `Err((closest source, its missing columns))`.
/// A file with `extract_kind` is compared with the extracts only, any other with the raw
/// exports only.
pub fn identify(file: &SourceFile<'_>) -> Result<Source, (Source, Vec<String>)> {
    if file.has("extract_kind") {
        best_match(file, EXTRACT_SIGNATURES)
    } else {
        best_match(file, SIGNATURES)
    }
}

fn best_match(file: &SourceFile<'_>, candidates: &[Signature]) -> Result<Source, (Source, Vec<String>)> {
    let mut best: Option<&Signature> = None;
    let mut closest: Option<(&Signature, usize)> = None;
    for sig in candidates {
        let present = sig.required.iter().filter(|c| file.has(c)).count();
        let excluded = sig.forbidden.iter().any(|c| file.has(c));
        if present == sig.required.len() && !excluded {
            if best.is_none_or(|b| sig.required.len() > b.required.len()) {
                best = Some(sig);
            }
        } else if closest.is_none_or(|(c, p)| present * c.required.len() > p * sig.required.len()) {
            closest = Some((sig, present));
        }
    }
    match (best, closest) {
        (Some(sig), _) => Ok(sig.source),
        (None, Some((sig, _))) => Err((sig.source, sig.required.iter().filter(|c| !file.has(c)).map(|c| c.to_string()).collect())),
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
        file.for_each_row(|_, row| {
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
        let (rows, malformed) = jsonl.for_each_row(|_, row| {
            ids = jsonl.list(row, "compute_ids");
            Ok(())
        });
        assert_eq!(ids, ["c1"]);
        assert_eq!((rows, malformed[0].line), (2, 2));
    }

    #[test]
    fn only_nested_columns_are_parsed_as_json_and_numbers_must_be_finite() {
        let file =
            SourceFile::read(b"job_id,name,description,tags,n\n1,[draft] x,\"{\"\"a\"\": 1}\",\"{\"\"b\"\":\"\"2\"\"}\",inf\n").unwrap();
        let mut seen = Vec::new();
        file.for_each_row(|_, row| {
            seen.push((file.text(row, "name"), file.text(row, "description"), file.tags(row, "tags"), file.number(row, "n")));
            Ok(())
        });
        let (name, description, tags, n) = seen.remove(0);
        assert_eq!(name.as_deref(), Some("[draft] x"));
        assert_eq!(description.as_deref(), Some("{\"a\": 1}"), "a description is text even when it looks like JSON");
        assert_eq!(tags, ["b=2"]);
        assert_eq!(n, Err(RowError::NotFinite { column: "n".into(), value: "inf".into() }));
    }

    #[test]
    fn a_duplicate_header_is_refused_and_extracts_are_identified() {
        let err = SourceFile::read(b"a,b,a\n1,2,3\n").err().unwrap();
        assert_eq!(err, FileError::DuplicateColumn { name: "a".into(), first: 1, second: 3 });
        assert_eq!(err.to_string(), "the header names a twice, in columns 1 and 3");
        assert!(SourceFile::read(b"a,b,,\n1,2,,\n").is_ok(), "unnamed columns do not clash");
        let users = SourceFile::read(b"extract_kind,user_id,user_workspace_id\nusers,u,w\n").unwrap();
        assert_eq!(identify(&users), Ok(Source::Extract(ExtractKind::Users)));
        assert!(recognise(&users).is_err(), "an extract is never a raw export");
    }
}
