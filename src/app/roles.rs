//! Role views (`sql/reports/roles.toml`): for a FinOps analyst, a platform engineer or a team
//! lead, which pillars and reports come first, the default date range and the chips offered
//! first. Roles are data: this module parses and checks the file against the report registry
//! and the chip catalogue, and orders what the page shows; the URL keeps the chosen role
//! (`url_state`), the presenter applies its default range (`view`).

use std::sync::OnceLock;

use serde::Deserialize;
use thiserror::Error;

use crate::base::calendar::Date;
use crate::report::registry::{Pillar, Registry, ROLES_TOML};
use crate::report::Report;

/// The file the embedded roles come from, as errors name it.
pub const ROLES_FILE: &str = "sql/reports/roles.toml";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Pillar keys shown first, in order.
    #[serde(default)]
    pub pillars: Vec<String>,
    /// Report keys shown first within their pillar, in order.
    #[serde(default)]
    pub reports: Vec<String>,
    /// Chip ids offered first, in order.
    #[serde(default)]
    pub chips: Vec<String>,
    /// The default range is the data's last this many days.
    pub default_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    roles: Vec<Role>,
}

/// A roles file that cannot be used; the message names the file and the role.
#[derive(Debug, Error, PartialEq)]
pub enum RoleError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: role {role:?} names {what} {name:?}, which does not exist")]
    Unknown { file: String, role: String, what: &'static str, name: String },
    #[error("{file}: role {role:?} is defined twice")]
    Duplicate { file: String, role: String },
    #[error("{file}: role {role:?} has default_days = 0; leave it out to show all the data")]
    NoDays { file: String, role: String },
}

/// Every role, in the file's order (the header's).
#[derive(Clone, Debug, PartialEq)]
pub struct Roles {
    pub roles: Vec<Role>,
}

impl Roles {
    /// Parses `text` (read from `file`) and checks every key it names.
    pub fn parse(file: &str, text: &str, registry: &Registry, chip_ids: &[&str]) -> Result<Roles, RoleError> {
        let parsed: RolesFile =
            crate::base::embedded::parse(text).map_err(|message| RoleError::Syntax { file: file.to_string(), message })?;
        let unknown = |role: &Role, what: &'static str, name: &str| RoleError::Unknown {
            file: file.to_string(),
            role: role.key.clone(),
            what,
            name: name.to_string(),
        };
        for (n, role) in parsed.roles.iter().enumerate() {
            if parsed.roles[..n].iter().any(|r| r.key == role.key) {
                return Err(RoleError::Duplicate { file: file.to_string(), role: role.key.clone() });
            }
            if let Some(p) = role.pillars.iter().find(|p| !registry.pillars.iter().any(|x| x.key == **p)) {
                return Err(unknown(role, "pillar", p));
            }
            if let Some(r) = role.reports.iter().find(|r| registry.get(r).is_none()) {
                return Err(unknown(role, "report", r));
            }
            if let Some(c) = role.chips.iter().find(|c| !chip_ids.contains(&c.as_str())) {
                return Err(unknown(role, "chip", c));
            }
            if role.default_days == Some(0) {
                return Err(RoleError::NoDays { file: file.to_string(), role: role.key.clone() });
            }
        }
        Ok(Roles { roles: parsed.roles })
    }

    pub fn get(&self, key: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.key == key)
    }
}

/// The roles of `sql/reports/roles.toml`, checked once.
pub fn roles() -> &'static Roles {
    static ROLES: OnceLock<Roles> = OnceLock::new();
    ROLES.get_or_init(|| {
        let chips: Vec<&str> = crate::copilot::chips::catalogue().chips.iter().map(|c| c.id.as_str()).collect();
        Roles::parse(ROLES_FILE, ROLES_TOML, crate::report::registry(), &chips).unwrap_or_else(|e| panic!("roles: {e}"))
    })
}

/// The role a URL names, if it names a known one.
pub fn role_of(key: Option<&str>) -> Option<&'static Role> {
    key.and_then(|k| roles().get(k))
}

/// Where `name` stands in `first` (named ones first, in order; the rest after, as they were).
fn rank(first: &[String], name: &str) -> usize {
    first.iter().position(|f| f == name).unwrap_or(first.len())
}

/// The registry's pillars, the role's first.
pub fn pillars_for<'a>(role: Option<&Role>, registry: &'a Registry) -> Vec<&'a Pillar> {
    let mut pillars: Vec<&Pillar> = registry.pillars.iter().collect();
    if let Some(role) = role {
        pillars.sort_by_key(|p| rank(&role.pillars, &p.key));
    }
    pillars
}

/// A pillar's reports, the role's first.
pub fn reports_for<'a>(role: Option<&Role>, registry: &'a Registry, pillar: &str) -> Vec<&'a Report> {
    let mut reports: Vec<&Report> = registry.reports.iter().filter(|r| r.spec.pillar == pillar).collect();
    if let Some(role) = role {
        reports.sort_by_key(|r| rank(&role.reports, &r.spec.key));
    }
    reports
}

/// Offered chip ids, the role's first (a stable sort: the rest keep the catalogue's order).
pub fn order_chips<T>(role: Option<&Role>, chips: &mut [T], id_of: impl Fn(&T) -> &str) {
    if let Some(role) = role {
        chips.sort_by_key(|c| rank(&role.chips, id_of(c)));
    }
}

/// The first day of the default range: the data's first day, or with a role's
/// `default_days` the last that many days of the data (never before its first day).
pub fn default_from(role: Option<&Role>, first_day: Date, last_day: Date) -> Date {
    match role.and_then(|r| r.default_days) {
        Some(days) => last_day.add_days(1 - i64::from(days)).max(first_day),
        None => first_day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::registry;

    const CHIPS: &[&str] = &["core.drivers", "job.why_failing"];

    fn parse(text: &str) -> Result<Roles, RoleError> {
        Roles::parse("roles.toml", text, registry(), CHIPS)
    }

    #[test]
    fn the_shipped_roles_parse_and_name_known_keys() {
        let keys: Vec<&str> = roles().roles.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["finops", "platform", "team_lead"]);
        assert_eq!(role_of(Some("platform")).map(|r| r.title.as_str()), Some("Platform"));
        assert_eq!(role_of(Some("nobody")), None);
        assert_eq!(role_of(None), None);
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file_and_role() {
        let role = |extra: &str| format!("[[roles]]\nkey = \"ops\"\ntitle = \"Ops\"\n{extra}\n");
        assert_eq!(
            parse(&role("reports = [\"job_cost\", \"warehouse_spend\"]")).unwrap_err().to_string(),
            "roles.toml: role \"ops\" names report \"warehouse_spend\", which does not exist"
        );
        assert_eq!(
            parse(&role("pillars = [\"money\"]")).unwrap_err().to_string(),
            "roles.toml: role \"ops\" names pillar \"money\", which does not exist"
        );
        assert_eq!(
            parse(&role("chips = [\"core.drivers\", \"core.nope\"]")).unwrap_err().to_string(),
            "roles.toml: role \"ops\" names chip \"core.nope\", which does not exist"
        );
        assert_eq!(
            parse(&role("default_days = 0")).unwrap_err().to_string(),
            "roles.toml: role \"ops\" has default_days = 0; leave it out to show all the data"
        );
        assert_eq!(parse(&format!("{}{}", role(""), role(""))).unwrap_err().to_string(), "roles.toml: role \"ops\" is defined twice");
        let typo = parse(&role("report = [\"job_cost\"]")).unwrap_err().to_string();
        assert!(typo.starts_with("roles.toml: ") && typo.contains("unknown field `report`"), "{typo}");
    }

    #[test]
    fn a_role_orders_pillars_reports_chips_and_the_default_range() {
        let reg = registry();
        let role = parse(
            "[[roles]]\nkey = \"ops\"\ntitle = \"Ops\"\npillars = [\"change\"]\nreports = [\"job_cost_pareto\"]\nchips = [\"job.why_failing\"]\ndefault_days = 7\n",
        )
        .unwrap()
        .roles
        .remove(0);
        let pillars = |role: Option<&Role>| pillars_for(role, reg).iter().map(|p| p.key.clone()).collect::<Vec<_>>();
        assert_eq!(pillars(None), ["cost", "reliability", "change"]);
        assert_eq!(pillars(Some(&role)), ["change", "cost", "reliability"]);
        let cost = |role: Option<&Role>| reports_for(role, reg, "cost").iter().map(|r| r.spec.key.clone()).collect::<Vec<_>>();
        let plain = cost(None);
        let first = cost(Some(&role));
        assert_eq!(first[0], "job_cost_pareto");
        assert_eq!(first[1..], plain.iter().filter(|k| *k != "job_cost_pareto").cloned().collect::<Vec<_>>()[..]);
        let mut chips = vec!["core.explain", "core.drivers", "job.why_failing"];
        order_chips(Some(&role), &mut chips, |c| c);
        assert_eq!(chips, ["job.why_failing", "core.explain", "core.drivers"]);
        let (first_day, last_day) = (Date::from_ymd(2025, 11, 1), Date::from_ymd(2025, 12, 15));
        assert_eq!(default_from(Some(&role), first_day, last_day), Date::from_ymd(2025, 12, 9));
        assert_eq!(default_from(None, first_day, last_day), first_day);
        assert_eq!(default_from(Some(&role), Date::from_ymd(2025, 12, 12), last_day), Date::from_ymd(2025, 12, 12));
    }
}
