//! The columns and rows of one exported file: rows of JSON values (CSV cells, JSON Lines
//! objects or Parquet records; nested struct, map and array columns parsed once; see `text`
//! and `parquet` for the readers), recognising which system table or pre-aggregated
//! extract it is by its columns, and reading fields whether nested (`usage_metadata` as an
//! object or JSON text) or flattened (`usage_metadata.job_id` or `usage_metadata_job_id`
//! columns). Numbers must be finite; problems are typed ([`RowError`], [`FileError`]) and
//! located by physical line, never by byte offset.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;

use super::error::{FileError, RowError};
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

/// A fast hash for short keys (column names, interned strings): FxHash's multiply-rotate, not
/// SipHash (nothing here is chosen by an adversary who could gain from collisions but time).
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub type FastHash = BuildHasherDefault<FxHasher>;

/// An exported file's format and columns, which its rows are read by.
#[derive(Debug)]
pub struct Columns {
    pub format: &'static str,
    pub columns: Vec<String>,
    index: HashMap<String, usize, FastHash>,
    /// Struct columns some column flattens with `_` (`usage_metadata_job_id`).
    underscored: Vec<&'static str>,
    /// Per column: whether its cells are JSON text to parse (struct, map and array columns).
    nested: Vec<bool>,
}

/// One row: CSV cells aligned to the columns, or a JSON object.
#[derive(Clone, Debug)]
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

impl Columns {
    /// The columns of a file in `format` (`csv`, `jsonl`, `parquet`): each name once (an
    /// unnamed column, a trailing comma, is never read, so several of them are no clash).
    pub fn new(format: &'static str, columns: Vec<String>) -> Result<Columns, FileError> {
        let mut index: HashMap<String, usize, FastHash> = HashMap::default();
        for (i, c) in columns.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
            if let Some(first) = index.insert(c.clone(), i) {
                return Err(FileError::DuplicateColumn { name: c.clone(), first: first + 1, second: i + 1 });
            }
        }
        let nested = columns.iter().map(|c| NESTED_COLUMNS.contains(&c.as_str())).collect();
        let underscored = STRUCT_COLUMNS
            .iter()
            .copied()
            .filter(|s| columns.iter().any(|c| c.len() > s.len() + 1 && c.starts_with(s) && c.as_bytes()[s.len()] == b'_'))
            .collect();
        Ok(Columns { format, columns, index, underscored, nested })
    }

    /// A CSV record (as many fields as columns) as a row: nested columns parsed.
    pub fn cells(&self, fields: Vec<String>) -> Row {
        Row::Cells(fields.into_iter().zip(&self.nested).map(|(f, nested)| if *nested { cell(f) } else { Value::String(f) }).collect())
    }

    /// A JSON object as a row: nested columns given as JSON text parsed.
    pub fn object(&self, map: serde_json::Map<String, Value>) -> Row {
        Row::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) if NESTED_COLUMNS.contains(&k.as_str()) => cell(s),
                        v => v,
                    };
                    (k, v)
                })
                .collect(),
        )
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
        if let Some((first, _)) = path.split_once('.') {
            // CSV cells have only the header's columns; a JSON object may have any key.
            let may_be_flat = matches!(row, Row::Object(_)) || self.underscored.contains(&first);
            if may_be_flat {
                if let Some(v) = self.column(row, &path.replace('.', "_")) {
                    return non_null(v);
                }
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
pub fn recognise(file: &Columns) -> Result<SystemTable, (SystemTable, Vec<String>)> {
    let table = |s: Source| match s {
        Source::Table(t) => t,
        Source::Extract(_) => unreachable!("raw signatures name tables"),
    };
    best_match(file, SIGNATURES).map(table).map_err(|(s, missing)| (table(s), missing))
}

/// Which source a file is: `Ok(source)`, or `Err((closest source, its missing columns))`.
/// A file with `extract_kind` is compared with the extracts only, any other with the raw
/// exports only.
pub fn identify(file: &Columns) -> Result<Source, (Source, Vec<String>)> {
    if file.has("extract_kind") {
        best_match(file, EXTRACT_SIGNATURES)
    } else {
        best_match(file, SIGNATURES)
    }
}

fn best_match(file: &Columns, candidates: &[Signature]) -> Result<Source, (Source, Vec<String>)> {
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
}
