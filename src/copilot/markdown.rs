//! A safe Markdown subset for LLM answers and offline narratives: text is parsed into a
//! small AST that the UI renders as elements. No HTML is ever produced or passed through:
//! raw tags stay literal text, and links keep their target only for `http`, `https` and
//! `mailto` URLs.
//!
//! Supported: ATX headings, paragraphs, flat bullet and numbered lists, fenced code,
//! horizontal rules, strong, emphasis, code spans, links and backslash escapes. Anything
//! else, including unmatched markers, reads as the text it is.

use serde::Serialize;
use std::collections::HashMap;
use std::ops::Range;

/// A block-level element.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Block {
    /// `#` to `######` followed by a space; longer runs of `#` are capped at level 6.
    Heading { level: u8, inlines: Vec<Inline> },
    /// A paragraph; its line breaks are kept (as `\n` in its text), so one-fact-per-line
    /// answers stay one fact per line.
    Paragraph(Vec<Inline>),
    /// A flat list: indented markers start new items of the same list, not nested lists.
    /// An ordered list starts at its first item's number, so a list interrupted by another
    /// block carries on at 3 instead of restarting at 1.
    List { ordered: bool, start: u32, items: Vec<Vec<Inline>> },
    /// A fenced code block, verbatim, lines joined with `\n`.
    Code(String),
    /// A horizontal rule.
    Rule,
}

/// An inline element. Sequences never hold two adjacent `Text`s.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Code(String),
    /// A link with a safe `url`; `text` is the label's plain text (the URL if it is empty).
    Link {
        text: String,
        url: String,
    },
}

/// Parses Markdown into blocks. Never panics; CRLF line endings read as LF.
pub fn parse(text: &str) -> Vec<Block> {
    let mut builder = Builder::default();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        match opening_fence(line) {
            Some(fence) => {
                builder.close_all();
                let body: Vec<&str> = lines.by_ref().take_while(|l| !closes_fence(l, fence)).collect();
                builder.blocks.push(Block::Code(body.join("\n")));
            }
            None => builder.line(line),
        }
    }
    builder.close_all();
    builder.blocks
}

/// Concatenated plain text of an inline sequence (for tests and search).
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    append_plain(inlines, &mut out);
    out
}

fn append_plain(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) | Inline::Link { text, .. } => {
                out.push_str(text);
            }
            Inline::Strong(children) | Inline::Emphasis(children) => append_plain(children, out),
        }
    }
}

/// Blocks parsed so far plus the paragraph or list still open.
#[derive(Default)]
struct Builder<'a> {
    blocks: Vec<Block>,
    paragraph: Vec<&'a str>,
    list: Option<OpenList>,
}

struct OpenList {
    ordered: bool,
    start: u32,
    items: Vec<String>,
}

impl<'a> Builder<'a> {
    fn line(&mut self, line: &'a str) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            // A blank line ends a paragraph; a list carries on if another item follows.
            self.close_paragraph();
            return;
        }
        let item = list_item(line);
        if let (Some(list), None) = (self.list.as_mut(), item) {
            if indent_width(line) >= 2 {
                if let Some(last) = list.items.last_mut() {
                    if !last.is_empty() {
                        last.push(' ');
                    }
                    last.push_str(trimmed);
                }
                return;
            }
        }
        if is_rule(trimmed) {
            self.close_all();
            self.blocks.push(Block::Rule);
        } else if let Some((level, content)) = heading(trimmed) {
            self.close_all();
            self.blocks.push(Block::Heading { level, inlines: parse_inlines(content) });
        } else if let Some((ordered, number, content)) = item {
            self.close_paragraph();
            if self.list.as_ref().is_some_and(|list| list.ordered != ordered) {
                self.close_list();
            }
            self.list.get_or_insert_with(|| OpenList { ordered, start: number, items: Vec::new() }).items.push(content.to_string());
        } else {
            self.close_list();
            self.paragraph.push(trimmed);
        }
    }

    fn close_paragraph(&mut self) {
        if self.paragraph.is_empty() {
            return;
        }
        let inlines = parse_inlines(&self.paragraph.join("\n"));
        self.paragraph.clear();
        // A paragraph can come out empty, e.g. a neutralised link with an empty label.
        if !inlines.is_empty() {
            self.blocks.push(Block::Paragraph(inlines));
        }
    }

    fn close_list(&mut self) {
        if let Some(list) = self.list.take() {
            let items = list.items.iter().map(|item| parse_inlines(item)).collect();
            self.blocks.push(Block::List { ordered: list.ordered, start: list.start, items });
        }
    }

    fn close_all(&mut self) {
        self.close_paragraph();
        self.close_list();
    }
}

/// Leading indentation in columns (a tab counts as four).
fn indent_width(line: &str) -> usize {
    line.chars()
        .map_while(|c| match c {
            ' ' => Some(1),
            '\t' => Some(4),
            _ => None,
        })
        .sum()
}

/// The backtick count of an opening fence line (an info string may follow, without backticks).
fn opening_fence(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    let count = trimmed.bytes().take_while(|&b| b == b'`').count();
    (count >= 3 && !trimmed[count..].contains('`')).then_some(count)
}

fn closes_fence(line: &str, opening: usize) -> bool {
    let trimmed = line.trim();
    trimmed.len() >= opening && trimmed.bytes().all(|b| b == b'`')
}

/// Three or more of the same `-`, `*` or `_` and nothing else.
fn is_rule(trimmed: &str) -> bool {
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first @ ('-' | '*' | '_')) => trimmed.len() >= 3 && chars.all(|c| c == first),
        _ => false,
    }
}

/// Level and content of a heading line, without an optional closing run of `#`.
fn heading(trimmed: &str) -> Option<(u8, &str)> {
    let hashes = trimmed.bytes().take_while(|&b| b == b'#').count();
    if hashes == 0 {
        return None;
    }
    let content = trimmed[hashes..].strip_prefix([' ', '\t'])?.trim();
    let unclosed = content.trim_end_matches('#');
    let content = if unclosed.is_empty() || unclosed.ends_with([' ', '\t']) { unclosed.trim_end() } else { content };
    Some((hashes.min(6) as u8, content))
}

/// Whether a line is a list item (ordered or not), its number (1 for bullets) and text.
fn list_item(line: &str) -> Option<(bool, u32, &str)> {
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed.strip_prefix(['-', '*', '+']) {
        return rest.strip_prefix([' ', '\t']).map(|text| (false, 1, text.trim()));
    }
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=9).contains(&digits) {
        return None;
    }
    let number = trimmed[..digits].parse().ok()?;
    let rest = trimmed[digits..].strip_prefix(['.', ')'])?;
    rest.strip_prefix([' ', '\t']).map(|text| (true, number, text.trim()))
}

/// Nesting limit for emphasis and links; deeper markers stay literal.
const MAX_DEPTH: usize = 16;

fn parse_inlines(text: &str) -> Vec<Inline> {
    let partners = Partners::new(text.as_bytes());
    let mut out = Vec::new();
    parse_inlines_into(text, 0, 0, &partners, &mut out);
    out
}

/// Where brackets and code spans close, found once per text so that every scan for a
/// closing delimiter stays linear. Offsets are absolute: nested content is parsed as a
/// range `from..text.len()` of a prefix of the same text, and partners beyond that prefix
/// do not count.
struct Partners {
    /// The closing `]` or `)` of each opening `[` or `(`, honouring nesting and escapes.
    brackets: HashMap<usize, usize>,
    /// The starts of the backtick runs of each length, ascending.
    backtick_runs: HashMap<usize, Vec<usize>>,
}

impl Partners {
    fn new(bytes: &[u8]) -> Partners {
        let mut brackets = HashMap::new();
        let (mut squares, mut parens) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'[' => squares.push(i),
                b'(' => parens.push(i),
                b']' => brackets.extend(squares.pop().map(|open| (open, i))),
                b')' => brackets.extend(parens.pop().map(|open| (open, i))),
                _ => {}
            }
            i += 1;
        }
        // Backslashes are literal inside code spans, so backtick runs ignore escapes.
        let mut backtick_runs: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'`' {
                let length = run_length(bytes, i);
                backtick_runs.entry(length).or_default().push(i);
                i += length;
            } else {
                i += 1;
            }
        }
        Partners { brackets, backtick_runs }
    }

    /// The closing bracket of the one at `open`, if it lies before `limit`.
    fn bracket(&self, open: usize, limit: usize) -> Option<usize> {
        self.brackets.get(&open).copied().filter(|&close| close < limit)
    }

    /// The content range and end of a code span opening at `start` and ending by `limit`:
    /// the next backtick run of the same length closes it.
    fn code_span(&self, bytes: &[u8], start: usize, limit: usize) -> Option<(Range<usize>, usize)> {
        let length = run_length(bytes, start);
        let starts = self.backtick_runs.get(&length)?;
        let close = *starts.get(starts.partition_point(|&run| run < start + length))?;
        (close + length <= limit).then_some((start + length..close, close + length))
    }

    /// Label range, URL range and end of a link opening at `start` and ending by `limit`.
    fn link(&self, bytes: &[u8], start: usize, limit: usize) -> Option<(Range<usize>, Range<usize>, usize)> {
        let label_end = self.bracket(start, limit)?;
        if bytes.get(label_end + 1) != Some(&b'(') {
            return None;
        }
        let url_end = self.bracket(label_end + 1, limit)?;
        Some((start + 1..label_end, label_end + 2..url_end, url_end + 1))
    }
}

/// Parses `text[from..]` (offsets stay absolute, see [`Partners`]).
fn parse_inlines_into(text: &str, from: usize, depth: usize, partners: &Partners, out: &mut Vec<Inline>) {
    let bytes = text.as_bytes();
    let mut literal_from = from;
    let mut i = from;
    while i < bytes.len() {
        let parsed = match bytes[i] {
            b'\\' => escape(bytes, i),
            b'`' => code_span(text, i, partners),
            b'*' | b'_' if depth < MAX_DEPTH => delimited(text, i, depth, partners),
            b'[' if depth < MAX_DEPTH => link(text, i, depth, partners),
            _ => None,
        };
        match parsed {
            Some((inline, end)) => {
                push_text(out, &text[literal_from..i]);
                push(out, inline);
                i = end;
                literal_from = end;
            }
            // An unmatched backtick run is literal as a whole.
            None if bytes[i] == b'`' => i += run_length(bytes, i),
            None => i += 1,
        }
    }
    push_text(out, &text[literal_from..]);
}

fn push(out: &mut Vec<Inline>, inline: Inline) {
    match inline {
        Inline::Text(text) => push_text(out, &text),
        other => out.push(other),
    }
}

/// Appends text, merging with a preceding `Text`.
fn push_text(out: &mut Vec<Inline>, text: &str) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(Inline::Text(last)) => last.push_str(text),
        _ => out.push(Inline::Text(text.to_string())),
    }
}

/// Length of the run of the byte at `start`.
fn run_length(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().take_while(|&&b| b == bytes[start]).count()
}

/// `\` before ASCII punctuation yields the punctuation itself.
fn escape(bytes: &[u8], start: usize) -> Option<(Inline, usize)> {
    let next = *bytes.get(start + 1)?;
    next.is_ascii_punctuation().then(|| (Inline::Text(char::from(next).to_string()), start + 2))
}

fn code_span(text: &str, start: usize, partners: &Partners) -> Option<(Inline, usize)> {
    let (content, end) = partners.code_span(text.as_bytes(), start, text.len())?;
    let raw = &text[content];
    // One space of padding on each side is dropped, so `` ` `x` ` `` can show backticks.
    let code = match raw.strip_prefix(' ').and_then(|r| r.strip_suffix(' ')) {
        Some(inner) if !raw.trim().is_empty() => inner,
        _ => raw,
    };
    Some((Inline::Code(code.to_string()), end))
}

/// Emphasis (`*x*`, `_x_`), strong (`**x**`, `__x__`) or both (`***x***`) opening at `start`.
fn delimited(text: &str, start: usize, depth: usize, partners: &Partners) -> Option<(Inline, usize)> {
    let bytes = text.as_bytes();
    let marker = bytes[start];
    let length = run_length(bytes, start);
    if length > 3 || !can_open(text, start, length, marker) {
        return None;
    }
    let content_start = start + length;
    let close = find_closer(text, content_start, marker, length, partners)?;
    let mut children = Vec::new();
    parse_inlines_into(&text[..close], content_start, depth + 1, partners, &mut children);
    let inline = match length {
        1 => Inline::Emphasis(children),
        2 => Inline::Strong(children),
        _ => Inline::Emphasis(vec![Inline::Strong(children)]),
    };
    Some((inline, close + length))
}

/// A delimiter run opens when followed by non-space; `_` also needs no word character before.
fn can_open(text: &str, start: usize, run: usize, marker: u8) -> bool {
    text[start + run..].chars().next().is_some_and(|c| !c.is_whitespace())
        && !(marker == b'_' && text[..start].chars().next_back().is_some_and(char::is_alphanumeric))
}

/// A delimiter run closes when preceded by non-space; `_` also needs no word character after.
fn can_close(text: &str, start: usize, run: usize, marker: u8) -> bool {
    text[..start].chars().next_back().is_some_and(|c| !c.is_whitespace())
        && !(marker == b'_' && text[start + run..].chars().next().is_some_and(char::is_alphanumeric))
}

/// Where the closing `length` markers start for an opener whose content begins at `from`.
/// Inner runs of the same marker pair up first (so `**a *b***` closes at the last two
/// stars); escapes, code spans and links are skipped.
fn find_closer(text: &str, from: usize, marker: u8, length: usize, partners: &Partners) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut inner_openers: Vec<usize> = Vec::new();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'`' => {
                i = partners.code_span(bytes, i, bytes.len()).map_or(i + run_length(bytes, i), |(_, end)| end);
            }
            b'[' => i = partners.link(bytes, i, bytes.len()).map_or(i + 1, |(_, _, end)| end),
            b if b == marker => {
                let run = run_length(bytes, i);
                let mut left = run;
                if can_close(text, i, run, marker) {
                    while left > 0 {
                        let Some(open) = inner_openers.last_mut() else {
                            break;
                        };
                        let used = left.min(*open);
                        *open -= used;
                        left -= used;
                        if *open == 0 {
                            inner_openers.pop();
                        }
                    }
                    if inner_openers.is_empty() && left >= length {
                        return Some(i + run - left);
                    }
                }
                if left > 0 && can_open(text, i, run, marker) {
                    inner_openers.push(left);
                }
                i += run;
            }
            _ => i += 1,
        }
    }
    None
}

/// `[label](url)`: the link with a safe URL, otherwise just the label's text.
fn link(text: &str, start: usize, depth: usize, partners: &Partners) -> Option<(Inline, usize)> {
    let (label, url, end) = partners.link(text.as_bytes(), start, text.len())?;
    let mut children = Vec::new();
    parse_inlines_into(&text[..label.end], label.start, depth + 1, partners, &mut children);
    let label = plain_text(&children);
    let url = text[url].trim();
    let inline = if is_safe_url(url) {
        let text = if label.is_empty() { url.to_string() } else { label };
        Inline::Link { text, url: url.to_string() }
    } else {
        Inline::Text(label)
    };
    Some((inline, end))
}

/// `http://`, `https://` or `mailto:` (any case), with no whitespace or control characters.
fn is_safe_url(url: &str) -> bool {
    let allowed_scheme = ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| url.get(..scheme.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme)));
    allowed_scheme && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Text from the data as Markdown that renders as that text: every character Markdown
/// gives a meaning is backslash-escaped, and line breaks become spaces, so a job name can
/// neither start a heading, a list or a link nor break out of its line.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '~' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.to_string())
    }

    fn paragraph(s: &str) -> Vec<Inline> {
        match parse(s).as_slice() {
            [Block::Paragraph(inlines)] => inlines.clone(),
            other => panic!("expected one paragraph for {s:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_headings_with_capped_levels() {
        assert_eq!(
            parse("# Title\n### Costs *now* ##\n####### Deep\n#NoSpace"),
            vec![
                Block::Heading { level: 1, inlines: vec![text("Title")] },
                Block::Heading { level: 3, inlines: vec![text("Costs "), Inline::Emphasis(vec![text("now")])] },
                Block::Heading { level: 6, inlines: vec![text("Deep")] },
                Block::Paragraph(vec![text("#NoSpace")]),
            ]
        );
        assert_eq!(parse("## C#"), vec![Block::Heading { level: 2, inlines: vec![text("C#")] }]);
    }

    #[test]
    fn joins_paragraph_lines_and_splits_on_blank_lines() {
        assert_eq!(
            parse("first line\n   second line  \n\n\nnext paragraph"),
            vec![Block::Paragraph(vec![text("first line\nsecond line")]), Block::Paragraph(vec![text("next paragraph")]),]
        );
        assert_eq!(parse(""), vec![]);
        assert_eq!(parse("\n  \n"), vec![]);
    }

    #[test]
    fn parses_both_list_kinds_with_continuations() {
        let input = "Intro:\n- first\n  continues here\n* second\n\n+ third\n\
                     1. one\n12) twelve\n   more text\nafter";
        assert_eq!(
            parse(input),
            vec![
                Block::Paragraph(vec![text("Intro:")]),
                Block::List {
                    ordered: false,
                    start: 1,
                    items: vec![vec![text("first continues here")], vec![text("second")], vec![text("third")],]
                },
                Block::List { ordered: true, start: 1, items: vec![vec![text("one")], vec![text("twelve more text")]] },
                Block::Paragraph(vec![text("after")]),
            ]
        );
        assert_eq!(
            parse("- a\n  - nested\n-5 is not an item"),
            vec![
                Block::List { ordered: false, start: 1, items: vec![vec![text("a")], vec![text("nested")]] },
                Block::Paragraph(vec![text("-5 is not an item")]),
            ]
        );
    }

    #[test]
    fn numbered_lists_keep_their_numbers_and_lines_stay_lines() {
        // A list interrupted by bullets carries on at 2; items 10 and up keep their numbers.
        let blocks = parse("1. first\n   - detail\n2. second\n\n10. tenth\n11. eleventh");
        assert_eq!(
            blocks,
            vec![
                Block::List { ordered: true, start: 1, items: vec![vec![text("first")]] },
                Block::List { ordered: false, start: 1, items: vec![vec![text("detail")]] },
                Block::List { ordered: true, start: 2, items: vec![vec![text("second")], vec![text("tenth")], vec![text("eleventh")]] },
            ]
        );
        assert_eq!(parse("12. twelfth"), vec![Block::List { ordered: true, start: 12, items: vec![vec![text("twelfth")]] }]);
        // One fact per line, as small models write them, is not merged into one run-on line.
        assert_eq!(
            parse("Runs: 72 [T3]\nFailed: 27 [T2]\nSuccess rate: 62.50% [T1]"),
            vec![Block::Paragraph(vec![text("Runs: 72 [T3]\nFailed: 27 [T2]\nSuccess rate: 62.50% [T1]")])]
        );
    }

    #[test]
    fn keeps_fenced_code_verbatim() {
        let input = "before\n```rust\n# not a heading\n  **not bold** <b>\n\n```\nafter";
        assert_eq!(
            parse(input),
            vec![
                Block::Paragraph(vec![text("before")]),
                Block::Code("# not a heading\n  **not bold** <b>\n".to_string()),
                Block::Paragraph(vec![text("after")]),
            ]
        );
        assert_eq!(parse("````\n```\nstill code\n`````\n"), vec![Block::Code("```\nstill code".to_string())]);
        assert_eq!(parse("```sql\nSELECT 1;\n- x"), vec![Block::Code("SELECT 1;\n- x".to_string())]);
        assert_eq!(paragraph("```inline``` code"), vec![Inline::Code("inline".to_string()), text(" code")]);
    }

    #[test]
    fn parses_rules() {
        assert_eq!(
            parse("above\n---\n***\n___\n--\n- - -"),
            vec![
                Block::Paragraph(vec![text("above")]),
                Block::Rule,
                Block::Rule,
                Block::Rule,
                Block::Paragraph(vec![text("--")]),
                Block::List { ordered: false, start: 1, items: vec![vec![text("- -")]] },
            ]
        );
    }

    #[test]
    fn parses_inline_formatting() {
        assert_eq!(
            paragraph("**bold** and __also__, *em* and _em_, `a*b`, [docs](https://example.com/x?a=1)"),
            vec![
                Inline::Strong(vec![text("bold")]),
                text(" and "),
                Inline::Strong(vec![text("also")]),
                text(", "),
                Inline::Emphasis(vec![text("em")]),
                text(" and "),
                Inline::Emphasis(vec![text("em")]),
                text(", "),
                Inline::Code("a*b".to_string()),
                text(", "),
                Inline::Link { text: "docs".to_string(), url: "https://example.com/x?a=1".to_string() },
            ]
        );
        assert_eq!(
            paragraph("*a **b** c* ***both***"),
            vec![
                Inline::Emphasis(vec![text("a "), Inline::Strong(vec![text("b")]), text(" c")]),
                text(" "),
                Inline::Emphasis(vec![Inline::Strong(vec![text("both")])]),
            ]
        );
        assert_eq!(
            paragraph("**rose *12%*** *use `x*y` and [a*b](http://x.io)*"),
            vec![
                Inline::Strong(vec![text("rose "), Inline::Emphasis(vec![text("12%")])]),
                text(" "),
                Inline::Emphasis(vec![
                    text("use "),
                    Inline::Code("x*y".to_string()),
                    text(" and "),
                    Inline::Link { text: "a*b".to_string(), url: "http://x.io".to_string() },
                ]),
            ]
        );
        assert_eq!(
            paragraph("[**Bold** label](MAILTO:ops@example.com) [](http://x.io)"),
            vec![
                Inline::Link { text: "Bold label".to_string(), url: "MAILTO:ops@example.com".to_string() },
                text(" "),
                Inline::Link { text: "http://x.io".to_string(), url: "http://x.io".to_string() },
            ]
        );
        assert_eq!(paragraph("`` `tick` ``"), vec![Inline::Code("`tick`".to_string())]);
    }

    #[test]
    fn leaves_snake_case_and_spaced_markers_alone() {
        assert_eq!(
            paragraph("job_cost_daily and snake_case_names; 2 * 3 * 4"),
            vec![text("job_cost_daily and snake_case_names; 2 * 3 * 4")]
        );
        assert_eq!(paragraph("see _usage_table_ now"), vec![text("see "), Inline::Emphasis(vec![text("usage_table")]), text(" now")]);
    }

    #[test]
    fn neutralises_unsafe_links() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox",
            "/relative/path",
            "page.html",
            "http://exa mple.com",
            "https://x.com/\u{7}",
        ] {
            assert_eq!(paragraph(&format!("[click]({url}) now")), vec![text("click now")], "{url}");
        }
    }

    #[test]
    fn keeps_raw_html_as_text() {
        let input = "<script>alert('x')</script> <img src=x onerror=alert(1)>";
        assert_eq!(parse(input), vec![Block::Paragraph(vec![text(input)])]);
        assert_eq!(parse("# <b>hi</b>"), vec![Block::Heading { level: 1, inlines: vec![text("<b>hi</b>")] }]);
    }

    #[test]
    fn honours_backslash_escapes() {
        assert_eq!(
            paragraph(r"\*not em\* \[x](http://a.b) \_y\_ a\b \`c\` end\"),
            vec![text(r"*not em* [x](http://a.b) _y_ a\b `c` end\")]
        );
        assert_eq!(parse(r"\# not heading"), vec![Block::Paragraph(vec![text("# not heading")])]);
    }

    #[test]
    fn treats_crlf_like_lf() {
        assert_eq!(parse("# T\r\nline one\r\nline two\r\n\r\n- a\r\n"), parse("# T\nline one\nline two\n\n- a\n"));
        assert_eq!(parse("```\r\ncode\r\n```\r\n"), vec![Block::Code("code".to_string())]);
    }

    /// No empty `Text` and no two adjacent `Text`s anywhere.
    fn assert_canonical(inlines: &[Inline]) {
        for pair in inlines.windows(2) {
            assert!(!matches!(pair, [Inline::Text(_), Inline::Text(_)]), "{inlines:?}");
        }
        for inline in inlines {
            match inline {
                Inline::Text(t) => assert!(!t.is_empty()),
                Inline::Strong(children) | Inline::Emphasis(children) => assert_canonical(children),
                Inline::Code(_) | Inline::Link { .. } => {}
            }
        }
    }

    #[test]
    fn leaves_unmatched_markers_literal() {
        for input in ["**", "*", "_", "`", "``", "[](", "[x](", "[x]", "](", "a**", "__a", "*a **b"] {
            assert_eq!(paragraph(input), vec![text(input)], "{input}");
        }
        assert_eq!(paragraph("**a*"), vec![text("*"), Inline::Emphasis(vec![text("a")])]);
        assert_eq!(paragraph("****a****"), vec![text("*"), Inline::Emphasis(vec![Inline::Strong(vec![text("a")])]), text("*")]);
        assert_eq!(parse("[](javascript:x)"), vec![]);
    }

    #[test]
    fn never_panics_on_adversarial_input() {
        let deep = "*_".repeat(300) + "x" + &"_*".repeat(300);
        let inputs = [
            "[[[[[[(((((]]]]]])))))",
            "\\",
            "a\\",
            "``` ``",
            "*`*`*",
            "[*](*)",
            "[a](http://x\\)",
            "***a**",
            "_*_*_*",
            "** __ ** __",
            "ü*ñ*🎉 [é](https://ü.example) `ß` _ł_ 中文**粗体**",
            "\r\n\r\n\r",
            "1.\n-\n#\n+ \n1) \n```",
            "- a\r\n  ```\r\n  # x",
            deep.as_str(),
        ];
        for input in inputs {
            for block in parse(input) {
                match block {
                    Block::Heading { inlines, .. } | Block::Paragraph(inlines) => {
                        assert_canonical(&inlines);
                    }
                    Block::List { items, .. } => {
                        for item in &items {
                            assert_canonical(item);
                        }
                    }
                    Block::Code(_) | Block::Rule => {}
                }
            }
        }
    }

    #[test]
    fn plain_text_flattens_inlines() {
        let inlines = paragraph("Spend **rose *12%*** on `jobs` per [the report](https://r.io).");
        assert_eq!(plain_text(&inlines), "Spend rose 12% on jobs per the report.");
    }

    #[test]
    fn data_names_render_as_text_in_markdown() {
        assert_eq!(escape_text("Daily Financial Aggregation"), "Daily Financial Aggregation");
        assert_eq!(escape_text("a_b *c* [x](javascript:y)"), "a\\_b \\*c\\* \\[x\\](javascript:y)");
        assert_eq!(escape_text("ETL\n# Heading\n<img>"), "ETL \\# Heading \\<img\\>");
    }
}
