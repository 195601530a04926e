//! The spend-per-compute-type bars of the dataset summary.

use charming::component::{Axis, Grid};
use charming::datatype::DataPointItem;
use charming::element::{AxisType, Label, LabelPosition, Tooltip, Trigger};
use charming::series::Bar;
use charming::Chart;

use super::labels_by_index;
use crate::base::format::usd;
use crate::data::summary::{compute_type_label, DatasetSummary};

/// Spend per compute type: sorted horizontal bars (largest on top) labelled "$X (P%)".
pub fn spend_by_compute_type(summary: &DatasetSummary) -> serde_json::Value {
    // ECharts draws the first category at the bottom; reverse so the largest is on top.
    let rows: Vec<_> = summary.spend_by_compute_type.iter().rev().collect();
    let names: Vec<String> = rows.iter().map(|r| compute_type_label(&r.compute_type).to_string()).collect();
    let labels: Vec<String> = rows.iter().map(|r| format!("{} ({:.1}%)", usd(r.spend_usd), r.share_pct)).collect();
    let data: Vec<DataPointItem> = rows.iter().map(|r| DataPointItem::new(r.spend_usd).name(r.compute_type.clone())).collect();
    let chart = Chart::new()
        .animation(false)
        .tooltip(Tooltip::new().trigger(Trigger::Item).formatter(labels_by_index(&labels)))
        .grid(Grid::new().left("3%").right("22%").top("4%").bottom("4%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Value).name("USD"))
        .y_axis(Axis::new().type_(AxisType::Category).data(names))
        .series(
            Bar::new()
                .name("Spend")
                .label(Label::new().show(true).position(LabelPosition::Right).formatter(labels_by_index(&labels)))
                .data(data),
        );
    super::option(&chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::summary::ComputeTypeSpend;

    #[test]
    fn spend_chart_puts_the_largest_type_on_top_with_formatted_labels() {
        let summary = DatasetSummary {
            workspaces: 1,
            jobs: 1,
            job_runs: 1,
            failed_runs: 0,
            compute_resources: 1,
            first_date: None,
            last_date: None,
            days: 0,
            total_spend_usd: 1500.0,
            spend_by_compute_type: vec![
                ComputeTypeSpend { compute_type: "JOB_RUN".into(), spend_usd: 1000.0, share_pct: 66.67 },
                ComputeTypeSpend { compute_type: "SQL_WAREHOUSE".into(), spend_usd: 500.0, share_pct: 33.33 },
            ],
        };
        let json = serde_json::to_value(spend_by_compute_type(&summary)).unwrap();
        assert_eq!(json["yAxis"]["data"], serde_json::json!(["SQL warehouses", "Jobs compute"]));
        assert_eq!(json["series"][0]["data"][1]["value"], serde_json::json!(1000.0));
        let formatter = json["series"][0]["label"]["formatter"].as_str().unwrap();
        assert!(formatter.contains(r#"["$500.00 (33.3%)","$1,000.00 (66.7%)"]"#), "{formatter}");
    }
}
