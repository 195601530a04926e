-- Databricks Usage Copilot, scheduled extraction: the first task of the job.
-- Creates the schema the twelve extraction tables are written to (CATALOG.SCHEMA in
-- :target_schema). The catalog must exist; the job's run-as identity needs USE CATALOG and
-- CREATE SCHEMA on it, or USE SCHEMA, CREATE TABLE and MODIFY on an existing schema.
CREATE SCHEMA IF NOT EXISTS IDENTIFIER(:target_schema)
  COMMENT 'Databricks Usage Copilot: pre-aggregated extracts of the system tables (build-tools/databricks-job)';
