//! The engine the page talks to (in the browser through a Web Worker), natively: every
//! request and reply crosses JSON as it does between page and worker, report pages carry
//! the report's own figures, marks map back to entities, and a selection change reuses
//! the last run.

use crate::common;

use usage_copilot::app::engine::{Engine, PageSelection, Reply, Request};
use usage_copilot::app::session::Session;
use usage_copilot::app::url_state::ViewState;
use usage_copilot::app::view::param_names;
use usage_copilot::copilot::chips::catalogue;
use usage_copilot::data::budgets::{Budget, BudgetScope};
use usage_copilot::data::db::UsageDb;
use usage_copilot::report::output::report_json;
use usage_copilot::report::selection::find_selection;
use usage_copilot::report::{registry, EntityRef};

fn engine() -> Engine {
    Engine::new(Session::open("Seeded demo data", UsageDb::from_connection(common::seeded(), 0).unwrap()).unwrap())
}

/// `request` through JSON to the engine and its reply back through JSON, as over postMessage.
fn ask(engine: &mut Engine, request: Request) -> Reply {
    let request: Request = serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
    let reply = engine.handle(&request);
    serde_json::from_str(&serde_json::to_string(&reply).unwrap()).unwrap()
}

fn view(hash: &str) -> ViewState {
    ViewState::from_hash(hash, &param_names)
}

#[test]
fn a_report_page_carries_the_reports_figures_and_its_marks_entities() {
    let mut e = engine();
    let Reply::Report(Some(page)) = ask(&mut e, Request::Report { view: view("#/report/job_cost?from=2025-12-01") }) else {
        panic!("a page")
    };
    let session = e.session();
    let filters = usage_copilot::report::ReportFilters { from: page.from, ..session.data_range.clone() };
    let result = session.run_report("job_cost", Some(&filters), &Default::default()).unwrap();
    let json = report_json(&registry().get("job_cost").unwrap().spec, &result);
    for kpi in &page.kpis {
        assert_eq!(kpi.raw, json["kpis"][&kpi.name].to_string(), "KPI {}", kpi.name);
    }
    assert_eq!(page.from.to_string(), "2025-12-01");
    // The bar chart: each bar's entity is the job of the row it draws.
    let chart = page.charts.iter().find(|c| c.id == "cost_by_job").unwrap();
    let entities: Vec<&EntityRef> = chart.entities[0].iter().flatten().collect();
    assert_eq!(entities.len(), result.rows().len());
    let jobs: Vec<String> = (0..result.rows().len()).map(|i| format!("job:{}", result.rows().get(i, "job_id"))).collect();
    for e in entities {
        assert!(jobs.contains(&e.to_string()), "{e}");
    }
    let table = page.tables.iter().find(|t| t.id == "jobs").unwrap();
    assert_eq!(table.view.total, result.rows().len());
    assert_eq!(page.selectable.len(), result.rows().len().min(usage_copilot::app::engine::SELECTABLE_SHOWN));
    assert_eq!(page.selectable[0].0.to_string(), format!("job:{}", result.rows().get(0, "job_id")));
    assert_eq!(page.selection, PageSelection::Nothing);
}

#[test]
fn a_selection_gets_its_chips_and_does_not_run_the_report_again() {
    let mut e = engine();
    let Reply::Report(Some(_)) = ask(&mut e, Request::Report { view: view("#/report/job_cost") }) else { panic!() };
    let Reply::Report(Some(page)) = ask(&mut e, Request::Report { view: view("#/report/job_cost?sel=job%3AJ-LEGACY-ETL") }) else {
        panic!()
    };
    assert_eq!(e.runs(), 1, "selecting re-presents the last run");
    let PageSelection::Found { entity, label, chips } = &page.selection else { panic!("{:?}", page.selection) };
    assert_eq!((entity.to_string(), label.as_str()), ("job:J-LEGACY-ETL".to_string(), "Legacy Customer Data ETL"));
    let spec = &registry().get("job_cost").unwrap().spec;
    let result = e.session().run_report("job_cost", None, &Default::default()).unwrap();
    let sel = find_selection(spec, &result, &EntityRef::parse("job:J-LEGACY-ETL").unwrap()).unwrap();
    let expected: Vec<String> = catalogue().offered(spec, &sel).iter().map(|c| c.versioned_id()).collect();
    assert_eq!(chips.iter().map(|c| c.versioned_id.clone()).collect::<Vec<_>>(), expected);
    // Another range runs it again; a selection outside it is reported missing.
    let Reply::Report(Some(page)) =
        ask(&mut e, Request::Report { view: view("#/report/job_cost?from=2025-11-02&to=2025-11-08&sel=job%3AJ-FIN-MONTHLY") })
    else {
        panic!()
    };
    assert_eq!(e.runs(), 2);
    assert_eq!(page.selection, PageSelection::Missing(EntityRef::parse("job:J-FIN-MONTHLY").unwrap()));
}

#[test]
fn errors_unknown_reports_csv_and_the_dataset_cross_the_boundary() {
    let mut e = engine();
    let Reply::Report(Some(bad)) = ask(&mut e, Request::Report { view: view("#/report/anomaly_detection?window=1") }) else { panic!() };
    assert_eq!(bad.error.as_deref(), Some("Baseline window (days) must be between 3 and 90 (got 1)."));
    assert_eq!(ask(&mut e, Request::Report { view: view("#/report/nope") }), Reply::Report(None));
    let Reply::Csv(Some((name, csv))) = ask(&mut e, Request::TableCsv { view: view("#/report/job_cost"), table: "jobs".into() }) else {
        panic!()
    };
    assert_eq!(name, "job_cost_jobs_2025-11-01_2025-12-15.csv");
    assert!(csv.starts_with("job_name,total_cost_usd,"), "{csv}");
    let Reply::Dataset(info) = ask(&mut e, Request::Dataset) else { panic!() };
    assert_eq!(info.summary, e.session().summary);
    assert_eq!((info.first_day.to_string(), info.last_day.to_string()), ("2025-11-01".into(), "2025-12-15".into()));
    assert!(!info.imported && info.warnings.is_empty());
}

#[test]
fn a_faceted_chart_follows_the_url_then_the_selection() {
    let mut e = engine();
    let Reply::Report(Some(page)) =
        ask(&mut e, Request::Report { view: view("#/report/anomaly_detection?sel=anomaly%3AJ-FIN-DAILY@2025-12-05") })
    else {
        panic!()
    };
    let timeline = page.charts.iter().find(|c| !c.facets.is_empty()).expect("a faceted chart");
    assert_eq!(timeline.facet.as_deref(), Some("J-FIN-DAILY"));
    let other = timeline.facets.iter().find(|(v, _)| v != "J-FIN-DAILY").unwrap().0.clone();
    let Reply::Report(Some(page)) = ask(
        &mut e,
        Request::Report { view: view(&format!("#/report/anomaly_detection?facet={other}&sel=anomaly%3AJ-FIN-DAILY@2025-12-05")) },
    ) else {
        panic!()
    };
    assert_eq!(page.charts.iter().find(|c| !c.facets.is_empty()).unwrap().facet.as_deref(), Some(other.as_str()));
    assert_eq!(e.runs(), 1);
}

#[test]
fn an_import_reports_its_progress_in_words_phase_by_phase() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use usage_copilot::app::engine::Progress;
    use usage_copilot::data::import::{ImportOptions, Importer, Progress as ImportProgress};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/system-tables");
    let mut files: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv" || x == "jsonl"))
        .collect();
    files.sort();
    let seen: Rc<RefCell<Vec<Progress>>> = Rc::default();
    let reading: Rc<RefCell<String>> = Rc::default();
    let on_progress = {
        let (seen, reading) = (Rc::clone(&seen), Rc::clone(&reading));
        Box::new(move |p: &ImportProgress| seen.borrow_mut().push(Progress::of_import(p, &reading.borrow())))
    };
    let mut importer = Importer::new(ImportOptions { on_progress: Some(on_progress), ..Default::default() }).unwrap();
    let total: u64 = files.iter().map(|f| std::fs::metadata(f).unwrap().len()).sum();
    // Every file is added first (as the worker does), so the total is known from the start.
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect();
    let ids: Vec<_> = files.iter().zip(&names).map(|(p, n)| importer.add_file(n, Some(std::fs::metadata(p).unwrap().len()))).collect();
    for ((path, name), id) in files.iter().zip(&names).zip(ids) {
        *reading.borrow_mut() = name.clone();
        let bytes = std::fs::read(path).unwrap();
        // Chunks of 100 bytes: a chunk may end anywhere.
        for chunk in bytes.chunks(100) {
            importer.feed(id, chunk).unwrap();
        }
        importer.end_file(id).unwrap();
    }
    importer.finish().unwrap();
    let seen = seen.borrow();
    // While reading, bytes only grow, to the total; each line names the file being read.
    let reads: Vec<&Progress> = seen.iter().filter(|p| p.phase.starts_with("Reading ")).collect();
    assert!(reads.windows(2).all(|w| w[0].done <= w[1].done), "bytes never go back");
    assert!(reads.iter().all(|p| p.total == Some(total)));
    assert_eq!(reads.last().unwrap().done, total);
    assert!(
        reads.iter().any(|p| p.phase.starts_with("Reading export_01.csv: ")),
        "{:?}",
        reads.iter().map(|p| &p.phase).collect::<Vec<_>>()
    );
    // Then the finishing phases, in order, ending with "Imported".
    let mut phases: Vec<&str> = seen
        .iter()
        .map(|p| p.phase.split(':').next().unwrap().trim_end_matches(|c: char| c.is_ascii_digit() || c == ',' || c == ' '))
        .collect();
    phases.dedup();
    let finishing: Vec<&str> = phases.iter().copied().filter(|p| !p.starts_with("Reading ")).collect();
    assert_eq!(
        finishing.iter().map(|p| p.split(" of ").next().unwrap()).collect::<Vec<_>>(),
        [
            "Dropping duplicate rows",
            "Pricing and summing billing rows",
            "Linking runs, spot shares and evictions",
            "Writing the imported database",
            "Imported"
        ]
    );
}

#[test]
fn budgets_cross_the_boundary_rerun_the_report_and_round_trip_as_a_file() {
    let mut e = engine();
    let budgets_page = |e: &mut Engine| match ask(e, Request::Report { view: view("#/report/budget_status?to=2025-12-15") }) {
        Reply::Report(Some(page)) => page,
        other => panic!("{other:?}"),
    };
    let kpi = |page: &usage_copilot::app::engine::ReportPage, name: &str| page.kpis.iter().find(|k| k.name == name).unwrap().raw.clone();
    assert_eq!(kpi(&budgets_page(&mut e), "budgets"), "0");
    assert_eq!(ask(&mut e, Request::Budgets), Reply::Budgets(vec![]));

    let list = vec![
        Budget { name: " Everything ".into(), scope: BudgetScope::All, value: String::new(), monthly_usd: 150_000.0 },
        Budget { name: "Jobs".into(), scope: BudgetScope::ComputeType, value: "JOB_RUN".into(), monthly_usd: 1_000.0 },
    ];
    let Reply::Budgets(kept) = ask(&mut e, Request::SetBudgets { budgets: list }) else { panic!() };
    assert_eq!(kept[0].name, "Everything", "kept trimmed");
    // The same view runs again with them: Jobs is over, Everything is at risk.
    let page = budgets_page(&mut e);
    assert_eq!((kpi(&page, "budgets"), kpi(&page, "over"), kpi(&page, "at_risk")), ("2".into(), "1".into(), "1".into()));
    let chart = page.charts.iter().find(|c| c.id == "burn_down").unwrap();
    assert_eq!(chart.facet.as_deref(), Some("2"), "the burn-down shows the budget most at risk first");

    // A refused list changes nothing and says why.
    let bad = vec![Budget { name: "x".into(), scope: BudgetScope::Workspace, value: String::new(), monthly_usd: 5.0 }];
    assert_eq!(ask(&mut e, Request::SetBudgets { budgets: bad }), Reply::Failed("Budget 1: \"x\" needs the workspace it covers.".into()));
    assert_eq!(ask(&mut e, Request::Budgets), Reply::Budgets(kept.clone()));

    // Exported, cleared, imported back: the same budgets and the same file.
    let Reply::Csv(Some((name, file))) = ask(&mut e, Request::BudgetsFile) else { panic!() };
    assert_eq!(name, "budgets-seeded-demo-data.json");
    assert_eq!(ask(&mut e, Request::SetBudgets { budgets: vec![] }), Reply::Budgets(vec![]));
    assert_eq!(kpi(&budgets_page(&mut e), "budgets"), "0");
    assert_eq!(ask(&mut e, Request::ImportBudgets { text: file.clone() }), Reply::Budgets(kept));
    let Reply::Csv(Some((_, again))) = ask(&mut e, Request::BudgetsFile) else { panic!() };
    assert_eq!(again, file);
    let Reply::Failed(why) = ask(&mut e, Request::ImportBudgets { text: "{\"version\": 1,\n\"budgets\": 3}".into() }) else { panic!() };
    assert!(why.starts_with("The budgets file is not valid: invalid type: integer `3`") && why.ends_with("(line 2, column 12)."), "{why}");
}
