//! A database written with the original project's schema and data shapes opens unchanged.

use crate::common;

use rusqlite::{Connection, MAIN_DB};
use usage_copilot::data::db::UsageDb;
use usage_copilot::data::summary::{dataset_summary, ComputeTypeSpend};

pub fn original_db_bytes() -> Vec<u8> {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(include_str!("../fixtures/original_project.sql")).unwrap();
    conn.serialize(MAIN_DB).unwrap().to_vec()
}

#[test]
fn original_schema_database_loads_and_summarises() {
    let db = UsageDb::from_bytes(&original_db_bytes()).unwrap();
    let s = dataset_summary(db.conn()).unwrap();
    assert_eq!((s.workspaces, s.jobs, s.job_runs, s.failed_runs, s.compute_resources), (1, 3, 5, 3, 2));
    assert_eq!((s.first_date.as_deref(), s.last_date.as_deref(), s.days), (Some("2025-11-14"), Some("2025-12-05"), 22));
    assert_eq!(s.total_spend_usd, 670.43);
    assert_eq!(
        s.spend_by_compute_type,
        [
            ComputeTypeSpend { compute_type: "APC_CLUSTER".into(), spend_usd: 348.0, share_pct: 51.91 },
            ComputeTypeSpend { compute_type: "JOB_RUN".into(), spend_usd: 200.93, share_pct: 29.97 },
            ComputeTypeSpend { compute_type: "SQL_WAREHOUSE".into(), spend_usd: 121.5, share_pct: 18.12 },
        ]
    );
    // The calendar the original left empty is derived from the usage dates.
    assert_eq!(common::int(db.conn(), "SELECT COUNT(*) FROM date_series"), 22);
}
