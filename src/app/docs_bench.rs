//! Timing the docs side, natively (`copilot docs bench`) and in the browser (`#/bench` with
//! `docs=1`): decoding the index and model, a query in each retrieval mode, and building the
//! telemetry index of a database. The same function runs on both sides so `make bench` can
//! print browser ÷ native ratios.

use rusqlite::Connection;
use serde::Serialize;

use crate::base::clock::median;
use crate::base::clock::now_ms;
use crate::copilot::telemetry::TelemetryIndex;
use crate::retrieval::embed::StaticModel;
use crate::retrieval::hybrid::Mode;
use crate::retrieval::index::{DocsIndex, DOCS_FLOOR};

#[derive(Clone, Debug, Serialize)]
pub struct DocsBench {
    pub index_bytes: usize,
    pub model_bytes: usize,
    pub index_decode_ms: f64,
    pub model_decode_ms: f64,
    pub questions: usize,
    /// Median over runs of the mean time per question, k = 4, with the relevance floor.
    pub bm25_ms_per_query: f64,
    pub dense_ms_per_query: f64,
    pub hybrid_ms_per_query: f64,
    /// Building the telemetry index of the database (with the model), median over runs.
    pub telemetry_build_ms: f64,
    pub telemetry_entities: usize,
}

/// Times everything on `runs` repetitions (at least one).
pub fn run(index_bytes: &[u8], model_bytes: &[u8], questions: &[String], conn: &Connection, runs: usize) -> Result<DocsBench, String> {
    let runs = runs.max(1);
    let timed = |f: &mut dyn FnMut()| {
        let t = now_ms();
        f();
        now_ms() - t
    };
    let mut decode_index = Vec::new();
    let mut decode_model = Vec::new();
    let mut index = None;
    let mut model = None;
    for _ in 0..runs {
        decode_index.push(timed(&mut || index = Some(DocsIndex::from_bytes(index_bytes))));
        decode_model.push(timed(&mut || model = Some(StaticModel::from_bytes(model_bytes))));
    }
    let index = index.expect("ran once").map_err(|e| e.to_string())?;
    let model = model.expect("ran once").map_err(|e| e.to_string())?;
    let per_query = |mode: Mode| {
        let times = (0..runs)
            .map(|_| {
                let t = now_ms();
                for q in questions {
                    std::hint::black_box(index.search(q, 4, Some(&model), mode, Some(&DOCS_FLOOR)));
                }
                (now_ms() - t) / questions.len().max(1) as f64
            })
            .collect();
        median(times)
    };
    let mut telemetry_times = Vec::new();
    let mut entities = 0;
    for _ in 0..runs {
        let t = now_ms();
        let built = TelemetryIndex::from_db(conn, Some(&model)).map_err(|e| e.to_string())?;
        telemetry_times.push(now_ms() - t);
        entities = built.docs.len();
    }
    Ok(DocsBench {
        index_bytes: index_bytes.len(),
        model_bytes: model_bytes.len(),
        index_decode_ms: median(decode_index),
        model_decode_ms: median(decode_model),
        questions: questions.len(),
        bm25_ms_per_query: per_query(Mode::Lexical),
        dense_ms_per_query: per_query(Mode::Dense),
        hybrid_ms_per_query: per_query(Mode::Hybrid),
        telemetry_build_ms: median(telemetry_times),
        telemetry_entities: entities,
    })
}
