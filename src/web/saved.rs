//! The one import earlier versions of the app kept in the browser's origin-private file
//! system (one file, written whole): read once and forgotten, when the worker moves it into
//! the datasets it keeps now. Called through `js_sys::Reflect`, since the OPFS API is young.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::io::js_error_text;

/// The file name inside the origin-private file system.
const FILE: &str = "imported-usage.db";

fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let f: Function = Reflect::get(target, &method.into())
        .map_err(|e| js_error_text(&e))?
        .dyn_into()
        .map_err(|_| format!("{method} is not available in this browser"))?;
    let array = js_sys::Array::new();
    for a in args {
        array.push(a);
    }
    f.apply(target, &array).map_err(|e| js_error_text(&e))
}

async fn awaited(value: JsValue) -> Result<JsValue, String> {
    let promise: Promise = value.dyn_into().map_err(|_| "expected a promise".to_string())?;
    JsFuture::from(promise).await.map_err(|e| js_error_text(&e))
}

async fn root() -> Result<JsValue, String> {
    // The page's `navigator` or the worker's: both have the storage manager.
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).map_err(|e| js_error_text(&e))?;
    let storage = Reflect::get(&navigator, &"storage".into()).map_err(|e| js_error_text(&e))?;
    if storage.is_undefined() {
        return Err("this browser has no storage manager".into());
    }
    awaited(call(&storage, "getDirectory", &[])?).await
}

/// The saved database, when there is one.
pub async fn load() -> Result<Option<Vec<u8>>, String> {
    let dir = root().await?;
    let handle = match call(&dir, "getFileHandle", &[FILE.into()]) {
        Ok(p) => match awaited(p).await {
            Ok(h) => h,
            Err(_) => return Ok(None),
        },
        Err(e) => return Err(e),
    };
    let file = awaited(call(&handle, "getFile", &[])?).await?;
    let buffer = awaited(call(&file, "arrayBuffer", &[])?).await?;
    let array = Uint8Array::new(&buffer);
    if array.length() == 0 {
        return Ok(None);
    }
    Ok(Some(array.to_vec()))
}

/// Removes the saved database (no error when there is none).
pub async fn forget() -> Result<(), String> {
    let dir = root().await?;
    match awaited(call(&dir, "removeEntry", &[FILE.into()])?).await {
        Ok(_) => Ok(()),
        Err(e) if e.contains("could not be found") || e.contains("NotFound") => Ok(()),
        Err(e) => Err(e),
    }
}
