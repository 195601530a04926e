//! The static embedding model: one vector per vocabulary token, distilled from
//! all-MiniLM-L6-v2 by `copilot distill` (the model2vec method: every token embedded alone,
//! PCA, Zipf/SIF weights baked in, int8 with a per-row scale). A text's embedding is the
//! L2-normalised mean of its tokens' vectors: a table lookup, under a millisecond in wasm.
//! The same code embeds documentation chunks natively and questions in the browser.

use serde::{Deserialize, Serialize};

use super::wordpiece::{VocabError, WordPiece};

/// Version of the serialised model; bump when the layout changes.
pub const MODEL_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: u32,
    /// Where the model came from (teacher, dimensions, weighting), shown in the debug panel.
    source: String,
    dims: u32,
    vocab: Vec<String>,
    scales: Vec<f32>,
    rows: Vec<i8>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("the embedding model file is damaged or not a model file ({0})")]
    Decode(String),
    #[error("the embedding model has format {found}, this app reads format {MODEL_FORMAT}; rebuild it with `make docs`")]
    Format { found: u32 },
    #[error("the embedding model is inconsistent: {0}")]
    Shape(String),
    #[error("the embedding model's vocabulary is unusable: {0}")]
    Vocab(#[from] VocabError),
}

/// Token vectors (int8 + per-row scale) and the tokenizer that indexes them.
pub struct StaticModel {
    tokenizer: WordPiece,
    dims: usize,
    scales: Vec<f32>,
    rows: Vec<i8>,
    source: String,
    fingerprint: String,
}

impl StaticModel {
    /// Quantises `vectors` (one row of `dims` per vocabulary token, weights already applied).
    pub fn from_vectors(vocab: Vec<String>, dims: usize, vectors: &[f32], source: &str) -> Result<StaticModel, ModelError> {
        if dims == 0 || vectors.len() != vocab.len() * dims {
            return Err(ModelError::Shape(format!("{} values for {} tokens of {dims} dimensions", vectors.len(), vocab.len())));
        }
        let mut scales = Vec::with_capacity(vocab.len());
        let mut rows = Vec::with_capacity(vectors.len());
        for row in vectors.chunks(dims) {
            let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            scales.push(scale);
            rows.extend(row.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8));
        }
        StaticModel::assemble(ModelFile { format: MODEL_FORMAT, source: source.to_string(), dims: dims as u32, vocab, scales, rows })
    }

    fn assemble(file: ModelFile) -> Result<StaticModel, ModelError> {
        let dims = file.dims as usize;
        if file.format != MODEL_FORMAT {
            return Err(ModelError::Format { found: file.format });
        }
        if dims == 0 || file.scales.len() != file.vocab.len() || file.rows.len() != file.vocab.len() * dims {
            return Err(ModelError::Shape(format!(
                "{} tokens, {} scales, {} values, {dims} dimensions",
                file.vocab.len(),
                file.scales.len(),
                file.rows.len()
            )));
        }
        let fingerprint = fingerprint(&file);
        Ok(StaticModel {
            tokenizer: WordPiece::new(file.vocab)?,
            dims,
            scales: file.scales,
            rows: file.rows,
            source: file.source,
            fingerprint,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let file = ModelFile {
            format: MODEL_FORMAT,
            source: self.source.clone(),
            dims: self.dims as u32,
            vocab: self.tokenizer.tokens().to_vec(),
            scales: self.scales.clone(),
            rows: self.rows.clone(),
        };
        postcard::to_allocvec(&file).expect("a model always serialises")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<StaticModel, ModelError> {
        let file: ModelFile = postcard::from_bytes(bytes).map_err(|e| ModelError::Decode(e.to_string()))?;
        StaticModel::assemble(file)
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn vocab_size(&self) -> usize {
        self.scales.len()
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Identifies the exact vectors, so an index built with another model is detected.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn tokenizer(&self) -> &WordPiece {
        &self.tokenizer
    }

    /// The L2-normalised mean of the token vectors of `text` (unknown tokens skipped); all
    /// zeros when no token is known.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut sum = vec![0f32; self.dims];
        let mut count = 0usize;
        for id in self.tokenizer.encode(text) {
            if id == self.tokenizer.unk() {
                continue;
            }
            let id = id as usize;
            let scale = self.scales[id];
            for (s, &q) in sum.iter_mut().zip(&self.rows[id * self.dims..(id + 1) * self.dims]) {
                *s += f32::from(q) * scale;
            }
            count += 1;
        }
        if count > 0 {
            normalise(&mut sum);
        }
        sum
    }
}

impl std::fmt::Debug for StaticModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StaticModel({} tokens × {} dims, {}, {})", self.vocab_size(), self.dims, self.source, self.fingerprint)
    }
}

/// Scales `v` to unit length (left alone when it is all zeros).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// FNV-1a over the dimensions, scales and rows, as 16 hex digits.
fn fingerprint(file: &ModelFile) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    file.dims.to_le_bytes().into_iter().for_each(&mut eat);
    file.scales.iter().flat_map(|s| s.to_le_bytes()).for_each(&mut eat);
    file.rows.iter().for_each(|&r| eat(r as u8));
    format!("{h:016x}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A toy model: 2 dimensions, "spot" and "fallback" point one way, "photon" the other.
    pub fn toy_model() -> StaticModel {
        let vocab: Vec<String> =
            ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "spot", "fallback", "photon", "engine"].iter().map(|s| s.to_string()).collect();
        let vectors = [0., 0., 0., 0., 0., 0., 0., 0., 1.0, 0.1, 0.9, 0.0, 0.0, 1.0, 0.1, 0.8];
        StaticModel::from_vectors(vocab, 2, &vectors, "toy").unwrap()
    }

    #[test]
    fn embeds_as_the_normalised_mean_of_known_tokens() {
        let m = toy_model();
        let v = m.embed("Spot fallback zebra");
        // spot (127, 13)/127 plus fallback (127, 0)·0.9/127, normalised.
        assert!((v[0] - 0.99855).abs() < 1e-4 && (v[1] - 0.05380).abs() < 1e-4, "{v:?}");
        assert_eq!(m.embed("zebra"), [0.0, 0.0]);
    }

    #[test]
    fn survives_a_round_trip_and_names_damage() {
        let m = toy_model();
        let bytes = m.to_bytes();
        let back = StaticModel::from_bytes(&bytes).unwrap();
        assert_eq!(back.embed("photon engine"), m.embed("photon engine"));
        assert_eq!(back.fingerprint(), m.fingerprint());
        assert!(StaticModel::from_bytes(&bytes[..bytes.len() / 2])
            .unwrap_err()
            .to_string()
            .starts_with("the embedding model file is damaged"));
    }
}
