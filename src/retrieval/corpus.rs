//! Documentation pages and their chunks. Pages come as Markdown with front matter
//! (`title`, `url`, `reviewed`) and `## Heading {#anchor}` sections, or as saved HTML
//! (main text and headings extracted). Chunks follow the headings; a long section is cut
//! into overlapping windows. Every chunk keeps its page title, URL and `#anchor`.

use serde::{Deserialize, Serialize};

/// A documentation page split into sections.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub title: String,
    pub url: String,
    pub reviewed: Option<String>,
    /// (heading, anchor, text); the text before the first heading has heading = title.
    pub sections: Vec<(String, String, String)>,
}

/// A piece of a page that retrieval returns and a prompt quotes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    pub title: String,
    pub heading: String,
    /// Page URL with the section's `#anchor`.
    pub url: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CorpusError {
    #[error("{file}: {problem}")]
    Page { file: String, problem: String },
}

fn problem(file: &str, p: impl Into<String>) -> CorpusError {
    CorpusError::Page { file: file.to_string(), problem: p.into() }
}

/// Lowercase letters, digits and hyphens from a heading.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Parses a Markdown page with front matter.
pub fn parse_markdown(file: &str, text: &str) -> Result<Page, CorpusError> {
    let text = text.replace("\r\n", "\n");
    let rest = text.strip_prefix("---\n").ok_or_else(|| problem(file, "missing front matter (--- at the top)"))?;
    let end = rest.find("\n---\n").ok_or_else(|| problem(file, "front matter is not closed with ---"))?;
    let (front, body) = (&rest[..end], &rest[end + 5..]);
    let mut title = None;
    let mut url = None;
    let mut reviewed = None;
    for line in front.lines().filter(|l| !l.trim().is_empty()) {
        let (k, v) = line.split_once(':').ok_or_else(|| problem(file, format!("front matter line {line:?} is not key: value")))?;
        let v = v.trim().trim_matches('"').to_string();
        match k.trim() {
            "title" => title = Some(v),
            "url" => url = Some(v),
            "reviewed" => reviewed = Some(v),
            other => return Err(problem(file, format!("unknown front matter key {other:?}"))),
        }
    }
    let title = title.ok_or_else(|| problem(file, "front matter has no title"))?;
    let url = url.ok_or_else(|| problem(file, "front matter has no url"))?;
    if !url.starts_with("https://") {
        return Err(problem(file, format!("url {url:?} is not an https URL")));
    }
    let mut sections: Vec<(String, String, String)> = vec![(title.clone(), String::new(), String::new())];
    let mut in_code = false;
    for line in body.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with("# ") {
            continue;
        }
        if let Some(h) = line.strip_prefix("## ").filter(|_| !in_code) {
            let (heading, anchor) = match h.rfind("{#") {
                Some(at) if h.trim_end().ends_with('}') => (h[..at].trim().to_string(), h[at + 2..h.trim_end().len() - 1].to_string()),
                _ => (h.trim().to_string(), slug(h)),
            };
            if sections.iter().any(|s| s.1 == anchor) {
                return Err(problem(file, format!("anchor #{anchor} is used twice")));
            }
            sections.push((heading, anchor, String::new()));
            continue;
        }
        let current = sections.last_mut().expect("at least the intro");
        current.2.push_str(line);
        current.2.push('\n');
    }
    let sections = sections.into_iter().map(|(h, a, t)| (h, a, t.trim().to_string())).filter(|s| !s.2.is_empty()).collect();
    Ok(Page { title, url, reviewed, sections })
}

/// Extracts title, headings and main text from a saved HTML page. `url` is where the page
/// came from (a crawl) or, for a saved file, its `<link rel="canonical">` when present.
pub fn parse_html(file: &str, html: &str, url: Option<&str>) -> Result<Page, CorpusError> {
    let title = tag_text(html, "title")
        .map(|t| t.split(" | ").next().unwrap_or(&t).trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| problem(file, "the HTML has no <title>"))?;
    let url = url
        .map(String::from)
        .or_else(|| canonical(html))
        .ok_or_else(|| problem(file, "no URL: pass one or add <link rel=\"canonical\">"))?;
    // The main content: <main>, else <article>, else <body>.
    let main = ["main", "article", "body"].iter().find_map(|t| inner(html, t)).unwrap_or(html);
    let cleaned = remove_blocks(main, &["script", "style", "noscript", "nav", "header", "footer", "aside", "svg"]);
    let mut sections: Vec<(String, String, String)> = vec![(title.clone(), String::new(), String::new())];
    let mut rest = cleaned.as_str();
    while let Some(open) = rest.find('<') {
        text_into(&mut sections, &rest[..open]);
        let close = rest[open..].find('>').map_or(rest.len(), |c| open + c + 1);
        let tag = &rest[open + 1..close.saturating_sub(1)];
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').find(|s| !s.is_empty()).unwrap_or("").to_ascii_lowercase();
        let closing = tag.starts_with('/');
        if !closing && (name == "h2" || name == "h3") {
            let end = rest[close..].find(&format!("</{name}")).map_or(rest.len(), |e| close + e);
            let heading = decode_entities(&strip_tags(&rest[close..end])).trim().to_string();
            let anchor = attribute(tag, "id").unwrap_or_else(|| slug(&heading));
            if !heading.is_empty() {
                sections.push((heading, anchor, String::new()));
            }
            rest = &rest[rest[end..].find('>').map_or(rest.len(), |g| end + g + 1)..];
            continue;
        }
        if matches!(name.as_str(), "p" | "li" | "div" | "br" | "tr" | "pre" | "h4" | "h5" | "h6") {
            text_into(&mut sections, "\n");
        }
        rest = &rest[close.min(rest.len())..];
    }
    text_into(&mut sections, rest);
    let sections: Vec<(String, String, String)> = sections
        .into_iter()
        .map(|(h, a, t)| {
            let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| l.chars().count() > 1).collect();
            (h, a, lines.join("\n"))
        })
        .filter(|s| !s.2.is_empty())
        .collect();
    if sections.iter().map(|s| s.2.len()).sum::<usize>() < 100 {
        return Err(problem(file, "less than 100 characters of text; skipped"));
    }
    Ok(Page { title, url, reviewed: None, sections })
}

fn text_into(sections: &mut [(String, String, String)], text: &str) {
    if let Some(last) = sections.last_mut() {
        last.2.push_str(&decode_entities(text).replace(['\t', '\r'], " "));
    }
}

fn lower_find(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(&needle.to_ascii_lowercase())
}

fn inner<'a>(html: &'a str, tag: &str) -> Option<&'a str> {
    let open = lower_find(html, &format!("<{tag}"))?;
    let start = open + html[open..].find('>')? + 1;
    let end = lower_find(&html[start..], &format!("</{tag}>")).map_or(html.len(), |e| start + e);
    Some(&html[start..end])
}

fn tag_text(html: &str, tag: &str) -> Option<String> {
    inner(html, tag).map(|t| decode_entities(&strip_tags(t)).trim().to_string())
}

fn canonical(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(at) = lower_find(rest, "<link") {
        let end = rest[at..].find('>')? + at;
        let tag = &rest[at..end];
        if attribute(tag, "rel").is_some_and(|r| r.eq_ignore_ascii_case("canonical")) {
            return attribute(tag, "href");
        }
        rest = &rest[end..];
    }
    None
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let at = lower_find(tag, &format!("{name}="))?;
    let rest = &tag[at + name.len() + 1..];
    let quote = rest.chars().next()?;
    if quote == '"' || quote == '\'' {
        rest[1..].find(quote).map(|e| rest[1..1 + e].to_string())
    } else {
        Some(rest.split(|c: char| c.is_whitespace() || c == '>').next()?.to_string())
    }
}

fn remove_blocks(html: &str, tags: &[&str]) -> String {
    let mut out = html.to_string();
    for tag in tags {
        let mut from = 0;
        while let Some(found) = lower_find(&out[from..], &format!("<{tag}")) {
            let open = from + found;
            // Only a real tag: "<nav>" or "<nav ", not "<navigation".
            let after = out[open + 1 + tag.len()..].chars().next();
            if !matches!(after, Some('>' | ' ' | '\n' | '\t' | '/')) {
                from = open + 1;
                continue;
            }
            let end = lower_find(&out[open..], &format!("</{tag}>")).map_or(out.len(), |e| open + e + tag.len() + 3);
            out.replace_range(open..end, " ");
            from = open;
        }
    }
    out
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Target and overlap of chunk windows, in words.
pub const CHUNK_WORDS: usize = 160;
pub const OVERLAP_WORDS: usize = 40;

/// Chunks of a page: one per section, long sections cut into overlapping windows.
pub fn chunk_page(page: &Page) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for (heading, anchor, text) in &page.sections {
        let url = if anchor.is_empty() { page.url.clone() } else { format!("{}#{anchor}", page.url.trim_end_matches('#')) };
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut start = 0;
        loop {
            let end = (start + CHUNK_WORDS).min(words.len());
            chunks.push(Chunk { title: page.title.clone(), heading: heading.clone(), url: url.clone(), text: words[start..end].join(" ") });
            if end == words.len() {
                break;
            }
            start = end - OVERLAP_WORDS;
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "---\ntitle: Spot instances\nurl: https://docs.databricks.com/x\nreviewed: 2026-11-23\n---\n# Spot instances\n\nIntro text.\n\n## How fallback works {#fallback}\n\nSPOT_WITH_FALLBACK replaces lost spot capacity.\n\n```\n## not a heading\n```\n\n## Bid price\n\nThe bid is a percentage.\n";

    #[test]
    fn parses_front_matter_sections_and_anchors() {
        let page = parse_markdown("spot.md", PAGE).unwrap();
        assert_eq!(
            (page.title.as_str(), page.url.as_str(), page.reviewed.as_deref()),
            ("Spot instances", "https://docs.databricks.com/x", Some("2026-11-23"))
        );
        let heads: Vec<(&str, &str)> = page.sections.iter().map(|s| (s.0.as_str(), s.1.as_str())).collect();
        assert_eq!(heads, [("Spot instances", ""), ("How fallback works", "fallback"), ("Bid price", "bid-price")]);
        assert!(page.sections[1].2.contains("## not a heading"));
        let chunks = chunk_page(&page);
        assert_eq!(chunks[1].url, "https://docs.databricks.com/x#fallback");
        assert_eq!(chunks[0].url, "https://docs.databricks.com/x");
    }

    #[test]
    fn names_what_is_wrong_with_a_page() {
        assert_eq!(parse_markdown("a.md", "# no front matter").unwrap_err().to_string(), "a.md: missing front matter (--- at the top)");
        let no_url = "---\ntitle: T\n---\nbody";
        assert_eq!(parse_markdown("b.md", no_url).unwrap_err().to_string(), "b.md: front matter has no url");
    }

    #[test]
    fn long_sections_become_overlapping_windows() {
        let body: String = (0..400).map(|i| format!("w{i} ")).collect();
        let page = Page { title: "T".into(), url: "https://x".into(), reviewed: None, sections: vec![("H".into(), "h".into(), body)] };
        let chunks = chunk_page(&page);
        assert_eq!(chunks.len(), 3);
        assert!(chunks[1].text.starts_with("w120 ") && chunks[0].text.ends_with(" w159"));
    }

    #[test]
    fn extracts_main_text_and_headings_from_html() {
        let html = "<html><head><title>Pools | Databricks on AWS</title><link rel=\"canonical\" href=\"https://docs.databricks.com/pools\"></head><body><nav>Menu Menu</nav><navigation-bar>kept</navigation-bar><main><nav>Menu</nav><h1>Pools</h1><p>Pools keep idle instances ready so that clusters start faster and scale faster than launching new cloud instances.</p><h2 id=\"best\">Best practices</h2><p>Set min idle to 0 when idle instances cost too much &amp; use spot for workers and on-demand for drivers.</p><script>var x = 1;</script></main><footer>foot</footer></body></html>";
        let page = parse_html("pools.html", html, None).unwrap();
        assert_eq!(page.title, "Pools");
        assert_eq!(page.url, "https://docs.databricks.com/pools");
        assert_eq!(page.sections[1].0, "Best practices");
        assert_eq!(page.sections[1].1, "best");
        assert!(page.sections[1].2.contains("too much & use spot"));
        let all: String = page.sections.iter().map(|s| s.2.clone()).collect();
        assert!(!all.contains("Menu") && !all.contains("var x") && !all.contains("foot"));
    }
}
