//! The landing page: what the loaded data contains, the reports to open, and the datasets
//! kept in this browser.

use std::rc::Rc;

use leptos::prelude::*;

use super::dataset_summary::DatasetSummaryView;
use super::datasets_panel::DatasetsPanel;
use super::state::AppData;
use crate::app::engine::DatasetInfo;
use crate::app::url_state::Page;
use crate::report::registry;

#[component]
pub fn Overview(data: Rc<DatasetInfo>) -> impl IntoView {
    let app = expect_context::<AppData>();
    let reg = registry();
    view! {
        <DatasetSummaryView data/>
        <section class="report-cards">
            {reg
                .pillars
                .iter()
                .map(|p| {
                    view! {
                        <div class="pillar-cards">
                            <h3>{p.title.clone()}<span class="muted">{format!(" · {}", p.description)}</span></h3>
                            <div class="cards">
                                {reg
                                    .in_pillar(&p.key)
                                    .map(|r| {
                                        let key = r.spec.key.clone();
                                        view! {
                                            <a class="card" href=move || app.view.with(|v| v.switch_to(Page::Report(key.clone())).to_hash())>
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
                .collect_view()}
        </section>
        <DatasetsPanel/>
    }
}
