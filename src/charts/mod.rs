//! Chart options (ECharts via charming) for everything the app draws, built natively from
//! report results and specs. Each built chart also maps every (series, point) back to the
//! dataset row it shows, so a click on a mark selects that row's entity. Labels and
//! tooltips are formatted here with `format`, so charts read the same as tables and CLI;
//! tooltip text is HTML-escaped because ECharts renders it as HTML.

mod band_timeline;
mod bar;
mod heatmap;
mod line;
mod scatter;
mod subgraph;
mod summary;

use charming::component::Title;
use charming::element::{Formatter, JsFunction, Tooltip, Trigger};
use charming::Chart;

use crate::base::format::html_escape;
use crate::report::dataset::{Dataset, RowRef};
use crate::report::display::report_value;
use crate::report::spec::{ChartKind, ChartSpec, ReportSpec};
use crate::report::ReportResult;

pub use subgraph::subgraph_chart;
pub use summary::spend_by_compute_type;

/// A chart ready for ECharts, with the way back from its marks to dataset rows.
#[derive(Clone, Debug)]
pub struct BuiltChart {
    pub chart: Chart,
    /// The dataset the marks come from.
    pub dataset: String,
    /// `points[series][data_index]` = row of `dataset`, or `None` for decoration.
    pub points: Vec<Vec<Option<usize>>>,
}

impl BuiltChart {
    /// The dataset row behind a clicked mark.
    pub fn row_at(&self, series: usize, data_index: usize) -> Option<usize> {
        self.points.get(series)?.get(data_index).copied().flatten()
    }
}

/// Builds a report chart. `facet` picks the facet of a faceted chart (e.g. the entity of
/// the anomaly timeline); `None` takes the default.
pub fn build(report: &ReportSpec, spec: &ChartSpec, result: &ReportResult, facet: Option<&str>) -> Option<BuiltChart> {
    let data = result.dataset(&spec.dataset)?;
    if data.is_empty() {
        return Some(BuiltChart { chart: empty_chart(), dataset: spec.dataset.clone(), points: Vec::new() });
    }
    let (chart, points) = match &spec.kind {
        ChartKind::Bar { .. } => bar::build(report, spec, data),
        ChartKind::Line { .. } => line::build(report, spec, data),
        ChartKind::Scatter { .. } => scatter::build(report, spec, data),
        ChartKind::Heatmap { .. } => heatmap::build(report, spec, data),
        ChartKind::BandTimeline { .. } => band_timeline::build(report, spec, data, result, facet),
    };
    Some(BuiltChart { chart, dataset: spec.dataset.clone(), points })
}

/// The facets a faceted chart can show: (value, label), in first-appearance order.
pub fn facets(spec: &ChartSpec, result: &ReportResult) -> Vec<(String, String)> {
    let ChartKind::BandTimeline { facet, facet_label, .. } = &spec.kind else { return Vec::new() };
    let Some(data) = result.dataset(&spec.dataset) else { return Vec::new() };
    let mut out: Vec<(String, String)> = Vec::new();
    for i in 0..data.len() {
        let value = data.get(i, facet).to_string();
        if !out.iter().any(|(v, _)| *v == value) {
            out.push((value, data.get(i, facet_label).to_string()));
        }
    }
    out
}

fn empty_chart() -> Chart {
    Chart::new().animation(false).title(Title::new().text("No data in this range").left("center").top("middle"))
}

/// A formatter that returns, for each data point, text computed here.
pub fn labels_by_index(labels: &[String]) -> Formatter {
    let json = serde_json::to_string(labels).expect("strings serialise");
    Formatter::Function(JsFunction::new_with_args("p", &format!("return {json}[p.dataIndex];")))
}

/// An item tooltip whose text (HTML) is looked up by series and data index.
fn tooltip_by_point(texts: &[Vec<String>]) -> Tooltip {
    let json = serde_json::to_string(texts).expect("strings serialise");
    Tooltip::new().trigger(Trigger::Item).formatter(Formatter::Function(JsFunction::new_with_args(
        "p",
        &format!("var t = {json}[p.seriesIndex]; return t ? (t[p.dataIndex] || '') : '';"),
    )))
}

/// `Label: value` lines (HTML-escaped) for a tooltip about one row.
fn describe_row(report: &ReportSpec, row: RowRef<'_>, title: &str, columns: &[&str]) -> String {
    let mut lines = vec![format!("<b>{}</b>", html_escape(title))];
    for c in columns {
        lines.push(format!("{}: {}", html_escape(report.label_of(c)), html_escape(&report_value(row.get(c), report.unit_of(c)))));
    }
    lines.join("<br/>")
}

fn number(data: &Dataset, row: usize, column: &str) -> f64 {
    data.get(row, column).as_f64().unwrap_or(0.0)
}
