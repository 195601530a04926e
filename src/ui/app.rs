//! The page: header with the data source and the open-file control, the error panel, and
//! the loaded data. Dropping a `.db` file anywhere on the page opens it.

use leptos::prelude::*;

use super::dataset_summary::DatasetSummaryView;
use super::load_error_panel::LoadErrorPanel;
use super::load_progress::LoadProgress;
use super::open_database::OpenDatabase;
use super::state::AppData;

#[component]
pub fn App() -> impl IntoView {
    let app = AppData::new();
    provide_context(app);
    let dragging = RwSignal::new(false);

    let on_drag_over = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(true);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = ev.data_transfer().and_then(|dt| dt.files()).and_then(|files| files.get(0)) {
            app.open_file(file);
        }
    };

    view! {
        <div
            class="app"
            class:dragging=move || dragging.get()
            on:dragover=on_drag_over
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <header class="topbar">
                <div class="brand">
                    <h1>"Databricks Usage Copilot"</h1>
                    <span class="tagline">"SQL defines the facts · reports define the question · clicks define scope · the LLM only explains"</span>
                </div>
                <OpenDatabase/>
            </header>
            <LoadErrorPanel/>
            <main>
                <Suspense fallback=|| view! { <LoadProgress/> }>
                    {move || Suspend::new(async move {
                        let seeded = app.seeded.await;
                        let seeded_error = seeded.err();
                        view! {
                            {move || {
                                let error = seeded_error.clone().filter(|_| app.opened.get().is_none());
                                error.map(|message| view! {
                                    <div class="error-panel" role="alert" data-testid="seeded-error">
                                        <div>
                                            <strong>"The demo data did not load"</strong>
                                            <p>{message}</p>
                                            <p class="muted">"You can still open your own usage database with the button above."</p>
                                        </div>
                                    </div>
                                })
                            }}
                            {move || app.active().map(|data| view! { <DatasetSummaryView data/> })}
                        }
                    })}
                </Suspense>
            </main>
            <div class="drop-hint" aria-hidden="true">"Drop a .db file to open it"</div>
        </div>
    }
}
