//! Chart options (ECharts via charming) for everything the app draws, built natively from
//! report results and specs. Each built chart also maps every (series, point) back to the
//! dataset row it shows, so a click on a mark selects that row's entity. Labels and
//! tooltips are formatted here with `format`, so charts read the same as tables and CLI;
//! tooltip text is HTML-escaped because ECharts renders it as HTML.

mod band_timeline;
mod bar;
mod burn_down;
mod heatmap;
mod line;
mod scatter;
mod subgraph;
mod summary;

use charming::component::Title;
use charming::element::{Formatter, Tooltip, Trigger};
use charming::Chart;
use serde::{Deserialize, Serialize};

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
    /// The ECharts option as JSON: plain data (callbacks are [`ChartFn`] markers), so it
    /// can cross a worker boundary and never needs `eval`.
    pub chart: serde_json::Value,
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
        return Some(BuiltChart { chart: option(&empty_chart()), dataset: spec.dataset.clone(), points: Vec::new() });
    }
    let (chart, points) = match &spec.kind {
        ChartKind::Bar { .. } => bar::build(report, spec, data),
        ChartKind::Line { .. } => {
            let (chart, points) = line::build(report, spec, data);
            (option(&chart), points)
        }
        ChartKind::Scatter { .. } => scatter::build(report, spec, data),
        ChartKind::Heatmap { .. } => {
            let (chart, points) = heatmap::build(report, spec, data);
            (option(&chart), points)
        }
        ChartKind::BandTimeline { .. } => {
            let (chart, points) = band_timeline::build(report, spec, data, result, facet);
            (option(&chart), points)
        }
        ChartKind::BurnDown { .. } => {
            let (chart, points) = burn_down::build(report, spec, data, result, facet);
            (option(&chart), points)
        }
    };
    Some(BuiltChart { chart, dataset: spec.dataset.clone(), points })
}

/// The facets a faceted chart can show: (value, label), in first-appearance order.
pub fn facets(spec: &ChartSpec, result: &ReportResult) -> Vec<(String, String)> {
    let (ChartKind::BandTimeline { facet, facet_label, .. } | ChartKind::BurnDown { facet, facet_label, .. }) = &spec.kind else {
        return Vec::new();
    };
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

/// The ECharts option of a chart, as JSON.
pub fn option(chart: &Chart) -> serde_json::Value {
    serde_json::to_value(chart).expect("charts hold no functions, so they serialise")
}

/// The prefix of a string that stands for a chart callback in an option.
pub const FN_MARKER: &str = "copilot-fn:";

/// A chart callback as data. ECharts takes functions for per-point labels, tooltips and
/// sizes; building them from source text needs `new Function` (which the page's CSP
/// forbids), so the option holds `copilot-fn:<json>` strings instead and the chart host
/// turns each into a callback that calls [`ChartFn::call`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChartFn {
    /// Text by data index (labels, item tooltips of one series).
    Labels { texts: Vec<String> },
    /// Text by series, then data index.
    Tooltips { texts: Vec<Vec<String>> },
    /// Text by node id, for graph nodes only.
    NodeTooltips { ids: Vec<String>, texts: Vec<String> },
    /// A symbol size by data index.
    Sizes { sizes: Vec<f64> },
    /// The value itself, cut to `max` characters with an ellipsis.
    Shorten { max: usize },
}

/// What a callback is called with, read from ECharts' arguments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FnCall {
    pub series_index: Option<usize>,
    pub data_index: Option<usize>,
    /// `params.dataType` (graph charts: `node` or `edge`).
    pub data_type: Option<String>,
    /// `params.data.id` (graph nodes).
    pub id: Option<String>,
    /// The first argument when it is a plain value (axis labels).
    pub value: Option<String>,
}

impl ChartFn {
    /// The marker string standing for this callback in an option.
    pub fn marker(&self) -> String {
        format!("{FN_MARKER}{}", serde_json::to_string(self).expect("serialises"))
    }

    /// The callback a marker stands for, if `text` is one.
    pub fn from_marker(text: &str) -> Option<ChartFn> {
        serde_json::from_str(text.strip_prefix(FN_MARKER)?).ok()
    }

    pub fn formatter(&self) -> Formatter {
        Formatter::String(self.marker())
    }

    /// What the callback returns for `call`: a string, or a number for sizes.
    pub fn call(&self, call: &FnCall) -> serde_json::Value {
        let text = |s: Option<&String>| serde_json::Value::String(s.cloned().unwrap_or_default());
        match self {
            ChartFn::Labels { texts } => text(call.data_index.and_then(|i| texts.get(i))),
            ChartFn::Tooltips { texts } => text(call.series_index.zip(call.data_index).and_then(|(s, i)| texts.get(s)?.get(i))),
            ChartFn::NodeTooltips { ids, texts } => {
                let at =
                    call.id.as_ref().filter(|_| call.data_type.as_deref() == Some("node")).and_then(|id| ids.iter().position(|x| x == id));
                text(at.and_then(|i| texts.get(i)))
            }
            ChartFn::Sizes { sizes } => {
                call.data_index.and_then(|i| sizes.get(i)).map_or(serde_json::Value::Null, |s| serde_json::json!(s))
            }
            ChartFn::Shorten { max } => {
                let v = call.value.clone().unwrap_or_default();
                if v.chars().count() > *max {
                    serde_json::Value::String(format!("{}…", v.chars().take(max.saturating_sub(1)).collect::<String>()))
                } else {
                    serde_json::Value::String(v)
                }
            }
        }
    }
}

/// A formatter that returns, for each data point, text computed here.
pub fn labels_by_index(labels: &[String]) -> Formatter {
    ChartFn::Labels { texts: labels.to_vec() }.formatter()
}

/// An item tooltip whose text (HTML) is looked up by series and data index.
fn tooltip_by_point(texts: &[Vec<String>]) -> Tooltip {
    Tooltip::new().trigger(Trigger::Item).formatter(ChartFn::Tooltips { texts: texts.to_vec() }.formatter())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_are_data_and_answer_like_the_functions_they_replace() {
        let tips = ChartFn::Tooltips { texts: vec![vec!["a".into(), "b".into()], vec!["c".into()]] };
        assert_eq!(ChartFn::from_marker(&tips.marker()), Some(tips.clone()));
        assert!(ChartFn::from_marker("{b}: {c}").is_none(), "an ECharts template is not a marker");
        let at = |s, i| FnCall { series_index: Some(s), data_index: Some(i), ..FnCall::default() };
        assert_eq!(tips.call(&at(0, 1)), "b");
        assert_eq!(tips.call(&at(1, 5)), "", "missing points get no text");
        let sizes = ChartFn::Sizes { sizes: vec![10.0, 22.5] };
        assert_eq!(sizes.call(&at(0, 1)), 22.5);
        let shorten = ChartFn::Shorten { max: 5 };
        assert_eq!(shorten.call(&FnCall { value: Some("abcdefgh".into()), ..FnCall::default() }), "abcd…");
        assert_eq!(shorten.call(&FnCall { value: Some("abc".into()), ..FnCall::default() }), "abc");
        let nodes = ChartFn::NodeTooltips { ids: vec!["G1".into()], texts: vec!["job".into()] };
        let node = |t: &str| FnCall { data_type: Some(t.into()), id: Some("G1".into()), ..FnCall::default() };
        assert_eq!((nodes.call(&node("node")), nodes.call(&node("edge"))), ("job".into(), "".into()));
    }
}
