//! The page shell: header with the open-file control, the error panel, and — once data is
//! loaded — the navigation beside the current page (overview, a report, or the bench).
//! Dropping a `.db` file anywhere on the page opens it.

use std::rc::Rc;

use leptos::prelude::*;

use super::bench_page::BenchPage;
use super::dataset_switch::DatasetSwitch;
use super::docs_state::DocsState;
use super::import_page::ImportPage;
use super::load_error_panel::LoadErrorPanel;
use super::load_progress::LoadProgress;
use super::open_database::OpenDatabase;
use super::overview::Overview;
use super::report_nav::ReportNav;
use super::report_page::ReportPage;
use super::role_select::RoleSelect;
use super::state::AppData;
use crate::app::engine::DatasetInfo;
use crate::app::url_state::Page;

#[component]
pub fn App() -> impl IntoView {
    let app = match AppData::new() {
        Ok(app) => app,
        Err(e) => {
            return view! {
                <div class="error-panel" role="alert" data-testid="engine-error">
                    <div><strong>"This browser cannot run the app"</strong><p>{format!("Its engine did not start: {e}")}</p></div>
                </div>
            }
            .into_any();
        }
    };
    provide_context(app);
    provide_context(DocsState::new(app.engine));
    app.check_llm();
    app.load_initial();
    let dragging = RwSignal::new(false);

    let on_drag_over = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(true);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(list) = ev.data_transfer().and_then(|dt| dt.files()) {
            app.open_files((0..list.length()).filter_map(|i| list.get(i)).collect());
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
                <div class="topbar-actions">
                    <RoleSelect/>
                    <DatasetSwitch/>
                    <OpenDatabase/>
                </div>
            </header>
            <LoadErrorPanel/>
            {move || match (app.active(), app.load_error.get()) {
                (Some(data), _) => view! { <MainLayout data/> }.into_any(),
                (None, Some(message)) => view! {
                    <div class="error-panel" role="alert" data-testid="seeded-error">
                        <div>
                            <strong>"The demo data did not load"</strong>
                            <p>{message}</p>
                            <p class="muted">"You can still open your own usage database with the button above."</p>
                        </div>
                    </div>
                }
                .into_any(),
                (None, None) => view! { <main><LoadProgress/></main> }.into_any(),
            }}
            {move || app.config_error.get().map(|e| view! { <p class="error-text" role="alert" data-testid="config-error">{e}</p> })}
            <footer class="build muted" data-testid="build-id" data-build=crate::app::hosting::BUILD_ID>
                {format!("build {}", crate::app::hosting::BUILD_ID)}
            </footer>
            <div class="drop-hint" aria-hidden="true">"Drop a .db file, or system-table exports (CSV / JSON Lines), to open them"</div>
        </div>
    }
    .into_any()
}

/// Navigation beside the page the URL names. Only a change of page re-creates the page;
/// filters and selections update it in place.
#[component]
fn MainLayout(data: Rc<DatasetInfo>) -> impl IntoView {
    let app = expect_context::<AppData>();
    let page = Memo::new(move |_| app.view.with(|v| v.page.clone()));
    let data = StoredValue::new_local(data);
    view! {
        <div class="layout">
            <ReportNav/>
            <main class="content">
                {move || match page.get() {
                    Page::Overview => view! { <Overview data=data.get_value()/> }.into_any(),
                    Page::Report(key) => view! { <ReportPage data=data.get_value() report_key=key/> }.into_any(),
                    Page::Bench => view! { <BenchPage/> }.into_any(),
                    Page::Import => view! { <ImportPage data=data.get_value()/> }.into_any(),
                }}
            </main>
        </div>
    }
}
