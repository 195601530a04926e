//! The browser module: a Parquet file turned into JSON Lines text, range by range, for the
//! engine's worker, which loads this module only when a Parquet file is dropped (so the
//! app's own wasm carries no Parquet reader) and feeds the text to its JSON Lines import.

use wasm_bindgen::prelude::*;

use crate::{json_line, Reader, Step};

/// One Parquet file being turned into JSON Lines.
#[wasm_bindgen]
pub struct ParquetLines {
    reader: Reader,
}

#[wasm_bindgen]
impl ParquetLines {
    /// A reader of a file of `len` bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(len: f64) -> ParquetLines {
        ParquetLines { reader: Reader::new(len as u64) }
    }

    /// `[offset, length]` of the bytes to give next, or `undefined` when the file is read.
    pub fn need(&self) -> Option<Vec<f64>> {
        self.reader.need().map(|r| vec![r.offset as f64, r.len as f64])
    }

    /// Reads the bytes `need` asked for; returns the JSON Lines of the rows they hold (empty
    /// for the tail and the footer). Throws a message naming what is wrong with the file.
    pub fn give(&mut self, bytes: Vec<u8>) -> Result<String, JsValue> {
        match self.reader.give(bytes).map_err(|e| JsValue::from_str(&e))? {
            Step::Tail | Step::Columns(_) => Ok(String::new()),
            Step::Rows(rows) => {
                let mut text = String::new();
                for row in &rows {
                    text.push_str(&json_line(row));
                    text.push('\n');
                }
                Ok(text)
            }
        }
    }
}
