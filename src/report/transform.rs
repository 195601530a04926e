//! Dataset transforms a report spec can ask for: rolling z-scores (cost anomalies),
//! filters and sorts. Exact and deterministic: two-pass mean and variance per window.

use super::dataset::{Dataset, Value};
use super::expr::Condition;
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

/// Groups rows by partition (partitions in key order, rows by `order` within each) and,
/// when `days` is given, adds a row for every missing day: a copy of the partition's first
/// row with `order` set to the day and `value` set to 0. Rows are not cloned more than once.
pub fn partition_series(data: &Dataset, partition: &[String], order: &str, value: &str, days: Option<&[String]>) -> Dataset {
    let key_columns: Vec<usize> = partition.iter().filter_map(|p| data.column_index(p)).collect();
    let order_column = data.column_index(order);
    let value_column = data.column_index(value);
    let mut groups: std::collections::BTreeMap<Vec<String>, Vec<usize>> = std::collections::BTreeMap::new();
    for i in 0..data.len() {
        let key = key_columns.iter().map(|&c| data.rows[i][c].to_string()).collect();
        groups.entry(key).or_default().push(i);
    }
    let order_of = |i: usize| order_column.map(|c| data.rows[i][c].to_string()).unwrap_or_default();
    let mut rows = Vec::with_capacity(days.map_or(data.len(), |d| d.len() * groups.len()));
    for members in groups.values_mut() {
        members.sort_by_key(|&i| order_of(i));
        match (days, order_column) {
            (Some(days), Some(oc)) => {
                let mut next = members.iter().peekable();
                for day in days {
                    // Rows outside the range (or repeated days) are kept in order as they come.
                    while let Some(&&i) = next.peek() {
                        if order_of(i).as_str() < day.as_str() {
                            rows.push(data.rows[i].clone());
                            next.next();
                        } else {
                            break;
                        }
                    }
                    match next.peek() {
                        Some(&&i) if order_of(i) == *day => {
                            rows.push(data.rows[i].clone());
                            next.next();
                        }
                        _ => {
                            let mut filler = data.rows[members[0]].clone();
                            filler[oc] = Value::Text(day.clone());
                            if let Some(vc) = value_column {
                                filler[vc] = Value::Real(0.0);
                            }
                            rows.push(filler);
                        }
                    }
                }
                rows.extend(next.map(|&i| data.rows[i].clone()));
            }
            _ => rows.extend(members.iter().map(|&i| data.rows[i].clone())),
        }
    }
    Dataset { columns: data.columns.clone(), rows }
}

/// Adds to `data` (rows already ordered by `order` within each partition) the columns
/// `expected_usd`, `std_usd`, `lower_usd`, `upper_usd`, `z_score`, `deviation_usd`,
/// `deviation_pct`, `baseline_days`, `is_anomaly`, `severity`, `severity_rank`.
///
/// Row i of a partition (0-based) is scored when i ≥ warmup: its baseline is the previous
/// min(i, window) values, mean and population standard deviation. A baseline with zero
/// spread cannot score a day (z stays null), so flat series raise nothing.
pub fn rolling_zscore(data: &Dataset, partition: &[String], value: &str, settings: ZscoreSettings) -> Dataset {
    let mut out = data.clone();
    let n = data.len();
    let mut expected = vec![Value::Null; n];
    let mut std_col = vec![Value::Null; n];
    let mut lower = vec![Value::Null; n];
    let mut upper = vec![Value::Null; n];
    let mut z_col = vec![Value::Null; n];
    let mut dev_usd = vec![Value::Null; n];
    let mut dev_pct = vec![Value::Null; n];
    let mut baseline_days = vec![Value::Int(0); n];
    let mut flagged = vec![Value::Int(0); n];
    let mut sev = vec![Value::Null; n];
    let mut sev_rank = vec![Value::Int(0); n];

    let key_columns: Vec<usize> = partition.iter().filter_map(|p| data.column_index(p)).collect();
    let same_partition = |a: usize, b: usize| key_columns.iter().all(|&c| data.rows[a][c] == data.rows[b][c]);
    let value_column = data.column_index(value);
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && same_partition(start, end) {
            end += 1;
        }
        let values: Vec<f64> = (start..end).map(|i| value_column.and_then(|c| data.rows[i][c].as_f64()).unwrap_or(0.0)).collect();
        for (offset, &x) in values.iter().enumerate() {
            let row = start + offset;
            if offset < settings.warmup || offset == 0 {
                continue;
            }
            let from = offset.saturating_sub(settings.window);
            let base = &values[from..offset];
            let count = base.len() as f64;
            let mean = base.iter().sum::<f64>() / count;
            let variance = base.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / count;
            let std = variance.sqrt();
            expected[row] = Value::Real(mean);
            std_col[row] = Value::Real(std);
            lower[row] = Value::Real(mean - settings.threshold * std);
            upper[row] = Value::Real(mean + settings.threshold * std);
            dev_usd[row] = Value::Real(x - mean);
            dev_pct[row] = if mean > 0.0 { Value::Real(100.0 * (x - mean) / mean) } else { Value::Null };
            baseline_days[row] = Value::Int(base.len() as i64);
            if std > 0.0 {
                let z = (x - mean) / std;
                z_col[row] = Value::Real(z);
                if z.abs() >= settings.threshold {
                    let (label, rank) = severity(z.abs(), settings.threshold);
                    flagged[row] = Value::Int(1);
                    sev[row] = Value::Text(label.to_string());
                    sev_rank[row] = Value::Int(rank);
                }
            }
        }
        start = end;
    }
    let columns: [(&str, Vec<Value>); 11] = [
        ("expected_usd", expected),
        ("std_usd", std_col),
        ("lower_usd", lower),
        ("upper_usd", upper),
        ("z_score", z_col),
        ("deviation_usd", dev_usd),
        ("deviation_pct", dev_pct),
        ("baseline_days", baseline_days),
        ("is_anomaly", flagged),
        ("severity", sev),
        ("severity_rank", sev_rank),
    ];
    for (name, values) in columns {
        out.set_column(name, |i| values[i].clone());
    }
    out
}

/// Indexes of the rows for which `condition` holds, in order.
pub fn matching_rows(data: &Dataset, condition: &Condition) -> Vec<usize> {
    (0..data.len())
        .filter(|&i| {
            let row = data.row(i);
            condition.eval(&|c| data.column_index(c).map(|_| row.get(c)))
        })
        .collect()
}

/// Rows for which `condition` holds, in order.
pub fn filter(data: &Dataset, condition: &Condition) -> Dataset {
    let rows = matching_rows(data, condition).into_iter().map(|i| data.rows[i].clone()).collect();
    Dataset { columns: data.columns.clone(), rows }
}

/// True when the rows are already in the order `sort` would give.
pub fn is_sorted(data: &Dataset, keys: &[SortKey]) -> bool {
    (1..data.len()).all(|i| compare_rows(data, keys, i - 1, i).is_le())
}

fn compare_rows(data: &Dataset, keys: &[SortKey], a: usize, b: usize) -> std::cmp::Ordering {
    for key in keys {
        let (mut va, mut vb) = (data.get(a, &key.column).clone(), data.get(b, &key.column).clone());
        if key.abs {
            va = va.as_f64().map(|x| Value::Real(x.abs())).unwrap_or(va);
            vb = vb.as_f64().map(|x| Value::Real(x.abs())).unwrap_or(vb);
        }
        let ord = va.sort_cmp(&vb);
        let ord = if key.desc { ord.reverse() } else { ord };
        if ord.is_ne() {
            return ord;
        }
    }
    std::cmp::Ordering::Equal
}

/// Stable sort by the keys in order.
pub fn sort(data: &Dataset, keys: &[SortKey]) -> Dataset {
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by(|&a, &b| compare_rows(data, keys, a, b));
    Dataset { columns: data.columns.clone(), rows: order.into_iter().map(|i| data.rows[i].clone()).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[(&str, f64)]) -> Dataset {
        Dataset {
            columns: vec!["entity".into(), "actual".into()],
            rows: values.iter().map(|(e, v)| vec![Value::Text(e.to_string()), Value::Real(*v)]).collect(),
        }
    }

    #[test]
    fn scores_after_warmup_against_the_previous_window_only() {
        // Baseline 10, 12, 10, 12 (mean 11, std 1); then 20 is z = 9.
        let data = series(&[("a", 10.0), ("a", 12.0), ("a", 10.0), ("a", 12.0), ("a", 20.0), ("b", 5.0)]);
        let out = rolling_zscore(&data, &["entity".into()], "actual", ZscoreSettings { window: 4, warmup: 4, threshold: 3.0 });
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
        let out = rolling_zscore(&flat, &["entity".into()], "actual", ZscoreSettings { window: 2, warmup: 2, threshold: 3.0 });
        assert_eq!(out.get(2, "z_score"), &Value::Null);
        assert_eq!(out.get(2, "is_anomaly"), &Value::Int(0));

        let drop = series(&[("a", 10.0), ("a", 12.0), ("a", 10.0), ("a", 12.0), ("a", 5.0)]);
        let out = rolling_zscore(&drop, &["entity".into()], "actual", ZscoreSettings { window: 4, warmup: 4, threshold: 3.0 });
        assert_eq!(out.get(4, "z_score"), &Value::Real(-6.0));
        assert_eq!(out.get(4, "deviation_usd"), &Value::Real(-6.0));
        assert_eq!(out.get(4, "severity"), &Value::Text("critical".into()));
    }

    #[test]
    fn partitions_any_order_and_fills_missing_days_with_zero() {
        let data = Dataset {
            columns: vec!["entity".into(), "label".into(), "date".into(), "actual".into()],
            rows: vec![
                vec![Value::Text("b".into()), Value::Text("B".into()), Value::Text("2025-11-02".into()), Value::Real(5.0)],
                vec![Value::Text("a".into()), Value::Text("A".into()), Value::Text("2025-11-03".into()), Value::Real(2.0)],
                vec![Value::Text("a".into()), Value::Text("A".into()), Value::Text("2025-11-01".into()), Value::Real(1.0)],
            ],
        };
        let days: Vec<String> = ["2025-11-01", "2025-11-02", "2025-11-03"].iter().map(|d| d.to_string()).collect();
        let out = partition_series(&data, &["entity".into()], "date", "actual", Some(&days));
        let flat: Vec<String> = (0..out.len())
            .map(|i| format!("{} {} {} {}", out.get(i, "entity"), out.get(i, "label"), out.get(i, "date"), out.get(i, "actual")))
            .collect();
        assert_eq!(
            flat,
            ["a A 2025-11-01 1", "a A 2025-11-02 0", "a A 2025-11-03 2", "b B 2025-11-01 0", "b B 2025-11-02 5", "b B 2025-11-03 0",]
        );
    }

    #[test]
    fn severity_bands_follow_the_threshold() {
        assert_eq!(severity(3.0, 3.0), ("medium", 1));
        assert_eq!(severity(4.0, 3.0), ("high", 2));
        assert_eq!(severity(5.0, 3.0), ("critical", 3));
        assert_eq!(severity(2.6, 2.5), ("medium", 1));
    }
}
