//! (wasm only) The browser's I/O that works on the page and in a worker alike: fetching
//! with byte progress from whatever global scope runs the code, reading a `File` as a stream
//! of chunks, and errors as text. Below both `ui` and `worker`, so neither reimplements it.

pub mod io;
pub mod saved;
