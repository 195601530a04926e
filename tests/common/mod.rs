//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod oracle;

use std::path::PathBuf;

use rusqlite::Connection;
use usage_copilot::seed::{self, SeedConfig};

/// The seeded demo database, generated in memory.
pub fn seeded() -> Connection {
    generated(&SeedConfig::default())
}

pub fn generated(config: &SeedConfig) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    seed::generate(&conn, config).unwrap();
    conn
}

/// A fresh, empty directory under the system temp dir, unique to this test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("usage-copilot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn int(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}: {sql}"))
}

pub fn real(conn: &Connection, sql: &str) -> f64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}: {sql}"))
}

pub fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

/// The docs index and static model that `make docs` writes to `public/docs/`.
pub struct DocsAssets {
    pub index: usage_copilot::docs::index::DocsIndex,
    pub model: usage_copilot::docs::embed::StaticModel,
}

pub fn docs_assets() -> DocsAssets {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("public/docs");
    let read = |name: &str| {
        std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}; run `make docs` first (make test does)", dir.join(name).display()))
    };
    DocsAssets {
        index: usage_copilot::docs::index::DocsIndex::from_bytes(&read("docs-index.bin")).unwrap(),
        model: usage_copilot::docs::embed::StaticModel::from_bytes(&read("static-model.bin")).unwrap(),
    }
}
