//! Retrieval evaluation: hand-written questions, each with the page that answers it
//! (`build-tools/docs-corpus/eval/*.toml`), scored as recall@4 (the expected page is among
//! the pages of the first four chunks, as a prompt would get them) and MRR (over the first
//! ten chunks), plus questions the corpus cannot answer, which must retrieve nothing
//! through the relevance floor. Pure: the tools read the files and pass their text.

use serde::{Deserialize, Serialize};

use crate::retrieval::index::{page_url, MAX_CHUNKS_PER_PAGE};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub question: String,
    pub expected_url: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unanswerable {
    pub question: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    #[serde(default)]
    questions: Vec<Question>,
    #[serde(default)]
    unanswerable: Vec<Unanswerable>,
}

pub struct QuestionSet {
    pub answerable: Vec<Question>,
    pub unanswerable: Vec<String>,
}

/// Parses question files given as (name, TOML text), in the order given; `pages` are the
/// corpus URLs, and every expected URL must be one of them.
pub fn parse_questions(files: &[(String, String)], pages: &[&str]) -> Result<QuestionSet, String> {
    let mut set = QuestionSet { answerable: Vec::new(), unanswerable: Vec::new() };
    for (name, text) in files {
        let file: QuestionFile = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        for q in &file.questions {
            if !pages.contains(&page_url(&q.expected_url)) {
                return Err(format!("{name}: {:?} expects {}, which is not a page of the corpus", q.question, q.expected_url));
            }
        }
        set.answerable.extend(file.questions);
        set.unanswerable.extend(file.unanswerable.into_iter().map(|u| u.question));
    }
    Ok(set)
}

/// Applies the per-page cap of the docs index to a ranked list of chunk URLs.
pub fn cap_per_page(ranked: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for url in ranked {
        if out.iter().filter(|u| page_url(u) == page_url(&url)).count() < MAX_CHUNKS_PER_PAGE {
            out.push(url);
        }
    }
    out
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Scores {
    pub method: String,
    pub questions: usize,
    pub recall_at_4: f64,
    pub mrr: f64,
    /// Questions whose page was not in the first four, with the pages that were.
    pub misses: Vec<String>,
}

/// Scores a retrieval method given as question → chunk URLs, best first (already capped).
pub fn score(method: &str, questions: &[Question], mut ranked: impl FnMut(&str) -> Vec<String>) -> Scores {
    let mut found = 0usize;
    let mut reciprocal = 0.0;
    let mut misses = Vec::new();
    for q in questions {
        let urls = ranked(&q.question);
        let expected = page_url(&q.expected_url);
        let rank = urls.iter().take(10).position(|u| page_url(u) == expected);
        if let Some(r) = rank {
            reciprocal += 1.0 / (r as f64 + 1.0);
        }
        if rank.is_some_and(|r| r < 4) {
            found += 1;
        } else {
            let got: Vec<&str> = urls.iter().take(4).map(|u| u.as_str()).collect();
            misses.push(format!("{:?} → expected {expected}, got [{}]", q.question, got.join(", ")));
        }
    }
    let n = questions.len().max(1) as f64;
    Scores { method: method.to_string(), questions: questions.len(), recall_at_4: found as f64 / n, mrr: reciprocal / n, misses }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_and_mrr() {
        let qs = vec![
            Question { question: "a".into(), expected_url: "https://x/a".into() },
            Question { question: "b".into(), expected_url: "https://x/b".into() },
        ];
        let s =
            score("t", &qs, |q| if q == "a" { vec!["https://x/z#1".into(), "https://x/a#2".into()] } else { vec!["https://x/z".into()] });
        assert_eq!(s.recall_at_4, 0.5);
        assert_eq!(s.mrr, 0.25);
        assert_eq!(s.misses.len(), 1);
        assert_eq!(cap_per_page(vec!["u#1".into(), "u#2".into(), "u#3".into(), "v".into()]), ["u#1", "u#2", "v"]);
    }
}
