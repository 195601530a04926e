//! `copilot eval`: runs a suite of asks (a TOML file; `eval/default.toml` by default)
//! against the offline narratives, copilot-proxy or an OpenAI-compatible server, checks
//! every answer with the page's checks, and writes a scorecard — per answer and in total:
//! numbers, ungrounded, unknown and unsupported citations, coverage, declining when
//! unanswerable, first-token and total time, tokens, finish reason — as JSON and Markdown,
//! with a diff against a previous scorecard (model A vs B, prompt v1 vs v2).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use usage_copilot::app::session::{DocsAssets, Session};
use usage_copilot::copilot::evidence::EvidenceBudget;
use usage_copilot::copilot::llm_stream::is_cut;
use usage_copilot::copilot::prompt::current_system_prompt;
use usage_copilot::copilot::tokens;
use usage_copilot::copilot::{offered_chips, Ask};
use usage_copilot::report::selection::find_selection;
use usage_copilot::report::{registry, EntityRef, ReportResult};
use usage_copilot::retrieval::{DocsIndex, StaticModel};

use crate::ask::{call, checked, CallOptions, Endpoint};

/// The default suite, built into the binary.
pub const DEFAULT_SUITE: &str = include_str!("../../../eval/default.toml");

/// The scorecard format id.
pub const SCORECARD_FORMAT: &str = "usage-copilot-scorecard@1";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    name: String,
    #[serde(rename = "case")]
    cases: Vec<CaseSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    id: Option<String>,
    report: String,
    entity: String,
    chip: Option<String>,
    /// `"offered"`: every chip the selection is offered.
    chips: Option<String>,
    question: Option<String>,
    grounded: Option<bool>,
    covered: Option<bool>,
    /// The question is unanswerable: the answer must decline it.
    declined: Option<bool>,
    #[serde(default)]
    contains: Vec<String>,
}

/// One ask of the suite, expanded.
struct Case {
    id: String,
    report: String,
    entity: String,
    ask: Ask,
    grounded: bool,
    covered: bool,
    declined: bool,
    contains: Vec<String>,
}

/// How the suite is answered.
pub enum Answerer {
    Offline,
    Llm(Endpoint, CallOptions),
}

/// Everything `copilot eval` needs besides the answerer.
pub struct EvalInput {
    pub suite_text: String,
    pub db: Option<PathBuf>,
    pub docs_index: PathBuf,
    pub embedding_model: PathBuf,
    pub budget: EvidenceBudget,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CaseScore {
    pub id: String,
    pub report: String,
    pub entity: String,
    /// `job.why_failing@1` or `question: …`.
    pub ask: String,
    pub unanswerable: bool,
    pub numbers: usize,
    pub grounded: usize,
    pub derived: usize,
    pub ungrounded: usize,
    pub unsupported: usize,
    pub ungrounded_numbers: Vec<String>,
    pub unsupported_numbers: Vec<String>,
    pub unknown_citations: Vec<String>,
    pub uncited_sentences: usize,
    pub no_citations: bool,
    pub comparisons_unsupported: usize,
    pub coverage_declared: usize,
    pub coverage_met: usize,
    pub coverage_missing: Vec<String>,
    pub declined: bool,
    pub first_token_ms: Option<f64>,
    pub total_ms: Option<f64>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// The token counts are estimates (the server reported none, or offline).
    pub tokens_estimated: bool,
    pub evidence_tokens: usize,
    pub trimmed: usize,
    pub finish_reason: Option<String>,
    pub error: Option<String>,
    pub pass: bool,
    pub failures: Vec<String>,
}

/// Reads a suite and expands `chips = "offered"`.
fn expand(suite: &Suite, session: &Session, results: &mut BTreeMap<String, ReportResult>) -> Result<Vec<Case>> {
    let mut out = Vec::new();
    for spec in &suite.cases {
        let report = registry().get(&spec.report).ok_or_else(|| anyhow!("suite: there is no report {:?}", spec.report))?;
        if !results.contains_key(&spec.report) {
            results.insert(spec.report.clone(), session.run_report(&spec.report, None, &Default::default())?);
        }
        let entity = EntityRef::parse(&spec.entity).ok_or_else(|| anyhow!("suite: entity {:?} is not TYPE:ID", spec.entity))?;
        let selection = find_selection(&report.spec, &results[&spec.report], &entity)
            .ok_or_else(|| anyhow!("suite: {} is not in report {}", spec.entity, spec.report))?;
        let asks: Vec<(String, Ask)> = match (&spec.chip, &spec.chips, &spec.question) {
            (Some(c), None, None) => vec![(format!("{}/{}/{c}", spec.report, spec.entity), Ask::chip(c))],
            (None, Some(all), None) if all == "offered" => offered_chips(&report.spec, &selection)
                .iter()
                .map(|c| (format!("{}/{}/{}", spec.report, spec.entity, c.id), Ask::chip(&c.id)))
                .collect(),
            (None, None, Some(q)) => vec![(format!("{}/{}/question", spec.report, spec.entity), Ask::question(q))],
            _ => bail!("suite case {}/{}: give one of chip, chips = \"offered\" or question", spec.report, spec.entity),
        };
        let single = asks.len() == 1;
        for (id, ask) in asks {
            out.push(Case {
                id: match (&spec.id, single) {
                    (Some(own), true) => own.clone(),
                    (Some(own), false) => format!("{own}/{}", id.rsplit('/').next().unwrap_or_default()),
                    (None, _) => id,
                },
                report: spec.report.clone(),
                entity: spec.entity.clone(),
                ask,
                grounded: spec.grounded.unwrap_or(true),
                covered: spec.covered.unwrap_or(true),
                declined: spec.declined.unwrap_or(false),
                contains: spec.contains.clone(),
            });
        }
    }
    Ok(out)
}

fn open_db(path: Option<&Path>) -> Result<Session> {
    let default = PathBuf::from("public/data/usage_rag_data.db");
    match path {
        Some(p) => crate::open_session(p),
        None if default.exists() => crate::open_session(&default),
        None => {
            // No seeded file yet (a fresh clone): the same seeded database, in memory.
            let conn = rusqlite::Connection::open_in_memory()?;
            usage_copilot::data::seed::generate(&conn, &usage_copilot::data::seed::SeedConfig::default())?;
            let db = usage_copilot::data::db::UsageDb::from_connection(conn, 0)?;
            Ok(Session::open("Seeded demo data (in memory)", db)?)
        }
    }
}

/// Runs the suite; returns the scorecard JSON.
pub fn run(input: &EvalInput, answerer: &Answerer) -> Result<Value> {
    let suite: Suite = toml::from_str(&input.suite_text).context("the suite is not valid")?;
    let session = open_db(input.db.as_deref())?;
    let docs = if input.docs_index.exists() { Some(crate::docs::load_index(&input.docs_index)?) } else { None };
    let model: Option<StaticModel> =
        if docs.is_some() && input.embedding_model.exists() { Some(crate::docs::load_model(&input.embedding_model)?) } else { None };
    let docs: Option<DocsIndex> = docs;
    let mut results = BTreeMap::new();
    let cases = expand(&suite, &session, &mut results)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut scores = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let report = registry().get(&case.report).expect("checked");
        let result = &results[&case.report];
        let selection = find_selection(&report.spec, result, &EntityRef::parse(&case.entity).expect("checked")).expect("checked");
        let assets = DocsAssets { index: docs.as_ref(), model: model.as_ref() };
        let prepared = session.prepare_within(&report.spec, result, &selection, &case.ask, assets, &input.budget)?.prepared;
        let prompt_estimate: u64 = prepared.messages.iter().map(|m| tokens::estimate(&m.content) as u64).sum();
        let mut score = CaseScore {
            id: case.id.clone(),
            report: case.report.clone(),
            entity: case.entity.clone(),
            ask: match &case.ask {
                Ask::Chip(_) => prepared.chip.clone().unwrap_or_default(),
                Ask::Question(q) => format!("question: {q}"),
            },
            unanswerable: case.declined,
            evidence_tokens: prepared.evidence.tokens(),
            trimmed: prepared.evidence.trimmed.len(),
            ..CaseScore::default()
        };
        let text = match answerer {
            Answerer::Offline => {
                score.prompt_tokens = prompt_estimate;
                score.tokens_estimated = true;
                prepared.offline_answer.clone()
            }
            Answerer::Llm(endpoint, options) => {
                eprintln!("[{}/{}] {}", n + 1, cases.len(), case.id);
                let outcome = runtime.block_on(call(endpoint, &prepared.messages, options, |_| {}));
                score.first_token_ms = outcome.first_token_ms;
                score.total_ms = Some(outcome.total_ms);
                score.finish_reason = outcome.finish_reason.clone();
                score.error = outcome.error.clone();
                match outcome.usage {
                    Some(u) => {
                        score.prompt_tokens = u.prompt_tokens;
                        score.completion_tokens = u.completion_tokens;
                    }
                    None => {
                        score.prompt_tokens = prompt_estimate;
                        score.completion_tokens = tokens::estimate(&outcome.text) as u64;
                        score.tokens_estimated = true;
                    }
                }
                outcome.text
            }
        };
        let c = checked(&prepared, &text).check;
        if score.completion_tokens == 0 {
            score.completion_tokens = tokens::estimate(&text) as u64;
        }
        score.numbers = c.total();
        score.grounded = c.grounded();
        score.derived = c.derived();
        score.ungrounded = c.ungrounded();
        score.unsupported = c.unsupported();
        score.ungrounded_numbers = c.ungrounded_texts().into_iter().map(String::from).collect();
        score.unsupported_numbers = c.unsupported_texts().into_iter().map(String::from).collect();
        score.unknown_citations = c.unknown();
        score.uncited_sentences = c.uncited.len();
        score.no_citations = c.no_citations;
        score.comparisons_unsupported = c.unsupported_comparisons();
        score.coverage_declared = c.coverage_declared();
        score.coverage_met = c.coverage_met();
        score.coverage_missing = c.coverage_missing().into_iter().map(String::from).collect();
        score.declined = c.declined;
        let mut failures = Vec::new();
        if case.grounded && !c.clean() {
            failures.push(format!("not grounded: {}", c.summary()));
        }
        if case.covered && !score.coverage_missing.is_empty() {
            failures.push(format!("does not cover {}", score.coverage_missing.join("; ")));
        }
        if case.declined && !c.declined {
            failures.push("answers a question the evidence cannot answer (did not decline)".into());
        }
        for want in &case.contains {
            if !text.contains(want.as_str()) {
                failures.push(format!("does not contain {want:?}"));
            }
        }
        if is_cut(score.finish_reason.as_deref()) {
            failures.push("cut at the token limit".into());
        }
        if let Some(e) = &score.error {
            failures.push(format!("incomplete: {e}"));
        }
        score.pass = failures.is_empty();
        score.failures = failures;
        scores.push(score);
    }
    let model_name = match answerer {
        Answerer::Offline => "offline narrative".to_string(),
        Answerer::Llm(endpoint, _) => endpoint.describe(),
    };
    let temperature = match answerer {
        Answerer::Offline => Value::Null,
        Answerer::Llm(_, o) => json!(o.temperature),
    };
    Ok(json!({
        "format": SCORECARD_FORMAT,
        "suite": suite.name,
        "model": model_name,
        "system_prompt": current_system_prompt().id,
        "temperature": temperature,
        "evidence_token_budget": input.budget.max_tokens,
        "retrieval": match (&docs, &model) { (Some(_), Some(_)) => "hybrid", (Some(_), None) => "BM25", _ => "no docs index" },
        "totals": totals(&scores),
        "cases": scores,
    }))
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    Some(xs[xs.len() / 2])
}

fn totals(scores: &[CaseScore]) -> Value {
    let sum = |f: &dyn Fn(&CaseScore) -> usize| scores.iter().map(f).sum::<usize>();
    let first: Vec<f64> = scores.iter().filter_map(|s| s.first_token_ms).collect();
    let total: Vec<f64> = scores.iter().filter_map(|s| s.total_ms).collect();
    json!({
        "cases": scores.len(),
        "passed": sum(&|s| usize::from(s.pass)),
        "failed": sum(&|s| usize::from(!s.pass)),
        "numbers": sum(&|s| s.numbers),
        "grounded": sum(&|s| s.grounded),
        "derived": sum(&|s| s.derived),
        "ungrounded": sum(&|s| s.ungrounded),
        "unsupported": sum(&|s| s.unsupported),
        "unknown_citations": sum(&|s| s.unknown_citations.len()),
        "uncited_sentences": sum(&|s| s.uncited_sentences),
        "answers_without_citations": sum(&|s| usize::from(s.no_citations)),
        "comparisons_unsupported": sum(&|s| s.comparisons_unsupported),
        "coverage_declared": sum(&|s| s.coverage_declared),
        "coverage_met": sum(&|s| s.coverage_met),
        "unanswerable": sum(&|s| usize::from(s.unanswerable)),
        "declined_when_unanswerable": sum(&|s| usize::from(s.unanswerable && s.declined)),
        "cut_at_token_limit": sum(&|s| usize::from(is_cut(s.finish_reason.as_deref()))),
        "errors": sum(&|s| usize::from(s.error.is_some())),
        "first_token_ms": { "median": median(first.clone()), "max": first.iter().cloned().fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))) },
        "total_ms": { "median": median(total.clone()), "sum": if total.is_empty() { None } else { Some(total.iter().sum::<f64>()) } },
        "prompt_tokens": scores.iter().map(|s| s.prompt_tokens).sum::<u64>(),
        "completion_tokens": scores.iter().map(|s| s.completion_tokens).sum::<u64>(),
        "tokens_estimated": scores.iter().any(|s| s.tokens_estimated),
        "evidence_tokens_max": scores.iter().map(|s| s.evidence_tokens).max().unwrap_or(0),
        "trimmed": sum(&|s| s.trimmed),
    })
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::Number(n) => match n.as_f64() {
            Some(x) if n.is_f64() => format!("{x:.0}"),
            _ => n.to_string(),
        },
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The totals that a diff compares, in order.
const DIFFED: &[&str] = &[
    "passed",
    "failed",
    "numbers",
    "grounded",
    "ungrounded",
    "unsupported",
    "unknown_citations",
    "uncited_sentences",
    "answers_without_citations",
    "comparisons_unsupported",
    "coverage_met",
    "declined_when_unanswerable",
    "cut_at_token_limit",
    "errors",
    "prompt_tokens",
    "completion_tokens",
];

fn flat(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

/// The diff of `now` against `before`: totals side by side, and the cases whose verdict changed.
pub fn diff(before: &Value, now: &Value) -> Value {
    let (tb, tn) = (&before["totals"], &now["totals"]);
    let mut rows = Vec::new();
    for key in DIFFED {
        let (a, b) = (flat(tb, key), flat(tn, key));
        rows.push(json!({ "metric": key, "before": a, "now": b, "change": a.zip(b).map(|(a, b)| b - a) }));
    }
    for (key, sub) in [("first_token_ms", "median"), ("total_ms", "median")] {
        let (a, b) = (tb[key][sub].as_f64(), tn[key][sub].as_f64());
        rows.push(json!({ "metric": format!("{key} ({sub})"), "before": a, "now": b, "change": a.zip(b).map(|(a, b)| b - a) }));
    }
    let index = |v: &Value| -> BTreeMap<String, Value> {
        v["cases"].as_array().into_iter().flatten().map(|c| (c["id"].as_str().unwrap_or_default().to_string(), c.clone())).collect()
    };
    let (ib, inow) = (index(before), index(now));
    let mut changed = Vec::new();
    for (id, c) in &inow {
        match ib.get(id) {
            None => changed.push(json!({ "id": id, "change": "new case" })),
            Some(b) => {
                let fields = ["pass", "ungrounded", "unsupported", "coverage_met", "declined"];
                let moved: Vec<String> =
                    fields.iter().filter(|f| b[**f] != c[**f]).map(|f| format!("{f} {} → {}", show(&b[*f]), show(&c[*f]))).collect();
                let unknown = (b["unknown_citations"] != c["unknown_citations"])
                    .then(|| format!("unknown citations {} → {}", b["unknown_citations"], c["unknown_citations"]));
                let all: Vec<String> = moved.into_iter().chain(unknown).collect();
                if !all.is_empty() {
                    changed.push(json!({ "id": id, "change": all.join("; ") }));
                }
            }
        }
    }
    for id in ib.keys().filter(|id| !inow.contains_key(*id)) {
        changed.push(json!({ "id": id, "change": "no longer in the suite" }));
    }
    json!({ "before": { "model": before["model"], "system_prompt": before["system_prompt"] }, "now": { "model": now["model"], "system_prompt": now["system_prompt"] }, "totals": rows, "cases": changed })
}

/// The scorecard as Markdown (with its diff, when given).
pub fn to_markdown(card: &Value, diff: Option<&Value>) -> String {
    let t = &card["totals"];
    let mut md = format!(
        "# Scorecard: suite {}, {}\n\nSystem prompt `{}` · temperature {} · evidence budget {} tokens · retrieval {}\n\n",
        show(&card["suite"]),
        show(&card["model"]),
        show(&card["system_prompt"]),
        show(&card["temperature"]),
        show(&card["evidence_token_budget"]),
        show(&card["retrieval"]),
    );
    md.push_str("## Totals\n\n| metric | value |\n|---|---|\n");
    for (label, value) in [
        ("answers", show(&t["cases"])),
        ("passed / failed", format!("{} / {}", show(&t["passed"]), show(&t["failed"]))),
        ("numbers checked", show(&t["numbers"])),
        ("grounded (derived)", format!("{} ({})", show(&t["grounded"]), show(&t["derived"]))),
        ("ungrounded", show(&t["ungrounded"])),
        ("unsupported by their citation", show(&t["unsupported"])),
        ("unknown citations", show(&t["unknown_citations"])),
        ("sentences with numbers and no citation", show(&t["uncited_sentences"])),
        ("answers without any citation", show(&t["answers_without_citations"])),
        ("unsupported ranking claims", show(&t["comparisons_unsupported"])),
        ("coverage met / declared", format!("{} / {}", show(&t["coverage_met"]), show(&t["coverage_declared"]))),
        ("declined when unanswerable", format!("{} / {}", show(&t["declined_when_unanswerable"]), show(&t["unanswerable"]))),
        ("cut at the token limit", show(&t["cut_at_token_limit"])),
        ("errors", show(&t["errors"])),
        ("first token, median / max (ms)", format!("{} / {}", show(&t["first_token_ms"]["median"]), show(&t["first_token_ms"]["max"]))),
        ("total time, median / sum (ms)", format!("{} / {}", show(&t["total_ms"]["median"]), show(&t["total_ms"]["sum"]))),
        (
            "tokens, prompt / answer",
            format!(
                "{} / {}{}",
                show(&t["prompt_tokens"]),
                show(&t["completion_tokens"]),
                if t["tokens_estimated"].as_bool() == Some(true) { " (estimated)" } else { "" }
            ),
        ),
        ("evidence tokens, largest prompt", show(&t["evidence_tokens_max"])),
        ("evidence items trimmed to fit", show(&t["trimmed"])),
    ] {
        md.push_str(&format!("| {label} | {value} |\n"));
    }
    md.push_str("\n## Answers\n\n| answer | numbers | ungrounded | unsupported | unknown cit. | uncited | coverage | declined | first token ms | total ms | tokens in/out | finish | pass |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for c in card["cases"].as_array().into_iter().flatten() {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {}/{} | {} | {} | {} | {}/{} | {} | {} |\n",
            show(&c["id"]),
            show(&c["numbers"]),
            show(&c["ungrounded"]),
            show(&c["unsupported"]),
            c["unknown_citations"].as_array().map_or(0, Vec::len),
            show(&c["uncited_sentences"]),
            show(&c["coverage_met"]),
            show(&c["coverage_declared"]),
            if c["unanswerable"].as_bool() == Some(true) { show(&c["declined"]) } else { "–".into() },
            show(&c["first_token_ms"]),
            show(&c["total_ms"]),
            show(&c["prompt_tokens"]),
            show(&c["completion_tokens"]),
            show(&c["finish_reason"]),
            if c["pass"].as_bool() == Some(true) { "✓" } else { "✗" },
        ));
    }
    let failing: Vec<&Value> = card["cases"].as_array().into_iter().flatten().filter(|c| c["pass"].as_bool() != Some(true)).collect();
    if !failing.is_empty() {
        md.push_str("\n## Failures\n\n");
        for c in failing {
            let reasons: Vec<String> = c["failures"].as_array().into_iter().flatten().map(show).collect();
            md.push_str(&format!("- **{}**: {}\n", show(&c["id"]), reasons.join("; ")));
        }
    }
    if let Some(d) = diff {
        md.push_str(&format!(
            "\n## Diff against {} ({})\n\n| metric | before | now | change |\n|---|---|---|---|\n",
            show(&d["before"]["model"]),
            show(&d["before"]["system_prompt"])
        ));
        for r in d["totals"].as_array().into_iter().flatten() {
            let change = match r["change"].as_f64() {
                Some(x) if x > 0.0 => format!("+{x:.0}"),
                Some(x) => format!("{x:.0}"),
                None => "–".into(),
            };
            md.push_str(&format!("| {} | {} | {} | {change} |\n", show(&r["metric"]), show(&r["before"]), show(&r["now"])));
        }
        let cases: Vec<&Value> = d["cases"].as_array().into_iter().flatten().collect();
        if cases.is_empty() {
            md.push_str("\nNo answer changed its verdict.\n");
        } else {
            md.push_str("\nAnswers that changed:\n\n");
            for c in cases {
                md.push_str(&format!("- {}: {}\n", show(&c["id"]), show(&c["change"])));
            }
        }
    }
    md
}

/// Writes `scorecard.json` and `scorecard.md` (and `diff.json`) into `dir`.
pub fn write(dir: &Path, card: &Value, diff: Option<&Value>) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("scorecard.json"), serde_json::to_string_pretty(card)? + "\n")?;
    std::fs::write(dir.join("scorecard.md"), to_markdown(card, diff))?;
    if let Some(d) = diff {
        std::fs::write(dir.join("diff.json"), serde_json::to_string_pretty(d)? + "\n")?;
    }
    Ok(())
}

/// Reads a previous scorecard.
pub fn read(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: Value = serde_json::from_str(&text).with_context(|| format!("{} is not a scorecard", path.display()))?;
    if v["format"] != SCORECARD_FORMAT {
        bail!("{} is not a {SCORECARD_FORMAT} scorecard", path.display());
    }
    Ok(v)
}

/// The default first-token timeout of `copilot ask` and `copilot eval`.
pub const FIRST_TOKEN_SECS: f64 = 300.0;

pub fn call_options(temperature: f64, max_tokens: u32, first_token_secs: f64) -> CallOptions {
    CallOptions {
        temperature,
        max_tokens,
        first_token_timeout: Duration::from_secs_f64(first_token_secs),
        idle_timeout: Duration::from_secs(60),
    }
}
