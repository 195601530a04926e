//! Renders answer text through the safe Markdown AST (never as HTML) and marks what the
//! checks found — ungrounded and unsupported numbers, unknown citations, unsupported
//! rankings — at the exact byte positions the checks report, never by searching for the
//! token's text (a flagged "5" marks that "5" only, not the 5s in "2025" or "$135,626.77").
//!
//! Positions survive parsing because each mark is written into the text as a pair of
//! private-use characters before it is parsed (answers never hold them: the page strips
//! them from streamed text), and the renderer turns each pair into a `<mark>`.
//!
//! Narrow-pane rendering: numbered lists keep their numbers (`start`) and room for two
//! digits, lines of one-fact-per-line answers stay lines, long URLs wrap.

use leptos::prelude::*;

use crate::copilot::checks::{Mark, MarkKind};
use crate::copilot::markdown::{parse, Block, Inline};

const KINDS: [MarkKind; 4] = [MarkKind::Ungrounded, MarkKind::Unsupported, MarkKind::UnknownCitation, MarkKind::Comparison];

/// The opening and closing characters of a mark kind.
fn sentinels(kind: MarkKind) -> (char, char) {
    let i = KINDS.iter().position(|k| *k == kind).unwrap_or(0) as u32;
    (char::from_u32(0xE000 + 2 * i).expect("private use"), char::from_u32(0xE001 + 2 * i).expect("private use"))
}

fn kind_of_open(c: char) -> Option<MarkKind> {
    KINDS.iter().copied().find(|k| sentinels(*k).0 == c)
}

fn is_sentinel(c: char) -> bool {
    ('\u{E000}'..='\u{E00F}').contains(&c)
}

/// `text` with each mark's span wrapped in its sentinels (marks in order, not overlapping,
/// on character boundaries; others are skipped).
fn with_sentinels(text: &str, marks: &[Mark]) -> String {
    let mut out = String::with_capacity(text.len() + marks.len() * 6);
    let mut at = 0;
    for m in marks {
        if m.start < at || m.end > text.len() || !text.is_char_boundary(m.start) || !text.is_char_boundary(m.end) {
            continue;
        }
        let (open, close) = sentinels(m.kind);
        out.push_str(&text[at..m.start]);
        out.push(open);
        out.push_str(&text[m.start..m.end]);
        out.push(close);
        at = m.end;
    }
    out.push_str(&text[at..]);
    out
}

fn plain(text: &str) -> String {
    text.chars().filter(|c| !is_sentinel(*c)).collect()
}

/// Text with its marks and line breaks.
fn marked_text(text: &str) -> AnyView {
    let mut pieces: Vec<AnyView> = Vec::new();
    let mut buffer = String::new();
    let mut open: Option<MarkKind> = None;
    let flush = |buffer: &mut String, open: Option<MarkKind>, pieces: &mut Vec<AnyView>| {
        if buffer.is_empty() {
            return;
        }
        let lines: Vec<String> = buffer.split('\n').map(String::from).collect();
        buffer.clear();
        let mut parts: Vec<AnyView> = Vec::new();
        for (i, line) in lines.into_iter().enumerate() {
            if i > 0 {
                parts.push(view! { <br/> }.into_any());
            }
            parts.push(line.into_any());
        }
        match open {
            Some(kind) => {
                pieces.push(view! { <mark class=kind.class() title=kind.title() data-mark=format!("{kind:?}")>{parts}</mark> }.into_any())
            }
            None => pieces.push(parts.into_any()),
        }
    };
    for c in text.chars() {
        if let Some(kind) = kind_of_open(c) {
            flush(&mut buffer, open, &mut pieces);
            open = Some(kind);
        } else if is_sentinel(c) {
            flush(&mut buffer, open, &mut pieces);
            open = None;
        } else {
            buffer.push(c);
        }
    }
    flush(&mut buffer, open, &mut pieces);
    pieces.into_any()
}

fn inlines(items: &[Inline]) -> AnyView {
    items
        .iter()
        .map(|i| match i {
            Inline::Text(t) => marked_text(t),
            Inline::Strong(inner) => view! { <strong>{inlines(inner)}</strong> }.into_any(),
            Inline::Emphasis(inner) => view! { <em>{inlines(inner)}</em> }.into_any(),
            Inline::Code(c) => view! { <code>{plain(c)}</code> }.into_any(),
            Inline::Link { text, url } => view! {
                <a href=plain(url) target="_blank" rel="noopener noreferrer" style="overflow-wrap: anywhere">{plain(text)}</a>
            }
            .into_any(),
        })
        .collect::<Vec<_>>()
        .into_any()
}

#[component]
pub fn MarkdownView(#[prop(into)] text: Signal<String>, #[prop(into)] marks: Signal<Vec<Mark>>) -> impl IntoView {
    move || {
        let marks = marks.get();
        let source = text.with(|t| with_sentinels(t, &marks));
        let blocks = parse(&source)
            .into_iter()
            .map(|block| match block {
                Block::Heading { level, inlines: items } => match level {
                    1 | 2 => view! { <h4>{inlines(&items)}</h4> }.into_any(),
                    _ => view! { <h5>{inlines(&items)}</h5> }.into_any(),
                },
                Block::Paragraph(items) => view! { <p>{inlines(&items)}</p> }.into_any(),
                Block::List { ordered, start, items } => {
                    let rows = items.iter().map(|it| view! { <li>{inlines(it)}</li> }).collect_view();
                    if ordered {
                        // Room for two-digit markers in the narrow pane (10. and up were clipped).
                        view! { <ol start=start style="padding-left: 2.4em">{rows}</ol> }.into_any()
                    } else {
                        view! { <ul>{rows}</ul> }.into_any()
                    }
                }
                Block::Code(c) => view! { <pre class="code">{plain(&c)}</pre> }.into_any(),
                Block::Rule => view! { <hr/> }.into_any(),
            })
            .collect_view();
        view! { <div class="markdown" style="overflow-wrap: anywhere">{blocks}</div> }
    }
}
