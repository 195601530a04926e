//! Opening a usage database from bytes — the same path in the browser (a fetched or
//! dropped file) and natively (a file read from disk) — with validation and typed errors
//! that tell a user what is wrong with the file.

use std::io::Read;

use rusqlite::{Connection, MAIN_DB};

use crate::data::schema::{self, SchemaProblem};

/// Page cache in KiB; bounds how much a sort keeps in memory before spilling.
const SORT_CACHE_KIB: u32 = 256 * 1024;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Why a file could not be used as a usage database. The messages are shown to users.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("The file is empty.")]
    Empty,
    #[error("This is not a SQLite database: the file does not start with the SQLite header.")]
    NotSqlite,
    #[error("SQLite could not read this database ({0}). The file may be damaged or truncated.")]
    Unreadable(String),
    #[error("This database does not have the usage schema: {0}.")]
    Schema(SchemaProblem),
    #[error("Could not read {path}: {message}")]
    Io { path: String, message: String },
}

/// Passes bytes through, keeping the first 16 to check the SQLite header.
struct HeaderSniff<R> {
    inner: R,
    head: Vec<u8>,
}

impl<R: Read> Read for HeaderSniff<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let wanted = SQLITE_HEADER.len() - self.head.len();
        self.head.extend_from_slice(&buf[..n.min(wanted)]);
        Ok(n)
    }
}

/// An open, validated usage database held in memory.
pub struct UsageDb {
    conn: Connection,
    byte_len: usize,
}

impl std::fmt::Debug for UsageDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageDb").field("byte_len", &self.byte_len).finish()
    }
}

impl UsageDb {
    /// Opens a copy of `bytes` in an in-memory SQLite database, checks the schema, and
    /// adds what the app derives itself (optional tables, indexes, calendar). The caller's
    /// file is never modified.
    pub fn from_bytes(bytes: &[u8]) -> Result<UsageDb, LoadError> {
        UsageDb::from_reader(bytes, bytes.len())
    }

    /// Like [`UsageDb::from_bytes`], reading `len` bytes from `reader` straight into
    /// SQLite's buffer, so a large file is held in memory once.
    pub fn from_reader(reader: impl Read, len: usize) -> Result<UsageDb, LoadError> {
        if len == 0 {
            return Err(LoadError::Empty);
        }
        if len < SQLITE_HEADER.len() {
            return Err(LoadError::NotSqlite);
        }
        let unreadable = |e: rusqlite::Error| LoadError::Unreadable(e.to_string());
        let mut conn = Connection::open_in_memory().map_err(unreadable)?;
        let mut sniff = HeaderSniff { inner: reader, head: Vec::with_capacity(SQLITE_HEADER.len()) };
        let loaded = conn.deserialize_read_exact(MAIN_DB, &mut sniff, len, false);
        if sniff.head.len() == SQLITE_HEADER.len() && sniff.head != SQLITE_HEADER {
            return Err(LoadError::NotSqlite);
        }
        loaded.map_err(unreadable)?;
        // The database already lives in memory: a large page cache only lets big sorts and
        // GROUP BYs stay in memory instead of spilling to (in the browser: slow, in-memory)
        // temp files.
        conn.execute_batch(&format!("PRAGMA cache_size = -{SORT_CACHE_KIB}; PRAGMA temp_store = MEMORY;")).map_err(unreadable)?;
        let problem = schema::check_required(&conn).map_err(unreadable)?;
        if !problem.is_empty() {
            return Err(LoadError::Schema(problem));
        }
        schema::complete_optional(&conn).map_err(unreadable)?;
        Ok(UsageDb { conn, byte_len: len })
    }

    /// Adopts a database built in memory (an import): checks the schema and adds what the
    /// app derives, like `from_bytes`. `byte_len` is the size of its file form.
    pub fn from_connection(conn: Connection, byte_len: usize) -> Result<UsageDb, LoadError> {
        let unreadable = |e: rusqlite::Error| LoadError::Unreadable(e.to_string());
        conn.execute_batch(&format!("PRAGMA cache_size = -{SORT_CACHE_KIB}; PRAGMA temp_store = MEMORY;")).map_err(unreadable)?;
        let problem = schema::check_required(&conn).map_err(unreadable)?;
        if !problem.is_empty() {
            return Err(LoadError::Schema(problem));
        }
        schema::complete_optional(&conn).map_err(unreadable)?;
        Ok(UsageDb { conn, byte_len })
    }

    /// Reads a database file from disk (native tools and tests).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_path(path: &std::path::Path) -> Result<UsageDb, LoadError> {
        let bytes = std::fs::read(path).map_err(|e| LoadError::Io { path: path.display().to_string(), message: e.to_string() })?;
        UsageDb::from_bytes(&bytes)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Size of the file this database was loaded from.
    pub fn byte_len(&self) -> usize {
        self.byte_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of(conn: &mut Connection) -> Vec<u8> {
        conn.serialize(MAIN_DB).unwrap().to_vec()
    }

    #[test]
    fn rejects_empty_and_non_sqlite_files() {
        assert!(matches!(UsageDb::from_bytes(b""), Err(LoadError::Empty)));
        let err = UsageDb::from_bytes(b"date,cost\n2025-11-01,3.50\n").unwrap_err();
        assert!(matches!(err, LoadError::NotSqlite));
        assert_eq!(err.to_string(), "This is not a SQLite database: the file does not start with the SQLite header.");
    }

    #[test]
    fn names_missing_tables_and_columns() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(schema::SCHEMA_SQL).unwrap();
        conn.execute_batch("DROP TABLE job_runs; ALTER TABLE jobs DROP COLUMN tags;").unwrap();
        let err = UsageDb::from_bytes(&bytes_of(&mut conn)).unwrap_err();
        assert_eq!(err.to_string(), "This database does not have the usage schema: missing table job_runs; table jobs lacks column tags.");
    }

    #[test]
    fn adds_optional_tables_to_an_original_style_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(schema::SCHEMA_SQL).unwrap();
        conn.execute_batch("DROP TABLE job_dependencies; DROP TABLE sku_prices; DROP TABLE date_series;").unwrap();
        conn.execute_batch(
            "INSERT INTO compute_usage(compute_usage_id, parent_id, parent_type, compute_sku, dbus_consumed, usage_date)
             VALUES ('u1', 'APC-X', 'APC_CLUSTER', 'SKU', 1.0, '2025-11-01'),
                    ('u2', 'APC-X', 'APC_CLUSTER', 'SKU', 1.0, '2025-11-03');",
        )
        .unwrap();
        let db = UsageDb::from_bytes(&bytes_of(&mut conn)).unwrap();
        let days: Vec<String> = db
            .conn()
            .prepare("SELECT date FROM date_series ORDER BY date")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(days, ["2025-11-01", "2025-11-02", "2025-11-03"]);
        let deps: i64 = db.conn().query_row("SELECT COUNT(*) FROM job_dependencies", [], |r| r.get(0)).unwrap();
        assert_eq!(deps, 0);
    }

    #[test]
    fn reports_a_truncated_file_as_unreadable() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(schema::SCHEMA_SQL).unwrap();
        let bytes = bytes_of(&mut conn);
        let err = UsageDb::from_bytes(&bytes[..100]).unwrap_err();
        assert!(matches!(err, LoadError::Unreadable(_)), "{err}");
    }
}
