//! Reading bytes in the browser: a fetch that reports progress as the body streams in,
//! and reading a `File` the user picked or dropped.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

pub use crate::web::io::{js_error_text, ByteProgress};

/// Bytes held in JavaScript memory as received, readable once into wasm memory.
pub struct JsBytes {
    chunks: Vec<Uint8Array>,
    len: usize,
    chunk: usize,
    offset: u32,
}

impl JsBytes {
    fn new(chunks: Vec<Uint8Array>) -> JsBytes {
        let len = chunks.iter().map(|c| c.length() as usize).sum();
        JsBytes { chunks, len, chunk: 0, offset: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Copies the bytes into wasm memory.
    pub fn into_vec(mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len);
        std::io::Read::read_to_end(&mut self, &mut out).expect("reading JS memory cannot fail");
        out
    }
}

impl std::io::Read for JsBytes {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(current) = self.chunks.get(self.chunk) {
            let remaining = current.length() - self.offset;
            if remaining == 0 {
                self.chunk += 1;
                self.offset = 0;
                continue;
            }
            let n = remaining.min(buf.len() as u32);
            current.subarray(self.offset, self.offset + n).copy_to(&mut buf[..n as usize]);
            self.offset += n;
            return Ok(n as usize);
        }
        Ok(0)
    }
}

/// GETs `url` and returns its body, calling `on_progress` after every chunk.
pub async fn fetch_with_progress(url: &str, on_progress: impl Fn(ByteProgress)) -> Result<JsBytes, String> {
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
    let reader: ReadableStreamDefaultReader = body.get_reader().dyn_into().map_err(|_| "cannot read the response body".to_string())?;
    let mut chunks: Vec<Uint8Array> = Vec::new();
    let mut loaded: u64 = 0;
    on_progress(ByteProgress { loaded: 0, total });
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| format!("download interrupted: {}", js_error_text(&e)))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done")).ok().and_then(|v| v.as_bool()).unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|e| js_error_text(&e))?;
        let array = Uint8Array::new(&value);
        loaded += u64::from(array.length());
        chunks.push(array);
        on_progress(ByteProgress { loaded, total: total.filter(|t| *t >= loaded) });
    }
    Ok(JsBytes::new(chunks))
}

/// Offers `text` as a file download named `filename`.
pub fn download_text(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let fail = |e: JsValue| js_error_text(&e);
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(fail)?.dyn_into().map_err(|_| "not an anchor".to_string())?;
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.set_attribute("data-testid", "download-link").map_err(fail)?;
    document.body().ok_or("no body")?.append_child(&anchor).map_err(fail)?;
    anchor.click();
    anchor.remove();
    web_sys::Url::revoke_object_url(&url).map_err(fail)?;
    Ok(())
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// The page's `localStorage`, if the browser lets it be used (reached through `Reflect`:
/// the page needs only two calls of it).
fn local_storage() -> Option<JsValue> {
    let window = web_sys::window()?;
    Reflect::get(&window, &JsValue::from_str("localStorage")).ok().filter(|s| !s.is_null() && !s.is_undefined())
}

/// `localStorage[key]`, or `None` when unset or not available.
pub fn stored_setting(key: &str) -> Option<String> {
    let storage = local_storage()?;
    let get: js_sys::Function = Reflect::get(&storage, &JsValue::from_str("getItem")).ok()?.dyn_into().ok()?;
    get.call1(&storage, &JsValue::from_str(key)).ok()?.as_string()
}

/// Keeps `value` as `localStorage[key]` (silently nothing when storage is not available).
pub fn store_setting(key: &str, value: &str) {
    let Some(storage) = local_storage() else { return };
    if let Some(set) = Reflect::get(&storage, &JsValue::from_str("setItem")).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
        let _ = set.call2(&storage, &JsValue::from_str(key), &JsValue::from_str(value));
    }
}
