//! Dataset transforms a report spec can ask for: rolling z-scores (cost anomalies),
//! filters and sorts. Exact and deterministic: two-pass mean and variance per window.
//!
//! The rolling z-score works one partition at a time on a plain `f64` series and writes its
//! output column by column ([`Column`]): the partition's text (ids, labels) is coded once per
//! partition, dates once per day of the range, and the scores are flat numbers. Its input
//! is either one row per day with spend (the long form), or one row per partition holding
//! its daily series packed in two BLOBs (see [`Packed`]), as the series aggregate gives it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::dataset::{Column, Dataset, Value};
use super::expr::{Condition, Op, Operand};
use super::spec::SortKey;

/// Settings of the rolling z-score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZscoreSettings {
    /// Days of history each baseline uses.
    pub window: usize,
    /// Days at the start of each series that are never scored.
    pub warmup: usize,
    /// |z| at or above which a day is an anomaly.
    pub threshold: f64,
}

/// Severity for a flagged |z|: medium below threshold + 1, high below threshold + 2,
/// critical above. Returns (label, rank) with rank 1..3.
pub fn severity(abs_z: f64, threshold: f64) -> (&'static str, i64) {
    if abs_z >= threshold + 2.0 {
        ("critical", 3)
    } else if abs_z >= threshold + 1.0 {
        ("high", 2)
    } else {
        ("medium", 1)
    }
}

/// Columns of a packed series row: `from` is the date of its first day, `kinds` a BLOB of
/// one byte per day from there ([`KIND_NONE`] no usage, [`KIND_REAL`] or [`KIND_INT`] a sum,
/// [`KIND_NULL`] usage whose cost is NULL) and `values` a BLOB of 8 little-endian bytes per
/// day (the `f64` or `i64` of the sum; zero otherwise). The days are consecutive calendar
/// days inside the report's range.
#[derive(Clone, Copy, Debug)]
pub struct Packed<'a> {
    pub from: &'a str,
    pub kinds: &'a str,
    pub values: &'a str,
}

pub const KIND_NONE: u8 = 0;
pub const KIND_REAL: u8 = 1;
pub const KIND_INT: u8 = 2;
pub const KIND_NULL: u8 = 3;

/// What the rolling z-score reads: the partition columns, the order (date) and value
/// columns, and the packed-series columns when the input has them.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    pub partition: &'a [String],
    pub order: &'a str,
    pub value: &'a str,
    pub packed: Option<Packed<'a>>,
}

/// A day of a partition's series: the row its other cells come from, its date and value.
#[derive(Clone, Copy)]
struct Day {
    src: usize,
    date: DateCell,
    value: ValueCell,
}

#[derive(Clone, Copy)]
enum DateCell {
    /// `days[k]`.
    Day(usize),
    /// The row's own order value.
    Row(usize),
}

#[derive(Clone, Copy)]
enum ValueCell {
    /// The row's own value.
    Row(usize),
    /// A day the series lacks: $0.
    Zero,
    Real(f64),
    Int(i64),
    Null,
}

/// Adds to each partition's daily series (partitions in key order, days in date order) the
/// columns `expected_usd`, `std_usd`, `lower_usd`, `upper_usd`, `z_score`, `deviation_usd`,
/// `deviation_pct`, `baseline_days`, `is_anomaly`, `severity`, `severity_rank`; the packed
/// columns are not part of the output.
///
/// With `fill`, every partition gets a row for each of `days` (the report's range, in
/// order): a day without a row is a copy of the partition's first row with the date set to
/// the day and the value $0; rows whose date is not one of `days` are kept in date order
/// where they fall. Without it, a partition's rows are its days.
///
/// Day i of a partition (0-based) is scored when i ≥ warmup: its baseline is the previous
/// min(i, window) values, mean and population standard deviation. A baseline with zero
/// spread cannot score a day (z stays null), so flat series raise nothing. NULL values
/// count as $0 in the arithmetic and stay NULL in `value`.
pub fn rolling_zscore(data: &Dataset, series: &Series<'_>, days: &[String], fill: bool, settings: ZscoreSettings) -> Dataset {
    let key_columns: Vec<usize> = series.partition.iter().filter_map(|p| data.column_index(p)).collect();
    let order_column = data.column_index(series.order);
    let value_column = data.column_index(series.value);
    let packed = series.packed.and_then(|p| Some((data.column_index(p.from)?, data.column_index(p.kinds)?, data.column_index(p.values)?)));
    let packed_columns: Vec<usize> = packed.map(|(a, b, c)| vec![a, b, c]).unwrap_or_default();

    // Partitions in key order; consecutive rows with equal keys share one key string.
    let mut groups: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    let mut previous: Option<(usize, Vec<String>)> = None;
    for i in 0..data.len() {
        let same = previous.as_ref().is_some_and(|(p, _)| key_columns.iter().all(|&c| data.cell(*p, c) == data.cell(i, c)));
        if !same {
            let key: Vec<String> = key_columns.iter().map(|&c| data.cell(i, c).to_string()).collect();
            previous = Some((i, key));
        }
        let key = &previous.as_ref().expect("set above").1;
        match groups.get_mut(key) {
            Some(rows) => rows.push(i),
            None => {
                groups.insert(key.clone(), vec![i]);
            }
        }
    }

    let mut out = Output::new(data.len().max(groups.len() * days.len()));
    let mut values: Vec<f64> = Vec::new();
    for rows in groups.values() {
        let partition = partition_days(data, rows, packed, order_column, days, fill);
        if partition.is_empty() {
            continue;
        }
        values.clear();
        values.extend(partition.iter().map(|d| number(data, value_column, d.value)));
        out.score(&values, settings);
        out.days.extend_from_slice(&partition);
    }
    out.finish(data, &packed_columns, order_column, value_column, days)
}

fn number(data: &Dataset, value_column: Option<usize>, cell: ValueCell) -> f64 {
    match cell {
        ValueCell::Row(i) => value_column.and_then(|c| data.column(c)).and_then(|col| col.f64_at(i)).unwrap_or(0.0),
        ValueCell::Zero | ValueCell::Null => 0.0,
        ValueCell::Real(x) => x,
        ValueCell::Int(n) => n as f64,
    }
}

/// The days of one partition, in order, filled when asked.
fn partition_days(
    data: &Dataset,
    rows: &[usize],
    packed: Option<(usize, usize, usize)>,
    order_column: Option<usize>,
    days: &[String],
    fill: bool,
) -> Vec<Day> {
    let mut members: Vec<Day> = Vec::new();
    let mut sorted = true;
    for &i in rows {
        let unpacked = packed.and_then(|(from, kinds, values)| {
            let kinds = data.column(kinds)?.bytes_at(i)?;
            let values = data.column(values)?.bytes_at(i)?;
            let start = days.binary_search_by(|d| d.as_str().cmp(&data.cell(i, from).to_string())).ok()?;
            Some((start, kinds, values))
        });
        match unpacked {
            Some((start, kinds, values)) => {
                sorted &= members.is_empty();
                for (j, &kind) in kinds.iter().enumerate().take(days.len() - start) {
                    let bits = values.get(8 * j..8 * j + 8).map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
                    let value = match kind {
                        KIND_REAL => ValueCell::Real(f64::from_bits(bits)),
                        KIND_INT => ValueCell::Int(bits as i64),
                        KIND_NULL => ValueCell::Null,
                        _ => continue,
                    };
                    members.push(Day { src: i, date: DateCell::Day(start + j), value });
                }
            }
            None if packed.is_some_and(|(_, kinds, _)| data.column(kinds).and_then(|c| c.bytes_at(i)).is_some()) => {}
            None => {
                sorted = false;
                members.push(Day { src: i, date: DateCell::Row(i), value: ValueCell::Row(i) });
            }
        }
    }
    let order_text = |d: &Day| -> String {
        match d.date {
            DateCell::Day(k) => days[k].clone(),
            DateCell::Row(i) => order_column.map(|c| data.cell(i, c).to_string()).unwrap_or_default(),
        }
    };
    if !sorted {
        let mut keyed: Vec<(String, Day)> = members.iter().map(|d| (order_text(d), *d)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        members = keyed.into_iter().map(|(_, d)| d).collect();
    }
    if !fill || order_column.is_none() || members.is_empty() {
        return members;
    }
    let first = members[0].src;
    let mut out = Vec::with_capacity(days.len().max(members.len()));
    let mut next = members.iter().peekable();
    for (k, day) in days.iter().enumerate() {
        // Rows outside the range (or repeated days) are kept in order as they come.
        while let Some(m) = next.peek() {
            match m.date {
                DateCell::Day(j) if j < k => out.push(*next.next().expect("peeked")),
                DateCell::Row(_) if order_text(m).as_str() < day.as_str() => out.push(*next.next().expect("peeked")),
                _ => break,
            }
        }
        match next.peek() {
            Some(m) if matches!(m.date, DateCell::Day(j) if j == k) => out.push(*next.next().expect("peeked")),
            Some(m) if matches!(m.date, DateCell::Row(_)) && order_text(m) == *day => {
                let m = *next.next().expect("peeked");
                out.push(Day { date: DateCell::Day(k), ..m });
            }
            _ => out.push(Day { src: first, date: DateCell::Day(k), value: ValueCell::Zero }),
        }
    }
    out.extend(next.copied());
    out
}

/// The scored series being written, column by column.
struct Output {
    days: Vec<Day>,
    expected: Vec<f64>,
    std: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    z: Vec<f64>,
    deviation: Vec<f64>,
    deviation_pct: Vec<f64>,
    baseline_days: Vec<i64>,
    flagged: Vec<i64>,
    severity: Vec<u32>,
    severity_rank: Vec<i64>,
}

impl Output {
    fn new(capacity: usize) -> Output {
        Output {
            days: Vec::with_capacity(capacity),
            expected: Vec::with_capacity(capacity),
            std: Vec::with_capacity(capacity),
            lower: Vec::with_capacity(capacity),
            upper: Vec::with_capacity(capacity),
            z: Vec::with_capacity(capacity),
            deviation: Vec::with_capacity(capacity),
            deviation_pct: Vec::with_capacity(capacity),
            baseline_days: Vec::with_capacity(capacity),
            flagged: Vec::with_capacity(capacity),
            severity: Vec::with_capacity(capacity),
            severity_rank: Vec::with_capacity(capacity),
        }
    }

    /// Scores one partition's values (NaN in a real column stands for NULL).
    fn score(&mut self, values: &[f64], settings: ZscoreSettings) {
        for (offset, &x) in values.iter().enumerate() {
            if offset < settings.warmup || offset == 0 {
                for col in [&mut self.expected, &mut self.std, &mut self.lower, &mut self.upper, &mut self.z, &mut self.deviation] {
                    col.push(f64::NAN);
                }
                self.deviation_pct.push(f64::NAN);
                self.baseline_days.push(0);
                self.flagged.push(0);
                self.severity.push(0);
                self.severity_rank.push(0);
                continue;
            }
            let from = offset.saturating_sub(settings.window);
            let base = &values[from..offset];
            let count = base.len() as f64;
            let mean = base.iter().sum::<f64>() / count;
            let variance = base.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / count;
            let std = variance.sqrt();
            self.expected.push(mean);
            self.std.push(std);
            self.lower.push(mean - settings.threshold * std);
            self.upper.push(mean + settings.threshold * std);
            self.deviation.push(x - mean);
            self.deviation_pct.push(if mean > 0.0 { 100.0 * (x - mean) / mean } else { f64::NAN });
            self.baseline_days.push(base.len() as i64);
            let (mut z, mut flag, mut sev, mut rank) = (f64::NAN, 0, 0, 0);
            if std > 0.0 {
                z = (x - mean) / std;
                if z.abs() >= settings.threshold {
                    let (_, r) = severity(z.abs(), settings.threshold);
                    (flag, sev, rank) = (1, r as u32, r);
                }
            }
            self.z.push(z);
            self.flagged.push(flag);
            self.severity.push(sev);
            self.severity_rank.push(rank);
        }
    }

    fn finish(
        self,
        data: &Dataset,
        packed: &[usize],
        order_column: Option<usize>,
        value_column: Option<usize>,
        days: &[String],
    ) -> Dataset {
        let mut names = Vec::new();
        let mut columns = Vec::new();
        for (c, name) in data.columns.iter().enumerate() {
            if packed.contains(&c) {
                continue;
            }
            let column = if Some(c) == order_column {
                let mut dict: Vec<Value> = days.iter().map(|d| Value::Text(d.clone())).collect();
                let codes = self
                    .days
                    .iter()
                    .map(|d| match d.date {
                        DateCell::Day(k) => k as u32,
                        DateCell::Row(i) => {
                            dict.push(data.cell(i, c).clone());
                            (dict.len() - 1) as u32
                        }
                    })
                    .collect();
                Column::Coded { codes, dict: Arc::new(dict) }
            } else if Some(c) == value_column {
                value_cells(data, c, &self.days)
            } else {
                match data.column(c) {
                    Some(Column::Coded { codes, dict }) => {
                        Column::Coded { codes: self.days.iter().map(|d| codes[d.src]).collect(), dict: Arc::clone(dict) }
                    }
                    _ => {
                        let dict: Vec<Value> = (0..data.len()).map(|i| data.cell(i, c).clone()).collect();
                        Column::Coded { codes: self.days.iter().map(|d| d.src as u32).collect(), dict: Arc::new(dict) }
                    }
                }
            };
            names.push(name.clone());
            columns.push(column);
        }
        let severities =
            Arc::new([Value::Null, Value::Text("medium".into()), Value::Text("high".into()), Value::Text("critical".into())].to_vec());
        let computed = [
            ("expected_usd", Column::reals(self.expected)),
            ("std_usd", Column::reals(self.std)),
            ("lower_usd", Column::reals(self.lower)),
            ("upper_usd", Column::reals(self.upper)),
            ("z_score", Column::reals(self.z)),
            ("deviation_usd", Column::reals(self.deviation)),
            ("deviation_pct", Column::reals(self.deviation_pct)),
            ("baseline_days", Column::ints(self.baseline_days)),
            ("is_anomaly", Column::ints(self.flagged)),
            ("severity", Column::Coded { codes: self.severity, dict: severities }),
            ("severity_rank", Column::ints(self.severity_rank)),
        ];
        for (name, column) in computed {
            match names.iter().position(|n| n == name) {
                Some(at) => columns[at] = column,
                None => {
                    names.push(name.to_string());
                    columns.push(column);
                }
            }
        }
        Dataset::from_columns(names, columns)
    }
}

/// The value column: flat reals when every day is a real, NULL or $0; values otherwise.
fn value_cells(data: &Dataset, c: usize, days: &[Day]) -> Column {
    let cell = |d: &Day| -> Value {
        match d.value {
            ValueCell::Row(i) => data.cell(i, c).clone(),
            ValueCell::Zero => Value::Real(0.0),
            ValueCell::Real(x) => Value::Real(x),
            ValueCell::Int(n) => Value::Int(n),
            ValueCell::Null => Value::Null,
        }
    };
    let real = |d: &Day| -> Option<f64> {
        match d.value {
            ValueCell::Row(i) => match data.cell(i, c) {
                Value::Real(x) if !x.is_nan() => Some(*x),
                Value::Null => Some(f64::NAN),
                _ => None,
            },
            ValueCell::Zero => Some(0.0),
            ValueCell::Real(x) if !x.is_nan() => Some(x),
            ValueCell::Null => Some(f64::NAN),
            ValueCell::Real(_) | ValueCell::Int(_) => None,
        }
    };
    let reals: Option<Vec<f64>> = days.iter().map(real).collect();
    match reals {
        Some(reals) => Column::reals(reals),
        None => Column::Values(days.iter().map(cell).collect()),
    }
}

/// Indexes of the rows for which `condition` holds, in order.
pub fn matching_rows(data: &Dataset, condition: &Condition) -> Vec<usize> {
    // `column <op> number` (`is_anomaly == 1` over a scored series): read the numbers as they
    // are stored, without making a value per row. Same outcome as `Condition::eval`.
    if let Condition::Compare { left: Operand::Column(name), op, right: Operand::Number(n) } = condition {
        if let Some(column) = data.column_index(name).and_then(|c| data.column(c)) {
            let holds = |o: std::cmp::Ordering| match op {
                Op::Gt => o.is_gt(),
                Op::Ge => o.is_ge(),
                Op::Lt => o.is_lt(),
                Op::Le => o.is_le(),
                Op::Eq => o.is_eq(),
                Op::Ne => o.is_ne(),
            };
            return (0..data.len()).filter(|&i| column.f64_at(i).and_then(|x| x.partial_cmp(n)).is_some_and(holds)).collect();
        }
    }
    let wanted: Vec<(&str, usize)> = condition.columns().into_iter().filter_map(|c| Some((c, data.column_index(c)?))).collect();
    (0..data.len()).filter(|&i| condition.eval(&|c| wanted.iter().find(|(name, _)| *name == c).map(|&(_, at)| data.cell(i, at)))).collect()
}

/// Rows for which `condition` holds, in order.
pub fn filter(data: &Dataset, condition: &Condition) -> Dataset {
    data.take(&matching_rows(data, condition))
}

/// True when the rows are already in the order `sort` would give.
pub fn is_sorted(data: &Dataset, keys: &[SortKey]) -> bool {
    let keys = resolve(data, keys);
    (1..data.len()).all(|i| compare_rows(data, &keys, i - 1, i).is_le())
}

/// Sort keys with their column indexes (`None`: a column the dataset lacks, all NULL).
fn resolve<'k>(data: &Dataset, keys: &'k [SortKey]) -> Vec<(&'k SortKey, Option<usize>)> {
    keys.iter().map(|k| (k, data.column_index(&k.column))).collect()
}

fn compare_rows(data: &Dataset, keys: &[(&SortKey, Option<usize>)], a: usize, b: usize) -> std::cmp::Ordering {
    const NULL: Value = Value::Null;
    for (key, column) in keys {
        let (va, vb) = match column {
            Some(c) => (data.cell(a, *c), data.cell(b, *c)),
            None => (&NULL, &NULL),
        };
        let ord = if key.abs {
            let abs = |v: &Value| v.as_f64().map(|x| Value::Real(x.abs()));
            match (abs(va), abs(vb)) {
                (Some(x), Some(y)) => x.sort_cmp(&y),
                (Some(x), None) => x.sort_cmp(vb),
                (None, Some(y)) => va.sort_cmp(&y),
                (None, None) => va.sort_cmp(vb),
            }
        } else {
            va.sort_cmp(vb)
        };
        let ord = if key.desc { ord.reverse() } else { ord };
        if ord.is_ne() {
            return ord;
        }
    }
    std::cmp::Ordering::Equal
}

/// Stable sort by the keys in order.
pub fn sort(data: &Dataset, keys: &[SortKey]) -> Dataset {
    let resolved = resolve(data, keys);
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by(|&a, &b| compare_rows(data, &resolved, a, b));
    data.take(&order)
}

/// A copy of `data` with `column` set on every row to the value of the first case whose
/// condition holds there, or to `default` (replacing the column if it exists).
pub fn classify(data: &Dataset, column: &str, cases: &[(Condition, &str)], default: &str) -> Dataset {
    let labels: Vec<&str> = (0..data.len())
        .map(|i| {
            let cell = |name: &str| data.column_index(name).map(|at| data.cell(i, at));
            cases.iter().find(|(condition, _)| condition.eval(&cell)).map_or(default, |(_, value)| value)
        })
        .collect();
    let mut out = data.clone();
    out.set_column(column, |i| Value::Text(labels[i].to_string()));
    out
}

/// What an [`apportion`] reads and writes.
pub struct Apportion<'a> {
    /// Each row's weight (negative weights count as 0).
    pub weight: &'a str,
    /// The amount to split, read from the first row.
    pub amount: &'a str,
    /// Units per 1 of the columns' values (100: cents of a dollar).
    pub scale: i64,
    /// Written: the row's share of the amount.
    pub share: &'a str,
    /// Written when given: weight + share.
    pub total: Option<&'a str>,
    /// Written when given: 100 × (weight + share) ÷ (Σ weights + amount), the row's part of
    /// the whole.
    pub pct: Option<&'a str>,
}

/// Splits an amount over the rows in proportion to their weights, in whole units of
/// 1 ÷ `scale` (cents when `scale` is 100), so that the shares sum to the amount exactly:
/// weights and amount are first rounded to whole units (half away from zero); each row gets
/// ⌊|amount| × weight ÷ Σ weights⌋ units, then the units left over go one each to the rows
/// with the largest remainders (ties: the earlier row), and the sign of the amount is put
/// back (the largest-remainder method). With no positive weight every share is 0. Exact
/// in 128-bit integers.
pub fn apportion(data: &Dataset, a: &Apportion<'_>) -> Dataset {
    let scale = a.scale.max(1) as f64;
    let units = |v: &Value| v.as_f64().map_or(0, |x| (x * scale).round() as i128);
    let weights: Vec<i128> = (0..data.len()).map(|i| units(data.get(i, a.weight)).max(0)).collect();
    let amount = if data.is_empty() { 0 } else { units(data.get(0, a.amount)) };
    let sum: i128 = weights.iter().sum();
    let mut shares: Vec<i128> = vec![0; weights.len()];
    if sum > 0 {
        let whole = amount.abs();
        let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
        for (i, w) in weights.iter().enumerate() {
            shares[i] = whole * w / sum;
            remainders.push((whole * w % sum, i));
        }
        let left = whole - shares.iter().sum::<i128>();
        remainders.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        for (_, i) in remainders.into_iter().take(left as usize) {
            shares[i] += 1;
        }
        if amount < 0 {
            shares.iter_mut().for_each(|s| *s = -*s);
        }
    }
    let raw_weights: Vec<i128> = (0..data.len()).map(|i| units(data.get(i, a.weight))).collect();
    let whole: i128 = raw_weights.iter().sum::<i128>() + amount;
    let mut out = data.clone();
    out.set_column(a.share, |i| Value::Real(shares[i] as f64 / scale));
    if let Some(total) = a.total {
        out.set_column(total, |i| Value::Real((raw_weights[i] + shares[i]) as f64 / scale));
    }
    if let Some(pct) = a.pct {
        out.set_column(
            pct,
            |i| {
                if whole == 0 {
                    Value::Null
                } else {
                    Value::Real(100.0 * (raw_weights[i] + shares[i]) as f64 / whole as f64)
                }
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apportioned(weights: &[f64], amount: f64) -> Vec<f64> {
        let data =
            Dataset::from_rows(vec!["w".into(), "a".into()], weights.iter().map(|w| vec![Value::Real(*w), Value::Real(amount)]).collect());
        let spec = Apportion { weight: "w", amount: "a", scale: 100, share: "s", total: Some("t"), pct: None };
        let out = apportion(&data, &spec);
        (0..out.len()).map(|i| out.get(i, "s").as_f64().unwrap()).collect()
    }

    #[test]
    fn apportions_by_largest_remainder_to_the_cent() {
        // $1.00 over three equal weights: 33 + 33 + 33 cents and the last cent to the
        // first row (equal remainders: the earlier row).
        assert_eq!(apportioned(&[1.0, 1.0, 1.0], 1.0), [0.34, 0.33, 0.33]);
        // 10 cents by 1 : 2 : 3 → 1.67, 3.33, 5.0 → 2, 3, 5.
        assert_eq!(apportioned(&[0.01, 0.02, 0.03], 0.10), [0.02, 0.03, 0.05]);
        // A negative amount mirrors the positive split; no positive weight shares nothing.
        assert_eq!(apportioned(&[1.0, 1.0, 1.0], -1.0), [-0.34, -0.33, -0.33]);
        assert_eq!(apportioned(&[0.0, -1.0], 5.0), [0.0, 0.0]);
        // Sums exactly, for amounts far beyond 64-bit products of cents.
        let shares = apportioned(&[123_456_789.01, 987_654_321.99, 0.07], 55_555_555.55);
        let cents: i128 = shares.iter().map(|s| (s * 100.0).round() as i128).sum();
        assert_eq!(cents, 5_555_555_555);
    }

    fn series(values: &[(&str, f64)]) -> Dataset {
        Dataset::from_rows(
            vec!["entity".into(), "actual".into()],
            values.iter().map(|(e, v)| vec![Value::Text(e.to_string()), Value::Real(*v)]).collect(),
        )
    }

    fn scored(data: &Dataset, settings: ZscoreSettings) -> Dataset {
        let spec = Series { partition: &["entity".into()], order: "date", value: "actual", packed: None };
        rolling_zscore(data, &spec, &[], false, settings)
    }

    #[test]
    fn scores_after_warmup_against_the_previous_window_only() {
        // Baseline 10, 12, 10, 12 (mean 11, std 1); then 20 is z = 9.
        let data = series(&[("a", 10.0), ("a", 12.0), ("a", 10.0), ("a", 12.0), ("a", 20.0), ("b", 5.0)]);
        let out = scored(&data, ZscoreSettings { window: 4, warmup: 4, threshold: 3.0 });
        assert_eq!(out.get(3, "z_score"), &Value::Null); // inside warm-up
        assert_eq!(out.get(4, "expected_usd"), &Value::Real(11.0));
        assert_eq!(out.get(4, "z_score"), &Value::Real(9.0));
        assert_eq!(out.get(4, "severity"), &Value::Text("critical".into()));
        assert_eq!(out.get(4, "lower_usd"), &Value::Real(8.0));
        assert_eq!(out.get(5, "baseline_days"), &Value::Int(0)); // a new partition starts over
    }

    #[test]
    fn flat_baselines_score_nothing_and_drops_are_negative() {
        let flat = series(&[("a", 3.0), ("a", 3.0), ("a", 9.0)]);
        let out = scored(&flat, ZscoreSettings { window: 2, warmup: 2, threshold: 3.0 });
        assert_eq!(out.get(2, "z_score"), &Value::Null);
        assert_eq!(out.get(2, "is_anomaly"), &Value::Int(0));

        let drop = series(&[("a", 10.0), ("a", 12.0), ("a", 10.0), ("a", 12.0), ("a", 5.0)]);
        let out = scored(&drop, ZscoreSettings { window: 4, warmup: 4, threshold: 3.0 });
        assert_eq!(out.get(4, "z_score"), &Value::Real(-6.0));
        assert_eq!(out.get(4, "deviation_usd"), &Value::Real(-6.0));
        assert_eq!(out.get(4, "severity"), &Value::Text("critical".into()));
    }

    fn flat(out: &Dataset) -> Vec<String> {
        (0..out.len())
            .map(|i| format!("{} {} {} {}", out.get(i, "entity"), out.get(i, "label"), out.get(i, "date"), out.get(i, "actual")))
            .collect()
    }

    const SETTINGS: ZscoreSettings = ZscoreSettings { window: 2, warmup: 1, threshold: 3.0 };

    #[test]
    fn partitions_any_order_and_fills_missing_days_with_zero() {
        let text = |s: &str| Value::Text(s.into());
        let data = Dataset::from_rows(
            vec!["entity".into(), "label".into(), "date".into(), "actual".into()],
            vec![
                vec![text("b"), text("B"), text("2025-11-02"), Value::Real(5.0)],
                vec![text("a"), text("A"), text("2025-11-03"), Value::Real(2.0)],
                vec![text("a"), text("A"), text("2025-11-01"), Value::Real(1.0)],
                vec![text("a"), text("A"), text("2025-11-02T06"), Value::Null],
            ],
        );
        let days: Vec<String> = ["2025-11-01", "2025-11-02", "2025-11-03"].iter().map(|d| d.to_string()).collect();
        let spec = Series { partition: &["entity".into()], order: "date", value: "actual", packed: None };
        let out = rolling_zscore(&data, &spec, &days, true, SETTINGS);
        assert_eq!(
            flat(&out),
            [
                "a A 2025-11-01 1",
                "a A 2025-11-02 0",
                "a A 2025-11-02T06 ",
                "a A 2025-11-03 2",
                "b B 2025-11-01 0",
                "b B 2025-11-02 5",
                "b B 2025-11-03 0",
            ]
        );
        // The NULL day counts as $0: the baseline of 11-03 is (0, 0).
        assert_eq!(out.get(3, "expected_usd"), &Value::Real(0.0));
    }

    #[test]
    fn a_packed_series_reads_like_its_rows() {
        let text = |s: &str| Value::Text(s.into());
        let days: Vec<String> = ["2025-11-01", "2025-11-02", "2025-11-03", "2025-11-04"].iter().map(|d| d.to_string()).collect();
        let long = Dataset::from_rows(
            vec!["entity".into(), "label".into(), "date".into(), "actual".into()],
            vec![
                vec![text("a"), text("A"), text("2025-11-02"), Value::Real(1.5)],
                vec![text("a"), text("A"), text("2025-11-03"), Value::Int(4)],
                vec![text("a"), text("A"), text("2025-11-04"), Value::Null],
            ],
        );
        let mut values = Vec::new();
        for bits in [1.5f64.to_bits(), 4u64, 0, 0] {
            values.extend_from_slice(&bits.to_le_bytes());
        }
        let kinds = vec![KIND_REAL, KIND_INT, KIND_NULL];
        let blob = |b: Vec<u8>| Column::Bytes { values: vec![text("<blob>")], bytes: vec![Some(b.into_boxed_slice())] };
        let packed = Dataset::from_columns(
            ["entity", "label", "date", "actual", "from", "kinds", "values"].iter().map(|s| s.to_string()).collect(),
            vec![
                Column::Values(vec![text("a")]),
                Column::Values(vec![text("A")]),
                Column::Values(vec![Value::Null]),
                Column::Values(vec![Value::Null]),
                Column::Values(vec![text("2025-11-02")]),
                blob(kinds),
                blob(values),
            ],
        );
        let spec = Series { partition: &["entity".into()], order: "date", value: "actual", packed: None };
        let with_packed = Series { packed: Some(Packed { from: "from", kinds: "kinds", values: "values" }), ..spec };
        for fill in [false, true] {
            let a = rolling_zscore(&long, &spec, &days, fill, SETTINGS);
            let b = rolling_zscore(&packed, &with_packed, &days, fill, SETTINGS);
            assert_eq!(a, b, "fill {fill}");
        }
        let out = rolling_zscore(&packed, &with_packed, &days, true, SETTINGS);
        assert_eq!(flat(&out), ["a A 2025-11-01 0", "a A 2025-11-02 1.5", "a A 2025-11-03 4", "a A 2025-11-04 "]);
        assert_eq!(out.columns.len(), 4 + 11, "the packed columns are not part of the output");
    }

    #[test]
    fn severity_bands_follow_the_threshold() {
        assert_eq!(severity(3.0, 3.0), ("medium", 1));
        assert_eq!(severity(4.0, 3.0), ("high", 2));
        assert_eq!(severity(5.0, 3.0), ("critical", 3));
        assert_eq!(severity(2.6, 2.5), ("medium", 1));
    }

    #[test]
    fn classify_takes_the_first_case_that_holds() {
        let data = Dataset::from_columns(vec!["x".into()], vec![Column::reals(vec![5.0, 1.0, f64::NAN, 12.0])]);
        let cases = [(Condition::parse("x > 10").unwrap(), "big"), (Condition::parse("x > 2").unwrap(), "some")];
        let out = classify(&data, "size", &cases, "none");
        let labels: Vec<String> = (0..4).map(|i| out.get(i, "size").to_string()).collect();
        assert_eq!(labels, ["some", "none", "none", "big"]);
        assert_eq!(out.get(3, "x"), &Value::Real(12.0));
    }

    #[test]
    fn filters_and_sorts_keep_every_column_kind() {
        let data = Dataset::from_columns(
            vec!["k".into(), "z".into()],
            vec![Column::ints(vec![3, 1, 2]), Column::reals(vec![-4.0, f64::NAN, 2.5])],
        );
        let by_abs_z = [SortKey { column: "z".into(), desc: true, abs: true }];
        let sorted = sort(&data, &by_abs_z);
        assert_eq!((0..3).map(|i| sorted.get(i, "k").to_string()).collect::<Vec<_>>(), ["3", "2", "1"]);
        assert!(is_sorted(&sorted, &by_abs_z) && !is_sorted(&data, &by_abs_z));
        let kept = filter(&data, &Condition::parse("k >= 2").unwrap());
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.get(1, "z"), &Value::Real(2.5));
    }
}
