//! A small RFC 4180 CSV reader that keeps physical line numbers, so a malformed row can be
//! reported as "file, line N". Quoted fields may hold commas, doubled quotes and newlines.
//!
//! The reader is pushed bytes in chunks of any size ([`Parser::push`], then
//! [`Parser::finish`]): a chunk may end inside a field, a quoted field, a doubled quote, a
//! `\r\n` or a UTF-8 sequence (the delimiters are ASCII bytes, which never occur inside a
//! multi-byte UTF-8 sequence). The bytes must be valid UTF-8 (the caller checks; see
//! `text::Utf8Lines`), so every field is. Rows are the same whatever the chunk boundaries.

/// One data row: its fields and the physical line it starts on (1-based; the header is 1).
#[derive(Debug, PartialEq)]
pub struct Row {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A row the reader could not split, with the line it concerns: an unterminated quote (the
/// line where the quoted field that is never closed opens, which may be after the line the
/// row starts on), or a row longer than [`MAX_RECORD_BYTES`] (the line it starts on).
#[derive(Debug, PartialEq)]
pub struct Broken {
    pub line: usize,
    pub kind: BrokenKind,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum BrokenKind {
    UnclosedQuote,
    TooLong,
}

/// The longest record kept: a longer one is scanned to its end (so the rows after it are
/// read as usual) but its fields are not kept. Bounds memory on a file whose quote never
/// closes.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// The incremental reader. A leading UTF-8 BOM must already be removed; `\r\n` and `\n`
/// both end a row, and blank lines are skipped.
#[derive(Debug)]
pub struct Parser {
    /// The current record's bytes, fields end at `ends`.
    buf: Vec<u8>,
    ends: Vec<usize>,
    /// Bytes of the current record seen (kept or not), and of its current field.
    seen: usize,
    field_len: usize,
    in_quotes: bool,
    /// The current field opened with a quote.
    quoted: bool,
    /// Inside quotes, a `"` was the chunk's last byte (it closes the quote or starts `""`).
    pending_quote: bool,
    /// Outside quotes, a `\r` was the chunk's last byte (dropped when `\n` follows).
    pending_cr: bool,
    row_has_content: bool,
    line: usize,
    row_line: usize,
    quote_line: usize,
}

impl Default for Parser {
    fn default() -> Parser {
        Parser {
            buf: Vec::new(),
            ends: Vec::new(),
            seen: 0,
            field_len: 0,
            in_quotes: false,
            quoted: false,
            pending_quote: false,
            pending_cr: false,
            row_has_content: false,
            line: 1,
            row_line: 1,
            quote_line: 1,
        }
    }
}

impl Parser {
    fn field_is_empty(&self) -> bool {
        self.field_len == 0
    }

    fn push_byte(&mut self, b: u8) {
        self.seen += 1;
        self.field_len += 1;
        if self.seen <= MAX_RECORD_BYTES {
            self.buf.push(b);
        }
    }

    fn end_field(&mut self) {
        self.ends.push(self.buf.len());
        self.field_len = 0;
    }

    fn take_row(&mut self) -> Result<Row, Broken> {
        self.end_field();
        let too_long = self.seen > MAX_RECORD_BYTES;
        let mut fields = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        if !too_long {
            for &end in &self.ends {
                // The input is valid UTF-8 and fields end at ASCII bytes.
                fields.push(String::from_utf8_lossy(&self.buf[start..end]).into_owned());
                start = end;
            }
        }
        self.buf.clear();
        self.ends.clear();
        self.seen = 0;
        self.quoted = false;
        self.row_has_content = false;
        let line = self.row_line;
        self.row_line = self.line;
        if too_long {
            Err(Broken { line, kind: BrokenKind::TooLong })
        } else {
            Ok(Row { line, fields })
        }
    }

    /// Reads `bytes`, calling `emit` with every record completed in them (the header first).
    pub fn push(&mut self, bytes: &[u8], emit: &mut impl FnMut(Result<Row, Broken>)) {
        for &b in bytes {
            if self.pending_quote {
                self.pending_quote = false;
                if b == b'"' {
                    self.push_byte(b'"');
                    continue;
                }
                self.in_quotes = false;
            }
            if self.pending_cr {
                self.pending_cr = false;
                if b != b'\n' {
                    self.push_byte(b'\r');
                    self.row_has_content = true;
                }
            }
            if self.in_quotes {
                match b {
                    b'"' => self.pending_quote = true,
                    b'\n' => {
                        self.line += 1;
                        self.push_byte(b'\n');
                    }
                    _ => self.push_byte(b),
                }
                continue;
            }
            match b {
                b'"' if self.field_is_empty() && !self.quoted => {
                    self.in_quotes = true;
                    self.quoted = true;
                    self.quote_line = self.line;
                    self.row_has_content = true;
                    self.seen += 1;
                }
                b',' => {
                    self.seen += 1;
                    self.end_field();
                    self.quoted = false;
                    self.row_has_content = true;
                }
                b'\r' => self.pending_cr = true,
                b'\n' => {
                    self.line += 1;
                    if self.row_has_content || !self.field_is_empty() {
                        emit(self.take_row());
                    } else {
                        self.row_line = self.line;
                    }
                }
                _ => {
                    self.push_byte(b);
                    self.row_has_content = true;
                }
            }
        }
    }

    /// The end of the input: the last record, if it does not end with a newline, or the
    /// quoted field that is never closed.
    pub fn finish(&mut self, emit: &mut impl FnMut(Result<Row, Broken>)) {
        if self.pending_quote {
            self.pending_quote = false;
            self.in_quotes = false;
        }
        if self.pending_cr {
            self.pending_cr = false;
            self.push_byte(b'\r');
            self.row_has_content = true;
        }
        if self.in_quotes {
            emit(Err(Broken { line: self.quote_line, kind: BrokenKind::UnclosedQuote }));
            return;
        }
        if self.row_has_content || !self.field_is_empty() {
            emit(self.take_row());
        }
    }
}

/// All rows of `text`, and the row that could not be split (if any).
#[cfg(test)]
pub fn parse(text: &str) -> (Vec<Row>, Option<Broken>) {
    let mut rows = Vec::new();
    let mut broken = None;
    let mut parser = Parser::default();
    let mut emit = |r: Result<Row, Broken>| match r {
        Ok(row) if broken.is_none() => rows.push(row),
        Ok(_) => {}
        Err(b) => broken = broken.take().or(Some(b)),
    };
    parser.push(text.as_bytes(), &mut emit);
    parser.finish(&mut emit);
    (rows, broken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_commas_newlines_and_line_numbers() {
        let text = "a,b,c\r\n1,\"x, \"\"y\"\"\",3\n\n2,\"multi\nline\",4\n5,6\n";
        let (rows, broken) = parse(text);
        assert_eq!(broken, None);
        assert_eq!(rows[0], Row { line: 1, fields: vec!["a".into(), "b".into(), "c".into()] });
        assert_eq!(rows[1], Row { line: 2, fields: vec!["1".into(), "x, \"y\"".into(), "3".into()] });
        assert_eq!(rows[2], Row { line: 4, fields: vec!["2".into(), "multi\nline".into(), "4".into()] });
        assert_eq!(rows[3], Row { line: 6, fields: vec!["5".into(), "6".into()] });
    }

    #[test]
    fn empty_fields_and_an_unclosed_quote() {
        let (rows, _) = parse("a,b\n,\n");
        assert_eq!(rows[1].fields, ["", ""]);
        let (rows, broken) = parse("a,b\n1,2\n3,\"open\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(broken, Some(Broken { line: 3, kind: BrokenKind::UnclosedQuote }));
    }

    #[test]
    fn an_unclosed_quote_is_placed_where_the_field_opens() {
        // The row starts on line 2; its second quoted field opens on line 3.
        let (_, broken) = parse("a,b\n\"x\ny\",\"open\nmore\n");
        assert_eq!(broken.map(|b| b.line), Some(3));
    }

    #[test]
    fn any_chunk_boundaries_give_the_same_rows() {
        let text = "a,b,c\r\n1,\"x, \"\"y\"\"\",3\r\n\n2,\"multi\r\nline\",é€😀\r\n5,\"\"\"\",x\"y\r\nlone\rcr,\"\"z,\r";
        let whole = format!("{:?}", parse(text));
        for size in 1..8 {
            let mut out = Vec::new();
            let mut parser = Parser::default();
            let mut emit = |r: Result<Row, Broken>| out.push(r);
            for chunk in text.as_bytes().chunks(size) {
                parser.push(chunk, &mut emit);
            }
            parser.finish(&mut emit);
            let rows: Vec<Row> = out.into_iter().map(|r| r.unwrap()).collect();
            assert_eq!(format!("{:?}", (rows, None::<Broken>)), whole, "chunks of {size}");
        }
    }

    #[test]
    fn quotes_and_carriage_returns_as_the_char_reader_had_them() {
        let (rows, _) = parse("\"\"\"\",\"\"z,a\"b\"\nx\ry\n\"q\"\"\"\n");
        assert_eq!(rows[0].fields, ["\"", "z", "a\"b\""]);
        assert_eq!(rows[1].fields, ["x\ry"]);
        assert_eq!(rows[2].fields, ["q\""]);
    }
}
