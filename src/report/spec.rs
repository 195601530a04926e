//! What a report spec (`sql/reports/<key>.toml`) may say, and its validation.
//!
//! A report is data: named SQL queries produce datasets; transforms derive more datasets;
//! KPIs aggregate datasets; charts and tables show them; entity mappings make rows
//! selectable; chip offers say which actions a selection gets.

use serde::{Deserialize, Serialize};

use super::expr::Condition;
use crate::base::vocab::{EntityType, SystemTable};

/// How a column's numbers are meant and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// US dollars (2 decimals).
    Usd,
    /// Percent, 0–100 (2 decimals).
    Pct,
    Count,
    Minutes,
    /// Hours (2 decimals), e.g. up and busy time.
    Hours,
    /// A plain ratio (3 decimals).
    Ratio,
    /// A dimensionless score (2 decimals).
    Score,
    /// A z-score in standard deviations (2 decimals).
    Zscore,
    Date,
    Text,
}

impl Unit {
    /// Decimal places kept in exported figures; `None` for non-numeric units.
    pub fn decimals(self) -> Option<u32> {
        match self {
            Unit::Usd | Unit::Pct | Unit::Score | Unit::Zscore | Unit::Hours => Some(2),
            Unit::Ratio => Some(3),
            Unit::Minutes => Some(1),
            Unit::Count => Some(0),
            Unit::Date | Unit::Text => None,
        }
    }
}

/// A report parameter, bound by name (`:<name>`) in the report's SQL. A number (the
/// default kind: `default`, `min`, `max`, optionally `integer`) or, with `text = true`, a
/// text: its `default` is a string, `choices` may fix the values it takes, and
/// `choices_query` may name a query of the report's SQL file whose first column lists the
/// values the data offers (shown as a select; other values stay allowed).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub help: String,
    /// Whole numbers only when true.
    #[serde(default)]
    pub integer: bool,
    /// A text parameter when true.
    #[serde(default)]
    pub text: bool,
    pub default: ParamDefault,
    #[serde(default)]
    pub min: f64,
    #[serde(default)]
    pub max: f64,
    /// The only values a text parameter takes (any text when empty).
    #[serde(default)]
    pub choices: Vec<String>,
    /// A query of the report's SQL file listing the values the data offers (first column).
    #[serde(default)]
    pub choices_query: Option<String>,
}

/// A parameter's default: a number, or a text for a text parameter.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ParamDefault {
    Number(f64),
    Text(String),
}

impl std::fmt::Display for ParamDefault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamDefault::Number(x) => write!(f, "{x}"),
            ParamDefault::Text(t) => f.write_str(t),
        }
    }
}

impl ParamSpec {
    /// The numeric default (0 for a text parameter).
    pub fn default_number(&self) -> f64 {
        match &self.default {
            ParamDefault::Number(x) => *x,
            ParamDefault::Text(_) => 0.0,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub name: String,
    pub label: String,
    pub unit: Unit,
    /// What the number means, in words a user understands.
    pub meaning: String,
    /// A helper column (flags, sort keys, labels) left out of the copilot's evidence.
    #[serde(default)]
    pub internal: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Sum,
    Count,
    CountDistinct,
    Min,
    Max,
    Avg,
    /// 100 × Σ column ÷ Σ denominator.
    RatioPct,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KpiSpec {
    pub name: String,
    pub label: String,
    pub unit: Unit,
    pub agg: Aggregate,
    /// Defaults to the report's main rows.
    pub dataset: Option<String>,
    pub column: Option<String>,
    pub denominator: Option<String>,
    #[serde(rename = "where")]
    pub filter: Option<String>,
    #[serde(default)]
    pub help: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SortKey {
    pub column: String,
    #[serde(default)]
    pub desc: bool,
    /// Sort by absolute value.
    #[serde(default)]
    pub abs: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TransformSpec {
    /// For each day after `warmup` days, z = (x − mean) / std over the previous `window`
    /// values of the same partition; flags |z| ≥ threshold. Parameters name report params.
    /// With `fill_missing_days`, `order` is a date column and every partition gets a row
    /// for each day of the report's range (a copy of its first row with `value` = 0).
    RollingZscore {
        input: String,
        output: String,
        partition: Vec<String>,
        order: String,
        value: String,
        window: String,
        warmup: String,
        threshold: String,
        #[serde(default)]
        fill_missing_days: bool,
        /// Columns that hold a whole partition's series in one row (`transform::Packed`);
        /// rows without them are one day each.
        #[serde(default)]
        packed: Option<PackedSpec>,
    },
    /// Keeps the rows for which the condition holds.
    Filter {
        input: String,
        output: String,
        #[serde(rename = "where")]
        filter: String,
    },
    /// Stable sort by keys.
    Sort { input: String, output: String, by: Vec<SortKey> },
    /// One summary row per partition of a dated series (`report::change_point`): its
    /// median, the day its median shifts most with the medians before and after, and its
    /// slope per day. `min_side` names the param giving the points each side of a split needs.
    ChangePoint { input: String, output: String, partition: Vec<String>, order: String, value: String, min_side: String },
    /// The calendar month of the report's last day as a burn-down per partition of a daily
    /// series (`report::forecast`): actual running total, then a weekday-aware forecast to
    /// the month's end with a 90 % interval; `limit` names a column holding the month's
    /// limit (a budget). `trailing_weeks` names the param giving the weeks the forecast
    /// learns from.
    MonthForecast {
        input: String,
        output: String,
        partition: Vec<String>,
        order: String,
        value: String,
        trailing_weeks: String,
        limit: Option<String>,
    },
    /// Sets `column` to the value of the first case whose condition holds on the row, or
    /// to `default`.
    Classify { input: String, output: String, column: String, cases: Vec<ClassCase>, default: String },
    /// Splits the amount in column `amount` (read from the first row) over the rows in
    /// proportion to column `weight`, in whole units of 1 ÷ `scale` (default 100: cents),
    /// by the largest-remainder method, so the shares sum to the amount exactly
    /// (`transform::apportion`). Writes `share`, and optionally `total` (weight + share)
    /// and `pct` (the row's part of Σ weights + amount, in %).
    Apportion {
        input: String,
        output: String,
        weight: String,
        amount: String,
        #[serde(default = "default_scale")]
        scale: i64,
        share: String,
        #[serde(default)]
        total: Option<String>,
        #[serde(default)]
        pct: Option<String>,
    },
}

fn default_scale() -> i64 {
    100
}

/// One case of a `classify` transform.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassCase {
    #[serde(rename = "when")]
    pub condition: String,
    pub value: String,
}

impl TransformSpec {
    pub fn input(&self) -> &str {
        match self {
            TransformSpec::RollingZscore { input, .. }
            | TransformSpec::Filter { input, .. }
            | TransformSpec::Sort { input, .. }
            | TransformSpec::ChangePoint { input, .. }
            | TransformSpec::MonthForecast { input, .. }
            | TransformSpec::Classify { input, .. }
            | TransformSpec::Apportion { input, .. } => input,
        }
    }

    pub fn output(&self) -> &str {
        match self {
            TransformSpec::RollingZscore { output, .. }
            | TransformSpec::Filter { output, .. }
            | TransformSpec::Sort { output, .. }
            | TransformSpec::ChangePoint { output, .. }
            | TransformSpec::MonthForecast { output, .. }
            | TransformSpec::Classify { output, .. }
            | TransformSpec::Apportion { output, .. } => output,
        }
    }
}

/// The columns of a packed series row: the date of its first day and two BLOBs (one byte
/// per day saying what the day holds, eight bytes per day of value).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PackedSpec {
    pub from: String,
    pub kinds: String,
    pub values: String,
}

/// A bar series (or a line/marker series on the secondary axis).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSpec {
    pub column: String,
    pub label: String,
    pub stack: Option<String>,
    pub color: Option<String>,
    /// Drawn but not seen: a stacked series that only lifts the next one off the axis (the
    /// running total under a waterfall's step). It has no colour, legend entry, tooltip or
    /// click.
    #[serde(default)]
    pub invisible: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondaryKind {
    Line,
    Markers,
}

/// A series on its own value axis (percentages next to dollars, say).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecondarySpec {
    pub column: String,
    pub label: String,
    pub kind: SecondaryKind,
    pub unit: Unit,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub color: Option<String>,
    /// Dashed reference line on this axis (e.g. 80 for a Pareto chart).
    pub reference: Option<f64>,
    pub reference_label: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChartKind {
    /// Bars per category (stacked when series share a `stack`), largest first.
    Bar {
        category: String,
        series: Vec<SeriesSpec>,
        #[serde(default)]
        horizontal: bool,
        unit: Unit,
        limit: Option<usize>,
        secondary: Option<SecondarySpec>,
        /// Column whose text labels each bar (defaults to the values).
        label: Option<String>,
    },
    /// One line per value of `split_by`, over `x`.
    Line { x: String, y: String, split_by: String, unit: Unit },
    /// Points at (x, y), sized by `size`, coloured by `color`.
    Scatter { x: String, y: String, size: String, color: String, label: String, x_unit: Unit, y_unit: Unit },
    /// Cells of `value` at (x, y).
    Heatmap { x: String, y: String, value: String },
    /// A value over time with its expected band and flagged points, one facet at a time.
    BandTimeline {
        x: String,
        value: String,
        expected: String,
        lower: String,
        upper: String,
        flag: String,
        severity: String,
        facet: String,
        facet_label: String,
    },
    /// A month's running total against a limit, one facet (budget) at a time: `actual` up to
    /// the as-of day, then `forecast` with its interval (`low`, `high`), and `limit` as a line.
    BurnDown { x: String, actual: String, forecast: String, low: String, high: String, limit: String, facet: String, facet_label: String },
}

impl ChartKind {
    /// The column naming the facets of a chart drawn one facet at a time.
    pub fn facet_column(&self) -> Option<&str> {
        match self {
            ChartKind::BandTimeline { facet, .. } | ChartKind::BurnDown { facet, .. } => Some(facet),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ChartSpec {
    pub id: String,
    pub title: String,
    pub dataset: String,
    #[serde(default = "default_chart_height")]
    pub height: u32,
    #[serde(default)]
    pub help: String,
    #[serde(flatten)]
    pub kind: ChartKind,
}

fn default_chart_height() -> u32 {
    360
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub id: String,
    pub title: String,
    pub dataset: String,
    pub columns: Vec<String>,
    #[serde(rename = "where")]
    pub filter: Option<String>,
    /// Shown when the table is empty.
    #[serde(default)]
    pub empty: String,
    #[serde(default)]
    pub help: String,
}

/// Makes the rows of a dataset selectable: what entity a row stands for.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EntityMapping {
    pub dataset: String,
    /// What a row stands for; an unknown type is an error naming the spec file.
    pub entity_type: EntityType,
    /// Template with `{column}` placeholders, e.g. `"{job_id}"`.
    pub id: String,
    pub label: String,
    /// Only rows matching this condition are selectable.
    #[serde(rename = "where")]
    pub filter: Option<String>,
}

/// A chip the report offers for a selection, optionally only when a condition holds.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChipOffer {
    pub id: String,
    #[serde(rename = "when")]
    pub condition: Option<String>,
}

/// An optional system table that completes a report, and what it adds.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OptionalTable {
    pub table: SystemTable,
    /// What the report shows only with it ("runs, failures and success rates").
    pub adds: String,
}

/// What a report needs from imported data, checked by `report::coverage` so the import
/// page can say which reports the files power and why not. Requirements are checked in
/// the order of the fields.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    /// System tables that must all have rows.
    #[serde(default)]
    pub tables: Vec<SystemTable>,
    /// Some usage must carry a list price.
    #[serde(default)]
    pub priced_usage: bool,
    /// Some priced usage must belong to job runs (`usage_metadata.job_id`).
    #[serde(default)]
    pub job_usage: bool,
    /// At least one of these tables must have rows.
    #[serde(default)]
    pub any_of: Vec<SystemTable>,
    /// Days of usage needed.
    #[serde(default)]
    pub min_days: u32,
    /// Tables that complete the picture; named in the note when missing.
    #[serde(default)]
    pub optional: Vec<OptionalTable>,
    /// Set when the import does not map what the report needs from the files yet: the
    /// report is then not available from imported files, and this says why.
    #[serde(default)]
    pub not_imported: Option<String>,
    /// Shown when the report is available; `{name}` quotes a figure of the import
    /// (`usage_days`, `spot_observed_runs`, `spot_configured_runs`, `spot_unknown_runs`).
    pub note: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    pub key: String,
    pub title: String,
    pub pillar: String,
    /// Position within its pillar in the navigation.
    pub order: u32,
    pub description: String,
    /// The dataset that is "the report's rows" (CLI output, CSV of the main table).
    pub rows: String,
    /// Formulas and caveats shown with the report.
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub params: Vec<ParamSpec>,
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    #[serde(default)]
    pub transforms: Vec<TransformSpec>,
    #[serde(default)]
    pub kpis: Vec<KpiSpec>,
    #[serde(default)]
    pub charts: Vec<ChartSpec>,
    #[serde(default)]
    pub tables: Vec<TableSpec>,
    #[serde(default)]
    pub entities: Vec<EntityMapping>,
    #[serde(default)]
    pub chips: Vec<ChipOffer>,
    /// What the report needs from imported system tables.
    pub requires: Requirements,
    /// An editor for user-kept inputs the report's SQL reads, shown above the report.
    #[serde(default)]
    pub editor: Option<ReportEditor>,
}

/// User-kept inputs a report page lets the user edit (the page shows the matching editor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportEditor {
    /// The dataset's monthly budgets (`data::budgets`, the temp table `budgets`).
    Budgets,
}

impl ReportSpec {
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn unit_of(&self, column: &str) -> Unit {
        self.column(column).map(|c| c.unit).unwrap_or(Unit::Text)
    }

    pub fn label_of<'a>(&'a self, column: &'a str) -> &'a str {
        self.column(column).map(|c| c.label.as_str()).unwrap_or(column)
    }

    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Checks what can be checked without running SQL: conditions parse, names refer to
    /// declared columns, params and datasets. `query_names` are the SQL file's queries.
    pub fn validate(&self, query_names: &[String]) -> Result<(), String> {
        let mut datasets: Vec<&str> = query_names.iter().map(String::as_str).collect();
        for t in &self.transforms {
            if !datasets.contains(&t.input()) {
                return Err(format!("transform reads unknown dataset {:?}", t.input()));
            }
            if let TransformSpec::RollingZscore { window, warmup, threshold, .. } = t {
                for p in [window, warmup, threshold] {
                    match self.param(p) {
                        None => return Err(format!("transform names unknown param {p:?}")),
                        Some(spec) if spec.text => return Err(format!("transform param {p:?} must be a number")),
                        Some(_) => {}
                    }
                }
            }
            if let TransformSpec::Filter { filter, .. } = t {
                Condition::parse(filter).map_err(|e| e.to_string())?;
            }
            let whole_param = match t {
                TransformSpec::ChangePoint { min_side, .. } => Some(min_side),
                TransformSpec::MonthForecast { trailing_weeks, .. } => Some(trailing_weeks),
                _ => None,
            };
            if let Some(min_side) = whole_param {
                match self.param(min_side) {
                    Some(p) if p.integer && !p.text && p.min >= 1.0 => {}
                    Some(_) => return Err(format!("transform param {min_side:?} must be a whole number of at least 1")),
                    None => return Err(format!("transform names unknown param {min_side:?}")),
                }
            }
            if let TransformSpec::Apportion { scale, .. } = t {
                if *scale < 1 {
                    return Err(format!("transform {} needs a scale of at least 1", t.output()));
                }
            }
            if let TransformSpec::Classify { cases, .. } = t {
                for case in cases {
                    Condition::parse(&case.condition).map_err(|e| e.to_string())?;
                }
            }
            datasets.push(t.output());
        }
        let known = |d: &str| datasets.contains(&d);
        if !known(&self.rows) {
            return Err(format!("rows names unknown dataset {:?}", self.rows));
        }
        let declared = |c: &str| self.column(c).is_some();
        let conditions = self
            .kpis
            .iter()
            .filter_map(|k| k.filter.as_deref())
            .chain(self.tables.iter().filter_map(|t| t.filter.as_deref()))
            .chain(self.entities.iter().filter_map(|e| e.filter.as_deref()))
            .chain(self.chips.iter().filter_map(|c| c.condition.as_deref()));
        for text in conditions {
            let cond = Condition::parse(text).map_err(|e| e.to_string())?;
            if let Some(c) = cond.columns().into_iter().find(|c| !declared(c)) {
                return Err(format!("condition {text:?} reads undeclared column {c:?}"));
            }
        }
        for k in &self.kpis {
            if let Some(d) = &k.dataset {
                if !known(d) {
                    return Err(format!("KPI {} reads unknown dataset {d:?}", k.name));
                }
            }
            if k.agg != Aggregate::Count && k.column.is_none() {
                return Err(format!("KPI {} needs a column", k.name));
            }
        }
        for c in &self.charts {
            if !known(&c.dataset) {
                return Err(format!("chart {} reads unknown dataset {:?}", c.id, c.dataset));
            }
        }
        for t in &self.tables {
            if !known(&t.dataset) {
                return Err(format!("table {} reads unknown dataset {:?}", t.id, t.dataset));
            }
            if let Some(c) = t.columns.iter().find(|c| !declared(c)) {
                return Err(format!("table {} shows undeclared column {c:?}", t.id));
            }
        }
        for e in &self.entities {
            if !known(&e.dataset) {
                return Err(format!("entity mapping reads unknown dataset {:?}", e.dataset));
            }
        }
        for p in &self.params {
            match (&p.default, p.text) {
                (ParamDefault::Number(x), false) => {
                    if !(p.min <= *x && *x <= p.max) {
                        return Err(format!("param {} default {x} is outside {}..{}", p.name, p.min, p.max));
                    }
                    if !p.choices.is_empty() || p.choices_query.is_some() {
                        return Err(format!("param {} is a number: choices are for text params", p.name));
                    }
                }
                (ParamDefault::Text(t), true) => {
                    if !p.choices.is_empty() && !p.choices.contains(t) {
                        return Err(format!("param {} default {t:?} is not one of its choices", p.name));
                    }
                    if let Some(q) = &p.choices_query {
                        if !query_names.contains(q) {
                            return Err(format!("param {} names unknown choices query {q:?}", p.name));
                        }
                    }
                }
                (_, true) => return Err(format!("param {} is text: its default must be a string", p.name)),
                (_, false) => return Err(format!("param {} is a number: its default must be a number", p.name)),
            }
        }
        Ok(())
    }
}
