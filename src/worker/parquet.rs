//! (wasm only) Parquet in the browser: the app's wasm carries no Parquet reader; the first
//! Parquet file dropped loads `dist/parquet/` (the `parquet-rows` crate built as a module of
//! its own, about 0.6 MB) through worker.js, and its reader turns the file, range by range,
//! into JSON Lines that the import reads like any JSON Lines export.

use wasm_bindgen::prelude::*;

use crate::web::io::js_error_text;

#[wasm_bindgen]
extern "C" {
    /// A `parquet_rows::web::ParquetLines` of the loaded module.
    pub type ParquetLines;

    /// worker.js: loads the module on first use; a reader of a file of `len` bytes.
    #[wasm_bindgen(catch, js_name = __parquetLines)]
    fn open(len: f64) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(method, js_name = need)]
    fn need_js(this: &ParquetLines) -> JsValue;

    #[wasm_bindgen(method, catch, js_name = give)]
    fn give_js(this: &ParquetLines, bytes: &[u8]) -> Result<String, JsValue>;

    #[wasm_bindgen(method)]
    pub fn free(this: &ParquetLines);
}

/// A reader of a Parquet file of `len` bytes, once the module is loaded.
pub async fn reader(len: u64) -> Result<ParquetLines, String> {
    let promise = open(len as f64).map_err(|e| js_error_text(&e))?;
    let reader = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| format!("the Parquet reader did not load: {}", js_error_text(&e)))?;
    Ok(reader.unchecked_into())
}

impl ParquetLines {
    /// (offset, length) of the bytes the reader needs next, or `None` when the file is read.
    pub fn need(&self) -> Option<(u64, u64)> {
        let range = self.need_js();
        if range.is_undefined() || range.is_null() {
            return None;
        }
        let range = js_sys::Float64Array::new(&range).to_vec();
        Some((*range.first()? as u64, *range.get(1)? as u64))
    }

    /// The JSON Lines of the rows in `bytes` (the range `need` named), or what is wrong with
    /// the file.
    pub fn give(&self, bytes: &[u8]) -> Result<String, String> {
        self.give_js(bytes).map_err(|e| js_error_text(&e))
    }
}
