//! The importer's typed problems, one message style throughout: a file problem reads
//! "FILE: sentence." and a row problem "FILE, line N: sentence naming the column." The
//! report keeps the sentence (without file and line, which it holds apart) so the page and
//! the CLI can place it; [`super::report::FileReport::messages`] renders the full form.

use thiserror::Error;

/// Why a whole file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line} is not UTF-8 text (save the export as UTF-8)")]
    NotUtf8 { line: usize },
    #[error("the header names {name} twice, in columns {first} and {second}")]
    DuplicateColumn { name: String, first: usize, second: usize },
    #[error("the header has a quoted field that opens on line {quote_line} and is never closed")]
    UnclosedHeaderQuote { quote_line: usize },
    #[error("the header is longer than {} MiB", max >> 20)]
    HeaderTooLong { max: usize },
    #[error("the file starts as gzip but does not decompress ({detail})")]
    Gzip { detail: String },
    #[error("the file is Parquet but cannot be read ({detail})")]
    Parquet { detail: String },
    #[error("the file is Parquet, which this build of the importer does not read (export CSV or JSON Lines, or use `copilot import`)")]
    ParquetNotBuilt,
}

/// Why one row was skipped. Every variant that concerns one column names it.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum RowError {
    #[error("{column} is empty")]
    Empty { column: String },
    #[error("{column} {value:?} is not a number")]
    NotANumber { column: String, value: String },
    #[error("{column} {value:?} is not a finite number")]
    NotFinite { column: String, value: String },
    #[error("{column} {value:?} is not a whole number")]
    NotAnInteger { column: String, value: String },
    #[error("{column} {value:?} is not a timestamp")]
    NotATimestamp { column: String, value: String },
    #[error("{column} {value:?} is not a date (YYYY-MM-DD)")]
    NotADate { column: String, value: String },
    #[error("{column} {end} is before {start_column} {start}: the row ends before it starts")]
    EndsBeforeStart { start_column: String, start: String, column: String, end: String },
    #[error("{column} {quantity} × the list price {price} of {sku} is not a finite cost")]
    CostOverflow { column: String, quantity: f64, price: f64, sku: String },
    #[error("{column} {value:?} is not one of {allowed}")]
    NotOneOf { column: String, value: String, allowed: String },
    #[error("the row has {found} fields where the header has {expected}")]
    FieldCount { found: usize, expected: usize },
    #[error("a quoted field opens on line {quote_line} and is never closed")]
    UnclosedQuote { quote_line: usize },
    #[error("the row is longer than {} MiB", max >> 20)]
    TooLong { max: usize },
    #[error("the line is not valid JSON ({detail})")]
    InvalidJson { detail: String },
    #[error("the line is JSON but not an object")]
    NotAnObject,
}

impl RowError {
    /// The column the problem is about, when it is about one.
    pub fn column(&self) -> Option<&str> {
        match self {
            RowError::Empty { column }
            | RowError::NotANumber { column, .. }
            | RowError::NotFinite { column, .. }
            | RowError::NotAnInteger { column, .. }
            | RowError::NotATimestamp { column, .. }
            | RowError::NotADate { column, .. }
            | RowError::EndsBeforeStart { column, .. }
            | RowError::CostOverflow { column, .. }
            | RowError::NotOneOf { column, .. } => Some(column),
            _ => None,
        }
    }

    pub fn empty(column: &str) -> RowError {
        RowError::Empty { column: column.to_string() }
    }
}

/// `value` of `column`, or the column is empty.
pub fn required<T>(value: Option<T>, column: &str) -> Result<T, RowError> {
    value.ok_or_else(|| RowError::empty(column))
}

/// An error of `serde_json` on one line as a row problem: the position within the line as a
/// character column (the file line is the report's), and a number too large for a double
/// named by the key it belongs to.
pub fn json_error(line: &str, e: &serde_json::Error) -> RowError {
    let text = e.to_string();
    let reason = text.split(" at line ").next().unwrap_or(&text).to_string();
    let at = line.char_indices().nth(e.column().saturating_sub(1)).map(|(i, _)| i).unwrap_or(line.len());
    if reason == "number out of range" {
        if let Some((column, value)) = key_and_value_before(line, at) {
            return RowError::NotFinite { column, value };
        }
    }
    RowError::InvalidJson { detail: format!("{reason} at character {}", e.column()) }
}

/// The `"key":` nearest before byte `at` of `line`, and the value text after it.
fn key_and_value_before(line: &str, at: usize) -> Option<(String, String)> {
    let head = &line[..at.min(line.len())];
    let colon = head.rfind("\":")?;
    let open = head[..colon].rfind('"')?;
    let key = head[open + 1..colon].to_string();
    let rest = line[colon + 2..].trim_start();
    let end = rest.find([',', '}', ']']).unwrap_or(rest.len());
    Some((key, rest[..end].trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_number_out_of_range_is_named_by_its_key() {
        let line = r#"{"sku_name":"X","usage_quantity":1e400,"cloud":"AWS"}"#;
        let e = serde_json::from_str::<serde_json::Value>(line).unwrap_err();
        assert_eq!(json_error(line, &e), RowError::NotFinite { column: "usage_quantity".into(), value: "1e400".into() });
        let bad = r#"{"job_id": , "run_id": "1"}"#;
        let e = serde_json::from_str::<serde_json::Value>(bad).unwrap_err();
        assert_eq!(json_error(bad, &e).to_string(), "the line is not valid JSON (expected value at character 12)");
    }
}
