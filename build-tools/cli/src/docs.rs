//! `copilot docs build|search|eval|bench` and `copilot index`: the docs corpus and the
//! telemetry index, with the library code the browser runs. (Distilling the static model
//! and measuring the full-MiniLM ceiling need candle: they are `copilot-model`.)

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use usage_copilot::copilot::telemetry::TelemetryIndex;
use usage_copilot::data::db::UsageDb;
use usage_copilot::retrieval::eval::{parse_questions, score, QuestionSet, Scores};
use usage_copilot::retrieval::index::page_url;
use usage_copilot::retrieval::{DocsIndex, Mode, StaticModel, DOCS_FLOOR};

use crate::corpus::{chunks_of, load_folder};
use crate::crawl::{crawl, CrawlOptions};

pub const DEFAULT_CORPUS: &str = "build-tools/docs-corpus";
pub const DEFAULT_INDEX: &str = "public/docs/docs-index.bin";
pub const DEFAULT_MODEL: &str = "public/docs/static-model.bin";
/// Where `copilot-model ceiling` writes the full MiniLM's scores (`make docs`).
pub const DEFAULT_CEILING: &str = "target/docs/minilm-ceiling.json";

/// Floors of `copilot docs eval --check`.
pub const HYBRID_RECALL_FLOOR: f64 = 0.9;
pub const CEILING_GAP: f64 = 0.05;
pub const BM25_RECALL_FLOOR: f64 = 0.9;
pub const DENSE_RECALL_FLOOR: f64 = 0.8;

#[derive(Clone, Copy, ValueEnum)]
pub enum OutFormat {
    Json,
    Text,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SearchMode {
    Hybrid,
    Bm25,
    Dense,
}

impl From<SearchMode> for Mode {
    fn from(m: SearchMode) -> Mode {
        match m {
            SearchMode::Hybrid => Mode::Hybrid,
            SearchMode::Bm25 => Mode::Lexical,
            SearchMode::Dense => Mode::Dense,
        }
    }
}

#[derive(Subcommand)]
pub enum DocsCommand {
    /// Build the docs index from a folder of Markdown / saved HTML pages, or by crawling a sitemap.
    Build {
        /// Folder of pages (default: the committed corpus).
        #[arg(long, conflicts_with = "sitemap")]
        corpus: Option<PathBuf>,
        /// Crawl the pages this sitemap lists (needs --prefix).
        #[arg(long, requires = "prefix")]
        sitemap: Option<String>,
        /// Only pages whose URL starts with this.
        #[arg(long)]
        prefix: Option<String>,
        /// Pause between requests while crawling.
        #[arg(long, default_value_t = 1000)]
        delay_ms: u64,
        /// Most pages to crawl.
        #[arg(long, default_value_t = 500)]
        max_pages: usize,
        /// The static model (from `copilot distill`); without it only BM25 is built.
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        #[arg(long, default_value = DEFAULT_INDEX)]
        out: PathBuf,
    },
    /// Search the docs index as the browser does: [{"title","url","score"}].
    Search {
        question: String,
        #[arg(long, default_value_t = 4)]
        k: usize,
        #[arg(long, value_enum, default_value = "json")]
        format: OutFormat,
        #[arg(long, value_enum, default_value = "hybrid")]
        mode: SearchMode,
        #[arg(long, default_value = DEFAULT_INDEX)]
        index: PathBuf,
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// Show the best chunks even below the relevance floor.
        #[arg(long)]
        no_floor: bool,
    },
    /// Time decoding, queries in each mode and the telemetry index build, as JSON (for `make
    /// bench`, which runs the same code in the browser).
    Bench {
        #[arg(long, default_value = DEFAULT_INDEX)]
        index: PathBuf,
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// Folder of question files (their questions are the queries).
        #[arg(long, default_value = "build-tools/docs-corpus/eval")]
        questions: PathBuf,
        /// Also write the questions as a JSON list here (for the browser run).
        #[arg(long)]
        questions_out: Option<PathBuf>,
        /// The database whose telemetry index is timed.
        #[arg(long, default_value = "public/data/usage_rag_data.db")]
        db: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Recall@4 and MRR of BM25, dense, hybrid and full MiniLM on the evaluation questions.
    Eval {
        #[arg(long, default_value = DEFAULT_INDEX)]
        index: PathBuf,
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// Folder of question files.
        #[arg(long, default_value = "build-tools/docs-corpus/eval")]
        questions: PathBuf,
        /// The full MiniLM's scores on the same questions (the quality ceiling), written by
        /// `copilot-model ceiling`.
        #[arg(long, default_value = DEFAULT_CEILING)]
        ceiling: PathBuf,
        /// Fail when a score is below its floor.
        #[arg(long)]
        check: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: OutFormat,
    },
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::create_parent(path)?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

pub fn load_model(path: &Path) -> Result<StaticModel> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the static model {} (build it with `make docs`)", path.display()))?;
    StaticModel::from_bytes(&bytes).with_context(|| path.display().to_string())
}

pub fn load_index(path: &Path) -> Result<DocsIndex> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the docs index {} (build it with `make docs`)", path.display()))?;
    DocsIndex::from_bytes(&bytes).with_context(|| path.display().to_string())
}

/// The evaluation questions of every `.toml` file in `dir`, in name order.
pub fn load_questions(dir: &Path, pages: &[&str]) -> Result<QuestionSet> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        files.push((path.display().to_string(), text));
    }
    parse_questions(&files, pages).map_err(anyhow::Error::msg)
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

pub fn run(command: DocsCommand) -> Result<()> {
    match command {
        DocsCommand::Build { corpus, sitemap, prefix, delay_ms, max_pages, model, out } => {
            let started = Instant::now();
            let (pages, skipped, from) = match (sitemap, prefix) {
                (Some(sitemap), Some(prefix)) => {
                    let options = CrawlOptions { sitemap: sitemap.clone(), prefix, delay: Duration::from_millis(delay_ms), max_pages };
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    let crawled = runtime.block_on(crawl(&options)).map_err(anyhow::Error::msg)?;
                    (crawled.pages, crawled.skipped, format!("{sitemap} ({} requests)", crawled.requests))
                }
                _ => {
                    let dir = corpus.unwrap_or_else(|| PathBuf::from(DEFAULT_CORPUS));
                    let loaded = load_folder(&dir).map_err(anyhow::Error::msg)?;
                    (loaded.pages, loaded.skipped, dir.display().to_string())
                }
            };
            for s in &skipped {
                eprintln!("skipped {s}");
            }
            if pages.is_empty() {
                bail!("no pages to index from {from}");
            }
            let model = if model.exists() {
                Some(load_model(&model)?)
            } else {
                eprintln!("warning: no static model at {}; building BM25 only (run `make docs` for the dense side)", model.display());
                None
            };
            let chunks = chunks_of(&pages);
            let index = DocsIndex::build(chunks, model.as_ref());
            let bytes = index.to_bytes();
            write(&out, &bytes)?;
            eprintln!(
                "wrote {}: {} pages, {} chunks, {}, {} in {:.2}s (from {from})",
                out.display(),
                pages.len(),
                index.chunks.len(),
                if index.has_dense() { "BM25 + dense" } else { "BM25 only" },
                kib(bytes.len()),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        DocsCommand::Search { question, k, format, mode, index, model, no_floor } => {
            let index = load_index(&index)?;
            let model = if model.exists() { Some(load_model(&model)?) } else { None };
            let mode: Mode = mode.into();
            if mode != Mode::Lexical && model.is_none() {
                eprintln!("note: no static model; answering with BM25");
            }
            let floor = if no_floor { None } else { Some(&DOCS_FLOOR) };
            let hits = index.search(&question, k, model.as_ref(), mode, floor);
            match format {
                OutFormat::Json => {
                    let list: Vec<serde_json::Value> = hits
                        .iter()
                        .map(|h| serde_json::json!({ "title": h.chunk.title, "url": h.chunk.url, "score": h.hit.score }))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&list)?);
                }
                OutFormat::Text => {
                    for (i, h) in hits.iter().enumerate() {
                        let cos = h.hit.similarity.map_or("-".to_string(), |s| format!("{s:.3}"));
                        println!(
                            "{}. {:.4} (BM25 {:.2} of best, cosine {cos})  {} — {}  ({})",
                            i + 1,
                            h.hit.score,
                            h.hit.lexical_relevance,
                            h.chunk.title,
                            h.chunk.heading,
                            h.chunk.url
                        );
                    }
                    if hits.is_empty() {
                        println!("nothing in the docs passes the relevance floor");
                    }
                }
            }
            Ok(())
        }
        DocsCommand::Eval { index, model, questions, ceiling, check, format } => eval(&index, &model, &questions, &ceiling, check, format),
        DocsCommand::Bench { index, model, questions, questions_out, db, runs } => {
            let index_bytes = std::fs::read(&index)
                .with_context(|| format!("cannot read the docs index {} (build it with `make docs`)", index.display()))?;
            let model_bytes = std::fs::read(&model)
                .with_context(|| format!("cannot read the static model {} (build it with `make docs`)", model.display()))?;
            let docs_index = DocsIndex::from_bytes(&index_bytes)?;
            let pages: Vec<&str> = docs_index.chunks.iter().map(|c| page_url(&c.url)).collect();
            let set = load_questions(&questions, &pages)?;
            let list: Vec<String> = set.answerable.iter().map(|q| q.question.clone()).chain(set.unanswerable.iter().cloned()).collect();
            if let Some(out) = questions_out {
                write(&out, serde_json::to_string(&list)?.as_bytes())?;
            }
            let conn = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .with_context(|| format!("cannot open {}", db.display()))?;
            let timings =
                usage_copilot::app::docs_bench::run(&index_bytes, &model_bytes, &list, &conn, runs).map_err(anyhow::Error::msg)?;
            // Building the index from the committed corpus (chunking + embedding every chunk).
            let static_model = StaticModel::from_bytes(&model_bytes)?;
            let mut builds = Vec::new();
            for _ in 0..runs.max(1) {
                let started = Instant::now();
                let loaded = load_folder(Path::new(DEFAULT_CORPUS)).map_err(anyhow::Error::msg)?;
                std::hint::black_box(DocsIndex::build(chunks_of(&loaded.pages), Some(&static_model)));
                builds.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            let mut json = serde_json::to_value(&timings)?;
            json["index_build_ms"] = serde_json::json!(usage_copilot::base::clock::median(builds));
            println!("{}", serde_json::to_string_pretty(&json)?);
            Ok(())
        }
    }
}

/// The full MiniLM's scores written by `copilot-model ceiling`.
fn read_ceiling(path: &Path) -> Result<Scores> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {} (`make docs` writes it with copilot-model ceiling)", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a scores file", path.display()))
}

fn eval(index: &Path, model: &Path, questions: &Path, ceiling: &Path, check: bool, format: OutFormat) -> Result<()> {
    let index = load_index(index)?;
    let model = load_model(model)?;
    if !index.dense_ready_for(&model) {
        bail!("the docs index was built with another static model; rebuild it with `make docs`");
    }
    let mut pages: Vec<&str> = index.chunks.iter().map(|c| page_url(&c.url)).collect();
    pages.sort();
    pages.dedup();
    let set = load_questions(questions, &pages)?;
    let ranked = |mode: Mode, floor: bool| {
        let index = &index;
        let model = &model;
        move |q: &str| -> Vec<String> {
            index
                .search(q, 10, Some(model), mode, if floor { Some(&DOCS_FLOOR) } else { None })
                .into_iter()
                .map(|h| h.chunk.url.clone())
                .collect()
        }
    };
    let mut timings = Vec::new();
    let mut all: Vec<Scores> = Vec::new();
    for (name, mode, floor) in [("bm25", Mode::Lexical, false), ("dense", Mode::Dense, false), ("hybrid", Mode::Hybrid, true)] {
        let started = Instant::now();
        all.push(score(name, &set.answerable, ranked(mode, floor)));
        timings.push((name, started.elapsed().as_secs_f64() * 1000.0 / set.answerable.len().max(1) as f64));
    }
    let ceiling = read_ceiling(ceiling).and_then(|c| {
        if c.questions == set.answerable.len() {
            Ok(c)
        } else {
            Err(anyhow!("it scores {} questions, the evaluation has {}; rerun `make docs`", c.questions, set.answerable.len()))
        }
    });
    let leaks: Vec<String> = set
        .unanswerable
        .iter()
        .filter_map(|q| {
            let hits = index.search(q, 4, Some(&model), Mode::Hybrid, Some(&DOCS_FLOOR));
            hits.first().map(|h| format!("{q:?} → {}", h.chunk.url))
        })
        .collect();
    // Floor calibration: the expected page's best chunk for answerable questions, and the
    // strongest chunk for unanswerable ones (BM25 share of the best score, cosine).
    let figures = |q: &str, expected: Option<&str>| -> Option<(f64, f32)> {
        let hits = index.search(q, 10, Some(&model), Mode::Hybrid, None);
        let pick = match expected {
            Some(e) => hits.into_iter().find(|h| page_url(&h.chunk.url) == page_url(e)),
            None => hits.into_iter().max_by(|a, b| a.hit.lexical_relevance.total_cmp(&b.hit.lexical_relevance)),
        };
        pick.map(|h| (h.hit.lexical_relevance, h.hit.similarity.unwrap_or(0.0)))
    };
    let calibration = serde_json::json!({
        "answerable": set.answerable.iter().map(|q| serde_json::json!({"question": q.question, "expected": figures(&q.question, Some(&q.expected_url))})).collect::<Vec<_>>(),
        "unanswerable": set.unanswerable.iter().map(|q| serde_json::json!({"question": q, "strongest": figures(q, None)})).collect::<Vec<_>>(),
        "floor": DOCS_FLOOR,
    });
    let hybrid = all[2].clone();
    let mut failures = Vec::new();
    let floor = |s: &Scores, min: f64, failures: &mut Vec<String>| {
        if s.recall_at_4 < min {
            failures.push(format!("{} recall@4 {:.3} is below its floor {min:.2}", s.method, s.recall_at_4));
        }
    };
    floor(&all[0], BM25_RECALL_FLOOR, &mut failures);
    floor(&all[1], DENSE_RECALL_FLOOR, &mut failures);
    floor(&hybrid, HYBRID_RECALL_FLOOR, &mut failures);
    match &ceiling {
        Ok(c) if hybrid.recall_at_4 < c.recall_at_4 - CEILING_GAP => failures.push(format!(
            "hybrid recall@4 {:.3} is more than {CEILING_GAP} below the MiniLM ceiling {:.3}",
            hybrid.recall_at_4, c.recall_at_4
        )),
        Ok(_) => {}
        Err(e) => failures.push(format!("the MiniLM ceiling could not be read: {e:#}")),
    }
    if !leaks.is_empty() {
        failures.push(format!("{} unanswerable questions passed the relevance floor: {}", leaks.len(), leaks.join("; ")));
    }
    if let Ok(c) = &ceiling {
        all.push(c.clone());
    }
    match format {
        OutFormat::Json => {
            let json = serde_json::json!({
                "questions": set.answerable.len(),
                "unanswerable": set.unanswerable.len(),
                "scores": all,
                "ms_per_query": timings.iter().map(|(n, ms)| (n.to_string(), *ms)).collect::<std::collections::BTreeMap<_, _>>(),
                "unanswerable_leaks": leaks,
                "floor_calibration": calibration,
                "failures": failures,
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        OutFormat::Text => {
            println!(
                "{} questions ({} pages), {} unanswerable; {}",
                set.answerable.len(),
                pages.len(),
                set.unanswerable.len(),
                model.source()
            );
            println!("{:<8} {:>9} {:>7}", "method", "recall@4", "MRR");
            for s in &all {
                println!("{:<8} {:>9.3} {:>7.3}", s.method, s.recall_at_4, s.mrr);
            }
            for (name, ms) in &timings {
                println!("{name}: {ms:.3} ms per query (native)");
            }
            println!("unanswerable questions through the floor: {}", leaks.len());
            for s in all.iter().filter(|s| s.method == "hybrid") {
                for m in &s.misses {
                    println!("  hybrid miss: {m}");
                }
            }
            for f in &failures {
                println!("FAIL: {f}");
            }
        }
    }
    if check && !failures.is_empty() {
        bail!("{} evaluation floor(s) failed", failures.len());
    }
    Ok(())
}

/// `copilot index`: the telemetry index of a database; with `query`, the entities it finds.
pub fn telemetry_index(db: &Path, model: &Path, out: Option<&Path>, query: Option<&str>, k: usize) -> Result<()> {
    let db = UsageDb::open_path(db).with_context(|| format!("cannot open {}", db.display()))?;
    let model = if model.exists() { Some(load_model(model)?) } else { None };
    let started = Instant::now();
    let index = TelemetryIndex::from_db(db.conn(), model.as_ref()).context("reading entities failed")?;
    let build_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Some(out) = out {
        let bytes = index.to_bytes();
        write(out, &bytes)?;
        let mut kinds = std::collections::BTreeMap::new();
        for d in &index.docs {
            *kinds.entry(format!("{:?}", d.kind)).or_insert(0) += 1;
        }
        let kinds: Vec<String> = kinds.into_iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!(
            "wrote {}: {} entities ({}), {}, {}, built in {build_ms:.1} ms",
            out.display(),
            index.docs.len(),
            kinds.join(", "),
            if model.is_some() { "BM25 + dense" } else { "BM25 only" },
            kib(bytes.len())
        );
    }
    if let Some(q) = query {
        let hits = index.search(q, k, model.as_ref());
        let list: Vec<serde_json::Value> =
            hits.iter().map(|(d, s)| serde_json::json!({ "kind": d.kind, "id": d.id, "label": d.label, "score": s })).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    }
    Ok(())
}
