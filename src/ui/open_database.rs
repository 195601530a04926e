//! The control to open one's own usage database (`.db` file) or system-table exports to
//! import; dropping files anywhere on the page does the same (see `app`).

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

use super::state::AppData;

#[component]
pub fn OpenDatabase() -> impl IntoView {
    let app = expect_context::<AppData>();
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
        if let Some(list) = input.files() {
            app.open_files((0..list.length()).filter_map(|i| list.get(i)).collect());
        }
        // Allow picking the same file again after fixing it.
        input.set_value("");
    };
    view! {
        <label class="button open-db" title="Open a usage database (.db), or import Databricks system-table exports (CSV / JSON Lines, gzip'd or not, or Parquet, of system.billing.usage, list_prices, lakeflow, compute, query history); or drop them anywhere on the page. Nothing leaves this browser.">
            {move || if app.opening.get() { "Opening…" } else { "Open your data" }}
            <input
                type="file"
                multiple
                accept=".db,.sqlite,.sqlite3,.csv,.json,.jsonl,.ndjson,.gz,.parquet"
                data-testid="open-db-input"
                on:change=on_change
            />
        </label>
        {move || app.import_status.get().map(|s| view! {
            <span class="muted import-status" role="status" data-testid="import-status">{s}</span>
            <button class="button subtle small" data-testid="import-cancel" on:click=move |_| app.cancel_import()>"Cancel"</button>
        })}
    }
}
