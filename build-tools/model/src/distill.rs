//! `copilot distill`: the static model from MiniLM, by the model2vec recipe. Every
//! vocabulary token goes through the teacher alone (`[CLS] token [SEP]`, mean pooling),
//! the vectors are reduced by PCA, each row is weighted by SIF over a Zipf estimate of the
//! token's frequency (`w = 1e-4 / (1e-4 + p)`, `p ∝ 1/(rank + 1)` over vocabulary ids),
//! and quantised to int8 by `StaticModel::from_vectors`.

use std::time::Instant;

use usage_copilot::retrieval::StaticModel;

use crate::minilm::MiniLm;
use crate::pca::Pca;

/// The SIF smoothing coefficient.
pub const SIF: f64 = 1e-4;

pub struct Distilled {
    pub model: StaticModel,
    pub tokens: usize,
    pub dims: usize,
    pub explained_variance: f64,
    pub teacher_seconds: f64,
    pub total_seconds: f64,
}

/// SIF weights for `n` tokens ranked by id.
pub fn sif_weights(n: usize) -> Vec<f64> {
    let inverse: Vec<f64> = (0..n).map(|rank| 1.0 / (rank as f64 + 2.0)).collect();
    let total: f64 = inverse.iter().sum();
    inverse.iter().map(|x| SIF / (SIF + x / total)).collect()
}

pub fn distill(teacher: &MiniLm, dims: usize, mut progress: impl FnMut(usize, usize)) -> Result<Distilled, String> {
    let started = Instant::now();
    let vocab: Vec<String> = teacher.tokenizer().tokens().to_vec();
    let dims = dims.min(teacher.hidden_size());
    let mut raw: Vec<Vec<f32>> = Vec::with_capacity(vocab.len());
    let ids: Vec<u32> = (0..vocab.len() as u32).collect();
    for batch in ids.chunks(512) {
        let sequences: Vec<Vec<u32>> = batch.iter().map(|&id| vec![id]).collect();
        raw.extend(teacher.mean_pooled(&sequences)?);
        progress(raw.len(), vocab.len());
    }
    let teacher_seconds = started.elapsed().as_secs_f64();
    let pca = Pca::fit(&raw, dims);
    let weights = sif_weights(vocab.len());
    let mut vectors = Vec::with_capacity(vocab.len() * dims);
    for (row, w) in raw.iter().zip(&weights) {
        vectors.extend(pca.project(row).into_iter().map(|x| x * *w as f32));
    }
    let source = format!(
        "all-MiniLM-L6-v2 distilled: {} tokens, PCA {dims} ({:.1}% variance), SIF {SIF:e}, int8",
        vocab.len(),
        pca.explained * 100.0
    );
    let tokens = vocab.len();
    let model = StaticModel::from_vectors(vocab, dims, &vectors, &source).map_err(|e| e.to_string())?;
    Ok(Distilled {
        model,
        tokens,
        dims,
        explained_variance: pca.explained,
        teacher_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
    })
}
