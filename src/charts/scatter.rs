//! Points at (x, y), sized by one column and coloured by another (the spot risk matrix).

use charming::component::{Axis, Grid, VisualMap, VisualMapChannel};
use charming::datatype::{CompositeValue, DataPoint};
use charming::element::{AxisType, Color, ItemStyle, Label, LabelPosition, NameLocation};
use charming::series::Scatter;
use charming::Chart;

use super::{describe_row, labels_by_index, number, tooltip_by_point};
use crate::report::dataset::Dataset;
use crate::report::spec::{ChartKind, ChartSpec, ReportSpec, Unit};

pub(super) fn build(report: &ReportSpec, spec: &ChartSpec, data: &Dataset) -> (serde_json::Value, Vec<Vec<Option<usize>>>) {
    let ChartKind::Scatter { x, y, size, color, label, x_unit, y_unit } = &spec.kind else { unreachable!("dispatched on kind") };
    let rows: Vec<usize> = (0..data.len()).collect();
    let points_xyz: Vec<DataPoint> = rows
        .iter()
        .map(|&r| {
            DataPoint::Value(CompositeValue::Array(vec![
                number(data, r, x).into(),
                number(data, r, y).into(),
                number(data, r, color).into(),
            ]))
        })
        .collect();
    // Bubble area grows with the size column: 10 px plus 6 px per √unit, capped.
    let sizes: Vec<f64> = rows.iter().map(|&r| (10.0 + 6.0 * number(data, r, size).max(0.0).sqrt()).min(48.0)).collect();
    let names: Vec<String> = rows.iter().map(|&r| data.get(r, label).to_string()).collect();
    let tips: Vec<String> = rows.iter().map(|&r| describe_row(report, data.row(r), &names[r], &[x, y, size, color])).collect();
    let color_max = rows.iter().map(|&r| number(data, r, color)).fold(1.0, f64::max);
    let mut series = Scatter::new().name(report.label_of(y).to_string()).data(points_xyz);
    if rows.len() <= 20 {
        series = series.label(Label::new().show(true).position(LabelPosition::Right).formatter(labels_by_index(&names)));
    }
    // Axis names sit centred outside the axis (at the end they ran off the chart's right edge).
    let axis = |unit: &Unit, column: &str, gap: f64| {
        let a =
            Axis::new().type_(AxisType::Value).name(report.label_of(column).to_string()).name_location(NameLocation::Middle).name_gap(gap);
        if *unit == Unit::Pct {
            a.min(0).max(100)
        } else {
            a
        }
    };
    let chart = Chart::new()
        .animation(false)
        .tooltip(tooltip_by_point(&[tips]))
        .grid(Grid::new().left("4%").right("12%").top("30").bottom("34").contain_label(true))
        .x_axis(axis(x_unit, x, 26.0))
        .y_axis(axis(y_unit, y, 64.0))
        .visual_map(
            VisualMap::new()
                .dimension(2)
                .min(0.0)
                .max(color_max)
                .calculable(true)
                .right("0")
                .top("middle")
                // From a visible orange (no failures) to deep red: the palest end of the
                // old range was almost the background, so bubbles vanished behind their labels.
                .in_range(VisualMapChannel::new().color(vec![Color::from("#f4a261"), Color::from("#b2182b")])),
        )
        .series(series.item_style(ItemStyle::new().border_color("#5c1a1a").border_width(1).opacity(0.85)));
    // Bubble sizes per point: charming has no per-item symbol size, so the option gets one
    // callback (as data) for the series.
    let mut option = super::option(&chart);
    option["series"][0]["symbolSize"] = serde_json::Value::String(super::ChartFn::Sizes { sizes }.marker());
    // Bubbles near one another (the many small jobs bottom-left) would print their names on
    // top of each other: ECharts moves a clashing label down, and hides it if it still
    // clashes (the tooltip still names the bubble). charming has no labelLayout, hence JSON.
    if option["series"][0].get("label").is_some() {
        option["series"][0]["labelLayout"] = serde_json::json!({ "moveOverlap": "shiftY", "hideOverlap": true });
    }
    (option, vec![rows.into_iter().map(Some).collect()])
}
