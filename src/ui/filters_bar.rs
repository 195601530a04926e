//! Filters every report honours (date range, workspace) and the report's own parameters.
//! Every change is a navigation, so the URL always holds the view.

use std::rc::Rc;

use leptos::prelude::*;

use super::report_context::ReportContext;
use super::state::AppData;
use crate::app::engine::DatasetInfo;
use crate::app::roles::{default_from, role_of};
use crate::base::calendar::Date;
use crate::report::registry;

#[component]
pub fn FiltersBar(data: Rc<DatasetInfo>, report_key: String) -> impl IntoView {
    let app = expect_context::<AppData>();
    let (first, last) = (data.first_day, data.last_day);
    let set_date = move |is_from: bool, text: String| {
        let date = Date::parse(&text);
        app.update_view(|v| {
            // The data's own bound is the default and stays out of the URL.
            if is_from {
                v.from = date.filter(|d| *d != first);
            } else {
                v.to = date.filter(|d| *d != last);
            }
        });
    };
    let workspaces = data.workspaces.clone();
    let params = registry().get(&report_key).map(|r| r.spec.params.clone()).unwrap_or_default();
    let ctx = expect_context::<ReportContext>();
    let param_inputs = params
        .into_iter()
        .map(|p| {
            let name = p.name.clone();
            let shown = name.clone();
            let default = p.default.to_string();
            let value = move || app.view.with(|v| v.params.get(&shown).cloned()).unwrap_or_else(|| default.clone());
            // Every change is a navigation; an emptied field returns to the default.
            let set = move |text: String, name: String| {
                app.update_view(|v| {
                    if text.trim().is_empty() {
                        v.params.remove(&name);
                    } else {
                        v.params.insert(name, text);
                    }
                });
            };
            if p.text {
                // A text param: a select of the values the report offers (its choices or
                // what its choices query found), else a text field.
                let param = name.clone();
                let choices = move || ctx.with_page(|page| page.param_choices.get(&param).cloned()).flatten().unwrap_or_default();
                let shown_value = value.clone();
                let options = move || {
                    let current = shown_value();
                    choices()
                        .into_iter()
                        .map(|c| {
                            let selected = c == current;
                            view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                        })
                        .collect_view()
                };
                let has_choices = !p.choices.is_empty() || p.choices_query.is_some();
                return if has_choices {
                    view! {
                        <label title=p.help.clone()>
                            {p.label.clone()}
                            <select
                                data-param=name.clone()
                                prop:value=value
                                on:change=move |ev| set(event_target_value(&ev), name.clone())
                            >
                                {options}
                            </select>
                        </label>
                    }
                    .into_any()
                } else {
                    view! {
                        <label title=p.help.clone()>
                            {p.label.clone()}
                            <input
                                type="text"
                                data-param=name.clone()
                                prop:value=value
                                on:change=move |ev| set(event_target_value(&ev), name.clone())
                            />
                        </label>
                    }
                    .into_any()
                };
            }
            view! {
                <label title=p.help.clone()>
                    {p.label.clone()}
                    <input
                        type="number"
                        data-param=name.clone()
                        min=p.min
                        max=p.max
                        step=if p.integer { "1" } else { "0.1" }
                        prop:value=value
                        on:change=move |ev| set(event_target_value(&ev), name.clone())
                    />
                </label>
            }
            .into_any()
        })
        .collect_view();
    view! {
        <div class="filters" data-testid="filters">
            <label>
                "From"
                <input
                    type="date"
                    data-testid="filter-from"
                    min=first.to_string()
                    max=last.to_string()
                    prop:value=move || app.view.with(|v| v.from.unwrap_or_else(|| default_from(role_of(v.role.as_deref()), first, last))).to_string()
                    on:change=move |ev| set_date(true, event_target_value(&ev))
                />
            </label>
            <label>
                "To"
                <input
                    type="date"
                    data-testid="filter-to"
                    min=first.to_string()
                    max=last.to_string()
                    prop:value=move || app.view.with(|v| v.to.unwrap_or(last)).to_string()
                    on:change=move |ev| set_date(false, event_target_value(&ev))
                />
            </label>
            <label>
                "Workspace"
                <select
                    data-testid="filter-workspace"
                    on:change=move |ev| {
                        let ws = event_target_value(&ev);
                        app.update_view(|v| v.workspace = Some(ws).filter(|w| !w.is_empty()));
                    }
                >
                    <option value="" selected=move || app.view.with(|v| v.workspace.is_none())>"All workspaces"</option>
                    {workspaces
                        .into_iter()
                        .map(|(id, name)| {
                            let shown = id.clone();
                            view! {
                                <option value=id.clone() selected=move || app.view.with(|v| v.workspace.as_deref() == Some(shown.as_str()))>
                                    {format!("{name} ({id})")}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            {param_inputs}
            <button
                class="button subtle"
                data-testid="filter-reset"
                on:click=move |_| app.update_view(|v| {
                    v.from = None;
                    v.to = None;
                    v.workspace = None;
                    v.params.clear();
                })
            >
                "Reset"
            </button>
        </div>
    }
}
