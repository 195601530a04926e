//! From a URL to the report page's content: filters, selection and offered chips.

use crate::common;

use usage_copilot::app::url_state::ViewState;
use usage_copilot::app::view::{param_names, run_view};
use usage_copilot::copilot::chips::{catalogue, Lane};
use usage_copilot::report::ReportFilters;

fn view(hash: &str) -> ViewState {
    ViewState::from_hash(hash, &param_names)
}

#[test]
fn a_url_restores_report_filters_and_selection_with_its_chips() {
    let conn = common::seeded();
    let range = ReportFilters::data_range(&conn).unwrap();
    let v = view("#/report/job_cost?from=2025-12-01&sel=job%3AJ-LEGACY-ETL");
    let run = run_view(&conn, &range, &v).unwrap();
    assert_eq!((run.filters.from.to_string(), run.filters.to.to_string()), ("2025-12-01".into(), "2025-12-15".into()));
    let sel = &run.selection(v.selection.as_ref()).unwrap();
    assert_eq!(sel.label, "Legacy Customer Data ETL");
    let offered: Vec<(Lane, &str)> = catalogue().offered(&run.report.spec, sel).iter().map(|c| (c.lane, c.id.as_str())).collect();
    // LEGACY fails 33 % of its December runs and holds most spend: "Why is this failing?"
    // is offered, and with its failures "Cap retries at 1"; it has little spot, so "Spot
    // risk analysis" is not.
    assert_eq!(
        offered,
        [
            (Lane::Understand, "core.explain"),
            (Lane::Understand, "job.overview"),
            (Lane::Understand, "job.cost_breakdown"),
            (Lane::Diagnose, "core.drivers"),
            (Lane::Diagnose, "core.spike"),
            (Lane::Diagnose, "job.why_failing"),
            (Lane::Optimize, "job.optimize_cost"),
            (Lane::Optimize, "job.reliability"),
            (Lane::Optimize, "job.optimization"),
            (Lane::WhatIf, "whatif.retry_cap"),
            (Lane::Monitor, "core.next_steps"),
        ]
    );
}

#[test]
fn chips_follow_the_selected_rows_metrics() {
    let conn = common::seeded();
    let range = ReportFilters::data_range(&conn).unwrap();
    let ids = |hash: &str| -> Vec<String> {
        let v = view(hash);
        let run = run_view(&conn, &range, &v).unwrap();
        catalogue().offered(&run.report.spec, &run.selection(v.selection.as_ref()).unwrap()).iter().map(|c| c.id.clone()).collect()
    };
    let route = ids("#/report/job_cost?sel=job%3AJ-ROUTE-OPT");
    assert!(route.contains(&"job.spot_risk".to_string()) && !route.contains(&"job.why_failing".to_string()));
    let warehouses = ids("#/report/compute_type_cost?sel=compute_type%3ASQL_WAREHOUSE");
    assert!(warehouses.contains(&"compute_type.usage_patterns".to_string()));
    assert!(!warehouses.contains(&"compute_type.top_drivers".to_string()));
    assert!(warehouses.contains(&"compute.utilization".to_string()));
    let third = ids("#/report/job_cost_pareto?sel=job%3AJ-ROUTE-OPT");
    assert!(third.contains(&"pareto.deep_dive".to_string()) && !third.contains(&"pareto.roadmap".to_string()));
    let anomaly = ids("#/report/anomaly_detection?sel=anomaly%3AJ-FIN-DAILY@2025-12-05");
    assert_eq!(
        anomaly,
        [
            "core.explain",
            "core.drivers",
            "core.spike",
            "anomaly.root_cause",
            "anomaly.pattern",
            "core.next_steps",
            "anomaly.immediate_actions",
            "anomaly.prevention"
        ]
    );
}

#[test]
fn a_selection_outside_the_filters_is_reported_not_dropped_silently() {
    let conn = common::seeded();
    let range = ReportFilters::data_range(&conn).unwrap();
    let v = view("#/report/job_cost?from=2025-11-02&to=2025-11-08&sel=job%3AJ-FIN-MONTHLY");
    let run = run_view(&conn, &range, &v).unwrap();
    assert!(run.selection(v.selection.as_ref()).is_none());
    assert_eq!(run.missing_selection(v.selection.as_ref()).unwrap().to_string(), "job:J-FIN-MONTHLY");
    let bad = run_view(&conn, &range, &view("#/report/anomaly_detection?window=1")).unwrap();
    assert_eq!(bad.outcome.err().unwrap(), "Baseline window (days) must be between 3 and 90 (got 1).");
    assert!(run_view(&conn, &range, &view("#/report/nope")).is_none());
}

#[test]
fn a_table_shows_kept_rows_formatted_with_their_entities_and_downloads_as_csv() {
    use usage_copilot::app::table::{table_csv, table_view};
    let conn = common::seeded();
    let range = ReportFilters::data_range(&conn).unwrap();
    let run = run_view(&conn, &range, &view("#/report/job_cost")).unwrap();
    let result = run.outcome.as_ref().unwrap();
    let spec = &run.report.spec;
    let jobs = spec.tables.iter().find(|t| t.id == "jobs").unwrap();
    let v = table_view(spec, jobs, result).unwrap();
    assert_eq!(v.total, result.rows().len());
    assert_eq!(v.headers[0].label, spec.label_of("job_name"));
    assert!(!v.headers[0].numeric && v.headers[1].numeric);
    // Rows keep the dataset's order; each selects its job; money is formatted as dollars.
    let first = &v.rows[0];
    assert_eq!(first.entity.as_ref().map(|e| e.to_string()), Some(format!("job:{}", result.rows().get(0, "job_id"))));
    assert_eq!(first.cells[1].text, usage_copilot::base::format::usd(result.rows().get(0, "total_cost_usd").as_f64().unwrap()));
    // The attention table keeps only rows with a reason, numbered as in the dataset.
    let attention = spec.tables.iter().find(|t| t.id == "attention").unwrap();
    let a = table_view(spec, attention, result).unwrap();
    let with_reason = (0..result.rows().len()).filter(|&i| !result.rows().get(i, "attention_reasons").to_string().is_empty()).count();
    assert_eq!(a.total, with_reason);
    assert!(a.total < v.total);
    let (name, csv) = table_csv(spec, attention, result).unwrap();
    assert_eq!(name, "job_cost_attention_2025-11-01_2025-12-15.csv");
    assert_eq!(csv.lines().count(), with_reason + 1, "a header and every kept row");
    assert!(csv.starts_with("job_name,total_cost_usd,failure_rate_pct,share_pct,spot_cost_pct,attention_reasons\r\n"));
}
