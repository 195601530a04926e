//! A What if chip's computed counterfactual above an LLM's answer: the saving, formula,
//! inputs and assumptions as `copilot::evidence::what_if` computed them, so the figure comes
//! before any model text. (The offline answer starts with the same block.)

use leptos::prelude::*;

use crate::copilot::evidence::Counterfactual;

#[component]
pub fn WhatIfBox(counterfactual: Counterfactual) -> impl IntoView {
    let assumptions = counterfactual.assumptions.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view();
    view! {
        <div class="what-if" data-testid="what-if" data-saving=format!("{:.2}", counterfactual.saving) data-per-month=format!("{:.2}", counterfactual.per_month)>
            <p><strong>{format!("What if: {}", counterfactual.title)}</strong>" (computed, not by the LLM) — " {counterfactual.result.clone()}</p>
            <p>"Formula: " {counterfactual.formula.clone()} ". Inputs: " {counterfactual.inputs.clone()} "."</p>
            <p class="muted">"Assumptions:"</p>
            <ul>{assumptions}</ul>
        </div>
    }
}
