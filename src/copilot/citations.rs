//! The Sources list appended to answers by code, never by the model: one line per
//! distinct documentation page — those the answer cites as [D…], or every page in the
//! prompt when it cites none.

use crate::base::vocab::DocChunk;

/// Heading of the list.
pub const SOURCES_HEADING: &str = "Sources (Databricks Docs):";

/// The pages behind `docs` that `answer` used, in evidence order, one per page.
pub fn used_pages<'a>(answer: &str, docs: &'a [DocChunk]) -> Vec<&'a DocChunk> {
    let cited: Vec<&DocChunk> = docs.iter().filter(|d| answer.contains(&format!("[{}]", d.id))).collect();
    let pool = if cited.is_empty() { docs.iter().collect() } else { cited };
    let mut pages: Vec<&DocChunk> = Vec::new();
    for d in pool {
        let page = d.url.split('#').next().unwrap_or(&d.url);
        if !pages.iter().any(|p| p.url.split('#').next() == Some(page)) {
            pages.push(d);
        }
    }
    pages
}

/// `answer` followed by its Sources list (unchanged when no docs were in the prompt).
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
    fn lists_each_cited_page_once_in_evidence_order() {
        let docs = [
            doc("D1", "Spot instances", "https://docs.databricks.com/aws/en/compute/configure#spot"),
            doc("D2", "Spot instances", "https://docs.databricks.com/aws/en/compute/configure#fallback"),
            doc("D3", "Pools", "https://docs.databricks.com/aws/en/compute/pool-best-practices"),
        ];
        assert_eq!(
            with_sources("Use fallback [D2].", &docs),
            "Use fallback [D2].\n\n**Sources (Databricks Docs):**\n\n- Spot instances — https://docs.databricks.com/aws/en/compute/configure#fallback"
        );
        let all = with_sources("No citation.", &docs);
        assert!(all.ends_with("- Spot instances — https://docs.databricks.com/aws/en/compute/configure#spot\n- Pools — https://docs.databricks.com/aws/en/compute/pool-best-practices"), "{all}");
        assert_eq!(with_sources("Telemetry only.", &[]), "Telemetry only.");
    }
}
