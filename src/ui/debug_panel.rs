//! The debug panel of an answer: template id@version and system prompt id, timings, the
//! exact messages, the routing and documentation used, every fact with the SQL that produced it, the subgraph (picture and
//! list), what was trimmed to fit the budget, the documentation retrieved but not cited, and
//! the checks: their counts, number by number, and coverage.

use std::rc::Rc;

use leptos::prelude::*;

use super::chart::EChart;
use super::copilot_state::Answer;
use crate::charts::subgraph_chart;
use crate::copilot::checks::Status;
use crate::copilot::citations::also_retrieved;
use crate::copilot::prompt::current_system_prompt;

#[component]
pub fn DebugPanel(answer: Rc<Answer>) -> impl IntoView {
    let p = answer.prepared.clone();
    let e = &p.evidence;
    let graph_chart = subgraph_chart(&e.graph);
    let timings = answer
        .timings
        .iter()
        .map(|(step, ms)| view! { <tr><td>{step.clone()}</td><td class="num">{format!("{ms:.1} ms")}</td></tr> })
        .collect_view();
    let messages = p
        .messages
        .iter()
        .map(|m| {
            view! {
                <h5>{m.role.clone()}</h5>
                <pre class="code" data-testid=format!("debug-message-{}", m.role)>{m.content.clone()}</pre>
            }
        })
        .collect_view();
    let facts = e
        .facts
        .iter()
        .map(|f| {
            view! {
                <details class="fact">
                    <summary>{format!("[{}] {}", f.id, f.title)}</summary>
                    <p>{f.text.clone()}</p>
                    <pre class="code">{f.sql.clone()}</pre>
                </details>
            }
        })
        .collect_view();
    let nodes = e
        .graph
        .nodes
        .iter()
        .map(|n| {
            let via = e.graph.edges.iter().find(|x| x.to == n.ref_id).map(|x| format!("{} {}", x.from, x.kind.name())).unwrap_or_default();
            view! { <tr><td>{n.ref_id.clone()}</td><td>{n.kind.name()}</td><td>{n.id.clone()}</td><td>{via}</td><td>{n.note.clone()}</td></tr> }
        })
        .collect_view();
    let docs = e
        .docs
        .iter()
        .map(|d| view! { <tr><td>{d.id.clone()}</td><td>{d.place(" › ")}</td><td>{d.url.clone()}</td><td class="num">{format!("{:.4}", d.score)}</td></tr> })
        .collect_view();
    let mentions = e.routing.mentions.iter().map(|m| format!("{} ({:.3})", m.label, m.score)).collect::<Vec<_>>().join("; ");
    let summaries = e.graph.summaries.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view();
    let check = answer.check.clone();
    let counts = {
        let check = check.clone();
        move || {
            check.with(|c| {
                format!(
                    "{} numbers: {} grounded ({} derived), {} ungrounded, {} unsupported by their citation · {} unknown citation(s) · {} sentence(s) with numbers and no citation{} · {} unsupported ranking(s) · coverage {}/{}{}",
                    c.total(),
                    c.grounded(),
                    c.derived(),
                    c.ungrounded(),
                    c.unsupported(),
                    c.unknown().len(),
                    c.uncited.len(),
                    if c.no_citations { " (no citation at all)" } else { "" },
                    c.unsupported_comparisons(),
                    c.coverage_met(),
                    c.coverage_declared(),
                    if c.declined { " · declines" } else { "" },
                )
            })
        }
    };
    let checks = {
        let check = check.clone();
        move || {
            check.with(|c| {
                c.numbers
                    .iter()
                    .map(|n| {
                        let bad = !matches!(n.status, Status::Grounded | Status::Derived);
                        let found = if n.found_in.is_empty() { String::new() } else { format!(" (in {})", n.found_in.join(", ")) };
                        let note = if n.note.is_empty() { String::new() } else { format!(": {}", n.note) };
                        view! { <li class:ungrounded=bad>{format!("{} {:?}{found}{note}", n.text, n.status)}</li> }
                    })
                    .collect_view()
            })
        }
    };
    let coverage = {
        let check = check.clone();
        move || check.with(|c| c.coverage.iter().map(|i| view! { <li>{format!("{}: {}", i.what, i.status)}</li> }).collect_view())
    };
    let also = {
        let text = answer.text.clone();
        let docs = e.docs.clone();
        move || {
            let ids: Vec<String> = text.with(|t| also_retrieved(t, &docs).iter().map(|d| d.id.clone()).collect());
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            }
        }
    };
    let trimmed = e.trimmed.iter().map(|t| view! { <li>{format!("{} {} {} — {}", t.kind, t.id, t.title, t.reason)}</li> }).collect_view();
    let budget =
        format!("Evidence: about {} tokens (budget {}); {} item(s) trimmed to fit", e.tokens(), e.budget.max_tokens, e.trimmed.len());
    view! {
        <section class="debug" data-testid="debug-panel">
            <h4>"Debug"</h4>
            <p class="muted">
                {format!(
                    "Template {} · system prompt {} · {} facts · {} graph nodes listed of {} reached",
                    p.chip.clone().unwrap_or_else(|| "follow-up".into()),
                    current_system_prompt().id,
                    e.facts.len(),
                    e.graph.nodes.len(),
                    e.graph.reached
                )}
            </p>
            <p data-testid="debug-routing">
                {format!("Routing: {} — {}", e.routing.route.label(), e.routing.reason)}
                {(!mentions.is_empty()).then(|| format!("; names {mentions}"))}
            </p>
            <p data-testid="debug-docs-source">{format!("Documentation: {}", e.docs_source)}</p>
            <p data-testid="debug-also-retrieved">"Also retrieved (in the prompt, not cited): " {also}</p>
            <p data-testid="debug-budget">{budget}</p>
            <p data-testid="debug-checks">{counts}</p>
            <details open>
                <summary>"Timings"</summary>
                <table class="data-table"><tbody>{timings}</tbody></table>
            </details>
            <details>
                <summary>"Exact messages"</summary>
                {messages}
            </details>
            <details>
                <summary>"Facts and their SQL"</summary>
                {facts}
            </details>
            <details>
                <summary>{format!("Documentation chunks ({})", e.docs.len())}</summary>
                <table class="data-table">
                    <thead><tr><th>"Id"</th><th>"Page › section"</th><th>"URL"</th><th>"Score"</th></tr></thead>
                    <tbody>{docs}</tbody>
                </table>
            </details>
            <details>
                <summary>"Subgraph"</summary>
                <ul class="summaries">{summaries}</ul>
                <EChart chart=Signal::stored_local(graph_chart) height=320 label="Evidence subgraph"/>
                <table class="data-table">
                    <thead><tr><th>"Id"</th><th>"Kind"</th><th>"Node"</th><th>"Reached via"</th><th>"Detail"</th></tr></thead>
                    <tbody>{nodes}</tbody>
                </table>
            </details>
            <details>
                <summary>"Checks, number by number"</summary>
                <ul class="checks">{checks}</ul>
                <h5>"Coverage"</h5>
                <ul class="checks">{coverage}</ul>
            </details>
            <details>
                <summary>{format!("Trimmed to fit the budget ({})", e.trimmed.len())}</summary>
                <ul data-testid="debug-trimmed">{trimmed}</ul>
            </details>
        </section>
    }
}
