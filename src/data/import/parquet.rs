//! Parquet exports, natively: the `parquet-rows` crate reads a file by ranges (its tail, its
//! footer, one row group at a time) into the rows a JSON Lines export would hold, and this
//! adapter hands them to the import's row sink. The reader says which range it needs next
//! ([`ParquetReader::need`]) and is given those bytes ([`ParquetReader::give`]). "Line" N of
//! a Parquet file is its row N (1-based). The browser build reads Parquet with the same crate
//! compiled as a module of its own, loaded only when a Parquet file is dropped
//! ([`Importer::add_converted`](super::stream::Importer::add_converted)).

use parquet_rows::{Reader, Step};
use serde_json::{Map, Value};

use super::error::FileError;
use super::source::Columns;
use super::text::RowSink;

pub use parquet_rows::Range;

/// One Parquet file being read.
#[derive(Debug)]
pub struct ParquetReader {
    reader: Reader,
    columns: Option<Columns>,
    rows: usize,
}

impl ParquetReader {
    /// A reader of a Parquet file of `len` bytes.
    pub fn new(len: u64) -> ParquetReader {
        ParquetReader { reader: Reader::new(len), columns: None, rows: 0 }
    }

    /// The range to give next, or `None` once the file is read.
    pub fn need(&self) -> Option<Range> {
        self.reader.need()
    }

    /// The bytes of the range [`need`](Self::need) gave; reads them (the footer, or a row
    /// group whose rows go to `sink`).
    pub fn give(&mut self, bytes: Vec<u8>, sink: &mut dyn RowSink) {
        match self.reader.give(bytes) {
            Err(detail) => sink.file_error(FileError::Parquet { detail }),
            Ok(Step::Tail) => {}
            Ok(Step::Columns(names)) => match Columns::new("parquet", names) {
                Ok(columns) => {
                    if !sink.columns(&columns) {
                        self.reader.skip_rows();
                    }
                    self.columns = Some(columns);
                }
                Err(e) => {
                    self.reader.skip_rows();
                    sink.file_error(e);
                }
            },
            Ok(Step::Rows(rows)) => {
                let columns = self.columns.as_ref().expect("the footer is read");
                for row in rows {
                    self.rows += 1;
                    let map: Map<String, Value> = row.into_iter().collect();
                    sink.row(columns, self.rows, &columns.object(map));
                }
            }
        }
    }
}
