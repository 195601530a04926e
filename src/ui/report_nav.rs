//! The navigation: the overview, then every report grouped by pillar, in the URL's role's
//! order. Links keep the current filters and role.

use leptos::prelude::*;

use super::state::AppData;
use crate::app::roles::{pillars_for, reports_for, role_of};
use crate::app::url_state::Page;
use crate::report::registry;

#[component]
pub fn ReportNav() -> impl IntoView {
    let app = expect_context::<AppData>();
    let href = move |page: Page| app.view.with(|v| v.switch_to(page).to_hash());
    let is_page = move |page: Page| app.view.with(|v| v.page == page);
    let reg = registry();
    // Pillars and reports in the role's order (redrawn when the URL's role changes).
    let role_key = Memo::new(move |_| app.view.with(|v| v.role.clone()));
    let pillars = move || {
        let role = role_of(role_key.get().as_deref());
        pillars_for(role, reg)
            .into_iter()
            .map(|pillar| {
                view! {
                    <div class="pillar" data-pillar=pillar.key.clone()>
                        <h4 title=pillar.description.clone()>{pillar.title.clone()}</h4>
                        <ul>
                            {reports_for(role, reg, &pillar.key)
                                .into_iter()
                                .map(|r| {
                                    let key = r.spec.key.clone();
                                    let (k1, k2) = (key.clone(), key.clone());
                                    view! {
                                        <li>
                                            <a
                                                href=move || href(Page::Report(k1.clone()))
                                                class:active=move || is_page(Page::Report(k2.clone()))
                                                data-report=key
                                            >
                                                {r.spec.title.clone()}
                                            </a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <nav class="report-nav" aria-label="Reports">
            <a href=move || href(Page::Overview) class:active=move || is_page(Page::Overview) data-testid="nav-overview">
                "Overview"
            </a>
            {pillars}
            {move || {
                let imported = app.active().is_some_and(|d| d.imported);
                imported.then(|| view! {
                    <a href=move || href(Page::Import) class:active=move || is_page(Page::Import) data-testid="nav-import">"Import coverage"</a>
                })
            }}
        </nav>
    }
}
