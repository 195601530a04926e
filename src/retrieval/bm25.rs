//! Okapi BM25 over a fixed set of documents: the lexical side of retrieval. Strong on the
//! exact product vocabulary (`first_on_demand`, `NODES_LOST`), available before any model
//! has loaded, and serialisable with the rest of an index.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::text::terms;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// An inverted index: term → (document, term frequency), documents by position.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bm25 {
    postings: BTreeMap<String, Vec<(u32, u32)>>,
    lengths: Vec<u32>,
    average_length: f64,
}

impl Bm25 {
    /// Indexes documents given as text, in order; document `i` is `texts[i]`.
    pub fn build<S: AsRef<str>>(texts: &[S]) -> Bm25 {
        let mut postings: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
        let mut lengths = Vec::with_capacity(texts.len());
        for (doc, text) in texts.iter().enumerate() {
            let words = terms(text.as_ref());
            lengths.push(words.len() as u32);
            let mut counts: BTreeMap<String, u32> = BTreeMap::new();
            for w in words {
                *counts.entry(w).or_default() += 1;
            }
            for (term, tf) in counts {
                postings.entry(term).or_default().push((doc as u32, tf));
            }
        }
        let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
        let average_length = if lengths.is_empty() { 0.0 } else { total as f64 / lengths.len() as f64 };
        Bm25 { postings, lengths, average_length }
    }

    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The best `limit` documents for `query` as (document, score), best first; ties by
    /// document order. Documents that share no term with the query are left out.
    pub fn search(&self, query: &str, limit: usize) -> Vec<(u32, f64)> {
        let mut query_terms = terms(query);
        query_terms.sort();
        query_terms.dedup();
        let n = self.lengths.len() as f64;
        let mut scores: BTreeMap<u32, f64> = BTreeMap::new();
        for term in &query_terms {
            let Some(list) = self.postings.get(term) else { continue };
            let df = list.len() as f64;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(doc, tf) in list {
                let tf = f64::from(tf);
                let norm = 1.0 - B + B * f64::from(self.lengths[doc as usize]) / self.average_length.max(1.0);
                *scores.entry(doc).or_default() += idf * tf * (K1 + 1.0) / (tf + K1 * norm);
            }
        }
        let mut ranked: Vec<(u32, f64)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
    }

    /// The largest score a query could reach against one document: every query term
    /// present at its highest idf, where a term the corpus lacks counts as the rarest
    /// possible term. Dividing by it gives a 0–1 relevance that drops when important words
    /// of the question are missing from the corpus.
    pub fn query_ceiling(&self, query: &str) -> f64 {
        let mut query_terms = terms(query);
        query_terms.sort();
        query_terms.dedup();
        let n = self.lengths.len() as f64;
        let idf = |df: f64| ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
        query_terms.iter().map(|t| idf(self.postings.get(t).map_or(1.0, |list| list.len() as f64)) * (K1 + 1.0)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_the_document_with_the_rare_term_first() {
        let index = Bm25::build(&[
            "Spot instances can be reclaimed by the cloud provider.",
            "Autoscaling adds workers when the cluster is busy.",
            "SPOT_WITH_FALLBACK replaces reclaimed spot capacity with on-demand instances.",
        ]);
        let hits = index.search("how does spot with fallback work", 10);
        assert_eq!(hits[0].0, 2);
        assert_eq!(hits.len(), 2, "the autoscaling page shares no term");
        assert!(index.search("photon", 10).is_empty());
    }

    #[test]
    fn equal_scores_keep_document_order() {
        let index = Bm25::build(&["pool warm", "pool warm", "pool warm"]);
        let ids: Vec<u32> = index.search("pool", 10).iter().map(|h| h.0).collect();
        assert_eq!(ids, [0, 1, 2]);
    }
}
