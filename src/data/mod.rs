//! The data layer: the usage schema, opening a database from bytes, the deterministic seeded
//! demo, importing Databricks system-table exports, the dataset summary, the FOCUS export, and the
//! budgets users keep beside a dataset. It knows
//! nothing of reports, the copilot or the page.

pub mod aggregates;
pub mod budgets;
pub mod db;
pub mod focus;
pub mod import;
pub mod schema;
pub mod seed;
pub mod summary;
