//! The header's dataset picker: the demo and every dataset kept in this browser; choosing
//! one opens it (a kept one in place, from the browser's storage).

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlSelectElement;

use super::state::AppData;

/// The picker's value for the demo (kept datasets use their ids, `d1`, `d2`…).
const DEMO: &str = "demo";

#[component]
pub fn DatasetSwitch() -> impl IntoView {
    let app = expect_context::<AppData>();
    let current = move || app.active().and_then(|d| d.stored.clone()).unwrap_or_else(|| DEMO.to_string());
    let on_change = move |ev: leptos::ev::Event| {
        let Some(select) = ev.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()) else { return };
        let wanted = select.value();
        if wanted == current() {
            return;
        }
        if wanted == DEMO {
            app.open_demo();
        } else {
            app.open_stored(wanted);
        }
    };
    let stored = move || app.datasets.with(|l| l.stored.iter().map(|d| (d.id.clone(), d.name.clone())).collect::<Vec<_>>());
    view! {
        <Show when=move || !app.datasets.with(|l| l.stored.is_empty())>
            <label class="dataset-switch">
                <span class="muted">"Dataset "</span>
                <select data-testid="dataset-switch" prop:value=current on:change=on_change disabled=move || app.opening.get()>
                    <option value=DEMO selected=move || current() == DEMO>"Demo data"</option>
                    <For each=stored key=|(id, name)| (id.clone(), name.clone()) let:item>
                        {
                            let (id, name) = item;
                            let selected_id = id.clone();
                            view! { <option value=id selected=move || current() == selected_id>{name}</option> }
                        }
                    </For>
                </select>
            </label>
        </Show>
    }
}
