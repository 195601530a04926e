//! What a user's drop or file pick holds: one SQLite database to open as it is, or
//! Databricks system-table exports to import. Decided from names and first bytes only.

/// The 16 bytes every SQLite database file starts with.
pub const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

/// What the files are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropKind {
    /// A single SQLite database (by its header, or its name when the header is not read).
    Database,
    /// Anything else: exports to recognise by their columns.
    Exports,
}

/// Whether a file name says SQLite database.
pub fn has_database_name(name: &str) -> bool {
    let name = name.to_lowercase();
    [".db", ".sqlite", ".sqlite3"].iter().any(|e| name.ends_with(e))
}

/// Classifies dropped files given as (name, first bytes).
pub fn classify(files: &[(&str, &[u8])]) -> DropKind {
    match files {
        [(name, head)] if head.starts_with(SQLITE_HEADER) || has_database_name(name) => DropKind::Database,
        _ => DropKind::Exports,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sqlite_file_is_a_database_everything_else_exports() {
        assert_eq!(classify(&[("usage.bin", b"SQLite format 3\0rest")]), DropKind::Database);
        assert_eq!(classify(&[("Usage.SQLITE", b"")]), DropKind::Database);
        assert_eq!(classify(&[("billing.csv", b"record_id,sku_name")]), DropKind::Exports);
        assert_eq!(classify(&[("a.db", b"SQLite format 3\0"), ("b.csv", b"x")]), DropKind::Exports);
        assert_eq!(classify(&[]), DropKind::Exports);
    }
}
