//! Talking to a Databricks workspace for `copilot pull`: where the host and the token come
//! from (flags, then the environment, then a `~/.databrickscfg` profile, as the Databricks
//! CLI and SDKs read them), and the SQL Statement Execution API 2.0: submit a statement to a
//! warehouse, poll it to a terminal state, read its result chunk by chunk (inline JSON arrays,
//! or JSON arrays behind presigned external links), and cancel it.
//!
//! Two HTTP clients keep the token where it belongs: `api` sends `Authorization: Bearer` to
//! the workspace host only; `storage` fetches external links (presigned cloud-storage URLs)
//! with no credentials of ours. Neither the token nor an external link (which embeds a
//! temporary credential) is ever printed; every error text is passed through [`redact`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

const USER_AGENT: &str = concat!("usage-copilot-pull/", env!("CARGO_PKG_VERSION"));

/// Where the workspace and its token come from. No `Debug`: nothing may print the token.
#[derive(Clone)]
pub struct Credentials {
    /// `https://…` (or `http://` for a loopback host), without a trailing slash.
    pub host: String,
    pub token: String,
    /// Where the token came from, in words ("DATABRICKS_TOKEN", "profile DEFAULT in …").
    pub token_source: String,
}

/// Replaces every occurrence of the token in `text`.
pub fn redact(text: &str, token: &str) -> String {
    if token.len() < 4 {
        return text.to_string();
    }
    text.replace(token, "[redacted token]")
}

/// Reads the `[section]` / `key = value` file the Databricks CLI writes. Comments start with
/// `;` or `#`; keys are case-insensitive.
pub fn parse_config(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_string();
            sections.entry(name.clone()).or_default();
            current = Some(name);
            continue;
        }
        let (Some(section), Some((key, value))) = (&current, line.split_once('=')) else { continue };
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        sections.entry(section.clone()).or_default().insert(key.trim().to_ascii_lowercase(), value.to_string());
    }
    sections
}

/// `https://` is added when no scheme is given; plain `http://` is accepted for loopback
/// hosts only, so a token never crosses a network in clear text.
pub fn normalise_host(host: &str) -> Result<String> {
    let trimmed = host.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        bail!("the Databricks host is empty");
    }
    let with_scheme = if trimmed.contains("://") { trimmed.to_string() } else { format!("https://{trimmed}") };
    let url = reqwest::Url::parse(&with_scheme)
        .map_err(|e| anyhow!("{host:?} is not a workspace URL like https://dbc-1234.cloud.databricks.com: {e}"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => bail!("{host:?} uses http://; the token is only sent over https:// (plain http is allowed for 127.0.0.1 and localhost)"),
        other => bail!("{host:?} has the scheme {other}://; a workspace URL starts with https://"),
    }
    if url.path() != "/" && !url.path().is_empty() {
        bail!("{host:?} has a path; give the workspace URL only, like https://dbc-1234.cloud.databricks.com");
    }
    Ok(with_scheme)
}

/// What the user passed and what the environment holds.
pub struct AuthInputs {
    pub host: Option<String>,
    pub profile: Option<String>,
    /// Environment lookup (injected so a test can give its own).
    pub env: fn(&str) -> Option<String>,
}

fn config_path(env: fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(path) = env("DATABRICKS_CONFIG_FILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    env("HOME").or_else(|| env("USERPROFILE")).map(|home| PathBuf::from(home).join(".databrickscfg"))
}

/// Resolves host and token: `--host` / `--profile` first, then `DATABRICKS_HOST` /
/// `DATABRICKS_TOKEN`, then the profile (`--profile`, else `DATABRICKS_CONFIG_PROFILE`, else
/// `DEFAULT`) of `DATABRICKS_CONFIG_FILE` or `~/.databrickscfg`. With `--profile`, that
/// profile is used and the environment's host and token are not. A profile's token is only
/// sent to that profile's own host.
pub fn resolve(inputs: &AuthInputs) -> Result<Credentials> {
    let env = |name: &str| (inputs.env)(name).filter(|v| !v.trim().is_empty());
    let path = config_path(inputs.env);
    let shown = path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "~/.databrickscfg".into());
    let explicit_profile = inputs.profile.is_some();
    let profile_name = inputs.profile.clone().or_else(|| env("DATABRICKS_CONFIG_PROFILE")).unwrap_or_else(|| "DEFAULT".to_string());
    let sections = match &path {
        Some(p) if p.exists() => parse_config(&std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?),
        _ => BTreeMap::new(),
    };
    let profile = sections.get(&profile_name);
    if explicit_profile && profile.is_none() {
        let known: Vec<&str> = sections.keys().map(String::as_str).collect();
        bail!(
            "there is no profile [{profile_name}] in {shown}{}",
            if known.is_empty() { String::new() } else { format!(" (profiles: {})", known.join(", ")) }
        );
    }
    let from_profile = |key: &str| profile.and_then(|p| p.get(key)).filter(|v| !v.trim().is_empty()).cloned();
    let profile_label = format!("profile {profile_name} in {shown}");

    let (host, host_source) = match (&inputs.host, explicit_profile) {
        (Some(h), _) => (h.clone(), "--host".to_string()),
        (None, true) => (from_profile("host").ok_or_else(|| anyhow!("{profile_label} has no host"))?, profile_label.clone()),
        (None, false) => match env("DATABRICKS_HOST") {
            Some(h) => (h, "DATABRICKS_HOST".to_string()),
            None => (
                from_profile("host").ok_or_else(|| {
                    anyhow!("no Databricks workspace given: pass --host URL or --profile NAME, set DATABRICKS_HOST, or add host = … to [{profile_name}] in {shown}")
                })?,
                profile_label.clone(),
            ),
        },
    };
    let host = normalise_host(&host).with_context(|| format!("the host from {host_source}"))?;

    let token_from_env = if explicit_profile { None } else { env("DATABRICKS_TOKEN") };
    let (token, token_source) = match token_from_env {
        Some(t) => (t, "DATABRICKS_TOKEN".to_string()),
        None => {
            let token = from_profile("token").ok_or_else(|| {
                let auth = from_profile("auth_type")
                    .map(|a| format!(" (it uses auth_type = {a}; copilot pull reads personal access tokens only)"))
                    .unwrap_or_default();
                anyhow!("no Databricks token for {host}: set DATABRICKS_TOKEN, or add token = … to [{profile_name}] in {shown}{auth}")
            })?;
            // A profile's token belongs to the profile's host.
            if let Some(profile_host) = from_profile("host") {
                if normalise_host(&profile_host).ok().as_deref() != Some(host.as_str()) {
                    bail!(
                        "the token of {profile_label} is for {profile_host}, not {host}; pass --profile with the profile of {host}, or set DATABRICKS_TOKEN"
                    );
                }
            }
            (token, profile_label)
        }
    };
    Ok(Credentials { host, token: token.trim().to_string(), token_source })
}

// ---------------------------------------------------------------------------------------------
// The Statement Execution API's shapes (only the fields read here).

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatementResponse {
    statement_id: String,
    status: Status,
    manifest: Option<Manifest>,
    result: Option<ResultChunk>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Status {
    state: String,
    error: Option<ServiceError>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServiceError {
    pub error_code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Manifest {
    schema: Schema,
    total_chunk_count: Option<u64>,
    total_row_count: Option<u64>,
    truncated: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Schema {
    columns: Vec<Column>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Column {
    name: String,
    position: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResultChunk {
    chunk_index: Option<u64>,
    data_array: Option<Vec<Vec<Value>>>,
    external_links: Option<Vec<ExternalLink>>,
    next_chunk_index: Option<u64>,
    next_chunk_internal_link: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ExternalLink {
    chunk_index: Option<u64>,
    external_link: String,
    http_headers: BTreeMap<String, String>,
    next_chunk_index: Option<u64>,
    next_chunk_internal_link: Option<String>,
}

/// How the result rows come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Disposition {
    /// In the API's responses (at most 25 MiB per statement).
    Inline,
    /// Behind presigned cloud-storage URLs (large results).
    ExternalLinks,
}

impl Disposition {
    fn api_name(self) -> &'static str {
        match self {
            Disposition::Inline => "INLINE",
            Disposition::ExternalLinks => "EXTERNAL_LINKS",
        }
    }
}

/// A named parameter marker's value (`:name` in the statement).
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub value: String,
    /// `DATE`, `STRING`, …
    pub type_name: &'static str,
}

pub struct Submit<'a> {
    /// The statement's name, for messages (`usage_daily`).
    pub name: &'a str,
    pub statement: &'a str,
    pub warehouse_id: &'a str,
    pub parameters: &'a [Parameter],
    pub disposition: Disposition,
    /// Seconds the submit call waits for a result (0, or 5 to 50).
    pub wait_timeout_s: u32,
    pub poll_interval: Duration,
}

/// What a statement reports while it runs.
pub enum Progress<'a> {
    /// Submitted; the API's statement id.
    Submitted(&'a str),
    /// PENDING, RUNNING, … (reported when it changes).
    State(&'a str),
    /// A chunk was read: its number (1-based), the chunks announced, the rows so far.
    Chunk { number: u64, of: Option<u64>, rows: u64 },
}

/// A statement's finished result, after every row went to the sink.
#[derive(Debug)]
pub struct Finished {
    pub rows: u64,
    pub chunks: u64,
}

/// An HTTP error answer of the REST API (kept whole so the caller can reword it).
#[derive(Debug)]
struct HttpFailure {
    host: String,
    code: u16,
    what: String,
    error: ServiceError,
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} answered HTTP {} to {}: {}", self.host, self.code, self.what, describe(&self.error))
    }
}

impl std::error::Error for HttpFailure {}

pub struct Workspace {
    creds: Credentials,
    api: reqwest::Client,
    storage: reqwest::Client,
    /// Whether a call to the workspace has succeeded yet (a 403 before that is the token's).
    answered_once: std::sync::atomic::AtomicBool,
}

/// The failure body of the REST API: `{"error_code": …, "message": …}`.
fn error_body(bytes: &[u8]) -> ServiceError {
    match serde_json::from_slice::<ServiceError>(bytes) {
        Ok(e) if e.message.is_some() || e.error_code.is_some() => e,
        _ => {
            let text = String::from_utf8_lossy(bytes);
            let text: String = text.trim().chars().take(300).collect();
            ServiceError { error_code: None, message: (!text.is_empty()).then_some(text) }
        }
    }
}

fn describe(e: &ServiceError) -> String {
    match (&e.error_code, &e.message) {
        (Some(code), Some(message)) if !message.contains(code.as_str()) => format!("{code}: {message}"),
        (_, Some(message)) => message.clone(),
        (Some(code), None) => code.clone(),
        (None, None) => "no message".to_string(),
    }
}

impl Workspace {
    pub fn new(creds: Credentials) -> Result<Workspace> {
        let api = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot start an HTTP client")?;
        let storage = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(Duration::from_secs(600))
            .build()
            .context("cannot start an HTTP client")?;
        Ok(Workspace { creds, api, storage, answered_once: false.into() })
    }

    pub fn host(&self) -> &str {
        &self.creds.host
    }

    /// One call to the workspace's REST API; `what` names it in errors. GETs are retried on
    /// 429 and 502–504 (three times, with a growing pause).
    async fn call(&self, method: Method, path: &str, body: Option<&Value>, what: &str) -> Result<Value> {
        use std::sync::atomic::Ordering;
        let url = format!("{}{path}", self.creds.host);
        let mut attempt = 0;
        loop {
            let mut request = self.api.request(method.clone(), &url).bearer_auth(&self.creds.token);
            if let Some(body) = body {
                request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(serde_json::to_vec(body)?);
            }
            let response = request.send().await.map_err(|e| anyhow!("cannot reach {} ({what}): {}", self.creds.host, e.without_url()))?;
            let status = response.status();
            let bytes =
                response.bytes().await.map_err(|e| anyhow!("{} broke off its answer ({what}): {}", self.creds.host, e.without_url()))?;
            let retriable = matches!(status.as_u16(), 429 | 502 | 503 | 504);
            if retriable && method == Method::GET && attempt < 3 {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt))).await;
                continue;
            }
            if status.is_success() {
                self.answered_once.store(true, Ordering::Relaxed);
                return serde_json::from_slice(&bytes)
                    .map_err(|e| anyhow!("{} answered {what} with something that is not JSON: {e}", self.creds.host));
            }
            let error = error_body(&bytes);
            let host = &self.creds.host;
            let code = status.as_u16();
            let first = !self.answered_once.load(Ordering::Relaxed);
            if status == StatusCode::UNAUTHORIZED || (status == StatusCode::FORBIDDEN && first) {
                bail!(
                    "the token was refused by {host} (HTTP {code}): {} (the token came from {}; create a new personal access token in User settings → Developer)",
                    describe(&error),
                    self.creds.token_source
                );
            }
            return Err(HttpFailure { host: host.clone(), code, what: what.to_string(), error }.into());
        }
    }

    /// Submits one statement, waits for it, and hands every row (as the API gives it:
    /// strings, or None for NULL) to `sink`, after `header` got the column names.
    pub async fn run(
        &self,
        submit: &Submit<'_>,
        progress: &mut dyn FnMut(Progress<'_>),
        header: &mut dyn FnMut(&[String]) -> Result<()>,
        sink: &mut dyn FnMut(Vec<Option<String>>) -> Result<()>,
    ) -> Result<Finished> {
        let parameters: Vec<Value> =
            submit.parameters.iter().map(|p| serde_json::json!({ "name": p.name, "value": p.value, "type": p.type_name })).collect();
        let body = serde_json::json!({
            "warehouse_id": submit.warehouse_id,
            "statement": submit.statement,
            "parameters": parameters,
            "disposition": submit.disposition.api_name(),
            "format": "JSON_ARRAY",
            "wait_timeout": format!("{}s", submit.wait_timeout_s),
            "on_wait_timeout": "CONTINUE",
        });
        let answer = self.call(Method::POST, "/api/2.0/sql/statements", Some(&body), &format!("the statement {}", submit.name)).await;
        let answer = match answer {
            Ok(a) => a,
            Err(e) => return Err(self.warehouse_error(e, submit.warehouse_id)),
        };
        let mut response: StatementResponse = serde_json::from_value(answer).context("the statement's answer has an unexpected shape")?;
        if response.statement_id.is_empty() {
            bail!("{} accepted the statement {} but gave no statement id", self.creds.host, submit.name);
        }
        let id = response.statement_id.clone();
        progress(Progress::Submitted(&id));
        let mut last_state = String::new();
        let mut pause = submit.poll_interval;
        loop {
            if response.status.state != last_state {
                last_state = response.status.state.clone();
                progress(Progress::State(&last_state));
            }
            match response.status.state.as_str() {
                "PENDING" | "RUNNING" | "" => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 3 / 2).min(Duration::from_secs(5)).max(submit.poll_interval);
                    let answer =
                        self.call(Method::GET, &format!("/api/2.0/sql/statements/{id}"), None, &format!("polling {}", submit.name)).await?;
                    response = serde_json::from_value(answer).context("the statement's status has an unexpected shape")?;
                }
                "SUCCEEDED" => break,
                "FAILED" => bail!(failed_message(submit.name, response.status.error.as_ref())),
                "CANCELED" => bail!("the statement {} was canceled on {} (statement {id})", submit.name, self.creds.host),
                "CLOSED" => bail!("the statement {} was closed before its result was read (statement {id})", submit.name),
                other => bail!("the statement {} is in a state this tool does not know: {other}", submit.name),
            }
        }
        let manifest =
            response.manifest.take().ok_or_else(|| anyhow!("the statement {} succeeded without a result manifest", submit.name))?;
        if manifest.truncated {
            bail!(
                "the result of {} was truncated by Databricks (manifest.truncated is true{}); nothing was written for it: rerun with --disposition external-links (inline results stop at 25 MiB)",
                submit.name,
                manifest.total_row_count.map(|n| format!(", {n} rows kept")).unwrap_or_default()
            );
        }
        let mut columns: Vec<&Column> = manifest.schema.columns.iter().collect();
        columns.sort_by_key(|c| c.position.unwrap_or(u32::MAX));
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        header(&names)?;

        let mut rows: u64 = 0;
        let mut chunks: u64 = 0;
        let mut chunk = response.result.take();
        if chunk.is_none() && manifest.total_row_count.unwrap_or(0) > 0 {
            chunk = Some(self.chunk(&id, 0, None, submit.name).await?);
        }
        while let Some(current) = chunk.take() {
            // One response holds one inline chunk, or links to one or more chunks.
            let first_index = chunks;
            let mut next_link = current.next_chunk_internal_link.clone();
            let mut next_index = current.next_chunk_index;
            match (current.data_array, current.external_links) {
                (_, Some(links)) if !links.is_empty() => {
                    for link in links {
                        if let Some(index) = link.chunk_index.filter(|i| *i != chunks) {
                            bail!("{} linked chunk {index} of {} where chunk {chunks} was expected", self.creds.host, submit.name);
                        }
                        for row in self.fetch_link(&link, submit.name).await? {
                            sink(row_values(row, names.len(), submit.name, rows)?)?;
                            rows += 1;
                        }
                        next_link = link.next_chunk_internal_link.clone().or(next_link);
                        next_index = link.next_chunk_index.or(next_index);
                        chunks += 1;
                        progress(Progress::Chunk { number: chunks, of: manifest.total_chunk_count, rows });
                    }
                }
                (data, _) => {
                    if let Some(index) = current.chunk_index.filter(|i| *i != first_index) {
                        bail!("{} sent chunk {index} of {} where chunk {first_index} was expected", self.creds.host, submit.name);
                    }
                    if data.is_none() && manifest.total_row_count.unwrap_or(0) > 0 {
                        bail!("chunk {first_index} of {} has neither data_array nor external_links", submit.name);
                    }
                    for row in data.unwrap_or_default() {
                        sink(row_values(row, names.len(), submit.name, rows)?)?;
                        rows += 1;
                    }
                    chunks += 1;
                    progress(Progress::Chunk { number: chunks, of: manifest.total_chunk_count, rows });
                }
            }
            if next_link.is_some() || next_index.is_some() {
                chunk = Some(self.chunk(&id, next_index.unwrap_or(chunks), next_link.as_deref(), submit.name).await?);
            }
        }
        if let Some(total) = manifest.total_row_count {
            if total != rows {
                bail!("the result of {} announced {total} rows but {rows} arrived; nothing was written for it", submit.name);
            }
        }
        if let Some(total) = manifest.total_chunk_count {
            if total != chunks && !(total == 0 && chunks <= 1 && rows == 0) {
                bail!("the result of {} announced {total} chunks but {chunks} arrived; nothing was written for it", submit.name);
            }
        }
        Ok(Finished { rows, chunks })
    }

    /// A later chunk: by the API's own link (a path on the workspace host) or by index.
    async fn chunk(&self, id: &str, index: u64, link: Option<&str>, name: &str) -> Result<ResultChunk> {
        let path = match link {
            Some(link) if link.starts_with('/') => link.to_string(),
            Some(link) => {
                let inside = link.strip_prefix(self.creds.host.as_str()).filter(|rest| rest.starts_with('/'));
                match inside {
                    Some(rest) => rest.to_string(),
                    None => bail!("the next chunk of {name} is linked outside {}; not following it with the token", self.creds.host),
                }
            }
            None => format!("/api/2.0/sql/statements/{id}/result/chunks/{index}"),
        };
        let answer = self.call(Method::GET, &path, None, &format!("reading chunk {index} of {name}")).await?;
        serde_json::from_value(answer).with_context(|| format!("chunk {index} of {name} has an unexpected shape"))
    }

    /// Downloads one external link: no Authorization header (the URL carries its own
    /// short-lived credential), only the headers the API asked for. The URL is never shown.
    async fn fetch_link(&self, link: &ExternalLink, name: &str) -> Result<Vec<Vec<Value>>> {
        let index = link.chunk_index.map(|i| i.to_string()).unwrap_or_else(|| "?".into());
        let mut request = self.storage.get(&link.external_link);
        for (key, value) in &link.http_headers {
            if key.eq_ignore_ascii_case("authorization") {
                continue;
            }
            request = request.header(key.as_str(), value.as_str());
        }
        let response = request
            .send()
            .await
            .map_err(|e| anyhow!("cannot download chunk {index} of {name} from its external link: {}", e.without_url()))?;
        let status = response.status();
        let bytes =
            response.bytes().await.map_err(|e| anyhow!("the download of chunk {index} of {name} broke off: {}", e.without_url()))?;
        if !status.is_success() {
            let hint =
                if status == StatusCode::FORBIDDEN { " (presigned links expire after about 15 minutes; run pull again)" } else { "" };
            bail!("the external link of chunk {index} of {name} answered HTTP {}{hint}", status.as_u16());
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| anyhow!("chunk {index} of {name} from its external link is not a JSON array of rows: {e}"))
    }

    /// Asks Databricks to cancel a statement (best effort, for Ctrl-C).
    pub async fn cancel(&self, id: &str) -> Result<()> {
        self.call(Method::POST, &format!("/api/2.0/sql/statements/{id}/cancel"), Some(&serde_json::json!({})), "cancelling the statement")
            .await
            .map(|_| ())
    }

    /// A refused submission that names the warehouse reads as "unknown warehouse".
    fn warehouse_error(&self, error: anyhow::Error, warehouse_id: &str) -> anyhow::Error {
        let Some(failure) = error.downcast_ref::<HttpFailure>() else { return error };
        let said = describe(&failure.error);
        let lower = said.to_ascii_lowercase();
        let about_warehouse = matches!(failure.code, 400 | 404)
            && (lower.contains("warehouse") || lower.contains("endpoint") || lower.contains(&warehouse_id.to_ascii_lowercase()));
        if !about_warehouse {
            return error;
        }
        anyhow!(
            "the warehouse {warehouse_id} is not known to {} (HTTP {}): {said} (copy the id from SQL Warehouses → the warehouse → Connection details, or list them with `databricks warehouses list`)",
            self.creds.host,
            failure.code
        )
    }
}

/// One row of a JSON_ARRAY result: every value a string, or null.
fn row_values(row: Vec<Value>, width: usize, name: &str, index: u64) -> Result<Vec<Option<String>>> {
    if row.len() != width {
        bail!("row {} of {name} has {} values for {width} columns", index + 1, row.len());
    }
    Ok(row
        .into_iter()
        .map(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
        .collect())
}

/// A privilege the message says is missing: (privilege, securable kind, securable name, principal).
fn missing_privilege(message: &str) -> Option<(String, String, String, Option<String>)> {
    let at = message.find("does not have ")?;
    let before = &message[..at];
    let rest = &message[at + "does not have ".len()..];
    let (privilege, rest) = rest.split_once(" on ")?;
    let (kind, rest) = rest.split_once(' ')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '`' || *c == '"')?;
    let inner = &rest[1..];
    let end = inner.find(quote)?;
    let securable = inner[..end].replace('`', "");
    let principal = before.rfind("Principal '").and_then(|p| {
        let name = &before[p + "Principal '".len()..];
        name.split_once('\'').map(|(n, _)| n.to_string())
    });
    Some((privilege.trim().to_string(), kind.to_ascii_lowercase(), securable, principal))
}

/// `system`.`compute`.`instance_events` in a TABLE_OR_VIEW_NOT_FOUND message.
fn missing_system_table(message: &str) -> Option<String> {
    if !message.contains("TABLE_OR_VIEW_NOT_FOUND") {
        return None;
    }
    let start = message.find("`system`.")?;
    let tail = &message[start..];
    let end = tail.find(" cannot").or_else(|| tail.find(' ')).unwrap_or(tail.len());
    Some(tail[..end].replace('`', ""))
}

/// A FAILED statement's error, saying which table and which grant when it is a privilege.
pub fn failed_message(name: &str, error: Option<&ServiceError>) -> String {
    let said = error.map(describe).unwrap_or_else(|| "no error message".to_string());
    let message = error.and_then(|e| e.message.clone()).unwrap_or_default();
    if let Some((privilege, kind, securable, principal)) = missing_privilege(&message) {
        let who = principal.map(|p| format!("`{p}`")).unwrap_or_else(|| "<you>".to_string());
        let parts: Vec<&str> = securable.split('.').collect();
        let mut grants = Vec::new();
        if let Some(catalog) = parts.first() {
            grants.push(format!("GRANT USE CATALOG ON CATALOG {catalog} TO {who};"));
        }
        if parts.len() >= 2 {
            grants.push(format!("GRANT USE SCHEMA ON SCHEMA {}.{} TO {who};", parts[0], parts[1]));
        }
        let (object, what) = match kind.as_str() {
            "table" | "view" => {
                grants.push(format!("GRANT {privilege} ON TABLE {securable} TO {who};"));
                ("table", format!("cannot read {securable}"))
            }
            "schema" => ("schema", format!("cannot use the schema {securable}")),
            "catalog" => ("catalog", format!("cannot use the catalog {securable}")),
            _ => ("object", format!("lacks {privilege} on {securable}")),
        };
        let mut seen = BTreeSet::new();
        grants.retain(|g| seen.insert(g.clone()));
        return format!(
            "the statement {name} {what}: Databricks says: {said}\nThe {object} needs these grants (an admin or the owner of system can run them; sql/extract/README.md lists every grant the extraction needs):\n  {}",
            grants.join("\n  ")
        );
    }
    if let Some(table) = missing_system_table(&message) {
        let schema: Vec<&str> = table.split('.').take(2).collect();
        return format!(
            "the statement {name} cannot find {table}: Databricks says: {said}\nAn account admin has to enable the system schema {} first; if it is enabled, you may lack USE SCHEMA on it.",
            schema.join(".")
        );
    }
    format!("the statement {name} failed on Databricks: {said}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privilege_messages_name_the_table_and_the_grants() {
        let error = ServiceError {
            error_code: Some("BAD_REQUEST".into()),
            message: Some("[INSUFFICIENT_PERMISSIONS] Insufficient privileges: User does not have SELECT on Table 'system.billing.usage'. SQLSTATE: 42501".into()),
        };
        let text = failed_message("usage_daily", Some(&error));
        assert!(
            text.starts_with(
                "the statement usage_daily cannot read system.billing.usage: Databricks says: BAD_REQUEST: [INSUFFICIENT_PERMISSIONS]"
            ),
            "{text}"
        );
        assert!(text.contains("GRANT USE CATALOG ON CATALOG system TO <you>;\n  GRANT USE SCHEMA ON SCHEMA system.billing TO <you>;\n  GRANT SELECT ON TABLE system.billing.usage TO <you>;"), "{text}");

        let error = ServiceError {
            error_code: None,
            message: Some("[INSUFFICIENT_PERMISSIONS] Principal 'sp-usage' does not have USE SCHEMA on Schema 'system.query'.".into()),
        };
        let text = failed_message("sql_queries", Some(&error));
        assert!(text.starts_with("the statement sql_queries cannot use the schema system.query:"), "{text}");
        assert!(
            text.ends_with("GRANT USE CATALOG ON CATALOG system TO `sp-usage`;\n  GRANT USE SCHEMA ON SCHEMA system.query TO `sp-usage`;"),
            "{text}"
        );
    }

    #[test]
    fn hosts_are_normalised_and_clear_text_is_refused() {
        assert_eq!(normalise_host("dbc-1.cloud.databricks.com/").unwrap(), "https://dbc-1.cloud.databricks.com");
        assert_eq!(normalise_host("http://127.0.0.1:8123").unwrap(), "http://127.0.0.1:8123");
        assert!(normalise_host("http://dbc-1.cloud.databricks.com").unwrap_err().to_string().contains("only sent over https://"));
        assert!(normalise_host("https://dbc-1.cloud.databricks.com/sql/1.0").is_err());
    }

    #[test]
    fn config_files_read_like_the_cli_writes_them() {
        let cfg = parse_config("; comment\n[DEFAULT]\nhost = https://a.example\ntoken=dapi123\n\n[prod]\nHost = b.example\n# x\n");
        assert_eq!(cfg["DEFAULT"]["token"], "dapi123");
        assert_eq!(cfg["prod"]["host"], "b.example");
        assert_eq!(redact("token dapi123 refused", "dapi123"), "token [redacted token] refused");
    }
}
