//! Shared pieces of evidence gathering: running a fact's SQL (named queries of
//! `sql/evidence/*.sql`, columns read by name), describing the selected row, and fitting
//! facts into the budget in a chip's focus order.

use std::collections::HashMap;
use std::sync::OnceLock;

use rusqlite::{Connection, ToSql};

use super::{Evidence, EvidenceBudget, Fact, Topic, Trimmed};
use crate::report::display::report_value;
use crate::report::engine::parse_sql_file;
use crate::report::registry::registry;
use crate::report::{ReportSpec, Selection, Value};

include!(concat!(env!("OUT_DIR"), "/embedded_evidence.rs"));

/// Every evidence query by (file, query name); a broken file names itself.
fn evidence_queries() -> &'static HashMap<(&'static str, String), String> {
    static QUERIES: OnceLock<HashMap<(&'static str, String), String>> = OnceLock::new();
    QUERIES.get_or_init(|| {
        let mut all = HashMap::new();
        for (file, text) in EMBEDDED_EVIDENCE {
            let queries = parse_sql_file(text).unwrap_or_else(|e| panic!("sql/evidence/{file}.sql: {e}"));
            for q in queries {
                all.insert((*file, q.name), q.sql);
            }
        }
        all
    })
}

/// The SQL of query `name` in `sql/evidence/<file>.sql`.
pub fn evidence_sql(file: &str, name: &str) -> &'static str {
    evidence_queries()
        .iter()
        .find(|((f, n), _)| *f == file && n == name)
        .map(|(_, sql)| sql.as_str())
        .unwrap_or_else(|| panic!("sql/evidence/{file}.sql has no query {name:?}"))
}

/// A parameter value: text, or NULL (an optional filter that is not set).
pub type Param = Option<String>;

/// A fact's SQL and parameters, run and remembered for the debug panel.
pub struct FactQuery {
    pub name: String,
    pub sql: &'static str,
    pub params: Vec<(&'static str, Param)>,
}

/// A query's rows, read by column name.
pub struct Rows {
    query: String,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

/// One row of [`Rows`].
#[derive(Clone, Copy)]
pub struct Row<'a> {
    of: &'a Rows,
    values: &'a [Value],
}

impl Rows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row(&self, i: usize) -> Row<'_> {
        Row { of: self, values: &self.rows[i] }
    }

    pub fn first(&self) -> Option<Row<'_>> {
        (!self.rows.is_empty()).then(|| self.row(0))
    }

    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|values| Row { of: self, values })
    }
}

impl<'a> Row<'a> {
    /// The value of `column`. A name the query does not have is a mistake in the code that
    /// reads it (every query runs in the tests), so it panics naming both.
    pub fn get(&self, column: &str) -> &'a Value {
        match self.of.columns.iter().position(|c| c == column) {
            Some(i) => &self.values[i],
            None => panic!("evidence query {} has no column {column:?} (it has {:?})", self.of.query, self.of.columns),
        }
    }

    pub fn text(&self, column: &str) -> String {
        text(self.get(column))
    }

    pub fn num(&self, column: &str) -> f64 {
        num(self.get(column))
    }

    pub fn int(&self, column: &str) -> i64 {
        int(self.get(column))
    }

    pub fn is_null(&self, column: &str) -> bool {
        self.get(column).is_null()
    }
}

impl FactQuery {
    /// Query `name` of `sql/evidence/<file>.sql` with its parameters (`None` binds NULL).
    /// Parameters the query does not read are left out (a file's queries share one set, and
    /// a query gets only the shared expressions it reads).
    pub fn new(file: &str, name: &str, params: &[(&'static str, Param)]) -> FactQuery {
        let sql = evidence_sql(file, name);
        let params = params.iter().filter(|(k, _)| reads_param(sql, k)).cloned().collect();
        FactQuery { name: format!("{file}.{name}"), sql, params }
    }

    /// Rows of the query.
    pub fn rows(&self, conn: &Connection) -> rusqlite::Result<Rows> {
        let mut stmt = conn.prepare_cached(self.sql)?;
        let bound: Vec<(&str, &dyn ToSql)> = self.params.iter().map(|(k, v)| (*k, v as &dyn ToSql)).collect();
        let columns: Vec<String> = stmt.column_names().map(String::from).collect();
        let width = columns.len();
        let mut rows = stmt.query(bound.as_slice())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((0..width).map(|i| r.get_ref(i).map(Value::from).unwrap_or(Value::Null)).collect());
        }
        Ok(Rows { query: self.name.clone(), columns, rows: out })
    }

    /// The SQL as shown in the debug panel: the statement, then its parameters.
    pub fn shown(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k} = '{v}'"),
                None => format!("{k} = NULL"),
            })
            .collect();
        format!("{}\n-- with {}", self.sql.trim(), params.join(", "))
    }

    pub fn fact(&self, topic: Topic, title: &str, text: String) -> Fact {
        Fact { id: String::new(), topic, title: title.to_string(), text, sql: self.shown() }
    }
}

/// Whether `sql` reads parameter `name` (`:to`, not `:top`).
fn reads_param(sql: &str, name: &str) -> bool {
    sql.match_indices(name).any(|(i, _)| !sql[i + name.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// A daily cost series over the filters' range: its mean per day of the range (days without
/// usage count as nothing spent) and its most expensive day (the first of equals).
pub struct DailyCost {
    pub span: usize,
    pub total: f64,
    pub mean: f64,
    pub peak: (String, f64),
}

/// The series' [`DailyCost`], also kept in the signals (`mean_daily_cost`, `peak_day`);
/// `None` for an empty series.
pub fn daily_cost(daily: &[(String, f64)], f: &crate::report::ReportFilters, s: &mut super::Signals) -> Option<DailyCost> {
    let first = daily.first()?;
    let span = (f.from.days_until(f.to) + 1).max(1) as usize;
    let total: f64 = daily.iter().map(|d| d.1).sum();
    let mean = total / span as f64;
    let peak = daily.iter().fold(first, |b, d| if d.1 > b.1 { d } else { b }).clone();
    s.mean_daily_cost = Some(mean);
    s.peak_day = Some(peak.clone());
    Some(DailyCost { span, total, mean, peak })
}

/// Parameters from (name, value) pairs.
pub fn params(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, Param)> {
    pairs.iter().map(|(k, v)| (*k, Some(v.to_string()))).collect()
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
/// `max_facts` (the others are returned as trimmed), each cut to `max_fact_chars`,
/// numbered T1, T2 … in the final order.
pub fn order_and_trim(facts: Vec<Fact>, focus: &[Topic], budget: &EvidenceBudget) -> (Vec<Fact>, Vec<Trimmed>) {
    let rank = |f: &Fact| -> usize {
        if f.topic == Topic::Selection {
            0
        } else {
            focus.iter().position(|t| *t == f.topic).map_or(focus.len() + 1, |p| p + 1)
        }
    };
    let mut indexed: Vec<(usize, usize, Fact)> = facts.into_iter().enumerate().map(|(i, f)| (rank(&f), i, f)).collect();
    indexed.sort_by_key(|(r, i, _)| (*r, *i));
    let mut kept = Vec::new();
    let mut trimmed = Vec::new();
    for (n, (_, _, mut f)) in indexed.into_iter().enumerate() {
        if n < budget.max_facts {
            f.id = format!("T{}", n + 1);
            f.text = truncate(&f.text, budget.max_fact_chars);
            kept.push(f);
        } else {
            trimmed.push(Trimmed::fact(&f, format!("more than {} facts", budget.max_facts)));
        }
    }
    (kept, trimmed)
}

/// Numbers facts `T1`, `T2`, … in their order (after some were dropped).
pub fn renumber(facts: &mut [Fact]) {
    for (n, f) in facts.iter_mut().enumerate() {
        f.id = format!("T{}", n + 1);
    }
}

/// Trims listed graph nodes (last first), then the lowest-priority facts (the last; the
/// selected row stays), then docs (the last) until the evidence fits both `max_chars` and
/// `max_tokens`. Deterministic; every cut is recorded in `e.trimmed`.
pub fn fit_budget(e: &mut Evidence) {
    e.graph.summaries.truncate(e.budget.max_graph_lines);
    let over = |e: &Evidence| e.all_text().chars().count() > e.budget.max_chars || e.tokens() > e.budget.max_tokens;
    let why = |e: &Evidence| {
        if e.all_text().chars().count() > e.budget.max_chars {
            format!("evidence over {} characters", e.budget.max_chars)
        } else {
            format!("evidence over {} tokens", e.budget.max_tokens)
        }
    };
    while over(e) && !e.graph.nodes.is_empty() {
        let reason = why(e);
        let node = e.graph.nodes.pop().expect("not empty");
        e.trimmed.push(Trimmed { kind: "graph node".into(), id: node.ref_id.clone(), title: format!("{} {}", node.kind, node.id), reason });
        let listed: Vec<String> = e.graph.nodes.iter().map(|n| n.ref_id.clone()).collect();
        e.graph.edges.retain(|x| listed.contains(&x.to));
    }
    while over(e) && e.facts.len() > 1 {
        let reason = why(e);
        let fact = e.facts.pop().expect("more than one");
        e.trimmed.push(Trimmed::fact(&fact, reason));
    }
    while over(e) && !e.docs.is_empty() {
        let reason = why(e);
        let doc = e.docs.pop().expect("not empty");
        e.trimmed.push(Trimmed { kind: "doc".into(), id: doc.id.clone(), title: doc.place(" › "), reason });
    }
}
