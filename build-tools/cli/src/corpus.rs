//! The docs corpus from a folder: every Markdown or saved HTML page under it, parsed into
//! pages and chunked by heading with the library code the browser uses.

use std::path::{Path, PathBuf};

use usage_copilot::retrieval::{chunk_page, parse_html, parse_markdown, Chunk, Page};

/// Pages read from a folder, and the files that were skipped (with the reason).
pub struct Loaded {
    pub pages: Vec<Page>,
    pub skipped: Vec<String>,
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read folder {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("cannot read folder {}: {e}", dir.display()))?.path();
        if path.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Every `.md`, `.html` and `.htm` file under `dir`, in path order. A Markdown page that
/// does not parse stops the build (the committed corpus must be clean); an HTML page that
/// does not (a saved crawl may hold navigation pages) is skipped and reported. Two files
/// may share a URL (parts of one page) unless they share an anchor too.
pub fn load_folder(dir: &Path) -> Result<Loaded, String> {
    let mut files = Vec::new();
    files_under(dir, &mut files)?;
    files.sort();
    let mut pages: Vec<(PathBuf, Page)> = Vec::new();
    let mut skipped = Vec::new();
    for path in files {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if !matches!(ext.as_str(), "md" | "html" | "htm") {
            continue;
        }
        let name = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let page = if ext == "md" {
            parse_markdown(&name, &text).map_err(|e| e.to_string())?
        } else {
            match parse_html(&name, &text, None) {
                Ok(page) => page,
                Err(e) => {
                    skipped.push(e.to_string());
                    continue;
                }
            }
        };
        // Two files may describe parts of one official page (autoscaling is a section of the
        // compute configuration reference), but their anchors must not collide.
        for (other, p) in pages.iter().filter(|(_, p)| p.url == page.url) {
            if let Some(anchor) = page.sections.iter().map(|s| &s.1).find(|a| !a.is_empty() && p.sections.iter().any(|s| &s.1 == *a)) {
                let other = other.strip_prefix(dir).unwrap_or(other).display();
                return Err(format!("{name} and {other} both have the URL {} with the anchor #{anchor}", page.url));
            }
        }
        pages.push((path, page));
    }
    if pages.is_empty() {
        return Err(format!("no Markdown or HTML pages under {}", dir.display()));
    }
    Ok(Loaded { pages: pages.into_iter().map(|(_, p)| p).collect(), skipped })
}

/// The chunks of all pages, in page order.
pub fn chunks_of(pages: &[Page]) -> Vec<Chunk> {
    pages.iter().flat_map(chunk_page).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_folder_and_names_bad_files() {
        let dir = std::env::temp_dir().join(format!("copilot-docs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.md"), "---\ntitle: A\nurl: https://docs.databricks.com/a\n---\n## One {#one}\n\nText of A.\n").unwrap();
        std::fs::write(dir.join("sub/b.html"), "<html><head><title>Short</title><link rel=\"canonical\" href=\"https://docs.databricks.com/b\"></head><body>tiny</body></html>").unwrap();
        std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
        let loaded = load_folder(&dir).unwrap();
        assert_eq!(loaded.pages.len(), 1);
        assert_eq!(loaded.skipped, ["sub/b.html: less than 100 characters of text; skipped"]);
        std::fs::write(dir.join("c.md"), "---\ntitle: C\nurl: https://docs.databricks.com/a\n---\n## Two {#two}\n\nMore of A.\n").unwrap();
        assert_eq!(load_folder(&dir).unwrap().pages.len(), 2, "two parts of one page");
        std::fs::write(dir.join("c.md"), "---\ntitle: C\nurl: https://docs.databricks.com/a\n---\n## One again {#one}\n\nbody\n").unwrap();
        assert_eq!(load_folder(&dir).err().unwrap(), "c.md and a.md both have the URL https://docs.databricks.com/a with the anchor #one");
        std::fs::write(dir.join("c.md"), "no front matter").unwrap();
        assert_eq!(load_folder(&dir).err().unwrap(), "c.md: missing front matter (--- at the top)");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
