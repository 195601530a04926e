//! Renders answer text through the safe Markdown AST (never as HTML) and marks the numbers
//! the groundedness check could not find in the evidence.

use leptos::prelude::*;

use crate::copilot::markdown::{parse, Block, Inline};

/// Splits `text` around the `marked` substrings, wrapping those in `<mark>`.
fn marked_text(text: &str, marked: &[String]) -> AnyView {
    let mut pieces: Vec<AnyView> = Vec::new();
    let mut rest = text;
    loop {
        let next =
            marked.iter().filter_map(|m| rest.find(m.as_str()).map(|at| (at, m))).min_by_key(|(at, m)| (*at, std::cmp::Reverse(m.len())));
        match next {
            Some((at, m)) if !m.is_empty() => {
                pieces.push(rest[..at].to_string().into_any());
                pieces.push(view! { <mark class="ungrounded" title="This number is not in the evidence">{m.clone()}</mark> }.into_any());
                rest = &rest[at + m.len()..];
            }
            _ => {
                pieces.push(rest.to_string().into_any());
                break;
            }
        }
    }
    pieces.into_any()
}

fn inlines(items: &[Inline], marked: &[String]) -> AnyView {
    items
        .iter()
        .map(|i| match i {
            Inline::Text(t) => marked_text(t, marked),
            Inline::Strong(inner) => view! { <strong>{inlines(inner, marked)}</strong> }.into_any(),
            Inline::Emphasis(inner) => view! { <em>{inlines(inner, marked)}</em> }.into_any(),
            Inline::Code(c) => view! { <code>{c.clone()}</code> }.into_any(),
            Inline::Link { text, url } => {
                view! { <a href=url.clone() target="_blank" rel="noopener noreferrer">{text.clone()}</a> }.into_any()
            }
        })
        .collect::<Vec<_>>()
        .into_any()
}

#[component]
pub fn MarkdownView(#[prop(into)] text: Signal<String>, #[prop(into)] marked: Signal<Vec<String>>) -> impl IntoView {
    move || {
        let marked = marked.get();
        parse(&text.get())
            .into_iter()
            .map(|block| match block {
                Block::Heading { level, inlines: items } => match level {
                    1 | 2 => view! { <h4>{inlines(&items, &marked)}</h4> }.into_any(),
                    _ => view! { <h5>{inlines(&items, &marked)}</h5> }.into_any(),
                },
                Block::Paragraph(items) => view! { <p>{inlines(&items, &marked)}</p> }.into_any(),
                Block::List { ordered, items } => {
                    let rows = items.iter().map(|it| view! { <li>{inlines(it, &marked)}</li> }).collect_view();
                    if ordered {
                        view! { <ol>{rows}</ol> }.into_any()
                    } else {
                        view! { <ul>{rows}</ul> }.into_any()
                    }
                }
                Block::Code(c) => view! { <pre class="code">{c}</pre> }.into_any(),
                Block::Rule => view! { <hr/> }.into_any(),
            })
            .collect_view()
    }
}
