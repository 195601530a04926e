//! Which reports an import can power, and why not: every report of a registry checked
//! against what its spec requires (`[requires]`: tables, priced or job-attributed usage,
//! what the import does not map yet, days of data, optional tables) and the facts of the
//! imported data. A new report spec appears on the import page with its own title and no
//! code.

use serde::{Deserialize, Serialize};

use super::registry::Registry;
use super::spec::{ReportSpec, Requirements};
use crate::base::vocab::SystemTable;
use crate::data::import::DataFacts;

/// One report on the import page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportCoverage {
    pub report: String,
    pub title: String,
    pub available: bool,
    /// Why not, or what is missing for a complete picture.
    pub note: String,
}

/// `note` with `{name}` replaced by the import's figure of that name.
fn fill(note: &str, facts: &DataFacts) -> String {
    let mut out = note.to_string();
    for (name, value) in &facts.figures {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

fn or_list(tables: &[SystemTable]) -> String {
    tables.iter().map(|t| t.name()).collect::<Vec<_>>().join(" or ")
}

/// Why `req` is not met by `facts`, or `None` when it is.
fn unmet(req: &Requirements, facts: &DataFacts) -> Option<String> {
    if let Some(missing) = req.tables.iter().find(|t| facts.rows(**t) == 0) {
        return Some(format!("needs {missing} ({})", missing.provides()));
    }
    if let Some(why) = &req.not_imported {
        return Some(why.clone());
    }
    if (req.priced_usage || req.job_usage) && !facts.priced_usage {
        return Some("no usage row has a list price for its SKU at its time".to_string());
    }
    if req.job_usage && !facts.job_usage {
        return Some("no usage row carries usage_metadata.job_id (jobs on job compute)".to_string());
    }
    if !req.any_of.is_empty() && req.any_of.iter().all(|t| facts.rows(*t) == 0) {
        return Some(format!("needs {}", or_list(&req.any_of)));
    }
    if facts.usage_days < req.min_days {
        return Some(format!(
            "needs at least {} days of usage ({} of baseline); the files cover {}",
            req.min_days,
            req.min_days.saturating_sub(1),
            facts.usage_days
        ));
    }
    None
}

/// The coverage of one report.
pub fn of_report(spec: &ReportSpec, facts: &DataFacts) -> ReportCoverage {
    let req = &spec.requires;
    let (available, note) = match unmet(req, facts) {
        Some(why) => (false, why),
        None => {
            let mut note = fill(&req.note, facts);
            for o in req.optional.iter().filter(|o| facts.rows(o.table) == 0) {
                note.push_str(&format!("; {} need {}", o.adds, o.table));
            }
            (true, note)
        }
    };
    ReportCoverage { report: spec.key.clone(), title: spec.title.clone(), available, note }
}

/// Every report of `registry`, in navigation order.
pub fn coverage(registry: &Registry, facts: &DataFacts) -> Vec<ReportCoverage> {
    registry.reports.iter().map(|r| of_report(&r.spec, facts)).collect()
}

/// The lines the CLI prints: `✓ Title: note` / `✗ Title: why not`.
pub fn to_text(coverage: &[ReportCoverage]) -> String {
    coverage.iter().map(|c| format!("{} {}: {}\n", if c.available { "✓" } else { "✗" }, c.title, c.note)).collect()
}
