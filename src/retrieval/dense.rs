//! The dense side of retrieval over unit vectors (cosine similarity): an instant-distance
//! HNSW, built with a fixed seed on one thread so the same vectors give the same graph byte
//! for byte (the docs index: built once natively, searched in the browser), or an exact
//! scan (the telemetry index: built in the browser for any database, where an HNSW build —
//! about 2 ms per document natively — would cost more than every scan it saves).

use instant_distance::{Builder, HnswMap, Point, Search};
use serde::{Deserialize, Serialize};

/// A unit-length embedding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitVector(pub Vec<f32>);

impl Point for UnitVector {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - dot(&self.0, &other.0)
    }
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Seed of the HNSW layer assignment.
const SEED: u64 = 0x5eed_d0c5;

/// How the vectors are searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Structure {
    Hnsw,
    Exact,
}

#[derive(Serialize, Deserialize)]
enum Vectors {
    Empty,
    Hnsw(HnswMap<UnitVector, u32>),
    /// All vectors, one after another.
    Exact(Vec<f32>),
}

/// Nearest-neighbour search over documents' vectors; values are document positions.
#[derive(Serialize, Deserialize)]
pub struct DenseIndex {
    dims: usize,
    vectors: Vectors,
}

impl DenseIndex {
    /// Indexes `vectors` (document `i` is `vectors[i]`), all of `dims` dimensions.
    pub fn build(dims: usize, vectors: Vec<Vec<f32>>, structure: Structure) -> DenseIndex {
        if vectors.is_empty() {
            return DenseIndex { dims, vectors: Vectors::Empty };
        }
        if structure == Structure::Exact {
            return DenseIndex { dims, vectors: Vectors::Exact(vectors.concat()) };
        }
        let values: Vec<u32> = (0..vectors.len() as u32).collect();
        let points: Vec<UnitVector> = vectors.into_iter().map(UnitVector).collect();
        let build = move || Builder::default().ef_construction(100).ef_search(100).seed(SEED).build(points, values);
        DenseIndex { dims, vectors: Vectors::Hnsw(single_threaded(build)) }
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The `limit` nearest documents to `query` as (document, cosine similarity), most
    /// similar first; ties by document order.
    pub fn search(&self, query: &[f32], limit: usize) -> Vec<(u32, f32)> {
        if query.len() != self.dims || query.iter().all(|x| *x == 0.0) {
            return Vec::new();
        }
        let mut hits: Vec<(u32, f32)> = match &self.vectors {
            Vectors::Empty => Vec::new(),
            Vectors::Hnsw(map) => {
                let query = UnitVector(query.to_vec());
                let mut search = Search::default();
                map.search(&query, &mut search).take(limit).map(|item| (*item.value, 1.0 - item.distance)).collect()
            }
            Vectors::Exact(all) => all.chunks(self.dims).enumerate().map(|(i, v)| (i as u32, dot(query, v))).collect(),
        };
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(limit);
        hits
    }
}

/// Runs the HNSW build on one thread: instant-distance inserts in parallel with rayon,
/// which would make the graph depend on thread timing. (wasm has one thread anyway.)
#[cfg(not(target_arch = "wasm32"))]
fn single_threaded<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

#[cfg(target_arch = "wasm32")]
fn single_threaded<T>(f: impl FnOnce() -> T) -> T {
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let mut v = v.to_vec();
        super::super::embed::normalise(&mut v);
        v
    }

    #[test]
    fn finds_the_nearest_vectors_deterministically() {
        let vectors: Vec<Vec<f32>> = (0..200).map(|i| unit(&[(i as f32 * 0.37).sin(), (i as f32 * 0.11).cos(), 1.0])).collect();
        let a = DenseIndex::build(3, vectors.clone(), Structure::Hnsw);
        let b = DenseIndex::build(3, vectors.clone(), Structure::Hnsw);
        assert_eq!(postcard::to_allocvec(&a).unwrap(), postcard::to_allocvec(&b).unwrap());
        let hits = a.search(&vectors[17], 3);
        assert_eq!(hits[0].0, 17);
        assert!((hits[0].1 - 1.0).abs() < 1e-5);
        let exact = DenseIndex::build(3, vectors.clone(), Structure::Exact);
        let exact_hits = exact.search(&vectors[17], 3);
        assert_eq!(
            exact_hits.iter().map(|h| h.0).collect::<Vec<_>>(),
            hits.iter().map(|h| h.0).collect::<Vec<_>>(),
            "HNSW finds the exact neighbours here"
        );
        assert!(a.search(&[0.0, 0.0, 0.0], 3).is_empty());
        assert!(a.search(&[1.0, 0.0], 3).is_empty(), "wrong dimensions");
    }
}
