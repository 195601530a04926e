//! `copilot`: the command-line side of Databricks Usage Copilot. Every subcommand calls
//! the same library code the browser runs.

mod ask;
mod corpus;
mod crawl;
mod databricks;
mod docs;
mod eval;
mod graph_export;
mod pull;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use usage_copilot::app::session::{DocsAssets, Session};
use usage_copilot::base::calendar::Date;
use usage_copilot::base::format::{thousands, usd};
use usage_copilot::copilot::evidence::EvidenceBudget;
use usage_copilot::copilot::pack::EvidencePack;
use usage_copilot::copilot::{offered_chips, Ask, Prepared};
use usage_copilot::data::budgets;
use usage_copilot::data::db::UsageDb;
use usage_copilot::data::focus::{focus_csv, FOCUS_VERSION};
use usage_copilot::data::seed::{self, SeedConfig};
use usage_copilot::data::summary::compute_type_label;
use usage_copilot::report::engine::typed_texts;
use usage_copilot::report::selection::find_selection;
use usage_copilot::report::{output, registry, EntityRef, Report, ReportFilters, ReportResult, Selection};
use usage_copilot::retrieval::{DocsIndex, StaticModel};

#[derive(Parser)]
#[command(name = "copilot", about = "Databricks Usage Copilot tools", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Text,
}

#[derive(Clone, Copy, ValueEnum)]
enum TableFormat {
    Json,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum PackFormat {
    Json,
    Markdown,
}

/// A selection in a report: the database, the report, the entity and the filters.
#[derive(clap::Args)]
struct TargetArgs {
    #[arg(long)]
    db: PathBuf,
    /// Report key, e.g. job_cost.
    #[arg(long)]
    report: String,
    /// The selected entity as TYPE:ID, e.g. job:J-LEGACY-ETL or anomaly:J-FIN-DAILY@2025-12-05.
    #[arg(long)]
    entity: String,
    #[command(flatten)]
    filters: FilterArgs,
    /// The docs index used when a chip or question needs documentation (the static model
    /// next to it is used when present).
    #[arg(long, default_value = docs::DEFAULT_INDEX)]
    docs_index: PathBuf,
    #[arg(long, default_value = docs::DEFAULT_MODEL)]
    model: PathBuf,
}

/// A selection for `ask` and `eval`: like [`TargetArgs`], where `--model` names the LLM.
#[derive(clap::Args)]
struct AskTargetArgs {
    #[arg(long)]
    db: PathBuf,
    #[arg(long)]
    report: String,
    /// The selected entity as TYPE:ID.
    #[arg(long)]
    entity: String,
    #[command(flatten)]
    filters: FilterArgs,
    #[arg(long, default_value = docs::DEFAULT_INDEX)]
    docs_index: PathBuf,
    /// The static embedding model (the page's; `--model` is the LLM's here).
    #[arg(long, default_value = docs::DEFAULT_MODEL)]
    embedding_model: PathBuf,
}

impl AskTargetArgs {
    fn target(&self) -> TargetArgs {
        TargetArgs {
            db: self.db.clone(),
            report: self.report.clone(),
            entity: self.entity.clone(),
            filters: FilterArgs {
                from: self.filters.from.clone(),
                to: self.filters.to.clone(),
                workspace: self.filters.workspace.clone(),
                params: self.filters.params.clone(),
                budgets: self.filters.budgets.clone(),
            },
            docs_index: self.docs_index.clone(),
            model: self.embedding_model.clone(),
        }
    }
}

/// Where the LLM is and how it is asked (`ask`, `eval`).
#[derive(clap::Args)]
struct LlmArgs {
    /// copilot-proxy, e.g. http://127.0.0.1:8080 (it holds the key and the model).
    #[arg(long, conflicts_with = "llm_base_url")]
    proxy: Option<String>,
    /// An OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (Ollama); the key comes
    /// from LLM_API_KEY when the server needs one.
    #[arg(long)]
    llm_base_url: Option<String>,
    /// The model a --llm-base-url server runs (default: LLM_MODEL, else gpt-4.1-mini).
    #[arg(long)]
    model: Option<String>,
    #[arg(long, default_value_t = usage_copilot::copilot::llm_stream::DEFAULT_TEMPERATURE)]
    temperature: f64,
    /// Longest answer in tokens (sent to a --llm-base-url server; the proxy has LLM_MAX_TOKENS).
    #[arg(long, default_value_t = 1200)]
    max_tokens: u32,
    /// Seconds to wait for the first token (local models read long prompts slowly).
    #[arg(long, default_value_t = eval::FIRST_TOKEN_SECS)]
    first_token_timeout: f64,
    /// Estimated tokens the evidence may take (smaller for small context windows).
    #[arg(long, default_value_t = usage_copilot::copilot::evidence::DEFAULT_EVIDENCE_TOKENS)]
    evidence_tokens: usize,
}

impl LlmArgs {
    fn endpoint(&self) -> Result<ask::Endpoint> {
        ask::Endpoint::from_args(self.proxy.as_deref(), self.llm_base_url.as_deref(), self.model.as_deref())
    }

    fn options(&self) -> ask::CallOptions {
        eval::call_options(self.temperature, self.max_tokens, self.first_token_timeout)
    }
}

/// A chip click or a follow-up question.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct ActionArgs {
    /// Chip id (see `copilot chips`).
    #[arg(long)]
    chip: Option<String>,
    /// A free-text follow-up about the selection.
    #[arg(long)]
    question: Option<String>,
}

impl ActionArgs {
    fn ask(&self) -> Ask {
        match (&self.chip, &self.question) {
            (Some(chip), _) => Ask::Chip(chip.clone()),
            (None, Some(question)) => Ask::Question(question.clone()),
            (None, None) => unreachable!("clap requires --chip or --question"),
        }
    }
}

/// A loaded selection, ready for the copilot pipeline.
struct Target {
    session: Session,
    report: &'static Report,
    result: ReportResult,
    selection: Selection,
    docs: Option<DocsIndex>,
    model: Option<StaticModel>,
}

/// Opens a database file as a session.
fn open_session(path: &Path) -> Result<Session> {
    // LoadError messages already say what is wrong with the file, in the user's words.
    let db = UsageDb::open_path(path)?;
    for warning in db.warnings() {
        eprintln!("warning: {warning}");
    }
    Ok(Session::open(path.display().to_string(), db)?)
}

impl TargetArgs {
    fn load(&self) -> Result<Target> {
        let mut session = open_session(&self.db)?;
        self.filters.load_budgets(&mut session)?;
        let report = registry().get(&self.report).ok_or_else(|| anyhow!("there is no report {:?}", self.report))?;
        let (filters, params) = self.filters.resolve(&session.data_range)?;
        let result = report.run_with(session.db.conn(), &filters, &typed_texts(&params))?;
        let entity =
            EntityRef::parse(&self.entity).ok_or_else(|| anyhow!("--entity {:?} is not TYPE:ID with a known entity type", self.entity))?;
        let selection = find_selection(&report.spec, &result, &entity)
            .ok_or_else(|| anyhow!("{entity} is not in report {} for these filters", self.report))?;
        let docs = if self.docs_index.exists() { Some(docs::load_index(&self.docs_index)?) } else { None };
        let model = if docs.is_some() && self.model.exists() { Some(docs::load_model(&self.model)?) } else { None };
        Ok(Target { session, report, result, selection, docs, model })
    }
}

impl Target {
    fn prepare(&self, action: &ActionArgs) -> Result<Prepared> {
        self.prepare_within(action, &EvidenceBudget::default())
    }

    fn prepare_within(&self, action: &ActionArgs, budget: &EvidenceBudget) -> Result<Prepared> {
        let docs = DocsAssets { index: self.docs.as_ref(), model: self.model.as_ref() };
        let answered = self.session.prepare_within(&self.report.spec, &self.result, &self.selection, &action.ask(), docs, budget)?;
        Ok(answered.prepared)
    }
}

/// Filters every report honours.
#[derive(clap::Args)]
struct FilterArgs {
    /// First day (YYYY-MM-DD); default: the data's first day.
    #[arg(long)]
    from: Option<String>,
    /// Last day (YYYY-MM-DD); default: the data's last day.
    #[arg(long)]
    to: Option<String>,
    /// Only this workspace id; default: all.
    #[arg(long)]
    workspace: Option<String>,
    /// Report parameter, e.g. --param window=21 or --param tag_key=team (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// A budgets file (JSON, as the page exports it) for the budget report.
    #[arg(long)]
    budgets: Option<PathBuf>,
}

impl FilterArgs {
    /// Gives the session the budgets of `--budgets`, if any.
    fn load_budgets(&self, session: &mut Session) -> Result<()> {
        let Some(path) = &self.budgets else { return Ok(()) };
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let list = budgets::parse_file(&text).with_context(|| format!("{}", path.display()))?;
        session.set_budgets(list)?;
        Ok(())
    }

    /// The filters and params as typed; the report engine parses each param by its kind
    /// (a number, or a text such as `--param tag_key=cost_center`).
    fn resolve(&self, data_range: &ReportFilters) -> Result<(ReportFilters, BTreeMap<String, String>)> {
        let mut filters = data_range.clone();
        let date = |flag: &str, text: &str| Date::parse(text).ok_or_else(|| anyhow!("--{flag} {text:?} is not a date like 2025-11-01"));
        if let Some(from) = &self.from {
            filters.from = date("from", from)?;
        }
        if let Some(to) = &self.to {
            filters.to = date("to", to)?;
        }
        filters.workspace = self.workspace.clone();
        let mut params = BTreeMap::new();
        for p in &self.params {
            let (name, value) = p.split_once('=').ok_or_else(|| anyhow!("--param {p:?} is not NAME=VALUE"))?;
            params.insert(name.to_string(), value.to_string());
        }
        Ok((filters, params))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Generate the deterministic seeded usage database (or a scaled-up one).
    Db {
        /// Where to write the SQLite file (replaced if present).
        #[arg(long)]
        out: PathBuf,
        /// Number of jobs; beyond the nine of the cast, jobs are clones of it.
        #[arg(long, default_value_t = SeedConfig::default().jobs)]
        jobs: usize,
        /// Number of days from 2025-11-01.
        #[arg(long, default_value_t = SeedConfig::default().days)]
        days: u32,
        /// Seed of the pseudo-random generator.
        #[arg(long, default_value_t = SeedConfig::default().seed)]
        seed: u64,
        /// Leave out what the app derives again when it opens the file (indexes, calendar,
        /// the reports' aggregates): the smallest file to download (the demo's).
        #[arg(long)]
        lean: bool,
    },
    /// Import Databricks system-table exports (CSV, JSON Lines or Parquet, gzip'd or not,
    /// recognised by their content) into a database the app opens; prints what was imported,
    /// malformed lines, report coverage and attribution gaps. Files are streamed: large inputs
    /// are staged in a temporary database on disk, so memory stays bounded.
    Import {
        /// Exported files of system.billing.usage, list_prices, lakeflow.*, compute.*, query.history.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Where to stage rows on disk (default: the system's temporary directory, when the
        /// inputs are larger than 64 MiB).
        #[arg(long)]
        temp_dir: Option<PathBuf>,
        /// Stage rows in memory whatever the input size (as the browser does).
        #[arg(long, conflicts_with = "temp_dir")]
        in_memory: bool,
        /// Print progress (phase, bytes, rows) to stderr.
        #[arg(long)]
        progress: bool,
    },
    /// Print the dataset summary the page shows after loading a database.
    Summary {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Run a report and print its KPIs and rows.
    Report {
        /// Report key: job_cost, compute_type_cost, job_cost_pareto, spot_risk_by_job, anomaly_detection.
        key: String,
        #[arg(long)]
        db: PathBuf,
        #[command(flatten)]
        filters: FilterArgs,
        #[arg(long, value_enum, default_value = "json")]
        format: TableFormat,
    },
    /// List the chips a selection is offered, in lane order.
    Chips {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long, value_enum, default_value = "json")]
        format: TableFormat,
    },
    /// Print the exact chat messages a chip click or follow-up sends: {"messages": [...]}.
    Prompt {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        action: ActionArgs,
    },
    /// Answer a chip or follow-up; with --offline, the deterministic narrative built from the evidence.
    Explain {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        action: ActionArgs,
        /// Answer without an LLM.
        #[arg(long)]
        offline: bool,
    },
    /// Print the evidence pack of a chip click or follow-up (facts with SQL, subgraph, docs, routing, messages, answer).
    Evidence {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        action: ActionArgs,
        #[arg(long, value_enum, default_value = "json")]
        format: PackFormat,
    },
    /// Ask a real model: the browser's exact messages, through copilot-proxy or to an
    /// OpenAI-compatible server; streams the answer, then prints the checks the page shows.
    Ask {
        #[command(flatten)]
        target: AskTargetArgs,
        #[command(flatten)]
        action: ActionArgs,
        #[command(flatten)]
        llm: LlmArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Run an evaluation suite (default: eval/default.toml) offline or against a model and
    /// write a scorecard (JSON and Markdown), with a diff against a previous one.
    Eval {
        /// The suite (TOML); default: the built-in eval/default.toml.
        #[arg(long)]
        suite: Option<PathBuf>,
        /// The database; default: public/data/usage_rag_data.db, else the seeded DB in memory.
        #[arg(long)]
        db: Option<PathBuf>,
        /// Answer with the offline narratives (no LLM).
        #[arg(long, conflicts_with_all = ["proxy", "llm_base_url"])]
        offline: bool,
        #[command(flatten)]
        llm: LlmArgs,
        #[arg(long, default_value = docs::DEFAULT_INDEX)]
        docs_index: PathBuf,
        #[arg(long, default_value = docs::DEFAULT_MODEL)]
        embedding_model: PathBuf,
        /// Where scorecard.json and scorecard.md are written; default: print the JSON.
        #[arg(long)]
        out: Option<PathBuf>,
        /// A previous scorecard.json to diff against (model A vs B, prompt v1 vs v2).
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Fail (exit 1) when an answer misses an expectation.
        #[arg(long)]
        check: bool,
    },
    /// Time loading a database and running every report (native baseline of `make bench`).
    BenchReports {
        #[arg(long)]
        db: PathBuf,
        /// Runs per report; the median is reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Only these reports (comma-separated keys), without the graph and the aggregates.
        #[arg(long, value_delimiter = ',')]
        reports: Option<Vec<String>>,
    },
    /// The documentation corpus: build the index, search it, evaluate retrieval.
    Docs {
        #[command(subcommand)]
        command: docs::DocsCommand,
    },
    /// Build the telemetry index of a database (one document per entity); with --query,
    /// print the entities a question names.
    Index {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value = docs::DEFAULT_MODEL)]
        model: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        query: Option<String>,
        #[arg(long, default_value_t = 3)]
        k: usize,
    },
    /// Run the extraction SQL (sql/extract/) on a Databricks SQL warehouse through the
    /// Statement Execution API; write one CSV per statement, and with --db import them.
    Pull(pull::PullArgs),
    /// Export the usage database in a standard format.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// The usage graph of a database: export it for Neo4j.
    Graph {
        #[command(subcommand)]
        command: graph_export::GraphCommand,
    },
    /// Run SQL against a database file with the app's SQLite. Prints the rows of the last
    /// statement as JSON. Read-only unless --write (which creates the file if missing).
    Sql {
        #[arg(long)]
        db: PathBuf,
        /// Allow changes (and create the file if it does not exist).
        #[arg(long)]
        write: bool,
        /// Read the SQL from this file instead of the command line.
        #[arg(long, conflicts_with = "sql")]
        file: Option<PathBuf>,
        /// One or more statements separated by semicolons.
        #[arg(required_unless_present = "file")]
        sql: Option<String>,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every usage row as a FOCUS 1.2 cost and usage row (CSV).
    Focus {
        #[arg(long)]
        db: PathBuf,
        /// The CSV file to write (replaced if present).
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Creates the folder `path` will be written in.
fn create_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Db { out, jobs, days, seed, lean } => {
            let config = SeedConfig { seed, jobs, days, ..SeedConfig::default() };
            create_parent(&out)?;
            let started = Instant::now();
            let write = if lean { seed::write_lean_database } else { seed::write_database };
            let stats = write(&out, &config).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "wrote {} in {:.1}s: {} job runs, {} usage rows, {} events, {} evictions, {} queries ({} jobs, {} days from {})",
                out.display(),
                started.elapsed().as_secs_f64(),
                thousands(stats.job_runs),
                thousands(stats.compute_usage),
                thousands(stats.events),
                thousands(stats.eviction_details),
                thousands(stats.sql_query_history),
                config.jobs,
                config.days,
                config.first_day,
            );
            Ok(())
        }
        Command::Import { files, out, format, temp_dir, in_memory, progress } => {
            use usage_copilot::data::import::{CancelFlag, ImportOptions, Importer, StagingStore};
            let started = Instant::now();
            let mut input_bytes = 0u64;
            for path in &files {
                input_bytes += std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.len();
            }
            let staging = match (temp_dir, in_memory) {
                (_, true) => StagingStore::Memory,
                (Some(dir), false) => StagingStore::Directory(dir),
                (None, false) if input_bytes > 64 << 20 => StagingStore::Directory(std::env::temp_dir()),
                (None, false) => StagingStore::Memory,
            };
            // Ctrl-C stops the import at the next chunk; its staging file is removed.
            let cancel = CancelFlag::default();
            let on_signal = cancel.clone();
            std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
                        on_signal.cancel();
                    }
                }
            });
            let mut last = (Instant::now(), None);
            let on_progress: Option<usage_copilot::data::import::ProgressFn> = progress.then(|| {
                Box::new(move |p: &usage_copilot::data::import::Progress| {
                    if last.1 != Some(p.phase) || last.0.elapsed().as_secs_f64() >= 2.0 {
                        last = (Instant::now(), Some(p.phase));
                        eprintln!(
                            "{:>7.1} s  {:?}: {} of {} MB, {} rows{}",
                            started.elapsed().as_secs_f64(),
                            p.phase,
                            p.bytes / 1_000_000,
                            p.total_bytes / 1_000_000,
                            thousands(p.rows),
                            if p.of > 0 { format!(", {} of {}", thousands(p.done), thousands(p.of)) } else { String::new() }
                        );
                    }
                }) as usage_copilot::data::import::ProgressFn
            });
            let mut importer = Importer::new(ImportOptions { staging, cancel: Some(cancel), on_progress })?;
            for path in &files {
                importer.add_path(path)?;
            }
            let imported = importer.finish()?;
            create_parent(&out)?;
            std::fs::write(&out, &imported.bytes).with_context(|| format!("cannot write {}", out.display()))?;
            let session = Session::open(out.display().to_string(), imported.db)?;
            let (report, coverage) = session.import().context("the imported database has no import report")??;
            match format {
                Format::Json => {
                    let mut json = serde_json::to_value(&report)?;
                    json["coverage"] = serde_json::to_value(&coverage)?;
                    println!("{}", serde_json::to_string_pretty(&json)?);
                }
                Format::Text => print!("{}{}", report.to_text(), usage_copilot::report::coverage::to_text(&coverage)),
            }
            eprintln!("wrote {} in {:.1} s", out.display(), started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Summary { db, format } => {
            let summary = open_session(&db)?.summary;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
                Format::Text => {
                    println!("workspaces:        {}", thousands(summary.workspaces));
                    println!("jobs:              {}", thousands(summary.jobs));
                    println!("job runs:          {} ({} failed)", thousands(summary.job_runs), thousands(summary.failed_runs));
                    println!("compute resources: {}", thousands(summary.compute_resources));
                    println!(
                        "date range:        {} .. {} ({} days)",
                        summary.first_date.as_deref().unwrap_or("-"),
                        summary.last_date.as_deref().unwrap_or("-"),
                        summary.days
                    );
                    println!("total spend:       {}", usd(summary.total_spend_usd));
                    for row in &summary.spend_by_compute_type {
                        println!("  {:<22} {:>14}  {:>6.2}%", compute_type_label(&row.compute_type), usd(row.spend_usd), row.share_pct);
                    }
                }
            }
            Ok(())
        }
        Command::Report { key, db, filters, format } => {
            let mut session = open_session(&db)?;
            filters.load_budgets(&mut session)?;
            let (filters, params) = filters.resolve(&session.data_range)?;
            let result = session.run_report_with(&key, Some(&filters), &typed_texts(&params))?;
            let report = registry().get(&key).expect("run_report checked the key");
            match format {
                TableFormat::Json => println!("{}", serde_json::to_string_pretty(&output::report_json(&report.spec, &result))?),
                TableFormat::Csv => print!("{}", output::dataset_csv(&report.spec, result.rows(), &[])),
            }
            Ok(())
        }
        Command::Chips { target, format } => {
            let t = target.load()?;
            let chips = offered_chips(&t.report.spec, &t.selection);
            match format {
                TableFormat::Json => {
                    let list: Vec<serde_json::Value> = chips
                        .iter()
                        .map(|c| serde_json::json!({ "id": c.id, "version": c.version, "lane": c.lane, "label": c.label }))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&list)?);
                }
                TableFormat::Csv => {
                    println!("id,version,lane,label");
                    for c in chips {
                        println!("{},{},{},\"{}\"", c.id, c.version, c.lane.title(), c.label.replace('"', "\"\""));
                    }
                }
            }
            Ok(())
        }
        Command::Prompt { target, action } => {
            let prepared = target.load()?.prepare(&action)?;
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "messages": prepared.messages }))?);
            Ok(())
        }
        Command::Explain { target, action, offline } => {
            if !offline {
                bail!("explain needs --offline: the LLM path runs through copilot-proxy");
            }
            println!("{}", target.load()?.prepare(&action)?.offline_answer);
            Ok(())
        }
        Command::Evidence { target, action, format } => {
            let prepared = target.load()?.prepare(&action)?;
            let pack = EvidencePack::offline(&prepared);
            match format {
                PackFormat::Json => println!("{}", pack.to_json()),
                PackFormat::Markdown => print!("{}", pack.to_markdown()),
            }
            Ok(())
        }
        Command::Ask { target, action, llm, format } => {
            let endpoint = llm.endpoint()?;
            let prepared = target.target().load()?.prepare_within(&action, &EvidenceBudget::with_tokens(llm.evidence_tokens))?;
            ask::run(&prepared, &endpoint, &llm.options(), matches!(format, Format::Json))
        }
        Command::Eval { suite, db, offline, llm, docs_index, embedding_model, out, baseline, check } => {
            let suite_text = match &suite {
                Some(p) => std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
                None => eval::DEFAULT_SUITE.to_string(),
            };
            let answerer = if offline { eval::Answerer::Offline } else { eval::Answerer::Llm(llm.endpoint()?, llm.options()) };
            let input =
                eval::EvalInput { suite_text, db, docs_index, embedding_model, budget: EvidenceBudget::with_tokens(llm.evidence_tokens) };
            let card = eval::run(&input, &answerer)?;
            let diff = match &baseline {
                Some(p) => Some(eval::diff(&eval::read(p)?, &card)),
                None => None,
            };
            match &out {
                Some(dir) => {
                    eval::write(dir, &card, diff.as_ref())?;
                    eprintln!("wrote {} and {}", dir.join("scorecard.json").display(), dir.join("scorecard.md").display());
                }
                None => println!("{}", serde_json::to_string_pretty(&card)?),
            }
            let t = &card["totals"];
            eprintln!(
                "{} answers: {} passed, {} failed; {} numbers, {} ungrounded, {} unsupported, {} unknown citations; coverage {}/{}; declined {}/{} unanswerable",
                t["cases"], t["passed"], t["failed"], t["numbers"], t["ungrounded"], t["unsupported"], t["unknown_citations"],
                t["coverage_met"], t["coverage_declared"], t["declined_when_unanswerable"], t["unanswerable"]
            );
            if check && t["failed"].as_u64() != Some(0) {
                bail!("{} answers missed their expectations (see the scorecard)", t["failed"]);
            }
            Ok(())
        }
        Command::BenchReports { db, runs, reports } => {
            let json = bench_reports(&db, runs.max(1), reports.as_deref())?;
            println!("{}", serde_json::to_string_pretty(&json)?);
            Ok(())
        }
        Command::Docs { command } => docs::run(command),
        Command::Index { db, model, out, query, k } => docs::telemetry_index(&db, &model, out.as_deref(), query.as_deref(), k),
        Command::Pull(args) => pull::run(args),
        Command::Export { command: ExportCommand::Focus { db, out } } => {
            let session = open_session(&db)?;
            let export = focus_csv(session.db.conn()).with_context(|| format!("cannot export {}", db.display()))?;
            for warning in &export.warnings {
                eprintln!("warning: {warning}");
            }
            create_parent(&out)?;
            std::fs::write(&out, &export.csv).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "wrote {}: {} FOCUS {FOCUS_VERSION} rows, {} bytes",
                out.display(),
                thousands(export.rows as u64),
                thousands(export.csv.len() as u64)
            );
            Ok(())
        }
        Command::Graph { command } => graph_export::run(command),
        Command::Sql { db, write, file, sql } => {
            let sql = match (file, sql) {
                (Some(path), _) => std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?,
                (None, Some(sql)) => sql,
                (None, None) => unreachable!("clap requires one of them"),
            };
            let rows = run_sql(&db, write, &sql)?;
            println!("{}", serde_json::to_string_pretty(&rows)?);
            Ok(())
        }
    }
}

/// Executes every statement of `sql`; returns the rows of the last one as JSON objects.
fn run_sql(path: &Path, write: bool, sql: &str) -> Result<Vec<serde_json::Value>> {
    use rusqlite::fallible_iterator::FallibleIterator;
    use rusqlite::{types::ValueRef, Batch, Connection, OpenFlags};
    let flags = if write { OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE } else { OpenFlags::SQLITE_OPEN_READ_ONLY };
    let conn = Connection::open_with_flags(path, flags).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    let mut batch = Batch::new(&conn, sql);
    while let Some(mut stmt) = batch.next().context("SQL failed")? {
        let names: Vec<String> = stmt.column_names().map(String::from).collect();
        let mut rows = stmt.raw_query();
        out.clear();
        while let Some(row) = rows.next().context("SQL failed")? {
            let mut object = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let value = match row.get_ref(i).context("SQL failed")? {
                    ValueRef::Null => serde_json::Value::Null,
                    ValueRef::Integer(n) => n.into(),
                    ValueRef::Real(x) => x.into(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                    ValueRef::Blob(b) => format!("<{} bytes>", b.len()).into(),
                };
                object.insert(name.clone(), value);
            }
            out.push(serde_json::Value::Object(object));
        }
    }
    Ok(out)
}

/// Same measurements as the browser's `#/bench` page, natively: bytes → in-memory DB,
/// then each report `runs` times over the data's full range.
fn bench_reports(path: &Path, runs: usize, only: Option<&[String]>) -> Result<serde_json::Value> {
    let started = Instant::now();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let read_ms = started.elapsed().as_secs_f64() * 1000.0;
    let opening = Instant::now();
    let db = UsageDb::from_bytes(&bytes)?;
    let open_ms = opening.elapsed().as_secs_f64() * 1000.0;
    drop(bytes);
    let mut json = usage_copilot::app::bench::graph_and_reports(&db, runs, only).map_err(|e| anyhow!(e))?;
    json["db"] = serde_json::json!(path.display().to_string());
    json["bytes"] = serde_json::json!(db.byte_len());
    json["fetch_ms"] = serde_json::json!(read_ms);
    json["open_ms"] = serde_json::json!(open_ms);
    Ok(json)
}
