//! One chart of a report: built from the current run, clickable (a mark selects its row's
//! entity), with a facet picker for faceted charts (the anomaly timeline's entity).

use leptos::prelude::*;

use super::chart::{EChart, MarkClick};
use super::report_context::{select, ReportContext};
use super::state::AppData;
use crate::charts::{build, facets, BuiltChart};
use crate::report::selection::selection_at;
use crate::report::spec::{ChartKind, ChartSpec};

#[component]
pub fn ReportChart(spec: ChartSpec) -> impl IntoView {
    let app = expect_context::<AppData>();
    let ctx = expect_context::<ReportContext>();
    let facet_column = match &spec.kind {
        ChartKind::BandTimeline { facet, .. } => Some(facet.clone()),
        _ => None,
    };
    // The facet shown: the URL's, else the selected row's, else the chart's default.
    let facet = {
        let facet_column = facet_column.clone();
        Signal::derive_local(move || -> Option<String> {
            let col = facet_column.as_ref()?;
            app.view.with(|v| v.facet.clone()).or_else(|| ctx.selection(app).and_then(|s| s.metric(col).map(|v| v.to_string())))
        })
    };
    let chart_spec = spec.clone();
    let built = Signal::derive_local(move || -> Option<BuiltChart> {
        let f = facet.get();
        ctx.with_result(|run, result| build(&run.report.spec, &chart_spec, result, f.as_deref())).flatten()
    });
    let on_click = Callback::new(move |(series, index): MarkClick| {
        let entity = built.with_untracked(|b| {
            let b = b.as_ref()?;
            let row = b.row_at(series, index)?;
            ctx.run.with_untracked(|r| {
                let run = r.as_ref()?;
                let result = run.outcome.as_ref().ok()?;
                selection_at(&run.report.spec, result, &b.dataset, row).map(|s| s.entity)
            })
        });
        if entity.is_some() {
            select(app, entity);
        }
    });
    let chart = Signal::derive_local(move || built.with(|b| b.as_ref().map(|b| b.chart.clone()).unwrap_or_else(|| serde_json::json!({}))));
    let facet_picker = facet_column.map(|_| {
        let facet_spec = spec.clone();
        let options = move || ctx.with_result(|_, result| facets(&facet_spec, result)).unwrap_or_default();
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
                        let selected = facet.get().or_else(|| ctx.with_result(|_, r| r.rows().get(0, "entity_id").to_string()));
                        options()
                            .into_iter()
                            .map(|(value, label)| {
                                let is_selected = selected.as_deref() == Some(value.as_str());
                                view! { <option value=value selected=is_selected>{label}</option> }
                            })
                            .collect_view()
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
