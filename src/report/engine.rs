//! Running a report: bind filters and params to its named queries, apply its transforms,
//! aggregate its KPIs. Pure with respect to (DB, report, filters, params).

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::Serialize;

use super::change_point;
use super::dataset::{Column, Dataset, Value};
use super::expr::Condition;
use super::forecast;
use super::spec::{Aggregate, ReportSpec, TransformSpec, Unit};
use super::transform::{self, ZscoreSettings};
use crate::base::calendar::Date;
use crate::base::clock;
use crate::data::{aggregates, budgets};

/// One named query of a report's SQL file.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedQuery {
    pub name: String,
    pub sql: String,
}

/// Splits a report SQL file at `-- query: <name>` lines.
///
/// A file may start with one `-- with:` section: common table expressions
/// (`name AS (…), …`) that every query of the file can read, so that queries sharing a base
/// (the same usage rows, say) state it once. Each query is then run as `WITH <section>, <its
/// own CTEs> <its SELECT>`; a query's own `WITH` (or `WITH RECURSIVE`, which then applies to
/// the whole list) continues the list. A query gets only the shared expressions it reads
/// (directly or through another shared one), so the SQL a fact shows is the SQL it needs.
pub fn parse_sql_file(text: &str) -> Result<Vec<NamedQuery>, String> {
    let mut queries: Vec<NamedQuery> = Vec::new();
    let mut shared: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = line.trim().strip_prefix("-- query:") {
            let name = name.trim();
            if name.is_empty() || queries.iter().any(|q| q.name == name) {
                return Err(format!("query name {name:?} is empty or repeated"));
            }
            queries.push(NamedQuery { name: name.to_string(), sql: String::new() });
        } else if line.trim() == "-- with:" {
            if shared.is_some() || !queries.is_empty() {
                return Err("a `-- with:` section must come once, before the first `-- query:` line".into());
            }
            shared = Some(String::new());
        } else if let Some(current) = queries.last_mut() {
            current.sql.push_str(line);
            current.sql.push('\n');
        } else if let Some(shared) = &mut shared {
            shared.push_str(line);
            shared.push('\n');
        } else if !line.trim().is_empty() && !line.trim().starts_with("--") {
            return Err("SQL before the first `-- query:` line".into());
        }
    }
    if queries.is_empty() {
        return Err("no `-- query: <name>` section".into());
    }
    let shared = match shared.map(|s| s.trim().trim_end_matches(',').to_string()) {
        Some(s) if s.is_empty() => return Err("the `-- with:` section is empty".into()),
        Some(s) => split_ctes(&s)?,
        None => Vec::new(),
    };
    for q in &mut queries {
        let sql = q.sql.trim().trim_end_matches(';');
        q.sql = with_shared(&shared, sql);
    }
    Ok(queries)
}

/// One common table expression of a `-- with:` section: its name and its whole text.
struct SharedCte {
    name: String,
    text: String,
}

/// Calls `f` with each character of `sql` that is SQL (not inside a quoted string or
/// identifier or a `--` comment), with its byte offset.
fn for_each_sql_char(sql: &str, mut f: impl FnMut(usize, char)) {
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                for (_, d) in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                f(i, ' ');
            }
            '-' if chars.peek().is_some_and(|(_, d)| *d == '-') => {
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                f(i, '\n');
            }
            _ => f(i, c),
        }
    }
}

/// The section's expressions, split at the commas outside parentheses.
fn split_ctes(shared: &str) -> Result<Vec<SharedCte>, String> {
    let mut cuts = vec![0];
    let mut depth = 0i32;
    for_each_sql_char(shared, |i, c| match c {
        '(' => depth += 1,
        ')' => depth -= 1,
        ',' if depth == 0 => cuts.push(i),
        _ => {}
    });
    cuts.push(shared.len());
    let mut ctes = Vec::new();
    for w in cuts.windows(2) {
        let text = shared[w[0]..w[1]].trim_start_matches(',').trim();
        let name: String = sql_body(text).chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if name.is_empty() {
            return Err(format!("the `-- with:` section has an expression without a name: {:?}", text.lines().next().unwrap_or("")));
        }
        ctes.push(SharedCte { name: name.to_lowercase(), text: text.to_string() });
    }
    Ok(ctes)
}

/// The identifiers `sql` mentions outside strings and comments, lowercased.
fn mentioned_names(sql: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut word = String::new();
    let mut flush = |word: &mut String| {
        if !word.is_empty() {
            names.insert(std::mem::take(word).to_lowercase());
        }
    };
    for_each_sql_char(sql, |_, c| {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word);
        }
    });
    flush(&mut word);
    names
}

/// `sql` with the shared common table expressions it reads in front of its own.
fn with_shared(all: &[SharedCte], sql: &str) -> String {
    let mut wanted = mentioned_names(sql);
    let mut used = vec![false; all.len()];
    // A shared expression reads only those before it, so one pass backwards finds them all.
    for (i, cte) in all.iter().enumerate().rev() {
        if wanted.contains(&cte.name) {
            used[i] = true;
            wanted.extend(mentioned_names(&cte.text));
        }
    }
    let kept: Vec<&str> = all.iter().zip(&used).filter(|(_, u)| **u).map(|(c, _)| c.text.as_str()).collect();
    if kept.is_empty() {
        return sql.to_string();
    }
    let shared = kept.join(",\n");
    let body = sql_body(sql);
    let (recursive, own) = match leading_keyword(body, "WITH") {
        Some(rest) => match leading_keyword(rest, "RECURSIVE") {
            Some(rest) => ("RECURSIVE ", Some(rest)),
            None => ("", Some(rest)),
        },
        None => ("", None),
    };
    match own {
        Some(own) => format!("WITH {recursive}{shared},\n{own}"),
        None => format!("WITH {shared}\n{body}"),
    }
}

/// `sql` without its leading comment lines.
fn sql_body(sql: &str) -> &str {
    let mut rest = sql.trim_start();
    while rest.starts_with("--") {
        rest = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
    }
    rest
}

/// What follows `keyword` (case-insensitive, then whitespace) at the start of `sql`.
fn leading_keyword<'a>(sql: &'a str, keyword: &str) -> Option<&'a str> {
    let head = sql.get(..keyword.len())?;
    let rest = &sql[keyword.len()..];
    (head.eq_ignore_ascii_case(keyword) && rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

/// The filters every report honours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReportFilters {
    pub from: Date,
    pub to: Date,
    /// `None` = all workspaces.
    pub workspace: Option<String>,
}

impl ReportFilters {
    /// The whole date range of the data (first to last usage date), all workspaces. The
    /// window is anchored on the data, never on today's date.
    pub fn data_range(conn: &Connection) -> rusqlite::Result<ReportFilters> {
        let (first, last): (Option<String>, Option<String>) =
            conn.query_row("SELECT MIN(usage_date), MAX(usage_date) FROM compute_usage", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let parse = |d: Option<String>| d.as_deref().and_then(Date::parse);
        let fallback = Date::from_ymd(2025, 11, 1);
        let from = parse(first).unwrap_or(fallback);
        let to = parse(last).unwrap_or(from);
        Ok(ReportFilters { from, to, workspace: None })
    }
}

/// Why a report could not run. Messages are shown to users.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("There is no report called {0:?}.")]
    UnknownReport(String),
    #[error("The date range is empty: {from} is after {to}.")]
    EmptyRange { from: Date, to: Date },
    #[error("{label} must be between {min} and {max} (got {value}).")]
    ParamOutOfRange { label: String, min: f64, max: f64, value: f64 },
    #[error("{label} must be a whole number (got {value}).")]
    ParamNotInteger { label: String, value: f64 },
    #[error("The report has no parameter {0:?}.")]
    UnknownParam(String),
    #[error("{label} must be a number (got {value:?}).")]
    ParamNotNumber { label: String, value: String },
    #[error("{label} is a text, not a number (got {value}).")]
    ParamNotText { label: String, value: f64 },
    #[error("{label} must be one of {choices} (got {value:?}).")]
    ParamNotAChoice { label: String, choices: String, value: String },
    #[error("{label} must be a non-empty text of at most {MAX_TEXT_PARAM} characters.")]
    ParamTextLength { label: String },
    #[error("Query {query} of report {report} failed: {message}")]
    Sql { report: String, query: String, message: String },
}

/// The longest text a text parameter takes.
pub const MAX_TEXT_PARAM: usize = 200;

/// A parameter value as given (URL, CLI, tests): a number, or a text that a numeric
/// parameter parses as a number and a text parameter takes as it is (trimmed).
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Number(f64),
    Text(String),
}

impl From<f64> for ParamValue {
    fn from(x: f64) -> Self {
        ParamValue::Number(x)
    }
}

impl From<String> for ParamValue {
    fn from(t: String) -> Self {
        ParamValue::Text(t)
    }
}

impl From<&str> for ParamValue {
    fn from(t: &str) -> Self {
        ParamValue::Text(t.to_string())
    }
}

/// Numeric params as [`ParamValue`]s.
pub fn typed(params: &BTreeMap<String, f64>) -> BTreeMap<String, ParamValue> {
    params.iter().map(|(k, v)| (k.clone(), ParamValue::Number(*v))).collect()
}

/// Texts as [`ParamValue`]s, each parsed by its param's kind when the report runs.
pub fn typed_texts(params: &BTreeMap<String, String>) -> BTreeMap<String, ParamValue> {
    params.iter().map(|(k, v)| (k.clone(), ParamValue::Text(v.clone()))).collect()
}

/// Parameters after defaults and checks: numbers and texts by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResolvedParams {
    pub numbers: BTreeMap<String, f64>,
    pub texts: BTreeMap<String, String>,
}

/// A computed KPI.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KpiValue {
    pub name: String,
    pub label: String,
    pub unit: Unit,
    pub value: Value,
    pub help: String,
}

/// Everything a report computed for one set of filters and params.
#[derive(Clone, Debug)]
pub struct ReportResult {
    pub key: String,
    pub filters: ReportFilters,
    /// The numeric params after defaults.
    pub params: BTreeMap<String, f64>,
    /// The text params after defaults.
    pub text_params: BTreeMap<String, String>,
    /// For each text param with choices: the values offered (its fixed `choices`, or the
    /// first column of its `choices_query`, with the value in use added when missing).
    pub param_choices: BTreeMap<String, Vec<String>>,
    pub datasets: BTreeMap<String, Dataset>,
    pub kpis: Vec<KpiValue>,
    /// The main rows' dataset name.
    pub rows: String,
    /// (step, milliseconds) for each query and transform, in order.
    pub timings: Vec<(String, f64)>,
}

impl ReportResult {
    pub fn rows(&self) -> &Dataset {
        &self.datasets[&self.rows]
    }

    pub fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.datasets.get(name)
    }

    pub fn kpi(&self, name: &str) -> Option<&Value> {
        self.kpis.iter().find(|k| k.name == name).map(|k| &k.value)
    }
}

/// Resolves params: given values are parsed by the kind of their param and checked (a
/// number's range and wholeness, a text's length and choices); missing ones take their
/// default.
pub fn resolve_params(spec: &ReportSpec, given: &BTreeMap<String, ParamValue>) -> Result<ResolvedParams, ReportError> {
    if let Some(unknown) = given.keys().find(|k| spec.param(k).is_none()) {
        return Err(ReportError::UnknownParam(unknown.clone()));
    }
    let mut out = ResolvedParams::default();
    for p in &spec.params {
        let value = given.get(&p.name).cloned();
        if p.text {
            let text = match value {
                None => p.default.to_string(),
                Some(ParamValue::Text(t)) => t.trim().to_string(),
                Some(ParamValue::Number(x)) => return Err(ReportError::ParamNotText { label: p.label.clone(), value: x }),
            };
            if text.is_empty() || text.chars().count() > MAX_TEXT_PARAM {
                return Err(ReportError::ParamTextLength { label: p.label.clone() });
            }
            if !p.choices.is_empty() && !p.choices.contains(&text) {
                return Err(ReportError::ParamNotAChoice { label: p.label.clone(), choices: p.choices.join(", "), value: text });
            }
            out.texts.insert(p.name.clone(), text);
            continue;
        }
        let value = match value {
            None => p.default_number(),
            Some(ParamValue::Number(x)) => x,
            Some(ParamValue::Text(t)) => {
                t.trim().parse::<f64>().map_err(|_| ReportError::ParamNotNumber { label: p.label.clone(), value: t.clone() })?
            }
        };
        if !(p.min..=p.max).contains(&value) {
            return Err(ReportError::ParamOutOfRange { label: p.label.clone(), min: p.min, max: p.max, value });
        }
        if p.integer && value.fract() != 0.0 {
            return Err(ReportError::ParamNotInteger { label: p.label.clone(), value });
        }
        out.numbers.insert(p.name.clone(), value);
    }
    Ok(out)
}

/// Runs one query with the filters and numeric params bound by name (`:from`, `:to`,
/// `:workspace`, `:<param>`); unknown names are left unbound (NULL).
pub fn run_query(conn: &Connection, sql: &str, filters: &ReportFilters, params: &BTreeMap<String, f64>) -> rusqlite::Result<Dataset> {
    run_query_with(conn, sql, filters, &ResolvedParams { numbers: params.clone(), texts: BTreeMap::new() })
}

/// Runs one query with the filters and params bound by name, numbers as SQL reals and
/// texts as SQL text; unknown names are left unbound (NULL).
pub fn run_query_with(conn: &Connection, sql: &str, filters: &ReportFilters, resolved: &ResolvedParams) -> rusqlite::Result<Dataset> {
    let params = &resolved.numbers;
    let mut stmt = conn.prepare_cached(sql)?;
    let (from, to) = (filters.from.to_string(), filters.to.to_string());
    if let Some(i) = stmt.parameter_index(":from")? {
        stmt.raw_bind_parameter(i, &from)?;
    }
    if let Some(i) = stmt.parameter_index(":to")? {
        stmt.raw_bind_parameter(i, &to)?;
    }
    if let Some(i) = stmt.parameter_index(":workspace")? {
        stmt.raw_bind_parameter(i, filters.workspace.as_deref())?;
    }
    for (name, value) in params {
        if let Some(i) = stmt.parameter_index(&format!(":{name}"))? {
            stmt.raw_bind_parameter(i, value)?;
        }
    }
    for (name, value) in &resolved.texts {
        if let Some(i) = stmt.parameter_index(&format!(":{name}"))? {
            stmt.raw_bind_parameter(i, value.as_str())?;
        }
    }
    let columns: Vec<String> = stmt.column_names().map(String::from).collect();
    let width = columns.len();
    let mut cells: Vec<Vec<Value>> = (0..width).map(|_| Vec::new()).collect();
    // The bytes of BLOB cells, by column (only for columns that hold one).
    type Blobs = Vec<Option<Box<[u8]>>>;
    let mut blobs: Vec<Option<Blobs>> = vec![None; width];
    let mut cursor = stmt.raw_query();
    while let Some(row) = cursor.next()? {
        for (i, column) in cells.iter_mut().enumerate() {
            let cell = row.get_ref(i)?;
            if let rusqlite::types::ValueRef::Blob(b) = cell {
                let rows = column.len();
                blobs[i].get_or_insert_with(|| vec![None; rows]).push(Some(b.into()));
            } else if let Some(bytes) = &mut blobs[i] {
                bytes.push(None);
            }
            column.push(Value::from(cell));
        }
    }
    let columns_data = cells
        .into_iter()
        .zip(blobs)
        .map(|(values, bytes)| match bytes {
            Some(bytes) => Column::Bytes { values, bytes },
            None => Column::Values(values),
        })
        .collect();
    Ok(Dataset::from_columns(columns, columns_data))
}

/// Computes a report. `given_params` are numbers or texts (see [`ParamValue`]).
pub fn run(
    conn: &Connection,
    spec: &ReportSpec,
    queries: &[NamedQuery],
    filters: &ReportFilters,
    given_params: &BTreeMap<String, ParamValue>,
) -> Result<ReportResult, ReportError> {
    if filters.from > filters.to {
        return Err(ReportError::EmptyRange { from: filters.from, to: filters.to });
    }
    let resolved = resolve_params(spec, given_params)?;
    let params = &resolved.numbers;
    let mut datasets = BTreeMap::new();
    let mut timings = Vec::new();
    // The pre-aggregated tables the report SQL reads (built once per database: at import,
    // when the seed is written, or here for a connection that has none or an old set).
    let started = clock::now_ms();
    let built = aggregates::ensure(conn).map_err(|e| ReportError::Sql {
        report: spec.key.clone(),
        query: "aggregates".into(),
        message: e.to_string(),
    })?;
    if built.is_some() {
        timings.push(("build aggregates".to_string(), clock::now_ms() - started));
    }
    // What the user keeps beside the data (budgets) is a temp table of the connection,
    // empty until the session fills it.
    budgets::ensure_table(conn).map_err(|e| ReportError::Sql {
        report: spec.key.clone(),
        query: "budgets".into(),
        message: e.to_string(),
    })?;
    let days: Vec<String> = filters.from.through(filters.to).map(|d| d.to_string()).collect();
    for q in queries {
        let started = clock::now_ms();
        let data = run_query_with(conn, &q.sql, filters, &resolved).map_err(|e| ReportError::Sql {
            report: spec.key.clone(),
            query: q.name.clone(),
            message: e.to_string(),
        })?;
        timings.push((format!("query {}", q.name), clock::now_ms() - started));
        datasets.insert(q.name.clone(), data);
    }
    for t in &spec.transforms {
        let started = clock::now_ms();
        let input = &datasets[t.input()];
        let output = match t {
            TransformSpec::RollingZscore { partition, order, value, window, warmup, threshold, fill_missing_days, packed, .. } => {
                let series = transform::Series {
                    partition,
                    order,
                    value,
                    packed: packed.as_ref().map(|p| transform::Packed { from: &p.from, kinds: &p.kinds, values: &p.values }),
                };
                let settings =
                    ZscoreSettings { window: params[window] as usize, warmup: params[warmup] as usize, threshold: params[threshold] };
                transform::rolling_zscore(input, &series, &days, *fill_missing_days, settings)
            }
            TransformSpec::Filter { filter, .. } => {
                let cond = Condition::parse(filter).expect("validated when the registry loaded");
                transform::filter(input, &cond)
            }
            TransformSpec::Sort { by, .. } => transform::sort(input, by),
            TransformSpec::ChangePoint { partition, order, value, min_side, .. } => {
                let series = change_point::ChangeSeries { partition, order, value, min_side: params[min_side] as usize };
                change_point::change_points(input, &series)
            }
            TransformSpec::MonthForecast { partition, order, value, trailing_weeks, limit, .. } => {
                let series = forecast::ForecastSeries {
                    partition,
                    order,
                    value,
                    limit: limit.as_deref(),
                    trailing_weeks: params[trailing_weeks] as usize,
                    as_of: filters.to,
                };
                forecast::month_forecasts(input, &series)
            }
            TransformSpec::Classify { column, cases, default, .. } => {
                let cases: Vec<(Condition, &str)> = cases
                    .iter()
                    .map(|c| (Condition::parse(&c.condition).expect("validated when the registry loaded"), c.value.as_str()))
                    .collect();
                transform::classify(input, column, &cases, default)
            }
            TransformSpec::Apportion { weight, amount, scale, share, total, pct, .. } => {
                let spec = transform::Apportion { weight, amount, scale: *scale, share, total: total.as_deref(), pct: pct.as_deref() };
                transform::apportion(input, &spec)
            }
        };
        timings.push((format!("transform {}", t.output()), clock::now_ms() - started));
        datasets.insert(t.output().to_string(), output);
    }
    let kpis = spec
        .kpis
        .iter()
        .map(|k| {
            let data = &datasets[k.dataset.as_deref().unwrap_or(&spec.rows)];
            let cond = k.filter.as_deref().map(|f| Condition::parse(f).expect("validated"));
            let value = aggregate(data, k.agg, k.column.as_deref(), k.denominator.as_deref(), cond.as_ref());
            KpiValue { name: k.name.clone(), label: k.label.clone(), unit: k.unit, value, help: k.help.clone() }
        })
        .collect();
    let param_choices = spec
        .params
        .iter()
        .filter(|p| p.text && (!p.choices.is_empty() || p.choices_query.is_some()))
        .map(|p| {
            let mut values: Vec<String> = match &p.choices_query {
                Some(q) => {
                    let data = &datasets[q];
                    (0..data.len()).map(|i| data.cell(i, 0).to_string()).filter(|v| !v.is_empty()).collect()
                }
                None => p.choices.clone(),
            };
            let current = &resolved.texts[&p.name];
            if !values.contains(current) {
                values.push(current.clone());
            }
            (p.name.clone(), values)
        })
        .collect();
    Ok(ReportResult {
        key: spec.key.clone(),
        filters: filters.clone(),
        params: resolved.numbers.clone(),
        text_params: resolved.texts.clone(),
        param_choices,
        datasets,
        kpis,
        rows: spec.rows.clone(),
        timings,
    })
}

/// Aggregates a column over the rows that match `filter`.
pub fn aggregate(data: &Dataset, agg: Aggregate, column: Option<&str>, denominator: Option<&str>, filter: Option<&Condition>) -> Value {
    let rows: Vec<usize> = match filter {
        Some(cond) => transform::matching_rows(data, cond),
        None => (0..data.len()).collect(),
    };
    let numbers = |col: &str| -> Vec<f64> { rows.iter().filter_map(|&i| data.get(i, col).as_f64()).collect() };
    match agg {
        Aggregate::Count => Value::Int(rows.len() as i64),
        Aggregate::CountDistinct => {
            let col = column.unwrap_or_default();
            let mut seen: Vec<String> = rows.iter().map(|&i| data.get(i, col).to_string()).collect();
            seen.sort();
            seen.dedup();
            Value::Int(seen.len() as i64)
        }
        Aggregate::Sum => Value::Real(numbers(column.unwrap_or_default()).iter().sum()),
        Aggregate::Min => numbers(column.unwrap_or_default()).into_iter().reduce(f64::min).map_or(Value::Null, Value::Real),
        Aggregate::Max => numbers(column.unwrap_or_default()).into_iter().reduce(f64::max).map_or(Value::Null, Value::Real),
        Aggregate::Avg => {
            let v = numbers(column.unwrap_or_default());
            if v.is_empty() {
                Value::Null
            } else {
                Value::Real(v.iter().sum::<f64>() / v.len() as f64)
            }
        }
        Aggregate::RatioPct => {
            let num: f64 = numbers(column.unwrap_or_default()).iter().sum();
            let den: f64 = numbers(denominator.unwrap_or_default()).iter().sum();
            if den > 0.0 {
                Value::Real(100.0 * num / den)
            } else {
                Value::Null
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_named_queries() {
        let q = parse_sql_file("-- comment\n-- query: rows\nSELECT 1;\n-- query: kpis\nSELECT 2\n").unwrap();
        assert_eq!(
            q,
            [NamedQuery { name: "rows".into(), sql: "SELECT 1".into() }, NamedQuery { name: "kpis".into(), sql: "SELECT 2".into() },]
        );
        assert!(parse_sql_file("SELECT 1").is_err());
        assert!(parse_sql_file("-- query: a\nSELECT 1\n-- query: a\nSELECT 2").is_err());
    }

    fn spec_with(params: &str) -> ReportSpec {
        let text = format!(
            "key = \"k\"\ntitle = \"T\"\npillar = \"cost\"\norder = 1\ndescription = \"d\"\nrows = \"rows\"\n{params}\n[requires]\nnote = \"n\"\n"
        );
        toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn text_params_parse_validate_resolve_and_bind() {
        let names = ["rows".to_string(), "keys".to_string()];
        let spec = spec_with(
            "[[params]]\nname = \"key\"\nlabel = \"Key\"\ntext = true\ndefault = \"team\"\nchoices_query = \"keys\"\n\
             [[params]]\nname = \"rule\"\nlabel = \"Rule\"\ntext = true\ndefault = \"a\"\nchoices = [\"a\", \"b\"]\n\
             [[params]]\nname = \"n\"\nlabel = \"N\"\ndefault = 3\nmin = 1\nmax = 9\ninteger = true\n",
        );
        spec.validate(&names).unwrap();
        let given: BTreeMap<String, ParamValue> = [("key".to_string(), " cost_center ".into()), ("n".to_string(), "4".into())].into();
        let resolved = resolve_params(&spec, &given).unwrap();
        assert_eq!(resolved.texts, [("key".to_string(), "cost_center".to_string()), ("rule".to_string(), "a".to_string())].into());
        assert_eq!(resolved.numbers, [("n".to_string(), 4.0)].into());
        let bad = |k: &str, v: ParamValue| resolve_params(&spec, &[(k.to_string(), v)].into()).unwrap_err().to_string();
        assert_eq!(bad("rule", "c".into()), "Rule must be one of a, b (got \"c\").");
        assert_eq!(bad("n", "x".into()), "N must be a number (got \"x\").");
        assert_eq!(bad("key", ParamValue::Number(1.0)), "Key is a text, not a number (got 1).");
        // Bound as SQL text, numbers as reals.
        let conn = Connection::open_in_memory().unwrap();
        let f = ReportFilters { from: Date::from_ymd(2025, 1, 1), to: Date::from_ymd(2025, 1, 2), workspace: None };
        let data = run_query_with(&conn, "SELECT typeof(:key) AS t, :key AS k, typeof(:n) AS n", &f, &resolved).unwrap();
        assert_eq!(data.row_values(0), [Value::Text("text".into()), Value::Text("cost_center".into()), Value::Text("real".into())]);
        // A spec's mistakes name the param.
        let invalid = |params: &str| spec_with(params).validate(&names).unwrap_err();
        assert_eq!(
            invalid("[[params]]\nname = \"key\"\nlabel = \"K\"\ntext = true\ndefault = 1\n"),
            "param key is text: its default must be a string"
        );
        assert_eq!(
            invalid("[[params]]\nname = \"key\"\nlabel = \"K\"\ntext = true\ndefault = \"x\"\nchoices_query = \"nope\"\n"),
            "param key names unknown choices query \"nope\""
        );
        assert_eq!(
            invalid("[[params]]\nname = \"key\"\nlabel = \"K\"\ntext = true\ndefault = \"x\"\nchoices = [\"y\"]\n"),
            "param key default \"x\" is not one of its choices"
        );
        assert_eq!(
            invalid("[[params]]\nname = \"n\"\nlabel = \"N\"\ndefault = \"x\"\n"),
            "param n is a number: its default must be a number"
        );
    }

    #[test]
    fn a_with_section_is_shared_by_every_query() {
        let file = "-- about\n-- with:\nbase AS (SELECT 1 AS x),\n-- query: plain\n-- a comment\nSELECT x FROM base;\n\
                    -- query: own\nWITH more AS (SELECT x + 1 AS y FROM base) SELECT y FROM more\n\
                    -- query: recursive\nwith recursive n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n";
        let q = parse_sql_file(file).unwrap();
        assert_eq!(q[0].sql, "WITH base AS (SELECT 1 AS x)\nSELECT x FROM base");
        assert_eq!(q[1].sql, "WITH base AS (SELECT 1 AS x),\nmore AS (SELECT x + 1 AS y FROM base) SELECT y FROM more");
        assert_eq!(q[2].sql, "with recursive n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n", "base unread");
        let conn = Connection::open_in_memory().unwrap();
        let counts: Vec<i64> =
            q.iter().map(|q| conn.query_row(&format!("SELECT COUNT(*) FROM ({})", q.sql), [], |r| r.get(0)).unwrap()).collect();
        assert_eq!(counts, [1, 1, 3]);
        assert!(parse_sql_file("-- query: a\nSELECT 1\n-- with:\nb AS (SELECT 1)").is_err(), "after a query");
        assert!(parse_sql_file("-- with:\n-- query: a\nSELECT 1").is_err(), "empty");
    }

    #[test]
    fn a_query_gets_only_the_shared_expressions_it_reads() {
        let file = "-- with:\n-- the base rows\nbase AS (SELECT 1 AS x, ',' AS sep),\nnext AS MATERIALIZED (SELECT x + 1 AS y FROM base),\n\
                    other(z) AS (SELECT 'base -- (' FROM (SELECT 1))\n\
                    -- query: through\nSELECT y FROM next\n-- query: other\nSELECT z FROM other\n-- query: none\nSELECT 'next' AS base_name";
        let q = parse_sql_file(file).unwrap();
        assert_eq!(q[0].sql, "WITH -- the base rows\nbase AS (SELECT 1 AS x, ',' AS sep),\nnext AS MATERIALIZED (SELECT x + 1 AS y FROM base)\nSELECT y FROM next");
        assert_eq!(q[1].sql, "WITH other(z) AS (SELECT 'base -- (' FROM (SELECT 1))\nSELECT z FROM other", "names in strings do not count");
        assert_eq!(q[2].sql, "SELECT 'next' AS base_name");
        let conn = Connection::open_in_memory().unwrap();
        let first: Vec<String> = q
            .iter()
            .map(|q| conn.query_row(&q.sql, [], |r| r.get::<_, rusqlite::types::Value>(0)).map(|v| format!("{v:?}")).unwrap())
            .collect();
        assert_eq!(first, ["Integer(2)", "Text(\"base -- (\")", "Text(\"next\")"]);
        assert!(parse_sql_file("-- with:\n(SELECT 1)\n-- query: a\nSELECT 1").is_err(), "no name");
    }

    #[test]
    fn aggregates_with_filters() {
        let data = Dataset::from_rows(
            vec!["k".into(), "x".into(), "d".into()],
            vec![
                vec![Value::Text("a".into()), Value::Real(1.0), Value::Int(2)],
                vec![Value::Text("a".into()), Value::Real(3.0), Value::Int(2)],
                vec![Value::Text("b".into()), Value::Null, Value::Int(4)],
            ],
        );
        let gt1 = Condition::parse("x > 1").unwrap();
        assert_eq!(aggregate(&data, Aggregate::Sum, Some("x"), None, None), Value::Real(4.0));
        assert_eq!(aggregate(&data, Aggregate::Count, None, None, Some(&gt1)), Value::Int(1));
        assert_eq!(aggregate(&data, Aggregate::CountDistinct, Some("k"), None, None), Value::Int(2));
        assert_eq!(aggregate(&data, Aggregate::Avg, Some("x"), None, None), Value::Real(2.0));
        assert_eq!(aggregate(&data, Aggregate::RatioPct, Some("x"), Some("d"), None), Value::Real(50.0));
        assert_eq!(aggregate(&data, Aggregate::Min, Some("x"), None, Some(&Condition::parse("x > 9").unwrap())), Value::Null);
    }
}
