//! `copilot pull`: runs the extraction statements of `sql/extract/` on a Databricks SQL
//! warehouse through the Statement Execution API and writes one CSV per statement (the
//! dialect the importer reads), then, with `--db`, imports them into a usage database.
//!
//! The twelve statements are compiled in (so the binary needs no checkout); `--sql DIR` runs
//! another set, and `--tables SCHEMA` reads the tables the scheduled job writes
//! (`build-tools/databricks-job/`) instead of scanning the system tables again. A file is
//! written as `<name>.csv.part` and renamed once every row has arrived, so a failed,
//! truncated or interrupted statement never leaves a short `<name>.csv` behind.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use usage_copilot::base::calendar::{Date, Timestamp};
use usage_copilot::base::format::thousands;

use crate::databricks::{self, AuthInputs, Disposition, Parameter, Progress, Submit, Workspace};

/// The committed extraction statements, by name (`sql/extract/<name>.sql`).
pub const STATEMENTS: [(&str, &str); 12] = [
    ("attribution_gaps", include_str!("../../../sql/extract/attribution_gaps.sql")),
    ("evictions", include_str!("../../../sql/extract/evictions.sql")),
    ("job_runs", include_str!("../../../sql/extract/job_runs.sql")),
    ("jobs", include_str!("../../../sql/extract/jobs.sql")),
    ("non_job_compute", include_str!("../../../sql/extract/non_job_compute.sql")),
    ("sku_prices", include_str!("../../../sql/extract/sku_prices.sql")),
    ("sql_queries", include_str!("../../../sql/extract/sql_queries.sql")),
    ("table_coverage", include_str!("../../../sql/extract/table_coverage.sql")),
    ("task_attribution", include_str!("../../../sql/extract/task_attribution.sql")),
    ("usage_daily", include_str!("../../../sql/extract/usage_daily.sql")),
    ("users", include_str!("../../../sql/extract/users.sql")),
    ("workspaces", include_str!("../../../sql/extract/workspaces.sql")),
];

/// Which price table the statements read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Prices {
    /// system.billing.list_prices
    List,
    /// system.billing.account_prices (negotiated prices, where the account has them)
    Account,
}

#[derive(clap::Args)]
pub struct PullArgs {
    /// The SQL warehouse that runs the statements (its id, from Connection details).
    #[arg(long)]
    warehouse: String,
    /// First day of the window, inclusive (YYYY-MM-DD); default: 30 days before --to.
    #[arg(long)]
    from: Option<String>,
    /// Last day of the window, inclusive (YYYY-MM-DD); default: yesterday (UTC).
    #[arg(long)]
    to: Option<String>,
    /// Comma-separated workspace ids; default: every workspace.
    #[arg(long, default_value = "")]
    workspaces: String,
    /// Which price table prices the usage.
    #[arg(long, value_enum, default_value = "list")]
    prices: Prices,
    /// Folder the CSV files are written to (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Also import the files into this usage database (replaced if present).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Workspace URL (default: DATABRICKS_HOST, else the profile's host).
    #[arg(long)]
    host: Option<String>,
    /// Profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE) to take host and token from.
    #[arg(long)]
    profile: Option<String>,
    /// How result rows come back: inline (≤ 25 MiB per statement) or external links.
    #[arg(long, value_enum, default_value = "inline")]
    disposition: Disposition,
    /// Run the *.sql files of this folder instead of the built-in extraction statements.
    #[arg(long, conflicts_with = "tables")]
    sql: Option<PathBuf>,
    /// Read the tables the scheduled job wrote (CATALOG.SCHEMA.<statement>) instead of
    /// running the extraction.
    #[arg(long, value_name = "CATALOG.SCHEMA")]
    tables: Option<String>,
    /// Seconds the submit call waits for a result before polling (0, or 5 to 50).
    #[arg(long, default_value_t = 30)]
    wait_timeout: u32,
    /// First pause between polls, in milliseconds (it grows to 5 s).
    #[arg(long, default_value_t = 1000)]
    poll_ms: u64,
}

/// The named parameter markers (`:name`) a statement uses, outside comments and literals.
pub fn markers(sql: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            '\'' | '"' | '`' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            ':' => {
                let after_colon = i > 0 && chars[i - 1] == ':';
                let next_is_colon = chars.get(i + 1) == Some(&':');
                let starts = chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic() || *n == '_');
                if !after_colon && !next_is_colon && starts {
                    let mut j = i + 1;
                    while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                        j += 1;
                    }
                    found.insert(chars[i + 1..j].iter().collect());
                    i = j;
                } else {
                    i += if next_is_colon { 2 } else { 1 };
                }
            }
            _ => i += 1,
        }
    }
    found
}

/// One field of the importer's CSV dialect: NULL is an empty field; a value with a comma,
/// quote or line break, or an empty string, is quoted with inner quotes doubled.
pub fn csv_field(value: Option<&str>) -> String {
    match value {
        None => String::new(),
        Some("") => "\"\"".to_string(),
        Some(v) if v.contains([',', '"', '\n', '\r']) => format!("\"{}\"", v.replace('"', "\"\"")),
        Some(v) => v.to_string(),
    }
}

struct Job {
    name: String,
    statement: String,
    parameters: Vec<Parameter>,
}

fn parse_date(flag: &str, text: &str) -> Result<Date> {
    Date::parse(text).filter(|d| d.to_string() == text).ok_or_else(|| anyhow!("--{flag} {text:?} is not a date like 2025-11-01"))
}

fn today_utc() -> Date {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    Timestamp::from_unix_seconds(seconds).date()
}

/// The statements to run and the parameters each one uses.
fn jobs(args: &PullArgs) -> Result<Vec<Job>> {
    let to = match &args.to {
        Some(t) => parse_date("to", t)?,
        None => today_utc().add_days(-1),
    };
    let from = match &args.from {
        Some(f) => parse_date("from", f)?,
        None => to.add_days(-29),
    };
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    let workspaces = args.workspaces.trim().to_string();
    if !workspaces.is_empty()
        && !workspaces.split(',').all(|w| !w.trim().is_empty() && w.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        bail!("--workspaces {workspaces:?} is not a comma-separated list of workspace ids");
    }
    let prices = match args.prices {
        Prices::List => "list",
        Prices::Account => "account",
    };
    let window = [
        Parameter { name: "from".into(), value: from.to_string(), type_name: "DATE" },
        Parameter { name: "to".into(), value: to.to_string(), type_name: "DATE" },
        Parameter { name: "workspaces".into(), value: workspaces, type_name: "STRING" },
        Parameter { name: "prices".into(), value: prices.into(), type_name: "STRING" },
    ];

    if let Some(schema) = &args.tables {
        let parts: Vec<&str> = schema.split('.').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
            bail!("--tables {schema:?} is not CATALOG.SCHEMA");
        }
        return Ok(STATEMENTS
            .iter()
            .map(|(name, _)| Job {
                name: name.to_string(),
                statement: "SELECT * FROM IDENTIFIER(:table)".to_string(),
                parameters: vec![Parameter { name: "table".into(), value: format!("{schema}.{name}"), type_name: "STRING" }],
            })
            .collect());
    }

    let texts: Vec<(String, String)> = match &args.sql {
        None => STATEMENTS.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect(),
        Some(dir) => {
            let mut found = Vec::new();
            for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "sql") {
                    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                    found.push((name, std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?));
                }
            }
            found.sort();
            if found.is_empty() {
                bail!("there is no .sql file in {}", dir.display());
            }
            found
        }
    };
    texts
        .into_iter()
        .map(|(name, statement)| {
            let used = markers(&statement);
            let known: BTreeSet<&str> = window.iter().map(|p| p.name.as_str()).collect();
            if let Some(unknown) = used.iter().find(|m| !known.contains(m.as_str())) {
                bail!(
                    "the statement {name} uses :{unknown}, which copilot pull does not set (it sets :from, :to, :workspaces and :prices)"
                );
            }
            let parameters = window.iter().filter(|p| used.contains(&p.name)).cloned().collect();
            Ok(Job { name, statement, parameters })
        })
        .collect()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// A CSV being written: `<name>.csv.part`, renamed on success.
struct Output {
    part: PathBuf,
    path: PathBuf,
    writer: std::io::BufWriter<std::fs::File>,
}

impl Output {
    fn create(dir: &Path, name: &str) -> Result<Output> {
        let path = dir.join(format!("{name}.csv"));
        let part = dir.join(format!("{name}.csv.part"));
        let file = std::fs::File::create(&part).with_context(|| format!("cannot write {}", part.display()))?;
        Ok(Output { part, path, writer: std::io::BufWriter::new(file) })
    }

    fn line<'a>(&mut self, fields: impl Iterator<Item = Option<&'a str>>) -> Result<()> {
        let line: Vec<String> = fields.map(csv_field).collect();
        writeln!(self.writer, "{}", line.join(",")).with_context(|| format!("cannot write {}", self.part.display()))
    }

    fn finish(self) -> Result<u64> {
        let file = self.writer.into_inner().map_err(|e| anyhow!("cannot write {}: {}", self.part.display(), e.error()))?;
        file.sync_all().ok();
        drop(file);
        std::fs::rename(&self.part, &self.path)
            .with_context(|| format!("cannot rename {} to {}", self.part.display(), self.path.display()))?;
        Ok(std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0))
    }
}

/// What one statement produced.
struct Written {
    name: String,
    rows: u64,
    bytes: u64,
}

pub fn run(args: PullArgs) -> Result<()> {
    let creds =
        databricks::resolve(&AuthInputs { host: args.host.clone(), profile: args.profile.clone(), env: |name| std::env::var(name).ok() })?;
    let token = creds.token.clone();
    let outcome = pull(args, creds);
    // Nothing the workspace or a library said may carry the token out.
    outcome.map_err(|e| anyhow!("{}", databricks::redact(&format!("{e:#}"), &token)))
}

fn pull(args: PullArgs, creds: databricks::Credentials) -> Result<()> {
    if args.wait_timeout != 0 && !(5..=50).contains(&args.wait_timeout) {
        bail!("--wait-timeout {} must be 0 or between 5 and 50 seconds", args.wait_timeout);
    }
    let jobs = jobs(&args)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let workspace = Workspace::new(creds)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // The statement running now (name, id), for Ctrl-C.
    let current: Mutex<Option<(String, String)>> = Mutex::new(None);
    let started = Instant::now();
    eprintln!("pulling {} statements from {} on warehouse {}{}", jobs.len(), workspace.host(), args.warehouse, window_text(&jobs));

    let written = runtime.block_on(async {
        let work = run_all(&workspace, &jobs, &args, &current);
        tokio::select! {
            result = work => result,
            Ok(()) = tokio::signal::ctrl_c() => {
                let running = current.lock().ok().and_then(|c| c.clone());
                match running {
                    Some((name, id)) => {
                        let cancelled = tokio::time::timeout(Duration::from_secs(15), workspace.cancel(&id)).await;
                        let how = match cancelled {
                            Ok(Ok(())) => "cancelled it on Databricks".to_string(),
                            Ok(Err(e)) => format!("could not cancel it: {e:#}"),
                            Err(_) => "could not cancel it: no answer within 15 s".to_string(),
                        };
                        Err(anyhow!("interrupted while {name} was running (statement {id}): {how}; nothing was written for {name}"))
                    }
                    None => Err(anyhow!("interrupted before Databricks had answered with a statement id; the statement being submitted may still run on the warehouse")),
                }
            }
        }
    });
    // A .part file left by an interrupted or failed statement goes.
    for job in &jobs {
        let _ = std::fs::remove_file(args.out.join(format!("{}.csv.part", job.name)));
    }
    let written = written?;

    let table: Vec<(String, String, String)> =
        written.iter().map(|w| (format!("{}.csv", w.name), plural(w.rows, "row", "rows"), size(w.bytes))).collect();
    let width = |f: fn(&(String, String, String)) -> &String| table.iter().map(|t| f(t).chars().count()).max().unwrap_or(0);
    let (names, counts, sizes) = (width(|t| &t.0), width(|t| &t.1), width(|t| &t.2));
    for (name, count, bytes) in &table {
        println!("{name:<names$}  {count:>counts$}  {bytes:>sizes$}");
    }
    let rows: u64 = written.iter().map(|w| w.rows).sum();
    let bytes: u64 = written.iter().map(|w| w.bytes).sum();
    println!(
        "{} in {}: {}, {} in {:.1} s",
        plural(written.len() as u64, "file", "files"),
        args.out.display(),
        plural(rows, "row", "rows"),
        size(bytes),
        started.elapsed().as_secs_f64()
    );

    if let Some(db) = &args.db {
        import(&args.out, &written, db)?;
    }
    Ok(())
}

fn window_text(jobs: &[Job]) -> String {
    let value = |name: &str| jobs.iter().flat_map(|j| j.parameters.iter()).find(|p| p.name == name).map(|p| p.value.clone());
    match (value("from"), value("to")) {
        (Some(from), Some(to)) => {
            let workspaces = value("workspaces").filter(|w| !w.is_empty()).unwrap_or_else(|| "every workspace".into());
            let prices = value("prices").map(|p| format!(", {p} prices")).unwrap_or_default();
            format!(" for {from} … {to} ({workspaces}{prices})")
        }
        _ => value("table").map(|_| " (the job's tables)".to_string()).unwrap_or_default(),
    }
}

async fn run_all(workspace: &Workspace, jobs: &[Job], args: &PullArgs, current: &Mutex<Option<(String, String)>>) -> Result<Vec<Written>> {
    let mut written = Vec::new();
    let total = jobs.len();
    for (i, job) in jobs.iter().enumerate() {
        let tag = format!("[{}/{total}] {}", i + 1, job.name);
        let submit = Submit {
            name: &job.name,
            statement: &job.statement,
            warehouse_id: &args.warehouse,
            parameters: &job.parameters,
            disposition: args.disposition,
            wait_timeout_s: args.wait_timeout,
            poll_interval: Duration::from_millis(args.poll_ms.max(1)),
        };
        let started = Instant::now();
        // Shared by the header and the row sink; rows are written in batches as they arrive.
        let output: RefCell<Option<Output>> = RefCell::new(None);
        let pending: RefCell<Vec<Vec<Option<String>>>> = RefCell::new(Vec::new());
        let mut progress = |p: Progress<'_>| match p {
            Progress::Submitted(id) => {
                if let Ok(mut c) = current.lock() {
                    *c = Some((job.name.clone(), id.to_string()));
                }
            }
            Progress::State(state) if state != "SUCCEEDED" => eprintln!("{tag}: {state}"),
            Progress::State(_) => {}
            Progress::Chunk { number, of, rows } => {
                let of = of.filter(|n| *n > 1).map(|n| format!(" of {n}")).unwrap_or_default();
                if number > 1 || !of.is_empty() {
                    eprintln!("{tag}: chunk {number}{of}, {} so far", plural(rows, "row", "rows"));
                }
            }
        };
        let mut header = |names: &[String]| -> Result<()> {
            let mut out = Output::create(&args.out, &job.name)?;
            out.line(names.iter().map(|n| Some(n.as_str())))?;
            *output.borrow_mut() = Some(out);
            Ok(())
        };
        let mut sink = |row: Vec<Option<String>>| -> Result<()> {
            let mut rows = pending.borrow_mut();
            rows.push(row);
            if rows.len() >= 4096 {
                flush_rows(&mut rows, &mut output.borrow_mut())?;
            }
            Ok(())
        };
        let finished = workspace.run(&submit, &mut progress, &mut header, &mut sink).await;
        if let Ok(mut c) = current.lock() {
            *c = None;
        }
        let finished = finished?;
        flush_rows(&mut pending.borrow_mut(), &mut output.borrow_mut())?;
        let output = output.into_inner().ok_or_else(|| anyhow!("the statement {} returned no columns", job.name))?;
        let bytes = output.finish()?;
        eprintln!(
            "{tag}: {} in {} → {}.csv ({:.1} s)",
            plural(finished.rows, "row", "rows"),
            plural(finished.chunks, "chunk", "chunks"),
            job.name,
            started.elapsed().as_secs_f64()
        );
        written.push(Written { name: job.name.clone(), rows: finished.rows, bytes });
    }
    Ok(written)
}

fn flush_rows(rows: &mut Vec<Vec<Option<String>>>, output: &mut Option<Output>) -> Result<()> {
    let out = output.as_mut().ok_or_else(|| anyhow!("rows arrived before the columns"))?;
    for row in rows.drain(..) {
        out.line(row.iter().map(|v| v.as_deref()))?;
    }
    Ok(())
}

/// `--db`: the written files through the library importer, as `copilot import` does.
fn import(dir: &Path, written: &[Written], db: &Path) -> Result<()> {
    let started = Instant::now();
    let mut inputs = Vec::new();
    for w in written {
        let path = dir.join(format!("{}.csv", w.name));
        inputs.push((format!("{}.csv", w.name), std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?));
    }
    let imported = usage_copilot::data::import::import_files(&inputs)?;
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(db, &imported.bytes).with_context(|| format!("cannot write {}", db.display()))?;
    print!("{}", imported.report.to_text());
    eprintln!("wrote {} ({}) in {:.1} s", db.display(), size(imported.bytes.len() as u64), started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_skip_comments_literals_and_casts() {
        let sql = "-- uses :nothing here\nSELECT CAST(:from AS DATE), x::string, 'T00:00:00Z', `a:b`, :to /* :no */ FROM t WHERE :workspaces = ''";
        assert_eq!(markers(sql).into_iter().collect::<Vec<_>>(), ["from", "to", "workspaces"]);
        for (name, text) in STATEMENTS {
            let used = markers(text);
            assert!(used.is_subset(&["from", "to", "workspaces", "prices"].map(String::from).into()), "{name}: {used:?}");
            assert!(!used.is_empty() || name == "workspaces", "{name} uses no parameter");
        }
    }

    #[test]
    fn the_built_in_statements_are_the_files_of_sql_extract() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sql/extract");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, STATEMENTS.map(|(n, _)| n.to_string()));
    }

    #[test]
    fn fields_are_quoted_like_the_importer_reads_them() {
        assert_eq!(csv_field(None), "");
        assert_eq!(csv_field(Some("")), "\"\"");
        assert_eq!(csv_field(Some("a,b")), "\"a,b\"");
        assert_eq!(csv_field(Some("say \"hi\"\nbye")), "\"say \"\"hi\"\"\nbye\"");
        assert_eq!(csv_field(Some("plain")), "plain");
    }
}
