//! The landing page: what the loaded data contains, its FOCUS export, the reports to open,
//! and the datasets kept in this browser.

use std::rc::Rc;

use leptos::prelude::*;

use super::browser_io::download_text;
use super::dataset_summary::DatasetSummaryView;
use super::datasets_panel::DatasetsPanel;
use super::state::AppData;
use crate::app::engine::{DatasetInfo, Reply, Request};
use crate::app::roles::{pillars_for, reports_for, role_of};
use crate::app::url_state::Page;
use crate::report::registry;

#[component]
pub fn Overview(data: Rc<DatasetInfo>) -> impl IntoView {
    let app = expect_context::<AppData>();
    let reg = registry();
    let export_error = RwSignal::new(None::<String>);
    // The engine writes the file (data::focus); the page only offers it as a download.
    let export_focus = move |_| {
        leptos::task::spawn_local(async move {
            match app.engine.call(Request::FocusCsv).await {
                Reply::Csv(Some((name, csv))) => {
                    export_error.set(download_text(&name, "text/csv;charset=utf-8", &csv).err());
                }
                Reply::Failed(message) => export_error.set(Some(message)),
                other => export_error.set(Some(format!("The export gave no file: {other:?}"))),
            }
        });
    };
    view! {
        <DatasetSummaryView data/>
        <section class="panel export-panel">
            <div class="panel-head">
                <h3>"FOCUS export"</h3>
                <button class="button subtle" data-testid="export-focus" on:click=export_focus>"Download FOCUS 1.2 CSV"</button>
            </div>
            <p class="muted">
                "Every usage row as a FinOps Open Cost and Usage Specification (FOCUS 1.2) row, for FinOps tools."
            </p>
            {move || export_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
        <section class="report-cards" data-testid="report-cards">
            {move || {
                let role = role_of(app.view.with(|v| v.role.clone()).as_deref());
                pillars_for(role, reg)
                    .into_iter()
                    .map(|p| {
                        view! {
                            <div class="pillar-cards" data-pillar=p.key.clone()>
                                <h3>{p.title.clone()}<span class="muted">{format!(" · {}", p.description)}</span></h3>
                                <div class="cards">
                                    {reports_for(role, reg, &p.key)
                                        .into_iter()
                                        .map(|r| {
                                            let key = r.spec.key.clone();
                                            let report = key.clone();
                                            view! {
                                                <a class="card" data-report=report href=move || app.view.with(|v| v.switch_to(Page::Report(key.clone())).to_hash())>
                                                    <strong>{r.spec.title.clone()}</strong>
                                                    <span class="muted">{r.spec.description.clone()}</span>
                                                </a>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                            </div>
                        }
                    })
                    .collect_view()
            }}
        </section>
        <DatasetsPanel/>
    }
}
