//! One chart of a report: the option the engine built, clickable (a mark selects its
//! entity, which the engine mapped per mark), with a facet picker for faceted charts (the
//! anomaly timeline's entity).

use leptos::prelude::*;

use super::chart::{EChart, MarkClick};
use super::report_context::{select, ReportContext};
use super::state::AppData;
use crate::app::engine::PageChart;
use crate::report::spec::ChartSpec;

#[component]
pub fn ReportChart(spec: ChartSpec) -> impl IntoView {
    let app = expect_context::<AppData>();
    let ctx = expect_context::<ReportContext>();
    let id = spec.id.clone();
    let built = Memo::new(move |_| ctx.with_page(|p| p.charts.iter().find(|c| c.id == id).cloned()).flatten());
    let on_click = Callback::new(move |(series, index): MarkClick| {
        let entity = built.with_untracked(|b: &Option<PageChart>| b.as_ref()?.entities.get(series)?.get(index)?.clone());
        if entity.is_some() {
            select(app, entity);
        }
    });
    let chart = Signal::derive_local(move || built.with(|b| b.as_ref().map(|b| b.option.clone()).unwrap_or_else(|| serde_json::json!({}))));
    let faceted = spec.kind.facet_column().is_some();
    let facet_picker = faceted.then(|| {
        view! {
            <label class="facet">
                "Entity "
                <select
                    data-testid=format!("facet-{}", spec.id)
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        app.update_view(|v| v.facet = Some(value));
                    }
                >
                    {move || {
                        built.with(|b| {
                            let Some(b) = b else { return Vec::new() };
                            b.facets
                                .iter()
                                .map(|(value, label)| {
                                    let is_selected = b.facet.as_deref() == Some(value.as_str());
                                    view! { <option value=value.clone() selected=is_selected>{label.clone()}</option> }
                                })
                                .collect::<Vec<_>>()
                        })
                    }}
                </select>
            </label>
        }
    });
    view! {
        <section class="panel chart-panel" data-chart=spec.id.clone()>
            <div class="panel-head">
                <h3>{spec.title.clone()}</h3>
                {facet_picker}
            </div>
            {(!spec.help.is_empty()).then(|| view! { <p class="muted">{spec.help.clone()}</p> })}
            <EChart chart=chart height=spec.height label=spec.title.clone() on_click=on_click/>
        </section>
    }
}
