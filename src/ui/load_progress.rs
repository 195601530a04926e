//! The progress bar shown while the seeded database downloads.

use leptos::prelude::*;

use super::state::AppData;
use crate::base::format::thousands;

fn kilobytes(bytes: u64) -> String {
    format!("{} KB", thousands(bytes.div_ceil(1024)))
}

#[component]
pub fn LoadProgress() -> impl IntoView {
    let app = expect_context::<AppData>();
    let text = move || {
        let p = app.progress.get();
        match p.total {
            Some(total) => format!("Loading usage data: {} of {}", kilobytes(p.loaded), kilobytes(total)),
            None => format!("Loading usage data: {}", kilobytes(p.loaded)),
        }
    };
    view! {
        <div class="load-progress" data-testid="load-progress">
            <progress
                max=move || app.progress.get().total.unwrap_or(0).max(1).to_string()
                value=move || {
                    let p = app.progress.get();
                    p.total.map(|_| p.loaded.to_string())
                }
            ></progress>
            <span>{text}</span>
        </div>
    }
}
