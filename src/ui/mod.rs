//! The Leptos user interface (wasm only): small components, one concern per file, sharing
//! state through context (`state::AppData`). All figures come from the core modules; the
//! UI only loads bytes, calls them and draws the result.
//!
//! | file | owns |
//! |------|------|
//! | `app` | the page layout, context setup, page-wide drag-and-drop |
//! | `state` | loaded data (`LoadedData`), the app context, opening a user's file |
//! | `browser_io` | fetch with byte progress, reading a picked or dropped `File` |
//! | `load_progress` | the progress bar while the seeded DB downloads |
//! | `open_database` | the "open your own .db" control |
//! | `load_error_panel` | the error panel for a file that could not be used |
//! | `dataset_summary` | KPIs and spend per compute type of the loaded DB |
//! | `chart` | an ECharts host for a `charming::Chart` |

mod app;
mod browser_io;
mod chart;
mod dataset_summary;
mod load_error_panel;
mod load_progress;
mod open_database;
mod state;

/// Mounts the app on `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
