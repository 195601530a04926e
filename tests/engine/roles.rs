//! Role views through the engine: a role's default range and its chips first on the report
//! page, the URL's role kept, and the shipped roles file checked against the registry.

use crate::common;

use usage_copilot::app::engine::{Engine, PageSelection, Reply, Request};
use usage_copilot::app::roles::{roles, Roles, ROLES_FILE};
use usage_copilot::app::session::Session;
use usage_copilot::app::url_state::ViewState;
use usage_copilot::app::view::param_names;
use usage_copilot::copilot::chips::catalogue;
use usage_copilot::data::db::UsageDb;
use usage_copilot::report::registry;

fn page(engine: &mut Engine, hash: &str) -> usage_copilot::app::engine::ReportPage {
    let view = ViewState::from_hash(hash, &param_names);
    let Reply::Report(Some(page)) = engine.handle(&Request::Report { view }) else { panic!("a page for {hash}") };
    *page
}

#[test]
fn a_role_sets_the_default_range_and_offers_its_chips_first() {
    let conn = common::seeded();
    let last: String = conn.query_row("SELECT MAX(usage_date) FROM compute_usage", [], |r| r.get(0)).unwrap();
    let first: String = conn.query_row("SELECT MIN(usage_date) FROM compute_usage", [], |r| r.get(0)).unwrap();
    let fourteen_back: String = conn.query_row("SELECT date(?1, '-13 days')", [&last], |r| r.get(0)).unwrap();
    let mut engine = Engine::new(Session::open("Seeded demo data", UsageDb::from_connection(conn, 0).unwrap()).unwrap());

    let everyone = page(&mut engine, "#/report/job_cost?sel=job:J-LEGACY-ETL");
    assert_eq!((everyone.from.to_string(), everyone.to.to_string()), (first.clone(), last.clone()));
    let lead = page(&mut engine, "#/report/job_cost?sel=job:J-LEGACY-ETL&role=team_lead");
    assert_eq!((lead.from.to_string(), lead.to.to_string()), (fourteen_back, last.clone()));
    // An explicit range wins over the role's default.
    let explicit = page(&mut engine, &format!("#/report/job_cost?from={first}&role=team_lead"));
    assert_eq!(explicit.from.to_string(), first);

    let chips = |p: &usage_copilot::app::engine::ReportPage| match &p.selection {
        PageSelection::Found { chips, .. } => chips.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let plain = chips(&page(&mut engine, "#/report/job_cost?sel=job:J-LEGACY-ETL"));
    let platform = chips(&page(&mut engine, "#/report/job_cost?sel=job:J-LEGACY-ETL&role=platform"));
    // The same chips; the platform role's come first, in its order, the rest as before.
    let wanted = &roles().get("platform").unwrap().chips;
    let firsts: Vec<String> = wanted.iter().filter(|c| plain.contains(c)).cloned().collect();
    assert!(!firsts.is_empty(), "the platform role names chips a job offers");
    assert_eq!(platform[..firsts.len()], firsts[..]);
    assert_eq!(platform[firsts.len()..], plain.iter().filter(|c| !firsts.contains(c)).cloned().collect::<Vec<_>>()[..]);
    assert_ne!(platform, plain);
}

#[test]
fn the_shipped_roles_file_is_checked_and_an_unknown_report_names_it() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/reports/roles.toml")).unwrap();
    let chips: Vec<&str> = catalogue().chips.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(&Roles::parse(ROLES_FILE, &text, registry(), &chips).unwrap(), roles());
    let broken = text.replacen("\"job_cost_pareto\"", "\"job_costs\"", 1);
    assert_eq!(
        Roles::parse(ROLES_FILE, &broken, registry(), &chips).unwrap_err().to_string(),
        "sql/reports/roles.toml: role \"finops\" names report \"job_costs\", which does not exist"
    );
}
