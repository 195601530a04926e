//! The report's KPIs as cards, as the engine formatted them.

use leptos::prelude::*;

use super::report_context::ReportContext;

#[component]
pub fn KpiRow() -> impl IntoView {
    let ctx = expect_context::<ReportContext>();
    move || {
        ctx.with_page(|p| {
            (p.error.is_none()).then(|| {
                let cards = p
                    .kpis
                    .iter()
                    .map(|k| {
                        view! {
                            <div class="kpi" title=k.help.clone()>
                                <div class="kpi-label">{k.label.clone()}</div>
                                <div class="kpi-value" data-kpi=k.name.clone() data-value=k.raw.clone()>{k.text.clone()}</div>
                            </div>
                        }
                    })
                    .collect_view();
                view! { <div class="kpis" data-testid="report-kpis">{cards}</div> }
            })
        })
        .flatten()
    }
}
