//! The panel that says why a file could not be used; the data shown before stays usable.

use leptos::prelude::*;

use super::state::AppData;

#[component]
pub fn LoadErrorPanel() -> impl IntoView {
    let app = expect_context::<AppData>();
    move || {
        app.open_failure.get().map(|failure| {
            let still_showing = app.active().map(|d| d.source.clone());
            view! {
                <div class="error-panel" role="alert" data-testid="load-error">
                    <div>
                        <strong>"Could not open "{failure.file_name}</strong>
                        <p data-testid="load-error-message">{failure.message}</p>
                        {still_showing.map(|s| view! { <p class="muted">"Still showing: "{s}"."</p> })}
                    </div>
                    <button class="button subtle" on:click=move |_| app.open_failure.set(None)>"Dismiss"</button>
                </div>
            }
        })
    }
}
