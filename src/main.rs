//! Entry point of the browser app (built by trunk for wasm32). A native build of this
//! binary only points at the real tools.

#[cfg(target_arch = "wasm32")]
fn main() {
    usage_copilot::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "usage-copilot is the browser app: run `make app` to build and serve it.\n\
         Native tools: cargo run -p build-tools --bin copilot -- --help"
    );
}
