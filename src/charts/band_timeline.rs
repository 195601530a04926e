//! A daily value against its expected band, with flagged points coloured by severity, for
//! one facet (entity) at a time: the anomaly timeline.

use charming::component::{Axis, Grid, Legend};
use charming::datatype::{CompositeValue, DataPoint, DataPointItem};
use charming::element::{AreaStyle, AxisType, Color, ItemStyle, LineStyle, LineStyleType, Symbol};
use charming::series::{Line, Scatter};
use charming::Chart;

use super::{describe_row, number, tooltip_by_point};
use crate::report::dataset::Dataset;
use crate::report::spec::{ChartKind, ChartSpec, ReportSpec};
use crate::report::ReportResult;

pub fn severity_color(severity: &str) -> &'static str {
    match severity {
        "critical" => "#7a0b0b",
        "high" => "#d9480f",
        _ => "#f59f00",
    }
}

pub(super) fn build(
    report: &ReportSpec,
    spec: &ChartSpec,
    data: &Dataset,
    result: &ReportResult,
    facet: Option<&str>,
) -> (Chart, Vec<Vec<Option<usize>>>) {
    let ChartKind::BandTimeline { x, value, expected, lower, upper, flag, severity, facet: facet_col, facet_label } = &spec.kind else {
        unreachable!("dispatched on kind")
    };
    // Default facet: the entity of the report's first row (the top anomaly), else the first.
    let default = (!result.rows().is_empty()).then(|| result.rows().get(0, facet_col).to_string());
    let chosen = facet.map(String::from).or(default).unwrap_or_else(|| data.get(0, facet_col).to_string());
    let rows: Vec<usize> = (0..data.len()).filter(|&i| data.get(i, facet_col).to_string() == chosen).collect();
    let title = rows.first().map(|&r| data.get(r, facet_label).to_string()).unwrap_or_default();
    let xs: Vec<String> = rows.iter().map(|&r| data.get(r, x).to_string()).collect();
    let missing = || DataPoint::Value(CompositeValue::from("-"));
    let scored = |r: usize| !data.get(r, expected).is_null();

    // The band: an invisible floor at max(0, lower) plus a shaded height up to `upper`.
    let floor: Vec<DataPoint> = rows
        .iter()
        .map(|&r| if scored(r) { DataPoint::Item(DataPointItem::new(number(data, r, lower).max(0.0))) } else { missing() })
        .collect();
    let height: Vec<DataPoint> = rows
        .iter()
        .map(|&r| {
            if scored(r) {
                DataPoint::Item(DataPointItem::new(number(data, r, upper) - number(data, r, lower).max(0.0)))
            } else {
                missing()
            }
        })
        .collect();
    let expected_line: Vec<DataPoint> =
        rows.iter().map(|&r| if scored(r) { DataPoint::Item(DataPointItem::new(number(data, r, expected))) } else { missing() }).collect();
    let actual: Vec<DataPoint> = rows.iter().map(|&r| DataPoint::Item(DataPointItem::new(number(data, r, value)))).collect();
    let flagged: Vec<usize> = rows.iter().copied().filter(|&r| number(data, r, flag) != 0.0).collect();
    let markers: Vec<DataPoint> = flagged
        .iter()
        .map(|&r| {
            let xi = rows.iter().position(|&q| q == r).expect("flagged rows are in the facet") as f64;
            DataPoint::Item(
                DataPointItem::new(CompositeValue::Array(vec![xi.into(), number(data, r, value).into()]))
                    .item_style(ItemStyle::new().color(Color::from(severity_color(&data.get(r, severity).to_string())))),
            )
        })
        .collect();

    let columns = [value, expected, lower, upper, "z_score", "severity"];
    let day_tips: Vec<String> =
        rows.iter().map(|&r| describe_row(report, data.row(r), &format!("{title} · {}", data.get(r, x)), &columns)).collect();
    let marker_tips: Vec<String> =
        flagged.iter().map(|&r| describe_row(report, data.row(r), &format!("Anomaly: {title} · {}", data.get(r, x)), &columns)).collect();
    let none = vec![String::new(); rows.len()];
    let tips = vec![none.clone(), none.clone(), day_tips.clone(), day_tips, marker_tips];

    let chart = Chart::new()
        .animation(false)
        .legend(Legend::new().top("0").data(vec!["Expected band", "Expected", "Actual", "Anomaly"]))
        .tooltip(tooltip_by_point(&tips))
        .grid(Grid::new().left("2%").right("4%").top("40").bottom("3%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(xs))
        .y_axis(Axis::new().type_(AxisType::Value).name("USD"))
        .series(
            Line::new()
                .name("Band floor")
                .stack("band")
                .symbol(Symbol::None)
                .line_style(LineStyle::new().opacity(0))
                .silent(true)
                .data(floor),
        )
        .series(
            Line::new()
                .name("Expected band")
                .stack("band")
                .symbol(Symbol::None)
                .line_style(LineStyle::new().opacity(0))
                .area_style(AreaStyle::new().color(Color::from("rgba(59,111,216,0.18)")))
                .item_style(ItemStyle::new().color(Color::from("rgba(59,111,216,0.35)")))
                .silent(true)
                .data(height),
        )
        .series(
            Line::new()
                .name("Expected")
                .symbol(Symbol::None)
                .line_style(LineStyle::new().type_(LineStyleType::Dashed).color(Color::from("#3b6fd8")))
                .item_style(ItemStyle::new().color(Color::from("#3b6fd8")))
                .data(expected_line),
        )
        .series(
            Line::new()
                .name("Actual")
                .symbol(Symbol::Circle)
                .symbol_size(5.0)
                .item_style(ItemStyle::new().color(Color::from("#1d2330")))
                .data(actual),
        )
        .series(
            Scatter::new()
                .name("Anomaly")
                .symbol(Symbol::Circle)
                .symbol_size(16.0)
                .item_style(ItemStyle::new().color(Color::from("#d9480f")))
                .data(markers),
        );
    let row_points: Vec<Option<usize>> = rows.iter().map(|&r| Some(r)).collect();
    let points =
        vec![vec![None; rows.len()], vec![None; rows.len()], row_points.clone(), row_points, flagged.into_iter().map(Some).collect()];
    (chart, points)
}
