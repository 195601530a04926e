//! A small RFC 4180 CSV reader that keeps physical line numbers, so a malformed row can be
//! reported as "file, line N". Quoted fields may hold commas, doubled quotes and newlines.

/// One data row: its fields and the physical line it starts on (1-based; the header is 1).
#[derive(Debug, PartialEq)]
pub struct Row {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A row the reader could not split (an unterminated quote), with its line.
#[derive(Debug, PartialEq)]
pub struct Broken {
    pub line: usize,
    pub message: String,
}

/// Splits `text` into rows. The first row is the header. A leading UTF-8 BOM is ignored,
/// `\r\n` and `\n` both end a row, and blank lines are skipped.
pub fn parse(text: &str) -> (Vec<Row>, Option<Broken>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut quoted = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    let mut row_has_content = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
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
                row_has_content = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
                row_has_content = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if row_has_content || !field.is_empty() {
                    fields.push(std::mem::take(&mut field));
                    rows.push(Row { line: row_line, fields: std::mem::take(&mut fields) });
                }
                field.clear();
                quoted = false;
                row_has_content = false;
                line += 1;
                row_line = line;
            }
            _ => {
                field.push(c);
                row_has_content = true;
            }
        }
    }
    if in_quotes {
        return (rows, Some(Broken { line: row_line, message: "a quoted field is never closed".to_string() }));
    }
    if row_has_content || !field.is_empty() {
        fields.push(field);
        rows.push(Row { line: row_line, fields });
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
}
