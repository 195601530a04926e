//! Citations in an answer — `[T3]`, `[G2]`, `[D1]`, lists such as `[T1, T3]` or `[T1][D2]`
//! and ranges such as `[G3–G10]` — found with their byte positions, and the Sources list
//! appended to answers by code, never by the model: one line per distinct documentation
//! page the answer cites. Pages that were retrieved but not cited are not listed (the
//! debug panel shows them as "also retrieved").

use serde::Serialize;

use crate::base::vocab::DocChunk;

/// Heading of the list.
pub const SOURCES_HEADING: &str = "Sources (Databricks Docs):";

/// One bracketed citation as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// Byte offsets of `[` and just past `]`.
    pub start: usize,
    pub end: usize,
    /// The ids it names, ranges expanded: `[G3–G5]` → G3, G4, G5.
    pub ids: Vec<String>,
}

/// The longest range a citation may expand to (longer ones name their two ends only).
const MAX_RANGE: u32 = 60;

fn parse_id(text: &str) -> Option<(char, u32)> {
    let kind = text.chars().next().filter(|c| matches!(c, 'T' | 'G' | 'D'))?;
    let digits = &text[1..];
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((kind, digits.parse().ok()?))
}

/// The ids of a bracket's content, or `None` when it is not a citation.
fn parse_content(content: &str) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    let normalized = content.replace(" and ", ",").replace(';', ",");
    for part in normalized.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return None;
        }
        let range = part.split_once(['–', '—']).or_else(|| part.split_once('-'));
        match range {
            Some((a, b)) => {
                let (ka, na) = parse_id(a.trim())?;
                let b = b.trim();
                let (kb, nb) = parse_id(b).or_else(|| b.parse::<u32>().ok().map(|n| (ka, n)))?;
                if ka != kb || nb < na {
                    return None;
                }
                if nb - na > MAX_RANGE {
                    ids.push(format!("{ka}{na}"));
                    ids.push(format!("{kb}{nb}"));
                } else {
                    ids.extend((na..=nb).map(|n| format!("{ka}{n}")));
                }
            }
            None => {
                let (k, n) = parse_id(part)?;
                ids.push(format!("{k}{n}"));
            }
        }
    }
    (!ids.is_empty()).then_some(ids)
}

/// Every citation in `text`, in order.
pub fn find(text: &str) -> Vec<Citation> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('[').map(|i| i + from) {
        let Some(close) = text[open..].find(']').map(|i| i + open) else { break };
        // A `[` inside the candidate starts a new one.
        if let Some(inner) = text[open + 1..close].rfind('[') {
            from = open + 1 + inner;
            continue;
        }
        if let Some(ids) = parse_content(&text[open + 1..close]) {
            out.push(Citation { start: open, end: close + 1, ids });
        }
        from = close + 1;
    }
    out
}

/// The ids `text` cites, each once, in order of first citation.
pub fn cited_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for c in find(text) {
        for id in c.ids {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

fn page_of(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// The pages behind `docs` that `answer` cites as [D…], in evidence order, one per page.
pub fn used_pages<'a>(answer: &str, docs: &'a [DocChunk]) -> Vec<&'a DocChunk> {
    let cited = cited_ids(answer);
    let mut pages: Vec<&DocChunk> = Vec::new();
    for d in docs.iter().filter(|d| cited.contains(&d.id)) {
        if !pages.iter().any(|p| page_of(&p.url) == page_of(&d.url)) {
            pages.push(d);
        }
    }
    pages
}

/// The chunks that were in the prompt but that `answer` does not cite.
pub fn also_retrieved<'a>(answer: &str, docs: &'a [DocChunk]) -> Vec<&'a DocChunk> {
    let cited = cited_ids(answer);
    docs.iter().filter(|d| !cited.contains(&d.id)).collect()
}

/// `answer` followed by its Sources list: the pages it cites (unchanged when it cites none).
pub fn with_sources(answer: &str, docs: &[DocChunk]) -> String {
    let pages = used_pages(answer, docs);
    if pages.is_empty() {
        return answer.to_string();
    }
    let lines: Vec<String> = pages.iter().map(|d| format!("- {} — {}", d.title, d.url)).collect();
    format!("{}\n\n**{SOURCES_HEADING}**\n\n{}", answer.trim_end(), lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, title: &str, url: &str) -> DocChunk {
        DocChunk { id: id.into(), title: title.into(), heading: String::new(), url: url.into(), text: String::new(), score: 1.0 }
    }

    #[test]
    fn lists_each_cited_page_once_in_evidence_order_and_nothing_uncited() {
        let docs = [
            doc("D1", "Spot instances", "https://docs.databricks.com/aws/en/compute/configure#spot"),
            doc("D2", "Spot instances", "https://docs.databricks.com/aws/en/compute/configure#fallback"),
            doc("D3", "Pools", "https://docs.databricks.com/aws/en/compute/pool-best-practices"),
        ];
        assert_eq!(
            with_sources("Use fallback [D2].", &docs),
            "Use fallback [D2].\n\n**Sources (Databricks Docs):**\n\n- Spot instances — https://docs.databricks.com/aws/en/compute/configure#fallback"
        );
        assert_eq!(with_sources("No citation.", &docs), "No citation.");
        assert_eq!(with_sources("Telemetry only.", &[]), "Telemetry only.");
        let both = with_sources("Pools [D3] and spot [D1, D2].", &docs);
        assert!(both.ends_with("configure#spot\n- Pools — https://docs.databricks.com/aws/en/compute/pool-best-practices"), "{both}");
        assert_eq!(also_retrieved("Pools [D3].", &docs).iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["D1", "D2"]);
    }

    #[test]
    fn finds_citations_lists_and_ranges_with_their_positions() {
        let text = "Failed [T2]; cost [T1, T8] and [T1][D2]; runs [G3–G5], [G7-9]; not [x] [T] [T1a] [1] nor [see T2].";
        let found = find(text);
        let shown: Vec<(&str, Vec<&str>)> =
            found.iter().map(|c| (&text[c.start..c.end], c.ids.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            shown,
            [
                ("[T2]", vec!["T2"]),
                ("[T1, T8]", vec!["T1", "T8"]),
                ("[T1]", vec!["T1"]),
                ("[D2]", vec!["D2"]),
                ("[G3–G5]", vec!["G3", "G4", "G5"]),
                ("[G7-9]", vec!["G7", "G8", "G9"]),
            ]
        );
        assert_eq!(cited_ids("[T1] [T1 and T42] [[T3]]"), ["T1", "T42", "T3"]);
    }
}
