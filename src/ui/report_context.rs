//! The report page's shared state: the latest run of the report (recomputed only when the
//! report, filters or params change) and the selection resolved against it.

use std::rc::Rc;

use leptos::prelude::*;

use super::state::AppData;
use crate::app::session::Session;
use crate::app::view::{run_inputs, ReportRun};
use crate::report::{EntityRef, ReportResult, Selection};

#[derive(Clone, Copy)]
pub struct ReportContext {
    pub run: RwSignal<Option<Rc<ReportRun>>, LocalStorage>,
    pub data: StoredValue<Rc<Session>, LocalStorage>,
}

impl ReportContext {
    /// Runs the report whenever the report, filters or params in the URL change.
    pub fn new(app: AppData, data: Rc<Session>) -> ReportContext {
        let run = RwSignal::new_local(None);
        let stored = StoredValue::new_local(data.clone());
        let inputs = Memo::new(move |_| app.view.with(run_inputs));
        Effect::new(move |_| {
            let view = inputs.get();
            run.set(data.run_view(&view).map(Rc::new));
        });
        ReportContext { run, data: stored }
    }

    pub fn with_result<T>(&self, f: impl FnOnce(&ReportRun, &ReportResult) -> T) -> Option<T> {
        self.run.with(|r| {
            let run = r.as_ref()?;
            let result = run.outcome.as_ref().ok()?;
            Some(f(run, result))
        })
    }

    /// The URL's selection found in the current result (tracks the URL and the run).
    pub fn selection(&self, app: AppData) -> Option<Selection> {
        let wanted = app.view.with(|v| v.selection.clone());
        self.run.with(|r| r.as_ref()?.selection(wanted.as_ref()))
    }

    /// A selection in the URL that the current result does not contain (or that there is
    /// no result to find it in).
    pub fn missing_selection(&self, app: AppData) -> Option<EntityRef> {
        let wanted = app.view.with(|v| v.selection.clone())?;
        self.run.with(|r| match r {
            Some(run) => run.missing_selection(Some(&wanted)),
            None => Some(wanted),
        })
    }
}

/// Selects an entity (or clears the selection) by navigating.
pub fn select(app: AppData, entity: Option<EntityRef>) {
    app.update_view(|v| v.selection = entity);
}
