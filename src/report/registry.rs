//! The report registry: every report embedded from `sql/reports/`, validated once, listed
//! in navigation order (pillar order, then each report's `order`).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::base::embedded;

use super::engine::{parse_sql_file, NamedQuery};
use super::spec::ReportSpec;

include!(concat!(env!("OUT_DIR"), "/embedded_reports.rs"));

/// A group of reports in the navigation (Cost, Reliability …).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pillar {
    pub key: String,
    pub title: String,
    pub description: String,
}

#[derive(Deserialize)]
struct PillarsFile {
    pillars: Vec<Pillar>,
}

/// A report: its spec and its SQL.
#[derive(Clone, Debug)]
pub struct Report {
    pub spec: ReportSpec,
    pub queries: Vec<NamedQuery>,
}

pub struct Registry {
    pub pillars: Vec<Pillar>,
    /// In navigation order.
    pub reports: Vec<Report>,
}

impl Registry {
    /// Parses and validates report files; the error names the file and the problem.
    pub fn from_sources(pillars_toml: &str, sources: &[(&str, &str, &str)]) -> Result<Registry, String> {
        let pillars = embedded::parse::<PillarsFile>(pillars_toml).map_err(|e| format!("pillars.toml: {e}"))?.pillars;
        let mut reports = Vec::new();
        for (key, spec_text, sql_text) in sources {
            let spec: ReportSpec = embedded::parse(spec_text).map_err(|e| format!("{key}.toml: {e}"))?;
            if spec.key != *key {
                return Err(format!("{key}.toml: key {:?} does not match the file name", spec.key));
            }
            let queries = parse_sql_file(sql_text).map_err(|e| format!("{key}.sql: {e}"))?;
            let names: Vec<String> = queries.iter().map(|q| q.name.clone()).collect();
            spec.validate(&names).map_err(|e| format!("{key}.toml: {e}"))?;
            if !pillars.iter().any(|p| p.key == spec.pillar) {
                return Err(format!("{key}.toml: unknown pillar {:?}", spec.pillar));
            }
            reports.push(Report { spec, queries });
        }
        let pillar_rank = |p: &str| pillars.iter().position(|x| x.key == p).unwrap_or(usize::MAX);
        reports.sort_by(|a, b| {
            (pillar_rank(&a.spec.pillar), a.spec.order, &a.spec.key).cmp(&(pillar_rank(&b.spec.pillar), b.spec.order, &b.spec.key))
        });
        Ok(Registry { pillars, reports })
    }

    pub fn get(&self, key: &str) -> Option<&Report> {
        self.reports.iter().find(|r| r.spec.key == key)
    }

    /// The landing report.
    pub fn first(&self) -> &Report {
        &self.reports[0]
    }

    /// Reports of a pillar, in order.
    pub fn in_pillar<'a>(&'a self, pillar: &'a str) -> impl Iterator<Item = &'a Report> + 'a {
        self.reports.iter().filter(move |r| r.spec.pillar == pillar)
    }
}

/// The built-in reports. Panics with the file and problem if a committed report is broken,
/// which the test suite catches first.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::from_sources(PILLARS_TOML, EMBEDDED_REPORTS).unwrap_or_else(|e| panic!("report registry: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The browser build embeds each spec as the JSON build.rs converts it to; natively the
    /// TOML is parsed. Both must give the same spec.
    #[test]
    fn the_browser_builds_json_copies_parse_to_the_same_specs() {
        for (key, text, _) in EMBEDDED_REPORTS {
            let from_toml: ReportSpec = toml::from_str(text).unwrap();
            let json = serde_json::to_string(&toml::from_str::<toml::Value>(text).unwrap()).unwrap();
            let from_json: ReportSpec = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{key}: {e}"));
            assert_eq!(serde_json::to_value(&from_toml).unwrap(), serde_json::to_value(&from_json).unwrap(), "{key}");
        }
    }

    #[test]
    fn built_in_reports_load_in_navigation_order() {
        let keys: Vec<&str> = registry().reports.iter().map(|r| r.spec.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "job_cost",
                "compute_type_cost",
                "job_cost_pareto",
                "utilization",
                "tag_chargeback",
                "budget_status",
                "spot_risk_by_job",
                "reliability_scorecard",
                "anomaly_detection",
                "runtime_regression",
                "cost_drift"
            ]
        );
        let pillars: Vec<&str> = registry().pillars.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(pillars, ["cost", "reliability", "change"]);
        assert_eq!(registry().first().spec.key, "job_cost");
        assert_eq!(registry().in_pillar("cost").count(), 6);
    }

    const PILLARS: &str = "[[pillars]]\nkey = \"cost\"\ntitle = \"Cost\"\ndescription = \"d\"\n";
    const SPEC: &str = r#"
key = "warehouse_spend"
title = "Warehouse spend"
pillar = "cost"
order = 9
description = "Spend per SQL warehouse"
rows = "rows"
[[columns]]
name = "cost"
label = "Cost"
unit = "usd"
meaning = "Spend"
[[kpis]]
name = "total"
label = "Total"
unit = "usd"
agg = "sum"
column = "cost"
[requires]
tables = ["system.billing.usage", "system.billing.list_prices", "system.compute.warehouses"]
priced_usage = true
note = "warehouse spend from billing usage"
"#;

    #[test]
    fn a_new_report_is_just_a_spec_and_a_sql_file() {
        let sql = "-- query: rows\nSELECT parent_id, SUM(total_cost) AS cost FROM compute_usage WHERE parent_type = 'SQL_WAREHOUSE' GROUP BY parent_id";
        let reg = Registry::from_sources(PILLARS, &[("warehouse_spend", SPEC, sql)]).unwrap();
        assert_eq!(reg.get("warehouse_spend").unwrap().queries[0].name, "rows");
    }

    #[test]
    fn broken_report_files_are_named_with_their_problem() {
        let sql = "-- query: rows\nSELECT 1 AS cost";
        let bad_key = SPEC.replace("key = \"warehouse_spend\"", "key = \"other\"");
        let err = Registry::from_sources(PILLARS, &[("warehouse_spend", &bad_key, sql)]).err().unwrap();
        assert_eq!(err, "warehouse_spend.toml: key \"other\" does not match the file name");
        let bad_kpi = SPEC.replace("agg = \"sum\"\ncolumn = \"cost\"", "agg = \"sum\"\ncolumn = \"cost\"\nwhere = \"missing > 1\"");
        let err = Registry::from_sources(PILLARS, &[("warehouse_spend", &bad_kpi, sql)]).err().unwrap();
        assert_eq!(err, "warehouse_spend.toml: condition \"missing > 1\" reads undeclared column \"missing\"");
        let err = Registry::from_sources(PILLARS, &[("warehouse_spend", SPEC, "SELECT 1")]).err().unwrap();
        assert_eq!(err, "warehouse_spend.sql: SQL before the first `-- query:` line");
        let err = Registry::from_sources(PILLARS, &[("warehouse_spend", &SPEC.replace("pillar = \"cost\"", "pillar = \"x\""), sql)])
            .err()
            .unwrap();
        assert_eq!(err, "warehouse_spend.toml: unknown pillar \"x\"");
    }
}
