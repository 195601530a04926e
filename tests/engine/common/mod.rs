//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod oracle;

use std::path::PathBuf;

use rusqlite::Connection;
use usage_copilot::data::seed::{self, SeedConfig};

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

/// The documentation side the copilot tests use. With `make docs` done (as `make test`
/// does), the index and static model it writes to `public/docs/`: hybrid retrieval, as the
/// page has it once everything is loaded. Without them (a plain `cargo test` on a fresh
/// clone), the index built here from the committed corpus, BM25 only: what the page has
/// before the model arrives. Tests whose outcome depends on the mode say so through
/// [`DocsAssets::hybrid`]. `COPILOT_REQUIRE_DOCS=1` (set by `make test`) makes missing
/// assets an error instead.
pub struct DocsAssets {
    pub index: usage_copilot::retrieval::index::DocsIndex,
    pub model: Option<usage_copilot::retrieval::embed::StaticModel>,
}

impl DocsAssets {
    pub fn hybrid(&self) -> bool {
        self.model.is_some()
    }

    /// What the docs source describes itself as, given the chunk and page counts.
    pub fn mode_label(&self) -> &'static str {
        if self.hybrid() {
            usage_copilot::retrieval::Mode::Hybrid.label()
        } else {
            usage_copilot::retrieval::Mode::Lexical.label()
        }
    }
}

fn corpus_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            corpus_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// The committed corpus chunked as `copilot docs build` does (pages in path order).
pub fn corpus_chunks() -> Vec<usage_copilot::retrieval::Chunk> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("build-tools/docs-corpus");
    let mut files = Vec::new();
    corpus_files(&dir, &mut files);
    files.sort();
    files
        .iter()
        .flat_map(|path| {
            let name = path.strip_prefix(&dir).unwrap().display().to_string();
            let page = usage_copilot::retrieval::parse_markdown(&name, &std::fs::read_to_string(path).unwrap()).unwrap();
            usage_copilot::retrieval::chunk_page(&page)
        })
        .collect()
}

pub fn docs_assets() -> DocsAssets {
    use usage_copilot::retrieval::{DocsIndex, StaticModel};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("public/docs");
    let (index, model) = (dir.join("docs-index.bin"), dir.join("static-model.bin"));
    if index.exists() && model.exists() {
        return DocsAssets {
            index: DocsIndex::from_bytes(&std::fs::read(index).unwrap()).unwrap(),
            model: Some(StaticModel::from_bytes(&std::fs::read(model).unwrap()).unwrap()),
        };
    }
    assert!(
        std::env::var_os("COPILOT_REQUIRE_DOCS").is_none(),
        "{} or {} is missing; run `make docs` first (make test does)",
        index.display(),
        model.display()
    );
    DocsAssets { index: DocsIndex::build(corpus_chunks(), None), model: None }
}
