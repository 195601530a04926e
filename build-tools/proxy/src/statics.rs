//! Serving the built app from DIST_DIR, and the security headers every response carries.
//!
//! Only the app is served: no dotfile or dot-directory (`.env`, `.git/`), nothing whose
//! canonical path — symlinks resolved — leaves DIST_DIR, and the proxy refuses to start
//! when DIST_DIR holds the settings file it read. Pre-compressed copies (`*.br`, `*.gz`
//! from `make dist`) are served as they are and checked the same way.
//!
//! The Content-Security-Policy allows the app's own files and nothing else: scripts from
//! the origin plus, by hash, the inline scripts of the page being served (trunk's loader
//! and the service worker registration); `'wasm-unsafe-eval'` to compile the app's
//! WebAssembly (never `'unsafe-eval'`: chart callbacks are data the app binds to its own
//! closures, so nothing is evaluated from text); inline styles (ECharts tooltips
//! and the chart height attribute); fetches to the origin (config.json, data/*.db,
//! docs/*.bin, the relay), to the origins dist/config.json sends the page to (`proxy_url`,
//! `data_url`) and to PROXY_CSP_CONNECT_SRC; no plugins, no `<base>`, no form posts, and
//! framing per PROXY_FRAME_ANCESTORS.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::Digest;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::config::ProxyConfig;
use super::errors::{ApiError, StartError};
use super::origins::SiteOrigin;
use super::AppState;

/// DIST_DIR and how its files are served.
pub struct Statics {
    /// DIST_DIR as configured; resolved on every request, so a folder created after
    /// start-up, or a link re-pointed at a new build, is followed.
    dist: PathBuf,
    files: ServeDir,
    /// `script-src` hashes per HTML file.
    hashes: Mutex<HashMap<PathBuf, PageHashes>>,
    /// The policy up to the script hashes, between them and the config.json sources, and after.
    csp_script: String,
    csp_connect: String,
    csp_rest: String,
    /// connect-src sources for the origins dist/config.json points at.
    config_sources: Mutex<Option<(Stamp, Arc<str>)>>,
}

/// A file's modification time and length: a new version of it changes one or both.
type Stamp = (SystemTime, u64);

async fn stamp_of(file: &Path) -> Option<Stamp> {
    let meta = tokio::fs::metadata(file).await.ok()?;
    Some((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len()))
}

/// The inline script hashes of one version of a page.
struct PageHashes {
    stamp: Stamp,
    sources: Arc<str>,
}

/// Refuses a DIST_DIR that holds the settings file in use.
pub fn check_dist(config: &ProxyConfig) -> Result<(), StartError> {
    let (Some(env_file), Ok(dist)) = (&config.env_file, config.dist_dir.canonicalize()) else { return Ok(()) };
    match env_file.canonicalize() {
        Ok(file) if file.starts_with(&dist) => Err(StartError::EnvFileServed { dist: config.dist_dir.clone(), env_file: env_file.clone() }),
        _ => Ok(()),
    }
}

impl Statics {
    pub fn new(config: &ProxyConfig) -> Statics {
        let files = ServeDir::new(&config.dist_dir).append_index_html_on_directories(true).precompressed_br().precompressed_gzip();
        let connect = config.csp_connect_src.as_deref().map(|s| format!(" {s}")).unwrap_or_default();
        Statics {
            dist: config.dist_dir.clone(),
            files,
            hashes: Mutex::new(HashMap::new()),
            csp_script: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'".to_string(),
            csp_connect: format!(
                "; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'{connect}"
            ),
            csp_rest: format!(
                "; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors {}",
                config.frame_ancestors
            ),
            config_sources: Mutex::new(None),
        }
    }

    /// The policy for a response: `hashes` are the page's inline script sources,
    /// `sources` the connect-src sources of its config.json.
    fn csp(&self, hashes: &str, sources: &str) -> String {
        format!("{}{hashes}{}{sources}{}", self.csp_script, self.csp_connect, self.csp_rest)
    }

    /// The origins `proxy_url` and `data_url` of dist/config.json name, when they are
    /// absolute: the page fetches from them (cached per version of the file).
    async fn config_sources(&self) -> Arc<str> {
        let file = self.dist.join("config.json");
        let Some(stamp) = stamp_of(&file).await else { return Arc::from("") };
        if let Some((at, sources)) = &*self.config_sources.lock().unwrap_or_else(|e| e.into_inner()) {
            if *at == stamp {
                return sources.clone();
            }
        }
        let text = tokio::fs::read(&file).await.unwrap_or_default();
        let config: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
        let mut sources = String::new();
        for key in ["proxy_url", "data_url"] {
            let source = config.get(key).and_then(|v| v.as_str()).and_then(SiteOrigin::of_url).map(|o| o.csp_source()).unwrap_or_default();
            if !source.is_empty() {
                sources.push(' ');
                sources.push_str(&source);
            }
        }
        let sources: Arc<str> = sources.into();
        *self.config_sources.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamp, sources.clone()));
        sources
    }

    /// The file a request path names, if it may be served: `Err(())` to answer 404.
    /// `Ok(None)` when the path names nothing on disk (the file server answers 404 or
    /// redirects a directory).
    fn resolve(&self, path: &str) -> Result<Option<PathBuf>, ()> {
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8().map_err(|_| ())?;
        let mut relative = PathBuf::new();
        for segment in decoded.split('/').filter(|s| !s.is_empty()) {
            if segment.starts_with('.') || segment.contains(['\\', '\0']) {
                return Err(());
            }
            relative.push(segment);
        }
        if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(());
        }
        let Ok(root) = self.dist.canonicalize() else { return Ok(None) };
        let root = &root;
        let mut target = root.join(&relative);
        if decoded.ends_with('/') || target.is_dir() {
            // The file server serves index.html for a directory (after a redirect to `/`).
            self.inside(root, &target)?;
            target.push("index.html");
        }
        let mut found = None;
        for candidate in [target.clone(), with_suffix(&target, ".br"), with_suffix(&target, ".gz")] {
            if candidate.symlink_metadata().is_ok() {
                self.inside(root, &candidate)?;
                found.get_or_insert(candidate);
            }
        }
        Ok(found.filter(|f| *f == target))
    }

    /// Whether `path` (which exists, or is a link) resolves inside `root`.
    fn inside(&self, root: &Path, path: &Path) -> Result<(), ()> {
        match path.canonicalize() {
            Ok(real) if real.starts_with(root) => Ok(()),
            Ok(_) => Err(()),
            // A dangling link, or a directory not there: nothing the file server could send.
            Err(_) if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) => Err(()),
            Err(_) => Ok(()),
        }
    }

    /// `'sha256-…'` sources for the inline scripts of an HTML file (cached per version).
    async fn script_hashes(&self, file: &Path) -> Arc<str> {
        let Some(stamp) = stamp_of(file).await else { return Arc::from("") };
        if let Some(page) = self.hashes.lock().unwrap_or_else(|e| e.into_inner()).get(file) {
            if page.stamp == stamp {
                return page.sources.clone();
            }
        }
        let html = tokio::fs::read_to_string(file).await.unwrap_or_default();
        let hashes: Arc<str> = inline_scripts(&html)
            .iter()
            .map(|s| format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()))))
            .collect::<String>()
            .into();
        self.hashes.lock().unwrap_or_else(|e| e.into_inner()).insert(file.to_path_buf(), PageHashes { stamp, sources: hashes.clone() });
        hashes
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut text = path.as_os_str().to_owned();
    text.push(suffix);
    PathBuf::from(text)
}

/// The contents of every `<script>` element without a `src` attribute.
fn inline_scripts(html: &str) -> Vec<&str> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| at + i) {
        let Some(tag_end) = lower[start..].find('>').map(|i| start + i + 1) else { break };
        let Some(close) = lower[tag_end..].find("</script").map(|i| tag_end + i) else { break };
        let tag = &lower[start..tag_end];
        let has_src = tag.split(|c: char| c.is_ascii_whitespace()).any(|attr| attr.starts_with("src=") || attr == "src");
        if !has_src {
            out.push(&html[tag_end..close]);
        }
        at = close;
    }
    out
}

/// Whether a file name carries trunk's content hash (`name-0123456789abcdef.js`,
/// `app-…_bg.wasm`): such a file never changes under its name.
fn is_hashed(name: &str) -> bool {
    // Trunk writes the 64-bit hash in hex without leading zeros: up to 16 digits.
    name.match_indices('-').any(|(at, _)| {
        let rest = &name.as_bytes()[at + 1..];
        let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        (12..=16).contains(&digits) && matches!(rest.get(digits), Some(b'.' | b'_'))
    })
}

fn cache_control_for(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or_default();
    if is_hashed(name) {
        "public, max-age=31536000, immutable"
    } else {
        // index.html, sw.js, config.json, version.json, data and docs: ask every time (the
        // answer is a cheap 304 when nothing changed).
        "no-cache"
    }
}

/// Everything that is not the relay or health: the app's files.
pub async fn serve_static(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let statics = &state.statics;
    let path = request.uri().path().to_string();
    let file = match statics.resolve(&path) {
        Ok(file) => file,
        Err(()) => return ApiError::not_found().into_response(),
    };
    let mut response = match statics.files.clone().oneshot(request).await {
        Ok(r) => r.map(Body::new),
        Err(never) => match never {},
    };
    // By the file too: a 304 has no content type, and its headers replace the cached
    // page's, so it must carry the page's own policy as well.
    let is_html = file.as_ref().is_some_and(|f| f.extension().is_some_and(|e| e == "html"))
        || response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if is_html {
        let hashes = match &file {
            Some(f) => statics.script_hashes(f).await,
            None => Arc::from(""),
        };
        let sources = statics.config_sources().await;
        if let Ok(v) = HeaderValue::from_str(&statics.csp(&hashes, &sources)) {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    let cache = if response.status().is_success() || response.status().as_u16() == 304 { cache_control_for(&path) } else { "no-cache" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// Adds the security headers to every response (the page's own CSP, with its script
/// hashes, is set by [`serve_static`]).
pub async fn security_headers(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let frame_none = state.config.frame_ancestors == "'none'";
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&state.statics.csp("", "")) {
            headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if frame_none {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_scripts_only() {
        let html = "<script src=\"a.js\"></script><SCRIPT type=\"module\">import x;</SCRIPT>\n<script>\n  go();\n</script><script data-src=\"x\">y</script>";
        assert_eq!(inline_scripts(html), ["import x;", "\n  go();\n", "y"]);
    }

    #[test]
    fn hashed_names_are_trunks() {
        assert!(is_hashed("usage-copilot-0123456789abcdef_bg.wasm"));
        assert!(is_hashed("style-0123456789abcdef.css") && is_hashed("favicon-d52a8d60ac78d56.svg"));
        assert!(!is_hashed("sw.js") && !is_hashed("index.html") && !is_hashed("usage_rag_data.db") && !is_hashed("static-model.bin"));
        assert!(!is_hashed("docs-index.bin") && !is_hashed("a-0123456789abcdef0.js"));
        assert_eq!(cache_control_for("/"), "no-cache");
        assert_eq!(cache_control_for("/echarts.min-0123456789abcdef.js"), "public, max-age=31536000, immutable");
    }
}
