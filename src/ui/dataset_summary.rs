//! What the loaded database contains: headline figures and spend per compute type.

use std::rc::Rc;

use leptos::prelude::*;

use super::chart::EChart;
use crate::app::engine::DatasetInfo;
use crate::base::format::{thousands, usd};
use crate::charts::spend_by_compute_type;
use crate::data::summary::compute_type_label;

#[component]
fn Kpi(label: &'static str, value: String, testid: &'static str, raw: String) -> impl IntoView {
    view! {
        <div class="kpi">
            <div class="kpi-label">{label}</div>
            <div class="kpi-value" data-testid=testid data-value=raw>{value}</div>
        </div>
    }
}

#[component]
pub fn DatasetSummaryView(data: Rc<DatasetInfo>) -> impl IntoView {
    let s = data.summary.clone();
    let range = match (&s.first_date, &s.last_date) {
        (Some(a), Some(b)) => format!("{a} – {b} ({} days)", s.days),
        _ => "no usage rows".to_string(),
    };
    let range_raw = format!("{}..{}", s.first_date.clone().unwrap_or_default(), s.last_date.clone().unwrap_or_default());
    let chart = spend_by_compute_type(&s);
    let rows = s.spend_by_compute_type.clone();
    // Values the loader could not use (infinite or text costs): said, not silently summed.
    let warnings = (!data.warnings.is_empty()).then(|| {
        let items = data.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view();
        view! { <ul class="warnings" role="status" data-testid="load-warnings">{items}</ul> }
    });
    view! {
        <section class="summary" data-testid="dataset-summary">
            <h2>"Dataset summary"</h2>
            <p class="muted" data-testid="data-source">{data.description.clone()}</p>
            {warnings}
            <div class="kpis">
                <Kpi label="Workspaces" value=thousands(s.workspaces) testid="summary-workspaces" raw=s.workspaces.to_string()/>
                <Kpi label="Jobs" value=thousands(s.jobs) testid="summary-jobs" raw=s.jobs.to_string()/>
                <Kpi
                    label="Job runs"
                    value=format!("{} ({} failed)", thousands(s.job_runs), thousands(s.failed_runs))
                    testid="summary-runs"
                    raw=s.job_runs.to_string()
                />
                <Kpi label="Date range" value=range testid="summary-date-range" raw=range_raw/>
                <Kpi label="Total spend" value=usd(s.total_spend_usd) testid="summary-total-spend" raw=s.total_spend_usd.to_string()/>
            </div>
            <h3>"Spend per compute type"</h3>
            <div class="two-col">
                <table class="data-table" data-testid="spend-by-type">
                    <thead>
                        <tr><th>"Compute type"</th><th class="num">"Spend"</th><th class="num">"Share"</th></tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <tr data-compute-type=r.compute_type.clone() data-spend=r.spend_usd.to_string() data-share=r.share_pct.to_string()>
                                        <td>{compute_type_label(&r.compute_type).to_string()}</td>
                                        <td class="num">{usd(r.spend_usd)}</td>
                                        <td class="num">{format!("{:.2}%", r.share_pct)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
                <EChart chart=Signal::stored_local(chart) height=220 label="Spend per compute type"/>
            </div>
        </section>
    }
}
