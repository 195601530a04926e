//! The browser build's copies of the embedded SQL, without the comments nothing reads at
//! run time: the header of a report or evidence file (before its first `-- query:` or
//! `-- with:` line, which the parser skips) and the comment lines of the schema. Used by
//! `build.rs` (included by path) and by the tests that prove a copy means the same.

/// The schema's line after which the aggregate tables are defined (`data::aggregates::ddl`
/// finds them by it, so the browser's copy keeps it).
pub const AGGREGATES_MARKER: &str = "-- Aggregates ---";

/// `sql` without the comment and blank lines before its first `-- query:` or `-- with:`
/// line (the comments inside queries stay: the debug panel shows them).
pub fn without_header(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut started = false;
    for line in sql.lines() {
        let t = line.trim();
        started = started || t.starts_with("-- query:") || t == "-- with:" || !(t.is_empty() || t.starts_with("--"));
        if started {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `sql` without its whole-line comments and blank lines, except lines that start with
/// `keep` (a marker the code finds its place by).
pub fn without_comment_lines(sql: &str, keep: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    for line in sql.lines() {
        let t = line.trim();
        if t.starts_with(keep) || !(t.is_empty() || t.starts_with("--")) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
