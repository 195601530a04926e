//! The data layer: the usage schema, opening a database from bytes, the deterministic seeded
//! demo, importing Databricks system-table exports, and the dataset summary. It knows
//! nothing of reports, the copilot or the page.

pub mod aggregates;
pub mod db;
pub mod import;
pub mod schema;
pub mod seed;
pub mod summary;
