//! A CSV or JSON Lines export read as a stream of text: bytes in chunks of any size (a chunk
//! may end inside a line, a quoted field or a UTF-8 sequence) become the file's columns, then
//! its rows one at a time, each with its physical line. Only what recognition needs is
//! buffered: a CSV header, or the first [`JSON_SAMPLE_LINES`] lines of JSON Lines (whose
//! keys are the columns). The bytes must be UTF-8: the first invalid byte refuses the file,
//! named by its line, whatever was read before it.

use serde_json::Value;

use super::csv;
use super::error::{json_error, FileError, RowError};
use super::source::{Columns, Row};

/// How many JSON Lines rows are read to learn the columns.
pub const JSON_SAMPLE_LINES: usize = 1000;

/// Where a reader's output goes.
pub trait RowSink {
    /// The file's columns are known. Returns whether its rows are wanted (false for a file
    /// that is not recognised: the rest is only checked to be UTF-8).
    fn columns(&mut self, columns: &Columns) -> bool;
    /// One data row at its physical line.
    fn row(&mut self, columns: &Columns, line: usize, row: &Row);
    /// A data row that could not be read at all.
    fn malformed(&mut self, line: usize, error: RowError);
    /// The file cannot be read (replaces whatever the sink has from it).
    fn file_error(&mut self, error: FileError);
}

/// Checks that the bytes are UTF-8, counting lines; passes on the valid bytes (a sequence
/// split between two chunks is passed on whole) without a leading BOM.
#[derive(Debug, Default)]
struct Utf8Check {
    /// The incomplete sequence at the end of the previous chunk (at most 3 bytes), or the
    /// first bytes of the file while a BOM is still possible.
    carry: Vec<u8>,
    started: bool,
    /// Newlines in the bytes passed on.
    newlines: usize,
    failed: bool,
}

impl Utf8Check {
    /// The valid text of `bytes` (with the carry), or the line of the first invalid byte.
    fn push<'a>(&mut self, bytes: &'a [u8], scratch: &'a mut Vec<u8>) -> Result<&'a [u8], usize> {
        let mut data: &[u8] = if self.carry.is_empty() {
            bytes
        } else {
            scratch.clear();
            scratch.extend_from_slice(&self.carry);
            scratch.extend_from_slice(bytes);
            self.carry.clear();
            scratch
        };
        if !self.started {
            const BOM: &[u8] = b"\xef\xbb\xbf";
            if data.len() < BOM.len() && BOM.starts_with(data) {
                self.carry.extend_from_slice(data);
                return Ok(&[]);
            }
            self.started = true;
            if data.starts_with(BOM) {
                data = &data[BOM.len()..];
            }
        }
        let valid = match std::str::from_utf8(data) {
            Ok(_) => data,
            Err(e) if e.error_len().is_none() => {
                let (valid, rest) = data.split_at(e.valid_up_to());
                self.carry.extend_from_slice(rest);
                valid
            }
            Err(e) => {
                let line = self.newlines + data[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
                return Err(line);
            }
        };
        self.newlines += valid.iter().filter(|b| **b == b'\n').count();
        Ok(valid)
    }

    /// The end of the input: a sequence left incomplete is invalid.
    fn finish(&mut self) -> Result<(), usize> {
        if self.started || self.carry.is_empty() {
            if self.carry.is_empty() {
                return Ok(());
            }
            return Err(self.newlines + 1);
        }
        // A file shorter than a BOM: its bytes are all the text there is.
        let carry = std::mem::take(&mut self.carry);
        match std::str::from_utf8(&carry) {
            Ok(_) => Ok(()),
            Err(_) => Err(self.newlines + 1),
        }
    }
}

#[derive(Debug)]
enum Format {
    /// Not known yet: the bytes so far are all whitespace (kept to be read once it is).
    Undecided(Vec<u8>),
    Csv(CsvState),
    Jsonl(JsonState),
    /// Nothing more to read (a file error, or a file whose rows are not wanted).
    Skip,
}

#[derive(Debug, Default)]
struct CsvState {
    parser: csv::Parser,
    columns: Option<Columns>,
    wanted: bool,
}

#[derive(Debug, Default)]
struct JsonState {
    /// The current line's bytes.
    line: Vec<u8>,
    /// Bytes of the current line seen (it is not kept past [`csv::MAX_RECORD_BYTES`]).
    seen: usize,
    line_no: usize,
    /// The first non-blank lines, parsed, until the columns are known.
    sample: Vec<(usize, Result<Value, RowError>)>,
    columns: Option<Columns>,
    wanted: bool,
}

/// One text file being read.
#[derive(Debug)]
pub struct TextReader {
    utf8: Utf8Check,
    scratch: Vec<u8>,
    format: Format,
    /// A file error was reported (the rest is checked for UTF-8 only, which may replace it).
    failed: bool,
}

impl Default for TextReader {
    fn default() -> TextReader {
        TextReader { utf8: Utf8Check::default(), scratch: Vec::new(), format: Format::Undecided(Vec::new()), failed: false }
    }
}

impl TextReader {
    pub fn push(&mut self, bytes: &[u8], sink: &mut dyn RowSink) {
        if self.utf8.failed {
            return;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut utf8 = std::mem::take(&mut self.utf8);
        match utf8.push(bytes, &mut scratch) {
            Ok(text) => self.text(text, sink),
            Err(line) => {
                utf8.failed = true;
                self.not_utf8(line, sink);
            }
        }
        self.utf8 = utf8;
        self.scratch = scratch;
    }

    fn not_utf8(&mut self, line: usize, sink: &mut dyn RowSink) {
        self.utf8.failed = true;
        self.format = Format::Skip;
        sink.file_error(FileError::NotUtf8 { line });
    }

    fn fail(&mut self, error: FileError, sink: &mut dyn RowSink) {
        self.failed = true;
        self.format = Format::Skip;
        sink.file_error(error);
    }

    fn text(&mut self, text: &[u8], sink: &mut dyn RowSink) {
        if text.is_empty() {
            return;
        }
        if let Format::Undecided(held) = &mut self.format {
            held.extend_from_slice(text);
            // Valid UTF-8 up to a possibly incomplete last sequence (the checker passes whole
            // sequences only, so it is complete).
            let s = std::str::from_utf8(held).unwrap_or("");
            match s.trim_start().chars().next() {
                None => return,
                Some(first) => {
                    let held = std::mem::take(held);
                    self.format = if first == '{' { Format::Jsonl(JsonState::default()) } else { Format::Csv(CsvState::default()) };
                    return self.text(&held, sink);
                }
            }
        }
        let mut error = None;
        match &mut self.format {
            Format::Csv(state) => state.push(text, sink, &mut error),
            Format::Jsonl(state) => state.push(text, sink, &mut error),
            Format::Undecided(_) | Format::Skip => {}
        }
        if let Some(e) = error {
            self.fail(e, sink);
        }
    }

    /// The end of the file.
    pub fn finish(&mut self, sink: &mut dyn RowSink) {
        if self.utf8.failed {
            return;
        }
        if let Err(line) = self.utf8.finish() {
            return self.not_utf8(line, sink);
        }
        if self.failed {
            return;
        }
        let mut error = None;
        match &mut self.format {
            Format::Undecided(_) => error = Some(FileError::Empty),
            Format::Csv(state) => state.finish(sink, &mut error),
            Format::Jsonl(state) => state.finish(sink),
            Format::Skip => {}
        }
        if let Some(e) = error {
            self.fail(e, sink);
        }
    }
}

impl CsvState {
    fn record(&mut self, record: Result<csv::Row, csv::Broken>, sink: &mut dyn RowSink, error: &mut Option<FileError>) {
        if error.is_some() {
            return;
        }
        let Some(columns) = &self.columns else {
            match record {
                Ok(header) => {
                    let names = header.fields.into_iter().map(|f| f.trim().to_string()).collect();
                    match Columns::new("csv", names) {
                        Ok(columns) => {
                            self.wanted = sink.columns(&columns);
                            self.columns = Some(columns);
                        }
                        Err(e) => *error = Some(e),
                    }
                }
                Err(b) => {
                    *error = Some(match b.kind {
                        csv::BrokenKind::UnclosedQuote => FileError::UnclosedHeaderQuote { quote_line: b.line },
                        csv::BrokenKind::TooLong => FileError::HeaderTooLong { max: csv::MAX_RECORD_BYTES },
                    })
                }
            }
            return;
        };
        if !self.wanted {
            return;
        }
        match record {
            Ok(r) if r.fields.len() != columns.columns.len() => {
                sink.malformed(r.line, RowError::FieldCount { found: r.fields.len(), expected: columns.columns.len() })
            }
            Ok(r) => {
                let row = columns.cells(r.fields);
                sink.row(columns, r.line, &row);
            }
            Err(b) => sink.malformed(
                b.line,
                match b.kind {
                    csv::BrokenKind::UnclosedQuote => RowError::UnclosedQuote { quote_line: b.line },
                    csv::BrokenKind::TooLong => RowError::TooLong { max: csv::MAX_RECORD_BYTES },
                },
            ),
        }
    }

    fn push(&mut self, text: &[u8], sink: &mut dyn RowSink, error: &mut Option<FileError>) {
        let mut parser = std::mem::take(&mut self.parser);
        parser.push(text, &mut |r| self.record(r, sink, error));
        self.parser = parser;
    }

    fn finish(&mut self, sink: &mut dyn RowSink, error: &mut Option<FileError>) {
        let mut parser = std::mem::take(&mut self.parser);
        parser.finish(&mut |r| self.record(r, sink, error));
        if self.columns.is_none() && error.is_none() {
            *error = Some(FileError::Empty);
        }
    }
}

impl JsonState {
    fn push(&mut self, text: &[u8], sink: &mut dyn RowSink, _error: &mut Option<FileError>) {
        let mut rest = text;
        while let Some(at) = rest.iter().position(|b| *b == b'\n') {
            self.take(&rest[..at]);
            self.end_line(sink);
            rest = &rest[at + 1..];
        }
        self.take(rest);
    }

    fn take(&mut self, bytes: &[u8]) {
        self.seen += bytes.len();
        if self.seen <= csv::MAX_RECORD_BYTES {
            self.line.extend_from_slice(bytes);
        }
    }

    fn end_line(&mut self, sink: &mut dyn RowSink) {
        self.line_no += 1;
        let too_long = self.seen > csv::MAX_RECORD_BYTES;
        let bytes = std::mem::take(&mut self.line);
        self.seen = 0;
        // The text is valid UTF-8 and lines end at ASCII bytes.
        let text = String::from_utf8_lossy(&bytes);
        let line = text.trim();
        if line.is_empty() && !too_long {
            return;
        }
        let parsed = if too_long {
            Err(RowError::TooLong { max: csv::MAX_RECORD_BYTES })
        } else {
            serde_json::from_str::<Value>(line).map_err(|e| json_error(line, &e))
        };
        match &self.columns {
            None => {
                self.sample.push((self.line_no, parsed));
                if self.sample.len() == JSON_SAMPLE_LINES {
                    self.decide(sink);
                }
            }
            Some(_) => self.row(self.line_no, parsed, sink),
        }
    }

    /// The columns from the sampled lines (the keys of every object, in order of first
    /// appearance), then the sampled rows.
    fn decide(&mut self, sink: &mut dyn RowSink) {
        let mut names: Vec<String> = Vec::new();
        for (_, parsed) in &self.sample {
            if let Ok(Value::Object(map)) = parsed {
                for key in map.keys() {
                    if !names.contains(key) {
                        names.push(key.clone());
                    }
                }
            }
        }
        // Keys of one object are unique, so the columns are too.
        let columns = Columns::new("jsonl", names).expect("JSON keys are unique");
        self.wanted = sink.columns(&columns);
        self.columns = Some(columns);
        for (line, parsed) in std::mem::take(&mut self.sample) {
            self.row(line, parsed, sink);
        }
    }

    fn row(&mut self, line: usize, parsed: Result<Value, RowError>, sink: &mut dyn RowSink) {
        if !self.wanted {
            return;
        }
        let columns = self.columns.as_ref().expect("columns are known");
        match parsed {
            Ok(Value::Object(map)) => sink.row(columns, line, &columns.object(map)),
            Ok(_) => sink.malformed(line, RowError::NotAnObject),
            Err(e) => sink.malformed(line, e),
        }
    }

    fn finish(&mut self, sink: &mut dyn RowSink) {
        if !self.line.is_empty() || self.seen > 0 {
            self.end_line(sink);
        }
        if self.columns.is_none() {
            self.decide(sink);
        }
    }
}

/// A whole text file read at once: its columns, rows and malformed rows, or its error.
#[cfg(test)]
#[allow(clippy::type_complexity)]
pub(super) fn read_all(bytes: &[u8]) -> Result<(Columns, Vec<(usize, Row)>, Vec<(usize, RowError)>), FileError> {
    #[derive(Default)]
    struct All {
        columns: Option<Columns>,
        rows: Vec<(usize, Row)>,
        malformed: Vec<(usize, RowError)>,
        error: Option<FileError>,
    }
    impl RowSink for All {
        fn columns(&mut self, columns: &Columns) -> bool {
            self.columns = Some(Columns::new(columns.format, columns.columns.clone()).expect("checked"));
            true
        }
        fn row(&mut self, _: &Columns, line: usize, row: &Row) {
            self.rows.push((line, row.clone()));
        }
        fn malformed(&mut self, line: usize, error: RowError) {
            self.malformed.push((line, error));
        }
        fn file_error(&mut self, error: FileError) {
            self.error = Some(error);
        }
    }
    let mut all = All::default();
    let mut reader = TextReader::default();
    reader.push(bytes, &mut all);
    reader.finish(&mut all);
    match all.error {
        Some(e) => Err(e),
        None => Ok((all.columns.expect("columns"), all.rows, all.malformed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<String>);

    impl RowSink for Collect {
        fn columns(&mut self, columns: &Columns) -> bool {
            self.0.push(format!("columns {} {:?}", columns.format, columns.columns));
            true
        }
        fn row(&mut self, columns: &Columns, line: usize, row: &Row) {
            let cells: Vec<Option<String>> = columns.columns.iter().map(|c| columns.text(row, c)).collect();
            self.0.push(format!("{line}: {cells:?}"));
        }
        fn malformed(&mut self, line: usize, error: RowError) {
            self.0.push(format!("{line}: malformed {error}"));
        }
        fn file_error(&mut self, error: FileError) {
            self.0.push(format!("error {error}"));
        }
    }

    fn read(bytes: &[u8], chunk: usize) -> Vec<String> {
        let mut sink = Collect::default();
        let mut reader = TextReader::default();
        for c in bytes.chunks(chunk.max(1)) {
            reader.push(c, &mut sink);
        }
        reader.finish(&mut sink);
        sink.0
    }

    #[test]
    fn chunks_of_any_size_read_the_same() {
        let csv = "\u{feff}a,b\r\n1,\"x\ny\"\n\n\"é€\",😀\n3\n".as_bytes();
        let json = "\n{\"a\":\"é\",\"b\":1}\n  \nnot json\n[1]\n{\"c\":\"😀\"}".as_bytes();
        for input in [csv, json] {
            let whole = read(input, input.len());
            for size in 1..6 {
                assert_eq!(read(input, size), whole, "chunks of {size}");
            }
        }
        assert_eq!(
            read(csv, 1),
            [
                "columns csv [\"a\", \"b\"]",
                "2: [Some(\"1\"), Some(\"x\\ny\")]",
                "5: [Some(\"é€\"), Some(\"😀\")]",
                "6: malformed the row has 1 fields where the header has 2"
            ]
        );
        assert_eq!(read(json, 1)[0], "columns jsonl [\"a\", \"b\", \"c\"]");
        assert_eq!(read(json, 1)[3], "5: malformed the line is JSON but not an object");
    }

    #[test]
    fn invalid_utf8_and_empty_files() {
        assert_eq!(read(b"a,b\n1,2\n\xff,3\n", 1).last().unwrap(), "error line 3 is not UTF-8 text (save the export as UTF-8)");
        assert_eq!(read(b"a,b\n1,\xc3", 1).last().unwrap(), "error line 2 is not UTF-8 text (save the export as UTF-8)");
        assert_eq!(read(b"", 1), ["error the file is empty"]);
        assert_eq!(read(b"\xef\xbb\xbf \n\t\n", 1), ["error the file is empty"]);
        assert_eq!(read(b"\xef\xbb", 1), ["error line 1 is not UTF-8 text (save the export as UTF-8)"]);
        // A duplicate header refuses the file, but invalid UTF-8 later names that instead.
        let dup = read(b"a,a\n1,2\n\xfe\n", 2);
        assert_eq!(
            dup,
            ["error the header names a twice, in columns 1 and 2", "error line 3 is not UTF-8 text (save the export as UTF-8)"]
        );
    }
}

/// The columns and values a read file gives to recognition and mapping (`source`).
#[cfg(test)]
mod read_values {
    use super::read_all;
    use crate::base::vocab::SystemTable;
    use crate::data::import::error::{FileError, RowError};
    use crate::data::import::kind::{ExtractKind, Source};
    use crate::data::import::source::{identify, recognise, Columns};

    fn first_text(bytes: &[u8], path: &str) -> Option<String> {
        let (file, rows, _) = read_all(bytes).unwrap();
        rows.iter().find_map(|(_, row)| file.text(row, path))
    }

    fn columns(bytes: &[u8]) -> Columns {
        read_all(bytes).unwrap().0
    }

    #[test]
    fn nested_or_flattened_fields_and_recognition() {
        let nested: &[u8] = b"sku_name,usage_quantity,usage_start_time,usage_end_time,usage_metadata\nJOBS,2.5,2025-11-03 01:00:00,2025-11-03 02:00:00,\"{\"\"job_id\"\":\"\"42\"\"}\"\n";
        assert_eq!(recognise(&columns(nested)), Ok(SystemTable::BillingUsage));
        assert_eq!(first_text(nested, "usage_metadata.job_id").as_deref(), Some("42"));
        let flat: &[u8] = b"sku_name,usage_quantity,usage_start_time,usage_end_time,usage_metadata.job_id\nJOBS,2.5,2025-11-03 01:00:00,2025-11-03 02:00:00,42\n";
        assert_eq!(recognise(&columns(flat)), Ok(SystemTable::BillingUsage));
        assert_eq!(first_text(flat, "usage_metadata.job_id").as_deref(), Some("42"));
        let renamed = columns(b"sku_name,quantity,usage_start_time,usage_end_time,usage_metadata\n");
        assert_eq!(recognise(&renamed), Err((SystemTable::BillingUsage, vec!["usage_quantity".to_string()])));
        let (jsonl, rows, malformed) = read_all(b"{\"job_id\":\"1\",\"run_id\":\"9\",\"job_run_id\":\"5\",\"task_key\":\"t\",\"period_start_time\":\"2025-11-03T01:00:00Z\",\"period_end_time\":\"2025-11-03T01:10:00Z\",\"compute_ids\":[\"c1\"],\"result_state\":null}\nnot json\n").unwrap();
        assert_eq!(recognise(&jsonl), Ok(SystemTable::JobTaskRunTimeline));
        assert_eq!(jsonl.list(&rows[0].1, "compute_ids"), ["c1"]);
        assert_eq!((rows.len() + malformed.len(), malformed[0].0), (2, 2));
    }

    #[test]
    fn only_nested_columns_are_parsed_as_json_and_numbers_must_be_finite() {
        let (file, rows, _) =
            read_all(b"job_id,name,description,tags,n\n1,[draft] x,\"{\"\"a\"\": 1}\",\"{\"\"b\"\":\"\"2\"\"}\",inf\n").unwrap();
        let row = &rows[0].1;
        assert_eq!(file.text(row, "name").as_deref(), Some("[draft] x"));
        assert_eq!(file.text(row, "description").as_deref(), Some("{\"a\": 1}"), "a description is text even when it looks like JSON");
        assert_eq!(file.tags(row, "tags"), ["b=2"]);
        assert_eq!(file.number(row, "n"), Err(RowError::NotFinite { column: "n".into(), value: "inf".into() }));
    }

    #[test]
    fn a_duplicate_header_is_refused_and_extracts_are_identified() {
        let err = read_all(b"a,b,a\n1,2,3\n").err().unwrap();
        assert_eq!(err, FileError::DuplicateColumn { name: "a".into(), first: 1, second: 3 });
        assert_eq!(err.to_string(), "the header names a twice, in columns 1 and 3");
        assert!(read_all(b"a,b,,\n1,2,,\n").is_ok(), "unnamed columns do not clash");
        let users = columns(b"extract_kind,user_id,user_workspace_id\nusers,u,w\n");
        assert_eq!(identify(&users), Ok(Source::Extract(ExtractKind::Users)));
        assert!(recognise(&users).is_err(), "an extract is never a raw export");
    }
}
