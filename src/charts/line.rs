//! One line per value of a split column over an x column (daily cost per compute type).

use charming::component::{Axis, DataZoom, Grid, Legend};
use charming::datatype::{DataPoint, DataPointItem};
use charming::element::{AxisType, Symbol};
use charming::series::Line;
use charming::Chart;

use super::{describe_row, number, tooltip_by_point};
use crate::report::dataset::Dataset;
use crate::report::spec::{ChartKind, ChartSpec, ReportSpec};

pub(super) fn build(report: &ReportSpec, spec: &ChartSpec, data: &Dataset) -> (Chart, Vec<Vec<Option<usize>>>) {
    let ChartKind::Line { x, y, split_by, .. } = &spec.kind else { unreachable!("dispatched on kind") };
    let mut xs: Vec<String> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for i in 0..data.len() {
        let (xv, g) = (data.get(i, x).to_string(), data.get(i, split_by).to_string());
        if !xs.contains(&xv) {
            xs.push(xv);
        }
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let mut chart = Chart::new()
        .animation(false)
        .legend(Legend::new().top("0"))
        .grid(Grid::new().left("2%").right("4%").top("40").bottom("48").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(xs.clone()))
        .y_axis(Axis::new().type_(AxisType::Value))
        .data_zoom(DataZoom::new().type_(charming::component::DataZoomType::Slider).bottom("8"));
    let mut points = Vec::new();
    let mut tips = Vec::new();
    for g in &groups {
        let mut rows: Vec<Option<usize>> = vec![None; xs.len()];
        for i in (0..data.len()).filter(|&i| data.get(i, split_by).to_string() == *g) {
            let xi = xs.iter().position(|v| *v == data.get(i, x).to_string()).expect("collected above");
            rows[xi] = Some(i);
        }
        let values: Vec<DataPoint> =
            rows.iter().map(|r| DataPoint::Item(DataPointItem::new(r.map_or(0.0, |i| number(data, i, y))))).collect();
        tips.push(
            rows.iter()
                .map(|r| r.map_or(String::new(), |i| describe_row(report, data.row(i), &format!("{g} · {}", data.get(i, x)), &[y])))
                .collect::<Vec<_>>(),
        );
        chart = chart.series(Line::new().name(g.clone()).symbol(Symbol::Circle).symbol_size(4.0).data(values));
        points.push(rows);
    }
    (chart.tooltip(tooltip_by_point(&tips)), points)
}
