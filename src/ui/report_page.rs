//! A report: title and formulas, filters, KPIs, charts, a keyboard-friendly list of what
//! can be selected, tables, and the commentary pane.

use std::rc::Rc;

use leptos::prelude::*;

use super::browser_io::{store_setting, stored_setting};
use super::budgets_panel::BudgetsPanel;
use super::copilot_state::CopilotState;
use super::filters_bar::FiltersBar;
use super::kpi_row::KpiRow;
use super::report_chart::ReportChart;
use super::report_context::{select, CommentaryWidth, ReportContext};
use super::report_table::ReportTable;
use super::selection_pane::SelectionPane;
use super::state::AppData;
use crate::app::engine::DatasetInfo;
use crate::report::registry;
use crate::report::spec::ReportEditor;

/// Where the commentary's width is kept (`localStorage`).
const COMMENTARY_WIDTH_KEY: &str = "copilot.commentary-width";

#[component]
pub fn ReportPage(data: Rc<DatasetInfo>, report_key: String) -> impl IntoView {
    let app = expect_context::<AppData>();
    let Some(report) = registry().get(&report_key) else {
        return view! {
            <div class="error-panel" role="alert">
                <div><strong>"Unknown report"</strong><p>{format!("There is no report called {report_key:?}.")}</p></div>
            </div>
        }
        .into_any();
    };
    let ctx = ReportContext::new(app);
    provide_context(ctx);
    // A new report page starts with no answers: none carry over from another report.
    provide_context(CopilotState::new());
    // The commentary's width, kept in this browser: normal or wide.
    let wide = RwSignal::new(stored_setting(COMMENTARY_WIDTH_KEY).as_deref() == Some("wide"));
    Effect::new(move |_| store_setting(COMMENTARY_WIDTH_KEY, if wide.get() { "wide" } else { "normal" }));
    provide_context(CommentaryWidth(wide));
    let spec = &report.spec;
    let error = move || {
        ctx.with_page(|p| p.error.clone()).flatten().map(|message| {
            view! {
                <div class="error-panel" role="alert" data-testid="report-error">
                    <div><strong>"The report could not run"</strong><p>{message}</p></div>
                </div>
            }
        })
    };
    let selectable = move || {
        ctx.with_page(|p| {
            p.selectable
                .iter()
                .map(|(entity, label)| {
                    let e = entity.clone();
                    view! {
                        <button class="chip subtle" data-select=entity.to_string() on:click=move |_| select(app, Some(e.clone()))>
                            {label.clone()}
                        </button>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <div class="report-layout" class:wide-commentary=move || wide.get() data-testid="report-page" data-report=spec.key.clone() data-pending=move || ctx.pending.get().to_string()>
            <div class="report-main">
                <header class="report-head">
                    <h2>{spec.title.clone()}</h2>
                    <p class="muted">{spec.description.clone()}</p>
                    {(!spec.notes.is_empty()).then(|| view! {
                        <details class="notes">
                            <summary>"How these figures are computed"</summary>
                            <ul>{spec.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}</ul>
                        </details>
                    })}
                </header>
                {(spec.editor == Some(ReportEditor::Budgets)).then(|| view! { <BudgetsPanel data=data.clone()/> })}
                <FiltersBar data=data.clone() report_key=report_key.clone()/>
                {error}
                <KpiRow/>
                {spec.charts.iter().map(|c| view! { <ReportChart spec=c.clone()/> }).collect_view()}
                <section class="panel">
                    <h3>"Select an item"</h3>
                    <div class="chips" data-testid="selectable-list">{selectable}</div>
                </section>
                {spec.tables.iter().map(|t| view! { <ReportTable spec=t.clone()/> }).collect_view()}
            </div>
            <SelectionPane/>
        </div>
    }
    .into_any()
}
