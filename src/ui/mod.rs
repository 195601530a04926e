//! The Leptos user interface (wasm only): small components, one concern per file, sharing
//! state through context (`state::AppData`, `report_context::ReportContext`). All figures
//! and every decision come from the layers below (`app` above all: the session, the report
//! page's presenter, table rows, the LLM retry policy); the UI loads bytes, calls them and
//! draws the result.
//!
//! | file | owns |
//! |------|------|
//! | `app` | the page shell, page routing, page-wide drag-and-drop |
//! | `engine_client` | the page's side of the engine worker: requests with ids, replies and progress |
//! | `state` | the app context: host config (an awaited resource), the loaded data's `DatasetInfo`, the kept datasets, opening a user's file |
//! | `router` | keeping the view in sync with the URL hash; navigation |
//! | `browser_io` | fetch with byte progress, reading files, downloads, a pause, settings kept in `localStorage` |
//! | `load_progress`, `open_database`, `load_error_panel` | loading data and its errors |
//! | `overview`, `dataset_summary` | the landing page: dataset summary and report cards |
//! | `datasets_panel`, `dataset_switch` | the datasets kept in this browser: list, open, rename, delete; the header's picker |
//! | `budgets_panel` | the budgets editor above the Budgets report: list, add, remove, export and import the budgets file |
//! | `report_nav` | the navigation, reports grouped by pillar (the role's first) |
//! | `role_select` | the header's role picker (`app::roles`), kept in the URL |
//! | `report_page`, `report_context` | a report: the engine's `ReportPage` for the URL's view, filters, KPIs, charts, tables, the commentary's width (kept in `localStorage`) |
//! | `filters_bar`, `kpi_row`, `report_chart`, `report_table` | the parts of a report |
//! | `selection_pane` | the commentary pane: selection, chips by lane, follow-up, answers |
//! | `copilot_state` | answers per selection (built by `Session::prepare`), streaming them with `app::llm_policy` |
//! | `docs_state` | the docs index and model, fetched on the first question that needs them |
//! | `answer_card`, `markdown_view` | an answer, rendered from the safe Markdown AST |
//! | `what_if_box` | a What if chip's computed result above an LLM's answer |
//! | `debug_panel` | exact messages, facts with SQL, subgraph, timings, groundedness |
//! | `llm_client` | the proxy's health and streamed chat completions, cancellable |
//! | `llm_notice` | where answers come from, and how to configure an LLM |
//! | `chart` | an ECharts host for a `charming::Chart`, with click events |
//! | `import_page` | what an import of system-table exports found |
//! | `bench_page` | report timings in the browser, for `make bench` |

mod answer_card;
mod app;
mod bench_page;
mod browser_io;
mod budgets_panel;
mod chart;
mod copilot_state;
mod dataset_summary;
mod dataset_switch;
mod datasets_panel;
mod debug_panel;
mod docs_state;
mod engine_client;
mod filters_bar;
mod import_page;
mod kpi_row;
mod llm_client;
mod llm_notice;
mod load_error_panel;
mod load_progress;
mod markdown_view;
mod open_database;
mod overview;
mod report_chart;
mod report_context;
mod report_nav;
mod report_page;
mod report_table;
mod role_select;
mod router;
mod selection_pane;
mod state;
mod what_if_box;

/// Mounts the app on `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
