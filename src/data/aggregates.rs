//! The pre-aggregated tables the reports read (`agg_*`, defined at the end of
//! `sql/create_usage_tables.sql`, which says what each holds): facts per job and block of
//! days (with the cent-rounded spend Tag Chargeback counts), per compute type and day, and
//! each entity's daily cost series, built once from the raw rows and stored with the dataset.
//!
//! - [`build`] (re)builds the whole set from the raw tables: **an importer calls it once at
//!   the end of an import**, after the last raw row is written and before the database is
//!   serialised, so the file it produces ships its aggregates (the seed generator does the
//!   same). It works inside or outside a transaction (a savepoint of its own).
//! - [`refresh`] rebuilds only when the set is missing, of another [`VERSION`], or was built
//!   from other raw rows (the fingerprint in `agg_meta` differs): what opening a file does.
//! - [`ensure`] rebuilds only when the set is missing or of another version: the check the
//!   report engine makes before every report (one indexed read).
//!
//! Sums are made with SQLite's own `SUM` arithmetic ([`SqlSum`]: Kahan–Babuška–Neumaier,
//! integers kept exact until a real arrives), so a block's sum is the one `SUM()` over its
//! rows gives, with the same type (integer, real or NULL). Figures summed over a few blocks
//! agree with a `SUM()` over the raw rows to the last bit or within an ulp; they are the same
//! once rounded to their unit (tested against the raw SQL in `tests/engine/aggregate_paths.rs`).
//! Counts are exact.
//!
//! The fingerprint is what one pass over the raw columns the aggregates read gives cheaply
//! (row counts; totals of cost, DBUs, CPU, spot ratios and durations; first and last dates;
//! counts of failed and succeeded runs, evictions and spot sources; the exact job →
//! workspace and compute → workspace maps), so it survives `VACUUM` and notices the usual
//! edits (rows added or removed, costs, statuses or workspaces changed, dates moved past
//! the ends). An edit that keeps all of it (say, moving a cost from one row to another) is
//! not noticed; [`build`] can always be called again.

use std::collections::{BTreeMap, HashMap};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params, Connection};

use crate::base::calendar::Date;
use crate::base::clock;
use crate::data::schema::SCHEMA_SQL;

/// The version of the aggregate tables' layout and meaning; a set of another version is
/// rebuilt.
pub const VERSION: &str = "2";

/// The line of `sql/create_usage_tables.sql` after which the aggregate tables are defined.
use crate::base::sql_text::AGGREGATES_MARKER as DDL_MARKER;

/// Levels of the day blocks besides single days (lvl 0): blocks of 2^lvl day ranks.
const FIRST_BLOCK_LEVEL: u32 = 3;

/// What a build did.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct BuildStats {
    pub build_ms: f64,
    pub days: usize,
    pub job_block_rows: usize,
    pub type_day_rows: usize,
    pub series: usize,
    pub irregular_series_rows: usize,
    pub run_gaps: usize,
    pub listed_rows: usize,
    pub complex_evicted_runs: usize,
    /// Milliseconds per phase: reading the raw rows, summing, writing, the fingerprint.
    pub phase_ms: BTreeMap<String, f64>,
}

/// The statements that create the aggregate tables, as `sql/create_usage_tables.sql` has
/// them (temp tables).
pub fn ddl() -> &'static str {
    let at = SCHEMA_SQL.find(DDL_MARKER).expect("the schema defines the aggregate tables");
    &SCHEMA_SQL[at..]
}

/// A value of `schema`'s agg_meta, if it has the table and the key.
fn stored(conn: &Connection, schema: &str, key: &str) -> Option<String> {
    conn.query_row(&format!("SELECT value FROM {schema}.agg_meta WHERE key = ?1"), [key], |r| r.get(0)).ok()
}

/// True when `schema` holds a set of this version (and, when given, built from rows with
/// this fingerprint).
fn current(conn: &Connection, schema: &str, fingerprint: Option<&str>) -> bool {
    stored(conn, schema, "version").as_deref() == Some(VERSION)
        && fingerprint.is_none_or(|f| stored(conn, schema, "fingerprint").as_deref() == Some(f))
}

/// Drops every aggregate table of `schema` ("main" or "temp").
fn drop_set(conn: &Connection, schema: &str) -> rusqlite::Result<()> {
    let catalogue = if schema == "temp" { "sqlite_temp_schema" } else { "sqlite_schema" };
    let existing: Vec<String> = conn
        .prepare(&format!("SELECT name FROM {schema}.{catalogue} WHERE type = 'table' AND name LIKE 'agg\\_%' ESCAPE '\\'"))?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for name in existing {
        conn.execute_batch(&format!("DROP TABLE {schema}.\"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(())
}

/// Makes the reports read a current set: the connection's own (temp) set if it has one,
/// else the database's (dropping the empty temp tables the schema file creates), else one
/// built now as temp tables (see [`build_temp`]). The check the report engine makes before
/// every report: one or two indexed reads when there is a set.
pub fn ensure(conn: &Connection) -> rusqlite::Result<Option<BuildStats>> {
    if current(conn, "temp", None) {
        return Ok(None);
    }
    if current(conn, "main", None) {
        drop_set(conn, "temp")?;
        return Ok(None);
    }
    build_temp(conn).map(Some)
}

/// Like [`ensure`], but the database's set is kept only if it was built from its present
/// raw rows (the fingerprint matches): what opening a file does.
pub fn refresh(conn: &Connection) -> rusqlite::Result<Option<BuildStats>> {
    let fingerprint = fingerprint(conn)?;
    if current(conn, "temp", Some(&fingerprint)) {
        return Ok(None);
    }
    if current(conn, "main", Some(&fingerprint)) {
        drop_set(conn, "temp")?;
        return Ok(None);
    }
    build_temp(conn).map(Some)
}

/// Drops and rebuilds every aggregate table of the main database from the raw tables: what
/// an import (and the seed generator) calls once its raw rows are written, so the database
/// file carries its aggregates. Any temp set of the connection is dropped, so the reports
/// read this one.
pub fn build(conn: &Connection) -> rusqlite::Result<BuildStats> {
    let stats = build_into(conn, "main")?;
    drop_set(conn, "temp")?;
    Ok(stats)
}

/// Builds the aggregates as temp tables of this connection, leaving the database itself
/// untouched: what opening a file does when its set is missing or stale. A database
/// deserialised into memory cannot grow past its size when that is above 1 GiB (SQLite's
/// in-memory file limit), and growing it would copy it; the temp schema has no such limit.
/// Unqualified names find temp tables first, so the reports read these, not a stale set.
pub fn build_temp(conn: &Connection) -> rusqlite::Result<BuildStats> {
    build_into(conn, "temp")
}

fn build_into(conn: &Connection, schema: &str) -> rusqlite::Result<BuildStats> {
    let started = clock::now_ms();
    conn.execute_batch("SAVEPOINT aggregates_build")?;
    let result = build_inside(conn, schema);
    match result {
        Ok(mut stats) => {
            conn.execute_batch("RELEASE aggregates_build")?;
            stats.build_ms = clock::now_ms() - started;
            Ok(stats)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO aggregates_build; RELEASE aggregates_build").ok();
            Err(e)
        }
    }
}

/// A checksum of the raw rows the aggregates are built from (see the module docs).
pub fn fingerprint(conn: &Connection) -> rusqlite::Result<String> {
    const QUERIES: &[&str] = &[
        "SELECT COUNT(*), COUNT(total_cost), TOTAL(total_cost), TOTAL(dbus_consumed), TOTAL(avg_cpu_utilization),
                MIN(usage_date), MAX(usage_date), SUM(parent_type = 'JOB_RUN')
         FROM compute_usage",
        "SELECT COUNT(*), TOTAL(spot_ratio), TOTAL(duration_ms), SUM(run_status = 'FAILED'), SUM(run_status = 'SUCCESS'),
                MIN(start_time), MAX(start_time)
         FROM job_runs",
        "SELECT COUNT(*), MIN(event_time), MAX(event_time) FROM events WHERE event_type = 'SPOT_EVICTION'",
        "SELECT COUNT(*), SUM(source = 'observed'), SUM(source = 'configured') FROM job_run_spot",
    ];
    let mut parts: Vec<String> = Vec::new();
    for sql in QUERIES {
        conn.query_row(sql, [], |r| {
            for i in 0..r.as_ref().column_count() {
                parts.push(match r.get_ref(i)? {
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(x) => format!("{:016x}", x.to_bits()),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    _ => String::new(),
                });
            }
            Ok(())
        })?;
    }
    // Who belongs to which workspace, exactly (both tables are small).
    let mut hash = Fnv::default();
    for sql in [
        "SELECT job_id, workspace_id FROM jobs ORDER BY job_id",
        "SELECT compute_id || '/' || compute_type, workspace_id FROM non_job_compute ORDER BY compute_id, compute_type",
    ] {
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            hash.text(r.get_ref(0)?);
            hash.text(r.get_ref(1)?);
        }
    }
    parts.push(format!("{:016x}", hash.0));
    Ok(parts.join(":"))
}

/// FNV-1a over texts.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn text(&mut self, v: ValueRef<'_>) {
        let bytes: Vec<u8> = match v {
            ValueRef::Text(t) | ValueRef::Blob(t) => t.to_vec(),
            ValueRef::Integer(n) => n.to_string().into_bytes(),
            ValueRef::Real(x) => x.to_string().into_bytes(),
            ValueRef::Null => b"\x00null".to_vec(),
        };
        for b in bytes.into_iter().chain([0xff]) {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A number as SQLite's arithmetic sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    Null,
    Int(i64),
    Real(f64),
}

impl Num {
    /// A cell read as a number: text and BLOBs as SQLite converts them when it sums them
    /// (an integer or real literal; anything else counts as a real 0).
    pub fn of(v: ValueRef<'_>) -> Num {
        match v {
            ValueRef::Null => Num::Null,
            ValueRef::Integer(n) => Num::Int(n),
            ValueRef::Real(x) => Num::Real(x),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                let text = String::from_utf8_lossy(t);
                let text = text.trim();
                match (text.parse::<i64>(), text.parse::<f64>()) {
                    (Ok(n), _) => Num::Int(n),
                    (_, Ok(x)) => Num::Real(x),
                    _ => Num::Real(0.0),
                }
            }
        }
    }

    fn is_null(self) -> bool {
        self == Num::Null
    }

    /// `self * other` as SQL computes it (NULL if either is; integer unless one is a real or
    /// the product overflows).
    pub fn times(self, other: Num) -> Num {
        match (self, other) {
            (Num::Null, _) | (_, Num::Null) => Num::Null,
            (Num::Int(a), Num::Int(b)) => a.checked_mul(b).map_or(Num::Real(a as f64 * b as f64), Num::Int),
            (a, b) => Num::Real(a.as_f64() * b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Null => 0.0,
            Num::Int(n) => n as f64,
            Num::Real(x) => x,
        }
    }

    #[cfg(test)]
    fn sql(self) -> SqlValue {
        match self {
            Num::Null => SqlValue::Null,
            Num::Int(n) => SqlValue::Integer(n),
            Num::Real(x) => SqlValue::Real(x),
        }
    }
}

/// SQLite's `SUM()`, step for step (`sumStep` / `sumFinalize` in `func.c`): integers are
/// summed exactly until a real (or an overflow) arrives, reals with Kahan–Babuška–Neumaier
/// compensation; no input gives NULL.
#[derive(Clone, Copy, Debug, Default)]
pub struct SqlSum {
    r_sum: f64,
    r_err: f64,
    i_sum: i64,
    count: i64,
    approx: bool,
}

impl SqlSum {
    pub fn add(&mut self, value: Num) {
        match value {
            Num::Null => {}
            Num::Int(n) => {
                self.count += 1;
                if !self.approx {
                    match self.i_sum.checked_add(n) {
                        Some(s) => self.i_sum = s,
                        None => {
                            self.init_from_int();
                            self.step_int(n);
                        }
                    }
                } else {
                    self.step_int(n);
                }
            }
            Num::Real(x) => {
                self.count += 1;
                if !self.approx {
                    self.init_from_int();
                }
                self.step(x);
            }
        }
    }

    fn init_from_int(&mut self) {
        let i = self.i_sum;
        if !(-4_503_599_627_370_496..4_503_599_627_370_496).contains(&i) {
            let small = i % 16384;
            self.r_sum = (i - small) as f64;
            self.r_err = small as f64;
        } else {
            self.r_sum = i as f64;
            self.r_err = 0.0;
        }
        self.approx = true;
    }

    fn step(&mut self, r: f64) {
        let s = self.r_sum;
        let t = s + r;
        if s.abs() > r.abs() {
            self.r_err += (s - t) + r;
        } else {
            self.r_err += (r - t) + s;
        }
        self.r_sum = t;
    }

    fn step_int(&mut self, n: i64) {
        if !(-4_503_599_627_370_496..4_503_599_627_370_496).contains(&n) {
            let small = n % 16384;
            self.step((n - small) as f64);
            self.step(small as f64);
        } else {
            self.step(n as f64);
        }
    }

    /// The sum as two values whose `SUM()` gives it (the running total and what rounding
    /// left over), so that a `SUM()` over several such pairs rounds only once: (NULL, NULL)
    /// without input, (the integer, 0) for integers.
    pub fn halves(&self) -> (SqlValue, SqlValue) {
        if self.count == 0 {
            (SqlValue::Null, SqlValue::Null)
        } else if !self.approx {
            (SqlValue::Integer(self.i_sum), SqlValue::Integer(0))
        } else if self.r_err != 0.0 && self.r_err.is_finite() {
            (SqlValue::Real(self.r_sum), SqlValue::Real(self.r_err))
        } else {
            (SqlValue::Real(self.r_sum), SqlValue::Integer(0))
        }
    }

    pub fn value(&self) -> Num {
        if self.count == 0 {
            Num::Null
        } else if !self.approx {
            Num::Int(self.i_sum)
        } else if self.r_err.is_finite() {
            Num::Real(self.r_sum + self.r_err)
        } else {
            Num::Real(self.r_sum)
        }
    }
}

/// The block levels for `days` ranks: 0, then 3, 4, … up to the first level whose single
/// block covers every rank.
fn levels(days: usize) -> Vec<u32> {
    let mut out = vec![0];
    let mut lvl = FIRST_BLOCK_LEVEL;
    loop {
        out.push(lvl);
        if (1usize << lvl) >= days {
            return out;
        }
        lvl += 1;
    }
}

/// Facts of one job in one block.
#[derive(Default)]
struct JobAcc {
    used: bool,
    cost: SqlSum,
    spot_cost: SqlSum,
    dbus: SqlSum,
    usage_rows: i64,
    listed_rows: i64,
    unlisted_cost: SqlSum,
    unlisted_spot: SqlSum,
    runs: i64,
    succeeded: i64,
    failed: i64,
    skipped: i64,
    finished: i64,
    finished_ms: SqlSum,
    finished_ms_n: i64,
    run_starts: i64,
    failed_starts: i64,
    run_carried: i64,
    failed_carried: i64,
    evictions: i64,
    eviction_days: i64,
    evicted_runs: i64,
    evicted_cost: SqlSum,
    evicted_cost_n: i64,
    cents: i64,
}

/// Facts of one compute type on one day, in one scope.
#[derive(Default)]
struct TypeAcc {
    cost: SqlSum,
    dbus: SqlSum,
    cpu_sum: SqlSum,
    cpu_n: i64,
    usage_rows: i64,
    entity_starts: i64,
    entity_carried: i64,
}

/// FxHash (as in rustc): the build hashes millions of short keys, for which SipHash's
/// protection against chosen keys buys nothing.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;

/// Interns strings as dense ids.
#[derive(Default)]
struct Names {
    ids: FxMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }

    fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
}

/// One usage row of a known run.
struct JobRow {
    run: u32,
    rank: u32,
    cost: Num,
    spot: Num,
    dbus: Num,
    /// The row's cost rounded to the cent (see `agg_job_block.cents`).
    cents: i64,
}

struct Run {
    job: u32,
    /// The day id of date(start_time), then its rank.
    start: Option<u32>,
    status: Status,
    duration: Num,
    spot_ratio: Num,
    source: Option<u32>,
}

/// A row of `agg_other_cents`: day rank, kind, workspace id and job id (as ids).
type OtherCentsKey = (u32, OtherKind, Option<u32>, Option<u32>);

/// What usage in `agg_other_cents` is of (its `kind`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum OtherKind {
    Compute,
    Unlinked,
    Orphan,
}

impl OtherKind {
    fn as_str(self) -> &'static str {
        match self {
            OtherKind::Compute => "compute",
            OtherKind::Unlinked => "unlinked",
            OtherKind::Orphan => "orphan",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Success,
    Failed,
    Skipped,
    Other,
}

fn text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
    }
}

/// A cell as text, borrowed when it is text (`scratch` holds any other kind's text).
fn str_of<'a>(v: ValueRef<'a>, scratch: &'a mut String) -> Option<&'a str> {
    match v {
        ValueRef::Text(t) => std::str::from_utf8(t).ok(),
        ValueRef::Null => None,
        other => {
            *scratch = text(other).unwrap_or_default();
            Some(scratch.as_str())
        }
    }
}

/// Maximal runs of consecutive ranks of a sorted, deduplicated list.
fn spans_of(ranks: &[u32]) -> Vec<(u32, u32)> {
    let mut spans: Vec<(u32, u32)> = Vec::new();
    for &r in ranks {
        match spans.last_mut() {
            Some(last) if last.1 + 1 == r => last.1 = r,
            _ => spans.push((r, r)),
        }
    }
    spans
}

/// Indexes of `items` grouped by `key` (dense, below `keys`), each group in input order.
fn buckets<T>(items: &[T], keys: usize, key: impl Fn(&T) -> usize) -> (Vec<u32>, Vec<usize>) {
    let mut starts = vec![0usize; keys + 1];
    for item in items {
        starts[key(item) + 1] += 1;
    }
    for k in 0..keys {
        starts[k + 1] += starts[k];
    }
    let mut next = starts.clone();
    let mut order = vec![0u32; items.len()];
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        order[next[k]] = i as u32;
        next[k] += 1;
    }
    (order, starts)
}

/// Inserts rows into one table, many rows per statement.
struct Batch<'c, 'v> {
    conn: &'c Connection,
    table: String,
    width: usize,
    pending: Vec<rusqlite::types::ToSqlOutput<'v>>,
    full: Option<rusqlite::Statement<'c>>,
    rows: usize,
}

const BATCH_ROWS: usize = 64;

impl<'c, 'v> Batch<'c, 'v> {
    fn new(conn: &'c Connection, schema: &str, table: &str, columns: &str) -> Batch<'c, 'v> {
        let width = columns.split(',').count();
        Batch { conn, table: format!("{schema}.{table}({columns})"), width, pending: Vec::new(), full: None, rows: 0 }
    }

    fn sql(&self, rows: usize) -> String {
        let row = format!("({})", vec!["?"; self.width].join(", "));
        format!("INSERT INTO {} VALUES {}", self.table, vec![row.as_str(); rows].join(", "))
    }

    fn push(&mut self, row: &[ValueRef<'v>]) -> rusqlite::Result<()> {
        debug_assert_eq!(row.len(), self.width);
        self.pending.extend(row.iter().map(|&v| rusqlite::types::ToSqlOutput::Borrowed(v)));
        self.rows += 1;
        if self.pending.len() == self.width * BATCH_ROWS {
            if self.full.is_none() {
                self.full = Some(self.conn.prepare(&self.sql(BATCH_ROWS))?);
            }
            self.full.as_mut().expect("prepared").execute(rusqlite::params_from_iter(self.pending.iter()))?;
            self.pending.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> rusqlite::Result<usize> {
        if !self.pending.is_empty() {
            let rows = self.pending.len() / self.width;
            self.conn.prepare(&self.sql(rows))?.execute(rusqlite::params_from_iter(self.pending.iter()))?;
            self.pending.clear();
        }
        Ok(self.rows)
    }
}

fn num_ref(n: Num) -> ValueRef<'static> {
    match n {
        Num::Null => ValueRef::Null,
        Num::Int(i) => ValueRef::Integer(i),
        Num::Real(x) => ValueRef::Real(x),
    }
}

fn halves_ref(sum: &SqlSum) -> [ValueRef<'static>; 2] {
    let (hi, lo) = sum.halves();
    let one = |v: SqlValue| match v {
        SqlValue::Integer(n) => ValueRef::Integer(n),
        SqlValue::Real(x) => ValueRef::Real(x),
        _ => ValueRef::Null,
    };
    [one(hi), one(lo)]
}

/// One series, packed (first day, kinds, values) when its dates are calendar dates, else
/// (date text, value) per day.
enum Series {
    Packed(String, Vec<u8>, Vec<u8>),
    Long(Vec<(u32, Num)>),
}

/// Packs `days` (rank, sum; in rank order) by calendar date when every rank is one.
fn pack(days: &[(u32, Num)], calendar: &[Option<Date>]) -> Series {
    let dates: Option<Vec<Date>> = days.iter().map(|(rank, _)| calendar[*rank as usize]).collect();
    let Some(dates) = dates else { return Series::Long(days.to_vec()) };
    let first = dates[0];
    let len = first.days_until(*dates.last().expect("a series has a day")) as usize + 1;
    let mut kinds = vec![0u8; len];
    let mut values = vec![0u8; 8 * len];
    for (date, (_, sum)) in dates.iter().zip(days) {
        let at = first.days_until(*date) as usize;
        let (kind, bits) = match sum {
            Num::Real(x) => (1, x.to_bits()),
            Num::Int(n) => (2, *n as u64),
            Num::Null => (3, 0),
        };
        kinds[at] = kind;
        values[8 * at..8 * at + 8].copy_from_slice(&bits.to_le_bytes());
    }
    Series::Packed(first.to_string(), kinds, values)
}

/// The state of a build: raw rows read into ids, then summed job by job.
#[derive(Default)]
struct Builder {
    jobs: Names,
    /// Workspace of each job id (None: not in `jobs`), and whether `jobs` lists it.
    job_workspace: Vec<Option<u32>>,
    job_listed: Vec<bool>,
    workspaces: Names,
    /// (compute_id, compute_type) → workspace, and compute_id → workspace.
    compute_workspace: FxMap<(String, String), u32>,
    compute_id_workspace: FxMap<String, u32>,
    /// Cent-rounded usage that is not of a listed job's run: (rank, kind, workspace, job)
    /// → cents; see `agg_other_cents`.
    other_cents: BTreeMap<OtherCentsKey, i64>,
    sources: Names,
    runs: Vec<Run>,
    run_ids: Names,
    days: Names,
    /// Day ranks: text of each, and the rank of each day id.
    day_of_rank: Vec<String>,
    rank_of_day: Vec<u32>,
    levels: Vec<u32>,
    types: Names,
    job_rows: Vec<JobRow>,
    /// Spot evictions: (run, rank).
    evictions: Vec<(u32, u32)>,
    /// Entities of the compute-type report that are not known runs: type, workspace and
    /// parent id; and their (entity, rank) usage pairs.
    other_scope: Vec<(u32, Option<u32>, String)>,
    other_ranks: Vec<(u32, u32)>,
    compute_ids: Names,
    /// (compute parent id, rank) → cost: the shared resources' series.
    compute_series: FxMap<(u32, u32), SqlSum>,
    /// (scope: workspace + 1, or 0 for all; type; rank) → facts.
    type_days: FxMap<(u32, u32, u32), TypeAcc>,
    type_gaps: Vec<(u32, u32, u32, String, u32)>,
}

impl Builder {
    fn type_acc(&mut self, scope: u32, ty: u32, rank: u32) -> &mut TypeAcc {
        self.type_days.entry((scope, ty, rank)).or_default()
    }

    fn job_id(&mut self, name: &str) -> u32 {
        let id = self.jobs.id(name);
        if self.job_workspace.len() <= id as usize {
            self.job_workspace.resize(id as usize + 1, None);
            self.job_listed.resize(id as usize + 1, false);
        }
        id
    }

    fn read(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let mut stmt = conn.prepare("SELECT job_id, workspace_id FROM jobs")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let Some(job) = text(r.get_ref(0)?) else { continue };
            let job = self.job_id(&job);
            self.job_listed[job as usize] = true;
            let Some(ws) = text(r.get_ref(1)?) else { continue };
            self.job_workspace[job as usize] = Some(self.workspaces.id(&ws));
        }
        let mut stmt = conn.prepare("SELECT compute_id, compute_type, workspace_id FROM non_job_compute")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (Some(id), Some(ty), Some(ws)) = (text(r.get_ref(0)?), text(r.get_ref(1)?), text(r.get_ref(2)?)) else { continue };
            let ws = self.workspaces.id(&ws);
            self.compute_id_workspace.insert(id.clone(), ws);
            self.compute_workspace.insert((id, ty), ws);
        }
        let mut spot: FxMap<String, u32> = FxMap::default();
        let mut stmt = conn.prepare("SELECT job_run_id, COALESCE(source, 'generated') FROM job_run_spot")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (Some(run), Some(source)) = (text(r.get_ref(0)?), text(r.get_ref(1)?)) else { continue };
            let source = self.sources.id(&source);
            spot.insert(run, source);
        }
        let mut stmt = conn.prepare("SELECT job_run_id, job_id, date(start_time), run_status, duration_ms, spot_ratio FROM job_runs")?;
        let mut rows = stmt.query([])?;
        let (mut last_day, mut last_day_id) = (String::new(), 0u32);
        while let Some(r) = rows.next()? {
            let (mut id_text, mut job_text) = (String::new(), String::new());
            let (Some(id), Some(job)) = (str_of(r.get_ref(0)?, &mut id_text), str_of(r.get_ref(1)?, &mut job_text)) else { continue };
            if self.run_ids.get(id).is_some() {
                continue;
            }
            let start = match r.get_ref(2)? {
                ValueRef::Text(t) if t == last_day.as_bytes() => Some(last_day_id),
                ValueRef::Text(t) => {
                    last_day = String::from_utf8_lossy(t).into_owned();
                    last_day_id = self.days.id(&last_day);
                    Some(last_day_id)
                }
                _ => None,
            };
            let status = match r.get_ref(3)? {
                ValueRef::Text(b"SUCCESS") => Status::Success,
                ValueRef::Text(b"FAILED") => Status::Failed,
                ValueRef::Text(b"SKIPPED") => Status::Skipped,
                _ => Status::Other,
            };
            let run = Run {
                job: self.job_id(job),
                start,
                status,
                duration: Num::of(r.get_ref(4)?),
                spot_ratio: Num::of(r.get_ref(5)?),
                source: spot.get(id).copied(),
            };
            self.run_ids.id(id);
            self.runs.push(run);
        }
        // Spot evictions on runs' usage: (run, day id) for now.
        let mut stmt = conn.prepare(
            "SELECT u.parent_id, date(e.event_time) FROM events e
             JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id AND u.parent_type = 'JOB_RUN'
             WHERE e.event_type = 'SPOT_EVICTION' AND date(e.event_time) IS NOT NULL",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (Some(run), Some(day)) = (text(r.get_ref(0)?), text(r.get_ref(1)?)) else { continue };
            let Some(run) = self.run_ids.get(&run) else { continue };
            let day = self.days.id(&day);
            self.evictions.push((run, day));
        }
        // Every usage date, then ranks in text order.
        let mut stmt = conn.prepare("SELECT DISTINCT usage_date FROM compute_usage WHERE typeof(usage_date) = 'text'")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(d) = text(r.get_ref(0)?) {
                self.days.id(&d);
            }
        }
        let mut order: Vec<u32> = (0..self.days.names.len() as u32).collect();
        order.sort_by(|&a, &b| self.days.names[a as usize].as_bytes().cmp(self.days.names[b as usize].as_bytes()));
        self.rank_of_day = vec![0; order.len()];
        for (rank, &day) in order.iter().enumerate() {
            self.rank_of_day[day as usize] = rank as u32;
        }
        self.day_of_rank = order.iter().map(|&d| self.days.names[d as usize].clone()).collect();
        self.levels = levels(self.day_of_rank.len());
        for run in &mut self.runs {
            run.start = run.start.map(|d| self.rank_of_day[d as usize]);
        }
        for e in &mut self.evictions {
            e.1 = self.rank_of_day[e.1 as usize];
        }
        self.read_usage(conn)
    }

    fn read_usage(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let job_run = self.types.id("JOB_RUN");
        // In usage_date order (the covering index), so consecutive rows share their day.
        let mut stmt = conn.prepare(
            "SELECT parent_type, parent_id, usage_date, total_cost, dbus_consumed, avg_cpu_utilization,
                    CAST(ROUND(COALESCE(total_cost, 0) * 100) AS INTEGER)
             FROM compute_usage WHERE typeof(usage_date) = 'text'",
        )?;
        let mut rows = stmt.query([])?;
        let mut other_entities: FxMap<(u32, String), u32> = FxMap::default();
        let (mut last_day, mut last_rank) = (Vec::new(), None::<u32>);
        let (mut last_type, mut last_ty) = (Vec::new(), 0u32);
        while let Some(r) = rows.next()? {
            let rank = match r.get_ref(2)? {
                ValueRef::Text(t) if t == last_day.as_slice() => last_rank,
                ValueRef::Text(t) => {
                    last_day = t.to_vec();
                    last_rank = std::str::from_utf8(t).ok().and_then(|d| self.days.get(d)).map(|id| self.rank_of_day[id as usize]);
                    last_rank
                }
                _ => None,
            };
            let Some(rank) = rank else { continue };
            let ty = match r.get_ref(0)? {
                ValueRef::Text(t) if t == last_type.as_slice() => last_ty,
                ValueRef::Null => continue,
                other => {
                    let name = text(other).unwrap_or_default();
                    last_type = name.as_bytes().to_vec();
                    last_ty = self.types.id(&name);
                    last_ty
                }
            };
            let mut id_text = String::new();
            let Some(parent_id) = str_of(r.get_ref(1)?, &mut id_text) else { continue };
            let (cost, dbus, cpu) = (Num::of(r.get_ref(3)?), Num::of(r.get_ref(4)?), Num::of(r.get_ref(5)?));
            let cents: i64 = r.get(6)?;
            let run = if ty == job_run { self.run_ids.get(parent_id) } else { None };
            let other = match run {
                Some(run) => {
                    let job = self.runs[run as usize].job;
                    (!self.job_listed[job as usize]).then_some((OtherKind::Orphan, None, Some(job)))
                }
                None if ty == job_run => Some((OtherKind::Unlinked, None, None)),
                None => Some((OtherKind::Compute, self.compute_id_workspace.get(parent_id).copied(), None)),
            };
            if let Some((kind, ws, job)) = other {
                *self.other_cents.entry((rank, kind, ws, job)).or_default() += cents;
            }
            // The compute-type facts: all workspaces, and the workspace in scope (if any).
            let workspace = match run {
                Some(run) => {
                    let r = &self.runs[run as usize];
                    let spot = cost.times(if r.spot_ratio.is_null() { Num::Int(0) } else { r.spot_ratio });
                    self.job_rows.push(JobRow { run, rank, cost, spot, dbus, cents });
                    self.job_workspace[r.job as usize]
                }
                None => {
                    let key = (ty, parent_id.to_string());
                    let entity = match other_entities.get(&key) {
                        Some(&entity) => entity,
                        None => {
                            let ws = if ty == job_run {
                                None
                            } else {
                                let name = &self.types.names[ty as usize];
                                self.compute_workspace.get(&(parent_id.to_string(), name.clone())).copied()
                            };
                            let entity = self.other_scope.len() as u32;
                            self.other_scope.push((ty, ws, parent_id.to_string()));
                            other_entities.insert(key, entity);
                            entity
                        }
                    };
                    self.other_ranks.push((entity, rank));
                    if ty != job_run {
                        let id = self.compute_ids.id(parent_id);
                        self.compute_series.entry((id, rank)).or_default().add(cost);
                    }
                    self.other_scope[entity as usize].1
                }
            };
            for scope in std::iter::once(0).chain(workspace.map(|w| w + 1)) {
                let acc = self.type_acc(scope, ty, rank);
                acc.cost.add(cost);
                acc.dbus.add(dbus);
                acc.cpu_sum.add(cpu);
                acc.cpu_n += i64::from(!cpu.is_null());
                acc.usage_rows += 1;
            }
        }
        Ok(())
    }

    /// The usage spans of one entity of the compute-type report, in its scopes.
    fn type_spans(&mut self, ty: u32, workspace: Option<u32>, parent: &str, spans: &[(u32, u32)]) {
        for scope in std::iter::once(0).chain(workspace.map(|w| w + 1)) {
            for &(a, b) in spans {
                self.type_acc(scope, ty, a).entity_starts += 1;
                for t in a + 1..=b {
                    self.type_acc(scope, ty, t).entity_carried += 1;
                }
            }
            for pair in spans.windows(2) {
                self.type_gaps.push((scope, ty, pair[0].1, parent.to_string(), pair[1].0));
            }
        }
    }

    /// Sums every job's facts block by block and writes them, with the job tables' other
    /// rows and the jobs' series; then the compute-type facts and the shared resources'
    /// series.
    fn write(&mut self, conn: &Connection, schema: &str) -> rusqlite::Result<BuildStats> {
        let mut stats = BuildStats { days: self.day_of_rank.len(), ..BuildStats::default() };
        let mut batch = Batch::new(conn, schema, "agg_day", "day, rank");
        for (rank, day) in self.day_of_rank.iter().enumerate() {
            batch.push(&[ValueRef::Text(day.as_bytes()), ValueRef::Integer(rank as i64)])?;
        }
        batch.finish()?;
        let mut batch = Batch::new(conn, schema, "agg_block", "lvl, pos, last, up_pos, up_last");
        let days = self.day_of_rank.len() as i64;
        for (i, &lvl) in self.levels.iter().enumerate() {
            let size = 1i64 << lvl;
            let mut pos = 0;
            while pos < days.max(1) {
                let (up_pos, up_last) = match self.levels.get(i + 1) {
                    Some(&up) => {
                        let up_size = 1i64 << up;
                        let up_pos = (pos / up_size) * up_size;
                        (up_pos, up_pos + up_size - 1)
                    }
                    None => (-1, i64::MAX),
                };
                let row = [i64::from(lvl), pos, pos + size - 1, up_pos, up_last].map(ValueRef::Integer);
                batch.push(&row)?;
                pos += size;
            }
        }
        batch.finish()?;

        let job_run = self.types.id("JOB_RUN");
        let calendar: Vec<Option<Date>> = self.day_of_rank.iter().map(|d| Date::parse(d).filter(|date| date.to_string() == *d)).collect();
        let runs = std::mem::take(&mut self.runs);
        let job_rows = std::mem::take(&mut self.job_rows);
        let evictions = std::mem::take(&mut self.evictions);
        let jobs = self.jobs.names.len();
        let (rows_order, rows_start) = buckets(&job_rows, jobs, |r| runs[r.run as usize].job as usize);
        let (runs_order, runs_start) = buckets(&runs, jobs, |r| r.job as usize);
        let (ev_order, ev_start) = buckets(&evictions, jobs, |e| runs[e.0 as usize].job as usize);
        let mut job_order: Vec<u32> = (0..jobs as u32).collect();
        job_order.sort_by(|&a, &b| self.jobs.names[a as usize].cmp(&self.jobs.names[b as usize]));

        // Per level, the job's accumulators by block and the blocks it touched.
        let mut accs: Vec<Vec<JobAcc>> =
            self.levels.iter().map(|&lvl| (0..(self.day_of_rank.len() >> lvl) + 1).map(|_| JobAcc::default()).collect()).collect();
        let mut touched: Vec<Vec<u32>> = vec![Vec::new(); self.levels.len()];
        let levels = self.levels.clone();
        fn at(accs: &mut [Vec<JobAcc>], touched: &mut [Vec<u32>], levels: &[u32], rank: u32, mut f: impl FnMut(&mut JobAcc)) {
            for (i, &lvl) in levels.iter().enumerate() {
                let block = (rank >> lvl) as usize;
                let acc = &mut accs[i][block];
                if !acc.used {
                    acc.used = true;
                    touched[i].push(block as u32);
                }
                f(acc);
            }
        }

        let job_columns = "job_id, lvl, pos, cost, cost_lo, spot_cost, spot_cost_lo, dbus, dbus_lo, usage_rows, listed_rows, \
             unlisted_cost, unlisted_cost_lo, unlisted_spot, unlisted_spot_lo, runs, succeeded, failed, skipped, finished, \
             finished_ms, finished_ms_lo, finished_ms_n, run_starts, failed_starts, run_carried, failed_carried, evictions, \
             eviction_days, evicted_runs, evicted_cost, evicted_cost_lo, evicted_cost_n, cents";
        let names = std::mem::take(&mut self.jobs.names);
        let run_names = std::mem::take(&mut self.run_ids.names);
        let source_names = std::mem::take(&mut self.sources.names);
        let mut job_batch = Batch::new(conn, schema, "agg_job_block", job_columns);
        let mut source_batch = Batch::new(conn, schema, "agg_job_source_block", "job_id, lvl, pos, source, run_starts, run_carried");
        let mut gap_batch = Batch::new(conn, schema, "agg_run_gap", "end_rank, job_id, job_run_id, next_rank, failed, source");
        let mut listed_batch = Batch::new(conn, schema, "agg_run_usage", "rank, job_id, job_run_id, seq, cost, spot_cost");
        let mut event_batch = Batch::new(conn, schema, "agg_evicted_event", "rank, job_id, job_run_id");
        let mut series: Vec<(&'static str, String, Series)> = Vec::new();
        let mut eviction_day = vec![false; self.day_of_rank.len()];
        for &job in &job_order {
            let job_name = names[job as usize].as_str();
            let rows = &rows_order[rows_start[job as usize]..rows_start[job as usize + 1]];
            let job_runs = &runs_order[runs_start[job as usize]..runs_start[job as usize + 1]];
            let job_evictions = &ev_order[ev_start[job as usize]..ev_start[job as usize + 1]];
            if rows.is_empty() && job_runs.is_empty() && job_evictions.is_empty() {
                continue;
            }
            // Each run's usage ranks (with repeats: one per row) and eviction ranks.
            let mut run_ranks: Vec<(u32, u32)> = rows.iter().map(|&i| (job_rows[i as usize].run, job_rows[i as usize].rank)).collect();
            run_ranks.sort_unstable();
            let mut run_evictions: Vec<(u32, u32)> = job_evictions.iter().map(|&i| evictions[i as usize]).collect();
            run_evictions.sort_unstable();
            run_evictions.dedup();
            let evicted_of = |run: u32| -> &[(u32, u32)] {
                let from = run_evictions.partition_point(|e| e.0 < run);
                let to = run_evictions.partition_point(|e| e.0 <= run);
                &run_evictions[from..to]
            };
            let rows_of = |run: u32| -> &[(u32, u32)] {
                let from = run_ranks.partition_point(|e| e.0 < run);
                let to = run_ranks.partition_point(|e| e.0 <= run);
                &run_ranks[from..to]
            };
            // A run is kept row by row unless it has one usage row and its evictions, if any,
            // are all on that row's day.
            let simple_eviction = |run: u32| -> bool {
                let (used, evicted) = (rows_of(run), evicted_of(run));
                used.len() == 1 && evicted.len() == 1 && evicted[0].1 == used[0].1
            };
            let listed = |run: u32| -> bool {
                let used = rows_of(run);
                used.len() != 1 || (!evicted_of(run).is_empty() && !simple_eviction(run))
            };
            let mut seq: FxMap<u32, u32> = FxMap::default();
            for &i in rows {
                let row = &job_rows[i as usize];
                let (is_listed, is_simple) = (listed(row.run), simple_eviction(row.run));
                at(&mut accs, &mut touched, &levels, row.rank, |a| {
                    a.cost.add(row.cost);
                    a.spot_cost.add(row.spot);
                    a.dbus.add(row.dbus);
                    a.cents += row.cents;
                    a.usage_rows += 1;
                    if is_listed {
                        a.listed_rows += 1;
                    } else {
                        a.unlisted_cost.add(row.cost);
                        a.unlisted_spot.add(row.spot);
                    }
                    if is_simple {
                        a.evicted_runs += 1;
                        a.evicted_cost.add(row.cost);
                        a.evicted_cost_n += i64::from(!row.cost.is_null());
                    }
                });
                if is_listed {
                    let n = seq.entry(row.run).or_default();
                    listed_batch.push(&[
                        ValueRef::Integer(i64::from(row.rank)),
                        ValueRef::Text(job_name.as_bytes()),
                        ValueRef::Text(run_names[row.run as usize].as_bytes()),
                        ValueRef::Integer(i64::from(*n)),
                        num_ref(row.cost),
                        num_ref(row.spot),
                    ])?;
                    *n += 1;
                }
            }
            for &i in job_runs {
                let run = &runs[i as usize];
                let Some(rank) = run.start else { continue };
                let finished = matches!(run.status, Status::Success | Status::Failed);
                at(&mut accs, &mut touched, &levels, rank, |a| {
                    a.runs += 1;
                    a.succeeded += i64::from(run.status == Status::Success);
                    a.failed += i64::from(run.status == Status::Failed);
                    a.skipped += i64::from(run.status == Status::Skipped);
                    if finished {
                        a.finished += 1;
                        a.finished_ms.add(run.duration);
                        a.finished_ms_n += i64::from(!run.duration.is_null());
                    }
                });
            }
            let mut days_with_evictions: Vec<u32> = Vec::new();
            for &i in job_evictions {
                let rank = evictions[i as usize].1;
                let first = !eviction_day[rank as usize];
                if first {
                    eviction_day[rank as usize] = true;
                    days_with_evictions.push(rank);
                }
                at(&mut accs, &mut touched, &levels, rank, |a| {
                    a.evictions += 1;
                    a.eviction_days += i64::from(first);
                });
            }
            for rank in days_with_evictions {
                eviction_day[rank as usize] = false;
            }
            // Usage spans of each run: distinct runs with usage in a range, and (in the
            // compute-type facts) distinct resources.
            let mut sources: FxMap<(u32, usize, u32), (i64, i64)> = FxMap::default();
            let mut k = 0;
            while k < run_ranks.len() {
                let run = run_ranks[k].0;
                let mut end = k;
                while end < run_ranks.len() && run_ranks[end].0 == run {
                    end += 1;
                }
                let mut ranks: Vec<u32> = run_ranks[k..end].iter().map(|p| p.1).collect();
                ranks.dedup();
                k = end;
                let spans = spans_of(&ranks);
                let r = &runs[run as usize];
                let failed = r.status == Status::Failed;
                for &(a, b) in &spans {
                    at(&mut accs, &mut touched, &levels, a, |acc| {
                        acc.run_starts += 1;
                        acc.failed_starts += i64::from(failed);
                    });
                    for t in a + 1..=b {
                        at(&mut accs[..1], &mut touched[..1], &levels[..1], t, |acc| {
                            acc.run_carried += 1;
                            acc.failed_carried += i64::from(failed);
                        });
                    }
                    if let Some(source) = r.source {
                        for (i, &lvl) in levels.iter().enumerate() {
                            sources.entry((source, i, (a >> lvl) << lvl)).or_default().0 += 1;
                        }
                        for t in a + 1..=b {
                            sources.entry((source, 0, t)).or_default().1 += 1;
                        }
                    }
                }
                for pair in spans.windows(2) {
                    gap_batch.push(&[
                        ValueRef::Integer(i64::from(pair[0].1)),
                        ValueRef::Text(job_name.as_bytes()),
                        ValueRef::Text(run_names[run as usize].as_bytes()),
                        ValueRef::Integer(i64::from(pair[1].0)),
                        ValueRef::Integer(i64::from(failed)),
                        r.source.map_or(ValueRef::Null, |s| ValueRef::Text(source_names[s as usize].as_bytes())),
                    ])?;
                    stats.run_gaps += 1;
                }
                let workspace = self.job_workspace[job as usize];
                self.type_spans(job_run, workspace, &run_names[run as usize], &spans);
            }
            // Evicted runs kept run by run: their eviction days.
            let mut e = 0;
            while e < run_evictions.len() {
                let run = run_evictions[e].0;
                let mut end = e;
                while end < run_evictions.len() && run_evictions[end].0 == run {
                    end += 1;
                }
                if !simple_eviction(run) {
                    for &(_, rank) in &run_evictions[e..end] {
                        event_batch.push(&[
                            ValueRef::Integer(i64::from(rank)),
                            ValueRef::Text(job_name.as_bytes()),
                            ValueRef::Text(run_names[run as usize].as_bytes()),
                        ])?;
                    }
                    stats.complex_evicted_runs += 1;
                }
                e = end;
            }
            // The job's rows, block by block, in key order; and its daily cost series.
            let mut days: Vec<(u32, Num)> = Vec::new();
            for (i, &lvl) in levels.iter().enumerate() {
                touched[i].sort_unstable();
                for &block in &touched[i] {
                    let a = std::mem::take(&mut accs[i][block as usize]);
                    let pos = block << lvl;
                    if lvl == 0 && a.usage_rows > 0 {
                        days.push((pos, a.cost.value()));
                    }
                    let [cost, cost_lo] = halves_ref(&a.cost);
                    let [spot, spot_lo] = halves_ref(&a.spot_cost);
                    let [dbus, dbus_lo] = halves_ref(&a.dbus);
                    let [unlisted_cost, unlisted_cost_lo] =
                        if a.listed_rows > 0 { halves_ref(&a.unlisted_cost) } else { [ValueRef::Null, ValueRef::Null] };
                    let [unlisted_spot, unlisted_spot_lo] =
                        if a.listed_rows > 0 { halves_ref(&a.unlisted_spot) } else { [ValueRef::Null, ValueRef::Null] };
                    let [ms, ms_lo] = halves_ref(&a.finished_ms);
                    let [evicted, evicted_lo] = halves_ref(&a.evicted_cost);
                    let int = ValueRef::Integer;
                    job_batch.push(&[
                        ValueRef::Text(job_name.as_bytes()),
                        int(i64::from(lvl)),
                        int(i64::from(pos)),
                        cost,
                        cost_lo,
                        spot,
                        spot_lo,
                        dbus,
                        dbus_lo,
                        int(a.usage_rows),
                        int(a.listed_rows),
                        unlisted_cost,
                        unlisted_cost_lo,
                        unlisted_spot,
                        unlisted_spot_lo,
                        int(a.runs),
                        int(a.succeeded),
                        int(a.failed),
                        int(a.skipped),
                        int(a.finished),
                        ms,
                        ms_lo,
                        int(a.finished_ms_n),
                        int(a.run_starts),
                        int(a.failed_starts),
                        int(a.run_carried),
                        int(a.failed_carried),
                        int(a.evictions),
                        int(a.eviction_days),
                        int(a.evicted_runs),
                        evicted,
                        evicted_lo,
                        int(a.evicted_cost_n),
                        int(a.cents),
                    ])?;
                }
                touched[i].clear();
            }
            let mut source_rows: Vec<_> = sources.iter().collect();
            source_rows.sort_unstable_by_key(|((source, i, pos), _)| (levels[*i], *pos, &source_names[*source as usize]));
            for (&(source, i, pos), &(starts, carried)) in source_rows {
                source_batch.push(&[
                    ValueRef::Text(job_name.as_bytes()),
                    ValueRef::Integer(i64::from(levels[i])),
                    ValueRef::Integer(i64::from(pos)),
                    ValueRef::Text(source_names[source as usize].as_bytes()),
                    ValueRef::Integer(starts),
                    ValueRef::Integer(carried),
                ])?;
            }
            if !days.is_empty() {
                series.push(("job", job_name.to_string(), pack(&days, &calendar)));
            }
        }
        stats.job_block_rows = job_batch.finish()?;
        source_batch.finish()?;
        gap_batch.finish()?;
        stats.listed_rows = listed_batch.finish()?;
        event_batch.finish()?;

        // Cent-rounded usage of other than listed jobs' runs, by day.
        let mut batch = Batch::new(conn, schema, "agg_other_cents", "rank, kind, workspace_id, job_id, cents");
        for (&(rank, kind, ws, job), &cents) in &self.other_cents {
            let ws = ws.map_or("", |w| self.workspaces.names[w as usize].as_str());
            let job = job.map_or("", |j| names[j as usize].as_str());
            batch.push(&[
                ValueRef::Integer(i64::from(rank)),
                ValueRef::Text(kind.as_str().as_bytes()),
                ValueRef::Text(ws.as_bytes()),
                ValueRef::Text(job.as_bytes()),
                ValueRef::Integer(cents),
            ])?;
        }
        batch.finish()?;

        // Resources other than known runs: their spans in the compute-type facts.
        let mut pairs = std::mem::take(&mut self.other_ranks);
        pairs.sort_unstable();
        pairs.dedup();
        let mut k = 0;
        while k < pairs.len() {
            let entity = pairs[k].0;
            let mut end = k;
            while end < pairs.len() && pairs[end].0 == entity {
                end += 1;
            }
            let ranks: Vec<u32> = pairs[k..end].iter().map(|p| p.1).collect();
            k = end;
            let (ty, ws, parent) = self.other_scope[entity as usize].clone();
            self.type_spans(ty, ws, &parent, &spans_of(&ranks));
        }
        let mut keys: Vec<&(u32, u32, u32)> = self.type_days.keys().collect();
        keys.sort_unstable();
        let scope_of = |scope: u32| -> (i64, &str) {
            match scope {
                0 => (0, ""),
                w => (1, self.workspaces.names[(w - 1) as usize].as_str()),
            }
        };
        let mut batch = Batch::new(
            conn,
            schema,
            "agg_type_day",
            "per_ws, workspace_id, compute_type, rank, cost, dbus, cpu_sum, cpu_n, usage_rows, entity_starts, entity_carried",
        );
        for key in keys {
            let a = &self.type_days[key];
            let &(scope, ty, rank) = key;
            let (per_ws, ws) = scope_of(scope);
            batch.push(&[
                ValueRef::Integer(per_ws),
                ValueRef::Text(ws.as_bytes()),
                ValueRef::Text(self.types.names[ty as usize].as_bytes()),
                ValueRef::Integer(i64::from(rank)),
                num_ref(a.cost.value()),
                num_ref(a.dbus.value()),
                num_ref(a.cpu_sum.value()),
                ValueRef::Integer(a.cpu_n),
                ValueRef::Integer(a.usage_rows),
                ValueRef::Integer(a.entity_starts),
                ValueRef::Integer(a.entity_carried),
            ])?;
        }
        stats.type_day_rows = batch.finish()?;
        let mut batch = Batch::new(conn, schema, "agg_type_gap", "per_ws, workspace_id, compute_type, end_rank, parent_id, next_rank");
        for (scope, ty, end, parent, next) in &self.type_gaps {
            let (per_ws, ws) = scope_of(*scope);
            batch.push(&[
                ValueRef::Integer(per_ws),
                ValueRef::Text(ws.as_bytes()),
                ValueRef::Text(self.types.names[*ty as usize].as_bytes()),
                ValueRef::Integer(i64::from(*end)),
                ValueRef::Text(parent.as_bytes()),
                ValueRef::Integer(i64::from(*next)),
            ])?;
        }
        batch.finish()?;

        // The shared resources' series, then every series.
        let mut by_compute: BTreeMap<&str, Vec<(u32, Num)>> = BTreeMap::new();
        for (&(id, rank), sum) in &self.compute_series {
            by_compute.entry(self.compute_ids.names[id as usize].as_str()).or_default().push((rank, sum.value()));
        }
        for (id, mut days) in by_compute {
            days.sort_unstable_by_key(|d| d.0);
            series.push(("compute", id.to_string(), pack(&days, &calendar)));
        }
        series.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut packed = conn.prepare(&format!(
            "INSERT INTO {schema}.agg_series(subject_type, entity_id, regular, first_day, kinds, costs) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        ))?;
        let mut long = Batch::new(conn, schema, "agg_series_day", "subject_type, entity_id, day, actual_usd");
        for (subject, entity, s) in &series {
            stats.series += 1;
            match s {
                Series::Packed(first, kinds, values) => {
                    packed.execute(params![subject, entity, 1, first, kinds, values])?;
                }
                Series::Long(days) => {
                    packed.execute(params![
                        subject,
                        entity,
                        0,
                        Option::<String>::None,
                        Option::<Vec<u8>>::None,
                        Option::<Vec<u8>>::None
                    ])?;
                    for (rank, cost) in days {
                        long.push(&[
                            ValueRef::Text(subject.as_bytes()),
                            ValueRef::Text(entity.as_bytes()),
                            ValueRef::Text(self.day_of_rank[*rank as usize].as_bytes()),
                            num_ref(*cost),
                        ])?;
                    }
                }
            }
        }
        stats.irregular_series_rows = long.finish()?;
        Ok(stats)
    }
}

fn build_inside(conn: &Connection, schema: &str) -> rusqlite::Result<BuildStats> {
    drop_set(conn, schema)?;
    let table =
        if schema == "temp" { "CREATE TEMP TABLE IF NOT EXISTS ".to_string() } else { format!("CREATE TABLE IF NOT EXISTS {schema}.") };
    conn.execute_batch(&ddl().replace("CREATE TEMP TABLE IF NOT EXISTS ", &table))?;
    let mut phases: BTreeMap<String, f64> = BTreeMap::new();
    let mut lap = clock::now_ms();
    let mut phase = |name: &str| {
        let now = clock::now_ms();
        phases.insert(name.to_string(), now - lap);
        lap = now;
    };
    let mut builder = Builder::default();
    builder.read(conn)?;
    phase("read");
    let mut stats = builder.write(conn, schema)?;
    phase("sum_and_write");
    let fingerprint = fingerprint(conn)?;
    phase("fingerprint");
    stats.phase_ms = phases;
    let mut meta = conn.prepare(&format!("INSERT INTO {schema}.agg_meta(key, value) VALUES (?1, ?2)"))?;
    meta.execute(["version", VERSION])?;
    meta.execute(["fingerprint", fingerprint.as_str()])?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql_sum(values: &[Num]) -> Num {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t(x)").unwrap();
        for v in values {
            conn.execute("INSERT INTO t VALUES (?1)", [v.sql()]).unwrap();
        }
        let v: SqlValue = conn.query_row("SELECT SUM(x) FROM t", [], |r| r.get(0)).unwrap();
        match v {
            SqlValue::Null => Num::Null,
            SqlValue::Integer(n) => Num::Int(n),
            SqlValue::Real(x) => Num::Real(x),
            _ => unreachable!(),
        }
    }

    #[test]
    fn sums_exactly_as_sqlite_does() {
        let cases: Vec<Vec<Num>> = vec![
            vec![],
            vec![Num::Null],
            vec![Num::Int(3), Num::Int(4), Num::Null],
            vec![Num::Int(3), Num::Real(0.1), Num::Real(0.2), Num::Int(7)],
            (0..1000).map(|i| Num::Real(0.1 * f64::from(i) + 1e-7)).collect(),
            vec![Num::Real(1e16), Num::Real(1.0), Num::Real(-1e16), Num::Real(3.3)],
            vec![Num::Int(i64::MAX), Num::Int(10), Num::Real(0.5)],
            vec![Num::Int(9_007_199_254_740_993), Num::Real(0.25)],
        ];
        for values in cases {
            let mut sum = SqlSum::default();
            for v in &values {
                sum.add(*v);
            }
            let (ours, theirs) = (sum.value(), sql_sum(&values));
            match (ours, theirs) {
                (Num::Real(a), Num::Real(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{values:?}"),
                _ => assert_eq!(ours, theirs, "{values:?}"),
            }
        }
    }

    #[test]
    fn multiplies_as_sql_does() {
        assert_eq!(Num::Real(2.5).times(Num::Int(0)), Num::Real(0.0));
        assert_eq!(Num::Int(3).times(Num::Int(4)), Num::Int(12));
        assert_eq!(Num::Null.times(Num::Real(1.0)), Num::Null);
        assert_eq!(Num::of(ValueRef::Text(b" 12 ")), Num::Int(12));
        assert_eq!(Num::of(ValueRef::Text(b"1.5")), Num::Real(1.5));
    }

    #[test]
    fn levels_cover_every_rank_with_one_top_block() {
        assert_eq!(levels(1), [0, 3]);
        assert_eq!(levels(8), [0, 3]);
        assert_eq!(levels(9), [0, 3, 4]);
        assert_eq!(levels(180), [0, 3, 4, 5, 6, 7, 8]);
    }
}
