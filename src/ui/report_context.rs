//! The report page's shared state: the engine's `ReportPage` for the URL's view (asked for
//! again whenever the view changes; the engine reruns SQL only when the report, filters or
//! params change), and the selection it resolved. Answers to views the user has already
//! left are dropped, so a late reply never overwrites a newer page.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::state::AppData;
use crate::app::engine::{PageChip, PageSelection, Reply, ReportPage, Request};
use crate::report::EntityRef;

#[derive(Clone, Copy)]
pub struct ReportContext {
    /// The latest page (`None` until the first reply, or for an unknown report).
    pub page: RwSignal<Option<Rc<ReportPage>>, LocalStorage>,
    /// Whether a newer view is being computed.
    pub pending: RwSignal<bool>,
    /// Bumped when inputs the report reads changed (budgets): the page is asked for again.
    pub refresh: RwSignal<u64>,
}

/// The selected entity, its label and its chips.
#[derive(Clone, Debug, PartialEq)]
pub struct Selected {
    pub entity: EntityRef,
    pub label: String,
    pub chips: Vec<PageChip>,
}

impl ReportContext {
    /// Asks the engine for the page whenever the URL's view changes.
    pub fn new(app: AppData) -> ReportContext {
        let page = RwSignal::new_local(None);
        let pending = RwSignal::new(false);
        let refresh = RwSignal::new(0u64);
        let latest: StoredValue<Rc<Cell<u64>>, LocalStorage> = StoredValue::new_local(Rc::new(Cell::new(0)));
        Effect::new(move |_| {
            let view = app.view.get();
            refresh.track();
            if view.report_key().is_none() {
                return;
            }
            let counter = latest.get_value();
            let ticket = counter.get() + 1;
            counter.set(ticket);
            pending.set(true);
            spawn_local(async move {
                let reply = app.engine.call(Request::Report { view }).await;
                if counter.get() != ticket {
                    return; // a newer view was asked for meanwhile
                }
                pending.set(false);
                match reply {
                    Reply::Report(p) => page.set(p.map(|p| Rc::new(*p))),
                    Reply::Superseded => {}
                    Reply::Failed(message) => leptos::logging::warn!("the report could not be shown: {message}"),
                    other => leptos::logging::warn!("unexpected answer from the engine: {other:?}"),
                }
            });
        });
        ReportContext { page, pending, refresh }
    }

    pub fn with_page<T>(&self, f: impl FnOnce(&ReportPage) -> T) -> Option<T> {
        self.page.with(|p| p.as_deref().map(f))
    }

    /// The URL's selection found in the current page (tracks it).
    pub fn selection(&self) -> Option<Selected> {
        self.with_page(|p| match &p.selection {
            PageSelection::Found { entity, label, chips } => {
                Some(Selected { entity: entity.clone(), label: label.clone(), chips: chips.clone() })
            }
            _ => None,
        })
        .flatten()
    }

    /// A selection in the URL that the current page does not contain.
    pub fn missing_selection(&self) -> Option<EntityRef> {
        self.with_page(|p| match &p.selection {
            PageSelection::Missing(e) => Some(e.clone()),
            _ => None,
        })
        .flatten()
    }
}

/// Selects an entity (or clears the selection) by navigating.
pub fn select(app: AppData, entity: Option<EntityRef>) {
    app.update_view(|v| v.selection = entity);
}

/// Whether the commentary pane is wide (the report page lays it out and keeps it, the pane's
/// head has the toggle).
#[derive(Clone, Copy)]
pub struct CommentaryWidth(pub RwSignal<bool>);
