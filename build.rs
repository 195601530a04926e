//! Embeds every report (`sql/reports/<key>.toml` + `<key>.sql`), every evidence SQL file
//! (`sql/evidence/*.sql`) and every chip template (`src/prompts/chips/*.toml`) into the
//! library, so adding one is adding files. TOML files are embedded as written for native
//! builds and as JSON (converted here, same data) for the browser build, whose wasm then
//! needs no TOML parser (`base::embedded::parse`). The browser build's SQL (those files and
//! the schema) leaves out the comments nothing reads at run time (`base::sql_text`).

use std::fmt::Write as _;
use std::path::Path;

#[path = "src/base/sql_text.rs"]
mod sql_text;

fn files_with_extension(dir: &Path, ext: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

/// A Rust expression for the TOML file at `path`: the file itself natively, its JSON in the
/// browser build. A file that is not TOML fails the build, naming it.
fn embedded_toml(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json = serde_json::to_string(&value).expect("TOML values are JSON values");
    format!("if cfg!(target_arch = \"wasm32\") {{ {json:?} }} else {{ include_str!({:?}) }}", path.display().to_string())
}

/// A Rust expression for the SQL file at `path`: the file natively, `strip` of it in the
/// browser build (which drops only comments nothing reads; `base::sql_text`).
fn embedded_sql(path: &Path, strip: fn(&str) -> String) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    format!("if cfg!(target_arch = \"wasm32\") {{ {:?} }} else {{ include_str!({:?}) }}", strip(&text), path.display().to_string())
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reports = root.join("sql/reports");
    println!("cargo:rerun-if-changed={}", reports.display());
    let mut out = String::from(
        "/// (key, spec TOML, SQL) of every report, in file-name order.\npub static EMBEDDED_REPORTS: &[(&str, &str, &str)] = &[\n",
    );
    for key in files_with_extension(&reports, "toml").into_iter().filter(|k| k != "pillars" && k != "roles") {
        let spec = reports.join(format!("{key}.toml"));
        let sql = reports.join(format!("{key}.sql"));
        assert!(sql.exists(), "report {key} has a spec but no {}", sql.display());
        println!("cargo:rerun-if-changed={}", spec.display());
        println!("cargo:rerun-if-changed={}", sql.display());
        writeln!(out, "    ({key:?}, {}, {}),", embedded_toml(&spec), embedded_sql(&sql, sql_text::without_header)).unwrap();
    }
    out.push_str("];\n");
    let pillars = reports.join("pillars.toml");
    println!("cargo:rerun-if-changed={}", pillars.display());
    writeln!(out, "/// Pillars in navigation order.\npub static PILLARS_TOML: &str = {};", embedded_toml(&pillars)).unwrap();
    let roles = reports.join("roles.toml");
    println!("cargo:rerun-if-changed={}", roles.display());
    writeln!(out, "/// The role views.\npub static ROLES_TOML: &str = {};", embedded_toml(&roles)).unwrap();

    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("embedded_reports.rs"), out).expect("write embedded_reports.rs");

    let evidence = root.join("sql/evidence");
    println!("cargo:rerun-if-changed={}", evidence.display());
    let mut out = String::from(
        "/// (file name, SQL) of every evidence SQL file, in file-name order.\npub static EMBEDDED_EVIDENCE: &[(&str, &str)] = &[\n",
    );
    for name in files_with_extension(&evidence, "sql") {
        let path = evidence.join(format!("{name}.sql"));
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(out, "    ({name:?}, {}),", embedded_sql(&path, sql_text::without_header)).unwrap();
    }
    out.push_str("];\n");
    std::fs::write(Path::new(&out_dir).join("embedded_evidence.rs"), out).expect("write embedded_evidence.rs");

    let schema = root.join("sql/create_usage_tables.sql");
    println!("cargo:rerun-if-changed={}", schema.display());
    let strip_schema: fn(&str) -> String = |sql| sql_text::without_comment_lines(sql, sql_text::AGGREGATES_MARKER);
    let out = format!(
        "/// The DDL of every table, index and addition (all `IF NOT EXISTS`).\npub const SCHEMA_SQL: &str = {};\n",
        embedded_sql(&schema, strip_schema)
    );
    std::fs::write(Path::new(&out_dir).join("schema_sql.rs"), out).expect("write schema_sql.rs");

    let chips = root.join("src/prompts/chips");
    println!("cargo:rerun-if-changed={}", chips.display());
    let mut out = String::from(
        "/// (file name, TOML) of every chip template file, in file-name order.\npub static EMBEDDED_CHIPS: &[(&str, &str)] = &[\n",
    );
    for name in files_with_extension(&chips, "toml") {
        let path = chips.join(format!("{name}.toml"));
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(out, "    ({name:?}, {}),", embedded_toml(&path)).unwrap();
    }
    out.push_str("];\n");
    std::fs::write(Path::new(&out_dir).join("embedded_chips.rs"), out).expect("write embedded_chips.rs");
}
