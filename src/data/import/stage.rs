//! The import's own staging database: every typed row of a raw export is written there as
//! it is read (never held in memory as parsed rows), with a key that sorts like the row's
//! key tuple, and read back grouped by key and in key order once all files are in — which
//! is where duplicates are dropped. In memory (the browser, small imports) or in a temporary
//! file that is removed when the import ends, whether it finished, failed or was cancelled
//! (natively, large inputs).
//!
//! A key is a byte string that compares (as SQLite compares BLOBs, bytewise) exactly as the
//! Rust tuple it encodes compares: strings escaped and terminated, `None` before `Some`,
//! integers big-endian with the sign flipped, doubles in `f64::total_cmp` order. So reading
//! `ORDER BY k` gives the rows in the order the in-memory import sorted them.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};

/// An order-preserving encoding of a key tuple.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key(pub Vec<u8>);

impl Key {
    pub fn str(&mut self, s: &str) -> &mut Key {
        for &b in s.as_bytes() {
            if b == 0 {
                self.0.extend_from_slice(&[0, 0xff]);
            } else {
                self.0.push(b);
            }
        }
        self.0.extend_from_slice(&[0, 1]);
        self
    }

    pub fn opt_str(&mut self, s: Option<&str>) -> &mut Key {
        match s {
            None => self.0.push(0),
            Some(s) => {
                self.0.push(1);
                self.str(s);
            }
        }
        self
    }

    pub fn int(&mut self, x: i64) -> &mut Key {
        self.0.extend_from_slice(&((x as u64) ^ (1 << 63)).to_be_bytes());
        self
    }

    pub fn opt_int(&mut self, x: Option<i64>) -> &mut Key {
        match x {
            None => self.0.push(0),
            Some(x) => {
                self.0.push(1);
                self.int(x);
            }
        }
        self
    }

    /// A double in `total_cmp` order.
    pub fn num(&mut self, x: f64) -> &mut Key {
        let bits = x.to_bits();
        let ordered = if bits >> 63 == 1 { !bits } else { bits ^ (1 << 63) };
        self.0.extend_from_slice(&ordered.to_be_bytes());
        self
    }

    pub fn flag(&mut self, b: bool) -> &mut Key {
        self.0.push(b as u8);
        self
    }

    pub fn tag(&mut self, b: u8) -> &mut Key {
        self.0.push(b);
        self
    }
}

/// Where the staging database lives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StagingStore {
    /// In memory: the browser's default, and small native imports.
    #[default]
    Memory,
    /// A new file in this directory (removed when the import ends), with SQLite's own
    /// temporary files (its sorts) on disk too: memory stays bounded by the page cache.
    Directory(PathBuf),
}

/// Kinds of staged rows (one table each): the ten system tables.
pub const KINDS: u8 = 10;

const INSERTS: [&str; KINDS as usize] = [
    "INSERT INTO stage_0 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO stage_1 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO stage_2 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO stage_3 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO stage_4 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO stage_5 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO stage_6 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO stage_7 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO stage_8 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO stage_9 (k, r, f, l) VALUES (?1, ?2, ?3, ?4)",
];

/// Page cache of the staging database, in KiB: what a disk-backed import holds in memory.
const CACHE_KIB: i64 = 64 * 1024;

/// One staged row read back: its serialized row, file id and line.
pub struct Staged {
    pub row: Vec<u8>,
    pub file: usize,
    pub line: usize,
}

/// The staging database.
pub struct Store {
    conn: Option<Connection>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn temp_path(dir: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    #[cfg(not(target_arch = "wasm32"))]
    let pid = std::process::id();
    #[cfg(target_arch = "wasm32")]
    let pid = 0;
    dir.join(format!("usage-copilot-import-{pid}-{n}.sqlite"))
}

impl Store {
    pub fn open(store: &StagingStore) -> rusqlite::Result<Store> {
        let (conn, path) = match store {
            StagingStore::Memory => (Connection::open_in_memory()?, None),
            StagingStore::Directory(dir) => {
                let path = temp_path(dir);
                (Connection::open(&path)?, Some(path))
            }
        };
        let temp = if path.is_some() { "FILE" } else { "MEMORY" };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = {temp}; PRAGMA cache_size = -{CACHE_KIB};"
        ))?;
        for t in 0..KINDS {
            conn.execute_batch(&format!(
                "CREATE TABLE stage_{t} (k BLOB NOT NULL, r BLOB NOT NULL, f INTEGER NOT NULL, l INTEGER NOT NULL);"
            ))?;
        }
        conn.execute_batch("BEGIN")?;
        Ok(Store { conn: Some(conn), path })
    }

    fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("the store is open")
    }

    /// Stages one row of kind `t` (a table).
    pub fn add(&mut self, t: u8, key: &Key, row: &[u8], file: usize, line: usize) -> rusqlite::Result<()> {
        self.conn().prepare_cached(INSERTS[t as usize])?.execute(params![key.0, row, file as i64, line as i64])?;
        Ok(())
    }

    /// Forgets every row of `file` (a file found unreadable after some of its rows).
    pub fn forget_file(&mut self, file: usize) -> rusqlite::Result<()> {
        for t in 0..KINDS {
            self.conn().execute(&format!("DELETE FROM stage_{t} WHERE f = ?1"), [file as i64])?;
        }
        Ok(())
    }

    /// Rows of kind `t`.
    pub fn count(&self, t: u8) -> rusqlite::Result<u64> {
        self.conn().query_row(&format!("SELECT COUNT(*) FROM stage_{t}"), [], |r| r.get::<_, i64>(0)).map(|n| n as u64)
    }

    /// Ends the writing.
    pub fn seal(&mut self) -> rusqlite::Result<()> {
        self.conn().execute_batch("COMMIT")
    }

    /// Calls `f` with every group of rows of kind `t` that share a key, in key order (the
    /// rows of a group in no particular order). `f` may stop the reading with an error.
    pub fn groups<E: From<rusqlite::Error>>(&self, t: u8, mut f: impl FnMut(&mut Vec<Staged>) -> Result<(), E>) -> Result<(), E> {
        let mut stmt = self.conn().prepare(&format!("SELECT k, r, f, l FROM stage_{t} ORDER BY k"))?;
        let mut rows = stmt.query([])?;
        let mut key: Vec<u8> = Vec::new();
        let mut group: Vec<Staged> = Vec::new();
        while let Some(r) = rows.next()? {
            let k = r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
            if k != key.as_slice() && !group.is_empty() {
                f(&mut group)?;
                group.clear();
            }
            if k != key.as_slice() {
                key.clear();
                key.extend_from_slice(k);
            }
            group.push(Staged { row: r.get(1)?, file: r.get::<_, i64>(2)? as usize, line: r.get::<_, i64>(3)? as usize });
        }
        if !group.is_empty() {
            f(&mut group)?;
        }
        Ok(())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        drop(self.conn.take());
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_like_the_tuples_they_encode() {
        let strings = ["", "a", "a\u{0}", "a\u{0}b", "ab", "b", "é"];
        for a in strings {
            for b in strings {
                assert_eq!(Key::default().str(a).0.cmp(&Key::default().str(b).0), a.cmp(b), "{a:?} {b:?}");
                let (x, y) = (Key::default().str(a).int(1).clone(), Key::default().str(b).int(0).clone());
                assert_eq!(x.cmp(&y), (a, 1).cmp(&(b, 0)), "{a:?} {b:?}");
            }
        }
        let ints = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        let nums = [f64::NEG_INFINITY, -2.5, -0.0, 0.0, 1e-300, 3.0, f64::INFINITY];
        for (i, a) in ints.iter().enumerate() {
            for (j, b) in ints.iter().enumerate() {
                assert_eq!(Key::default().int(*a).0.cmp(&Key::default().int(*b).0), a.cmp(b));
                let (x, y) = (nums[i], nums[j]);
                assert_eq!(Key::default().num(x).0.cmp(&Key::default().num(y).0), x.total_cmp(&y));
            }
        }
        assert!(Key::default().opt_str(None).0 < Key::default().opt_str(Some("")).0);
    }

    #[test]
    fn groups_come_in_key_order_and_a_temporary_file_is_removed() {
        let dir = std::env::temp_dir().join(format!("stage-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for store in [StagingStore::Memory, StagingStore::Directory(dir.clone())] {
            let mut s = Store::open(&store).unwrap();
            for (i, k) in ["b", "a", "c", "a"].iter().enumerate() {
                s.add(1, Key::default().str(k), k.as_bytes(), i, i + 2).unwrap();
            }
            s.add(2, Key::default().str("z"), b"z", 9, 9).unwrap();
            s.seal().unwrap();
            let mut seen = Vec::new();
            s.groups::<rusqlite::Error>(1, |g| {
                seen.push(g.iter().map(|r| (String::from_utf8(r.row.clone()).unwrap(), r.file)).collect::<Vec<_>>());
                Ok(())
            })
            .unwrap();
            seen.iter_mut().for_each(|g| g.sort());
            assert_eq!(seen, [vec![("a".to_string(), 1), ("a".to_string(), 3)], vec![("b".to_string(), 0)], vec![("c".to_string(), 2)]]);
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "the staging file is removed");
        std::fs::remove_dir(&dir).unwrap();
    }
}
