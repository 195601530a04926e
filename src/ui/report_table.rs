//! A report table: the rows the engine computed (`app::table`), a button per row that
//! selects its entity (keyboard friendly), the selected row highlighted, and CSV download
//! (of every kept row, asked of the engine).

use leptos::prelude::*;

use super::browser_io::download_text;
use super::report_context::{select, ReportContext};
use super::state::AppData;
use crate::app::engine::{Reply, Request};
use crate::app::table::SHOWN_ROWS;
use crate::report::spec::TableSpec;

#[component]
pub fn ReportTable(spec: TableSpec) -> impl IntoView {
    let app = expect_context::<AppData>();
    let ctx = expect_context::<ReportContext>();
    let id = StoredValue::new(spec.id.clone());
    let view_of = move || ctx.with_page(|p| id.with_value(|id| p.tables.iter().find(|t| t.id == *id).map(|t| t.view.clone()))).flatten();
    let table_id = spec.id.clone();
    let download = move |_| {
        let request = Request::TableCsv { view: app.view.get_untracked(), table: table_id.clone() };
        leptos::task::spawn_local(async move {
            match app.engine.call(request).await {
                Reply::Csv(Some((name, csv))) => {
                    if let Err(e) = download_text(&name, "text/csv;charset=utf-8", &csv) {
                        leptos::logging::warn!("CSV download failed: {e}");
                    }
                }
                other => leptos::logging::warn!("CSV download failed: {other:?}"),
            }
        });
    };
    let headers = move || {
        view_of().map(|v| v.headers.into_iter().map(|h| view! { <th class:num=h.numeric title=h.meaning>{h.label}</th> }).collect_view())
    };
    let columns = spec.columns.len();
    let empty_text = spec.empty.clone();
    let body = move || {
        let v = view_of()?;
        let selected = ctx.selection().map(|s| s.entity);
        let total = v.total;
        let rows = v
            .rows
            .into_iter()
            .map(|row| {
                let is_selected = row.entity.is_some() && row.entity == selected;
                let cells = row
                    .cells
                    .into_iter()
                    .enumerate()
                    .map(|(n, cell)| {
                        let content = match (n, &row.entity) {
                            (0, Some(e)) => {
                                let e = e.clone();
                                view! {
                                    <button class="row-select" data-entity=e.to_string() on:click=move |_| select(app, Some(e.clone()))>
                                        {cell.text}
                                    </button>
                                }
                                .into_any()
                            }
                            _ => cell.text.into_any(),
                        };
                        view! { <td class:num=cell.numeric class:nowrap=cell.date>{content}</td> }
                    })
                    .collect_view();
                view! { <tr class:selected=is_selected>{cells}</tr> }
            })
            .collect_view();
        let empty = (total == 0).then(|| view! { <tr><td class="muted" colspan=columns>{empty_text.clone()}</td></tr> });
        let more = (total > SHOWN_ROWS).then(|| {
            view! {
                <tr><td class="muted" colspan=columns>
                    {format!("Showing {SHOWN_ROWS} of {total} rows; the CSV has all of them.")}
                </td></tr>
            }
        });
        Some(view! { {rows}{empty}{more} })
    };
    view! {
        <section class="panel table-panel" data-table=spec.id.clone()>
            <div class="panel-head">
                <h3>{spec.title.clone()}</h3>
                <button class="button subtle" data-testid=format!("csv-{}", spec.id) on:click=download>"Download CSV"</button>
            </div>
            {(!spec.help.is_empty()).then(|| view! { <p class="muted">{spec.help.clone()}</p> })}
            <div class="table-scroll">
                <table class="data-table">
                    <thead><tr>{headers}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        </section>
    }
}
