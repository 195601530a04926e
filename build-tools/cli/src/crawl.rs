//! A polite crawler for `copilot docs build --sitemap URL --prefix URL`: it reads
//! `robots.txt` (Disallow rules and Crawl-delay for `*`), the sitemap (following one level
//! of sitemap index), keeps the URLs under the prefix, and fetches them one at a time with
//! a pause between requests. Pages that fail are reported, not fatal.

use std::time::Duration;

use usage_copilot::retrieval::{parse_html, Page};

pub const USER_AGENT: &str = concat!("usage-copilot-docs/", env!("CARGO_PKG_VERSION"), " (one request at a time)");

pub struct CrawlOptions {
    pub sitemap: String,
    pub prefix: String,
    /// Pause between requests (raised to the site's Crawl-delay when that is longer).
    pub delay: Duration,
    pub max_pages: usize,
}

pub struct Crawled {
    pub pages: Vec<Page>,
    /// "URL: reason" for every page left out.
    pub skipped: Vec<String>,
    pub requests: usize,
}

/// Disallowed path prefixes and the crawl delay that apply to every agent (`*`).
#[derive(Debug, Default, PartialEq)]
pub struct Robots {
    pub disallow: Vec<String>,
    pub crawl_delay: Option<Duration>,
}

impl Robots {
    pub fn parse(text: &str) -> Robots {
        let mut robots = Robots::default();
        let mut applies = false;
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else { continue };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        applies = false;
                    }
                    in_agents = true;
                    applies |= value == "*";
                }
                "disallow" if applies && !value.is_empty() => {
                    in_agents = false;
                    robots.disallow.push(value.to_string());
                }
                "crawl-delay" if applies => {
                    in_agents = false;
                    robots.crawl_delay = value.parse::<f64>().ok().map(Duration::from_secs_f64);
                }
                _ => in_agents = false,
            }
        }
        robots
    }

    pub fn allows(&self, path: &str) -> bool {
        !self.disallow.iter().any(|d| path.starts_with(d.as_str()))
    }
}

/// The `<loc>` values of a sitemap.
pub fn sitemap_locations(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find("<loc>") {
        let start = at + 5;
        let Some(len) = rest[start..].find("</loc>") else { break };
        out.push(rest[start..start + len].trim().replace("&amp;", "&"));
        rest = &rest[start + len..];
    }
    out
}

struct Client {
    http: reqwest::Client,
    delay: Duration,
    requests: usize,
}

impl Client {
    /// GET with the pause before every request but the first; the body when the status is 200.
    async fn get(&mut self, url: &str) -> Result<(String, String), String> {
        if self.requests > 0 {
            tokio::time::sleep(self.delay).await;
        }
        self.requests += 1;
        let response = self.http.get(url).send().await.map_err(|e| format!("request failed: {e}"))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        let kind = response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let body = response.text().await.map_err(|e| format!("reading the body failed: {e}"))?;
        Ok((kind, body))
    }
}

pub async fn crawl(options: &CrawlOptions) -> Result<Crawled, String> {
    let sitemap = reqwest::Url::parse(&options.sitemap).map_err(|e| format!("--sitemap {:?} is not a URL: {e}", options.sitemap))?;
    reqwest::Url::parse(&options.prefix).map_err(|e| format!("--prefix {:?} is not a URL: {e}", options.prefix))?;
    let http = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
    let mut client = Client { http, delay: options.delay, requests: 0 };
    let robots_url = sitemap.join("/robots.txt").map_err(|e| e.to_string())?;
    let robots = match client.get(robots_url.as_str()).await {
        Ok((_, text)) => Robots::parse(&text),
        Err(_) => Robots::default(),
    };
    if let Some(delay) = robots.crawl_delay {
        client.delay = client.delay.max(delay);
    }
    let (_, xml) = client.get(sitemap.as_str()).await.map_err(|e| format!("cannot read the sitemap {sitemap}: {e}"))?;
    let mut locations = Vec::new();
    if xml.contains("<sitemapindex") {
        for child in sitemap_locations(&xml) {
            match client.get(&child).await {
                Ok((_, xml)) => locations.extend(sitemap_locations(&xml)),
                Err(e) => return Err(format!("cannot read the sitemap {child}: {e}")),
            }
        }
    } else {
        locations = sitemap_locations(&xml);
    }
    let mut skipped = Vec::new();
    let mut wanted: Vec<String> = Vec::new();
    for url in locations {
        if !url.starts_with(&options.prefix) {
            continue;
        }
        let path = reqwest::Url::parse(&url).map(|u| u.path().to_string()).unwrap_or_default();
        if !robots.allows(&path) {
            skipped.push(format!("{url}: disallowed by robots.txt"));
            continue;
        }
        wanted.push(url);
    }
    wanted.sort();
    wanted.dedup();
    if wanted.len() > options.max_pages {
        skipped.push(format!(
            "{} more pages under the prefix left out (--max-pages {})",
            wanted.len() - options.max_pages,
            options.max_pages
        ));
        wanted.truncate(options.max_pages);
    }
    let mut pages = Vec::new();
    for url in wanted {
        match client.get(&url).await {
            Ok((kind, _)) if !kind.is_empty() && !kind.contains("html") => skipped.push(format!("{url}: not HTML ({kind})")),
            Ok((_, body)) => match parse_html(&url, &body, Some(&url)) {
                Ok(page) => pages.push(page),
                Err(e) => skipped.push(e.to_string()),
            },
            Err(e) => skipped.push(format!("{url}: {e}")),
        }
    }
    Ok(Crawled { pages, skipped, requests: client.requests })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_rules_for_every_agent() {
        let robots = Robots::parse("User-agent: BadBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/ # no\nCrawl-delay: 2\n");
        assert_eq!(robots, Robots { disallow: vec!["/private/".into()], crawl_delay: Some(Duration::from_secs(2)) });
        assert!(robots.allows("/docs/a") && !robots.allows("/private/x"));
    }

    #[test]
    fn reads_sitemap_locations() {
        let xml = "<urlset><url><loc> https://x/a?b=1&amp;c=2 </loc></url><url><loc>https://x/b</loc></url></urlset>";
        assert_eq!(sitemap_locations(xml), ["https://x/a?b=1&c=2", "https://x/b"]);
    }
}
