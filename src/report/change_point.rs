//! The change-point transform: one summary row per partition of a dated value series
//! (successful run durations per job, say) — its median, the day its median shifts most
//! (with the medians before and after), and its least-squares slope per day.
//!
//! Kept apart from `transform` because it summarises (one row out per partition) where the
//! others keep rows. Exact and deterministic: medians of sorted values, ties to the earliest
//! day, sums in date order.

use std::collections::BTreeMap;

use super::dataset::{Column, Dataset, Value};
use crate::base::calendar::Date;

/// What the change-point transform reads.
#[derive(Clone, Copy, Debug)]
pub struct ChangeSeries<'a> {
    /// Columns whose values name a partition; the output keeps every other input column
    /// (but `order` and `value`) as it is in the partition's first row.
    pub partition: &'a [String],
    /// A date column (`YYYY-MM-DD`, or a timestamp whose first 10 characters are one).
    pub order: &'a str,
    pub value: &'a str,
    /// Points each side of a split needs for the split to count.
    pub min_side: usize,
}

/// The columns the transform adds, in order.
pub const OUTPUT_COLUMNS: [&str; 16] = [
    "points",
    "first_date",
    "last_date",
    "median_value",
    "mean_value",
    "change_date",
    "points_before",
    "points_after",
    "median_before",
    "median_after",
    "change_value",
    "change_pct",
    "slope_per_day",
    "slope_pct_per_day",
    "step_r2",
    "trend_r2",
];

/// The median of sorted values (the mean of the middle two for an even count).
pub fn median_of_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The summary of one partition's points, sorted by date.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub points: usize,
    pub first_date: String,
    pub last_date: String,
    pub median: f64,
    pub mean: f64,
    /// The best split, when some day leaves `min_side` points on each side.
    pub change: Option<Split>,
    /// Least-squares slope of the value over the day number, per day (0 on a single day).
    pub slope: f64,
    /// 1 − residual ÷ total sum of squares of the line (None without spread).
    pub trend_r2: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// The first day of the "after" side.
    pub date: String,
    pub before: usize,
    pub after: usize,
    pub median_before: f64,
    pub median_after: f64,
    /// 1 − (sum of squares of each side around its own mean) ÷ total (None without spread).
    pub step_r2: Option<f64>,
}

/// Summarises points `(date, value)` sorted by date. The change day is the day d (a day of
/// the series, not its first) that maximises |median(values from d on) − median(values
/// before d)| among the days with at least `min_side` points each side; ties go to the
/// earliest day.
pub fn summarise(points: &[(String, f64)], min_side: usize) -> Option<Summary> {
    let n = points.len();
    if n == 0 {
        return None;
    }
    let values: Vec<f64> = points.iter().map(|p| p.1).collect();
    let mut all = values.clone();
    all.sort_by(f64::total_cmp);
    let mean = values.iter().sum::<f64>() / n as f64;
    let total_ss: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
    let ratio = |residual: f64| if total_ss > 0.0 { Some(1.0 - residual / total_ss) } else { None };

    // Splits at each change of day, growing the sorted "before" side and shrinking "after".
    let mut before: Vec<f64> = Vec::with_capacity(n);
    let mut after = all.clone();
    let mut best: Option<(usize, f64, f64, f64)> = None; // (index, |shift|, before, after)
    for k in 1..n {
        let x = values[k - 1];
        let at = before.partition_point(|v| v.total_cmp(&x).is_lt());
        before.insert(at, x);
        let gone = after.partition_point(|v| v.total_cmp(&x).is_lt());
        after.remove(gone);
        if points[k].0 == points[k - 1].0 || k < min_side.max(1) || n - k < min_side.max(1) {
            continue;
        }
        let (b, a) = (median_of_sorted(&before).expect("k ≥ 1"), median_of_sorted(&after).expect("k < n"));
        let shift = (a - b).abs();
        if best.is_none_or(|(_, s, ..)| shift > s) {
            best = Some((k, shift, b, a));
        }
    }
    let side_ss = |side: &[f64]| -> f64 {
        let m = side.iter().sum::<f64>() / side.len() as f64;
        side.iter().map(|x| (x - m) * (x - m)).sum()
    };
    let change = best.map(|(k, _, b, a)| Split {
        date: points[k].0.clone(),
        before: k,
        after: n - k,
        median_before: b,
        median_after: a,
        step_r2: ratio(side_ss(&values[..k]) + side_ss(&values[k..])),
    });

    // The line over the day number (days since the first point).
    let first = Date::parse(&points[0].0[..points[0].0.len().min(10)]);
    let day_of = |d: &str| -> f64 {
        match (first, Date::parse(&d[..d.len().min(10)])) {
            (Some(a), Some(b)) => a.days_until(b) as f64,
            _ => 0.0,
        }
    };
    let ts: Vec<f64> = points.iter().map(|p| day_of(&p.0)).collect();
    let tm = ts.iter().sum::<f64>() / n as f64;
    let sxx: f64 = ts.iter().map(|t| (t - tm) * (t - tm)).sum();
    let slope = if sxx > 0.0 { ts.iter().zip(&values).map(|(t, x)| (t - tm) * (x - mean)).sum::<f64>() / sxx } else { 0.0 };
    let line_ss: f64 = ts.iter().zip(&values).map(|(t, x)| (x - (mean + slope * (t - tm))).powi(2)).sum();
    Some(Summary {
        points: n,
        first_date: points[0].0.clone(),
        last_date: points[n - 1].0.clone(),
        median: median_of_sorted(&all).expect("n ≥ 1"),
        mean,
        change,
        slope,
        trend_r2: ratio(line_ss),
    })
}

/// One row per partition (in key order) with the partition's other columns from its first
/// row and the [`OUTPUT_COLUMNS`]. Rows whose value is not a number, or whose date is NULL,
/// are left out; a partition without such rows is left out too.
pub fn change_points(data: &Dataset, series: &ChangeSeries<'_>) -> Dataset {
    let keys: Vec<usize> = series.partition.iter().filter_map(|p| data.column_index(p)).collect();
    let order = data.column_index(series.order);
    let value = data.column_index(series.value);
    // Partition key → (its first row, its points).
    type Points = (usize, Vec<(String, f64)>);
    let mut groups: BTreeMap<Vec<String>, Points> = BTreeMap::new();
    for i in 0..data.len() {
        let (Some(o), Some(v)) = (order, value) else { break };
        let (date, x) = (data.cell(i, o), data.cell(i, v).as_f64());
        let (Some(x), false) = (x, date.is_null()) else { continue };
        let key: Vec<String> = keys.iter().map(|&c| data.cell(i, c).to_string()).collect();
        groups.entry(key).or_insert_with(|| (i, Vec::new())).1.push((date.to_string(), x));
    }
    let mut first_rows = Vec::with_capacity(groups.len());
    let mut summaries = Vec::with_capacity(groups.len());
    for (first, mut points) in groups.into_values() {
        points.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(s) = summarise(&points, series.min_side) {
            first_rows.push(first);
            summaries.push(s);
        }
    }
    let kept: Vec<usize> = (0..data.columns.len()).filter(|&c| Some(c) != order && Some(c) != value).collect();
    let base = data.take(&first_rows);
    let mut names: Vec<String> = kept.iter().map(|&c| data.columns[c].clone()).collect();
    let mut columns: Vec<Column> =
        kept.iter().map(|&c| Column::Values((0..base.len()).map(|i| base.cell(i, c).clone()).collect())).collect();
    let real = |x: Option<f64>| x.map_or(Value::Null, Value::Real);
    let text = |s: Option<&String>| s.map_or(Value::Null, |s| Value::Text(s.clone()));
    let pct = |num: f64, den: f64| if den != 0.0 { Value::Real(100.0 * num / den) } else { Value::Null };
    let computed: [Vec<Value>; 16] = [
        summaries.iter().map(|s| Value::Int(s.points as i64)).collect(),
        summaries.iter().map(|s| Value::Text(s.first_date.clone())).collect(),
        summaries.iter().map(|s| Value::Text(s.last_date.clone())).collect(),
        summaries.iter().map(|s| Value::Real(s.median)).collect(),
        summaries.iter().map(|s| Value::Real(s.mean)).collect(),
        summaries.iter().map(|s| text(s.change.as_ref().map(|c| &c.date))).collect(),
        summaries.iter().map(|s| s.change.as_ref().map_or(Value::Null, |c| Value::Int(c.before as i64))).collect(),
        summaries.iter().map(|s| s.change.as_ref().map_or(Value::Null, |c| Value::Int(c.after as i64))).collect(),
        summaries.iter().map(|s| real(s.change.as_ref().map(|c| c.median_before))).collect(),
        summaries.iter().map(|s| real(s.change.as_ref().map(|c| c.median_after))).collect(),
        summaries.iter().map(|s| real(s.change.as_ref().map(|c| c.median_after - c.median_before))).collect(),
        summaries
            .iter()
            .map(|s| s.change.as_ref().map_or(Value::Null, |c| pct(c.median_after - c.median_before, c.median_before)))
            .collect(),
        summaries.iter().map(|s| Value::Real(s.slope)).collect(),
        summaries.iter().map(|s| pct(s.slope, s.mean)).collect(),
        summaries.iter().map(|s| real(s.change.as_ref().and_then(|c| c.step_r2))).collect(),
        summaries.iter().map(|s| real(s.trend_r2)).collect(),
    ];
    for (name, values) in OUTPUT_COLUMNS.iter().zip(computed) {
        match names.iter().position(|n| n == name) {
            Some(at) => columns[at] = Column::Values(values),
            None => {
                names.push(name.to_string());
                columns.push(Column::Values(values));
            }
        }
    }
    Dataset::from_columns(names, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(days: &[(&str, f64)]) -> Vec<(String, f64)> {
        days.iter().map(|(d, x)| (d.to_string(), *x)).collect()
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median_of_sorted(&[]), None);
        assert_eq!(median_of_sorted(&[1.0, 5.0, 9.0]), Some(5.0));
        assert_eq!(median_of_sorted(&[1.0, 2.0, 4.0, 9.0]), Some(3.0));
    }

    #[test]
    fn finds_a_step_and_its_medians() {
        let s = summarise(
            &points(&[
                ("2025-11-01", 10.0),
                ("2025-11-02", 11.0),
                ("2025-11-03", 9.0),
                ("2025-11-04", 20.0),
                ("2025-11-05", 21.0),
                ("2025-11-06", 19.0),
            ]),
            2,
        )
        .unwrap();
        let c = s.change.unwrap();
        assert_eq!((c.date.as_str(), c.before, c.after, c.median_before, c.median_after), ("2025-11-04", 3, 3, 10.0, 20.0));
        assert_eq!(s.median, 15.0);
        // Sides around their means: 2 + 2 of a total 1 + 0 + 4 + ... = 154.
        assert_eq!(c.step_r2, Some(1.0 - 4.0 / 154.0));
    }

    #[test]
    fn a_line_has_its_slope_and_splits_stay_on_day_boundaries() {
        let s = summarise(&points(&[("2025-11-01", 1.0), ("2025-11-01", 1.0), ("2025-11-03", 5.0), ("2025-11-05", 9.0)]), 2).unwrap();
        assert_eq!(s.slope, 2.0);
        assert_eq!(s.trend_r2, Some(1.0));
        // The split between the two points of 11-01 is not a day boundary.
        let c = s.change.unwrap();
        assert_eq!((c.date.as_str(), c.median_before, c.median_after), ("2025-11-03", 1.0, 7.0));
        // Too few points each side: no split, but the rest stands.
        let none = summarise(&points(&[("2025-11-01", 1.0), ("2025-11-02", 3.0)]), 2).unwrap();
        assert_eq!((none.change, none.slope, none.median), (None, 2.0, 2.0));
        // A flat series has no R².
        let flat = summarise(&points(&[("2025-11-01", 4.0), ("2025-11-02", 4.0)]), 1).unwrap();
        assert_eq!((flat.trend_r2, flat.change.unwrap().step_r2), (None, None));
    }

    #[test]
    fn one_row_per_partition_keeping_its_other_columns() {
        let text = |s: &str| Value::Text(s.into());
        let data = Dataset::from_rows(
            vec!["job".into(), "name".into(), "date".into(), "minutes".into()],
            vec![
                vec![text("b"), text("B"), text("2025-11-02"), Value::Int(4)],
                vec![text("a"), text("A"), text("2025-11-03"), Value::Real(3.0)],
                vec![text("a"), text("A"), text("2025-11-01"), Value::Real(1.0)],
                vec![text("a"), text("A"), Value::Null, Value::Real(9.0)],
                vec![text("c"), text("C"), text("2025-11-01"), Value::Null],
            ],
        );
        let out = change_points(&data, &ChangeSeries { partition: &["job".into()], order: "date", value: "minutes", min_side: 1 });
        assert_eq!(out.columns[..2], ["job".to_string(), "name".to_string()]);
        assert_eq!(out.columns.len(), 2 + OUTPUT_COLUMNS.len());
        assert_eq!(out.len(), 2, "c has no numeric value");
        assert_eq!((out.get(0, "job"), out.get(0, "name")), (&text("a"), &text("A")));
        assert_eq!(out.get(0, "change_date"), &text("2025-11-03"));
        assert_eq!(out.get(0, "change_pct"), &Value::Real(200.0));
        assert_eq!(out.get(0, "slope_per_day"), &Value::Real(1.0));
        assert_eq!(out.get(1, "points"), &Value::Int(1));
        assert_eq!(out.get(1, "change_date"), &Value::Null);
    }
}
