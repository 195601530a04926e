//! Shared pieces of evidence gathering: running a fact's SQL, describing the selected row,
//! compressing date lists, and fitting facts into the budget in a chip's focus order.

use rusqlite::{Connection, ToSql};

use super::{Evidence, EvidenceBudget, Fact, Topic};
use crate::report::display::report_value;
use crate::report::registry::registry;
use crate::report::{ReportSpec, Selection, Value};

/// A fact's SQL and parameters, run and remembered for the debug panel.
pub struct FactQuery {
    pub sql: &'static str,
    pub params: Vec<(&'static str, String)>,
}

impl FactQuery {
    pub fn new(sql: &'static str, params: &[(&'static str, &str)]) -> FactQuery {
        FactQuery { sql, params: params.iter().map(|(k, v)| (*k, v.to_string())).collect() }
    }

    /// Rows of the query, as values.
    pub fn rows(&self, conn: &Connection) -> rusqlite::Result<Vec<Vec<Value>>> {
        let mut stmt = conn.prepare_cached(self.sql)?;
        let bound: Vec<(&str, &dyn ToSql)> = self.params.iter().map(|(k, v)| (*k, v as &dyn ToSql)).collect();
        let width = stmt.column_count();
        let mut rows = stmt.query(bound.as_slice())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((0..width).map(|i| r.get_ref(i).map(Value::from).unwrap_or(Value::Null)).collect());
        }
        Ok(out)
    }

    /// The SQL as shown in the debug panel: the statement, then its parameters.
    pub fn shown(&self) -> String {
        let params: Vec<String> = self.params.iter().map(|(k, v)| format!("{k} = '{v}'")).collect();
        format!("{}\n-- with {}", self.sql.trim(), params.join(", "))
    }

    pub fn fact(&self, topic: Topic, title: &str, text: String) -> Fact {
        Fact { id: String::new(), topic, title: title.to_string(), text, sql: self.shown() }
    }
}

pub fn text(v: &Value) -> String {
    v.to_string()
}

pub fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

pub fn int(v: &Value) -> i64 {
    v.as_f64().unwrap_or(0.0).round() as i64
}

/// The selected report row, in the report's own labels and units.
pub fn selection_fact(report: &ReportSpec, sel: &Selection) -> Fact {
    let skip = |column: &str, value: &Value| {
        let t = value.to_string();
        report.column(column).is_none_or(|c| c.internal)
            || t == sel.entity.entity_id
            || t == sel.label
            || t.is_empty()
            || column.ends_with("_id")
    };
    let parts: Vec<String> = sel
        .metrics
        .iter()
        .filter(|(c, v)| !skip(c, v))
        .map(|(c, v)| format!("{} {}", report.label_of(c), report_value(v, report.unit_of(c))))
        .collect();
    let sql = registry()
        .get(&report.key)
        .and_then(|r| r.queries.iter().find(|q| q.name == sel.dataset).map(|q| q.sql.clone()))
        .unwrap_or_else(|| format!("-- derived dataset {} of report {}", sel.dataset, report.key));
    Fact {
        id: String::new(),
        topic: Topic::Selection,
        title: format!("{} row for {} ({})", report.title, sel.label, sel.entity.entity_id),
        text: format!("{}.", parts.join("; ")),
        sql: format!("-- report {}, dataset {}\n{}", report.key, sel.dataset, sql.trim()),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    format!("{}…", text.chars().take(max.saturating_sub(1)).collect::<String>())
}

/// The selected row first, then the chip's focus topics in order, then the rest; at most
/// `max_facts`, each cut to `max_fact_chars`, numbered T1, T2 … in the final order.
pub fn order_and_trim(facts: Vec<Fact>, focus: &[Topic], budget: &EvidenceBudget) -> Vec<Fact> {
    let rank = |f: &Fact| -> usize {
        if f.topic == Topic::Selection {
            0
        } else {
            focus.iter().position(|t| *t == f.topic).map_or(focus.len() + 1, |p| p + 1)
        }
    };
    let mut indexed: Vec<(usize, usize, Fact)> = facts.into_iter().enumerate().map(|(i, f)| (rank(&f), i, f)).collect();
    indexed.sort_by_key(|(r, i, _)| (*r, *i));
    indexed
        .into_iter()
        .take(budget.max_facts)
        .enumerate()
        .map(|(n, (_, _, mut f))| {
            f.id = format!("T{}", n + 1);
            f.text = truncate(&f.text, budget.max_fact_chars);
            f
        })
        .collect()
}

/// Numbers facts `T1`, `T2`, … in their order (after some were dropped).
pub fn renumber(facts: &mut [Fact]) {
    for (n, f) in facts.iter_mut().enumerate() {
        f.id = format!("T{}", n + 1);
    }
}

/// Trims graph lines, then trailing facts, then docs until the evidence fits `max_chars`.
pub fn fit_budget(e: &mut Evidence) {
    e.graph.summaries.truncate(e.budget.max_graph_lines);
    let size = |e: &Evidence| e.all_text().chars().count();
    while size(e) > e.budget.max_chars && !e.graph.nodes.is_empty() {
        e.graph.nodes.pop();
        let listed: Vec<String> = e.graph.nodes.iter().map(|n| n.ref_id.clone()).collect();
        e.graph.edges.retain(|x| listed.contains(&x.to));
    }
    while size(e) > e.budget.max_chars && e.facts.len() > 1 {
        e.facts.pop();
    }
    while size(e) > e.budget.max_chars && !e.docs.is_empty() {
        e.docs.pop();
    }
}
