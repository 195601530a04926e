//! Cells of a value at (x, y): evictions per job and day.

use charming::component::{Axis, Grid, VisualMap, VisualMapChannel};
use charming::datatype::{CompositeValue, DataFrame, DataPoint};
use charming::element::{AxisType, Color};
use charming::series::Heatmap;
use charming::Chart;

use super::{describe_row, number, tooltip_by_point};
use crate::report::dataset::Dataset;
use crate::report::spec::{ChartKind, ChartSpec, ReportSpec};

pub(super) fn build(report: &ReportSpec, spec: &ChartSpec, data: &Dataset) -> (Chart, Vec<Vec<Option<usize>>>) {
    let ChartKind::Heatmap { x, y, value } = &spec.kind else { unreachable!("dispatched on kind") };
    let mut xs: Vec<String> = Vec::new();
    let mut ys: Vec<String> = Vec::new();
    for i in 0..data.len() {
        let (xv, yv) = (data.get(i, x).to_string(), data.get(i, y).to_string());
        if !xs.contains(&xv) {
            xs.push(xv);
        }
        if !ys.contains(&yv) {
            ys.push(yv);
        }
    }
    // Only non-zero cells are drawn, so empty days stay blank.
    let rows: Vec<usize> = (0..data.len()).filter(|&i| number(data, i, value) != 0.0).collect();
    let cells: Vec<DataFrame> = rows
        .iter()
        .map(|&i| {
            let xi = xs.iter().position(|v| *v == data.get(i, x).to_string()).expect("collected") as f64;
            let yi = ys.iter().position(|v| *v == data.get(i, y).to_string()).expect("collected") as f64;
            vec![DataPoint::Value(xi.into()), DataPoint::Value(yi.into()), DataPoint::Value(CompositeValue::from(number(data, i, value)))]
        })
        .collect();
    let tips: Vec<String> =
        rows.iter().map(|&i| describe_row(report, data.row(i), &format!("{} · {}", data.get(i, y), data.get(i, x)), &[value])).collect();
    let max = rows.iter().map(|&i| number(data, i, value)).fold(1.0, f64::max);
    let chart = Chart::new()
        .animation(false)
        .tooltip(tooltip_by_point(&[tips]))
        .grid(Grid::new().left("2%").right("4%").top("10").bottom("60").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(xs))
        .y_axis(Axis::new().type_(AxisType::Category).data(ys).inverse(true))
        .visual_map(
            VisualMap::new()
                .min(1.0)
                .max(max)
                .calculable(true)
                .orient(charming::element::Orient::Horizontal)
                .left("center")
                .bottom("0")
                .in_range(VisualMapChannel::new().color(vec![Color::from("#ffd8a8"), Color::from("#c92a2a")])),
        )
        .series(Heatmap::new().name(report.label_of(value).to_string()).data(cells));
    (chart, vec![rows.into_iter().map(Some).collect()])
}
