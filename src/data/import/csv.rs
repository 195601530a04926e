//! A small RFC 4180 CSV reader that keeps physical line numbers, so a malformed row can be
//! reported as "file, line N". Quoted fields may hold commas, doubled quotes and newlines.

/// One data row: its fields and the physical line it starts on (1-based; the header is 1).
#[derive(Debug, PartialEq)]
pub struct Row {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A row the reader could not split (an unterminated quote), with the line where the
/// quoted field that is never closed starts (which may be after the line the row starts on).
#[derive(Debug, PartialEq)]
pub struct Broken {
    pub line: usize,
    pub message: String,
}

/// Rows of `text` one at a time. The first row is the header. A leading UTF-8 BOM is
/// ignored, `\r\n` and `\n` both end a row, and blank lines are skipped.
pub struct Records<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    done: bool,
}

pub fn records(text: &str) -> Records<'_> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Records { chars: text.chars().peekable(), line: 1, done: false }
}

impl Iterator for Records<'_> {
    type Item = Result<Row, Broken>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut fields: Vec<String> = Vec::new();
        let mut field = String::new();
        let mut in_quotes = false;
        let mut quoted = false;
        let mut quote_line = self.line;
        let mut row_has_content = false;
        let mut row_line = self.line;
        while let Some(c) = self.chars.next() {
            if in_quotes {
                match c {
                    '"' if self.chars.peek() == Some(&'"') => {
                        self.chars.next();
                        field.push('"');
                    }
                    '"' => in_quotes = false,
                    '\n' => {
                        self.line += 1;
                        field.push('\n');
                    }
                    _ => field.push(c),
                }
                continue;
            }
            match c {
                '"' if field.is_empty() && !quoted => {
                    in_quotes = true;
                    quoted = true;
                    quote_line = self.line;
                    row_has_content = true;
                }
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    quoted = false;
                    row_has_content = true;
                }
                '\r' if self.chars.peek() == Some(&'\n') => {}
                '\n' => {
                    self.line += 1;
                    if row_has_content || !field.is_empty() {
                        fields.push(field);
                        return Some(Ok(Row { line: row_line, fields }));
                    }
                    row_line = self.line;
                }
                _ => {
                    field.push(c);
                    row_has_content = true;
                }
            }
        }
        self.done = true;
        if in_quotes {
            return Some(Err(Broken { line: quote_line, message: "a quoted field is never closed".to_string() }));
        }
        if row_has_content || !field.is_empty() {
            fields.push(field);
            return Some(Ok(Row { line: row_line, fields }));
        }
        None
    }
}

/// All rows of `text`, and the row that could not be split (if any).
#[cfg(test)]
pub fn parse(text: &str) -> (Vec<Row>, Option<Broken>) {
    let mut rows = Vec::new();
    for r in records(text) {
        match r {
            Ok(row) => rows.push(row),
            Err(b) => return (rows, Some(b)),
        }
    }
    (rows, None)
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
        assert_eq!(broken, Some(Broken { line: 3, message: "a quoted field is never closed".into() }));
    }

    #[test]
    fn an_unclosed_quote_is_placed_where_the_field_opens() {
        // The row starts on line 2; its second quoted field opens on line 3.
        let (_, broken) = parse("a,b\n\"x\ny\",\"open\nmore\n");
        assert_eq!(broken.map(|b| b.line), Some(3));
    }
}
