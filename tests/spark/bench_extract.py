"""How much the extraction shrinks a large account (a note, not a test).

    python3 tests/spark/bench_extract.py OUT_DIR [--rows 1000000]

Generates, inside Spark, a system.billing.usage of N rows shaped like bench/gen-usage.mjs
(500 jobs on job compute with a run per job and day, 50 all-purpose clusters, 20 warehouses,
hourly rows over 180 days, a retraction every 500 rows), the list prices, one timeline slice and
one job cluster per job run. Writes the billing rows as a raw CSV export (what a user would
download today) to OUT_DIR/raw, runs every statement of sql/extract over the 180 days into
OUT_DIR/extract, and prints rows in, rows out, bytes and seconds per statement.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, HERE)

import run_extract  # noqa: E402
import system_tables  # noqa: E402

START = 1748736000  # 2025-06-01T00:00:00Z
HOURS = 180 * 24


def select_for(spark, table: str, exprs: dict[str, str], source: str) -> str:
    """INSERT … SELECT giving every column of `table` (and every field of its struct columns)
    an expression from `exprs` ("column" or "column.field"), NULL of the right type otherwise."""
    from pyspark.sql import types as T

    def value(name, data_type):
        if name in exprs:
            return exprs[name]
        if isinstance(data_type, T.StructType) and any(k.startswith(name + ".") for k in exprs):
            parts = ", ".join(f"'{f.name}', {value(name + '.' + f.name, f.dataType)}" for f in data_type.fields)
            return f"named_struct({parts})"
        return f"CAST(NULL AS {data_type.simpleString()})"

    cols = ",\n  ".join(f"{value(f.name, f.dataType)} AS {f.name}" for f in spark.table(table).schema.fields)
    return f"INSERT INTO {table}\nSELECT\n  {cols}\nFROM {source}"


def generate(spark, rows: int) -> None:
    base = f"""(SELECT id AS i,
                   (floor(id / 40) % {HOURS}) AS hour,
                   id % 10 AS kind,
                   1000 + pmod(hash(id, 'job'), 500) AS job,
                   pmod(hash(id, 'apc'), 50) AS apc,
                   pmod(hash(id, 'wh'), 20) AS wh,
                   pmod(hash(id, 'qty'), 8000) / 1000.0 AS qty,
                   pmod(hash(id, 'tag'), 10) < 3 AS untagged,
                   id % 500 = 499 AS retraction
                FROM range({rows}))"""
    day = "CAST(floor(hour / 24) AS BIGINT)"
    spark.sql(select_for(spark, "billing.usage", {
        "record_id": "concat('r', CAST(i AS STRING))",
        "account_id": "'acct'",
        "workspace_id": "'ws1'",
        "sku_name": "CASE WHEN kind < 7 THEN 'PREMIUM_JOBS_COMPUTE' WHEN kind < 9 THEN 'PREMIUM_ALL_PURPOSE_COMPUTE' ELSE 'PREMIUM_SQL_PRO_COMPUTE' END",
        "cloud": "'AWS'",
        "usage_start_time": f"timestamp_seconds({START} + hour * 3600)",
        "usage_end_time": f"timestamp_seconds({START} + hour * 3600 + 3600)",
        "usage_date": f"date_from_unix_date(CAST({START // 86400} + floor(hour / 24) AS INT))",
        "custom_tags": "CASE WHEN untagged THEN CAST(map() AS MAP<STRING, STRING>) ELSE map('team', 'data') END",
        "usage_unit": "'DBU'",
        "usage_quantity": "CAST(CASE WHEN retraction THEN -qty ELSE qty END AS DECIMAL(38,18))",
        "usage_metadata.job_id": "CASE WHEN kind < 7 THEN CAST(job AS STRING) END",
        "usage_metadata.job_run_id": f"CASE WHEN kind < 7 THEN concat(CAST(job AS STRING), '-', CAST({day} AS STRING)) END",
        "usage_metadata.cluster_id": f"CASE WHEN kind < 7 THEN concat('jc-', CAST(job AS STRING), '-', CAST({day} AS STRING)) WHEN kind < 9 THEN concat('ap-', CAST(apc AS STRING)) END",
        "usage_metadata.warehouse_id": "CASE WHEN kind = 9 THEN concat('wh-', CAST(wh AS STRING)) END",
        "record_type": "CASE WHEN retraction THEN 'RETRACTION' ELSE 'ORIGINAL' END",
        "billing_origin_product": "CASE WHEN kind < 7 THEN 'JOBS' WHEN kind < 9 THEN 'ALL_PURPOSE' ELSE 'SQL' END",
        "usage_type": "'COMPUTE_TIME'",
    }, base))
    spark.sql(select_for(spark, "billing.list_prices", {
        "price_start_time": "TIMESTAMP'2024-01-01 00:00:00Z'", "sku_name": "sku", "cloud": "'AWS'",
        "currency_code": "'USD'", "usage_unit": "'DBU'", "pricing.default": "CAST(p AS DECIMAL(38,18))",
    }, "VALUES ('PREMIUM_JOBS_COMPUTE', 0.15), ('PREMIUM_ALL_PURPOSE_COMPUTE', 0.55), ('PREMIUM_SQL_PRO_COMPUTE', 0.55) AS t(sku, p)"))
    runs = """(SELECT usage_metadata.job_id AS job_id, usage_metadata.job_run_id AS run_id,
                      first(usage_metadata.cluster_id) AS cluster_id,
                      min(usage_start_time) AS s, max(usage_end_time) AS e
               FROM billing.usage WHERE usage_metadata.job_run_id IS NOT NULL
               GROUP BY 1, 2)"""
    spark.sql(select_for(spark, "lakeflow.job_run_timeline", {
        "workspace_id": "'ws1'", "job_id": "job_id", "run_id": "run_id", "period_start_time": "s",
        "period_end_time": "e", "compute_ids": "array(cluster_id)", "result_state": "'SUCCEEDED'",
        "termination_code": "'SUCCESS'",
    }, runs))
    spark.sql(select_for(spark, "compute.clusters", {
        "workspace_id": "'ws1'", "cluster_id": "cluster_id", "cluster_name": "concat('job-', run_id)",
        "cluster_source": "'JOB'", "change_time": "s", "worker_node_type": "'i3.xlarge'",
        "driver_node_type": "'i3.xlarge'", "worker_count": "4L",
        "aws_attributes.first_on_demand": "1", "aws_attributes.availability": "'SPOT_WITH_FALLBACK'",
    }, runs))


def size(path: str) -> int:
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(path, "*")) if os.path.isfile(p))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    wall = time.time()
    work = tempfile.mkdtemp(prefix="extract-bench-")
    try:
        spark = run_extract.start_spark(work)
        system_tables.create_tables(spark)
        system_tables.alias_system_catalog(spark)
        t = time.time()
        generate(spark, args.rows)
        counts = {t_: spark.table(t_).count() for t_ in ["billing.usage", "billing.list_prices", "lakeflow.job_run_timeline", "compute.clusters"]}
        print(f"generated in {time.time() - t:.1f} s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))

        # The raw export a user would download today: billing rows as CSV, nested columns as JSON.
        raw = os.path.join(args.out_dir, "raw")
        os.makedirs(raw, exist_ok=True)
        t = time.time()
        usage = spark.table("billing.usage")
        as_json = [f"to_json({f.name}) AS {f.name}" if f.dataType.typeName() in ("struct", "map", "array") else f.name
                   for f in usage.schema.fields]
        run_extract.write_csv(usage.selectExpr(*as_json), os.path.join(raw, "usage.csv"), work)
        print(f"raw billing export written in {time.time() - t:.1f} s: {os.path.getsize(os.path.join(raw, 'usage.csv')) / 1e6:.1f} MB")

        texts = run_extract.statements(os.path.join(run_extract.ROOT, "sql/extract"))
        params = {"from": "2025-06-01", "to": "2025-11-27", "workspaces": "", "prices": "list"}
        out = os.path.join(args.out_dir, "extract")
        t = time.time()
        rows = run_extract.run_all(spark, texts, params, out, work)
        elapsed = time.time() - t
        spark.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'output':<18} {'rows':>9} {'bytes':>12}")
    for name, n in rows.items():
        print(f"{name:<18} {n:>9} {os.path.getsize(os.path.join(out, name + '.csv')):>12}")
    raw_bytes = os.path.getsize(os.path.join(raw, "usage.csv"))
    print(f"{'all outputs':<18} {sum(rows.values()):>9} {size(out):>12}")
    print(f"\nrows in: {sum(counts.values())} ({counts['billing.usage']} billing rows, raw billing CSV {raw_bytes / 1e6:.1f} MB)")
    print(f"rows out: {sum(rows.values())} in {len(rows)} files, {size(out) / 1e6:.2f} MB "
          f"({raw_bytes / max(size(out), 1):.1f}× smaller than the raw billing export alone)")
    print(f"statements: {elapsed:.1f} s; wall time {time.time() - wall:.1f} s on local[2]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
