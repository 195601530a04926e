//! From report rows to selectable entities: the spec's entity mappings turn a dataset row
//! into an `EntityRef` (`job:J-LEGACY-ETL`) with a label, and back.

use std::fmt;

use serde::Serialize;

use super::dataset::{RowRef, Value};
use super::engine::ReportResult;
use super::expr::Condition;
use super::spec::{EntityMapping, ReportSpec};
use crate::base::vocab::EntityType;

/// What a selection points at: an entity type and id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct EntityRef {
    pub entity_type: EntityType,
    pub entity_id: String,
}

impl EntityRef {
    pub fn new(entity_type: EntityType, entity_id: &str) -> EntityRef {
        EntityRef { entity_type, entity_id: entity_id.to_string() }
    }

    /// Parses `type:id` (the id may itself contain ':'); `None` for an unknown type.
    pub fn parse(text: &str) -> Option<EntityRef> {
        let (t, id) = text.split_once(':')?;
        let entity_type = EntityType::parse(t)?;
        (!id.is_empty()).then(|| EntityRef::new(entity_type, id))
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.entity_type, self.entity_id)
    }
}

/// A selected row: the entity, its label, and the row's values (the selection's metrics).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Selection {
    pub report: String,
    pub entity: EntityRef,
    pub label: String,
    pub dataset: String,
    pub row: usize,
    /// (column, value) of the selected row, in column order.
    pub metrics: Vec<(String, Value)>,
}

impl Selection {
    pub fn metric(&self, column: &str) -> Option<&Value> {
        self.metrics.iter().find(|(c, _)| c == column).map(|(_, v)| v)
    }

    /// True when `condition` holds on this selection's metrics.
    pub fn satisfies(&self, condition: &Condition) -> bool {
        condition.eval(&|c| self.metric(c))
    }
}

/// Fills `{column}` placeholders from a row.
pub fn fill_template(template: &str, row: RowRef<'_>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        match rest[open..].find('}') {
            Some(close) => {
                out.push_str(&row.text(&rest[open + 1..open + close]));
                rest = &rest[open + close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn mapping_matches(mapping: &EntityMapping, row: RowRef<'_>) -> bool {
    mapping
        .filter
        .as_deref()
        .is_none_or(|f| Condition::parse(f).expect("validated").eval(&|c| row.dataset.column_index(c).map(|_| row.get(c))))
}

/// The selection a row stands for, if a mapping covers its dataset.
pub fn selection_at(spec: &ReportSpec, result: &ReportResult, dataset: &str, row: usize) -> Option<Selection> {
    let data = result.dataset(dataset)?;
    if row >= data.len() {
        return None;
    }
    let r = data.row(row);
    let mapping = spec.entities.iter().find(|m| m.dataset == dataset && mapping_matches(m, r))?;
    Some(Selection {
        report: spec.key.clone(),
        entity: EntityRef::new(mapping.entity_type, &fill_template(&mapping.id, r)),
        label: fill_template(&mapping.label, r),
        dataset: dataset.to_string(),
        row,
        metrics: data.columns.iter().cloned().zip(data.row_values(row)).collect(),
    })
}

/// Finds the row for an entity (e.g. from a URL), preferring the report's main rows.
pub fn find_selection(spec: &ReportSpec, result: &ReportResult, entity: &EntityRef) -> Option<Selection> {
    let mut datasets: Vec<&str> = vec![spec.rows.as_str()];
    datasets.extend(spec.entities.iter().map(|m| m.dataset.as_str()).filter(|d| *d != spec.rows));
    for dataset in datasets {
        let Some(data) = result.dataset(dataset) else { continue };
        // The dataset's mappings with their conditions parsed once (a scored series can have
        // 10^6 rows); a row stands for the first mapping whose condition it meets.
        let mappings: Vec<(&EntityMapping, Option<Condition>)> = spec
            .entities
            .iter()
            .filter(|m| m.dataset == dataset)
            .map(|m| (m, m.filter.as_deref().map(|f| Condition::parse(f).expect("validated"))))
            .collect();
        for row in 0..data.len() {
            let r = data.row(row);
            let meets =
                |cond: &Option<Condition>| cond.as_ref().is_none_or(|c| c.eval(&|col| r.dataset.column_index(col).map(|_| r.get(col))));
            let Some((mapping, _)) = mappings.iter().find(|(_, cond)| meets(cond)) else { continue };
            if mapping.entity_type == entity.entity_type && fill_template(&mapping.id, r) == entity.entity_id {
                return selection_at(spec, result, dataset, row);
            }
        }
    }
    None
}

/// Every selectable entity of the main rows, in row order (one per entity).
pub fn selectable_rows(spec: &ReportSpec, result: &ReportResult) -> Vec<Selection> {
    let mut seen = std::collections::HashSet::new();
    let rows = result.rows().len();
    (0..rows).filter_map(|row| selection_at(spec, result, &spec.rows, row)).filter(|s| seen.insert(s.entity.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::dataset::Dataset;

    #[test]
    fn parses_and_prints_entity_refs() {
        let e = EntityRef::parse("anomaly:J-FIN-DAILY@2025-12-05").unwrap();
        assert_eq!(e, EntityRef::new(EntityType::Anomaly, "J-FIN-DAILY@2025-12-05"));
        assert_eq!(e.to_string(), "anomaly:J-FIN-DAILY@2025-12-05");
        assert_eq!(EntityRef::parse("nocolon"), None);
        assert_eq!(EntityRef::parse(":x"), None);
        assert_eq!(EntityRef::parse("warehouse:x"), None, "an unknown entity type");
    }

    #[test]
    fn fills_templates_from_rows() {
        let data = Dataset::from_rows(
            vec!["entity_id".into(), "date".into()],
            vec![vec![Value::Text("J-X".into()), Value::Text("2025-12-05".into())]],
        );
        assert_eq!(fill_template("{entity_id}@{date}", data.row(0)), "J-X@2025-12-05");
        assert_eq!(fill_template("no placeholders", data.row(0)), "no placeholders");
        assert_eq!(fill_template("{missing}!", data.row(0)), "!");
    }
}
