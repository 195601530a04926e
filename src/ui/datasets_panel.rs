//! The datasets kept in this browser, on the overview: name, what it is, size and when it
//! was added; open, rename or delete each (the one open cannot be deleted). The demo is
//! always there besides them.

use leptos::prelude::*;

use super::state::AppData;
use crate::app::datasets::{StoredDataset, MAX_NAME_CHARS};
use crate::base::format::file_size;

#[component]
pub fn DatasetsPanel() -> impl IntoView {
    let app = expect_context::<AppData>();
    let rows = move || app.datasets.with(|l| l.stored.clone());
    let current = Memo::new(move |_| app.active().and_then(|d| d.stored.clone()));
    view! {
        <section class="panel datasets" data-testid="datasets">
            <h2>"Datasets in this browser"</h2>
            {move || app.datasets.with(|l| l.unavailable.clone()).map(|why| view! {
                <p class="muted" data-testid="datasets-unavailable">{format!("Opened data is not kept in this browser: {why}.")}</p>
            })}
            <p class="muted">
                "Databases you open and system tables you import are kept here, in this browser's private storage, and reopened in place; nothing leaves the machine. The demo data is always available."
            </p>
            {move || app.datasets_error.get().map(|e| view! { <p class="error-text" role="alert" data-testid="datasets-error">{e}</p> })}
            <table class="data-table" data-testid="datasets-table">
                <thead>
                    <tr><th>"Name"</th><th>"What"</th><th class="num">"Size"</th><th>"Added"</th><th></th></tr>
                </thead>
                <tbody>
                    <tr data-dataset="demo">
                        <td>"Demo data"</td>
                        <td>"seeded demo"</td>
                        <td></td>
                        <td></td>
                        <td>
                            {move || if current.get().is_none() {
                                view! { <span class="muted">"open"</span> }.into_any()
                            } else {
                                view! { <button class="button subtle small" data-testid="dataset-open" on:click=move |_| app.open_demo()>"Open"</button> }.into_any()
                            }}
                        </td>
                    </tr>
                    <For each=rows key=|d| (d.id.clone(), d.name.clone(), d.bytes) let:dataset>
                        <DatasetRow dataset current/>
                    </For>
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn DatasetRow(dataset: StoredDataset, current: Memo<Option<String>>) -> impl IntoView {
    let app = expect_context::<AppData>();
    let id = StoredValue::new(dataset.id.clone());
    let is_current = move || current.get().as_deref() == Some(id.get_value().as_str());
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let draft = RwSignal::new(dataset.name.clone());
    let save = move || {
        editing.set(false);
        app.rename_dataset(id.get_value(), draft.get_untracked());
    };
    let name = dataset.name.clone();
    view! {
        <tr data-dataset=dataset.id.clone() data-bytes=dataset.bytes.to_string()>
            <td>
                {move || if editing.get() {
                    view! {
                        <input
                            class="rename"
                            data-testid="dataset-name-input"
                            maxlength=MAX_NAME_CHARS.to_string()
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                if ev.key() == "Enter" { save() } else if ev.key() == "Escape" { editing.set(false) }
                            }
                        />
                        <button class="button small" data-testid="dataset-rename-save" on:click=move |_| save()>"Save"</button>
                    }
                    .into_any()
                } else {
                    view! { <span data-testid="dataset-name">{name.clone()}</span> }.into_any()
                }}
            </td>
            <td>{dataset.kind.describe()}</td>
            <td class="num" data-testid="dataset-size">{file_size(dataset.bytes)}</td>
            <td>{dataset.added.replace('T', " ").trim_end_matches('Z').to_string()}</td>
            <td class="actions">
                {move || if is_current() {
                    view! { <span class="muted">"open"</span> }.into_any()
                } else {
                    view! { <button class="button subtle small" data-testid="dataset-open" on:click=move |_| app.open_stored(id.get_value())>"Open"</button> }.into_any()
                }}
                <button class="button subtle small" data-testid="dataset-rename" on:click=move |_| editing.set(true)>"Rename"</button>
                {move || (!is_current()).then(|| if confirming.get() {
                    view! {
                        <button class="button danger small" data-testid="dataset-delete-confirm" on:click=move |_| app.delete_dataset(id.get_value())>"Delete for good"</button>
                        <button class="button subtle small" on:click=move |_| confirming.set(false)>"Keep"</button>
                    }
                    .into_any()
                } else {
                    view! { <button class="button subtle small" data-testid="dataset-delete" on:click=move |_| confirming.set(true)>"Delete"</button> }.into_any()
                })}
            </td>
        </tr>
    }
}
