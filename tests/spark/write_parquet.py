"""Writes the system-table fixtures as Parquet, the way Databricks writes a table: the
hand-written exports of tests/fixtures/system-tables/ loaded into local Spark tables with the
documented system-table schemas (system_tables.py: structs, maps, arrays, DECIMAL(38,18)
quantities and prices, TIMESTAMP and DATE columns), then each table written by Spark as one
Parquet file, named like the fixture it holds (export_01.parquet is system.billing.usage…),
into tests/fixtures/system-tables-parquet/. tests/engine/stream_import.rs imports them and
checks that they give the same database as the CSV and JSON Lines fixtures.

    python3 tests/spark/write_parquet.py [OUT_DIR]

The files vary what a reader meets: Snappy (Spark's default), gzip, LZ4 (Hadoop framing) and
uncompressed pages; TIMESTAMP_MICROS and the legacy INT96 timestamps. A ZSTD file (which the
importer refuses, naming the codec) goes to tests/fixtures/system-tables-bad/. Needs Java 17
and pyspark 4.x, as tests/spark/run.sh does.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from run_extract import start_spark  # noqa: E402
from system_tables import FIXTURE_FILES, create_tables, load_fixtures  # noqa: E402

# (compression, timestamp type) per table; the rest Snappy with TIMESTAMP_MICROS.
VARIANTS = {
    "billing.list_prices": ("gzip", "TIMESTAMP_MICROS"),
    "lakeflow.job_run_timeline": ("snappy", "INT96"),
    "compute.instance_events": ("lz4", "TIMESTAMP_MICROS"),
    "compute.warehouses": ("none", "TIMESTAMP_MICROS"),
}


def write_one(spark, table: str, path: str, compression: str, timestamps: str, work: str) -> None:
    spark.conf.set("spark.sql.parquet.outputTimestampType", timestamps)
    out = os.path.join(work, table.replace(".", "_"))
    # Rows in a fixed order, one file.
    df = spark.table(table)
    df.orderBy(*df.columns[:4]).coalesce(1).write.mode("overwrite").option("compression", compression).parquet(out)
    parts = glob.glob(os.path.join(out, "part-*.parquet"))
    if len(parts) != 1:
        raise SystemExit(f"{table}: expected one Parquet part file, found {parts}")
    shutil.copyfile(parts[0], path)


def main() -> None:
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests/fixtures/system-tables-parquet")
    bad_dir = os.path.join(ROOT, "tests/fixtures/system-tables-bad")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        spark = start_spark(work)
        create_tables(spark)
        load_fixtures(spark, os.path.join(ROOT, "tests/fixtures/system-tables"))
        for table, name in FIXTURE_FILES.items():
            compression, timestamps = VARIANTS.get(table, ("snappy", "TIMESTAMP_MICROS"))
            path = os.path.join(out_dir, os.path.splitext(name)[0] + ".parquet")
            write_one(spark, table, path, compression, timestamps, work)
            print(f"{path}: {table}, {compression}, {timestamps}, {os.path.getsize(path)} bytes")
        zstd = os.path.join(bad_dir, "warehouses_zstd.parquet")
        write_one(spark, "compute.warehouses", zstd, "zstd", "TIMESTAMP_MICROS", work)
        print(f"{zstd}: compute.warehouses, zstd")
        spark.stop()


if __name__ == "__main__":
    main()
