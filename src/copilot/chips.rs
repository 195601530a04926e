//! The chip catalogue: versioned prompt templates kept as data in
//! `src/prompts/chips/*.toml`, and which chips a selection is offered, grouped by lane.
//!
//! A selection is offered the chips its report lists (when their conditions hold on the
//! selected row) plus the core chips for its entity type. Ids and order are stable.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::base::vocab::EntityType;
use crate::report::expr::Condition;
use crate::report::{ReportSpec, Selection};

include!(concat!(env!("OUT_DIR"), "/embedded_chips.rs"));

/// The lanes, in display order. What if holds the counterfactual chips (`what_if`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    Understand,
    Diagnose,
    Optimize,
    WhatIf,
    Monitor,
}

impl Lane {
    pub const ALL: [Lane; 5] = [Lane::Understand, Lane::Diagnose, Lane::Optimize, Lane::WhatIf, Lane::Monitor];

    pub fn title(self) -> &'static str {
        match self {
            Lane::Understand => "Understand",
            Lane::Diagnose => "Diagnose",
            Lane::Optimize => "Optimize",
            Lane::WhatIf => "What if",
            Lane::Monitor => "Monitor",
        }
    }
}

/// Which corpus a chip's answer draws on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceNeed {
    Telemetry,
    Docs,
    Both,
}

/// Which entities a chip applies to: `"*"` (any) or one entity type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppliesTo {
    Any,
    Only(EntityType),
}

impl AppliesTo {
    pub fn matches(self, entity_type: EntityType) -> bool {
        self == AppliesTo::Any || self == AppliesTo::Only(entity_type)
    }
}

impl Serialize for AppliesTo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AppliesTo::Any => s.serialize_str("*"),
            AppliesTo::Only(t) => s.serialize_str(t.name()),
        }
    }
}

impl<'de> Deserialize<'de> for AppliesTo {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AppliesTo, D::Error> {
        let text = String::deserialize(d)?;
        if text == "*" {
            return Ok(AppliesTo::Any);
        }
        EntityType::parse(&text).map(AppliesTo::Only).ok_or_else(|| {
            let known: Vec<&str> = EntityType::ALL.iter().map(|t| t.name()).collect();
            serde::de::Error::custom(format!("unknown entity type {text:?}; known: \"*\", {}", known.join(", ")))
        })
    }
}

/// A versioned prompt template.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipTemplate {
    pub id: String,
    pub version: u32,
    pub lane: Lane,
    pub label: String,
    /// Entity types it applies to; `"*"` = any.
    pub entity_types: Vec<AppliesTo>,
    /// Offered for every selection of its entity types, whatever the report.
    #[serde(default)]
    pub core: bool,
    /// Position within its lane.
    pub order: u32,
    /// Only offered when this holds on the selection's metrics.
    #[serde(rename = "when")]
    pub condition: Option<String>,
    pub evidence: EvidenceNeed,
    /// What to look up in the docs corpus when the chip needs docs.
    pub docs_query: Option<String>,
    /// Evidence topics this chip cares about, most important first: they lead the
    /// evidence and shape the offline answer.
    #[serde(default)]
    pub focus: Vec<crate::base::vocab::Topic>,
    /// The question, with `{label}`, `{entity_type}`, `{entity_id}`, `{report_title}`,
    /// `{from}`, `{to}` placeholders.
    pub instruction: String,
    /// What an answer must cover (the completeness check; not part of the prompt).
    #[serde(default)]
    pub covers: Vec<Cover>,
    /// The counterfactual a What if chip computes before any narrative.
    #[serde(default)]
    pub what_if: Option<WhatIf>,
}

/// A counterfactual, with the parameters its chip fixes: computed from prices and the
/// evidence by `copilot::evidence::what_if`, its formula stated in a fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scenario", rename_all = "snake_case", deny_unknown_fields)]
pub enum WhatIf {
    /// A cluster or warehouse stops `minutes` after its last statement.
    AutoTermination { minutes: u32 },
    /// An all-purpose cluster's work runs on job compute, each session as one job run
    /// whose cluster takes `startup_minutes` to start.
    JobCompute { startup_minutes: u32 },
    /// A job retries a failure at most `retries` times.
    RetryCap { retries: u32 },
}

impl WhatIf {
    /// The one entity type the counterfactual is computed for.
    pub fn entity_type(self) -> EntityType {
        match self {
            WhatIf::AutoTermination { .. } | WhatIf::JobCompute { .. } => EntityType::Compute,
            WhatIf::RetryCap { .. } => EntityType::Job,
        }
    }
}

/// One thing an answer to a chip must cover: a fact topic (the answer cites that fact or
/// states one of its numbers), or, more precisely, one figure of it (`signal`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cover {
    /// In words, for reports: "the failure count".
    pub what: String,
    pub topic: crate::base::vocab::Topic,
    #[serde(default)]
    pub signal: Option<CoverSignal>,
}

/// Figures of the evidence an answer can be required to state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverSignal {
    FailedRuns,
    FailureRate,
    TopError,
    Evictions,
    SpotShare,
    TotalCost,
    SpendShare,
    Runs,
    PeakDay,
    CostPerRun,
    AnomalyCost,
    ExpectedCost,
    TopEntity,
    MeanMinutes,
    QueryError,
}

/// The placeholders an instruction may use.
pub const PLACEHOLDERS: &[&str] = &["label", "entity_type", "entity_id", "report_title", "from", "to"];

impl ChipTemplate {
    pub fn applies_to(&self, entity_type: EntityType) -> bool {
        self.entity_types.iter().any(|t| t.matches(entity_type))
    }

    /// `id@version`, as shown in the debug panel and evidence packs.
    pub fn versioned_id(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChipFile {
    chips: Vec<ChipTemplate>,
}

/// Every chip template, in catalogue order (lane, then `order`).
pub struct Catalogue {
    pub chips: Vec<ChipTemplate>,
}

impl Catalogue {
    /// Parses and validates chip files; errors name the file and chip.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Catalogue, String> {
        let mut chips: Vec<ChipTemplate> = Vec::new();
        for (file, text) in sources {
            let parsed: ChipFile = crate::base::embedded::parse(text).map_err(|e| format!("{file}.toml: {e}"))?;
            for chip in parsed.chips {
                let at = format!("{file}.toml, chip {}", chip.id);
                if chips.iter().any(|c| c.id == chip.id) {
                    return Err(format!("{at}: the id is used twice"));
                }
                if let Some(cond) = &chip.condition {
                    Condition::parse(cond).map_err(|e| format!("{at}: {e}"))?;
                }
                check_placeholders(&chip.instruction).map_err(|e| format!("{at}: {e}"))?;
                match (chip.lane, chip.what_if) {
                    (Lane::WhatIf, None) => {
                        return Err(format!("{at}: a What if chip must say which counterfactual it computes (what_if)"))
                    }
                    (Lane::WhatIf, Some(w)) if chip.entity_types != [AppliesTo::Only(w.entity_type())] => {
                        return Err(format!("{at}: its counterfactual is computed for entity type {} only", w.entity_type().name()))
                    }
                    (lane, Some(_)) if lane != Lane::WhatIf => {
                        return Err(format!("{at}: only chips of the what_if lane compute a counterfactual"))
                    }
                    _ => {}
                }
                if chip.evidence != EvidenceNeed::Telemetry && chip.docs_query.is_none() {
                    return Err(format!("{at}: a chip that needs docs must say what to look up (docs_query)"));
                }
                chips.push(chip);
            }
        }
        chips.sort_by(|a, b| (a.lane, a.order, &a.id).cmp(&(b.lane, b.order, &b.id)));
        Ok(Catalogue { chips })
    }

    pub fn get(&self, id: &str) -> Option<&ChipTemplate> {
        self.chips.iter().find(|c| c.id == id)
    }

    /// The chips offered for a selection in a report, in lane order then `order`.
    pub fn offered<'a>(&'a self, report: &ReportSpec, selection: &Selection) -> Vec<&'a ChipTemplate> {
        let holds = |cond: Option<&str>| cond.is_none_or(|c| Condition::parse(c).map(|c| selection.satisfies(&c)).unwrap_or(false));
        let entity_type = selection.entity.entity_type;
        let from_report = report.chips.iter().filter(|offer| holds(offer.condition.as_deref())).filter_map(|offer| self.get(&offer.id));
        let core = self.chips.iter().filter(|c| c.core);
        let mut offered: Vec<&ChipTemplate> = Vec::new();
        for chip in from_report.chain(core) {
            if chip.applies_to(entity_type) && holds(chip.condition.as_deref()) && !offered.iter().any(|c| c.id == chip.id) {
                offered.push(chip);
            }
        }
        offered.sort_by(|a, b| (a.lane, a.order, &a.id).cmp(&(b.lane, b.order, &b.id)));
        offered
    }
}

fn check_placeholders(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or("an unclosed '{' in the instruction")?;
        let name = &rest[open + 1..open + close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!("unknown placeholder {{{name}}}"));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

/// The built-in catalogue.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::from_sources(EMBEDDED_CHIPS).unwrap_or_else(|e| panic!("chip catalogue: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The browser build embeds each chip file as the JSON build.rs converts it to.
    #[test]
    fn the_browser_builds_json_copies_parse_to_the_same_chips() {
        for (file, text) in EMBEDDED_CHIPS {
            let from_toml: ChipFile = toml::from_str(text).unwrap();
            let json = serde_json::to_string(&toml::from_str::<toml::Value>(text).unwrap()).unwrap();
            let from_json: ChipFile = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{file}: {e}"));
            let value = |f: &ChipFile| serde_json::to_value(&f.chips).unwrap();
            assert_eq!(value(&from_toml), value(&from_json), "{file}");
        }
    }
    use crate::report::registry;

    #[test]
    fn every_chip_a_report_offers_exists_and_fits_its_entities() {
        for report in &registry().reports {
            let types: Vec<EntityType> = report.spec.entities.iter().map(|e| e.entity_type).collect();
            for offer in &report.spec.chips {
                let chip = catalogue().get(&offer.id).unwrap_or_else(|| panic!("{}: unknown chip {}", report.spec.key, offer.id));
                assert!(types.iter().any(|t| chip.applies_to(*t)), "{}: chip {} fits none of {types:?}", report.spec.key, chip.id);
            }
        }
    }

    #[test]
    fn catalogue_includes_the_core_and_report_chips_of_the_original() {
        let labels: Vec<&str> = catalogue().chips.iter().map(|c| c.label.as_str()).collect();
        for label in [
            "Explain this",
            "Main drivers",
            "Why a spike?",
            "Next steps",
            "Optimize cost",
            "Reliability check",
            "Utilization",
            "Stability",
            "Why is this failing?",
            "Spot risk analysis",
            "Cost breakdown",
            "Deep-dive (top-3 job)",
            "Immediate mitigation",
            "Root cause of the anomaly",
        ] {
            assert!(labels.contains(&label), "missing {label}");
        }
    }

    #[test]
    fn rejects_bad_templates_by_name() {
        let dup =
            "[[chips]]\nid='a'\nversion=1\nlane='monitor'\nlabel='A'\nentity_types=['*']\norder=1\nevidence='telemetry'\ninstruction='x'\n";
        let err = Catalogue::from_sources(&[("f", dup), ("g", dup)]).err().unwrap();
        assert_eq!(err, "g.toml, chip a: the id is used twice");
        let bad = dup.replace("instruction='x'", "instruction='about {nope}'");
        assert_eq!(Catalogue::from_sources(&[("f", &bad)]).err().unwrap(), "f.toml, chip a: unknown placeholder {nope}");
        let docs = dup.replace("evidence='telemetry'", "evidence='both'");
        let unknown = dup.replace("entity_types=['*']", "entity_types=['warehouse']");
        let err = Catalogue::from_sources(&[("f", &unknown)]).err().unwrap();
        assert!(err.starts_with("f.toml: ") && err.contains("unknown entity type \"warehouse\""), "{err}");
        assert!(Catalogue::from_sources(&[("f", &docs)]).err().unwrap().contains("docs_query"));
        let what_if = dup.replace("lane='monitor'", "lane='what_if'");
        let err = Catalogue::from_sources(&[("f", &what_if)]).err().unwrap();
        assert_eq!(err, "f.toml, chip a: a What if chip must say which counterfactual it computes (what_if)");
        let any = format!("{what_if}what_if = {{ scenario = 'retry_cap', retries = 1 }}\n");
        let err = Catalogue::from_sources(&[("f", &any)]).err().unwrap();
        assert_eq!(err, "f.toml, chip a: its counterfactual is computed for entity type job only");
        let ok = any.replace("entity_types=['*']", "entity_types=['job']");
        assert_eq!(Catalogue::from_sources(&[("f", &ok)]).unwrap().chips[0].what_if, Some(WhatIf::RetryCap { retries: 1 }));
        let unknown = ok.replace("retries = 1", "retries = 1, minutes = 3");
        assert!(Catalogue::from_sources(&[("f", &unknown)]).err().unwrap().contains("unknown field `minutes`"));
        let elsewhere = ok.replace("lane='what_if'", "lane='optimize'");
        assert_eq!(
            Catalogue::from_sources(&[("f", &elsewhere)]).err().unwrap(),
            "f.toml, chip a: only chips of the what_if lane compute a counterfactual"
        );
    }
}
