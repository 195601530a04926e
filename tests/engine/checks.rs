//! The checks on answers (`copilot::checks`) against the seeded DB's real evidence: the
//! answers a real model wrote that the value-only check let through, scored exactly.

use crate::common;

use usage_copilot::app::session::{DocsAssets, Session};
use usage_copilot::copilot::checks::{MarkKind, Status};
use usage_copilot::copilot::{Ask, Prepared};
use usage_copilot::data::db::UsageDb;
use usage_copilot::report::registry;
use usage_copilot::report::selection::find_selection;
use usage_copilot::report::EntityRef;

fn prepared(report: &str, entity: &str, ask: &Ask) -> Prepared {
    let db = UsageDb::from_connection(common::seeded(), 0).unwrap();
    let session = Session::open("Seeded demo data", db).unwrap();
    let spec = &registry().get(report).unwrap().spec;
    let result = session.run_report(report, None, &Default::default()).unwrap();
    let selection = find_selection(spec, &result, &EntityRef::parse(entity).unwrap()).unwrap();
    session.prepare(spec, &result, &selection, ask, DocsAssets::default()).unwrap().prepared
}

fn legacy() -> Prepared {
    prepared("job_cost", "job:J-LEGACY-ETL", &Ask::chip("job.why_failing"))
}

/// The answer of the acceptance test: a right number, a wrong one, an unknown fact and a
/// number cited to the wrong fact. The page's browser test and `copilot ask` use it too.
pub const SCORED_ANSWER: &str = "It failed 27 times [T2]. It cost $999.99 in all [T1]. The dashboards agree [T42]. It ran 72 times [T8].";

#[test]
fn a_right_a_wrong_an_unknown_and_a_misattributed_number_are_scored_exactly() {
    let p = legacy();
    let c = p.check(SCORED_ANSWER);
    let statuses: Vec<(&str, Status)> = c.numbers.iter().map(|n| (n.text.as_str(), n.status)).collect();
    assert_eq!(statuses, [("27", Status::Grounded), ("$999.99", Status::Ungrounded), ("72", Status::Unsupported)]);
    assert_eq!((c.grounded(), c.ungrounded(), c.unknown().len(), c.unsupported()), (1, 1, 1, 1));
    assert_eq!(c.unknown(), ["T42"]);
    assert_eq!(c.used(), ["T2", "T1", "T8"]);
    assert_eq!(c.numbers[2].found_in, ["T1", "T2", "T3", "graph summary"], "{:?}", c.numbers[2]);
    let marks: Vec<(&str, MarkKind)> = c.marks().iter().map(|m| (&SCORED_ANSWER[m.start..m.end], m.kind)).collect();
    assert_eq!(marks, [("$999.99", MarkKind::Ungrounded), ("[T42]", MarkKind::UnknownCitation), ("72", MarkKind::Unsupported)]);
    assert_eq!(
        c.summary(),
        "2 of 3 numbers are 1 not in the evidence and 1 not in the facts they cite (marked). Unknown citation: [T42]. Does not cover: the failure rate; the most common error."
    );
}

#[test]
fn a_real_number_under_the_wrong_label_is_flagged() {
    let p = legacy();
    // 62.50% is the success rate; the share of job spend is 58.37%.
    let c = p.check("Legacy Customer Data ETL carries 62.50% of job spend [T1].");
    assert_eq!(c.ungrounded_texts(), ["62.50%"]);
    assert_eq!(c.numbers[0].note, "the evidence has 62.50% as success, not as spend share");
    for right in ["It carries 58.37% of job spend [T1].", "Its success rate is 62.50% [T1].", "62.5% of finished runs succeeded [T1]."] {
        assert_eq!(p.check(right).ungrounded_texts(), Vec::<&str>::new(), "{right}");
    }
    // A count under the wrong measure: 27 failed runs are not 27 evictions.
    assert_eq!(p.check("There were 27 spot evictions [T1].").ungrounded_texts(), ["27"]);
}

#[test]
fn ranges_and_rankings_are_checked() {
    let p = legacy();
    let c = p.check("An industry average is 10-20% [T1], and its 37.5-62.5% rates [T1] are far off.");
    assert_eq!(c.ungrounded_texts(), ["10-20%"]);
    let ranked = p.check("It is the most expensive job of the account [T9].");
    assert_eq!((ranked.comparisons.len(), ranked.unsupported_comparisons()), (1, 0));
    let hr = prepared("job_cost", "job:J-HR-WEEKLY", &Ask::chip("core.explain"));
    let c = hr.check("HR Weekly is the most expensive job [T1].");
    assert_eq!(c.unsupported_comparisons(), 1);
    assert_eq!(c.marks().iter().map(|m| m.kind).collect::<Vec<_>>(), [MarkKind::Comparison]);
}

#[test]
fn the_system_prompt_is_not_evidence() {
    // The system prompt's example is "27 runs failed [T4]"; HR Weekly never failed 27 times.
    let hr = prepared("job_cost", "job:J-HR-WEEKLY", &Ask::chip("core.explain"));
    assert!(hr.messages[0].content.contains("27 runs failed"));
    assert_eq!(hr.check("27 runs failed [T4].").ungrounded_texts(), ["27"]);
}

#[test]
fn answers_without_citations_and_uncited_numbers_are_shown_as_such() {
    let p = legacy();
    let c = p.check("It failed 27 times and cost $135,626.77.");
    assert!(c.no_citations && c.ungrounded() == 0, "{c:?}");
    assert_eq!(
        c.summary(),
        "All 2 numbers match the evidence. This answer cites no evidence. Does not cover: the failure rate; the most common error."
    );
    let c = p.check("It failed 27 times [T2].\n\nIt cost $135,626.77.");
    assert!(!c.no_citations);
    assert_eq!(c.uncited.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(), ["It cost $135,626.77."]);
    // Numbers the prompt itself states (the range) need no citation.
    assert!(p.check("From 2025-11-01 to 2025-12-15 [T1]:\n\nthe range ends on 2025-12-15.").uncited.is_empty());
}

#[test]
fn an_inference_may_compute_new_numbers_from_the_evidence() {
    let p = legacy();
    let c = p.check("Inference: its worst day was $7,879.96 - $3,013.93 = $4,866.03 above an average day [T8].");
    assert_eq!(c.numbers.iter().map(|n| n.status).collect::<Vec<_>>(), [Status::Grounded, Status::Grounded, Status::Derived]);
    let c = p.check("Inference: 27 / 72 = 37.5% of runs failed [T1].");
    assert_eq!(c.ungrounded(), 0);
    let wrong = p.check("Inference: $7,879.96 - $3,013.93 = $4,000.00 above an average day [T8].");
    assert_eq!(wrong.ungrounded_texts(), ["$4,000.00"]);
    let not_inference = p.check("Its worst day was $7,879.96 - $3,013.93 = $4,866.03 above average [T8].");
    assert_eq!(not_inference.ungrounded_texts(), ["$4,866.03"], "a calculation must be marked Inference:");
}

#[test]
fn a_flagged_five_marks_only_its_own_token() {
    let p = legacy();
    let answer = "On 2025-12-11 it failed again [T2]; it cost $135,626.77 [T1] with 5.00% on spot [T1], and 5 retries a day [T3].";
    let c = p.check(answer);
    assert_eq!(c.ungrounded_texts(), ["5"], "{:?}", c.numbers);
    let marks: Vec<&str> = c.marks().iter().map(|m| &answer[m.start..m.end]).collect();
    assert_eq!(marks, ["5"]);
    assert_eq!(c.marks()[0].start, answer.find(" 5 retries").unwrap() + 1);
}

#[test]
fn coverage_reports_what_the_chip_requires_and_the_answer_leaves_out() {
    let p = legacy();
    let full =
        p.check("27 runs failed (37.5% of finished runs) [T2], all with \"Query timeout after 3 hours in stage customer_merge\" [T2].");
    assert_eq!((full.coverage_declared(), full.coverage_met()), (3, 3));
    let partial = p.check("27 runs failed [T2].");
    assert_eq!(partial.coverage_missing(), ["the failure rate", "the most common error"]);
    let offline = p.check(&p.offline_answer);
    assert_eq!(offline.coverage_missing(), Vec::<&str>::new());
}

#[test]
fn declining_is_recognised() {
    let p = prepared("job_cost", "job:J-FIN-DAILY", &Ask::question("What will this job cost in 2027?"));
    assert!(p.check(&p.offline_answer).declined, "{}", p.offline_answer);
    assert!(p.check("The evidence does not say what it will cost in 2027; a forecast needs more history.").declined);
    assert!(!p.check("It will cost $300.00 in 2027.").declined);
}
