//! Fetch with progress and file streams, for any global scope (the page's window or a
//! worker's `self`): the global `fetch` is called through `js_sys::Reflect`.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

/// Bytes received so far and, when known, how many to expect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// Whether this code runs in a dedicated worker (not on the page).
pub fn in_worker() -> bool {
    js_sys::global().dyn_ref::<web_sys::DedicatedWorkerGlobalScope>().is_some()
}

async fn global_fetch(url: &str) -> Result<Response, String> {
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &"fetch".into()).ok().and_then(|f| f.dyn_into().ok()).ok_or("this browser has no fetch")?;
    let promise: Promise = fetch
        .call1(&global, &JsValue::from_str(url))
        .map_err(|e| js_error_text(&e))?
        .dyn_into()
        .map_err(|_| "fetch did not return a promise")?;
    JsFuture::from(promise)
        .await
        .map_err(|e| format!("network error: {}", js_error_text(&e)))?
        .dyn_into()
        .map_err(|_| "fetch did not return a Response".to_string())
}

/// Reads a stream to its end, calling `on_chunk` with each chunk as it arrives.
pub async fn read_stream(
    stream: web_sys::ReadableStream,
    mut on_chunk: impl FnMut(Uint8Array) -> Result<(), String>,
) -> Result<(), String> {
    let reader: ReadableStreamDefaultReader = stream.get_reader().dyn_into().map_err(|_| "cannot read the stream".to_string())?;
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| format!("reading was interrupted: {}", js_error_text(&e)))?;
        if Reflect::get(&chunk, &"done".into()).ok().and_then(|v| v.as_bool()).unwrap_or(true) {
            return Ok(());
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(|e| js_error_text(&e))?;
        if let Err(e) = on_chunk(Uint8Array::new(&value)) {
            let _ = reader.cancel();
            return Err(e);
        }
    }
}

/// GETs `url`, calling `on_chunk` with each chunk of the body and `on_progress` after it.
pub async fn fetch_chunks(
    url: &str,
    mut on_chunk: impl FnMut(Uint8Array) -> Result<(), String>,
    on_progress: impl Fn(ByteProgress),
) -> Result<u64, String> {
    let response = global_fetch(url).await?;
    if !response.ok() {
        return Err(format!("HTTP {} {}", response.status(), response.status_text()));
    }
    // Content-Length counts encoded bytes; with a compressed transfer the decoded body is
    // larger, so the total is only a hint and is dropped once exceeded.
    let total = response.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<u64>().ok());
    let body = response.body().ok_or("the response has no body")?;
    let mut loaded = 0u64;
    on_progress(ByteProgress { loaded: 0, total });
    read_stream(body, |chunk| {
        loaded += u64::from(chunk.length());
        on_chunk(chunk)?;
        on_progress(ByteProgress { loaded, total: total.filter(|t| *t >= loaded) });
        Ok(())
    })
    .await?;
    Ok(loaded)
}

/// GETs `url` whole into wasm memory, reporting progress.
pub async fn fetch_bytes(url: &str, on_progress: impl Fn(ByteProgress)) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    fetch_chunks(
        url,
        |chunk| {
            let start = out.len();
            out.resize(start + chunk.length() as usize, 0);
            chunk.copy_to(&mut out[start..]);
            Ok(())
        },
        on_progress,
    )
    .await?;
    Ok(out)
}

/// Reads a whole `File` (or any `Blob`, such as a slice of one) into wasm memory, chunk by chunk.
pub async fn read_file(file: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(file.size() as usize);
    read_stream(file.stream(), |chunk| {
        let start = out.len();
        out.resize(start + chunk.length() as usize, 0);
        chunk.copy_to(&mut out[start..]);
        Ok(())
    })
    .await?;
    Ok(out)
}
