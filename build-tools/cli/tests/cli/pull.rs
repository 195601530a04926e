//! `copilot pull` against a scripted SQL Statement Execution API (the one paid remote
//! service this test stands in for): statements that go PENDING → RUNNING → SUCCEEDED,
//! results in several chunks, inline or behind external links served from another path
//! that must never see the token, a FAILED statement on a table the user cannot read, a
//! refused token, an unknown warehouse, a truncated result, and Ctrl-C; and with `--db`, the
//! pulled files give the database the raw exports of the same window give.
//!
//! The server's rows are the twelve outputs the extraction SQL produces over the system-table
//! fixtures: `tests/fixtures/system-tables-extracted/*.csv`, which `tests/spark/run.sh` checks
//! Spark 4.3 writes byte for byte from `sql/extract/*.sql` over `tests/fixtures/system-tables/`.
//! A pull must write them back byte for byte.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

const TOKEN: &str = "dapi-scripted-0123456789abcdef";
const WAREHOUSE: &str = "4b9f2c1d8e7a6f50";
const LINK_HEADER: &str = "x-scripted-link-key";

/// A result the server serves: column names and rows (None = NULL).
#[derive(Clone, Debug, Default)]
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

/// What the server does, per statement name.
#[derive(Default)]
struct Script {
    tables: BTreeMap<String, Table>,
    /// Rows per result chunk.
    chunk_rows: usize,
    /// Statements answered SUCCEEDED at once (the others go PENDING → RUNNING → done).
    immediate: Vec<&'static str>,
    /// Statement → the FAILED status error it ends with.
    fail: BTreeMap<String, Value>,
    /// Statement whose manifest says truncated.
    truncate: Option<String>,
    /// Statement that stays RUNNING until cancelled.
    hang: Option<String>,
}

#[derive(Clone, Debug)]
struct Request {
    method: String,
    path: String,
    authorization: Option<String>,
    link_key: Option<String>,
    body: Option<Value>,
}

#[derive(Default)]
struct Statement {
    name: String,
    polls: usize,
    external: bool,
    cancelled: bool,
}

#[derive(Default)]
struct Server {
    script: Script,
    base: String,
    log: Vec<Request>,
    statements: BTreeMap<String, Statement>,
}

type Shared = Arc<Mutex<Server>>;

fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({ "error_code": code, "message": message }))).into_response()
}

/// The statement's name: from the extraction file's first line, the job tables' `:table`
/// parameter, or a `-- serves NAME` line of a test statement.
fn statement_name(text: &str, parameters: &[Value]) -> String {
    if let Some(at) = text.find("pre-aggregated extract `") {
        let rest = &text[at + "pre-aggregated extract `".len()..];
        return rest.split('`').next().unwrap().to_string();
    }
    if let Some(rest) = text.strip_prefix("-- serves ") {
        return rest.lines().next().unwrap().trim().to_string();
    }
    let table = parameters.iter().find(|p| p["name"] == "table").and_then(|p| p["value"].as_str()).unwrap_or("");
    table.rsplit('.').next().unwrap().to_string()
}

fn chunk_count(table: &Table, chunk_rows: usize) -> usize {
    table.rows.len().div_ceil(chunk_rows).max(1)
}

/// Chunk `index` of a statement's result, inline or as an external link.
fn chunk(server: &Server, id: &str, index: usize) -> Value {
    let statement = &server.statements[id];
    let table = &server.script.tables[&statement.name];
    let n = server.script.chunk_rows;
    let count = chunk_count(table, n);
    let rows: Vec<&Vec<Option<String>>> = table.rows.iter().skip(index * n).take(n).collect();
    let mut chunk = json!({ "chunk_index": index, "row_offset": index * n, "row_count": rows.len() });
    let next = (index + 1 < count).then(|| (index + 1, format!("/api/2.0/sql/statements/{id}/result/chunks/{}", index + 1)));
    if statement.external {
        let mut link = json!({
            "chunk_index": index, "row_offset": index * n, "row_count": rows.len(),
            "external_link": format!("{}/storage/{id}/{index}?X-Amz-Signature=scripted", server.base),
            "expiration": "2099-01-01T00:00:00.000Z",
            "http_headers": { LINK_HEADER: format!("k-{index}") },
        });
        if let Some((i, path)) = &next {
            link["next_chunk_index"] = json!(i);
            link["next_chunk_internal_link"] = json!(path);
        }
        chunk["external_links"] = json!([link]);
    } else {
        chunk["data_array"] = json!(rows);
        if let Some((i, path)) = &next {
            chunk["next_chunk_index"] = json!(i);
            chunk["next_chunk_internal_link"] = json!(path);
        }
    }
    chunk
}

/// The StatementResponse for a statement's current state.
fn status(server: &Server, id: &str) -> Value {
    let statement = &server.statements[id];
    let name = &statement.name;
    let script = &server.script;
    let done = script.immediate.contains(&name.as_str()) || statement.polls >= 2;
    let hangs = script.hang.as_deref() == Some(name);
    let state = if statement.cancelled {
        "CANCELED"
    } else if hangs || !done {
        if statement.polls == 0 {
            "PENDING"
        } else {
            "RUNNING"
        }
    } else if script.fail.contains_key(name) {
        "FAILED"
    } else {
        "SUCCEEDED"
    };
    let mut answer = json!({ "statement_id": id, "status": { "state": state } });
    if state == "FAILED" {
        answer["status"]["error"] = script.fail[name].clone();
    }
    if state == "SUCCEEDED" {
        let table = &script.tables[name];
        let count = chunk_count(table, script.chunk_rows);
        let truncated = script.truncate.as_deref() == Some(name);
        let columns: Vec<Value> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| json!({ "name": c, "position": i, "type_name": "STRING", "type_text": "string" }))
            .collect();
        answer["manifest"] = json!({
            "format": "JSON_ARRAY",
            "schema": { "column_count": columns.len(), "columns": columns },
            "total_chunk_count": count,
            "total_row_count": if truncated { 2 } else { table.rows.len() },
            "truncated": truncated,
        });
        answer["result"] = chunk(server, id, 0);
    }
    answer
}

async fn serve(State(shared): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let mut server = shared.lock().unwrap();
    let path = uri.path().to_string();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(String::from);
    let body: Option<Value> = serde_json::from_slice(&body).ok();
    server.log.push(Request {
        method: method.to_string(),
        path: path.clone(),
        authorization: header("authorization"),
        link_key: header(LINK_HEADER),
        body: body.clone(),
    });

    // Cloud storage: presigned, so a request carrying any Authorization header is refused.
    if let Some(rest) = path.strip_prefix("/storage/") {
        if header("authorization").is_some() {
            return (StatusCode::BAD_REQUEST, "Only one auth mechanism allowed").into_response();
        }
        let (id, index) = rest.split_once('/').unwrap();
        let index: usize = index.parse().unwrap();
        if header(LINK_HEADER) != Some(format!("k-{index}")) {
            return (StatusCode::FORBIDDEN, "missing the link's header").into_response();
        }
        let name = server.statements[id].name.clone();
        let n = server.script.chunk_rows;
        let rows: Vec<&Vec<Option<String>>> = server.script.tables[&name].rows.iter().skip(index * n).take(n).collect();
        return axum::Json(json!(rows)).into_response();
    }

    if header("authorization") != Some(format!("Bearer {TOKEN}")) {
        let shown = header("authorization").unwrap_or_default();
        // Echoes the credential it was given, so the client's redaction is tested too.
        return api_error(StatusCode::FORBIDDEN, "PERMISSION_DENIED", &format!("Invalid access token ({shown})."));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["api", "2.0", "sql", "statements"]) => {
            let body = body.unwrap_or_default();
            if body["warehouse_id"] != WAREHOUSE {
                let id = body["warehouse_id"].as_str().unwrap_or("");
                return api_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", &format!("{id} is not a valid endpoint id."));
            }
            let parameters = body["parameters"].as_array().cloned().unwrap_or_default();
            let name = statement_name(body["statement"].as_str().unwrap_or(""), &parameters);
            let id = format!("01f0-{name}");
            let external = body["disposition"] == "EXTERNAL_LINKS";
            server.statements.insert(id.clone(), Statement { name, polls: 0, external, cancelled: false });
            axum::Json(status(&server, &id)).into_response()
        }
        ("GET", ["api", "2.0", "sql", "statements", id]) => {
            let id = id.to_string();
            server.statements.get_mut(&id).unwrap().polls += 1;
            axum::Json(status(&server, &id)).into_response()
        }
        ("GET", ["api", "2.0", "sql", "statements", id, "result", "chunks", index]) => {
            let index: usize = index.parse().unwrap();
            axum::Json(chunk(&server, id, index)).into_response()
        }
        ("POST", ["api", "2.0", "sql", "statements", id, "cancel"]) => {
            server.statements.get_mut(*id).unwrap().cancelled = true;
            axum::Json(json!({})).into_response()
        }
        _ => api_error(StatusCode::NOT_FOUND, "ENDPOINT_NOT_FOUND", "No API found"),
    }
}

fn start(script: Script) -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Server { script, ..Server::default() }));
    let app = Router::new().fallback(serve).with_state(shared.clone());
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let base = format!("http://{}", rx.recv().unwrap());
    shared.lock().unwrap().base = base.clone();
    (base, shared)
}

/// RFC 4180 rows; an unquoted empty field is NULL, a quoted one the empty string.
fn parse_csv(text: &str) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    let mut row: Vec<Option<String>> = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut in_quotes) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => (in_quotes, quoted) = (true, true),
            ',' | '\n' => {
                let value = std::mem::take(&mut field);
                row.push(if value.is_empty() && !quoted { None } else { Some(value) });
                quoted = false;
                if c == '\n' {
                    rows.push(std::mem::take(&mut row));
                }
            }
            '\r' => {}
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(Some(field));
        rows.push(row);
    }
    rows
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn extracted() -> BTreeMap<String, (Table, Vec<u8>)> {
    let dir = manifest_dir().join("../../tests/fixtures/system-tables-extracted");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let mut rows = parse_csv(std::str::from_utf8(&bytes).unwrap());
        let columns = rows.remove(0).into_iter().map(Option::unwrap).collect();
        out.insert(name, (Table { columns, rows }, bytes));
    }
    assert_eq!(out.len(), 12);
    out
}

fn extraction_script() -> Script {
    Script {
        tables: extracted().into_iter().map(|(name, (table, _))| (name, table)).collect(),
        chunk_rows: 4,
        immediate: vec!["users", "workspaces"],
        ..Script::default()
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("copilot-pull-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary with no Databricks settings of the machine's: HOME is `home`.
fn pull_command(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_copilot"));
    command.arg("pull").args(args).env("HOME", home);
    if !args.contains(&"--warehouse") {
        command.args(["--warehouse", WAREHOUSE]);
    }
    for var in ["DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_FILE", "DATABRICKS_CONFIG_PROFILE"] {
        command.env_remove(var);
    }
    command
}

fn text(output: &Output) -> (bool, String, String) {
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

const WINDOW: [&str; 6] = ["--from", "2025-11-01", "--to", "2025-11-30", "--poll-ms", "5"];

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn all_files() -> Vec<String> {
    extracted().keys().map(|n| format!("{n}.csv")).collect()
}

#[test]
fn pull_writes_the_twelve_outputs_byte_for_byte() {
    let (base, server) = start(extraction_script());
    let home = temp_dir("inline-home");
    let out = temp_dir("inline-out").join("pulled");
    let started = Instant::now();
    let output = pull_command(&home, &WINDOW)
        .args(["--out", out.to_str().unwrap()])
        .env("DATABRICKS_HOST", &base)
        .env("DATABRICKS_TOKEN", TOKEN)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let (ok, stdout, stderr) = text(&output);
    assert!(ok, "{stderr}");

    // The exact files, each equal to what Spark wrote.
    assert_eq!(files_in(&out), all_files());
    let mut total_bytes = 0;
    for (name, (_, bytes)) in extracted() {
        let written = std::fs::read(out.join(format!("{name}.csv"))).unwrap();
        assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&bytes), "{name}.csv");
        total_bytes += written.len();
    }
    eprintln!("pulled 12 files, {total_bytes} bytes, in {:.2} s", elapsed.as_secs_f64());

    // One line per output, then the totals (the elapsed time varies).
    let lines: Vec<&str> = stdout.lines().collect();
    let expected = [
        "attribution_gaps.csv    1 row    184 B",
        "evictions.csv           1 row    202 B",
        "job_runs.csv          11 rows  1.9 KiB",
        "jobs.csv               5 rows    678 B",
        "non_job_compute.csv    2 rows    223 B",
        "sku_prices.csv         6 rows    620 B",
        "sql_queries.csv        5 rows  1.2 KiB",
        "table_coverage.csv    10 rows   1005 B",
        "task_attribution.csv   2 rows     92 B",
        "usage_daily.csv       15 rows  2.5 KiB",
        "users.csv              2 rows    140 B",
        "workspaces.csv          1 row     96 B",
    ];
    assert_eq!(lines[..12], expected, "{stdout}");
    let totals = format!("12 files in {}: 61 rows, 8.8 KiB in ", out.display());
    assert!(lines[12].starts_with(&totals) && lines[12].ends_with(" s"), "{stdout}");

    // Progress: states while polling, chunks as they arrive.
    for line in [
        "[10/12] usage_daily: PENDING",
        "[10/12] usage_daily: RUNNING",
        "[3/12] job_runs: chunk 1 of 3, 4 rows so far",
        "[3/12] job_runs: chunk 3 of 3, 11 rows so far",
        "[3/12] job_runs: 11 rows in 3 chunks → job_runs.csv",
        "[11/12] users: 2 rows in 1 chunk → users.csv",
    ] {
        assert!(stderr.contains(line), "{line:?} missing from\n{stderr}");
    }
    assert!(!stderr.contains("[11/12] users: PENDING"), "users succeeds at once: {stderr}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));

    let log = server.lock().unwrap().log.clone();
    assert!(log.iter().all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}") as &str)), "every call carries the token");
    let posts: Vec<&Request> = log.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 12);
    let submitted = |name: &str| {
        posts
            .iter()
            .find(|r| r.body.as_ref().unwrap()["statement"].as_str().unwrap().contains(&format!("extract `{name}`")))
            .unwrap()
            .body
            .clone()
            .unwrap()
    };
    let usage = submitted("usage_daily");
    assert_eq!(
        usage["parameters"],
        json!([
            {"name": "from", "value": "2025-11-01", "type": "DATE"},
            {"name": "to", "value": "2025-11-30", "type": "DATE"},
            {"name": "workspaces", "value": "", "type": "STRING"},
            {"name": "prices", "value": "list", "type": "STRING"},
        ])
    );
    assert_eq!(
        (&usage["warehouse_id"], &usage["wait_timeout"], &usage["on_wait_timeout"], &usage["disposition"], &usage["format"]),
        (&json!(WAREHOUSE), &json!("30s"), &json!("CONTINUE"), &json!("INLINE"), &json!("JSON_ARRAY"))
    );
    assert_eq!(usage["statement"], include_str!("../../../../sql/extract/usage_daily.sql"), "the committed statement, unchanged");
    // A statement gets only the markers it uses: users has no :prices.
    let names: Vec<Value> = submitted("users")["parameters"].as_array().unwrap().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, [json!("from"), json!("to"), json!("workspaces")]);
    // Chunks after the first are read by their internal links: job_runs 2, usage_daily 3, …
    let chunk_reads = log.iter().filter(|r| r.path.contains("/result/chunks/")).count();
    assert_eq!(chunk_reads, 2 + 3 + 2 + 1 + 1 + 1, "job_runs, usage_daily, table_coverage, jobs, sku_prices, sql_queries");
}

#[test]
fn external_links_are_fetched_without_the_token_and_the_profile_is_used() {
    let (base, server) = start(extraction_script());
    let home = temp_dir("links-home");
    let out = temp_dir("links-out");
    let config = home.join("custom.cfg");
    std::fs::write(
        &config,
        format!("[DEFAULT]\nhost = https://other.example\ntoken = dapi-wrong\n\n[scripted]\nhost = {base}\ntoken = {TOKEN}\n"),
    )
    .unwrap();
    let output = pull_command(&home, &WINDOW)
        .args(["--out", out.to_str().unwrap(), "--profile", "scripted", "--disposition", "external-links"])
        .env("DATABRICKS_CONFIG_FILE", &config)
        // --profile wins over the environment.
        .env("DATABRICKS_HOST", "https://elsewhere.example")
        .env("DATABRICKS_TOKEN", "dapi-from-env")
        .output()
        .unwrap();
    let (ok, _, stderr) = text(&output);
    assert!(ok, "{stderr}");
    assert_eq!(files_in(&out), all_files());
    for (name, (_, bytes)) in extracted() {
        assert_eq!(std::fs::read(out.join(format!("{name}.csv"))).unwrap(), bytes, "{name}.csv");
    }
    let log = server.lock().unwrap().log.clone();
    let storage: Vec<&Request> = log.iter().filter(|r| r.path.starts_with("/storage/")).collect();
    // Chunks of attribution_gaps … workspaces: 1 + 1 + 3 + 2 + 1 + 2 + 2 + 3 + 1 + 4 + 1 + 1.
    assert_eq!(storage.len(), 22);
    assert!(storage.iter().all(|r| r.authorization.is_none()), "a presigned URL never gets the token");
    assert!(storage.iter().all(|r| r.link_key.is_some()), "the link's own headers are sent");
    assert!(log
        .iter()
        .filter(|r| !r.path.starts_with("/storage/"))
        .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}") as &str)));
    assert!(log.iter().filter(|r| r.method == "POST").all(|r| r.body.as_ref().unwrap()["disposition"] == "EXTERNAL_LINKS"));
    assert!(!stderr.contains("X-Amz-Signature"), "links are never shown: {stderr}");
}

fn failing(home: &Path, out: &Path, base: &str, token: &str, extra: &[&str]) -> (bool, String, String) {
    let args: Vec<&str> = WINDOW.iter().copied().chain(["--out", out.to_str().unwrap()]).chain(extra.iter().copied()).collect();
    let output = pull_command(home, &args).env("DATABRICKS_HOST", base).env("DATABRICKS_TOKEN", token).output().unwrap();
    text(&output)
}

#[test]
fn errors_say_what_to_do_and_never_show_the_token() {
    let home = temp_dir("errors-home");

    // A refused token: the first call says so (and what the server echoed is redacted).
    let (base, _) = start(extraction_script());
    let out = temp_dir("errors-token");
    let (ok, _, stderr) = failing(&home, &out, &base, "dapi-revoked-999999", &[]);
    assert!(!ok);
    assert_eq!(
        stderr.lines().last().unwrap(),
        format!(
            "error: the token was refused by {base} (HTTP 403): PERMISSION_DENIED: Invalid access token (Bearer [redacted token]). \
             (the token came from DATABRICKS_TOKEN; create a new personal access token in User settings → Developer)"
        )
    );
    assert!(!stderr.contains("dapi-revoked-999999"));
    assert_eq!(files_in(&out), Vec::<String>::new());

    // An unknown warehouse.
    let (ok, _, stderr) = failing(&home, &out, &base, TOKEN, &["--warehouse", "0123456789abcdef"]);
    assert!(!ok);
    assert_eq!(
        stderr.lines().last().unwrap(),
        format!(
            "error: the warehouse 0123456789abcdef is not known to {base} (HTTP 400): INVALID_PARAMETER_VALUE: 0123456789abcdef is not a valid endpoint id. \
             (copy the id from SQL Warehouses → the warehouse → Connection details, or list them with `databricks warehouses list`)"
        )
    );

    // A table the user cannot read: FAILED with Databricks' message, the table and the grants.
    let mut script = extraction_script();
    script.fail.insert(
        "evictions".into(),
        json!({
            "error_code": "BAD_REQUEST",
            "message": "[INSUFFICIENT_PERMISSIONS] Insufficient privileges:\nUser does not have SELECT on Table 'system.compute.instance_events'. SQLSTATE: 42501"
        }),
    );
    let (base, _) = start(script);
    let out = temp_dir("errors-grant");
    let (ok, _, stderr) = failing(&home, &out, &base, TOKEN, &[]);
    assert!(!ok);
    let message = stderr.split_once("error: ").unwrap().1;
    assert_eq!(
        message,
        "the statement evictions cannot read system.compute.instance_events: Databricks says: BAD_REQUEST: [INSUFFICIENT_PERMISSIONS] Insufficient privileges:\n\
         User does not have SELECT on Table 'system.compute.instance_events'. SQLSTATE: 42501\n\
         The table needs these grants (an admin or the owner of system can run them; sql/extract/README.md lists every grant the extraction needs):\n\
         \x20 GRANT USE CATALOG ON CATALOG system TO <you>;\n\
         \x20 GRANT USE SCHEMA ON SCHEMA system.compute TO <you>;\n\
         \x20 GRANT SELECT ON TABLE system.compute.instance_events TO <you>;\n"
    );
    // What ran before it is written; nothing of it is.
    assert_eq!(files_in(&out), ["attribution_gaps.csv"]);

    // A truncated result is an error, never a short file.
    let mut script = extraction_script();
    script.truncate = Some("sql_queries".into());
    let (base, _) = start(script);
    let out = temp_dir("errors-truncated");
    let (ok, _, stderr) = failing(&home, &out, &base, TOKEN, &[]);
    assert!(!ok);
    assert_eq!(
        stderr.lines().last().unwrap(),
        "error: the result of sql_queries was truncated by Databricks (manifest.truncated is true, 2 rows kept); nothing was written for it: \
         rerun with --disposition external-links (inline results stop at 25 MiB)"
    );
    assert!(!files_in(&out).iter().any(|f| f.starts_with("sql_queries")), "{:?}", files_in(&out));
    assert_eq!(files_in(&out).len(), 6, "the six statements before it");

    // No host at all.
    let output = pull_command(&home, &WINDOW).args(["--out", out.to_str().unwrap()]).output().unwrap();
    let (ok, _, stderr) = text(&output);
    assert!(!ok);
    assert_eq!(
        stderr.trim(),
        format!(
            "error: no Databricks workspace given: pass --host URL or --profile NAME, set DATABRICKS_HOST, or add host = … to [DEFAULT] in {}",
            home.join(".databrickscfg").display()
        )
    );

    // A profile's token is only sent to its own host.
    std::fs::write(home.join(".databrickscfg"), "[DEFAULT]\nhost = https://dbc-1.cloud.databricks.com\ntoken = dapi-profile-token\n")
        .unwrap();
    let output = pull_command(&home, &WINDOW).args(["--out", out.to_str().unwrap(), "--host", &base]).output().unwrap();
    let (ok, _, stderr) = text(&output);
    assert!(!ok);
    assert!(
        stderr.contains(&format!(
            "the token of profile DEFAULT in {} is for https://dbc-1.cloud.databricks.com, not {base}",
            home.join(".databrickscfg").display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("dapi-profile-token"));
    std::fs::remove_file(home.join(".databrickscfg")).unwrap();

    // A statement of --sql that uses a marker pull does not set.
    let sql = temp_dir("errors-sql");
    std::fs::write(sql.join("odd.sql"), "SELECT * FROM t WHERE day = :day").unwrap();
    let (ok, _, stderr) = failing(&home, &out, &base, TOKEN, &["--sql", sql.to_str().unwrap()]);
    assert!(!ok);
    assert_eq!(
        stderr.trim(),
        "error: the statement odd uses :day, which copilot pull does not set (it sets :from, :to, :workspaces and :prices)"
    );
}

#[test]
fn ctrl_c_cancels_the_running_statement() {
    let mut script = extraction_script();
    script.hang = Some("attribution_gaps".into());
    let (base, server) = start(script);
    let home = temp_dir("cancel-home");
    let out = temp_dir("cancel-out");
    let mut child = pull_command(&home, &WINDOW)
        .args(["--out", out.to_str().unwrap()])
        .env("DATABRICKS_HOST", &base)
        .env("DATABRICKS_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the statement is being polled (the signal handler is in place by then).
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.lock().unwrap().statements.get("01f0-attribution_gaps").is_none_or(|s| s.polls < 2) {
        assert!(Instant::now() < deadline, "the statement was never polled");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "pull did not stop after Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (ok, _, stderr) = text(&child.wait_with_output().unwrap());
    assert!(!ok);
    assert_eq!(
        stderr.lines().last().unwrap(),
        "error: interrupted while attribution_gaps was running (statement 01f0-attribution_gaps): cancelled it on Databricks; nothing was written for attribution_gaps"
    );
    let log = server.lock().unwrap().log.clone();
    assert!(log.iter().any(|r| r.method == "POST" && r.path == "/api/2.0/sql/statements/01f0-attribution_gaps/cancel"), "{log:?}");
    assert!(server.lock().unwrap().statements["01f0-attribution_gaps"].cancelled);
    assert_eq!(files_in(&out), Vec::<String>::new(), "no file, not even a .part");
}

/// A raw system-table export as a table: CSV as it is, JSON Lines with nested values as JSON.
fn raw_export(path: &Path) -> Table {
    let text = std::fs::read_to_string(path).unwrap();
    if path.extension().unwrap() == "csv" {
        let mut rows = parse_csv(&text);
        let columns = rows.remove(0).into_iter().map(Option::unwrap).collect();
        return Table { columns, rows };
    }
    let records: Vec<serde_json::Map<String, Value>> =
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
    let columns: Vec<String> = records[0].keys().cloned().collect();
    let rows = records
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| match r.get(c) {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(other) => Some(other.to_string()),
                })
                .collect()
        })
        .collect();
    Table { columns, rows }
}

#[test]
fn pull_with_db_imports_what_it_wrote() {
    // --sql runs any statements; here each one stands for a raw export of one system table,
    // which today's importer already reads, plus one with an empty result.
    let fixtures = manifest_dir().join("../../tests/fixtures/system-tables");
    let sql = temp_dir("db-sql");
    let mut tables = BTreeMap::new();
    for n in 1..=10 {
        let file = ["csv", "jsonl"].iter().map(|e| fixtures.join(format!("export_{n:02}.{e}"))).find(|p| p.exists()).unwrap();
        let name = format!("export_{n:02}");
        std::fs::write(sql.join(format!("{name}.sql")), format!("-- serves {name}\nSELECT * FROM raw WHERE day BETWEEN :from AND :to"))
            .unwrap();
        tables.insert(name, raw_export(&file));
    }
    std::fs::write(sql.join("nothing.sql"), "-- serves nothing\nSELECT 1 AS a, 2 AS b WHERE false").unwrap();
    tables.insert("nothing".into(), Table { columns: vec!["a".into(), "b".into()], rows: vec![] });
    let (base, _) = start(Script { tables, chunk_rows: 8, ..Script::default() });
    let home = temp_dir("db-home");
    let out = temp_dir("db-out");
    let db = out.join("db/usage.db");
    let output = pull_command(&home, &WINDOW)
        .args(["--out", out.to_str().unwrap(), "--sql", sql.to_str().unwrap(), "--db", db.to_str().unwrap()])
        .env("DATABRICKS_HOST", &base)
        .env("DATABRICKS_TOKEN", TOKEN)
        .output()
        .unwrap();
    let (ok, stdout, stderr) = text(&output);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("\nnothing.csv     0 rows       4 B\n11 files in "), "{stdout}");
    assert!(stdout.contains("export_01.csv: system.billing.usage (csv), 28 of 28 rows imported"), "{stdout}");
    assert_eq!(std::fs::read_to_string(out.join("nothing.csv")).unwrap(), "a,b\n");
    assert!(stderr.contains(&format!("wrote {}", db.display())), "{stderr}");

    // The database holds the fixtures' figures (tests/fixtures/system-tables/EXPECTED.md).
    let summary =
        Command::new(env!("CARGO_BIN_EXE_copilot")).args(["summary", "--db", db.to_str().unwrap(), "--format", "json"]).output().unwrap();
    let (ok, json, stderr) = text(&summary);
    assert!(ok, "{stderr}");
    let json: Value = serde_json::from_str(&json).unwrap();
    // Jobs 7.10 + all-purpose 9.00 + warehouse 7.70 (the 1.90 of other products is not a compute type).
    assert_eq!(
        (&json["jobs"], &json["job_runs"], &json["failed_runs"], &json["total_spend_usd"]),
        (&json!(5), &json!(11), &json!(3), &json!(23.8)),
        "{json}"
    );
    let by_type: Vec<(Value, Value)> =
        json["spend_by_compute_type"].as_array().unwrap().iter().map(|t| (t["compute_type"].clone(), t["spend_usd"].clone())).collect();
    assert_eq!(by_type, [(json!("APC_CLUSTER"), json!(9.0)), (json!("SQL_WAREHOUSE"), json!(7.7)), (json!("JOB_RUN"), json!(7.1))]);
    assert!(stdout.contains("spend $25.70; without job attribution $16.70 (64.98%)"), "{stdout}");
}

fn summary_json(db: &Path) -> Value {
    let output =
        Command::new(env!("CARGO_BIN_EXE_copilot")).args(["summary", "--db", db.to_str().unwrap(), "--format", "json"]).output().unwrap();
    let (ok, json, stderr) = text(&output);
    assert!(ok, "{stderr}");
    serde_json::from_str(&json).unwrap()
}

#[test]
fn pulled_extracts_import_to_the_figures_of_the_raw_exports() {
    // Needs the importer that recognises the twelve extract files (sql/extract/README.md).
    let (base, _) = start(extraction_script());
    let home = temp_dir("same-home");
    let out = temp_dir("same-out");
    let db = out.join("pulled.db");
    let output = pull_command(&home, &WINDOW)
        .args(["--out", out.to_str().unwrap(), "--db", db.to_str().unwrap()])
        .env("DATABRICKS_HOST", &base)
        .env("DATABRICKS_TOKEN", TOKEN)
        .output()
        .unwrap();
    let (ok, stdout, stderr) = text(&output);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("usage_daily.csv: pre-aggregated extract usage_daily (csv), 15 of 15 rows imported"), "{stdout}");

    let fixtures = manifest_dir().join("../../tests/fixtures/system-tables");
    let mut raw: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv" || e == "jsonl"))
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    raw.sort();
    let raw_db = out.join("raw.db");
    let mut args = vec!["import".to_string()];
    args.extend(raw);
    args.extend(["--out".to_string(), raw_db.to_str().unwrap().to_string()]);
    let imported = Command::new(env!("CARGO_BIN_EXE_copilot")).args(&args).output().unwrap();
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));

    let pulled = summary_json(&db);
    assert_eq!(pulled, summary_json(&raw_db), "the same summary from the extracts as from the raw exports");
    assert_eq!((&pulled["jobs"], &pulled["job_runs"], &pulled["total_spend_usd"]), (&json!(5), &json!(11), &json!(23.8)));
}
