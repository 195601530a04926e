"""The Databricks system tables the extraction SQL reads, with their documented column types,
created in a local Spark session, and the hand-written fixture exports loaded into them.

Column lists and types follow ../shared/reference/databricks-facts.md (§1.2–§1.8), which
paraphrases the official pages, for example
https://docs.databricks.com/aws/en/admin/system-tables/billing and
https://docs.databricks.com/aws/en/admin/system-tables/compute. Only columns whose type is
documented are declared: a column of uncertain shape that no statement reads is left out, so a
statement that reads a column the real table lacks fails here as it would on Databricks.

Spark has no catalog called `system` and ships no catalog plugin that could be registered
under that name without compiling one. `alias_system_catalog` registers the session catalog
itself under the name `system` (one entry in the catalog manager's map), so that
`system.billing.usage` resolves to database `billing`, table `usage` of the local session
catalog and the committed SQL runs unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from decimal import Decimal

from pyspark.sql import SparkSession
from pyspark.sql import types as T

# One CREATE TABLE per system table, the columns in the documented order.
DDL: dict[str, str] = {
    "billing.usage": """
        record_id STRING, account_id STRING, workspace_id STRING, sku_name STRING, cloud STRING,
        usage_start_time TIMESTAMP, usage_end_time TIMESTAMP, usage_date DATE,
        custom_tags MAP<STRING, STRING>, usage_unit STRING, usage_quantity DECIMAL(38,18),
        usage_metadata STRUCT<
            cluster_id: STRING, job_id: STRING, warehouse_id: STRING, instance_pool_id: STRING,
            node_type: STRING, job_run_id: STRING, notebook_id: STRING, dlt_pipeline_id: STRING,
            endpoint_name: STRING, endpoint_id: STRING, dlt_update_id: STRING,
            dlt_maintenance_id: STRING, run_name: STRING, job_name: STRING, notebook_path: STRING,
            central_clean_room_id: STRING, source_region: STRING, destination_region: STRING,
            app_id: STRING, app_name: STRING, metastore_id: STRING, private_endpoint_name: STRING,
            storage_api_type: STRING, budget_policy_id: STRING, usage_policy_id: STRING,
            ai_runtime_pool_id: STRING, ai_runtime_workload_id: STRING, uc_table_catalog: STRING,
            uc_table_schema: STRING, uc_table_name: STRING, database_instance_id: STRING,
            sharing_materialization_id: STRING, agent_bricks_id: STRING,
            base_environment_id: STRING>,
        identity_metadata STRUCT<run_as: STRING, owned_by: STRING, created_by: STRING>,
        record_type STRING, ingestion_date DATE, billing_origin_product STRING,
        product_features STRUCT<
            jobs_tier: STRING, sql_tier: STRING, dlt_tier: STRING, is_serverless: BOOLEAN,
            is_photon: BOOLEAN, serving_type: STRING, offering_type: STRING,
            performance_target: STRING,
            networking: STRUCT<connectivity_type: STRING>>,
        usage_type STRING
    """,
    "billing.list_prices": """
        price_start_time TIMESTAMP, price_end_time TIMESTAMP, account_id STRING, sku_name STRING,
        cloud STRING, currency_code STRING, usage_unit STRING,
        pricing STRUCT<
            default: DECIMAL(38,18),
            promotional: STRUCT<default: DECIMAL(38,18)>,
            effective_list: STRUCT<default: DECIMAL(38,18)>>
    """,
    "lakeflow.jobs": """
        account_id STRING, workspace_id STRING, job_id STRING, name STRING, description STRING,
        creator_id STRING, tags MAP<STRING, STRING>, change_time TIMESTAMP,
        delete_time TIMESTAMP, run_as STRING
    """,
    "lakeflow.job_run_timeline": """
        account_id STRING, workspace_id STRING, job_id STRING, run_id STRING,
        period_start_time TIMESTAMP, period_end_time TIMESTAMP, trigger_type STRING,
        run_type STRING, run_name STRING, compute_ids ARRAY<STRING>, result_state STRING,
        termination_code STRING, job_parameters MAP<STRING, STRING>
    """,
    "lakeflow.job_task_run_timeline": """
        account_id STRING, workspace_id STRING, job_id STRING, run_id STRING, job_run_id STRING,
        parent_run_id STRING, period_start_time TIMESTAMP, period_end_time TIMESTAMP,
        task_key STRING, compute_ids ARRAY<STRING>, result_state STRING, termination_code STRING
    """,
    "compute.clusters": """
        account_id STRING, workspace_id STRING, cluster_id STRING, cluster_name STRING,
        owned_by STRING, create_time TIMESTAMP, delete_time TIMESTAMP, driver_node_type STRING,
        worker_node_type STRING, worker_count BIGINT, min_autoscale_workers BIGINT,
        max_autoscale_workers BIGINT, auto_termination_minutes BIGINT,
        enable_elastic_disk BOOLEAN, tags MAP<STRING, STRING>, cluster_source STRING,
        init_scripts ARRAY<STRING>,
        aws_attributes STRUCT<
            instance_profile_arn: STRING, zone_id: STRING, first_on_demand: INT,
            availability: STRING, spot_bid_price_percent: INT, ebs_volume_type: STRING,
            ebs_volume_count: INT, ebs_volume_size: INT, ebs_volume_iops: INT,
            ebs_volume_throughput: INT>,
        azure_attributes STRUCT<first_on_demand: INT, availability: STRING,
            spot_bid_max_price: DOUBLE>,
        gcp_attributes STRUCT<use_preemptible_executors: BOOLEAN, zone_id: STRING,
            first_on_demand: INT, availability: STRING>,
        driver_instance_pool_id STRING, worker_instance_pool_id STRING, dbr_version STRING,
        change_time TIMESTAMP, change_date DATE, data_security_mode STRING, policy_id STRING
    """,
    "compute.node_timeline": """
        account_id STRING, workspace_id STRING, cluster_id STRING, instance_id STRING,
        start_time TIMESTAMP, end_time TIMESTAMP, driver BOOLEAN, cpu_user_percent DOUBLE,
        cpu_system_percent DOUBLE, cpu_wait_percent DOUBLE, mem_used_percent DOUBLE,
        mem_swap_percent DOUBLE, network_sent_bytes BIGINT, network_received_bytes BIGINT,
        disk_free_bytes_per_mount_point MAP<STRING, BIGINT>, node_type STRING
    """,
    "compute.instance_events": """
        account_id STRING, workspace_id STRING, instance_id STRING, node_type STRING,
        availability_type STRING, state STRING, event_type STRING, cluster_id STRING,
        instance_pool_id STRING, event_time TIMESTAMP
    """,
    "compute.warehouses": """
        warehouse_id STRING, workspace_id STRING, account_id STRING, warehouse_name STRING,
        warehouse_type STRING, warehouse_channel STRING, warehouse_size STRING,
        min_clusters INT, max_clusters INT, auto_stop_minutes INT, tags MAP<STRING, STRING>,
        change_time TIMESTAMP, delete_time TIMESTAMP
    """,
    "query.history": """
        account_id STRING, workspace_id STRING, statement_id STRING, session_id STRING,
        execution_status STRING,
        compute STRUCT<type: STRING, cluster_id: STRING, warehouse_id: STRING>,
        executed_by STRING, executed_by_user_id STRING, executed_as STRING,
        executed_as_user_id STRING, statement_text STRING, statement_type STRING,
        error_message STRING, client_application STRING, client_driver STRING,
        total_duration_ms BIGINT, waiting_for_compute_duration_ms BIGINT,
        waiting_at_capacity_duration_ms BIGINT, execution_duration_ms BIGINT,
        compilation_duration_ms BIGINT, total_task_duration_ms BIGINT,
        result_fetch_duration_ms BIGINT, start_time TIMESTAMP, end_time TIMESTAMP,
        update_time TIMESTAMP, read_partitions BIGINT, pruned_files BIGINT, read_files BIGINT,
        read_rows BIGINT, produced_rows BIGINT, read_bytes BIGINT, read_io_cache_percent INT,
        from_result_cache BOOLEAN, spilled_local_bytes BIGINT, written_bytes BIGINT,
        shuffle_read_bytes BIGINT
    """,
}
# Negotiated prices (private preview, AWS and GCP): documented as having the shape of
# list_prices. Created so that the `:prices = 'account'` variant can be exercised.
DDL["billing.account_prices"] = DDL["billing.list_prices"]

# Which fixture file holds which table (tests/fixtures/system-tables/EXPECTED.md).
FIXTURE_FILES = {
    "billing.usage": "export_01.csv",
    "billing.list_prices": "export_02.jsonl",
    "lakeflow.jobs": "export_03.csv",
    "lakeflow.job_run_timeline": "export_04.csv",
    "lakeflow.job_task_run_timeline": "export_05.jsonl",
    "compute.clusters": "export_06.csv",
    "compute.instance_events": "export_07.csv",
    "compute.node_timeline": "export_08.csv",
    "compute.warehouses": "export_09.jsonl",
    "query.history": "export_10.csv",
}


def alias_system_catalog(spark: SparkSession) -> None:
    """Makes `system.<schema>.<table>` name `<schema>.<table>` of the session catalog."""
    manager = spark._jsparkSession.sessionState().catalogManager()
    field = manager.getClass().getDeclaredField("catalogs")
    field.setAccessible(True)
    field.get(manager).put("system", manager.v2SessionCatalog())


def create_tables(spark: SparkSession) -> None:
    for schema in sorted({name.split(".")[0] for name in DDL}):
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {schema}")
    for name, columns in DDL.items():
        spark.sql(f"CREATE TABLE {name} ({columns}) USING parquet")


# ---------------------------------------------------------------------------------------------
# Fixture values (CSV text or JSON values) to Python values of the declared Spark types.


def _instant(text: str) -> dt.datetime:
    """`2025-11-03T01:00:00.000+00:00`, `...Z` or `2025-11-06 09:12:03` (UTC) as an aware time."""
    t = text.strip().replace(" ", "T", 1)
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    value = dt.datetime.fromisoformat(t)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def convert(value, data_type: T.DataType, where: str):
    """`value` (a CSV cell or a JSON value) as a Python value of `data_type`; None for null/empty."""
    if value is None:
        return None
    if isinstance(value, str) and value == "":
        return None
    nested = (T.MapType, T.ArrayType, T.StructType)
    if isinstance(data_type, nested) and isinstance(value, str):
        value = json.loads(value)
    if isinstance(data_type, T.StringType):
        return value if isinstance(value, str) else json.dumps(value)
    if isinstance(data_type, T.TimestampType):
        return _instant(value)
    if isinstance(data_type, T.DateType):
        return dt.date.fromisoformat(str(value)[:10])
    if isinstance(data_type, T.DecimalType):
        return Decimal(str(value))
    if isinstance(data_type, (T.LongType, T.IntegerType)):
        return int(Decimal(str(value)))
    if isinstance(data_type, T.DoubleType):
        return float(value)
    if isinstance(data_type, T.BooleanType):
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}[str(value).strip().lower()]
    if isinstance(data_type, T.ArrayType):
        return [convert(v, data_type.elementType, where) for v in value]
    if isinstance(data_type, T.MapType):
        return {k: convert(v, data_type.valueType, where) for k, v in value.items()}
    if isinstance(data_type, T.StructType):
        names = {f.name: f for f in data_type.fields}
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"{where}: fields {unknown} are not in the documented struct")
        return {f.name: convert(value.get(f.name), f.dataType, f"{where}.{f.name}") for f in data_type.fields}
    raise TypeError(f"{where}: no conversion to {data_type}")


def read_records(path: str) -> list[dict]:
    """The records of a CSV (RFC 4180, header) or JSON Lines export."""
    with open(path, encoding="utf-8", newline="") as f:
        if path.endswith(".jsonl"):
            return [json.loads(line) for line in f if line.strip()]
        return list(csv.DictReader(f))


def load_records(spark: SparkSession, table: str, records: list[dict], source: str) -> int:
    """Appends `records` to `table`, converted to its declared types. A column the real table
    lacks is an error: the fixture would not be a real export."""
    schema = spark.table(table).schema
    declared = {f.name for f in schema.fields}
    for i, record in enumerate(records):
        extra = sorted(set(record) - declared)
        if extra:
            raise ValueError(f"{source} record {i + 1}: columns {extra} are not in {table}")
    rows = [
        tuple(convert(r.get(f.name), f.dataType, f"{source} record {i + 1} {f.name}") for f in schema.fields)
        for i, r in enumerate(records)
    ]
    spark.createDataFrame(rows, schema).write.insertInto(table)
    return len(rows)


def load_fixtures(spark: SparkSession, fixture_dir: str) -> dict[str, int]:
    counts = {}
    for table, name in FIXTURE_FILES.items():
        path = os.path.join(fixture_dir, name)
        counts[table] = load_records(spark, table, read_records(path), name)
    return counts
