"""Runs every statement of sql/extract/ on a local Spark session over the hand-written system
table fixtures and checks the outputs against tests/fixtures/system-tables/EXPECTED.md.

    python3 tests/spark/run_extract.py OUT_DIR [--fixtures DIR] [--sql DIR] [--expect DIR | --update DIR]

One Spark session (local[2], UI off, quiet logs), the system tables created with their
documented types (system_tables.py), the fixtures loaded into them, each statement run as
committed with named parameters, each result written to OUT_DIR/<statement>.csv (header,
UTF-8, RFC 4180 quoting, ISO timestamps in UTC), then the figures checked on those files.
With --expect DIR every output must be byte-identical to DIR/<statement>.csv (the committed
tests/fixtures/system-tables-extracted/, which the Rust importer test imports), and DIR must
hold no other file; --update DIR copies the outputs there instead.
Exits non-zero on any failure; prints the wall time.
"""

from __future__ import annotations

import argparse
import csv
import glob
import logging
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

# The fixture window: November 2025, every workspace, list prices.
PARAMS = {"from": "2025-11-01", "to": "2025-11-30", "workspaces": "", "prices": "list"}

LOG4J = """
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = off
logger.spark.name = org.apache.spark
logger.spark.level = error
"""


def start_spark(work: str, time_zone: str = "UTC"):
    """One local session: 2 cores, few shuffle partitions, no UI, quiet logs. The statements do
    not depend on the session time zone (UTC on Databricks SQL by default); --session-time-zone
    runs them under another one to show it."""
    log4j = os.path.join(work, "log4j2.properties")
    with open(log4j, "w") as f:
        f.write(LOG4J)
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--driver-java-options -Dlog4j2.configurationFile=file:{log4j} pyspark-shell"
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("usage-copilot-extract")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", time_zone)
        .config("spark.sql.warehouse.dir", os.path.join(work, "warehouse"))
        .config("spark.driver.memory", "2g")
        .config("spark.sql.ansi.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # A failing statement is reported once, by its exception, not also by PySpark's logger.
    logging.getLogger("SQLQueryContextLogger").disabled = True
    return spark


# ---------------------------------------------------------------------------------------------
# The statements.


def statements(sql_dir: str) -> dict[str, str]:
    files = sorted(glob.glob(os.path.join(sql_dir, "*.sql")))
    if not files:
        raise SystemExit(f"no statements in {sql_dir}")
    return {os.path.splitext(os.path.basename(p))[0]: open(p, encoding="utf-8").read() for p in files}


def _strip_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def top_level_ctes(text: str) -> dict[str, str]:
    """`name AS ( ... )` blocks of the statement's leading WITH, by name (quotes respected)."""
    body = _strip_comments(text)
    m = re.match(r"\s*WITH\b", body, re.I)
    if not m:
        return {}
    i, out = m.end(), {}
    while True:
        m = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+AS\s*\(", re.I).match(body, i)
        if not m:
            return out
        depth, j, quote = 1, m.end(), None
        while depth:
            c = body[j]
            if quote:
                if c == "\\":
                    j += 1
                elif c == quote:
                    quote = None
            elif c in "'\"`":
                quote = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            j += 1
        out[m.group(1)] = " ".join(body[m.end():j - 1].split())
        m2 = re.compile(r"\s*,").match(body, j)
        if not m2:
            return out
        i = m2.end()


def check_ctes_agree(texts: dict[str, str]) -> None:
    """A CTE that several statements define must be the same text in each (they are copies)."""
    seen: dict[str, tuple[str, str]] = {}
    for name, text in texts.items():
        for cte, body in top_level_ctes(text).items():
            if cte in seen and seen[cte][1] != body:
                raise SystemExit(f"CTE {cte} differs between {seen[cte][0]}.sql and {name}.sql")
            seen.setdefault(cte, (name, body))


def write_csv(df, path: str, work: str) -> None:
    """One CSV file: header, UTF-8, quotes doubled (RFC 4180), timestamps as ISO UTC."""
    tmp = tempfile.mkdtemp(dir=work)
    (
        df.coalesce(1)
        .write.mode("overwrite")
        .option("header", True)
        .option("escape", '"')
        .option("encoding", "UTF-8")
        .option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
        .option("timeZone", "UTC")
        .option("dateFormat", "yyyy-MM-dd")
        .csv(tmp)
    )
    parts = glob.glob(os.path.join(tmp, "part-*.csv"))
    if len(parts) != 1:
        raise RuntimeError(f"expected one part file in {tmp}, found {parts}")
    shutil.move(parts[0], path)
    shutil.rmtree(tmp)


def run_all(spark, texts: dict[str, str], params: dict, out_dir: str, work: str) -> dict[str, int]:
    os.makedirs(out_dir, exist_ok=True)
    rows = {}
    for name, text in texts.items():
        t = time.time()
        df = spark.sql(text, args=params)
        write_csv(df, os.path.join(out_dir, name + ".csv"), work)
        with open(os.path.join(out_dir, name + ".csv"), encoding="utf-8", newline="") as f:
            rows[name] = sum(1 for _ in csv.reader(f)) - 1
        print(f"  {name:<18} {time.time() - t:6.2f} s  → {name}.csv")
    return rows


def check_recognisable(out_dir: str, texts: dict[str, str]) -> list[str]:
    """Every output starts with extract_kind and has a column no other output has, so the
    importer can tell the files apart by their header alone."""
    headers = {}
    for name in texts:
        with open(os.path.join(out_dir, name + ".csv"), encoding="utf-8", newline="") as f:
            headers[name] = next(csv.reader(f))
    failures = []
    for name, cols in headers.items():
        others = set().union(*(set(c) for n, c in headers.items() if n != name))
        if cols[0] != "extract_kind" or not set(cols) - others:
            failures.append(f"{name}.csv: columns {cols} do not set it apart")
    return failures


def compare_expected(out_dir: str, expected_dir: str, names) -> list[str]:
    """Each output byte-identical to its committed copy; no committed file without an output."""
    failures = []
    for name in names:
        mine, theirs = os.path.join(out_dir, name + ".csv"), os.path.join(expected_dir, name + ".csv")
        if not os.path.exists(theirs):
            failures.append(f"{name}.csv: not in {expected_dir} (run with UPDATE_EXTRACTED=1 to add it)")
            continue
        a, b = open(mine, "rb").read(), open(theirs, "rb").read()
        if a != b:
            la, lb = a.decode("utf-8").splitlines(), b.decode("utf-8").splitlines()
            at = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
            failures.append(f"{name}.csv differs from {theirs} at line {at + 1}: "
                            f"got {la[at] if at < len(la) else '<end>'!r}, committed {lb[at] if at < len(lb) else '<end>'!r}")
        else:
            PASSED_FILES.append(name)
    extra = sorted(set(f[:-4] for f in os.listdir(expected_dir) if f.endswith(".csv")) - set(names))
    failures += [f"{expected_dir}/{e}.csv has no statement" for e in extra]
    return failures


PASSED_FILES: list[str] = []


def collect_one(spark, text: str, params: dict) -> dict:
    rows = spark.sql(text, args=params).collect()
    assert len(rows) == 1, rows
    return rows[0].asDict()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--fixtures", default=os.path.join(ROOT, "tests/fixtures/system-tables"))
    ap.add_argument("--sql", default=os.path.join(ROOT, "sql/extract"))
    ap.add_argument("--session-time-zone", default="UTC")
    ap.add_argument("--expect", help="directory of committed outputs the run must reproduce byte for byte")
    ap.add_argument("--update", help="directory to copy the outputs to (the committed outputs)")
    args = ap.parse_args()
    wall = time.time()
    work = tempfile.mkdtemp(prefix="extract-spark-")
    try:
        import checks
        import system_tables

        texts = statements(args.sql)
        check_ctes_agree(texts)
        print(f"{len(texts)} statements in {args.sql}; shared CTEs agree")

        t = time.time()
        spark = start_spark(work, args.session_time_zone)
        print(f"spark {spark.version} started in {time.time() - t:.1f} s")
        t = time.time()
        system_tables.create_tables(spark)
        system_tables.alias_system_catalog(spark)
        loaded = system_tables.load_fixtures(spark, args.fixtures)
        print(f"system tables created and loaded in {time.time() - t:.1f} s: "
              + ", ".join(f"{k} {v}" for k, v in loaded.items()))

        # The tables are strict: a column or struct field the real table lacks does not resolve.
        for probe in ("SELECT usage_metadata.no_such_field FROM system.billing.usage",
                      "SELECT no_such_column FROM system.compute.clusters"):
            try:
                spark.sql(probe).collect()
            except Exception as e:  # AnalysisException
                if "FIELD_NOT_FOUND" not in str(e) and "UNRESOLVED_COLUMN" not in str(e):
                    raise
            else:
                raise AssertionError(f"{probe!r} should not resolve")

        t = time.time()
        print(f"running with {PARAMS}:")
        rows = run_all(spark, texts, PARAMS, args.out_dir, work)
        print(f"statements ran in {time.time() - t:.1f} s: " + ", ".join(f"{k} {v}" for k, v in rows.items()))

        failures = check_recognisable(args.out_dir, texts)
        failures += checks.check_outputs(args.out_dir)
        if args.expect:
            failures += compare_expected(args.out_dir, args.expect, list(texts))
            print(f"outputs byte-identical to {args.expect}: {len(PASSED_FILES)} of {len(texts)}")
        if args.update:
            os.makedirs(args.update, exist_ok=True)
            for name in texts:
                shutil.copyfile(os.path.join(args.out_dir, name + ".csv"), os.path.join(args.update, name + ".csv"))
            print(f"outputs copied to {args.update}")

        # Parameters: the window, the workspace list and the negotiated-price variant.
        t = time.time()
        gaps = texts["attribution_gaps"]
        system_tables.load_records(spark, "billing.account_prices", checks.account_prices(args.fixtures), "account prices")
        variants = [
            ({**PARAMS, "workspaces": "42"}, 0.0, "another workspace only"),
            ({**PARAMS, "workspaces": "42, 3141592653589793"}, 25.70, "a list that names the workspace"),
            ({**PARAMS, "to": "2025-11-14"}, 15.70, "window 2025-11-01 … 2025-11-14"),
            ({**PARAMS, "prices": "account"}, 25.70 * 0.8, "account prices (20 % below list)"),
        ]
        for params, expected, what in variants:
            got = collect_one(spark, gaps, params)["total_cost"]
            failures += checks.expect(f"total_cost, {what}", got, expected)
        print(f"parameter variants checked in {time.time() - t:.1f} s")
        spark.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{checks.PASSED[0]} passed, {len(failures)} failed")
    for f in failures:
        print("  FAILED:", f)
    print(f"wall time {time.time() - wall:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
