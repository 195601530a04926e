//! Report charts built from the seeded DB: every mark maps back to the row it shows.

use crate::common;

use std::collections::BTreeMap;

use usage_copilot::charts::{build, facets};
use usage_copilot::data::budgets::{Budget, BudgetScope};
use usage_copilot::report::selection::selection_at;
use usage_copilot::report::{registry, ReportFilters};

/// The report on the seeded DB (with two budgets, which the budget report reads).
fn results(key: &str) -> (usage_copilot::report::Report, usage_copilot::report::ReportResult) {
    let conn = common::seeded();
    let budgets = [
        Budget { name: "All".into(), scope: BudgetScope::All, value: String::new(), monthly_usd: 150_000.0 },
        Budget { name: "Jobs".into(), scope: BudgetScope::ComputeType, value: "JOB_RUN".into(), monthly_usd: 1_000.0 },
    ];
    usage_copilot::data::budgets::install(&conn, &budgets).unwrap();
    let report = registry().get(key).unwrap().clone();
    let filters = ReportFilters::data_range(&conn).unwrap();
    let result = report.run(&conn, &filters, &BTreeMap::new()).unwrap();
    (report, result)
}

#[test]
fn every_report_chart_builds_and_serialises() {
    for report in &registry().reports {
        let (report, result) = results(&report.spec.key);
        for spec in &report.spec.charts {
            let built = build(&report.spec, spec, &result, None).unwrap();
            let json = serde_json::to_value(&built.chart).unwrap();
            assert!(json["series"].as_array().is_some_and(|s| !s.is_empty()), "{}: {}", report.spec.key, spec.id);
        }
    }
}

#[test]
fn job_cost_bars_put_the_largest_job_on_top_and_click_through_to_it() {
    let (report, result) = results("job_cost");
    let built = build(&report.spec, &report.spec.charts[0], &result, None).unwrap();
    let json = serde_json::to_value(&built.chart).unwrap();
    let categories = json["yAxis"]["data"].as_array().unwrap();
    assert_eq!(categories.last().unwrap(), "Legacy Customer Data ETL");
    // Two stacked cost series on the dollar axis, success rate on its own (second) x axis.
    assert_eq!(json["series"][0]["stack"], "cost");
    assert_eq!(json["series"][2]["xAxisIndex"], 1.0);
    assert_eq!(json["xAxis"][1]["max"], 100.0);
    let top = categories.len() - 1;
    let row = built.row_at(0, top).unwrap();
    let sel = selection_at(&report.spec, &result, &built.dataset, row).unwrap();
    assert_eq!(sel.entity.to_string(), "job:J-LEGACY-ETL");
    // The spot segment and the success-rate marker of the same bar select the same job.
    assert_eq!(built.row_at(1, top), Some(row));
    assert_eq!(built.row_at(2, top), Some(row));
}

#[test]
fn pareto_has_the_cumulative_line_on_a_percent_axis_with_an_80_line() {
    let (report, result) = results("job_cost_pareto");
    let json = serde_json::to_value(&build(&report.spec, &report.spec.charts[0], &result, None).unwrap().chart).unwrap();
    assert_eq!(json["series"][1]["type"], "line");
    assert_eq!(json["series"][1]["yAxisIndex"], 1.0);
    assert_eq!(json["series"][1]["markLine"]["data"][0]["yAxis"], 80.0);
    assert_eq!(json["yAxis"][1]["max"], 100.0);
}

#[test]
fn heatmap_and_timeline_marks_select_their_entities() {
    let (report, result) = results("spot_risk_by_job");
    let heat = build(&report.spec, &report.spec.charts[1], &result, None).unwrap();
    assert_eq!(heat.points[0].len(), 11, "FIN-DAILY 3 days, ML-TRAINING 5, ROUTE-OPT 3");
    let sel = selection_at(&report.spec, &result, &heat.dataset, heat.row_at(0, 0).unwrap()).unwrap();
    assert_eq!(sel.entity.entity_type.name(), "job");

    let (report, result) = results("anomaly_detection");
    let timeline = &report.spec.charts[0];
    let options = facets(timeline, &result);
    assert!(options.iter().any(|(id, label)| id == "J-FIN-DAILY" && label == "Daily Financial Aggregation"));
    let built = build(&report.spec, timeline, &result, Some("J-FIN-DAILY")).unwrap();
    let markers = &built.points[4];
    let entities: Vec<String> =
        markers.iter().map(|r| selection_at(&report.spec, &result, &built.dataset, r.unwrap()).unwrap().entity.to_string()).collect();
    assert_eq!(entities, ["anomaly:J-FIN-DAILY@2025-12-05", "anomaly:J-FIN-DAILY@2025-12-06"]);
    // Ordinary days of the actual line select nothing; the band series are decoration.
    let quiet = built.row_at(3, 0).unwrap();
    assert!(selection_at(&report.spec, &result, &built.dataset, quiet).is_none());
    assert_eq!(built.row_at(0, 20), None);
    // Without a facet, the chart shows the entity of the top anomaly.
    let default = build(&report.spec, timeline, &result, None).unwrap();
    let first = default.row_at(3, 0).unwrap();
    assert_eq!(result.dataset("scored").unwrap().get(first, "entity_id").to_string(), result.rows().get(0, "entity_id").to_string());
}

#[test]
fn tooltips_escape_html_from_the_data() {
    let conn = common::seeded();
    conn.execute("UPDATE jobs SET job_name = '<img src=x onerror=alert(1)>' WHERE job_id = 'J-HR-WEEKLY'", []).unwrap();
    let report = registry().get("job_cost").unwrap();
    let result = report.run(&conn, &ReportFilters::data_range(&conn).unwrap(), &BTreeMap::new()).unwrap();
    let json = serde_json::to_value(&build(&report.spec, &report.spec.charts[0], &result, None).unwrap().chart).unwrap();
    let tooltip = json["tooltip"]["formatter"].as_str().unwrap();
    assert!(tooltip.contains("&lt;img src=x onerror=alert(1)&gt;") && !tooltip.contains("<img"), "{tooltip}");
}

#[test]
fn scatter_labels_move_or_hide_when_they_would_overlap() {
    let (report, result) = results("spot_risk_by_job");
    let spec = report.spec.charts.iter().find(|c| matches!(c.kind, usage_copilot::report::spec::ChartKind::Scatter { .. })).unwrap();
    let built = build(&report.spec, spec, &result, None).unwrap();
    let json = serde_json::to_value(&built.chart).unwrap();
    let series = &json["series"][0];
    assert_eq!(series["type"], "scatter");
    assert_eq!(series["label"]["show"], true, "the matrix names its bubbles");
    // Without a label layout ECharts prints every name where its bubble is, over one another.
    assert_eq!(series["labelLayout"], serde_json::json!({ "moveOverlap": "shiftY", "hideOverlap": true }));
}

#[test]
fn the_burn_down_shows_one_budget_with_its_actuals_then_its_forecast() {
    let (report, result) = results("budget_status");
    let spec = report.spec.charts.iter().find(|c| c.id == "burn_down").unwrap();
    assert_eq!(facets(spec, &result), [("1".to_string(), "All".to_string()), ("2".to_string(), "Jobs".to_string())]);
    // By default the budget most at risk (Jobs, over), else the one asked for.
    for (facet, name) in [(None, "Jobs"), (Some("1"), "All")] {
        let built = build(&report.spec, spec, &result, facet).unwrap();
        let json = serde_json::to_value(&built.chart).unwrap();
        let days = json["xAxis"]["data"].as_array().unwrap();
        assert_eq!((days.len(), days[0].as_str(), days[30].as_str()), (31, Some("2025-12-01"), Some("2025-12-31")));
        let names: Vec<&str> = json["series"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Interval floor", "Interval (90 %)", "Forecast", "Spent", "Budget"]);
        // Spent through the as-of day (Dec 15), forecast from it on; a click on either selects the budget.
        let spent = json["series"][3]["data"].as_array().unwrap();
        assert!(spent[14]["value"].is_number() && spent[15] == "-", "{:?}", &spent[13..17]);
        let forecast = json["series"][2]["data"].as_array().unwrap();
        assert!(forecast[13] == "-" && forecast[14]["value"].is_number() && forecast[30]["value"].is_number());
        let row = built.row_at(3, 0).unwrap();
        assert_eq!(selection_at(&report.spec, &result, &built.dataset, row).unwrap().entity.to_string(), format!("budget:{name}"));
        assert_eq!(built.row_at(0, 0), None, "the interval's floor is decoration");
    }
}

#[test]
fn the_waterfall_base_is_silent_and_the_steps_select_their_entity() {
    let (report, result) = results("cost_drift");
    let spec = report.spec.charts.iter().find(|c| c.id == "waterfall").unwrap();
    let built = build(&report.spec, spec, &result, None).unwrap();
    let json = serde_json::to_value(&built.chart).unwrap();
    assert_eq!(json["series"][0]["silent"], true);
    assert_eq!(json["series"][0]["itemStyle"]["color"], "rgba(0,0,0,0)");
    let legend: Vec<&str> = json["legend"]["data"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(legend, ["Period total", "Increase", "Decrease"]);
    let categories = json["yAxis"]["data"].as_array().unwrap();
    let top = categories.len() - 1;
    assert_eq!(categories[top], "Prior period");
    assert_eq!(categories[0], "Current period");
    assert_eq!(built.row_at(0, top - 1), None, "the invisible base selects nothing");
    let first_step = built.row_at(2, top - 1).unwrap();
    let sel = selection_at(&report.spec, &result, &built.dataset, first_step).unwrap();
    assert_eq!(sel.entity.to_string(), format!("{}:{}", result.rows().row(0).text("entity_kind"), result.rows().row(0).text("entity_id")));
}
