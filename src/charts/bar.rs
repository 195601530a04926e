//! Bars per category (stacked when series share a stack), largest first, with an optional
//! series on its own axis — success rate next to dollars, or a Pareto's cumulative share.

use charming::component::{Axis, Grid, Legend};
use charming::datatype::{CompositeValue, DataPoint, DataPointItem};
use charming::element::{
    AxisLabel, AxisType, Color, Formatter, ItemStyle, Label, LabelPosition, LineStyle, LineStyleType, MarkLine, MarkLineData,
    MarkLineVariant, Symbol,
};
use charming::series::{Bar, Line, Scatter};
use charming::Chart;

use super::{describe_row, labels_by_index, number, tooltip_by_point};
use crate::report::dataset::{Dataset, Value};
use crate::report::display::report_value;
use crate::report::spec::{ChartKind, ChartSpec, ReportSpec, SecondaryKind};

pub(super) fn build(report: &ReportSpec, spec: &ChartSpec, data: &Dataset) -> (serde_json::Value, Vec<Vec<Option<usize>>>) {
    let ChartKind::Bar { category, series, horizontal, unit, limit, secondary, label } = &spec.kind else {
        unreachable!("dispatched on kind")
    };
    let mut rows: Vec<usize> = (0..data.len()).take(limit.unwrap_or(usize::MAX)).collect();
    if *horizontal {
        // ECharts puts the first category at the bottom; the largest belongs on top.
        rows.reverse();
    }
    let categories: Vec<String> = rows.iter().map(|&r| data.get(r, category).to_string()).collect();

    // One tooltip per category, shared by every series of that category.
    let mut tip_columns: Vec<&str> = series.iter().map(|s| s.column.as_str()).collect();
    if let Some(sec) = secondary {
        tip_columns.push(&sec.column);
    }
    for extra in ["share_pct", "runs", "failed_runs"] {
        if data.column_index(extra).is_some() && !tip_columns.contains(&extra) {
            tip_columns.push(extra);
        }
    }
    let tips: Vec<String> =
        rows.iter().map(|&r| describe_row(report, data.row(r), &data.get(r, category).to_string(), &tip_columns)).collect();
    let series_count = series.len() + usize::from(secondary.is_some());

    let value_axis = Axis::new().type_(AxisType::Value).name(axis_name(*unit));
    let category_axis =
        Axis::new().type_(AxisType::Category).data(categories.clone()).axis_label(AxisLabel::new().interval(0).formatter(shorten_labels()));
    let visible: Vec<String> =
        series.iter().filter(|s| !s.invisible).map(|s| s.label.clone()).chain(secondary.iter().map(|s| s.label.clone())).collect();
    let mut chart = Chart::new()
        .animation(false)
        .legend(Legend::new().top("0").data(visible))
        .tooltip(tooltip_by_point(&vec![tips; series_count]))
        .grid(Grid::new().left("2%").right(if *horizontal { "8%" } else { "6%" }).top("40").bottom("3%").contain_label(true));
    chart = if *horizontal { chart.x_axis(value_axis).y_axis(category_axis) } else { chart.x_axis(category_axis).y_axis(value_axis) };

    let single = series.len() == 1;
    for s in series {
        let values: Vec<DataPoint> = rows.iter().map(|&r| DataPoint::Item(DataPointItem::new(number(data, r, &s.column)))).collect();
        let mut bar = Bar::new().name(s.label.clone()).data(values);
        if let Some(stack) = &s.stack {
            bar = bar.stack(stack.clone());
        }
        if s.invisible {
            bar = bar.item_style(ItemStyle::new().color(Color::Value("rgba(0,0,0,0)".into())));
        } else if let Some(color) = &s.color {
            bar = bar.item_style(ItemStyle::new().color(Color::Value(color.clone())));
        }
        if single {
            let labels: Vec<String> = rows
                .iter()
                .map(|&r| match label {
                    Some(col) => data.get(r, col).to_string(),
                    None => bar_label(report, data, r, &s.column),
                })
                .collect();
            bar = bar.label(
                Label::new()
                    .show(true)
                    .position(if *horizontal { LabelPosition::Right } else { LabelPosition::Top })
                    .formatter(labels_by_index(&labels)),
            );
        }
        chart = chart.series(bar);
    }

    if let Some(sec) = secondary {
        // The legend names the series; the axis only shows its scale.
        let mut axis = Axis::new().type_(AxisType::Value).axis_label(AxisLabel::new().formatter(unit_suffix(sec.unit)));
        if let Some(min) = sec.min {
            axis = axis.min(min);
        }
        if let Some(max) = sec.max {
            axis = axis.max(max);
        }
        chart = if *horizontal { chart.x_axis(axis.position("top")) } else { chart.y_axis(axis.position("right")) };
        let values: Vec<DataPoint> = rows
            .iter()
            .map(|&r| match data.get(r, &sec.column) {
                Value::Null => DataPoint::Value(CompositeValue::from("-")),
                v => DataPoint::Item(DataPointItem::new(v.as_f64().unwrap_or(0.0))),
            })
            .collect();
        let color = Color::Value(sec.color.clone().unwrap_or_else(|| "#1f9d55".into()));
        let mark = sec.reference.map(|at| {
            let point = if *horizontal { MarkLineData::new().x_axis(at) } else { MarkLineData::new().y_axis(at) };
            MarkLine::new()
                .symbol(vec![Symbol::None, Symbol::None])
                .line_style(LineStyle::new().type_(LineStyleType::Dashed).color(color.clone()))
                .label(Label::new().formatter(Formatter::String(sec.reference_label.clone().unwrap_or_else(|| at.to_string()))))
                .data(vec![MarkLineVariant::Simple(point)])
        });
        let on_axis_1 = 1.0;
        match sec.kind {
            SecondaryKind::Markers => {
                let mut s = Scatter::new()
                    .name(sec.label.clone())
                    .symbol(Symbol::Diamond)
                    .symbol_size(12.0)
                    .data(values)
                    .item_style(ItemStyle::new().color(color));
                s = if *horizontal { s.x_axis_index(on_axis_1) } else { s.y_axis_index(on_axis_1) };
                if let Some(m) = mark {
                    s = s.mark_line(m);
                }
                chart = chart.series(s);
            }
            SecondaryKind::Line => {
                let mut l = Line::new().name(sec.label.clone()).data(values).item_style(ItemStyle::new().color(color));
                l = if *horizontal { l.x_axis_index(on_axis_1) } else { l.y_axis_index(on_axis_1) };
                if let Some(m) = mark {
                    l = l.mark_line(m);
                }
                chart = chart.series(l);
            }
        }
    }
    let shown: Vec<Option<usize>> = rows.iter().map(|&r| Some(r)).collect();
    let mut points = vec![shown; series_count];
    let mut option = super::option(&chart);
    for (i, _) in series.iter().enumerate().filter(|(_, s)| s.invisible) {
        // charming has no `silent` for bars: set it on the option (no hover, no click).
        option["series"][i]["silent"] = serde_json::Value::Bool(true);
        points[i] = vec![None; rows.len()];
    }
    (option, points)
}

/// "$25,389.71 (9.0%)" when the dataset has shares, else the value alone.
fn bar_label(report: &ReportSpec, data: &Dataset, row: usize, column: &str) -> String {
    let value = report_value(data.get(row, column), report.unit_of(column));
    match data.get(row, "share_pct").as_f64() {
        Some(share) => format!("{value} ({share:.1}%)"),
        None => value,
    }
}

fn axis_name(unit: crate::report::spec::Unit) -> String {
    match unit {
        crate::report::spec::Unit::Usd => "USD".into(),
        crate::report::spec::Unit::Pct => "%".into(),
        crate::report::spec::Unit::Hours => "hours".into(),
        _ => String::new(),
    }
}

/// Axis labels longer than 28 characters are cut with an ellipsis (the tooltip has all).
fn shorten_labels() -> Formatter {
    super::ChartFn::Shorten { max: 28 }.formatter()
}

fn unit_suffix(unit: crate::report::spec::Unit) -> Formatter {
    match unit {
        crate::report::spec::Unit::Pct => Formatter::String("{value}%".into()),
        _ => Formatter::String("{value}".into()),
    }
}
