//! The docs index: the chunk store plus its hybrid index, serialised with postcard into
//! `public/docs/docs-index.bin` by `copilot docs build` and loaded lazily by the browser.
//! `DocsRetriever` answers the evidence step's `DocsSource` with the same code natively
//! (CLI, tests) and in wasm.

use serde::{Deserialize, Serialize};

use super::corpus::Chunk;
use super::dense::Structure;
use super::embed::StaticModel;
use super::hybrid::{Floor, Hit, HybridIndex, Mode};
use crate::base::vocab::{DocChunk, DocsSource};

/// Version of the serialised index; bump when the layout changes.
pub const INDEX_FORMAT: u32 = 1;

/// The relevance floor for documentation, calibrated with `copilot docs eval --format json`
/// (`floor_calibration`): every expected page of the answerable questions that hybrid
/// ranks in its top four passes, and nothing of 20 unanswerable questions does (10 of them
/// were added after the floor was chosen, as a check).
pub const DOCS_FLOOR: Floor = Floor { lexical: 0.3, similarity: 0.7, joint: (0.15, 0.64) };

/// At most this many chunks of one page in a result, so a few pages do not crowd out the rest.
pub const MAX_CHUNKS_PER_PAGE: usize = 2;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    #[error("the docs index file is damaged or not an index ({0})")]
    Decode(String),
    #[error("the docs index has format {found}, this app reads format {INDEX_FORMAT}; rebuild it with `make docs`")]
    Format { found: u32 },
}

#[derive(Serialize, Deserialize)]
pub struct DocsIndex {
    format: u32,
    pub chunks: Vec<Chunk>,
    index: HybridIndex,
}

impl std::fmt::Debug for DocsIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DocsIndex({} chunks, {} pages, dense: {})", self.chunks.len(), self.pages(), self.has_dense())
    }
}

/// A chunk found for a query, with the figures that ranked it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DocHit<'a> {
    pub chunk: &'a Chunk,
    pub hit: Hit,
}

/// The text BM25 indexes: the heading counts twice.
fn lexical_text(c: &Chunk) -> String {
    format!("{} {} {} {}", c.title, c.heading, c.heading, c.text)
}

/// The text the static model embeds.
fn dense_text(c: &Chunk) -> String {
    format!("{}. {}. {}", c.title, c.heading, c.text)
}

/// The page part of a URL (without `#anchor`).
pub fn page_url(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

impl DocsIndex {
    pub fn build(chunks: Vec<Chunk>, model: Option<&StaticModel>) -> DocsIndex {
        let lexical: Vec<String> = chunks.iter().map(lexical_text).collect();
        let dense: Vec<String> = chunks.iter().map(dense_text).collect();
        DocsIndex { format: INDEX_FORMAT, index: HybridIndex::build(&lexical, &dense, model, Structure::Hnsw), chunks }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("an index always serialises")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<DocsIndex, IndexError> {
        // The format number comes first, so an old file is named as such rather than damaged.
        let (format, _) = postcard::take_from_bytes::<u32>(bytes).map_err(|e| IndexError::Decode(e.to_string()))?;
        if format != INDEX_FORMAT {
            return Err(IndexError::Format { found: format });
        }
        postcard::from_bytes(bytes).map_err(|e| IndexError::Decode(e.to_string()))
    }

    /// Number of distinct pages.
    pub fn pages(&self) -> usize {
        let mut urls: Vec<&str> = self.chunks.iter().map(|c| page_url(&c.url)).collect();
        urls.sort();
        urls.dedup();
        urls.len()
    }

    pub fn has_dense(&self) -> bool {
        self.index.has_dense()
    }

    pub fn dense_ready_for(&self, model: &StaticModel) -> bool {
        self.index.dense_ready_for(model)
    }

    pub fn effective_mode(&self, wanted: Mode, model: Option<&StaticModel>) -> Mode {
        self.index.effective_mode(wanted, model)
    }

    /// The best `k` chunks for `query` that pass `floor` (`None`: no floor), at most
    /// [`MAX_CHUNKS_PER_PAGE`] per page, best first.
    pub fn search(&self, query: &str, k: usize, model: Option<&StaticModel>, mode: Mode, floor: Option<&Floor>) -> Vec<DocHit<'_>> {
        let mut out: Vec<DocHit<'_>> = Vec::new();
        for hit in self.index.search(query, model, mode) {
            if out.len() == k {
                break;
            }
            if floor.is_some_and(|f| !hit.passes(f)) {
                continue;
            }
            let chunk = &self.chunks[hit.doc as usize];
            if out.iter().filter(|h| page_url(&h.chunk.url) == page_url(&chunk.url)).count() >= MAX_CHUNKS_PER_PAGE {
                continue;
            }
            out.push(DocHit { chunk, hit });
        }
        out
    }
}

/// The docs index (and the static model once loaded) as the evidence step's docs source.
pub struct DocsRetriever<'a> {
    pub index: &'a DocsIndex,
    pub model: Option<&'a StaticModel>,
}

impl DocsSource for DocsRetriever<'_> {
    fn search(&self, query: &str, k: usize) -> Vec<DocChunk> {
        self.index
            .search(query, k, self.model, Mode::Hybrid, Some(&DOCS_FLOOR))
            .into_iter()
            .map(|h| DocChunk {
                id: String::new(),
                title: h.chunk.title.clone(),
                heading: h.chunk.heading.clone(),
                url: h.chunk.url.clone(),
                text: h.chunk.text.clone(),
                score: h.hit.score,
            })
            .collect()
    }

    fn describe(&self) -> String {
        let mode = self.index.effective_mode(Mode::Hybrid, self.model);
        format!("{} chunks from {} pages, {}", self.index.chunks.len(), self.index.pages(), mode.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::corpus::{chunk_page, parse_markdown};

    fn index() -> DocsIndex {
        let spot = "---\ntitle: Spot\nurl: https://docs.databricks.com/spot\n---\n## Fallback {#fallback}\n\nSPOT_WITH_FALLBACK keeps a job running when spot capacity is reclaimed by replacing it with on-demand nodes.\n\n## Bid price {#bid}\n\nThe spot bid price is a percentage of the on-demand price.\n\n## Reclaims {#reclaims}\n\nSpot reclaims show up as lost nodes.\n";
        let photon = "---\ntitle: Photon\nurl: https://docs.databricks.com/photon\n---\n## What it is {#what}\n\nPhoton is a vectorized query engine that speeds up SQL and DataFrame work.\n";
        let chunks = [spot, photon].iter().flat_map(|p| chunk_page(&parse_markdown("p.md", p).unwrap())).collect();
        DocsIndex::build(chunks, None)
    }

    #[test]
    fn finds_the_section_keeps_anchors_and_caps_pages() {
        let idx = index();
        let hits = idx.search("how does SPOT_WITH_FALLBACK work", 4, None, Mode::Hybrid, Some(&DOCS_FLOOR));
        assert_eq!(hits[0].chunk.url, "https://docs.databricks.com/spot#fallback");
        assert!(hits.len() <= MAX_CHUNKS_PER_PAGE, "only spot sections match, at most two of them");
        assert!(idx.search("lasagna recipe with basil", 4, None, Mode::Hybrid, Some(&DOCS_FLOOR)).is_empty());
        assert_eq!(idx.pages(), 2);
    }

    #[test]
    fn round_trips_and_refuses_other_formats() {
        let idx = index();
        let bytes = idx.to_bytes();
        let back = DocsIndex::from_bytes(&bytes).unwrap();
        assert_eq!(back.chunks, idx.chunks);
        assert_eq!(back.to_bytes(), bytes);
        let mut old = bytes.clone();
        old[0] = 9;
        assert_eq!(DocsIndex::from_bytes(&old).unwrap_err(), IndexError::Format { found: 9 });
    }
}
