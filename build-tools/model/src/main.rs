//! `copilot-model`: the build-time model tooling, the only package that compiles candle.
//! `distill` turns all-MiniLM-L6-v2 into the static embedding model the browser uses;
//! `ceiling` scores the full MiniLM on the retrieval evaluation, the quality ceiling that
//! `copilot docs eval --check` compares hybrid retrieval against.

mod distill;
mod minilm;
mod pca;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use usage_copilot::retrieval::dense::dot;
use usage_copilot::retrieval::eval::{cap_per_page, parse_questions, score};
use usage_copilot::retrieval::index::page_url;
use usage_copilot::retrieval::DocsIndex;

use minilm::MiniLm;

const DEFAULT_TEACHER: &str = ".cache/models/all-MiniLM-L6-v2";

#[derive(Parser)]
#[command(name = "copilot-model", about = "Databricks Usage Copilot: build-time model tooling", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Distil the static embedding model from all-MiniLM-L6-v2.
    Distill {
        /// Folder with model.safetensors, config.json and vocab.txt.
        #[arg(long, default_value = DEFAULT_TEACHER)]
        teacher: PathBuf,
        #[arg(long, default_value = "public/docs/static-model.bin")]
        out: PathBuf,
        /// Dimensions kept by PCA.
        #[arg(long, default_value_t = 256)]
        dims: usize,
    },
    /// Score the full MiniLM (recall@4, MRR) on the evaluation questions over the chunks of
    /// a docs index, as JSON for `copilot docs eval --ceiling`.
    Ceiling {
        #[arg(long, default_value = DEFAULT_TEACHER)]
        teacher: PathBuf,
        #[arg(long, default_value = "public/docs/docs-index.bin")]
        index: PathBuf,
        #[arg(long, default_value = "build-tools/docs-corpus/eval")]
        questions: PathBuf,
        #[arg(long, default_value = "target/docs/minilm-ceiling.json")]
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

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Distill { teacher, out, dims } => {
            let started = Instant::now();
            let teacher = MiniLm::load(&teacher).map_err(anyhow::Error::msg)?;
            let mut last = 0;
            let distilled = distill::distill(&teacher, dims, |done, total| {
                if done * 10 / total > last {
                    last = done * 10 / total;
                    eprintln!("distilling: {done}/{total} tokens through MiniLM ({:.0}s)", started.elapsed().as_secs_f64());
                }
            })
            .map_err(anyhow::Error::msg)?;
            let bytes = distilled.model.to_bytes();
            write(&out, &bytes)?;
            eprintln!(
                "wrote {}: {} tokens × {} dims, {:.1}% variance kept, {} ({:.1} MiB), teacher {:.1}s, total {:.1}s, fingerprint {}",
                out.display(),
                distilled.tokens,
                distilled.dims,
                distilled.explained_variance * 100.0,
                distilled.model.source(),
                bytes.len() as f64 / 1048576.0,
                distilled.teacher_seconds,
                distilled.total_seconds,
                distilled.model.fingerprint()
            );
            Ok(())
        }
        Command::Ceiling { teacher, index, questions, out } => {
            let started = Instant::now();
            let bytes = std::fs::read(&index).with_context(|| format!("cannot read the docs index {}", index.display()))?;
            let index = DocsIndex::from_bytes(&bytes)?;
            let mut pages: Vec<&str> = index.chunks.iter().map(|c| page_url(&c.url)).collect();
            pages.sort();
            pages.dedup();
            let mut paths: Vec<PathBuf> = std::fs::read_dir(&questions)
                .with_context(|| format!("cannot read {}", questions.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            paths.sort();
            let mut files = Vec::new();
            for path in paths {
                files.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?,
                ));
            }
            let set = parse_questions(&files, &pages).map_err(anyhow::Error::msg)?;
            let teacher = MiniLm::load(&teacher).map_err(anyhow::Error::msg)?;
            let texts: Vec<String> = index.chunks.iter().map(|c| format!("{}. {}. {}", c.title, c.heading, c.text)).collect();
            let chunk_vectors = teacher.embed(&texts).map_err(anyhow::Error::msg)?;
            let question_texts: Vec<String> = set.answerable.iter().map(|q| q.question.clone()).collect();
            let question_vectors = teacher.embed(&question_texts).map_err(anyhow::Error::msg)?;
            let mut by_question = std::collections::HashMap::new();
            for (q, v) in question_texts.iter().zip(&question_vectors) {
                let mut order: Vec<(usize, f32)> = chunk_vectors.iter().enumerate().map(|(i, c)| (i, dot(v, c))).collect();
                order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                by_question.insert(q.clone(), cap_per_page(order.into_iter().map(|(i, _)| index.chunks[i].url.clone()).collect()));
            }
            let scores = score("minilm", &set.answerable, |q| by_question.get(q).cloned().unwrap_or_default());
            write(&out, serde_json::to_string_pretty(&scores)?.as_bytes())?;
            eprintln!(
                "wrote {}: MiniLM recall@4 {:.3}, MRR {:.3} on {} questions in {:.1}s",
                out.display(),
                scores.recall_at_4,
                scores.mrr,
                scores.questions,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}
