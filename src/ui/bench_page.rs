//! `#/bench?db=<url>&runs=<n>`: times loading a database and running every report in this
//! browser, and prints the figures as JSON for `make bench` to compare with native runs.
//! Above them it shows the comparison with DuckDB-WASM and native SQLite that `make bench`
//! recorded (`bench/comparison.json`, see `app::bench::recorded_comparison`).
//! With `&sql=<query>` it times that one query instead (for finding slow steps). With
//! `&docs=<questions.json>` it times the docs side instead (`crate::app::docs_bench`); with
//! `&import=<url>,<url>` an import of system-table exports. With `&reports=<key>,<key>` only
//! those reports (no graph, no aggregates): one round of `make bench`'s DuckDB-WASM comparison.

use leptos::prelude::*;

use super::browser_io::fetch_with_progress;
use super::state::{AppData, SEEDED_DB_URL};
use crate::app::bench::{recorded_comparison, time_import, time_sql};
use crate::base::clock::now_ms;
use crate::data::db::UsageDb;

async fn run_bench(url: String, runs: usize, sql: Option<String>, only: Option<Vec<String>>) -> Result<serde_json::Value, String> {
    let started = now_ms();
    let bytes = fetch_with_progress(&url, |_| {}).await?;
    let fetched = now_ms();
    let len = bytes.len();
    let db = UsageDb::from_reader(bytes, len).map_err(|e| e.to_string())?;
    let opened = now_ms();
    if let Some(sql) = sql {
        return time_sql(&db, &sql, runs);
    }
    let mut json = crate::app::bench::graph_and_reports(&db, runs, only.as_deref())?;
    json["db"] = serde_json::json!(url);
    json["bytes"] = serde_json::json!(len);
    json["fetch_ms"] = serde_json::json!(fetched - started);
    json["open_ms"] = serde_json::json!(opened - fetched);
    Ok(json)
}

async fn fetch_all(url: &str) -> Result<Vec<u8>, String> {
    Ok(fetch_with_progress(url, |_| {}).await.map_err(|e| format!("{url}: {e}"))?.into_vec())
}

/// The docs side in this browser: fetch times here, the rest as natively.
async fn run_docs_bench(db_url: String, questions_url: String, runs: usize) -> Result<serde_json::Value, String> {
    use super::docs_state::{DOCS_INDEX_URL, DOCS_MODEL_URL};
    let questions: Vec<String> = serde_json::from_slice(&fetch_all(&questions_url).await?).map_err(|e| e.to_string())?;
    let t = now_ms();
    let index = fetch_all(DOCS_INDEX_URL).await?;
    let index_fetch = now_ms() - t;
    let t = now_ms();
    let model = fetch_all(DOCS_MODEL_URL).await?;
    let model_fetch = now_ms() - t;
    let db_bytes = fetch_with_progress(&db_url, |_| {}).await?;
    let len = db_bytes.len();
    let db = UsageDb::from_reader(db_bytes, len).map_err(|e| e.to_string())?;
    let timings = crate::app::docs_bench::run(&index, &model, &questions, db.conn(), runs)?;
    let mut json = serde_json::to_value(&timings).map_err(|e| e.to_string())?;
    json["index_fetch_ms"] = serde_json::json!(index_fetch);
    json["model_fetch_ms"] = serde_json::json!(model_fetch);
    Ok(json)
}

/// Importing exports in this browser (`&import=<url>,<url>`): fetch, then `import_files`.
async fn run_import_bench(urls: String) -> Result<serde_json::Value, String> {
    let mut files = Vec::new();
    let t = now_ms();
    for url in urls.split(',').filter(|u| !u.is_empty()) {
        let name = url.rsplit('/').next().unwrap_or(url).to_string();
        files.push((name, fetch_all(url).await?));
    }
    let fetched = now_ms() - t;
    let mut json = time_import(&files)?;
    json["fetch_ms"] = serde_json::json!(fetched);
    Ok(json)
}

#[component]
pub fn BenchPage() -> impl IntoView {
    let app = expect_context::<AppData>();
    let (url, runs, sql, docs, import, only) = app.view.with_untracked(|v| {
        (
            v.extra.get("db").cloned().unwrap_or_else(|| SEEDED_DB_URL.to_string()),
            v.extra.get("runs").and_then(|r| r.parse().ok()).unwrap_or(5usize).max(1),
            v.extra.get("sql").cloned(),
            v.extra.get("docs").cloned(),
            v.extra.get("import").cloned(),
            v.extra.get("reports").map(|keys| keys.split(',').filter(|k| !k.is_empty()).map(str::to_string).collect::<Vec<_>>()),
        )
    });
    let result = LocalResource::new(move || {
        let (url, sql, docs, import, only) = (url.clone(), sql.clone(), docs.clone(), import.clone(), only.clone());
        async move {
            match (docs, import) {
                (Some(questions), _) => run_docs_bench(url, questions, runs).await,
                (None, Some(files)) => run_import_bench(files).await,
                (None, None) => run_bench(url, runs, sql, only).await,
            }
        }
    });
    view! {
        <RecordedComparison />
        <section class="panel">
            <h2>"Report timings in this browser"</h2>
            <Suspense fallback=|| view! { <p data-testid="bench-running">"Running…"</p> }>
                {move || Suspend::new(async move {
                    let text = match result.await {
                        Ok(json) => serde_json::to_string_pretty(&json).expect("serialises"),
                        Err(e) => serde_json::json!({ "error": e }).to_string(),
                    };
                    view! { <pre data-testid="bench-results">{text}</pre> }
                })}
            </Suspense>
        </section>
    }
}

fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// A ratio with two decimals, or two significant digits below 0.1 (so 0.0045 is not "0.00").
fn ratio(value: f64) -> String {
    if value >= 0.1 || value <= 0.0 {
        format!("{value:.2}×")
    } else {
        let decimals = (1 - value.log10().floor() as i32).max(2) as usize;
        format!("{value:.decimals$}×")
    }
}

/// The comparison `make bench` recorded (app, DuckDB-WASM, native SQLite), as a table.
#[component]
fn RecordedComparison() -> impl IntoView {
    let comparison = match recorded_comparison() {
        Ok(c) => c,
        Err(e) => return view! { <p class="error-text" role="alert">{e}</p> }.into_any(),
    };
    let rows = comparison
        .rows
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td>{r.db.clone()}</td>
                    <td class="num">{r.usage_rows.to_string()}</td>
                    <td>{r.question.clone()}</td>
                    <td class="num">{ms(r.app_ms)}</td>
                    <td class="num">{ms(r.duckdb_ms)}</td>
                    <td class="num">{ms(r.native_ms)}</td>
                    <td class="num">{ratio(r.app_per_duckdb())}</td>
                    <td class="num">{ratio(r.app_per_native())}</td>
                </tr>
            }
        })
        .collect_view();
    let memory = comparison
        .memory
        .iter()
        .map(|m| view! { <li>{format!("{}: app #/bench {} MiB, DuckDB-WASM page {} MiB", m.db, m.app_mib, m.duckdb_mib)}</li> })
        .collect_view();
    let import = &comparison.page.import;
    let import_line = format!(
        "Import of {} billing rows ({} MiB CSV) through the file input: {} ms, longest main-thread task {} ms, peak {} MiB",
        import.billing_rows, import.csv_mib, import.wall_ms, import.longest_task_ms, import.peak_mib
    );
    let reports = comparison
        .page
        .reports
        .iter()
        .map(|r| {
            let open = r
                .open_wall_ms
                .zip(r.open_longest_task_ms)
                .map(|(wall, task)| format!("opening it {wall} ms (longest task {task} ms); "))
                .unwrap_or_default();
            let tasks = r
                .longest_task_ms
                .iter()
                .map(|(key, task)| format!("{key} {} ms (longest task {task} ms)", r.wall_ms.get(key).copied().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", ");
            view! { <li>{format!("{}: {open}{tasks}; peak {} MiB", r.db, r.peak_mib)}</li> }
        })
        .collect_view();
    view! {
        <section class="panel" data-testid="bench-comparison">
            <h2>"App, DuckDB-WASM and native SQLite on the same questions"</h2>
            <p class="muted">
                {format!(
                    "Measured {} by make bench (bench/duckdb.mjs) on {}; {}. Median of {} interleaved rounds of {} runs; ms.",
                    comparison.measured, comparison.machine, comparison.duckdb, comparison.rounds, comparison.runs
                )}
            </p>
            <table class="data-table">
                <thead>
                    <tr>
                        <th>"Database"</th>
                        <th>"Usage rows"</th>
                        <th>"Question"</th>
                        <th>"App"</th>
                        <th>"DuckDB-WASM"</th>
                        <th>"Native SQLite"</th>
                        <th>"App ÷ DuckDB"</th>
                        <th>"App ÷ native"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <h3>"Peak renderer memory (VmHWM)"</h3>
            <ul>{memory}</ul>
            <h3>"The app's own page (engine in its worker)"</h3>
            <ul>
                <li>{import_line}</li>
                {reports}
            </ul>
        </section>
    }
    .into_any()
}
