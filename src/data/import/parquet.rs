//! Parquet exports (Databricks writes Parquet natively), read with the `parquet` crate's
//! record API (no Arrow) into the same rows as JSON Lines: structs and maps as objects,
//! arrays as arrays, decimals as their exact decimal text, timestamps as UTC text, dates as
//! `YYYY-MM-DD`. A Parquet file is read by ranges, never whole: its 8-byte tail, then its
//! footer (the schema and where each row group is), then one row group at a time. The
//! reader says which range it needs next ([`ParquetReader::need`]) and is given those bytes
//! ([`ParquetReader::give`]): natively from the file, in the browser from `File.slice`.
//! "Line" N of a Parquet file is its row N (1-based).
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

use super::error::FileError;
use super::source::Columns;
use super::text::RowSink;
use crate::base::calendar::Timestamp;

/// A byte range of the file the reader needs next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub offset: u64,
    pub len: u64,
}

#[derive(Debug)]
enum State {
    Tail,
    Footer { len: u64 },
    Group(usize),
    Done,
}

/// One Parquet file being read.
pub struct ParquetReader {
    len: u64,
    state: State,
    metadata: Option<Arc<ParquetMetaData>>,
    columns: Option<Columns>,
    rows: usize,
}

impl std::fmt::Debug for ParquetReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetReader").field("len", &self.len).field("state", &self.state).field("rows", &self.rows).finish()
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

impl ParquetReader {
    /// A reader of a Parquet file of `len` bytes.
    pub fn new(len: u64) -> ParquetReader {
        ParquetReader { len, state: State::Tail, metadata: None, columns: None, rows: 0 }
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

    fn fail(&mut self, detail: String, sink: &mut dyn RowSink) {
        self.state = State::Done;
        sink.file_error(FileError::Parquet { detail });
    }

    /// The bytes of the range [`need`](Self::need) gave; reads them (the footer, or a row
    /// group whose rows go to `sink`).
    pub fn give(&mut self, bytes: Vec<u8>, sink: &mut dyn RowSink) {
        let Some(range) = self.need() else { return };
        if bytes.len() as u64 != range.len {
            return self.fail(format!("{} bytes were given where {} were asked for", bytes.len(), range.len), sink);
        }
        match self.state {
            State::Tail => {
                if self.len < 12 {
                    return self.fail("the file is too short".to_string(), sink);
                }
                let tail: [u8; 8] = bytes[..].try_into().expect("8 bytes");
                match FooterTail::try_new(&tail) {
                    Ok(t) if t.is_encrypted_footer() => self.fail("the footer is encrypted".to_string(), sink),
                    Ok(t) if t.metadata_length() as u64 + 12 > self.len => {
                        self.fail("the footer is longer than the file".to_string(), sink)
                    }
                    Ok(t) => self.state = State::Footer { len: t.metadata_length() as u64 },
                    Err(e) => self.fail(e.to_string(), sink),
                }
            }
            State::Footer { .. } => match ParquetMetaDataReader::decode_metadata(&bytes) {
                Err(e) => self.fail(e.to_string(), sink),
                Ok(metadata) => {
                    let codecs: Vec<&str> =
                        metadata.row_groups().iter().flat_map(|g| g.columns()).filter_map(|c| unsupported(c.compression())).collect();
                    if let Some(codec) = codecs.first() {
                        return self.fail(
                            format!("it is compressed with {codec}, which the importer does not read: write it with Snappy or gzip"),
                            sink,
                        );
                    }
                    let names = metadata.file_metadata().schema().get_fields().iter().map(|f| f.name().to_string()).collect();
                    let columns = match Columns::new("parquet", names) {
                        Ok(c) => c,
                        Err(e) => {
                            self.state = State::Done;
                            return sink.file_error(e);
                        }
                    };
                    let wanted = sink.columns(&columns);
                    self.columns = Some(columns);
                    let groups = metadata.num_row_groups();
                    self.metadata = Some(Arc::new(metadata));
                    self.state = if wanted && groups > 0 { State::Group(0) } else { State::Done };
                }
            },
            State::Group(i) => {
                if let Err(e) = self.read_group(i, range.offset, bytes, sink) {
                    return self.fail(e.to_string(), sink);
                }
                let groups = self.metadata.as_ref().map(|m| m.num_row_groups()).unwrap_or(0);
                self.state = if i + 1 < groups { State::Group(i + 1) } else { State::Done };
            }
            State::Done => {}
        }
    }

    fn read_group(&mut self, i: usize, offset: u64, bytes: Vec<u8>, sink: &mut dyn RowSink) -> parquet::errors::Result<()> {
        let metadata = Arc::clone(self.metadata.as_ref().expect("the footer is read"));
        let window = Arc::new(Window { offset, bytes: Bytes::from(bytes), file_len: self.len });
        let props = Arc::new(ReaderProperties::builder().build());
        let group = SerializedRowGroupReader::new(window, metadata.row_group(i), metadata.page_index_for_row_group(i), props)?;
        let columns = self.columns.as_ref().expect("the footer is read");
        for row in group.get_row_iter(None)? {
            let row = row?;
            self.rows += 1;
            let map: serde_json::Map<String, Value> = row.get_column_iter().map(|(name, field)| (name.clone(), value(field))).collect();
            sink.row(columns, self.rows, &columns.object(map));
        }
        Ok(())
    }
}

/// A decimal's exact text from its big-endian two's complement unscaled value.
fn decimal_text(bytes: &[u8], scale: i32) -> String {
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

fn double(x: f64) -> Value {
    match serde_json::Number::from_f64(x) {
        Some(n) => Value::Number(n),
        // Not finite: text that the importer reports as a value that is not a finite number.
        None => Value::String(x.to_string()),
    }
}

fn timestamp(micros: i64) -> Value {
    Value::String(Timestamp::from_unix_seconds(micros.div_euclid(1_000_000)).to_string())
}

/// A Parquet value as the JSON value a JSON Lines export would hold.
fn value(field: &Field) -> Value {
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
        Field::Date(days) => Value::String(Timestamp::from_unix_seconds(*days as i64 * 86_400).date().to_string()),
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
}
