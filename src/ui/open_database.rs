//! The control to open one's own usage database (`.db` file); dropping a file anywhere on
//! the page does the same (see `app`).

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

use super::state::AppData;

#[component]
pub fn OpenDatabase() -> impl IntoView {
    let app = expect_context::<AppData>();
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            app.open_file(file);
        }
        // Allow picking the same file again after fixing it.
        input.set_value("");
    };
    view! {
        <label class="button open-db" title="Open a usage database (.db); or drop it anywhere on the page">
            {move || if app.opening.get() { "Opening…" } else { "Open your .db file" }}
            <input
                type="file"
                accept=".db,.sqlite,.sqlite3"
                data-testid="open-db-input"
                on:change=on_change
            />
        </label>
    }
}
