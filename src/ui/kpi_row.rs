//! The report's KPIs as cards.

use leptos::prelude::*;

use super::report_context::ReportContext;
use crate::report::display::report_value;
use crate::report::output::export_value;

#[component]
pub fn KpiRow() -> impl IntoView {
    let ctx = expect_context::<ReportContext>();
    move || {
        ctx.with_result(|_, result| {
            result
                .kpis
                .iter()
                .map(|k| {
                    let raw = export_value(&k.value, k.unit).to_string();
                    view! {
                        <div class="kpi" title=k.help.clone()>
                            <div class="kpi-label">{k.label.clone()}</div>
                            <div class="kpi-value" data-kpi=k.name.clone() data-value=raw>{report_value(&k.value, k.unit)}</div>
                        </div>
                    }
                })
                .collect_view()
        })
        .map(|cards| view! { <div class="kpis" data-testid="report-kpis">{cards}</div> })
    }
}
