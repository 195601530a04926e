//! The catalog of datasets kept in this browser: which usage databases the user opened or
//! imported (each a real SQLite file in the origin-private file system, opened in place),
//! their names, sizes, when they were added, what the loader said about their values, and
//! which one was open last (a reload reopens it), and the budgets the user set for each. The catalog is itself a small SQLite
//! database beside the datasets; this module is the SQL over it, so it is tested natively.
//! The seeded demo is never in the catalog: it is always available, from the site.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::data::budgets::{self, Budget};

/// How a stored dataset came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredKind {
    /// A usage database file the user opened (the app keeps its own checked copy).
    Database,
    /// Built by importing system-table exports or pre-aggregated extracts.
    Import,
}

impl StoredKind {
    fn as_str(self) -> &'static str {
        match self {
            StoredKind::Database => "database",
            StoredKind::Import => "import",
        }
    }

    fn parse(text: &str) -> StoredKind {
        if text == "import" {
            StoredKind::Import
        } else {
            StoredKind::Database
        }
    }

    /// In words, for the list of datasets.
    pub fn describe(self) -> &'static str {
        match self {
            StoredKind::Database => "opened database",
            StoredKind::Import => "imported system tables",
        }
    }
}

/// One dataset of the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredDataset {
    /// Stable id (`d1`, `d2`, …): names the file; never reused within one catalog.
    pub id: String,
    /// What the user calls it (unique in the catalog; renamable).
    pub name: String,
    pub kind: StoredKind,
    /// When it was added, as the browser's clock said (ISO 8601, UTC).
    pub added: String,
    /// The database file's size.
    pub bytes: u64,
    /// What the loader found in its values when it was added (said again on every open).
    pub warnings: Vec<String>,
}

impl StoredDataset {
    /// The file holding it in the browser's storage.
    pub fn file_name(&self) -> String {
        file_name(&self.id)
    }
}

/// The file that holds dataset `id`.
pub fn file_name(id: &str) -> String {
    format!("/dataset-{id}.sqlite")
}

/// The catalog database's file.
pub const CATALOG_FILE: &str = "/catalog.sqlite";

/// Longest dataset name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 120;

#[derive(Debug, Error, PartialEq)]
pub enum CatalogError {
    #[error("A dataset needs a name.")]
    EmptyName,
    #[error("A dataset name can have at most {MAX_NAME_CHARS} characters.")]
    NameTooLong,
    #[error("Another dataset is already called \u{201c}{0}\u{201d}.")]
    NameTaken(String),
    #[error("There is no dataset {0} in this browser.")]
    NoSuchDataset(String),
    #[error("The list of datasets could not be read or written: {0}")]
    Sql(String),
}

impl From<rusqlite::Error> for CatalogError {
    fn from(e: rusqlite::Error) -> CatalogError {
        CatalogError::Sql(e.to_string())
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dataset (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    added TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS budget_file (dataset TEXT PRIMARY KEY, file TEXT NOT NULL);
";

/// The key the site's own data (the seeded demo, or `config.json`'s) keeps its budgets under.
pub const SITE_DATA: &str = "site";

/// A name as stored: surrounding and repeated white space (and control characters) folded
/// to single spaces.
pub fn clean_name(name: &str) -> Result<String, CatalogError> {
    let cleaned = name.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        return Err(CatalogError::EmptyName);
    }
    if cleaned.chars().count() > MAX_NAME_CHARS {
        return Err(CatalogError::NameTooLong);
    }
    Ok(cleaned)
}

fn id_of(seq: i64) -> String {
    format!("d{seq}")
}

fn seq_of(id: &str) -> Option<i64> {
    id.strip_prefix('d')?.parse().ok()
}

/// The catalog, over its own connection.
pub struct Catalog {
    conn: Connection,
}

impl Catalog {
    /// Opens (creating if needed) the catalog in `conn`.
    pub fn open(conn: Connection) -> Result<Catalog, CatalogError> {
        conn.execute_batch(SCHEMA)?;
        Ok(Catalog { conn })
    }

    /// Every dataset, oldest first.
    pub fn list(&self) -> Result<Vec<StoredDataset>, CatalogError> {
        let mut stmt = self.conn.prepare("SELECT seq, name, kind, added, bytes, warnings FROM dataset ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            let warnings: String = r.get(5)?;
            Ok(StoredDataset {
                id: id_of(r.get(0)?),
                name: r.get(1)?,
                kind: StoredKind::parse(&r.get::<_, String>(2)?),
                added: r.get(3)?,
                bytes: r.get::<_, i64>(4)?.max(0) as u64,
                warnings: serde_json::from_str(&warnings).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn get(&self, id: &str) -> Result<StoredDataset, CatalogError> {
        self.list()?.into_iter().find(|d| d.id == id).ok_or_else(|| CatalogError::NoSuchDataset(id.to_string()))
    }

    /// `wanted`, or `wanted (2)`, `wanted (3)`… : the first name no other dataset has.
    fn free_name(&self, wanted: &str, except: Option<i64>) -> Result<String, CatalogError> {
        let taken = |name: &str| -> Result<bool, CatalogError> {
            Ok(self
                .conn
                .query_row("SELECT seq FROM dataset WHERE name = ?1", [name], |r| r.get::<_, i64>(0))
                .optional()?
                .is_some_and(|seq| Some(seq) != except))
        };
        if !taken(wanted)? {
            return Ok(wanted.to_string());
        }
        for n in 2.. {
            let candidate = format!("{wanted} ({n})");
            if !taken(&candidate)? {
                return Ok(candidate);
            }
        }
        unreachable!("some numbered name is free")
    }

    /// Reserves a new dataset (before its file is written, so its file name is known); its
    /// name is `name` made unique. Call [`Catalog::remove`] if the file cannot be written.
    pub fn add(&self, name: &str, kind: StoredKind, added: &str, bytes: u64, warnings: &[String]) -> Result<StoredDataset, CatalogError> {
        let name = self.free_name(&clean_name(name)?, None)?;
        let warnings_json = serde_json::to_string(warnings).expect("strings serialise");
        self.conn.execute(
            "INSERT INTO dataset (name, kind, added, bytes, warnings) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, kind.as_str(), added, bytes as i64, warnings_json],
        )?;
        self.get(&id_of(self.conn.last_insert_rowid()))
    }

    fn seq(&self, id: &str) -> Result<i64, CatalogError> {
        let seq = seq_of(id).ok_or_else(|| CatalogError::NoSuchDataset(id.to_string()))?;
        let found: Option<i64> = self.conn.query_row("SELECT seq FROM dataset WHERE seq = ?1", [seq], |r| r.get(0)).optional()?;
        found.ok_or_else(|| CatalogError::NoSuchDataset(id.to_string()))
    }

    /// Renames a dataset; a name another dataset has is refused (not numbered: the user chose it).
    pub fn rename(&self, id: &str, name: &str) -> Result<StoredDataset, CatalogError> {
        let seq = self.seq(id)?;
        let name = clean_name(name)?;
        if self.free_name(&name, Some(seq))? != name {
            return Err(CatalogError::NameTaken(name));
        }
        self.conn.execute("UPDATE dataset SET name = ?1 WHERE seq = ?2", params![name, seq])?;
        self.get(id)
    }

    /// Records what the loader found and the file's size after opening.
    pub fn update(&self, id: &str, bytes: u64, warnings: Option<&[String]>) -> Result<(), CatalogError> {
        let seq = self.seq(id)?;
        self.conn.execute("UPDATE dataset SET bytes = ?1 WHERE seq = ?2", params![bytes as i64, seq])?;
        if let Some(w) = warnings {
            let json = serde_json::to_string(w).expect("strings serialise");
            self.conn.execute("UPDATE dataset SET warnings = ?1 WHERE seq = ?2", params![json, seq])?;
        }
        Ok(())
    }

    /// The budgets kept for `dataset` (a dataset id, or [`SITE_DATA`]); none when unset. A
    /// file that no longer reads (written by a later version, say) counts as none.
    pub fn budgets(&self, dataset: &str) -> Result<Vec<Budget>, CatalogError> {
        let file: Option<String> =
            self.conn.query_row("SELECT file FROM budget_file WHERE dataset = ?1", [dataset], |r| r.get(0)).optional()?;
        Ok(file.and_then(|f| budgets::parse_file(&f).ok()).unwrap_or_default())
    }

    /// Keeps `list` as the budgets of `dataset` (as a budgets file).
    pub fn set_budgets(&self, dataset: &str, list: &[Budget]) -> Result<(), CatalogError> {
        if list.is_empty() {
            self.conn.execute("DELETE FROM budget_file WHERE dataset = ?1", [dataset])?;
        } else {
            self.conn.execute(
                "INSERT INTO budget_file (dataset, file) VALUES (?1, ?2) ON CONFLICT (dataset) DO UPDATE SET file = ?2",
                params![dataset, budgets::to_file(list)],
            )?;
        }
        Ok(())
    }

    /// Forgets a dataset and its budgets (its file is the caller's to delete). The last
    /// opened one, if it was this, becomes none (the demo).
    pub fn remove(&self, id: &str) -> Result<(), CatalogError> {
        let seq = self.seq(id)?;
        self.conn.execute("DELETE FROM dataset WHERE seq = ?1", [seq])?;
        self.conn.execute("DELETE FROM budget_file WHERE dataset = ?1", [id])?;
        if self.current()?.as_deref() == Some(id) {
            self.set_current(None)?;
        }
        Ok(())
    }

    /// The dataset opened last (`None`: the demo, or the site's data).
    pub fn current(&self) -> Result<Option<String>, CatalogError> {
        let id: Option<String> = self.conn.query_row("SELECT value FROM setting WHERE key = 'current'", [], |r| r.get(0)).optional()?;
        Ok(match id {
            Some(id) if self.seq(&id).is_ok() => Some(id),
            _ => None,
        })
    }

    pub fn set_current(&self, id: Option<&str>) -> Result<(), CatalogError> {
        match id {
            Some(id) => {
                self.seq(id)?;
                self.conn
                    .execute("INSERT INTO setting (key, value) VALUES ('current', ?1) ON CONFLICT (key) DO UPDATE SET value = ?1", [id])?;
            }
            None => {
                self.conn.execute("DELETE FROM setting WHERE key = 'current'", [])?;
            }
        }
        Ok(())
    }
}
