//! Hybrid retrieval over any list of documents: BM25 beside a dense HNSW of static-model
//! embeddings, fused with reciprocal rank fusion (`Σ 1/(60 + rank)` over each side's top
//! 50). The lexical side works alone until a model is attached; a relevance floor keeps
//! unrelated documents out. Used by the docs index and the telemetry index alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::bm25::Bm25;
use super::dense::{DenseIndex, Structure};
use super::embed::StaticModel;

/// How many documents each side contributes to the fusion.
pub const FUSION_DEPTH: usize = 50;
/// The RRF constant.
pub const RRF_K: f64 = 60.0;

/// Which sides answer a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Lexical,
    Dense,
    Hybrid,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Lexical => "BM25",
            Mode::Dense => "dense",
            Mode::Hybrid => "hybrid (BM25 + dense, RRF)",
        }
    }
}

/// When a document is relevant enough to reach a prompt: its BM25 score is at least
/// `lexical` of what the query could score at best, or its cosine similarity to the query
/// is at least `similarity`, or both are moderately high (`joint`). Static-model cosines
/// run high for any English text, so similarity alone needs a high bar.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Floor {
    pub lexical: f64,
    pub similarity: f32,
    pub joint: (f64, f32),
}

/// One retrieved document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    pub doc: u32,
    /// The fused score (RRF), which orders the hits.
    pub score: f64,
    /// 1-based ranks on each side, when the document was in that side's top.
    pub lexical_rank: Option<u32>,
    pub dense_rank: Option<u32>,
    /// BM25 score over the query's best possible score (0–1).
    pub lexical_relevance: f64,
    pub similarity: Option<f32>,
}

impl Hit {
    pub fn passes(&self, floor: &Floor) -> bool {
        let similarity = self.similarity.unwrap_or(0.0);
        self.lexical_relevance >= floor.lexical
            || similarity >= floor.similarity
            || (self.lexical_relevance >= floor.joint.0 && similarity >= floor.joint.1)
    }
}

/// The dense side and the model it was built with.
#[derive(Serialize, Deserialize)]
struct DenseSide {
    model_fingerprint: String,
    index: DenseIndex,
}

#[derive(Serialize, Deserialize)]
pub struct HybridIndex {
    bm25: Bm25,
    dense: Option<DenseSide>,
    /// How a dense side is built (now or when a model is attached later).
    structure: Structure,
}

impl HybridIndex {
    /// `lexical[i]` and `dense[i]` are two renderings of document `i` (the lexical one may
    /// repeat headings to weight them). Without a model only the lexical side is built.
    pub fn build(lexical: &[String], dense: &[String], model: Option<&StaticModel>, structure: Structure) -> HybridIndex {
        let mut index = HybridIndex { bm25: Bm25::build(lexical), dense: None, structure };
        if let Some(model) = model {
            index.attach_model(dense, model);
        }
        index
    }

    /// Builds (or rebuilds) the dense side with `model`.
    pub fn attach_model(&mut self, dense: &[String], model: &StaticModel) {
        let vectors = dense.iter().map(|t| model.embed(t)).collect();
        self.dense = Some(DenseSide {
            model_fingerprint: model.fingerprint().to_string(),
            index: DenseIndex::build(model.dims(), vectors, self.structure),
        });
    }

    pub fn len(&self) -> usize {
        self.bm25.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bm25.is_empty()
    }

    /// Whether the dense side exists and was built with `model`.
    pub fn dense_ready_for(&self, model: &StaticModel) -> bool {
        self.dense.as_ref().is_some_and(|d| d.model_fingerprint == model.fingerprint())
    }

    pub fn has_dense(&self) -> bool {
        self.dense.is_some()
    }

    /// The mode a query actually gets: hybrid falls back to BM25 when no model (or not the
    /// index's model) is at hand.
    pub fn effective_mode(&self, wanted: Mode, model: Option<&StaticModel>) -> Mode {
        let dense_ok = model.is_some_and(|m| self.dense_ready_for(m));
        match (wanted, dense_ok) {
            (Mode::Hybrid, false) => Mode::Lexical,
            (m, _) => m,
        }
    }

    /// Every document either side ranks for `query`, best fused score first (ties by
    /// document order), with relevance figures for the floor.
    pub fn search(&self, query: &str, model: Option<&StaticModel>, wanted: Mode) -> Vec<Hit> {
        let mode = self.effective_mode(wanted, model);
        let lexical = self.bm25.search(query, usize::MAX);
        let ceiling = self.bm25.query_ceiling(query).max(f64::MIN_POSITIVE);
        let relevance: BTreeMap<u32, f64> = lexical.iter().map(|&(doc, score)| (doc, score / ceiling)).collect();
        let dense: Vec<(u32, f32)> = match (mode, model, &self.dense) {
            (Mode::Lexical, _, _) => Vec::new(),
            (_, Some(model), Some(side)) if side.model_fingerprint == model.fingerprint() => {
                side.index.search(&model.embed(query), FUSION_DEPTH)
            }
            _ => Vec::new(),
        };
        let mut hits: Vec<Hit> = Vec::new();
        let mut positions: BTreeMap<u32, usize> = BTreeMap::new();
        let mut entry = |hits: &mut Vec<Hit>, doc: u32| -> usize {
            *positions.entry(doc).or_insert_with(|| {
                let lexical_relevance = relevance.get(&doc).copied().unwrap_or(0.0);
                hits.push(Hit { doc, score: 0.0, lexical_rank: None, dense_rank: None, lexical_relevance, similarity: None });
                hits.len() - 1
            })
        };
        if mode != Mode::Dense {
            for (rank, &(doc, _)) in lexical.iter().take(FUSION_DEPTH).enumerate() {
                let at = entry(&mut hits, doc);
                hits[at].lexical_rank = Some(rank as u32 + 1);
                hits[at].score += 1.0 / (RRF_K + rank as f64 + 1.0);
            }
        }
        for (rank, &(doc, similarity)) in dense.iter().enumerate() {
            let at = entry(&mut hits, doc);
            hits[at].dense_rank = Some(rank as u32 + 1);
            hits[at].similarity = Some(similarity);
            hits[at].score += 1.0 / (RRF_K + rank as f64 + 1.0);
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::embed::tests::toy_model;

    fn docs() -> Vec<String> {
        vec!["spot fallback".to_string(), "photon engine".to_string(), "spot spot spot".to_string()]
    }

    #[test]
    fn lexical_until_a_model_is_attached_then_fused() {
        let model = toy_model();
        let mut index = HybridIndex::build(&docs(), &docs(), None, Structure::Hnsw);
        assert_eq!(index.effective_mode(Mode::Hybrid, Some(&model)), Mode::Lexical);
        let hits = index.search("photon", Some(&model), Mode::Hybrid);
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), [1]);
        index.attach_model(&docs(), &model);
        assert_eq!(index.effective_mode(Mode::Hybrid, Some(&model)), Mode::Hybrid);
        let hits = index.search("engine photon", Some(&model), Mode::Hybrid);
        assert_eq!(hits[0].doc, 1);
        assert_eq!((hits[0].lexical_rank, hits[0].dense_rank), (Some(1), Some(1)));
        assert!((hits[0].score - 2.0 / 61.0).abs() < 1e-12);
        let floor = Floor { lexical: 0.3, similarity: 0.9, joint: (0.2, 0.8) };
        assert!(hits[0].passes(&floor));
        assert!(!hits.last().unwrap().passes(&floor), "the spot documents are far from photon");
    }
}
