//! Opening a usage database from bytes — the same path in the browser (a fetched or
//! dropped file) and natively (a file read from disk) — with validation and typed errors
//! that tell a user what is wrong with the file.
//!
//! Any valid SQLite 3 file opens: a file in WAL mode is read as a rollback-journal file (its
//! in-memory copy's header says so; see [`from_reader`](UsageDb::from_reader)). The copy is
//! made safe before anything writes to it: the file's triggers and views are dropped (none of
//! its SQL ever runs), the schema is not trusted to call functions with side effects, and
//! SQLite's defensive mode forbids writing the schema directly. Required tables must be real
//! tables. Numeric columns holding values that are not finite numbers, or text that is not a
//! number, are reported ([`LoadWarning`]) and read as empty, so a report never sums `inf` or
//! reads `'abc'` as $0 without saying so. [`UsageDb::with_deadline`] bounds a query's time.

use std::io::Read;
use std::time::Duration;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, MAIN_DB};

use crate::base::clock::now_ms;
use crate::data::aggregates;
use crate::data::schema::{self, SchemaProblem};

/// Page cache in KiB; bounds how much a sort keeps in memory before spilling.
const SORT_CACHE_KIB: u32 = 256 * 1024;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Offsets of the file format's write and read version bytes: 1 = rollback journal (legacy),
/// 2 = WAL. An in-memory database cannot have a WAL beside it, so a WAL file's copy is
/// marked as legacy; its content (everything checkpointed into the file) is unchanged.
const FORMAT_VERSION_BYTES: [usize; 2] = [18, 19];

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

/// What was wrong with the values of one column.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadValue {
    /// A REAL that is `inf` or `-inf` (`9e999` in SQL). SQLite itself reads a stored NaN as
    /// NULL, so a NaN never reaches the app.
    NotFinite,
    /// Text (or a BLOB) that is not a number, e.g. `'abc'`: SQLite would sum it as 0.
    NotANumber,
}

/// Values of a numeric column that the app does not use as they are: which table and
/// column, how many rows, one example, and what the app did (the column read as empty, or,
/// where the column may not be empty, the rows left out of the in-memory copy).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("Table {table}, column {column}: {rows} {noun} {hold} {what} (e.g. {example}); {action}.", noun = if *rows == 1 { "row" } else { "rows" }, hold = if *rows == 1 { "holds" } else { "hold" }, what = match problem { BadValue::NotFinite => "a value that is not a finite number", BadValue::NotANumber => "text that is not a number" }, action = if *left_out { "those rows are left out" } else { "the app reads them as empty" })]
pub struct LoadWarning {
    pub table: String,
    pub column: String,
    pub rows: usize,
    pub problem: BadValue,
    pub example: String,
    /// The column may not be NULL, so the rows were removed from the in-memory copy.
    pub left_out: bool,
}

/// Why work run with [`UsageDb::with_deadline`] gave no result: it ran out of time, or it
/// failed with its own error `E` (a `rusqlite::Error`, a report engine's error…).
#[derive(Debug, thiserror::Error)]
pub enum QueryError<E> {
    #[error("The query was stopped after {} s: it ran longer than the {} s the app allows. Narrow the date range or the filters and try again.", .limit.as_secs_f64(), .limit.as_secs_f64())]
    Deadline { limit: Duration },
    #[error("{0}")]
    Failed(E),
}

/// Passes bytes through, keeping the first 16 to check the SQLite header and marking a WAL
/// file's copy as a rollback-journal file (bytes 18–19 from 2 to 1).
struct HeaderSniff<R> {
    inner: R,
    head: Vec<u8>,
    position: usize,
    was_wal: bool,
}

impl<R: Read> Read for HeaderSniff<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let wanted = SQLITE_HEADER.len().saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..n.min(wanted)]);
        for offset in FORMAT_VERSION_BYTES {
            if (self.position..self.position + n).contains(&offset) && buf[offset - self.position] == 2 {
                buf[offset - self.position] = 1;
                self.was_wal = true;
            }
        }
        self.position += n;
        Ok(n)
    }
}

/// An open, validated usage database held in memory.
pub struct UsageDb {
    conn: Connection,
    byte_len: usize,
    warnings: Vec<LoadWarning>,
    deadline: Deadline,
}

/// When the running SQL must stop: milliseconds on `base::clock`'s clock (as `f64` bits;
/// infinity when nothing is bounded), shared with the connection's progress handler, which
/// SQLite calls every [`DEADLINE_CHECK_OPS`] virtual-machine steps of any statement.
#[derive(Clone, Debug)]
struct Deadline {
    at_ms: Arc<AtomicU64>,
    fired: Arc<AtomicBool>,
}

/// Virtual-machine steps between two looks at the clock (tens of microseconds of work).
const DEADLINE_CHECK_OPS: i32 = 4_000;

impl Deadline {
    /// Installs the progress handler on `conn`.
    fn install(conn: &mut Connection) -> rusqlite::Result<Deadline> {
        let deadline = Deadline { at_ms: Arc::new(AtomicU64::new(f64::INFINITY.to_bits())), fired: Arc::new(AtomicBool::new(false)) };
        let (at_ms, fired) = (Arc::clone(&deadline.at_ms), Arc::clone(&deadline.fired));
        conn.progress_handler(
            DEADLINE_CHECK_OPS,
            Some(move || {
                let late = now_ms() > f64::from_bits(at_ms.load(Ordering::Relaxed));
                if late {
                    fired.store(true, Ordering::Relaxed);
                }
                late
            }),
        )?;
        Ok(deadline)
    }
}

impl std::fmt::Debug for UsageDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageDb").field("byte_len", &self.byte_len).field("warnings", &self.warnings).finish()
    }
}

/// The money, DBU, duration and ratio columns the reports sum and average, by table (tables
/// or columns a file lacks are skipped). One scan per table; on `compute_usage` the columns
/// are those its covering index holds, so the scan reads the index (about 0.35 s natively
/// for 10^6 rows).
const NUMERIC_COLUMNS: &[(&str, &[&str])] = &[
    ("compute_usage", &["dbus_consumed", "total_cost", "avg_cpu_utilization"]),
    ("job_runs", &["duration_ms", "spot_ratio"]),
    ("sql_query_history", &["duration_ms"]),
    ("eviction_details", &["spot_price"]),
    ("sku_prices", &["usd_per_dbu"]),
];

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Drops the file's triggers and views from the in-memory copy, so none of its SQL runs when
/// the app (or a report's SQL) writes or reads.
fn drop_triggers_and_views(conn: &Connection) -> rusqlite::Result<()> {
    let objects: Vec<(String, String)> = conn
        .prepare("SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'view') ORDER BY type = 'view', name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (kind, name) in objects {
        let what = if kind == "trigger" { "TRIGGER" } else { "VIEW" };
        conn.execute_batch(&format!("DROP {what} IF EXISTS {}", quoted(&name)))?;
    }
    Ok(())
}

/// Finds values of the numeric columns that are not finite numbers or are text that is not
/// a number, sets them to NULL (or, in a NOT NULL column, removes their rows), and says so.
fn check_numbers(conn: &Connection) -> rusqlite::Result<Vec<LoadWarning>> {
    let mut warnings = Vec::new();
    for (table, wanted) in NUMERIC_COLUMNS {
        let info: Vec<(String, bool)> = conn
            .prepare("SELECT name, \"notnull\" FROM pragma_table_info(?1)")?
            .query_map([table], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?
            .collect::<Result<_, _>>()?;
        let columns: Vec<(&str, bool)> =
            wanted.iter().filter_map(|c| info.iter().find(|(n, _)| n.eq_ignore_ascii_case(c)).map(|(_, nn)| (*c, *nn))).collect();
        if columns.is_empty() {
            continue;
        }
        let has_rowid: bool = conn
            .query_row("SELECT NOT EXISTS (SELECT 1 FROM pragma_table_list WHERE name = ?1 AND wr = 1)", [table], |r| r.get(0))
            .unwrap_or(true);
        // One scan per table: rows where some column holds an infinite REAL, text or a BLOB.
        let suspect = |c: &str| {
            let c = quoted(c);
            format!("typeof({c}) IN ('text', 'blob') OR (typeof({c}) = 'real' AND abs({c}) > 1.7976931348623157e308)")
        };
        let condition: Vec<String> = columns.iter().map(|(c, _)| format!("({})", suspect(c))).collect();
        let select: Vec<String> = columns.iter().map(|(c, _)| quoted(c)).collect();
        let rowid = if has_rowid { "rowid" } else { "NULL" };
        let sql = format!("SELECT {rowid}, {} FROM {} WHERE {}", select.join(", "), quoted(table), condition.join(" OR "));
        // Per column and problem: the rows, and the example of the smallest row id.
        #[derive(Default)]
        struct Found {
            ids: Vec<i64>,
            example: Option<(i64, String)>,
        }
        let mut found: Vec<[Found; 2]> = columns.iter().map(|_| Default::default()).collect();
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get::<_, Option<i64>>(0)?.unwrap_or(-1);
            for (i, slots) in found.iter_mut().enumerate() {
                let bad = match row.get_ref(i + 1)? {
                    rusqlite::types::ValueRef::Real(x) if !x.is_finite() => Some((BadValue::NotFinite, x.to_string())),
                    rusqlite::types::ValueRef::Text(t) => {
                        let text = String::from_utf8_lossy(t);
                        match text.trim().parse::<f64>() {
                            Ok(x) if x.is_finite() => None,
                            Ok(_) => Some((BadValue::NotFinite, format!("'{text}'"))),
                            Err(_) => Some((BadValue::NotANumber, format!("'{text}'"))),
                        }
                    }
                    rusqlite::types::ValueRef::Blob(b) => Some((BadValue::NotANumber, format!("a BLOB of {} bytes", b.len()))),
                    _ => None,
                };
                if let Some((problem, example)) = bad {
                    let slot = &mut slots[(problem == BadValue::NotANumber) as usize];
                    slot.ids.push(id);
                    if slot.example.as_ref().is_none_or(|(at, _)| id < *at) {
                        slot.example = Some((id, example));
                    }
                }
            }
        }
        drop(rows);
        drop(stmt);
        for (i, slots) in found.into_iter().enumerate() {
            let (column, not_null) = columns[i];
            for (problem, slot) in [BadValue::NotFinite, BadValue::NotANumber].into_iter().zip(slots) {
                let Some((_, example)) = slot.example else { continue };
                if has_rowid {
                    let action = if not_null {
                        format!("DELETE FROM {} WHERE rowid = ?1", quoted(table))
                    } else {
                        format!("UPDATE {} SET {} = NULL WHERE rowid = ?1", quoted(table), quoted(column))
                    };
                    let mut stmt = conn.prepare(&action)?;
                    for id in &slot.ids {
                        stmt.execute([id])?;
                    }
                }
                warnings.push(LoadWarning {
                    table: table.to_string(),
                    column: column.to_string(),
                    rows: slot.ids.len(),
                    problem,
                    example,
                    left_out: not_null && has_rowid,
                });
            }
        }
    }
    Ok(warnings)
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
    ///
    /// A WAL-mode file (header bytes 18–19 = 2) is marked as a rollback-journal file in the
    /// copy (bytes set to 1): an in-memory database has no `-wal` file, and SQLite refuses to
    /// open a WAL-mode image without one. What the file holds is what was checkpointed into
    /// it; transactions still only in a `-wal` file beside it are not part of the file.
    pub fn from_reader(reader: impl Read, len: usize) -> Result<UsageDb, LoadError> {
        if len == 0 {
            return Err(LoadError::Empty);
        }
        if len < SQLITE_HEADER.len() {
            return Err(LoadError::NotSqlite);
        }
        let unreadable = |e: rusqlite::Error| LoadError::Unreadable(e.to_string());
        let mut conn = Connection::open_in_memory().map_err(unreadable)?;
        let mut sniff = HeaderSniff { inner: reader, head: Vec::with_capacity(SQLITE_HEADER.len()), position: 0, was_wal: false };
        let loaded = conn.deserialize_read_exact(MAIN_DB, &mut sniff, len, false);
        if sniff.head.len() == SQLITE_HEADER.len() && sniff.head != SQLITE_HEADER {
            return Err(LoadError::NotSqlite);
        }
        loaded.map_err(unreadable)?;
        UsageDb::from_copy(conn, len)
    }

    /// Opens the app's own copy of a user's database file, held by `conn` (the in-memory
    /// copy of [`UsageDb::from_reader`], or a copy kept in the browser's storage): the
    /// checks of `from_bytes`, which may change the copy but never the user's file.
    pub fn from_copy(conn: Connection, len: usize) -> Result<UsageDb, LoadError> {
        let unreadable = |e: rusqlite::Error| LoadError::Unreadable(e.to_string());
        // Nothing in the file may run: no schema function with side effects, no direct schema
        // writes, no trigger or view. Then the checks, and only then the app's own writes.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false).map_err(unreadable)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true).map_err(unreadable)?;
        // The database already lives in memory: a large page cache only lets big sorts and
        // GROUP BYs stay in memory instead of spilling to (in the browser: slow, in-memory)
        // temp files.
        conn.execute_batch(&format!("PRAGMA cache_size = -{SORT_CACHE_KIB}; PRAGMA temp_store = MEMORY;")).map_err(unreadable)?;
        let problem = schema::check_required(&conn).map_err(unreadable)?;
        if !problem.is_empty() {
            return Err(LoadError::Schema(problem));
        }
        drop_triggers_and_views(&conn).map_err(unreadable)?;
        let warnings = check_numbers(&conn).map_err(unreadable)?;
        schema::complete_optional(&conn).map_err(unreadable)?;
        // The reports' aggregates: kept when the file has a current set built from these very
        // rows (after the checks above changed any), otherwise built in the copy.
        aggregates::refresh(&conn).map_err(unreadable)?;
        let mut conn = conn;
        let deadline = Deadline::install(&mut conn).map_err(unreadable)?;
        Ok(UsageDb { conn, byte_len: len, warnings, deadline })
    }

    /// Reopens a copy that [`UsageDb::from_copy`] (or an import) checked before: its values
    /// were checked then, so what the checks said is the caller's to keep. Nothing in the
    /// file runs, as in `from_copy`.
    pub fn reopen_copy(conn: Connection, len: usize) -> Result<UsageDb, LoadError> {
        let unreadable = |e: rusqlite::Error| LoadError::Unreadable(e.to_string());
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false).map_err(unreadable)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true).map_err(unreadable)?;
        drop_triggers_and_views(&conn).map_err(unreadable)?;
        UsageDb::from_connection(conn, len)
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
        aggregates::refresh(&conn).map_err(unreadable)?;
        let mut conn = conn;
        let deadline = Deadline::install(&mut conn).map_err(unreadable)?;
        Ok(UsageDb { conn, byte_len, warnings: Vec::new(), deadline })
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

    /// What the loader found in the file's values and how it treated them (empty for a
    /// clean file). The app stays usable; the page should show these next to the data.
    pub fn warnings(&self) -> &[LoadWarning] {
        &self.warnings
    }

    /// Runs `f` on the connection, stopping its SQL once it has run for `limit`: the running
    /// statement then fails (SQLITE_INTERRUPT), and an `f` that fails after the limit is
    /// reported as [`QueryError::Deadline`]; any other failure is `f`'s own, as
    /// [`QueryError::Failed`]. The connection's progress handler looks at the clock between
    /// SQLite's steps, natively and in the browser alike (where no other thread could stop
    /// the worker's query); once `f` returns nothing is bounded, so a limit never reaches a
    /// later query.
    pub fn with_deadline<T, E>(&self, limit: Duration, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, QueryError<E>> {
        let (result, late) = self.bounded(limit, f);
        match result {
            Err(_) if late => Err(QueryError::Deadline { limit }),
            other => other.map_err(QueryError::Failed),
        }
    }

    /// Runs `f` with its SQL bounded to `limit` (see [`UsageDb::with_deadline`]); returns
    /// what `f` returned and whether the limit stopped a statement.
    pub fn bounded<T>(&self, limit: Duration, f: impl FnOnce(&Connection) -> T) -> (T, bool) {
        let at = now_ms() + limit.as_secs_f64() * 1000.0;
        self.deadline.fired.store(false, Ordering::Relaxed);
        let before = self.deadline.at_ms.swap(at.to_bits(), Ordering::Relaxed);
        let result = f(&self.conn);
        self.deadline.at_ms.store(before, Ordering::Relaxed);
        (result, self.deadline.fired.swap(false, Ordering::Relaxed))
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
