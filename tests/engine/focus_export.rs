//! The FOCUS 1.2 export (`data::focus`): the file is parsed here with a CSV reader of the
//! test's own, every column FOCUS 1.2 makes mandatory is present and follows the spec's type,
//! format and nullability rules, there is one row per usage row carrying that row's figures
//! (checked against the raw tables with SQL), BilledCost adds up to the summary's spend and
//! the job rows to the job_cost report's, the bytes are the same twice, the engine serves it
//! to the page, and bad rows get a message naming them.

use std::collections::{BTreeMap, BTreeSet};

use crate::common;

use usage_copilot::app::engine::{Engine, Reply, Request};
use usage_copilot::app::session::Session;
use usage_copilot::data::db::UsageDb;
use usage_copilot::data::focus::{focus_csv, FocusError};
use usage_copilot::report::registry;

/// RFC 4180 records: quoted fields may hold commas, quotes (doubled) and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "a bare CR"),
            (false, '\n') => panic!("records end with CRLF"),
            (false, c) => field.push(c),
        }
        if !quoted && c == '\r' {
            record.push(std::mem::take(&mut field));
            records.push(std::mem::take(&mut record));
        }
    }
    assert!(record.is_empty() && field.is_empty(), "the file ends with CRLF");
    records
}

/// The file as rows of column → value (`None` for an empty field, FOCUS's null).
fn rows_of(csv: &str) -> (Vec<String>, Vec<BTreeMap<String, Option<String>>>) {
    let mut records = parse_csv(csv).into_iter();
    let header = records.next().expect("a header");
    let rows = records
        .map(|r| {
            assert_eq!(r.len(), header.len(), "every row has every column");
            header.iter().cloned().zip(r.into_iter().map(|v| (!v.is_empty()).then_some(v))).collect()
        })
        .collect();
    (header, rows)
}

fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty() && !fraction.is_empty() && whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit())
}

/// FOCUS date/time: `YYYY-MM-DDTHH:mm:ssZ`, UTC.
fn is_datetime(text: &str) -> bool {
    let b = text.as_bytes();
    let digit_at = |i: &[usize]| i.iter().all(|&i| b[i].is_ascii_digit());
    b.len() == 20
        && digit_at(&[0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
        && (b[4], b[7], b[10], b[13], b[16], b[19]) == (b'-', b'-', b'T', b':', b':', b'Z')
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Decimal,
    DateTime,
    Text,
    Json,
}

/// The FOCUS 1.2 mandatory columns with their data type and whether nulls are allowed.
const MANDATORY: &[(&str, Kind, bool)] = &[
    ("BilledCost", Kind::Decimal, false),
    ("BillingAccountId", Kind::Text, false),
    ("BillingAccountName", Kind::Text, true),
    ("BillingCurrency", Kind::Text, false),
    ("BillingPeriodEnd", Kind::DateTime, false),
    ("BillingPeriodStart", Kind::DateTime, false),
    ("ChargeCategory", Kind::Text, false),
    ("ChargeClass", Kind::Text, true),
    ("ChargeDescription", Kind::Text, true),
    ("ChargePeriodEnd", Kind::DateTime, false),
    ("ChargePeriodStart", Kind::DateTime, false),
    ("ContractedCost", Kind::Decimal, false),
    ("EffectiveCost", Kind::Decimal, false),
    ("InvoiceIssuerName", Kind::Text, false),
    ("ListCost", Kind::Decimal, false),
    ("PricingQuantity", Kind::Decimal, true),
    ("PricingUnit", Kind::Text, true),
    ("ProviderName", Kind::Text, false),
    ("PublisherName", Kind::Text, false),
    ("ServiceCategory", Kind::Text, false),
    ("ServiceName", Kind::Text, false),
];

/// Conditional and recommended FOCUS columns the export claims (the data has what they need).
const CONDITIONAL: &[(&str, Kind)] = &[
    ("ChargeFrequency", Kind::Text),
    ("ConsumedQuantity", Kind::Decimal),
    ("ConsumedUnit", Kind::Text),
    ("ContractedUnitPrice", Kind::Decimal),
    ("ListUnitPrice", Kind::Decimal),
    ("PricingCategory", Kind::Text),
    ("RegionId", Kind::Text),
    ("RegionName", Kind::Text),
    ("ResourceId", Kind::Text),
    ("ResourceName", Kind::Text),
    ("ResourceType", Kind::Text),
    ("ServiceSubcategory", Kind::Text),
    ("SkuId", Kind::Text),
    ("SkuPriceId", Kind::Text),
    ("SubAccountId", Kind::Text),
    ("SubAccountName", Kind::Text),
    ("SubAccountType", Kind::Text),
    ("Tags", Kind::Json),
];

const SERVICE_CATEGORIES: &[&str] = &[
    "AI and Machine Learning",
    "Analytics",
    "Business Applications",
    "Compute",
    "Databases",
    "Developer Tools",
    "Multicloud",
    "Identity",
    "Integration",
    "Internet of Things",
    "Management and Governance",
    "Media",
    "Migration",
    "Mobile",
    "Networking",
    "Security",
    "Storage",
    "Web",
    "Other",
];

fn follows(kind: Kind, value: &str) -> bool {
    match kind {
        Kind::Decimal => is_decimal(value),
        Kind::DateTime => is_datetime(value),
        Kind::Text => !value.trim().is_empty(),
        Kind::Json => serde_json::from_str::<serde_json::Value>(value).is_ok_and(|v| v.is_object()),
    }
}

fn num(row: &BTreeMap<String, Option<String>>, column: &str) -> f64 {
    row[column].as_deref().unwrap_or_else(|| panic!("{column} is null")).parse().unwrap()
}

fn text<'a>(row: &'a BTreeMap<String, Option<String>>, column: &str) -> Option<&'a str> {
    row[column].as_deref()
}

/// (id, parent_type, parent_id, total_cost, dbus, usage_date, workspace_id, account_id, tags)
/// of every usage row, joined to its workspace here, not by the export's SQL.
type UsageRow = (String, String, String, Option<f64>, f64, String, Option<String>, Option<String>, Option<String>);

fn usage_rows(conn: &rusqlite::Connection) -> BTreeMap<String, UsageRow> {
    let mut stmt = conn
        .prepare(
            "SELECT u.compute_usage_id, u.parent_type, u.parent_id, u.total_cost, u.dbus_consumed, u.usage_date,
                    COALESCE((SELECT j.workspace_id FROM job_runs r JOIN jobs j USING (job_id)
                              WHERE u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id),
                             (SELECT c.workspace_id FROM non_job_compute c
                              WHERE u.parent_type <> 'JOB_RUN' AND c.compute_id = u.parent_id)) AS ws,
                    NULL, NULL
             FROM compute_usage u",
        )
        .unwrap();
    let rows: Vec<UsageRow> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let accounts: BTreeMap<String, Option<String>> = conn
        .prepare("SELECT workspace_id, account_id FROM workspace")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let tags: BTreeMap<String, Option<String>> = conn
        .prepare("SELECT r.job_run_id, j.tags FROM job_runs r JOIN jobs j USING (job_id)")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.into_iter()
        .map(|mut row| {
            row.7 = row.6.as_ref().and_then(|ws| accounts.get(ws).cloned().flatten());
            row.8 = if row.1 == "JOB_RUN" { tags.get(&row.2).cloned().flatten() } else { None };
            (row.0.clone(), row)
        })
        .collect()
}

#[test]
fn every_mandatory_column_is_present_and_follows_the_specs_rules() {
    let conn = common::seeded();
    let export = focus_csv(&conn).unwrap();
    let (header, rows) = rows_of(&export.csv);
    assert_eq!(rows.len(), export.rows);
    assert!(export.warnings.is_empty(), "{:?}", export.warnings);
    let names: BTreeSet<&str> = header.iter().map(String::as_str).collect();
    assert_eq!(names.len(), header.len(), "no column twice");
    for (column, _, _) in MANDATORY {
        assert!(names.contains(column), "the mandatory column {column} is missing");
    }
    for (column, _) in CONDITIONAL {
        assert!(names.contains(column), "{column} is missing");
    }
    // Every other column is a custom one, which FOCUS asks to prefix with x_.
    let focus: BTreeSet<&str> = MANDATORY.iter().map(|c| c.0).chain(CONDITIONAL.iter().map(|c| c.0)).collect();
    for column in &header {
        assert!(focus.contains(column.as_str()) || column.starts_with("x_"), "{column} is neither FOCUS nor x_");
    }
    assert!(["x_JobId", "x_JobRunId", "x_SpotShare", "x_DbusConsumed", "x_ComputeType"].iter().all(|c| names.contains(c)));

    for (n, row) in rows.iter().enumerate() {
        for (column, kind, nullable) in MANDATORY {
            match text(row, column) {
                None => assert!(*nullable, "row {n}: {column} is null"),
                Some(v) => assert!(follows(*kind, v), "row {n}: {column} = {v:?} is not a {kind:?}"),
            }
        }
        for (column, kind) in CONDITIONAL {
            if let Some(v) = text(row, column) {
                assert!(follows(*kind, v), "row {n}: {column} = {v:?} is not a {kind:?}");
            }
        }
        // Allowed values.
        assert!(["Usage", "Purchase", "Tax", "Credit", "Adjustment"].contains(&text(row, "ChargeCategory").unwrap()));
        assert!(text(row, "ChargeClass").is_none_or(|c| c == "Correction"));
        assert!(SERVICE_CATEGORIES.contains(&text(row, "ServiceCategory").unwrap()));
        assert!(["One-Time", "Recurring", "Usage-Based"].contains(&text(row, "ChargeFrequency").unwrap()));
        assert!(["Standard", "Dynamic", "Committed", "Other"].contains(&text(row, "PricingCategory").unwrap()));
        let currency = text(row, "BillingCurrency").unwrap();
        assert!(currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase()), "{currency}");
        // Usage rows carry their quantities and units; a unit goes with its quantity.
        assert_eq!(text(row, "PricingQuantity").is_some(), text(row, "PricingUnit").is_some());
        assert_eq!(text(row, "ConsumedQuantity").is_some(), text(row, "ConsumedUnit").is_some());
        assert!(text(row, "PricingQuantity").is_some() && text(row, "ConsumedQuantity").is_some());
        // Names go with their ids.
        assert!(text(row, "SubAccountName").is_none() || text(row, "SubAccountId").is_some());
        assert!(text(row, "ResourceName").is_none() || text(row, "ResourceId").is_some());
        assert!(text(row, "SkuPriceId").is_none() || text(row, "SkuId").is_some());
        // Periods: the charge period is inside its billing period, starts inclusive, ends exclusive.
        let (cs, ce) = (text(row, "ChargePeriodStart").unwrap(), text(row, "ChargePeriodEnd").unwrap());
        let (bs, be) = (text(row, "BillingPeriodStart").unwrap(), text(row, "BillingPeriodEnd").unwrap());
        assert!(bs <= cs && cs < ce && ce <= be, "row {n}: {bs} {cs} {ce} {be}");
        assert!(bs.ends_with("-01T00:00:00Z") && be.ends_with("-01T00:00:00Z"));
        // Costs: list cost is the list unit price times the quantity; no discounts, so
        // effective = billed and contracted = list.
        if let Some(price) = text(row, "ListUnitPrice") {
            let expected = price.parse::<f64>().unwrap() * num(row, "PricingQuantity");
            assert!((num(row, "ListCost") - expected).abs() <= 1e-9 * expected.abs().max(1.0), "row {n}");
        }
        assert_eq!(num(row, "EffectiveCost"), num(row, "BilledCost"));
        assert_eq!(num(row, "ContractedCost"), num(row, "ListCost"));
        assert_eq!(text(row, "ContractedUnitPrice"), text(row, "ListUnitPrice"));
    }
}

#[test]
fn one_row_per_usage_row_with_its_own_figures_adding_up_to_the_spend() {
    let mut engine = Engine::new(Session::open("Seeded demo data", UsageDb::from_connection(common::seeded(), 0).unwrap()).unwrap());
    let conn = engine.session().db.conn();
    let export = focus_csv(conn).unwrap();
    let (_, rows) = rows_of(&export.csv);
    let usage = usage_rows(conn);
    assert_eq!(rows.len(), common::int(conn, "SELECT COUNT(*) FROM compute_usage") as usize);
    let ids: BTreeSet<&str> = rows.iter().map(|r| text(r, "x_ComputeUsageId").unwrap()).collect();
    assert_eq!(ids, usage.keys().map(String::as_str).collect(), "each usage row once");

    let mut job_sum = 0.0;
    for row in &rows {
        let (id, parent_type, parent_id, cost, dbus, date, ws, account, tags) = &usage[text(row, "x_ComputeUsageId").unwrap()];
        assert_eq!(num(row, "BilledCost"), cost.unwrap_or(0.0), "{id}");
        assert_eq!(num(row, "PricingQuantity"), *dbus, "{id}");
        assert_eq!(num(row, "x_DbusConsumed"), *dbus, "{id}");
        assert_eq!(text(row, "ChargePeriodStart"), Some(format!("{date}T00:00:00Z").as_str()));
        assert_eq!(text(row, "BillingPeriodStart"), Some(format!("{}-01T00:00:00Z", &date[..7]).as_str()));
        assert_eq!(text(row, "x_ComputeType"), Some(parent_type.as_str()));
        assert_eq!(text(row, "SubAccountId"), ws.as_deref());
        assert_eq!(text(row, "BillingAccountId"), Some(account.as_deref().unwrap_or("unknown")));
        let expected_tags = tags.as_deref().map(|t| {
            let list: Vec<String> = serde_json::from_str(t).unwrap();
            // `key=value` is the pair (the seed's tags all are), a bare label `true`.
            list.into_iter()
                .map(|tag| match tag.split_once('=') {
                    Some((k, v)) => (k.to_string(), serde_json::Value::String(v.to_string())),
                    None => (tag, serde_json::Value::Bool(true)),
                })
                .collect::<serde_json::Map<_, _>>()
        });
        let got_tags = text(row, "Tags").map(|t| serde_json::from_str::<serde_json::Map<_, _>>(t).unwrap());
        assert_eq!(got_tags, expected_tags.filter(|m| !m.is_empty()), "{id}");
        if parent_type == "JOB_RUN" {
            assert_eq!(text(row, "x_JobRunId"), Some(parent_id.as_str()));
            assert!(text(row, "x_JobId").is_some());
            job_sum += num(row, "BilledCost");
        } else {
            assert_eq!(text(row, "x_JobRunId"), None);
            assert_eq!(text(row, "ResourceId"), Some(parent_id.as_str()));
        }
    }

    // BilledCost adds up to SUM(total_cost) and to the summary's total spend (in cents).
    let billed: f64 = rows.iter().map(|r| num(r, "BilledCost")).sum();
    let oracle = common::real(conn, "SELECT SUM(total_cost) FROM compute_usage");
    assert!((billed - oracle).abs() < 1e-6, "{billed} vs {oracle}");
    assert_eq!((billed * 100.0).round() / 100.0, engine.session().summary.total_spend_usd);
    // The job rows add up to the job_cost report over the whole data.
    let session = engine.session();
    let result = registry().get("job_cost").unwrap().run(conn, &session.data_range, &BTreeMap::new()).unwrap();
    let report_sum: f64 = (0..result.rows().len()).map(|i| result.rows().get(i, "total_cost_usd").as_f64().unwrap()).sum();
    assert!((job_sum - report_sum).abs() < 1e-6, "{job_sum} vs {report_sum}");
    let oracle_jobs = common::real(conn, "SELECT SUM(total_cost) FROM compute_usage WHERE parent_type = 'JOB_RUN'");
    assert!((job_sum - oracle_jobs).abs() < 1e-6);

    // The same bytes twice, and the engine serves the very same file to the page.
    assert_eq!(focus_csv(conn).unwrap(), export);
    let first = engine.session().summary.first_date.clone().unwrap();
    let last = engine.session().summary.last_date.clone().unwrap();
    let request: Request = serde_json::from_str(&serde_json::to_string(&Request::FocusCsv).unwrap()).unwrap();
    let Reply::Csv(Some((name, csv))) = engine.handle(&request) else { panic!("a CSV") };
    assert_eq!(name, format!("focus-1.2_{first}_{last}.csv"));
    assert_eq!(csv, export.csv);
}

#[test]
fn bad_rows_get_a_message_naming_them() {
    let conn = common::seeded();
    conn.execute_batch(
        "UPDATE compute_usage SET usage_date = 'soon' WHERE compute_usage_id = (SELECT MIN(compute_usage_id) FROM compute_usage)",
    )
    .unwrap();
    let id: String = conn.query_row("SELECT compute_usage_id FROM compute_usage WHERE usage_date = 'soon'", [], |r| r.get(0)).unwrap();
    let err = focus_csv(&conn).unwrap_err();
    assert!(matches!(&err, FocusError::BadDate { usage_id, .. } if *usage_id == id));
    assert_eq!(err.to_string(), format!("usage row {id} has a usage_date (\"soon\") that is not a date, so it has no FOCUS charge period"));

    let conn = common::seeded();
    let job: String = conn.query_row("SELECT MIN(job_id) FROM jobs", [], |r| r.get(0)).unwrap();
    conn.execute("UPDATE jobs SET tags = 'nightly, finance' WHERE job_id = ?1", [&job]).unwrap();
    let export = focus_csv(&conn).unwrap();
    assert_eq!(
        export.warnings,
        vec![format!("Job {job}: its tags (\"nightly, finance\") are not a JSON list of strings or an object; its rows have no Tags.")]
    );
    let (_, rows) = rows_of(&export.csv);
    let of_job: Vec<_> = rows.iter().filter(|r| text(r, "x_JobId") == Some(job.as_str())).collect();
    assert!(!of_job.is_empty() && of_job.iter().all(|r| text(r, "Tags").is_none()));
}
