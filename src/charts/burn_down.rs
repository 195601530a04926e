//! A month's running spend against its limit, one facet (budget) at a time: the actual
//! running total through the as-of day, the forecast to the month's end with its interval
//! shaded, and the limit as a line.

use charming::component::{Axis, Grid, Legend};
use charming::datatype::{CompositeValue, DataPoint, DataPointItem};
use charming::element::{AreaStyle, AxisType, Color, ItemStyle, LineStyle, LineStyleType, Symbol};
use charming::series::Line;
use charming::Chart;

use super::{describe_row, tooltip_by_point};
use crate::report::dataset::Dataset;
use crate::report::spec::{ChartKind, ChartSpec, ReportSpec};
use crate::report::ReportResult;

pub(super) fn build(
    report: &ReportSpec,
    spec: &ChartSpec,
    data: &Dataset,
    result: &ReportResult,
    facet: Option<&str>,
) -> (Chart, Vec<Vec<Option<usize>>>) {
    let ChartKind::BurnDown { x, actual, forecast, low, high, limit, facet: facet_col, facet_label } = &spec.kind else {
        unreachable!("dispatched on kind")
    };
    // Default facet: the report's first row (the budget most at risk), else the data's first.
    let default = (!result.rows().is_empty()).then(|| result.rows().get(0, facet_col).to_string());
    let chosen = facet.map(String::from).or(default).unwrap_or_else(|| data.get(0, facet_col).to_string());
    let rows: Vec<usize> = (0..data.len()).filter(|&i| data.get(i, facet_col).to_string() == chosen).collect();
    let title = rows.first().map(|&r| data.get(r, facet_label).to_string()).unwrap_or_default();
    let xs: Vec<String> = rows.iter().map(|&r| data.get(r, x).to_string()).collect();
    let value = |r: usize, column: &str| match data.get(r, column).as_f64() {
        Some(v) => DataPoint::Item(DataPointItem::new(v)),
        None => DataPoint::Value(CompositeValue::from("-")),
    };
    let series_of = |column: &str| -> Vec<DataPoint> { rows.iter().map(|&r| value(r, column)).collect() };
    // The interval: an invisible floor at `low` plus a shaded height up to `high`.
    let height: Vec<DataPoint> = rows
        .iter()
        .map(|&r| match (data.get(r, low).as_f64(), data.get(r, high).as_f64()) {
            (Some(lo), Some(hi)) => DataPoint::Item(DataPointItem::new(hi - lo)),
            _ => DataPoint::Value(CompositeValue::from("-")),
        })
        .collect();

    let columns = [actual.as_str(), forecast, low, high, limit];
    let day_tips: Vec<String> =
        rows.iter().map(|&r| describe_row(report, data.row(r), &format!("{title} · {}", data.get(r, x)), &columns)).collect();
    let none = vec![String::new(); rows.len()];
    let tips = vec![none.clone(), none, day_tips.clone(), day_tips.clone(), day_tips];
    let chart = Chart::new()
        .animation(false)
        .legend(Legend::new().top("0").data(vec!["Interval (90 %)", "Forecast", "Spent", "Budget"]))
        .tooltip(tooltip_by_point(&tips))
        .grid(Grid::new().left("2%").right("4%").top("40").bottom("3%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(xs))
        .y_axis(Axis::new().type_(AxisType::Value).name("USD"))
        .series(
            Line::new()
                .name("Interval floor")
                .stack("interval")
                .symbol(Symbol::None)
                .line_style(LineStyle::new().opacity(0))
                .silent(true)
                .data(series_of(low)),
        )
        .series(
            Line::new()
                .name("Interval (90 %)")
                .stack("interval")
                .symbol(Symbol::None)
                .line_style(LineStyle::new().opacity(0))
                .area_style(AreaStyle::new().color(Color::from("rgba(245,159,0,0.18)")))
                .item_style(ItemStyle::new().color(Color::from("rgba(245,159,0,0.35)")))
                .silent(true)
                .data(height),
        )
        .series(
            Line::new()
                .name("Forecast")
                .symbol(Symbol::Circle)
                .symbol_size(3.0)
                .line_style(LineStyle::new().type_(LineStyleType::Dashed).color(Color::from("#f59f00")))
                .item_style(ItemStyle::new().color(Color::from("#f59f00")))
                .data(series_of(forecast)),
        )
        .series(
            Line::new()
                .name("Spent")
                .symbol(Symbol::Circle)
                .symbol_size(5.0)
                .item_style(ItemStyle::new().color(Color::from("#1d2330")))
                .data(series_of(actual)),
        )
        .series(
            Line::new()
                .name("Budget")
                .symbol(Symbol::None)
                .line_style(LineStyle::new().color(Color::from("#d9534f")))
                .item_style(ItemStyle::new().color(Color::from("#d9534f")))
                .data(series_of(limit)),
        );
    let row_points: Vec<Option<usize>> = rows.iter().map(|&r| Some(r)).collect();
    let points = vec![vec![None; rows.len()], vec![None; rows.len()], row_points.clone(), row_points.clone(), row_points];
    (chart, points)
}
