//! `#/import`: what an import of system-table exports found — each file (recognised
//! table, rows, malformed lines, missing columns), which reports the files can power and
//! why not, the attribution gaps, and the dates each table covers.

use std::rc::Rc;

use leptos::prelude::*;

use super::state::AppData;
use crate::app::engine::{DatasetInfo, Reply, Request};
use crate::app::url_state::Page;
use crate::base::format::{thousands, usd};
use crate::data::import::ImportReport;
use crate::report::coverage::ReportCoverage;

#[component]
pub fn ImportPage(data: Rc<DatasetInfo>) -> impl IntoView {
    let app = expect_context::<AppData>();
    let _ = data;
    let info = LocalResource::new(move || async move { app.engine.call(Request::ImportInfo).await });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Reading the import…"</p> }>
            {move || Suspend::new(async move { import_view(info.await) })}
        </Suspense>
    }
}

fn import_view(reply: Reply) -> AnyView {
    let (report, coverage) = match reply {
        Reply::Import(Some(found)) => *found,
        Reply::Failed(e) => {
            return view! { <section class="panel" data-testid="import-error"><p class="error-text" role="alert">{e}</p></section> }
                .into_any();
        }
        _ => {
            return view! {
            <section class="panel" data-testid="import-none">
                <h2>"No import"</h2>
                <p>"The data shown was not imported from system-table exports. Open or drop your exports (CSV or JSON Lines of system.billing.usage, system.billing.list_prices, system.lakeflow.*, system.compute.*, system.query.history), or the pre-aggregated files the statements of sql/extract/ write on Databricks, to import them; nothing leaves this browser."</p>
            </section>
            }
            .into_any();
        }
    };
    view! {
        <section class="panel import-page" data-testid="import-page">
            <h2>"Imported system tables"</h2>
            <p class="muted">
                "Kept only in this browser (origin-private storage) as a dataset: a reload reopens it; rename or delete it under “Datasets in this browser” on the "
                <a href="#/">"overview"</a>"."
            </p>
            <Coverage coverage/>
            <Gaps report=report.clone()/>
            <Files report=report.clone()/>
            <Dates report=report/>
        </section>
    }
    .into_any()
}

#[component]
fn Coverage(coverage: Vec<ReportCoverage>) -> impl IntoView {
    let app = expect_context::<AppData>();
    let rows = coverage
        .into_iter()
        .map(|c| {
            let link = c.available.then(|| {
                let href = app.view.with_untracked(|v| v.switch_to(Page::Report(c.report.clone())).to_hash());
                view! { <a href=href>{c.title.clone()}</a> }
            });
            view! {
                <tr data-report=c.report.clone() data-available=c.available.to_string()>
                    <td>{if c.available { "✓" } else { "✗" }}</td>
                    <td>{link.map(|l| l.into_any()).unwrap_or_else(|| c.title.clone().into_any())}</td>
                    <td>{c.note}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>"Which reports these files can power"</h3>
        <table class="data-table" data-testid="import-coverage"><tbody>{rows}</tbody></table>
    }
}

#[component]
fn Gaps(report: ImportReport) -> impl IntoView {
    let g = report.gaps;
    let by_job = g.attributable_by_tasks.iter().map(|j| view! { <li>{format!("job {}: {}", j.job_id, usd(j.cost))}</li> }).collect_view();
    let sources = report.spot_sources.iter().map(|(s, n)| format!("{s}: {n}")).collect::<Vec<_>>().join(", ");
    view! {
        <h3>"Attribution gaps"</h3>
        <dl class="gaps" data-testid="import-gaps">
            <dt>"Spend (list price)"</dt><dd data-testid="gap-total">{usd(g.total_cost)}</dd>
            <dt>"Without job attribution (all-purpose clusters, SQL warehouses)"</dt>
            <dd data-testid="gap-unattributed">{format!("{} ({:.2}%)", usd(g.unattributed_cost), g.unattributed_share_pct)}</dd>
            <dt>"…of which job task runs on the same compute account for"</dt>
            <dd><span data-testid="gap-attributable">{usd(g.attributable_by_tasks_cost)}</span><ul>{by_job}</ul></dd>
            <dt>"Untagged spend"</dt><dd data-testid="gap-untagged">{format!("{} ({:.2}%)", usd(g.untagged_cost), g.untagged_share_pct)}</dd>
            <dt>"Other products (not in the reports)"</dt><dd>{usd(g.other_products_cost)}</dd>
            <dt>"DBUs without a list price"</dt><dd>{format!("{:.3}", g.unpriced_dbus)}</dd>
            <dt>"Spot share of job runs, by source"</dt><dd data-testid="gap-spot-sources">{sources}</dd>
            <dt>"Spot instances lost during runs"</dt><dd>{g.evictions}</dd>
        </dl>
    }
}

#[component]
fn Files(report: ImportReport) -> impl IntoView {
    let rows = report
        .files
        .into_iter()
        .map(|f| {
            let what = match (f.recognised_as(), &f.error) {
                (_, Some(e)) => format!("not read: {e}"),
                (Some(t), None) if f.duplicates > 0 => format!("{t} ({} duplicate rows dropped)", thousands(f.duplicates as u64)),
                (Some(t), None) => t,
                (None, None) => {
                    let closest = f.closest.map(|t| t.to_string()).or_else(|| f.closest_extract.map(|k| k.to_string())).unwrap_or_default();
                    format!("no known table; closest {closest} lacks {}", f.missing_columns.join(", "))
                }
            };
            let malformed = f.malformed.iter().map(|m| view! { <li>{format!("line {}: {}", m.line, m.message)}</li> }).collect_view();
            view! {
                <tr data-file=f.name.clone()>
                    <td>{f.name.clone()}</td>
                    <td>{what}</td>
                    <td class="num">{format!("{} of {}", thousands(f.imported as u64), thousands(f.rows as u64))}</td>
                    <td><ul class="malformed">{malformed}</ul></td>
                </tr>
            }
        })
        .collect_view();
    let missing = (!report.missing_extracts.is_empty()).then(|| {
        let names: Vec<&str> = report.missing_extracts.iter().map(|k| k.name()).collect();
        view! { <p class="muted" data-testid="missing-extracts">{format!("Pre-aggregated extracts missing (their tables stay empty): {}.", names.join(", "))}</p> }
    });
    view! {
        <h3>"Files"</h3>
        {missing}
        <table class="data-table" data-testid="import-files">
            <thead><tr><th>"File"</th><th>"Recognised as"</th><th>"Rows imported"</th><th>"Malformed lines"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn Dates(report: ImportReport) -> impl IntoView {
    let rows = report
        .tables
        .into_iter()
        .map(|t| {
            view! {
                <tr>
                    <td>{t.table.name()}</td>
                    <td class="num">{thousands(t.rows as u64)}</td>
                    <td>{t.first.unwrap_or_default()}</td>
                    <td>{t.last.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>"Dates each table covers"</h3>
        <table class="data-table" data-testid="import-dates">
            <thead><tr><th>"Table"</th><th>"Rows"</th><th>"First day"</th><th>"Last day"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
