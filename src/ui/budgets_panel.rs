//! The budgets editor above the Budgets report: the dataset's monthly budgets, a form to add
//! one, remove buttons, and the budgets file (export, import). The engine checks and keeps
//! every change (`app::engine::Request::SetBudgets`); this only sends and shows.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use super::browser_io::download_text;
use super::report_context::ReportContext;
use super::state::AppData;
use crate::app::engine::{DatasetInfo, Reply, Request};
use crate::base::format::usd;
use crate::data::budgets::{parse_usd, Budget, BudgetScope, COMPUTE_TYPES};

#[component]
pub fn BudgetsPanel(data: Rc<DatasetInfo>) -> impl IntoView {
    let app = expect_context::<AppData>();
    let ctx = expect_context::<ReportContext>();
    let budgets = RwSignal::new(Vec::<Budget>::new());
    let error = RwSignal::new(None::<String>);
    // Every reply with budgets replaces the list and reruns the report.
    let apply = move |reply: Reply| match reply {
        Reply::Budgets(list) => {
            budgets.set(list);
            error.set(None);
            ctx.refresh.update(|n| *n += 1);
        }
        Reply::Failed(message) => error.set(Some(message)),
        other => error.set(Some(format!("Unexpected answer from the engine: {other:?}"))),
    };
    let send = move |request: Request| spawn_local(async move { apply(app.engine.call(request).await) });
    spawn_local(async move {
        if let Reply::Budgets(list) = app.engine.call(Request::Budgets).await {
            budgets.set(list);
        }
    });

    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(BudgetScope::All);
    let value = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let monthly_usd = match parse_usd(&amount.get_untracked()) {
            Ok(x) => x,
            Err(message) => return error.set(Some(message)),
        };
        let mut list = budgets.get_untracked();
        list.push(Budget { name: name.get_untracked(), scope: scope.get_untracked(), value: value.get_untracked(), monthly_usd });
        send(Request::SetBudgets { budgets: list });
        name.set(String::new());
        value.set(String::new());
        amount.set(String::new());
    };
    let export = move |_| {
        spawn_local(async move {
            match app.engine.call(Request::BudgetsFile).await {
                Reply::Csv(Some((file, text))) => error.set(download_text(&file, "application/json", &text).err()),
                Reply::Failed(message) => error.set(Some(message)),
                other => error.set(Some(format!("The export gave no file: {other:?}"))),
            }
        })
    };
    let import = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string()) {
                Some(text) => apply(app.engine.call(Request::ImportBudgets { text }).await),
                None => error.set(Some(format!("{} could not be read as text.", file.name()))),
            }
        })
    };
    let workspaces = data.workspaces.clone();
    let suggestions = move || -> Vec<(String, String)> {
        match scope.get() {
            BudgetScope::Workspace => workspaces.clone(),
            BudgetScope::ComputeType => COMPUTE_TYPES.iter().map(|t| (t.to_string(), t.to_string())).collect(),
            _ => Vec::new(),
        }
    };
    let rows = move || budgets.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <section class="panel budgets-panel" data-testid="budgets-panel">
            <div class="panel-head">
                <h3>"Your budgets"</h3>
                <div class="actions">
                    <button class="button subtle small" data-testid="budgets-export" on:click=export>"Export budgets"</button>
                    <label class="button subtle small">
                        "Import budgets"
                        <input type="file" accept=".json,application/json" class="visually-hidden" data-testid="budgets-import" on:change=import/>
                    </label>
                </div>
            </div>
            <p class="muted">"Monthly amounts in US dollars, kept in this browser with this dataset."</p>
            {move || error.get().map(|e| view! { <p class="error-text" role="alert" data-testid="budgets-error">{e}</p> })}
            <table class="data-table" data-testid="budgets-table">
                <thead><tr><th>"Budget"</th><th>"Covers"</th><th class="num">"Monthly"</th><th></th></tr></thead>
                <tbody>
                    <For each=rows key=|(i, b)| (*i, b.name.clone(), b.value.clone(), b.monthly_usd.to_bits()) let:item>
                        {
                            let (index, budget) = item;
                            let covers = match budget.scope {
                                BudgetScope::All => budget.scope.describe().to_string(),
                                other => format!("{} {}", other.describe(), budget.value),
                            };
                            let remove = move |_| {
                                let mut list = budgets.get_untracked();
                                if index < list.len() {
                                    list.remove(index);
                                }
                                send(Request::SetBudgets { budgets: list });
                            };
                            view! {
                                <tr data-budget=budget.name.clone()>
                                    <td>{budget.name.clone()}</td>
                                    <td>{covers}</td>
                                    <td class="num">{usd(budget.monthly_usd)}</td>
                                    <td><button class="button subtle small" data-testid="budget-remove" on:click=remove>"Remove"</button></td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            <form class="budget-form" data-testid="budget-form" on:submit=add>
                <input placeholder="Name" data-testid="budget-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <select data-testid="budget-scope" on:change=move |ev| {
                    scope.set(BudgetScope::parse(&event_target_value(&ev)).unwrap_or(BudgetScope::All));
                    value.set(String::new());
                }>
                    {BudgetScope::ALL.into_iter().map(|s| view! { <option value=s.name() selected=move || scope.get() == s>{s.describe()}</option> }).collect_view()}
                </select>
                <input
                    placeholder="Workspace id, compute type or tag"
                    data-testid="budget-value"
                    list="budget-values"
                    disabled=move || scope.get() == BudgetScope::All
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
                <datalist id="budget-values">
                    {move || suggestions().into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                </datalist>
                <input placeholder="Monthly USD" inputmode="decimal" data-testid="budget-amount" prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/>
                <button class="button" type="submit" data-testid="budget-add">"Add budget"</button>
            </form>
        </section>
    }
}
