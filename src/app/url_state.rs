//! What the URL holds: page, report, filters, params, facet and selection, as a hash
//! route such as `#/report/job_cost?from=2025-12-01&to=2025-12-15&sel=job%3AJ-LEGACY-ETL`.
//! A reload or a shared link restores the same view; the same state always prints the
//! same URL.

use std::collections::BTreeMap;

use crate::base::calendar::Date;
use crate::report::EntityRef;

/// Which page is shown.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Page {
    /// The dataset overview (empty hash).
    Overview,
    Report(String),
    /// Report timings in the browser (for `make bench`).
    Bench,
    /// What an import of system-table exports found: files, coverage, attribution gaps.
    Import,
}

/// Everything the URL says about the view.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ViewState {
    pub page: Page,
    /// `None` = the data's first / last day.
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// `None` = all workspaces.
    pub workspace: Option<String>,
    /// Report parameters as typed (validated by the report engine).
    pub params: BTreeMap<String, String>,
    /// The facet a faceted chart shows (e.g. the entity of the anomaly timeline).
    pub facet: Option<String>,
    pub selection: Option<EntityRef>,
    /// The role view (`app::roles`, a key of `sql/reports/roles.toml`); `None` = no role.
    pub role: Option<String>,
    /// Other query arguments (e.g. the bench page's `db` and `runs`).
    pub extra: BTreeMap<String, String>,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            page: Page::Overview,
            from: None,
            to: None,
            workspace: None,
            params: BTreeMap::new(),
            facet: None,
            selection: None,
            role: None,
            extra: BTreeMap::new(),
        }
    }
}

impl ViewState {
    /// Parses a location hash (with or without the leading `#`). Unknown or malformed
    /// parts are ignored rather than failing, so an old link still opens something.
    pub fn from_hash(hash: &str, param_names: &dyn Fn(&str) -> Vec<String>) -> ViewState {
        let hash = hash.strip_prefix('#').unwrap_or(hash);
        let (path, query) = hash.split_once('?').unwrap_or((hash, ""));
        let mut state = ViewState::default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        state.page = match segments.as_slice() {
            ["report", key] => Page::Report(decode(key)),
            ["bench"] => Page::Bench,
            ["import"] => Page::Import,
            _ => Page::Overview,
        };
        let known_params = match &state.page {
            Page::Report(key) => param_names(key),
            _ => Vec::new(),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (decode(k), decode(v));
            match k.as_str() {
                "from" => state.from = Date::parse(&v),
                "to" => state.to = Date::parse(&v),
                "ws" => state.workspace = Some(v).filter(|w| !w.is_empty()),
                "sel" => state.selection = EntityRef::parse(&v),
                "facet" => state.facet = Some(v).filter(|f| !f.is_empty()),
                "role" => state.role = Some(v).filter(|r| !r.is_empty()),
                _ if known_params.contains(&k) => {
                    state.params.insert(k, v);
                }
                _ => {
                    state.extra.insert(k, v);
                }
            }
        }
        state
    }

    /// The hash for this state: `#/report/<key>?from=…&to=…&ws=…&<params>&facet=…&sel=…`.
    pub fn to_hash(&self) -> String {
        let path = match &self.page {
            Page::Overview => "#/".to_string(),
            Page::Report(key) => format!("#/report/{}", encode(key)),
            Page::Bench => "#/bench".to_string(),
            Page::Import => "#/import".to_string(),
        };
        let mut query: Vec<String> = Vec::new();
        if let Some(d) = self.from {
            query.push(format!("from={d}"));
        }
        if let Some(d) = self.to {
            query.push(format!("to={d}"));
        }
        if let Some(w) = &self.workspace {
            query.push(format!("ws={}", encode(w)));
        }
        for (k, v) in self.params.iter().chain(self.extra.iter()) {
            query.push(format!("{}={}", encode(k), encode(v)));
        }
        if let Some(f) = &self.facet {
            query.push(format!("facet={}", encode(f)));
        }
        if let Some(s) = &self.selection {
            query.push(format!("sel={}", encode(&s.to_string())));
        }
        if let Some(r) = &self.role {
            query.push(format!("role={}", encode(r)));
        }
        if query.is_empty() {
            path
        } else {
            format!("{path}?{}", query.join("&"))
        }
    }

    /// The same filters on another page, without page-specific state.
    pub fn switch_to(&self, page: Page) -> ViewState {
        ViewState { page, from: self.from, to: self.to, workspace: self.workspace.clone(), role: self.role.clone(), ..ViewState::default() }
    }

    pub fn report_key(&self) -> Option<&str> {
        match &self.page {
            Page::Report(k) => Some(k),
            _ => None,
        }
    }
}

const UNRESERVED: &[u8] = b"-_.~@";

/// Percent-encodes everything except ASCII letters, digits and `-_.~@`.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || UNRESERVED.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` as a space; invalid escapes are kept as typed.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(key: &str) -> Vec<String> {
        if key == "anomaly_detection" {
            vec!["window".into(), "warmup".into(), "threshold".into()]
        } else if key == "tag_chargeback" {
            vec!["tag_key".into(), "allocation".into()]
        } else {
            Vec::new()
        }
    }

    #[test]
    fn round_trips_a_full_report_view() {
        let state = ViewState {
            page: Page::Report("anomaly_detection".into()),
            from: Date::parse("2025-11-10"),
            to: Date::parse("2025-12-15"),
            workspace: Some("OU-CHICOLA".into()),
            params: [("threshold".to_string(), "2.5".to_string()), ("window".to_string(), "7".to_string())].into(),
            facet: Some("J-FIN-DAILY".into()),
            selection: EntityRef::parse("anomaly:J-FIN-DAILY@2025-12-05"),
            role: None,
            extra: BTreeMap::new(),
        };
        let hash = state.to_hash();
        assert_eq!(
            hash,
            "#/report/anomaly_detection?from=2025-11-10&to=2025-12-15&ws=OU-CHICOLA&threshold=2.5&window=7&facet=J-FIN-DAILY&sel=anomaly%3AJ-FIN-DAILY@2025-12-05"
        );
        assert_eq!(ViewState::from_hash(&hash, &names), state);
    }

    #[test]
    fn empty_and_odd_hashes_open_something_sensible() {
        assert_eq!(ViewState::from_hash("", &names), ViewState::default());
        assert_eq!(ViewState::from_hash("#/", &names).to_hash(), "#/");
        let s = ViewState::from_hash("#/report/job_cost?from=garbage&sel=nocolon&x=1", &names);
        assert_eq!(s.page, Page::Report("job_cost".into()));
        assert_eq!((s.from, s.selection.clone()), (None, None));
        assert_eq!(s.extra.get("x").map(String::as_str), Some("1"));
        assert_eq!(ViewState::from_hash("#/bench?runs=5", &names).extra["runs"], "5");
        assert_eq!(ViewState::from_hash("#/import", &names).page, Page::Import);
        assert_eq!(ViewState::from_hash("#/import", &names).to_hash(), "#/import");
    }

    #[test]
    fn encodes_and_decodes_reserved_characters() {
        assert_eq!(encode("job:J X&y=z"), "job%3AJ%20X%26y%3Dz");
        assert_eq!(decode("job%3AJ%20X%26y%3Dz"), "job:J X&y=z");
        assert_eq!(decode("a+b%"), "a b%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("caf%C3%A9"), "café");
    }

    #[test]
    fn switching_page_keeps_filters_and_drops_the_rest() {
        let s = ViewState::from_hash("#/report/job_cost?from=2025-12-01&ws=OU-X&sel=job%3AJ-A", &names);
        let t = s.switch_to(Page::Report("job_cost_pareto".into()));
        assert_eq!(t.to_hash(), "#/report/job_cost_pareto?from=2025-12-01&ws=OU-X");
        // Params stay text in the URL: the report engine parses them by kind.
        assert_eq!(ViewState::from_hash("#/report/anomaly_detection?window=x", &names).params["window"], "x");
    }

    #[test]
    fn text_params_round_trip_with_reserved_characters() {
        let state = ViewState {
            page: Page::Report("tag_chargeback".into()),
            params: [("allocation".to_string(), "unallocated".to_string()), ("tag_key".to_string(), "cost center&x=1".to_string())].into(),
            ..ViewState::default()
        };
        let hash = state.to_hash();
        assert_eq!(hash, "#/report/tag_chargeback?allocation=unallocated&tag_key=cost%20center%26x%3D1");
        assert_eq!(ViewState::from_hash(&hash, &names), state);
    }

    #[test]
    fn the_role_round_trips_and_survives_a_page_switch() {
        let hash = "#/report/job_cost?from=2025-11-10&role=team_lead";
        let state = ViewState::from_hash(hash, &names);
        assert_eq!(state.role.as_deref(), Some("team_lead"));
        assert_eq!(state.to_hash(), hash);
        let overview = state.switch_to(Page::Overview);
        assert_eq!(overview.to_hash(), "#/?from=2025-11-10&role=team_lead");
        assert_eq!(ViewState::from_hash("#/?role=", &names).role, None);
        let spaced = ViewState { role: Some("a b&c".into()), ..ViewState::default() };
        assert_eq!(ViewState::from_hash(&spaced.to_hash(), &names), spaced);
    }
}
