//! The month-forecast transform: for each partition of a daily series (spend per budget, say),
//! the calendar month of the report's last day as a burn-down — the actual running total up
//! to that day, then a forecast to the month's end with an interval — and, against an
//! optional limit column, how far the forecast lands from it.
//!
//! Method (stated in the budget report's notes, tested against a plain recomputation):
//! - the as-of day is the report's last day; the month is its calendar month;
//! - the trailing window is the 7·W days ending on the as-of day (W = weeks, a param); a day
//!   without a row counts as 0;
//! - the expected spend of a weekday is the mean of the W days of that weekday in the window;
//!   each remaining day of the month is forecast at its weekday's mean;
//! - with a limit: limit gap = limit − forecast, allowed daily = (limit − spend so far) ÷ days
//!   left, used % = spend so far ÷ limit, forecast % = forecast ÷ limit;
//! - the daily error is the standard deviation of the window's days around their weekday's
//!   mean, sd = √(Σ residual² ÷ (7·W − 7)) (0 when W = 1); the forecast of k remaining days
//!   has the interval ± 1.645 · sd · √k (a 90 % interval for independent daily errors), its
//!   low end never below the spend so far.

use std::collections::BTreeMap;

use super::dataset::{Column, Dataset, Value};
use crate::base::calendar::Date;

/// The z-value of the two-sided 90 % interval.
pub const Z_90: f64 = 1.645;

/// What the transform reads.
#[derive(Clone, Copy, Debug)]
pub struct ForecastSeries<'a> {
    /// Columns naming a partition; the output keeps every other input column (but `order`
    /// and `value`) as it is in the partition's first row.
    pub partition: &'a [String],
    /// The date column (`YYYY-MM-DD`).
    pub order: &'a str,
    pub value: &'a str,
    /// A column holding the partition's limit for the month (a budget), if any.
    pub limit: Option<&'a str>,
    pub trailing_weeks: usize,
    /// The last day with actuals (the report's last day).
    pub as_of: Date,
}

/// The columns the transform adds, in order.
pub const OUTPUT_COLUMNS: [&str; 22] = [
    "day",
    "actual",
    "actual_cum",
    "forecast_cum",
    "forecast_low_cum",
    "forecast_high_cum",
    "month_start",
    "month_end",
    "days_elapsed",
    "days_left",
    "to_date",
    "forecast",
    "forecast_low",
    "forecast_high",
    "weekday_mean",
    "daily_sd",
    "last_day",
    "over_limit",
    "limit_gap",
    "allowed_daily",
    "used_pct",
    "forecast_pct",
];

/// The forecast of one partition's month.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthForecast {
    pub month_start: Date,
    pub month_end: Date,
    /// Spend from the month's first day through the as-of day.
    pub to_date: f64,
    /// Expected spend per weekday (Monday first).
    pub weekday_means: [f64; 7],
    pub daily_sd: f64,
    /// (day, actual running total) through the as-of day, then (day, forecast running
    /// total, low, high) to the month's end.
    pub actual: Vec<(Date, f64, f64)>,
    pub ahead: Vec<(Date, f64, f64, f64)>,
}

impl MonthForecast {
    pub fn days_left(&self) -> usize {
        self.ahead.len()
    }

    /// The month's forecast total, and its interval.
    pub fn total(&self) -> (f64, f64, f64) {
        self.ahead.last().map_or((self.to_date, self.to_date, self.to_date), |&(_, f, lo, hi)| (f, lo, hi))
    }
}

/// The first and last day of `day`'s calendar month.
pub fn month_of(day: Date) -> (Date, Date) {
    let start = day.add_days(1 - i64::from(day.day_of_month()));
    let mut end = day;
    while end.add_days(1).day_of_month() != 1 {
        end = end.add_days(1);
    }
    (start, end)
}

/// Forecasts one month from a daily series (`values` by day; missing days are 0).
pub fn forecast_month(values: &BTreeMap<Date, f64>, as_of: Date, weeks: usize) -> MonthForecast {
    let weeks = weeks.max(1);
    let at = |d: Date| values.get(&d).copied().unwrap_or(0.0);
    let window: Vec<Date> = (0..7 * weeks as i64).map(|i| as_of.add_days(-i)).collect();
    let mut sums = [0.0; 7];
    for &d in &window {
        sums[d.weekday() as usize] += at(d);
    }
    let means = sums.map(|s| s / weeks as f64);
    let residual_ss: f64 = window.iter().map(|&d| (at(d) - means[d.weekday() as usize]).powi(2)).sum();
    let daily_sd = if weeks > 1 { (residual_ss / (7 * weeks - 7) as f64).sqrt() } else { 0.0 };

    let (month_start, month_end) = month_of(as_of);
    let mut running = 0.0;
    let actual: Vec<(Date, f64, f64)> = month_start
        .through(as_of)
        .map(|d| {
            running += at(d);
            (d, at(d), running)
        })
        .collect();
    let to_date = running;
    let mut expected = to_date;
    let ahead = as_of
        .add_days(1)
        .through(month_end)
        .enumerate()
        .map(|(k, d)| {
            expected += means[d.weekday() as usize];
            let half = Z_90 * daily_sd * ((k + 1) as f64).sqrt();
            (d, expected, (expected - half).max(to_date), expected + half)
        })
        .collect();
    MonthForecast { month_start, month_end, to_date, weekday_means: means, daily_sd, actual, ahead }
}

/// One row per partition (in key order) and day of the as-of month, with the partition's
/// other columns from its first row and the [`OUTPUT_COLUMNS`]. Rows whose value is not a
/// number or whose date does not parse are left out.
pub fn month_forecasts(data: &Dataset, series: &ForecastSeries<'_>) -> Dataset {
    let keys: Vec<usize> = series.partition.iter().filter_map(|p| data.column_index(p)).collect();
    let order = data.column_index(series.order);
    let value = data.column_index(series.value);
    type Group = (usize, BTreeMap<Date, f64>);
    let mut groups: BTreeMap<Vec<String>, Group> = BTreeMap::new();
    for i in 0..data.len() {
        let key: Vec<String> = keys.iter().map(|&c| data.cell(i, c).to_string()).collect();
        let group = groups.entry(key).or_insert_with(|| (i, BTreeMap::new()));
        let (Some(o), Some(v)) = (order, value) else { continue };
        let day = Date::parse(&data.cell(i, o).to_string());
        if let (Some(day), Some(x)) = (day, data.cell(i, v).as_f64()) {
            *group.1.entry(day).or_insert(0.0) += x;
        }
    }
    let kept: Vec<usize> = (0..data.columns.len()).filter(|&c| Some(c) != order && Some(c) != value).collect();
    let mut names: Vec<String> = kept.iter().map(|&c| data.columns[c].clone()).collect();
    let mut base: Vec<Vec<Value>> = vec![Vec::new(); kept.len()];
    let mut added: Vec<Vec<Value>> = vec![Vec::new(); OUTPUT_COLUMNS.len()];
    let real = |x: f64| Value::Real(x);
    let text = |d: Date| Value::Text(d.to_string());
    for (first, values) in groups.into_values() {
        let f = forecast_month(&values, series.as_of, series.trailing_weeks);
        let limit = series.limit.and_then(|l| data.column_index(l)).and_then(|c| data.cell(first, c).as_f64());
        let (total, low, high) = f.total();
        let days_left = f.days_left();
        // (day, (actual, running total) through the as-of day, (forecast, low, high) from it on)
        type Day = (Date, Option<(f64, f64)>, Option<(f64, f64, f64)>);
        let days: Vec<Day> = f
            .actual
            .iter()
            .map(|&(d, x, cum)| (d, Some((x, cum)), (d == series.as_of).then_some((f.to_date, f.to_date, f.to_date))))
            .chain(f.ahead.iter().map(|&(d, e, lo, hi)| (d, None, Some((e, lo, hi)))))
            .collect();
        for (d, actual, ahead) in days {
            for (column, &c) in base.iter_mut().zip(&kept) {
                column.push(data.cell(first, c).clone());
            }
            let cum = actual.map(|a| a.1);
            let row: [Value; 22] = [
                text(d),
                actual.map_or(Value::Null, |a| real(a.0)),
                cum.map_or(Value::Null, real),
                ahead.map_or(Value::Null, |a| real(a.0)),
                ahead.map_or(Value::Null, |a| real(a.1)),
                ahead.map_or(Value::Null, |a| real(a.2)),
                text(f.month_start),
                text(f.month_end),
                Value::Int(f.actual.len() as i64),
                Value::Int(days_left as i64),
                real(f.to_date),
                real(total),
                real(low),
                real(high),
                real(f.weekday_means.iter().sum::<f64>() / 7.0),
                real(f.daily_sd),
                Value::Int(i64::from(d == f.month_end)),
                match (limit, cum) {
                    (Some(l), Some(c)) => Value::Int(i64::from(c > l)),
                    _ => Value::Int(0),
                },
                limit.map_or(Value::Null, |l| real(l - total)),
                match limit {
                    Some(l) if days_left > 0 => real((l - f.to_date) / days_left as f64),
                    _ => Value::Null,
                },
                limit.filter(|l| *l != 0.0).map_or(Value::Null, |l| real(100.0 * f.to_date / l)),
                limit.filter(|l| *l != 0.0).map_or(Value::Null, |l| real(100.0 * total / l)),
            ];
            for (column, v) in added.iter_mut().zip(row) {
                column.push(v);
            }
        }
    }
    let mut columns: Vec<Column> = base.into_iter().map(Column::Values).collect();
    for (name, values) in OUTPUT_COLUMNS.iter().zip(added) {
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

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn months_have_their_own_length() {
        assert_eq!(month_of(day("2025-12-15")), (day("2025-12-01"), day("2025-12-31")));
        assert_eq!(month_of(day("2024-02-29")), (day("2024-02-01"), day("2024-02-29")));
        assert_eq!(month_of(day("2025-11-01")), (day("2025-11-01"), day("2025-11-30")));
    }

    #[test]
    fn a_weekly_pattern_is_forecast_by_weekday_without_error() {
        // Weekdays cost 10, weekends 2, for four weeks up to Wed 2025-12-10.
        let as_of = day("2025-12-10");
        let values: BTreeMap<Date, f64> =
            (0..28).map(|i| as_of.add_days(-i)).map(|d| (d, if (d.weekday() as usize) < 5 { 10.0 } else { 2.0 })).collect();
        let f = forecast_month(&values, as_of, 4);
        assert_eq!(f.daily_sd, 0.0);
        assert_eq!(f.weekday_means, [10.0, 10.0, 10.0, 10.0, 10.0, 2.0, 2.0]);
        // Dec 1–10 2025: Mon 1 … Wed 10 = 8 weekdays and 2 weekend days.
        assert_eq!(f.to_date, 84.0);
        // Dec 11–31: 15 weekdays and 6 weekend days.
        assert_eq!(f.days_left(), 21);
        assert_eq!(f.total(), (84.0 + 150.0 + 12.0, 246.0, 246.0));
    }

    #[test]
    fn the_interval_widens_with_the_days_left_and_never_drops_below_the_spend_so_far() {
        let as_of = day("2025-12-28");
        let values: BTreeMap<Date, f64> = (0..14).map(|i| (as_of.add_days(-i), if i % 2 == 0 { 0.0 } else { 4.0 })).collect();
        let f = forecast_month(&values, as_of, 2);
        assert!(f.daily_sd > 0.0);
        let widths: Vec<f64> = f.ahead.iter().map(|a| a.3 - a.1).collect();
        assert!(widths.windows(2).all(|w| w[1] > w[0]), "{widths:?}");
        assert!(f.ahead.iter().all(|a| a.2 >= f.to_date));
        let (total, _, high) = f.total();
        assert!((high - total - Z_90 * f.daily_sd * 3f64.sqrt()).abs() < 1e-9);
        // On the month's last day nothing is left to forecast.
        let last = forecast_month(&values, day("2025-12-31"), 2);
        assert_eq!((last.days_left(), last.total()), (0, (last.to_date, last.to_date, last.to_date)));
    }
}
