//! Parquet exports (Databricks writes Parquet natively), read with the `parquet` crate's
//! record API (no Arrow) into the rows a JSON Lines export would hold: structs and maps as
//! objects, arrays as arrays, decimals as their exact decimal text, timestamps as UTC text
//! (`YYYY-MM-DD HH:MM:SS`), dates as `YYYY-MM-DD`. A file is read by ranges, never whole:
//! its 8-byte tail, then its footer (the schema and where each row group is), then one row
//! group at a time. The reader says which range it needs next ([`Reader::need`]) and is
//! given those bytes ([`Reader::give`]).
//!
//! The engine's import reads Parquet through it natively (`data::import::parquet`); the
//! browser build keeps it out of the app's wasm and loads it as a module of its own
//! (feature `web`, [`web::ParquetLines`]) that turns the file into JSON Lines text, which the
//! importer reads like any JSON Lines export. Row N of a file is its "line" N (1-based).
//!
//! Codecs: uncompressed, Snappy, gzip and LZ4 (pure Rust). A file compressed with ZSTD,
//! Brotli or LZO is refused, naming the codec.

use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::Compression;
use parquet::file::metadata::{FooterTail, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::ReaderProperties;
use parquet::file::reader::{ChunkReader, Length, RowGroupReader};
use parquet::file::serialized_reader::SerializedRowGroupReader;
use parquet::record::Field;
use serde_json::Value;

#[cfg(feature = "web")]
pub mod web;

/// A byte range of the file the reader needs next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub offset: u64,
    pub len: u64,
}

/// What a range gave.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// The tail: the footer's length is known.
    Tail,
    /// The footer: the file's top-level column names, in schema order. Call
    /// [`Reader::skip_rows`] to stop here (a file of no known table).
    Columns(Vec<String>),
    /// A row group's rows, each its (column, value) pairs in schema order.
    Rows(Vec<Vec<(String, Value)>>),
}

#[derive(Debug)]
enum State {
    Tail,
    Footer { len: u64 },
    Group(usize),
    Done,
}

/// One Parquet file being read.
pub struct Reader {
    len: u64,
    state: State,
    metadata: Option<Arc<ParquetMetaData>>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("len", &self.len).field("state", &self.state).finish()
    }
}

/// Bytes of one range of the file, read at their offsets in the file.
struct Window {
    offset: u64,
    bytes: Bytes,
    file_len: u64,
}

impl Length for Window {
    fn len(&self) -> u64 {
        self.file_len
    }
}

impl Window {
    fn slice(&self, start: u64, len: usize) -> parquet::errors::Result<Bytes> {
        let at = start.checked_sub(self.offset).map(|a| a as usize);
        match at {
            Some(at) if at + len <= self.bytes.len() => Ok(self.bytes.slice(at..at + len)),
            _ => Err(parquet::errors::ParquetError::General(format!("bytes {start}..{} are not in the row group", start + len as u64))),
        }
    }
}

impl ChunkReader for Window {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        use bytes::Buf;
        let rest = self.offset + self.bytes.len() as u64 - start.min(self.offset + self.bytes.len() as u64);
        Ok(self.slice(start, rest as usize)?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.slice(start, length)
    }
}

fn unsupported(c: Compression) -> Option<&'static str> {
    match c {
        Compression::UNCOMPRESSED | Compression::SNAPPY | Compression::GZIP(_) | Compression::LZ4 | Compression::LZ4_RAW => None,
        Compression::ZSTD(_) => Some("ZSTD"),
        Compression::BROTLI(_) => Some("Brotli"),
        Compression::LZO => Some("LZO"),
    }
}

impl Reader {
    /// A reader of a Parquet file of `len` bytes.
    pub fn new(len: u64) -> Reader {
        Reader { len, state: State::Tail, metadata: None }
    }

    /// The range to give next, or `None` once the file is read.
    pub fn need(&self) -> Option<Range> {
        match self.state {
            State::Tail => Some(Range { offset: self.len.saturating_sub(8), len: self.len.min(8) }),
            State::Footer { len } => Some(Range { offset: self.len - 8 - len, len }),
            State::Group(i) => {
                let group = self.metadata.as_ref()?.row_group(i);
                let ranges = group.columns().iter().map(|c| c.byte_range());
                let start = ranges.clone().map(|(s, _)| s).min().unwrap_or(0);
                let end = ranges.map(|(s, l)| s + l).max().unwrap_or(0);
                Some(Range { offset: start, len: end.saturating_sub(start) })
            }
            State::Done => None,
        }
    }

    /// Reads no rows after the footer.
    pub fn skip_rows(&mut self) {
        self.state = State::Done;
    }

    /// The bytes of the range [`need`](Self::need) gave. An error says what is wrong with
    /// the file (after it, the reader needs nothing more).
    pub fn give(&mut self, bytes: Vec<u8>) -> Result<Step, String> {
        let step = self.read(bytes);
        if step.is_err() {
            self.state = State::Done;
        }
        step
    }

    fn read(&mut self, bytes: Vec<u8>) -> Result<Step, String> {
        let Some(range) = self.need() else { return Err("the file is read to its end".to_string()) };
        if bytes.len() as u64 != range.len {
            return Err(format!("{} bytes were given where {} were asked for", bytes.len(), range.len));
        }
        match self.state {
            State::Tail => {
                if self.len < 12 {
                    return Err("the file is too short".to_string());
                }
                let tail: [u8; 8] = bytes[..].try_into().expect("8 bytes");
                match FooterTail::try_new(&tail) {
                    Ok(t) if t.is_encrypted_footer() => Err("the footer is encrypted".to_string()),
                    Ok(t) if t.metadata_length() as u64 + 12 > self.len => Err("the footer is longer than the file".to_string()),
                    Ok(t) => {
                        self.state = State::Footer { len: t.metadata_length() as u64 };
                        Ok(Step::Tail)
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            State::Footer { .. } => {
                let metadata = ParquetMetaDataReader::decode_metadata(&bytes).map_err(|e| e.to_string())?;
                let codecs: Vec<&str> =
                    metadata.row_groups().iter().flat_map(|g| g.columns()).filter_map(|c| unsupported(c.compression())).collect();
                if let Some(codec) = codecs.first() {
                    return Err(format!("it is compressed with {codec}, which the importer does not read: write it with Snappy or gzip"));
                }
                let names = metadata.file_metadata().schema().get_fields().iter().map(|f| f.name().to_string()).collect();
                self.state = if metadata.num_row_groups() > 0 { State::Group(0) } else { State::Done };
                self.metadata = Some(Arc::new(metadata));
                Ok(Step::Columns(names))
            }
            State::Group(i) => {
                let rows = self.read_group(i, range.offset, bytes).map_err(|e| e.to_string())?;
                let groups = self.metadata.as_ref().map(|m| m.num_row_groups()).unwrap_or(0);
                self.state = if i + 1 < groups { State::Group(i + 1) } else { State::Done };
                Ok(Step::Rows(rows))
            }
            State::Done => Err("the file is read to its end".to_string()),
        }
    }

    fn read_group(&mut self, i: usize, offset: u64, bytes: Vec<u8>) -> parquet::errors::Result<Vec<Vec<(String, Value)>>> {
        let metadata = Arc::clone(self.metadata.as_ref().expect("the footer is read"));
        let window = Arc::new(Window { offset, bytes: Bytes::from(bytes), file_len: self.len });
        let props = Arc::new(ReaderProperties::builder().build());
        let group = SerializedRowGroupReader::new(window, metadata.row_group(i), metadata.page_index_for_row_group(i), props)?;
        let mut rows = Vec::new();
        for row in group.get_row_iter(None)? {
            let row = row?;
            rows.push(row.get_column_iter().map(|(name, field)| (name.clone(), value(field))).collect());
        }
        Ok(rows)
    }
}

/// A decimal's exact text from its big-endian two's complement unscaled value.
pub fn decimal_text(bytes: &[u8], scale: i32) -> String {
    if bytes.is_empty() || bytes.len() > 16 {
        // Wider than 38 digits: nearest double (no export column is that wide).
        let mut x = 0f64;
        for (i, b) in bytes.iter().enumerate() {
            let b = if i == 0 { *b as i8 as f64 } else { *b as f64 };
            x = x * 256.0 + b;
        }
        return (x / 10f64.powi(scale)).to_string();
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut full = [fill; 16];
    full[16 - bytes.len()..].copy_from_slice(bytes);
    let unscaled = i128::from_be_bytes(full);
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale <= 0 {
        return format!("{sign}{digits}{}", "0".repeat((-scale) as usize));
    }
    let scale = scale as usize;
    let digits = if digits.len() <= scale { format!("{}{digits}", "0".repeat(scale + 1 - digits.len())) } else { digits };
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// The proleptic Gregorian date of `days` since 1970-01-01, as `YYYY-MM-DD`.
pub fn date_text(days: i64) -> String {
    // Days since 0000-03-01 in 400-year eras (146,097 days each).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A UTC timestamp of `seconds` since the epoch, as `YYYY-MM-DD HH:MM:SS`.
pub fn timestamp_text(seconds: i64) -> String {
    let secs = seconds.rem_euclid(86_400);
    format!("{} {:02}:{:02}:{:02}", date_text(seconds.div_euclid(86_400)), secs / 3600, (secs / 60) % 60, secs % 60)
}

fn double(x: f64) -> Value {
    match serde_json::Number::from_f64(x) {
        Some(n) => Value::Number(n),
        // Not finite: text that the importer reports as a value that is not a finite number.
        None => Value::String(x.to_string()),
    }
}

fn timestamp(micros: i64) -> Value {
    Value::String(timestamp_text(micros.div_euclid(1_000_000)))
}

/// A Parquet value as the JSON value a JSON Lines export would hold.
pub fn value(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Byte(x) => Value::from(*x),
        Field::Short(x) => Value::from(*x),
        Field::Int(x) => Value::from(*x),
        Field::Long(x) => Value::from(*x),
        Field::UByte(x) => Value::from(*x),
        Field::UShort(x) => Value::from(*x),
        Field::UInt(x) => Value::from(*x),
        Field::ULong(x) => Value::from(*x),
        Field::Float16(x) => double(f64::from(*x)),
        Field::Float(x) => double(*x as f64),
        Field::Double(x) => double(*x),
        Field::Decimal(d) => Value::String(decimal_text(d.data(), d.scale())),
        Field::Str(s) => Value::String(s.clone()),
        Field::Bytes(b) => Value::String(String::from_utf8_lossy(b.data()).into_owned()),
        Field::Date(days) => Value::String(date_text(*days as i64)),
        Field::TimeMillis(x) => Value::from(*x),
        Field::TimeMicros(x) => Value::from(*x),
        Field::TimestampMillis(ms) => timestamp(ms.saturating_mul(1000)),
        Field::TimestampMicros(us) => timestamp(*us),
        Field::Group(row) => Value::Object(row.get_column_iter().map(|(k, v)| (k.clone(), value(v))).collect()),
        Field::ListInternal(list) => Value::Array(list.elements().iter().map(value).collect()),
        Field::MapInternal(map) => Value::Object(
            map.entries()
                .iter()
                .map(|(k, v)| {
                    let key = match value(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, value(v))
                })
                .collect(),
        ),
    }
}

/// A row as one line of JSON Lines, its columns in schema order.
pub fn json_line(row: &[(String, Value)]) -> String {
    let fields: Vec<String> = row
        .iter()
        .map(|(k, v)| {
            format!("{}:{}", serde_json::to_string(k).expect("strings serialise"), serde_json::to_string(v).expect("values serialise"))
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_every_digit() {
        assert_eq!(decimal_text(&[0x01, 0x00], 2), "2.56");
        assert_eq!(decimal_text(&[0xff], 3), "-0.001");
        assert_eq!(decimal_text(&[0x04], 0), "4");
        assert_eq!(decimal_text(&[0x0f], -2), "1500");
        // 4 as DECIMAL(38,18): 4 × 10^18.
        let four = (4i128 * 10i128.pow(18)).to_be_bytes();
        assert_eq!(decimal_text(&four, 18), "4.000000000000000000");
        assert_eq!(decimal_text(&four, 18).parse::<f64>(), Ok(4.0));
    }

    #[test]
    fn dates_and_timestamps_are_utc_text() {
        assert_eq!(date_text(0), "1970-01-01");
        assert_eq!(date_text(-1), "1969-12-31");
        assert_eq!(date_text(11_016), "2000-02-29");
        assert_eq!(date_text(20_423), "2025-12-01");
        assert_eq!(date_text(-719_468), "0000-03-01");
        assert_eq!(timestamp_text(1_764_547_200 + 3_723), "2025-12-01 01:02:03");
        assert_eq!(timestamp_text(-1), "1969-12-31 23:59:59");
        // Every day from 1900 to 2100 follows the one before.
        let mut last = date_text(-25_567);
        assert_eq!(last, "1900-01-01");
        for d in -25_566..47_482 {
            let next = date_text(d);
            assert!(next > last, "{last} → {next}");
            last = next;
        }
        assert_eq!(last, "2099-12-31");
    }

    #[test]
    fn a_json_line_keeps_the_schema_order() {
        let row = vec![("b".to_string(), Value::from(1)), ("a".to_string(), Value::String("x\"y".into())), ("c".to_string(), Value::Null)];
        assert_eq!(json_line(&row), r#"{"b":1,"a":"x\"y","c":null}"#);
    }
}
