//! Keeps `AppData::view` equal to the URL hash: parsed at start, re-parsed on every
//! `hashchange` (links, back/forward, reload), and changed only by navigating.

use leptos::prelude::*;

use crate::app::url_state::ViewState;
use crate::app::view::param_names;

fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// A signal holding the parsed URL, kept in sync for the life of the page.
pub fn view_signal() -> RwSignal<ViewState> {
    let view = RwSignal::new(ViewState::from_hash(&current_hash(), &param_names));
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        let next = ViewState::from_hash(&current_hash(), &param_names);
        if view.get_untracked() != next {
            view.set(next);
        }
    });
    // The app lives as long as the page; keep listening.
    std::mem::forget(listener);
    view
}

/// Points the URL at `view`; the `hashchange` listener then updates the signal.
pub fn navigate(view: &ViewState) {
    let hash = view.to_hash();
    if let Some(window) = web_sys::window() {
        if current_hash() != hash && !(hash == "#/" && current_hash().is_empty()) {
            let _ = window.location().set_hash(&hash);
        }
    }
}
