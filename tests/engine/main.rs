//! The engine's integration tests, natively and in one binary: the seeded data and its
//! scenarios, every report against an independent oracle, charts, the usage graph, the
//! copilot pipeline (golden prompts, narratives, evidence packs), imports of system-table
//! exports, the report page's presenter, and the layering of the code itself.

mod aggregate_paths;
mod architecture;
mod bench_comparison;
mod budgets;
mod charts;
mod checks;
mod common;
mod copilot;
mod cost_drift;
mod datasets;
mod embedded_sql;
mod engine_protocol;
mod extract;
mod finops_reports;
mod focus_export;
mod graph;
mod graph_neighbourhood;
mod hardening_db;
mod hardening_import;
mod import;
mod import_dump;
mod original_schema;
mod report_view;
mod reports;
mod roles;
mod seed_consistency;
mod seed_determinism;
mod seed_scenarios;
mod stream_import;
mod tag_chargeback;
mod utilization;
mod what_if;
