//! The commentary pane: the selection, its chips grouped by lane (Understand, Diagnose,
//! Optimize, Monitor) in a stable order, a follow-up box anchored to the selection, the
//! answer history for this selection, and the debug panel.

use leptos::prelude::*;

use super::answer_card::AnswerCard;
use super::copilot_state::CopilotState;
use super::debug_panel::DebugPanel;
use super::docs_state::DocsState;
use super::llm_notice::LlmNotice;
use super::report_context::{select, CommentaryWidth, ReportContext};
use super::state::AppData;
use crate::copilot::chips::Lane;
use crate::copilot::Ask;

#[component]
fn ChipLanes() -> impl IntoView {
    let ctx = expect_context::<ReportContext>();
    let copilot = expect_context::<CopilotState>();
    move || {
        let offered = ctx.selection()?.chips;
        let lanes = Lane::ALL
            .into_iter()
            .filter_map(|lane| {
                let chips: Vec<_> = offered.iter().filter(|c| c.lane == lane).cloned().collect();
                (!chips.is_empty()).then(|| {
                    let buttons = chips
                        .into_iter()
                        .map(|chip| {
                            let id = chip.id.clone();
                            view! {
                                <button
                                    class="chip"
                                    data-chip-id=chip.id.clone()
                                    title=chip.versioned_id.clone()
                                    on:click=move |_| copilot.ask(ctx, Ask::Chip(id.clone()))
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
        Some(view! { <div class="lanes" data-testid="chip-lanes">{lanes}</div> })
    }
}

#[component]
fn FollowUp() -> impl IntoView {
    let ctx = expect_context::<ReportContext>();
    let copilot = expect_context::<CopilotState>();
    let text = RwSignal::new(String::new());
    let ask = move || {
        let q = text.get_untracked();
        if !q.trim().is_empty() {
            copilot.ask(ctx, Ask::Question(q.trim().to_string()));
            text.set(String::new());
        }
    };
    view! {
        <form class="follow-up" on:submit=move |ev| { ev.prevent_default(); ask(); }>
            <label for="follow-up-text" class="muted">"Ask a follow-up about this selection"</label>
            <textarea
                id="follow-up-text"
                data-testid="follow-up"
                rows="2"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            <button class="button" type="submit" data-testid="follow-up-ask">"Ask"</button>
        </form>
    }
}

/// Documentation loading: progress while a question waits for it, and failures.
#[component]
fn DocsStatus() -> impl IntoView {
    let docs = expect_context::<DocsState>();
    let copilot = expect_context::<CopilotState>();
    move || {
        let line = docs.phase.with(|p| p.describe())?;
        let waiting = copilot.waiting.get();
        Some(view! { <p class="muted docs-status" class:waiting=waiting role="status" data-testid="docs-status">{line}</p> })
    }
}

#[component]
pub fn SelectionPane() -> impl IntoView {
    let app = expect_context::<AppData>();
    let ctx = expect_context::<ReportContext>();
    let copilot = expect_context::<CopilotState>();
    let content = move || {
        if let Some(missing) = ctx.missing_selection() {
            return view! {
                <div class="selection-missing" data-testid="selection-missing">
                    <p>{format!("{missing} is not in this report for the current filters.")}</p>
                    <button class="button subtle" on:click=move |_| select(app, None)>"Clear selection"</button>
                </div>
            }
            .into_any();
        }
        let Some(selection) = ctx.selection() else {
            return view! {
                <p class="muted" data-testid="no-selection">
                    "Click a bar, point, cell or table row to select it. Its questions appear here."
                </p>
            }
            .into_any();
        };
        let entity = selection.entity.clone();
        let answers = move || copilot.for_entity(&entity);
        let seqs = {
            let answers = answers.clone();
            move || answers().iter().map(|a| a.seq).collect::<Vec<_>>()
        };
        view! {
            <div class="selection-banner" data-testid="selection-banner" data-entity=selection.entity.to_string()>
                <div>
                    <span class="muted">{selection.entity.entity_type.name()}</span>
                    <strong>{selection.label.clone()}</strong>
                </div>
                <button class="button subtle" data-testid="clear-selection" on:click=move |_| select(app, None)>"Clear"</button>
            </div>
            <ChipLanes/>
            <FollowUp/>
            {move || copilot.error.get().map(|e| view! { <p class="error-text" role="alert" data-testid="copilot-error">{e}</p> })}
            <DocsStatus/>
            <div class="answers" data-testid="answers">
                // Keyed by sequence number: a new answer adds one card, the others stay.
                <For each=seqs key=|seq| *seq let:seq>
                    {copilot.by_seq(seq).map(|answer| view! { <AnswerCard answer first_token_secs=app.host().llm_first_token_secs/> })}
                </For>
            </div>
            {move || app.debug.get().then(|| answers().first().cloned()).flatten().map(|a| view! { <DebugPanel answer=a/> })}
        }
        .into_any()
    };
    view! {
        <aside class="commentary" aria-label="Commentary">
            <div class="commentary-head">
                <h3>"Commentary"</h3>
                {use_context::<CommentaryWidth>().map(|CommentaryWidth(wide)| view! {
                    <button
                        class="button subtle width-toggle"
                        data-testid="commentary-width"
                        aria-pressed=move || wide.get().to_string()
                        title="Widen or narrow the commentary"
                        on:click=move |_| wide.update(|w| *w = !*w)
                    >
                        {move || if wide.get() { "Narrower" } else { "Wider" }}
                    </button>
                })}
                <label class="muted toggle">
                    <input type="checkbox" data-testid="debug-toggle" prop:checked=move || app.debug.get() on:change=move |ev| app.debug.set(event_target_checked(&ev))/>
                    " Debug"
                </label>
            </div>
            <LlmNotice/>
            {content}
        </aside>
    }
}
