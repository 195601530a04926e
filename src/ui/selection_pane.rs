//! The commentary pane: what is selected, and the chips it offers grouped by lane
//! (Understand, Diagnose, Optimize, Monitor) in a stable order.

use leptos::prelude::*;

use super::report_context::{select, ReportContext};
use super::state::AppData;
use crate::chips::{catalogue, Lane};
use crate::report::EntityRef;

#[component]
pub fn SelectionPane() -> impl IntoView {
    let app = expect_context::<AppData>();
    let ctx = expect_context::<ReportContext>();
    // The chip the user last clicked for this selection: (chip id, entity).
    let active_chip: RwSignal<Option<(String, EntityRef)>> = RwSignal::new(None);
    let content = move || {
        if let Some(missing) = ctx.missing_selection(app) {
            return view! {
                <div class="selection-missing" data-testid="selection-missing">
                    <p>{format!("{missing} is not in this report for the current filters.")}</p>
                    <button class="button subtle" on:click=move |_| select(app, None)>"Clear selection"</button>
                </div>
            }
            .into_any();
        }
        let Some(selection) = ctx.selection(app) else {
            return view! {
                <p class="muted" data-testid="no-selection">
                    "Click a bar, point, cell or table row to select it. Its questions appear here."
                </p>
            }
            .into_any();
        };
        let offered = ctx
            .with_result(|run, _| catalogue().offered(&run.report.spec, &selection).into_iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        let entity = selection.entity.clone();
        let lanes = Lane::ALL
            .into_iter()
            .filter_map(|lane| {
                let chips: Vec<_> = offered.iter().filter(|c| c.lane == lane).cloned().collect();
                (!chips.is_empty()).then(|| {
                    let buttons = chips
                        .into_iter()
                        .map(|chip| {
                            let id = chip.id.clone();
                            let e = entity.clone();
                            view! {
                                <button
                                    class="chip"
                                    data-chip-id=chip.id.clone()
                                    title=chip.versioned_id()
                                    on:click=move |_| active_chip.set(Some((id.clone(), e.clone())))
                                >
                                    {chip.label.clone()}
                                </button>
                            }
                        })
                        .collect_view();
                    view! {
                        <div class="lane" data-lane=lane.title()>
                            <h4>{lane.title()}</h4>
                            <div class="chips">{buttons}</div>
                        </div>
                    }
                })
            })
            .collect_view();
        let chosen = move || {
            let (id, e) = active_chip.get()?;
            (e == entity).then(|| {
                let chip = catalogue().get(&id)?;
                Some(view! {
                    <div class="answer placeholder" data-testid="chip-placeholder">
                        <strong>{chip.label.clone()}</strong>
                        <p class="muted">{format!("{} for {e}", chip.versioned_id())}</p>
                    </div>
                })
            })
        };
        view! {
            <div class="selection-banner" data-testid="selection-banner" data-entity=selection.entity.to_string()>
                <div>
                    <span class="muted">{selection.entity.entity_type.clone()}</span>
                    <strong>{selection.label.clone()}</strong>
                </div>
                <button class="button subtle" data-testid="clear-selection" on:click=move |_| select(app, None)>"Clear"</button>
            </div>
            <div class="lanes" data-testid="chip-lanes">{lanes}</div>
            {chosen}
        }
        .into_any()
    };
    view! {
        <aside class="commentary" aria-label="Commentary">
            <h3>"Commentary"</h3>
            {content}
        </aside>
    }
}
