//! A report table: formatted cells, a button per row that selects its entity (keyboard
//! friendly), the selected row highlighted, and CSV download.

use leptos::prelude::*;

use super::browser_io::download_text;
use super::report_context::{select, ReportContext};
use super::state::AppData;
use crate::format::report_value;
use crate::report::dataset::Dataset;
use crate::report::expr::Condition;
use crate::report::output::dataset_csv;
use crate::report::selection::selection_at;
use crate::report::spec::TableSpec;
use crate::report::transform::matching_rows;

/// Rows shown in the page; the CSV always has all of them.
const SHOWN_ROWS: usize = 200;

#[component]
pub fn ReportTable(spec: TableSpec) -> impl IntoView {
    let app = expect_context::<AppData>();
    let ctx = expect_context::<ReportContext>();
    let table = spec.clone();
    let rows_of = move || -> Option<(Dataset, Vec<usize>)> {
        ctx.with_result(|_, result| {
            let data = result.dataset(&table.dataset)?;
            // Row numbers stay those of the dataset, so rows map back to entities.
            let keep = match table.filter.as_deref().map(Condition::parse) {
                Some(Ok(cond)) => matching_rows(data, &cond),
                _ => (0..data.len()).collect(),
            };
            Some((data.clone(), keep))
        })
        .flatten()
    };
    let download_spec = spec.clone();
    let download_rows = rows_of.clone();
    let download = move |_| {
        let rows_of = &download_rows;
        let Some((data, keep)) = rows_of() else { return };
        let Some((csv, name)) = ctx.with_result(|run, result| {
            let subset = Dataset { columns: data.columns.clone(), rows: keep.iter().map(|&i| data.rows[i].clone()).collect() };
            let csv = dataset_csv(&run.report.spec, &subset, &download_spec.columns);
            (csv, format!("{}_{}_{}_{}.csv", run.report.spec.key, download_spec.id, result.filters.from, result.filters.to))
        }) else {
            return;
        };
        if let Err(e) = download_text(&name, "text/csv;charset=utf-8", &csv) {
            leptos::logging::warn!("CSV download failed: {e}");
        }
    };
    let columns = spec.columns.clone();
    let headers = move || {
        ctx.with_result(|run, _| {
            columns
                .iter()
                .map(|c| {
                    let col = run.report.spec.column(c);
                    let numeric = col.is_some_and(|c| c.unit.decimals().is_some());
                    view! {
                        <th class:num=numeric title=col.map(|c| c.meaning.clone()).unwrap_or_default()>
                            {run.report.spec.label_of(c).to_string()}
                        </th>
                    }
                })
                .collect_view()
        })
    };
    let body_spec = spec.clone();
    let body = move || {
        let (data, keep) = rows_of()?;
        let total = keep.len();
        let selected = ctx.selection(app).map(|s| s.entity);
        let cells = ctx.with_result(|run, result| {
            keep.iter()
                .take(SHOWN_ROWS)
                .map(|&i| {
                    let entity = selection_at(&run.report.spec, result, &body_spec.dataset, i).map(|s| s.entity);
                    let is_selected = entity.is_some() && entity == selected;
                    let row_cells = body_spec
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(n, c)| {
                            let unit = run.report.spec.unit_of(c);
                            let text = report_value(data.get(i, c), unit);
                            let numeric = unit.decimals().is_some();
                            let date = unit == crate::report::spec::Unit::Date;
                            let content = match (n, &entity) {
                                (0, Some(e)) => {
                                    let e = e.clone();
                                    view! {
                                        <button class="row-select" data-entity=e.to_string() on:click=move |_| select(app, Some(e.clone()))>
                                            {text}
                                        </button>
                                    }
                                    .into_any()
                                }
                                _ => text.into_any(),
                            };
                            view! { <td class:num=numeric class:nowrap=date>{content}</td> }
                        })
                        .collect_view();
                    view! { <tr class:selected=is_selected>{row_cells}</tr> }
                })
                .collect_view()
        })?;
        let empty = (total == 0).then(|| {
            view! { <tr><td class="muted" colspan=body_spec.columns.len()>{body_spec.empty.clone()}</td></tr> }
        });
        let more = (total > SHOWN_ROWS).then(|| {
            view! {
                <tr><td class="muted" colspan=body_spec.columns.len()>
                    {format!("Showing {SHOWN_ROWS} of {total} rows; the CSV has all of them.")}
                </td></tr>
            }
        });
        Some(view! { {cells}{empty}{more} })
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
