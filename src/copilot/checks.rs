//! The checks every answer gets, offline narrative or LLM, the same in the page, in
//! `copilot ask` and in `copilot eval`: claims, not only values.
//!
//! - **Numbers** (`grounding` finds them, ranges included): a number is *grounded* when
//!   the evidence has it for what the sentence says it is — the words next to it (its
//!   label or unit: "of job spend", "success rate", "runs", "min") must agree with the
//!   words of the evidence clause it comes from — and, when the sentence cites `[T…]`,
//!   `[G…]` or `[D…]`, in the cited evidence. A number in the evidence under another label
//!   is *ungrounded* ("62.50% of job spend" when 62.50% is the success rate); one that is
//!   in the evidence but not in what its sentence cites is *unsupported*; in an
//!   "Inference:" sentence a number computed from others (`27 / 72 = 37.5%`) is *derived*.
//!   Numbers of the prompt's own lines (range, selection, question) are always grounded.
//!   The system prompt is never evidence.
//! - **Citations**: every cited id must name evidence that exists (*unknown* otherwise).
//! - **Comparisons**: "the most expensive job", "ranks first" need a ranking in the evidence.
//! - **Sentences with a number and no citation**, and an answer with no citation at all.
//! - **Coverage**: what the chip declares an answer must cover (`covers` in its template).
//! - **Declined**: whether the answer says the evidence does not answer the question.
//!
//! Every finding carries byte positions in the answer, so the page marks the exact token.

use serde::Serialize;

use crate::base::format::{thousands, usd};
use crate::copilot::chips::{ChipTemplate, Cover, CoverSignal};
use crate::copilot::citations::{self, SOURCES_HEADING};
use crate::copilot::evidence::{Evidence, Topic};
use crate::copilot::grounding::{agrees, scan, NumberToken, Scanned};
use crate::copilot::prompt::Message;

/// What a number claim is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In the evidence, for what the sentence says, and in what it cites.
    Grounded,
    /// Computed in an "Inference:" sentence from the numbers before it.
    Derived,
    /// Not in the evidence, or there under another label.
    Ungrounded,
    /// In the evidence, but not in the facts its sentence cites.
    Unsupported,
}

/// One number (or range) of an answer and its verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NumberVerdict {
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub status: Status,
    /// The ids its sentence cites.
    pub cited: Vec<String>,
    /// Where the evidence has it (ids; "context" for the prompt's own lines).
    pub found_in: Vec<String>,
    /// Why, in words, when it is not grounded.
    pub note: String,
}

/// One citation of an answer and the ids it names that do not exist.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CitationVerdict {
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub ids: Vec<String>,
    pub unknown: Vec<String>,
}

/// A ranking claim ("the most expensive job") and whether the evidence ranks it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparisonVerdict {
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub supported: bool,
}

/// A sentence of the answer (byte range and text).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SentenceSpan {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// One item a chip declares an answer must cover.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoverageItem {
    pub what: String,
    /// "covered", "missing", or "not applicable" (the evidence has nothing for it).
    pub status: String,
}

/// Everything the checks found in one answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AnswerCheck {
    pub numbers: Vec<NumberVerdict>,
    pub citations: Vec<CitationVerdict>,
    pub comparisons: Vec<ComparisonVerdict>,
    /// Sentences that state a number (not from the prompt's own lines) and cite nothing.
    pub uncited: Vec<SentenceSpan>,
    /// The answer cites no evidence at all (and does not decline).
    pub no_citations: bool,
    pub coverage: Vec<CoverageItem>,
    /// The answer says the evidence does not answer the question.
    pub declined: bool,
}

/// What a mark in the rendered answer stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    Ungrounded,
    Unsupported,
    UnknownCitation,
    Comparison,
}

impl MarkKind {
    /// The CSS class of the mark.
    pub fn class(self) -> &'static str {
        match self {
            MarkKind::Ungrounded => "ungrounded",
            MarkKind::Unsupported => "unsupported",
            MarkKind::UnknownCitation => "unknown-citation",
            MarkKind::Comparison => "ungrounded comparison",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            MarkKind::Ungrounded => "This number is not in the evidence (for what the sentence says it is)",
            MarkKind::Unsupported => "This number is in the evidence, but not in the facts its sentence cites",
            MarkKind::UnknownCitation => "This citation names evidence that does not exist",
            MarkKind::Comparison => "The evidence does not rank it so",
        }
    }
}

/// A span of the answer to mark, by byte offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    pub start: usize,
    pub end: usize,
    pub kind: MarkKind,
}

impl AnswerCheck {
    fn count(&self, status: Status) -> usize {
        self.numbers.iter().filter(|n| n.status == status).count()
    }

    pub fn total(&self) -> usize {
        self.numbers.len()
    }

    /// Grounded numbers, derived ones included.
    pub fn grounded(&self) -> usize {
        self.count(Status::Grounded) + self.count(Status::Derived)
    }

    pub fn derived(&self) -> usize {
        self.count(Status::Derived)
    }

    pub fn ungrounded(&self) -> usize {
        self.count(Status::Ungrounded)
    }

    pub fn unsupported(&self) -> usize {
        self.count(Status::Unsupported)
    }

    /// The ungrounded numbers as written.
    pub fn ungrounded_texts(&self) -> Vec<&str> {
        self.numbers.iter().filter(|n| n.status == Status::Ungrounded).map(|n| n.text.as_str()).collect()
    }

    pub fn unsupported_texts(&self) -> Vec<&str> {
        self.numbers.iter().filter(|n| n.status == Status::Unsupported).map(|n| n.text.as_str()).collect()
    }

    /// Cited ids that exist, each once, in order.
    pub fn used(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.citations {
            for id in c.ids.iter().filter(|id| !c.unknown.contains(id)) {
                if !out.contains(id) {
                    out.push(id.clone());
                }
            }
        }
        out
    }

    /// Cited ids that do not exist, each once, in order.
    pub fn unknown(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in self.citations.iter().flat_map(|c| &c.unknown) {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
        out
    }

    pub fn unsupported_comparisons(&self) -> usize {
        self.comparisons.iter().filter(|c| !c.supported).count()
    }

    pub fn coverage_missing(&self) -> Vec<&str> {
        self.coverage.iter().filter(|c| c.status == "missing").map(|c| c.what.as_str()).collect()
    }

    pub fn coverage_met(&self) -> usize {
        self.coverage.iter().filter(|c| c.status == "covered").count()
    }

    pub fn coverage_declared(&self) -> usize {
        self.coverage.iter().filter(|c| c.status != "not applicable").count()
    }

    /// Nothing to flag: no ungrounded or unsupported number, no unknown citation, no
    /// unsupported comparison.
    pub fn clean(&self) -> bool {
        self.ungrounded() == 0 && self.unsupported() == 0 && self.unknown().is_empty() && self.unsupported_comparisons() == 0
    }

    /// The spans the page marks, in order, never overlapping.
    pub fn marks(&self) -> Vec<Mark> {
        let mut marks: Vec<Mark> = Vec::new();
        for n in &self.numbers {
            let kind = match n.status {
                Status::Ungrounded => MarkKind::Ungrounded,
                Status::Unsupported => MarkKind::Unsupported,
                _ => continue,
            };
            marks.push(Mark { start: n.start, end: n.end, kind });
        }
        for c in self.citations.iter().filter(|c| !c.unknown.is_empty()) {
            marks.push(Mark { start: c.start, end: c.end, kind: MarkKind::UnknownCitation });
        }
        for c in self.comparisons.iter().filter(|c| !c.supported) {
            marks.push(Mark { start: c.start, end: c.end, kind: MarkKind::Comparison });
        }
        marks.sort_by_key(|m| (m.start, m.end));
        let mut out: Vec<Mark> = Vec::new();
        for m in marks {
            if out.last().is_none_or(|last| m.start >= last.end) {
                out.push(m);
            }
        }
        out
    }

    /// One line for the page and the CLI.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.total() == 0 {
            parts.push("No numbers to check.".to_string());
        } else if self.ungrounded() == 0 && self.unsupported() == 0 {
            let derived = if self.derived() > 0 { format!(" ({} derived in an Inference)", self.derived()) } else { String::new() };
            parts.push(format!("All {} numbers match the evidence{derived}.", self.total()));
        } else {
            let mut bad = Vec::new();
            if self.ungrounded() > 0 {
                bad.push(format!("{} not in the evidence", self.ungrounded()));
            }
            if self.unsupported() > 0 {
                bad.push(format!("{} not in the facts they cite", self.unsupported()));
            }
            parts.push(format!(
                "{} of {} numbers are {} (marked).",
                self.ungrounded() + self.unsupported(),
                self.total(),
                bad.join(" and ")
            ));
        }
        let unknown = self.unknown();
        if !unknown.is_empty() {
            let list: Vec<String> = unknown.iter().map(|id| format!("[{id}]")).collect();
            parts.push(format!("Unknown citation{}: {}.", if unknown.len() == 1 { "" } else { "s" }, list.join(", ")));
        }
        if self.unsupported_comparisons() > 0 {
            parts.push(format!("{} ranking claim(s) the evidence does not make.", self.unsupported_comparisons()));
        }
        if self.no_citations {
            parts.push("This answer cites no evidence.".to_string());
        } else if !self.uncited.is_empty() {
            parts.push(format!("{} sentence(s) with numbers cite no evidence.", self.uncited.len()));
        }
        let missing = self.coverage_missing();
        if !missing.is_empty() {
            parts.push(format!("Does not cover: {}.", missing.join("; ")));
        }
        parts.join(" ")
    }

    /// The JSON `copilot ask --format json` prints for the checks.
    pub fn to_json(&self) -> serde_json::Value {
        let unsupported: Vec<serde_json::Value> = self
            .numbers
            .iter()
            .filter(|n| n.status == Status::Unsupported)
            .map(|n| serde_json::json!({ "text": n.text, "cited": n.cited, "found_in": n.found_in }))
            .collect();
        serde_json::json!({
            "grounding": { "numbers": self.numbers, "ungrounded": self.ungrounded_texts() },
            "citations": { "used": self.used(), "unknown": self.unknown(), "unsupported": unsupported },
            "coverage": {
                "declared": self.coverage_declared(),
                "met": self.coverage_met(),
                "missing": self.coverage_missing(),
                "items": self.coverage,
            },
            "comparisons": self.comparisons,
            "uncited_sentences": self.uncited,
            "no_citations": self.no_citations,
            "declined": self.declined,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Labels: what a number is said to be.

/// Families of measures whose numbers are easily put under the wrong label.
const CONCEPTS: &[(&str, &[&str])] = &[
    ("success", &["success rate", "succeeded", "successful", "success", "succeed", "succeeds"]),
    ("failure", &["failure rate", "failed", "failures", "failure", "fail", "fails", "failing"]),
    ("spend share", &["job spend", "all spend", "total spend", "share of spend", "of spend", "spend share", "share of job"]),
    ("spot", &["spot"]),
    ("on-demand", &["on demand", "ondemand"]),
    ("runtime", &["min", "mins", "minute", "minutes", "runtime", "run time", "duration", "hour", "hours", "took"]),
    ("runs", &["runs", "run", "ran", "attempts", "attempt"]),
    ("days", &["days", "day", "daily"]),
    ("evictions", &["evictions", "eviction", "evicted", "interruptions", "reclaimed", "lost"]),
    ("retries", &["retries", "retry", "retried"]),
    ("skipped", &["skipped", "skips"]),
    ("rank", &["rank", "ranks", "ranked"]),
    ("dbu", &["dbu", "dbus"]),
    ("jobs", &["jobs"]),
    ("queries", &["queries", "query"]),
    ("cpu", &["cpu"]),
];

/// How far (in words) a label may be from the number it names.
const LABEL_REACH: usize = 4;

struct Word {
    start: usize,
    text: String,
}

/// Lower-case words of `masked` (numbers appear as runs of `#`).
fn words(masked: &str, from: usize, to: usize) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current: Option<Word> = None;
    for (i, c) in masked[from..to].char_indices() {
        if c.is_ascii_alphanumeric() || c == '#' {
            current.get_or_insert_with(|| Word { start: from + i, text: String::new() }).text.push(c.to_ascii_lowercase());
        } else if let Some(w) = current.take() {
            out.push(w);
        }
    }
    out.extend(current);
    out
}

/// (concept, first word index, last word index) of every label phrase in `words`.
fn phrases(words: &[Word]) -> Vec<(&'static str, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let mut best: Option<(&str, usize)> = None;
        for (concept, list) in CONCEPTS {
            for phrase in *list {
                let parts: Vec<&str> = phrase.split(' ').collect();
                let fits = parts.len() <= words.len() - i && parts.iter().enumerate().all(|(k, p)| words[i + k].text == *p);
                if fits && best.is_none_or(|(_, len)| parts.len() > len) {
                    best = Some((concept, parts.len()));
                }
            }
        }
        match best {
            Some((concept, len)) => {
                out.push((concept, i, i + len - 1));
                i += len;
            }
            None => i += 1,
        }
    }
    out
}

/// Every concept named in a clause.
fn clause_concepts(masked: &str, from: usize, to: usize) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = phrases(&words(masked, from, to)).into_iter().map(|(c, ..)| c).collect();
    out.sort();
    out.dedup();
    out
}

/// The concepts named near the number at `at` in its clause (within `LABEL_REACH` words).
fn nearest_concepts(masked: &str, from: usize, to: usize, at: usize) -> Vec<&'static str> {
    let ws = words(masked, from, to);
    let Some(me) = ws.iter().position(|w| w.start >= at) else { return Vec::new() };
    let mut best: Vec<(&'static str, usize)> = Vec::new();
    for (concept, a, b) in phrases(&ws) {
        let distance = if a > me { a - me } else { me.saturating_sub(b) };
        if distance <= LABEL_REACH {
            best.push((concept, distance));
        }
    }
    let mut out: Vec<&'static str> = best.into_iter().map(|(c, _)| c).collect();
    out.sort();
    out.dedup();
    out
}

/// `text` with every number token's bytes as `#` and every citation's as spaces (same
/// byte length), so clauses and words can be found around them.
fn masked(text: &str, tokens: &[&NumberToken], cites: &[citations::Citation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for t in tokens {
        bytes[t.start..t.end].fill(b'#');
    }
    for c in cites {
        bytes[c.start..c.end].fill(b' ');
    }
    // Every multi-byte character is fully inside a span or untouched, so this stays UTF-8;
    // lossy only guards against a token boundary inside a character.
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The clause around byte `at`, bounded by `boundaries`.
fn clause_bounds(masked: &str, at: usize, boundaries: &[char]) -> (usize, usize) {
    let start = masked[..at].char_indices().rev().find(|(_, c)| boundaries.contains(c)).map_or(0, |(i, c)| i + c.len_utf8());
    let end = masked[at..].find(|c| boundaries.contains(&c)).map_or(masked.len(), |i| at + i);
    (start, end)
}

const ANSWER_CLAUSE: &[char] = &['.', ';', ',', '(', ')', '!', '?', '\n', '—', '–'];
const EVIDENCE_CLAUSE: &[char] = &[';', '\n'];

// ---------------------------------------------------------------------------------------
// The evidence, as the checks see it.

/// A piece of evidence: a fact, a subgraph line, a doc chunk, or the prompt's own lines.
struct Source {
    ids: Vec<String>,
    /// Graph summaries describe the whole neighbourhood: in scope of any `[G…]`.
    graph_wide: bool,
    /// The prompt's own lines (range, selection, question): always in scope.
    context: bool,
}

struct EvidenceNumber {
    scanned: Scanned,
    source: usize,
    concepts: Vec<&'static str>,
}

/// The evidence of a prepared answer, read once, checked against any number of answers.
pub struct EvidenceView {
    sources: Vec<Source>,
    texts: Vec<String>,
    numbers: Vec<EvidenceNumber>,
    known: Vec<String>,
}

/// The user turns' lines outside the fenced evidence: the prompt's own context.
fn context_lines(messages: &[Message]) -> String {
    let mut out = Vec::new();
    for m in messages.iter().filter(|m| m.role == "user") {
        let mut fence: Option<String> = None;
        for line in m.content.lines() {
            match &fence {
                Some(f) if line == f => fence = None,
                Some(_) => {}
                None if line.starts_with("```") => fence = Some(line.chars().take_while(|c| *c == '`').collect()),
                None => out.push(line),
            }
        }
    }
    out.join("\n")
}

impl EvidenceView {
    /// The evidence of `e` and the context of the user turns of `messages` (the system
    /// prompt is not evidence, whatever its examples say).
    pub fn new(e: &Evidence, messages: &[Message]) -> EvidenceView {
        let mut sources = Vec::new();
        let mut texts = Vec::new();
        // A fact's title ("Runs that day") labels every number of the fact.
        let mut titles: Vec<String> = Vec::new();
        for f in &e.facts {
            sources.push(Source { ids: vec![f.id.clone()], graph_wide: false, context: false });
            texts.push(format!("{}: {}", f.title, f.text));
            // The selected row's title is the report's and the entity's name: no label.
            titles.push(if f.topic == Topic::Selection { String::new() } else { f.title.clone() });
        }
        for (ids, line) in e.graph_lines() {
            sources.push(Source { graph_wide: ids.is_empty(), ids, context: false });
            texts.push(line);
        }
        for d in &e.docs {
            sources.push(Source { ids: vec![d.id.clone()], graph_wide: false, context: false });
            texts.push(d.text.clone());
        }
        sources.push(Source { ids: Vec::new(), graph_wide: false, context: true });
        texts.push(context_lines(messages));
        let mut numbers = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let found = scan(text);
            let cites = citations::find(text);
            let tokens: Vec<&NumberToken> = found.iter().map(|s| &s.token).collect();
            let mask = masked(text, &tokens, &cites);
            let concepts: Vec<Vec<&'static str>> = found
                .iter()
                .map(|s| {
                    let (a, b) = clause_bounds(&mask, s.token.start, EVIDENCE_CLAUSE);
                    clause_concepts(&mask, a, b)
                })
                .collect();
            let titled = titles.get(i).map(|t| clause_concepts(t, 0, t.len())).unwrap_or_default();
            for (scanned, mut concepts) in found.into_iter().zip(concepts) {
                concepts.extend(titled.iter().copied());
                concepts.sort();
                concepts.dedup();
                numbers.push(EvidenceNumber { scanned, source: i, concepts });
            }
        }
        let mut known: Vec<String> = e.facts.iter().map(|f| f.id.clone()).collect();
        known.extend(e.graph.nodes.iter().map(|n| n.ref_id.clone()));
        known.extend(e.docs.iter().map(|d| d.id.clone()));
        EvidenceView { sources, texts, numbers, known }
    }

    fn in_scope(&self, source: usize, cited: &[String]) -> bool {
        let s = &self.sources[source];
        s.context || s.ids.iter().any(|id| cited.contains(id)) || (s.graph_wide && cited.iter().any(|c| c.starts_with('G')))
    }

    fn names(&self, source: usize) -> Vec<String> {
        let s = &self.sources[source];
        if s.context {
            vec!["context".to_string()]
        } else if s.graph_wide {
            vec!["graph summary".to_string()]
        } else {
            s.ids.clone()
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sentences, inferences, comparisons.

/// Sentence spans of `text`: ends at `.`, `!`, `?` before whitespace, and at line ends; a
/// run of citations after the end belongs to the sentence before it.
fn sentences(text: &str, cites: &[citations::Citation]) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // A stop ends a sentence before whitespace and what starts one (not "Co. (OU-1)").
        let stop = matches!(b, b'.' | b'!' | b'?');
        let next = if stop { text[i + 1..].trim_start_matches([' ', '\t']).chars().next() } else { None };
        let starts_sentence =
            next.is_none_or(|c| c.is_uppercase() || c.is_ascii_digit() || matches!(c, '\n' | '\r' | '*' | '#' | '-' | '>' | '_' | '['));
        let ends = b == b'\n' || (stop && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()) && starts_sentence);
        if ends {
            out.push((start, i + 1));
            start = i + 1;
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push((start, bytes.len()));
    }
    // "… failed. [T2]": a sentence of citations only joins the one before.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in out {
        let mut rest = text[a..b].to_string();
        for c in cites.iter().filter(|c| c.start >= a && c.end <= b) {
            rest.replace_range(c.start - a..c.end - a, &" ".repeat(c.end - c.start));
        }
        let only_cites =
            rest.chars().all(|c| c.is_whitespace() || matches!(c, '.' | ',' | ';')) && cites.iter().any(|c| c.start >= a && c.end <= b);
        match merged.last_mut() {
            Some(last) if only_cites && !text[last.0..last.1].ends_with('\n') => last.1 = b,
            _ => merged.push((a, b)),
        }
    }
    merged.retain(|(a, b)| !text[*a..*b].trim().is_empty());
    merged
}

fn is_inference(sentence: &str) -> bool {
    sentence.to_ascii_lowercase().contains("inference")
}

/// The operator between two numbers of a calculation, from the text between them.
fn operator(gap: &str) -> Option<char> {
    let core: String = gap.chars().filter(|c| !c.is_alphabetic()).collect::<String>().trim().to_string();
    match core.as_str() {
        "+" => Some('+'),
        "-" | "−" => Some('-'),
        "×" | "*" | "·" => Some('*'),
        "/" | "÷" => Some('/'),
        "" if gap.trim() == "x" => Some('*'),
        _ => None,
    }
}

fn equals(gap: &str) -> bool {
    let core: String = gap.chars().filter(|c| !c.is_alphabetic()).collect::<String>().trim().to_string();
    matches!(core.as_str(), "=" | "≈" | "~" | "≃" | "→")
}

/// Whether the claim `at` of `claims` (all in one sentence) is the result of a calculation
/// written before it: `a op b (op c)… = result`, multiplication and division first, a
/// fraction read as a percentage when the result is one.
fn is_derived(text: &str, claims: &[&Scanned], at: usize) -> bool {
    if at == 0 || claims[at].token.range {
        return false;
    }
    let result = claims[at];
    if !equals(&text[claims[at - 1].token.end..result.token.start]) {
        return false;
    }
    let mut first = at - 1;
    let mut ops = Vec::new();
    while first > 0 {
        match operator(&text[claims[first - 1].token.end..claims[first].token.start]) {
            Some(op) => {
                ops.push(op);
                first -= 1;
            }
            None => break,
        }
    }
    if ops.is_empty() {
        return false;
    }
    ops.reverse();
    let values: Vec<f64> = claims[first..at].iter().map(|c| c.token.value).collect();
    // Products and quotients first, then sums left to right.
    let mut terms: Vec<f64> = vec![values[0]];
    let mut signs: Vec<char> = Vec::new();
    for (op, v) in ops.iter().zip(&values[1..]) {
        match op {
            '*' => *terms.last_mut().expect("one term") *= v,
            '/' if *v != 0.0 => *terms.last_mut().expect("one term") /= v,
            '/' => return false,
            _ => {
                signs.push(*op);
                terms.push(*v);
            }
        }
    }
    let mut total = terms[0];
    for (op, t) in signs.iter().zip(&terms[1..]) {
        total = if *op == '+' { total + t } else { total - t };
    }
    let matches = |x: f64| {
        let scale = 10f64.powi(result.token.decimals as i32);
        ((x * scale).round() - (result.token.value * scale).round()).abs() < 0.5 + 1e-9
            || (x - result.token.value).abs() <= 0.5 / scale + 1e-9
    };
    let operands_percent = claims[first..at].iter().any(|c| c.token.kind == crate::copilot::grounding::NumberKind::Percent);
    matches(total) || (result.token.kind == crate::copilot::grounding::NumberKind::Percent && !operands_percent && matches(total * 100.0))
}

const HIGH: &[&str] = &["most expensive", "highest", "costliest", "most costly", "largest", "biggest", "top"];
const LOW: &[&str] = &["cheapest", "lowest", "least expensive", "smallest"];
const RANKED: &[&str] =
    &["job", "jobs", "cluster", "clusters", "warehouse", "warehouses", "workspace", "workspaces", "day", "days", "spender", "consumer"];

/// Ranking claims in `text`: (family, start, end) of a superlative followed closely by
/// what it ranks, or "ranks first" / "number one".
fn ranking_claims(text: &str) -> Vec<(bool, usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for (high, list) in [(true, HIGH), (false, LOW)] {
        for phrase in list {
            let mut from = 0;
            while let Some(at) = lower[from..].find(phrase).map(|i| i + from) {
                from = at + phrase.len();
                let word_start = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
                let word_end = lower.as_bytes().get(from).is_none_or(|b| !b.is_ascii_alphanumeric());
                if !word_start || !word_end {
                    continue;
                }
                let reach = if *phrase == "top" { 1 } else { 3 };
                let after: Vec<&str> =
                    lower[from..].split(|c: char| !c.is_ascii_alphanumeric() && c != '-').filter(|w| !w.is_empty()).take(reach).collect();
                if after.iter().any(|w| RANKED.contains(w)) {
                    out.push((high, at, from));
                }
            }
        }
    }
    for phrase in ["ranks first", "ranked first", "ranks 1st", "ranked 1st", "number one", "no. 1", "#1"] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(phrase).map(|i| i + from) {
            from = at + phrase.len();
            out.push((true, at, from));
        }
    }
    out.sort_by_key(|c| c.1);
    out.dedup_by_key(|c| c.1);
    out
}

/// Whether `evidence` ranks something so: the same family of superlative with what it
/// ranks, or "rank 1 of" (high) / "rank N of N" (low).
fn ranks(evidence: &str, high: bool) -> bool {
    let lower = evidence.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let joined = format!(" {} ", words.join(" "));
    if (if high { HIGH } else { LOW }).iter().any(|p| joined.contains(&format!(" {p} "))) {
        return true;
    }
    let mut from = 0;
    while let Some(at) = lower[from..].find("rank ").map(|i| i + from) {
        from = at + 5;
        let rest: Vec<&str> = lower[from..].split_whitespace().take(3).collect();
        if let [n, "of", m, ..] = rest.as_slice() {
            let m = m.trim_matches(|c: char| !c.is_ascii_digit());
            if (high && *n == "1") || (!high && *n == m) {
                return true;
            }
        }
    }
    false
}

// ---------------------------------------------------------------------------------------
// Coverage and declining.

/// Phrases that say the evidence does not answer the question.
pub const DECLINE_PHRASES: &[&str] = &[
    "does not answer",
    "doesn't answer",
    "not answered",
    "cannot answer",
    "can't answer",
    "cannot be answered",
    "unable to answer",
    "not in the evidence",
    "evidence does not",
    "evidence doesn't",
    "no evidence",
    "does not contain",
    "does not include",
    "not enough information",
    "insufficient",
    "is missing",
    "no documentation",
    "nothing in the documentation",
    "not available",
];

/// Whether `answer` declines (says the evidence does not answer it).
pub fn declines(answer: &str) -> bool {
    let lower = answer.to_lowercase().replace('’', "'");
    DECLINE_PHRASES.iter().any(|p| lower.contains(p))
}

/// The value a coverage signal stands for in this evidence, as text the evidence writes it.
pub fn signal_value(signal: CoverSignal, e: &Evidence) -> Option<String> {
    let s = &e.signals;
    let more = |x: f64| format!("{x:.4}");
    Some(match signal {
        CoverSignal::FailedRuns => thousands(s.failed?.max(0) as u64),
        CoverSignal::FailureRate => format!("{}%", more(s.failure_rate_pct?)),
        CoverSignal::TopError => s.top_errors.first()?.0.clone(),
        CoverSignal::Evictions => thousands(s.evictions?.max(0) as u64),
        CoverSignal::SpotShare => format!("{}%", more(s.spot_pct?)),
        CoverSignal::TotalCost => usd(s.total_cost?),
        CoverSignal::SpendShare => format!("{}%", more(s.share_pct?)),
        CoverSignal::Runs => thousands(s.runs?.max(0) as u64),
        CoverSignal::PeakDay => s.peak_day.as_ref()?.0.clone(),
        CoverSignal::CostPerRun => usd(s.cost_per_run?),
        CoverSignal::AnomalyCost => usd(s.anomaly.as_ref()?.1),
        CoverSignal::ExpectedCost => usd(s.anomaly.as_ref()?.2),
        CoverSignal::TopEntity => s.top_entities.first()?.0.clone(),
        CoverSignal::MeanMinutes => format!("{:.4}", s.mean_minutes?),
        CoverSignal::QueryError => s.query_errors.first()?.0.clone(),
    })
}

/// Whether `signal` is a text (not a number) to be found in the answer.
fn is_text(signal: CoverSignal) -> bool {
    matches!(signal, CoverSignal::TopError | CoverSignal::TopEntity | CoverSignal::QueryError | CoverSignal::PeakDay)
}

/// Whether `answer` (its claims `claims`) covers `cover` in evidence `e`; `None` when the
/// evidence has nothing for it.
pub(crate) fn covers(cover: &Cover, e: &Evidence, answer: &str, claims: &[Scanned]) -> Option<bool> {
    let facts: Vec<&crate::copilot::evidence::Fact> = e.facts.iter().filter(|f| f.topic == cover.topic).collect();
    if facts.is_empty() && cover.topic != Topic::Selection {
        return None;
    }
    // A count of zero is written "no …" in the evidence: the topic's rule applies.
    let signal = cover.signal.filter(|s| signal_value(*s, e).is_none_or(|v| v != "0"));
    match signal {
        Some(signal) => {
            let value = signal_value(signal, e)?;
            if is_text(signal) {
                let lower = answer.to_lowercase();
                let wanted = value.to_lowercase();
                let head: String = wanted.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
                return Some(lower.contains(&wanted) || (!head.is_empty() && lower.contains(&head)));
            }
            let fact = Scanned::parse(&value)?;
            Some(claims.iter().any(|c| c.ends().iter().any(|end| agrees(end, &fact))))
        }
        None => {
            let cited = citations::cited_ids(answer);
            if facts.iter().any(|f| cited.contains(&f.id)) {
                return Some(true);
            }
            let in_facts = facts.iter().any(|f| {
                let numbers = scan(&f.text);
                claims.iter().any(|c| c.ends().iter().all(|end| numbers.iter().any(|n| agrees(end, n))))
            });
            Some(in_facts)
        }
    }
}

// ---------------------------------------------------------------------------------------
// The check.

/// The part of an answer that is checked: everything before the Sources list code appends.
pub fn checked_part(answer: &str) -> &str {
    match answer.find(&format!("**{SOURCES_HEADING}**")).or_else(|| answer.find(SOURCES_HEADING)) {
        Some(at) => &answer[..at],
        None => answer,
    }
}

/// Checks `answer` against `view` (and the coverage `chip` declares over `e`).
pub fn check_answer(answer: &str, view: &EvidenceView, e: &Evidence, chip: Option<&ChipTemplate>) -> AnswerCheck {
    let text = checked_part(answer);
    let claims = scan(text);
    let cites = citations::find(text);
    let tokens: Vec<&NumberToken> = claims.iter().map(|c| &c.token).collect();
    let mask = masked(text, &tokens, &cites);
    let spans = sentences(text, &cites);

    let citation_verdicts: Vec<CitationVerdict> = cites
        .iter()
        .map(|c| CitationVerdict {
            text: text[c.start..c.end].to_string(),
            start: c.start,
            end: c.end,
            ids: c.ids.clone(),
            unknown: c.ids.iter().filter(|id| !view.known.contains(id)).cloned().collect(),
        })
        .collect();

    let mut numbers = Vec::new();
    let mut uncited = Vec::new();
    let mut comparisons = Vec::new();
    for &(a, b) in &spans {
        let sentence = &text[a..b];
        // A sentence without a citation takes those that end its line ("- A. B [D1].").
        let line_end = text[a..].find('\n').map_or(text.len(), |i| a + i);
        let own = cites.iter().any(|c| c.start >= a && c.end <= b);
        let (from, to) = if own { (a, b) } else { (a, line_end.max(b)) };
        let cited: Vec<String> = cites
            .iter()
            .filter(|c| c.start >= from && c.end <= to)
            .flat_map(|c| c.ids.iter().filter(|id| view.known.contains(id)).cloned())
            .collect();
        let cited = dedup(cited);
        let any_citation = cites.iter().any(|c| c.start >= from && c.end <= to);
        let inference = is_inference(sentence);
        let here: Vec<&Scanned> = claims.iter().filter(|c| c.token.start >= a && c.token.end <= b).collect();
        let mut outside_context = false;
        for (k, claim) in here.iter().enumerate() {
            let (ca, cb) = clause_bounds(&mask, claim.token.start, ANSWER_CLAUSE);
            let (ca, cb) = (ca.max(a), cb.min(b));
            let said = nearest_concepts(&mask, ca, cb, claim.token.start);
            let verdict = judge(view, claim, &said, &cited);
            let (mut status, found_in, mut note) = verdict;
            if status == Status::Ungrounded && inference && is_derived(text, &here, k) {
                status = Status::Derived;
                note = "computed in the Inference from the numbers before it".into();
            }
            // Numbers the prompt's own lines state (dates of the range, the selection's
            // name) need no citation.
            if !found_in.iter().any(|f| f == "context") {
                outside_context = true;
            }
            numbers.push(NumberVerdict {
                text: claim.token.text.clone(),
                start: claim.token.start,
                end: claim.token.end,
                status,
                cited: cited.clone(),
                found_in,
                note,
            });
        }
        if outside_context && !any_citation {
            uncited.push(SentenceSpan { start: a, end: b, text: sentence.trim().to_string() });
        }
        for (high, s, t) in ranking_claims(sentence) {
            let scope: Vec<&str> = if cited.is_empty() {
                view.texts.iter().map(String::as_str).collect()
            } else {
                (0..view.sources.len()).filter(|&i| view.in_scope(i, &cited)).map(|i| view.texts[i].as_str()).collect()
            };
            let supported = scope.iter().any(|t| ranks(t, high));
            comparisons.push(ComparisonVerdict { text: sentence[s..t].to_string(), start: a + s, end: a + t, supported });
        }
    }
    let declined = declines(text);
    let coverage = chip
        .map(|c| {
            c.covers
                .iter()
                .map(|cover| {
                    let status = match covers(cover, e, text, &claims) {
                        None => "not applicable",
                        Some(true) => "covered",
                        Some(false) => "missing",
                    };
                    CoverageItem { what: cover.what.clone(), status: status.to_string() }
                })
                .collect()
        })
        .unwrap_or_default();
    AnswerCheck {
        no_citations: cites.is_empty() && !declined && !text.trim().is_empty(),
        numbers,
        citations: citation_verdicts,
        comparisons,
        uncited,
        coverage,
        declined,
    }
}

/// The verdict on one claim: (status, where the evidence has it, why).
fn judge(view: &EvidenceView, claim: &Scanned, said: &[&'static str], cited: &[String]) -> (Status, Vec<String>, String) {
    let ends = claim.ends();
    // Per end: the evidence numbers with its value.
    let mut by_value: Vec<Vec<&EvidenceNumber>> = Vec::new();
    for end in &ends {
        by_value.push(view.numbers.iter().filter(|n| agrees(end, &n.scanned)).collect());
    }
    if by_value.iter().any(Vec::is_empty) {
        let note = if claim.token.range { "a range whose ends are not both in the evidence" } else { "not in the evidence" };
        return (Status::Ungrounded, Vec::new(), note.to_string());
    }
    let fits = |n: &&EvidenceNumber| {
        view.sources[n.source].context || said.is_empty() || n.concepts.is_empty() || said.iter().any(|c| n.concepts.contains(c))
    };
    let labelled: Vec<Vec<&EvidenceNumber>> = by_value.iter().map(|ns| ns.iter().copied().filter(fits).collect()).collect();
    if labelled.iter().any(Vec::is_empty) {
        let mut elsewhere: Vec<String> = Vec::new();
        for n in by_value.iter().flatten() {
            for c in &n.concepts {
                if !elsewhere.contains(&c.to_string()) {
                    elsewhere.push(c.to_string());
                }
            }
        }
        let found: Vec<String> = by_value.iter().flatten().flat_map(|n| view.names(n.source)).collect();
        return (
            Status::Ungrounded,
            dedup(found),
            format!("the evidence has {} as {}, not as {}", claim.token.text, elsewhere.join("/"), said.join("/")),
        );
    }
    let found: Vec<String> = dedup(labelled.iter().flatten().flat_map(|n| view.names(n.source)).collect());
    if cited.is_empty() {
        return (Status::Grounded, found, String::new());
    }
    let scoped = labelled.iter().all(|ns| ns.iter().any(|n| view.in_scope(n.source, cited)));
    if scoped {
        let found: Vec<String> =
            dedup(labelled.iter().flatten().filter(|n| view.in_scope(n.source, cited)).flat_map(|n| view.names(n.source)).collect());
        (Status::Grounded, found, String::new())
    } else {
        let note = format!("in {}, not in the cited {}", found.join(", "), cited.join(", "));
        (Status::Unsupported, found, note)
    }
}

fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in list {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}
