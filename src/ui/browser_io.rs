//! Reading bytes in the browser: a fetch that reports progress as the body streams in,
//! and reading a `File` the user picked or dropped.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

/// Bytes received so far and, when the server said, how many to expect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByteProgress {
    pub loaded: u64,
    pub total: Option<u64>,
}

/// A JavaScript error as readable text.
pub fn js_error_text(value: &JsValue) -> String {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// GETs `url` and returns its body, calling `on_progress` after every chunk.
pub async fn fetch_with_progress(url: &str, on_progress: impl Fn(ByteProgress)) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window object")?;
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("network error: {}", js_error_text(&e)))?
        .dyn_into()
        .map_err(|_| "fetch did not return a Response".to_string())?;
    if !response.ok() {
        return Err(format!("HTTP {} {}", response.status(), response.status_text()));
    }
    // Content-Length counts encoded bytes; with a compressed transfer the decoded body is
    // larger, so the total is only a hint and is dropped once exceeded.
    let total = response.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<u64>().ok());
    let body = response.body().ok_or("the response has no body")?;
    let reader: ReadableStreamDefaultReader =
        body.get_reader().dyn_into().map_err(|_| "cannot read the response body".to_string())?;
    let mut bytes: Vec<u8> = Vec::with_capacity(total.unwrap_or(0) as usize);
    on_progress(ByteProgress { loaded: 0, total });
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| format!("download interrupted: {}", js_error_text(&e)))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done")).ok().and_then(|v| v.as_bool()).unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|e| js_error_text(&e))?;
        let array = Uint8Array::new(&value);
        let start = bytes.len();
        bytes.resize(start + array.length() as usize, 0);
        array.copy_to(&mut bytes[start..]);
        let loaded = bytes.len() as u64;
        on_progress(ByteProgress { loaded, total: total.filter(|t| *t >= loaded) });
    }
    Ok(bytes)
}

/// Reads a whole `File` into memory.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(|e| format!("cannot read the file: {}", js_error_text(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
