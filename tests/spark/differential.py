"""Differential check: the extraction SQL on Spark against the Rust importer on the same data.

    python3 tests/spark/differential.py OUT_DIR [--importer CMD] [--seed N] [--order shuffled|sorted]

Randomised system tables (generate.py) are loaded into Spark and extracted with every
statement of sql/extract for November 2025; the same rows, cut to the window by README.md's
rules, are written as raw JSON Lines exports and imported by CMD, a program that takes export
files as arguments and prints the imported database's tables and its ImportReport as one JSON
object (tests/spark/import_dump.sh, the default, is such a program for the library's
`import_files`). Every table the importer writes and every figure of its report is then
compared with what the extract outputs say it should be. The exports' rows are shuffled by
default: the importer must not depend on row order. Exits non-zero on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, HERE)

import checks  # noqa: E402
import generate  # noqa: E402
import run_extract  # noqa: E402
import system_tables  # noqa: E402


def ts(text):
    """Extract timestamps (ISO, UTC) in the importer's 'YYYY-MM-DD HH:MM:SS' form."""
    return None if not text else text[:19].replace("T", " ")


def none(text):
    return None if text == "" else text


def close(a, b, tol=2e-6):
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= tol


def compare(out: str, db: dict) -> list[str]:
    diffs: list[str] = []

    def same(what, mine, theirs):
        if mine != theirs:
            a, b = set(mine) if isinstance(mine, (set, frozenset)) else mine, theirs
            if isinstance(a, dict) and isinstance(b, dict):
                keys = sorted(set(a) | set(b), key=str)
                bad = [k for k in keys if a.get(k) != b.get(k)][:5]
                diffs.append(f"{what}: {len([k for k in keys if a.get(k) != b.get(k)])} differ, e.g. "
                             + "; ".join(f"{k}: extract {a.get(k)!r} importer {b.get(k)!r}" for k in bad))
            else:
                diffs.append(f"{what}: extract {mine!r} importer {theirs!r}")
        else:
            checks.PASSED[0] += 1

    read = lambda name: checks.read(out, name)  # noqa: E731

    # compute_usage
    mine = {u["compute_usage_id"]: u for u in read("usage_daily")}
    theirs = {u["compute_usage_id"]: u for u in db["compute_usage"]}
    same("compute_usage ids", sorted(mine), sorted(theirs))
    bad = []
    for k in set(mine) & set(theirs):
        m, t = mine[k], theirs[k]
        if not (m["parent_id"] == t["parent_id"] and m["parent_type"] == t["parent_type"] and m["compute_sku"] == t["compute_sku"]
                and m["usage_date"] == t["usage_date"] and close(m["dbus_consumed"], t["dbus_consumed"])
                and close(none(m["total_cost"]), t["total_cost"]) and none(m["cluster_id"]) == t["cluster_id"]
                and none(m["cluster_instance_type"]) == t["cluster_instance_type"]):
            bad.append((k, m, t))
    same("compute_usage rows", len(bad), 0) if not bad else diffs.append(f"compute_usage: {len(bad)} rows differ, e.g. {bad[0]}")

    # job_runs and job_run_spot
    runs = {r["job_run_id"]: r for r in read("job_runs")}
    cols = ["job_id", "start_time", "end_time", "duration_ms", "run_status", "error_summary", "driver_instance_type",
            "worker_instance_type", "instance_pool_id", "min_nodes", "max_nodes", "fixed_nodes", "is_autoscaling_enabled"]
    as_int = {"duration_ms", "min_nodes", "max_nodes", "fixed_nodes", "is_autoscaling_enabled"}

    def norm_run(r, from_extract):
        out = {}
        for c in cols:
            v = r[c]
            if from_extract:
                v = none(v)
                if c in ("start_time", "end_time"):
                    v = ts(v)
                if c in as_int and v is not None:
                    v = int(v)
            out[c] = v
        return out

    same("job_runs", {k: norm_run(r, True) for k, r in runs.items()}, {r["job_run_id"]: norm_run(r, False) for r in db["job_runs"]})
    spot_theirs = {r["job_run_id"]: r["spot_ratio"] for r in db["job_runs"]}
    bad = [k for k, r in runs.items() if not close(r["spot_ratio"], spot_theirs.get(k), 1e-6)]
    same("spot_ratio", [(k, runs[k]["spot_ratio"], spot_theirs.get(k)) for k in bad], [])
    same("job_run_spot", {k: r["spot_source"] for k, r in runs.items()}, {r["job_run_id"]: r["source"] for r in db["job_run_spot"]})

    # instance_pools: the first run (job_id, run_id order) naming a pool gives its node type.
    pools = {}
    for r in sorted(runs.values(), key=lambda r: (r["job_id"], r["job_run_id"])):
        if r["instance_pool_id"]:
            pools.setdefault(r["instance_pool_id"], r["worker_instance_type"] or "unknown")
    same("instance_pools", pools, {p["instance_pool_id"]: p["pool_instance_type"] for p in db["instance_pools"]})

    # jobs
    same("jobs", {j["job_id"]: (j["workspace_id"], j["job_name"], none(j["description"]), none(j["tags"])) for j in read("jobs")},
         {j["job_id"]: (j["workspace_id"], j["job_name"], j["description"], j["tags"]) for j in db["jobs"]})

    # non_job_compute, workspaces, users
    same("non_job_compute", {c["compute_id"]: (c["compute_name"], c["compute_type"], c["workspace_id"]) for c in read("non_job_compute")},
         {c["compute_id"]: (c["compute_name"], c["compute_type"], c["workspace_id"]) for c in db["non_job_compute"]})
    same("workspace", {w["workspace_id"]: w["workspace_name"] for w in read("workspaces")},
         {w["workspace_id"]: w["workspace_name"] for w in db["workspace"]})
    same("users_lookup", {u["user_id"]: u["user_workspace_id"] for u in read("users")},
         {u["user_id"]: u["workspace_id"] for u in db["users_lookup"]})

    # sql_query_history
    same("sql_query_history",
         {q["query_id"]: (q["parent_id"], q["user_id"], ts(q["start_time"]), int(q["duration_ms"]) if q["duration_ms"] else None,
                          none(q["sql_text"]), none(q["error_message"])) for q in read("sql_queries")},
         {q["query_id"]: (q["parent_id"], q["user_id"], q["start_time"], q["duration_ms"], q["sql_text"], q["error_message"])
          for q in db["sql_query_history"]})

    # sku_prices: one row per (sku, cloud, start).
    prices = {}
    for p in read("sku_prices"):
        prices[(p["compute_sku"], none(p["cloud"]), ts(p["price_start_time"]))] = (ts(none(p["price_end_time"])), round(float(p["usd_per_dbu"]), 9))
    same("sku_prices", prices, {(p["compute_sku"], p["cloud"], p["price_start_date"]): (p["price_end_date"], round(p["usd_per_dbu"], 9)) for p in db["sku_prices"]})

    # evictions: eviction_details rows, and events where the run has usage (the importer's lookup).
    evictions = read("evictions")
    usage_by_run = defaultdict(list)
    for u in mine.values():
        if u["parent_type"] == "JOB_RUN":
            usage_by_run[u["parent_id"]].append(u)
    mine_details, mine_events = {}, {}
    for e in evictions:
        rows = sorted(usage_by_run.get(e["job_run_id"], []), key=lambda u: (u["usage_date"] != e["eviction_time"][:10], u["usage_date"]))
        if not rows:
            continue
        mine_details[e["eviction_id"]] = (e["cloud_instance_id"], ts(e["eviction_time"]), int(e["was_retried"]))
        mine_events["EV-" + e["eviction_id"]] = rows[0]["compute_usage_id"]
    same("eviction_details", mine_details,
         {d["eviction_id"]: (d["cloud_instance_id"], d["eviction_time"], d["was_retried"]) for d in db["eviction_details"]})
    same("events", mine_events, {e["event_id"]: e["compute_usage_id"] for e in db["events"]})

    # The report: gaps, per-job attribution, tables, spot sources.
    g = read("attribution_gaps")[0]
    theirs = db["report"]["gaps"]
    tasks = read("task_attribution")
    mine_gaps = {k: float(g[k]) for k in ["total_cost", "unattributed_cost", "unattributed_share_pct", "untagged_cost",
                                           "untagged_share_pct", "unpriced_dbus", "other_products_cost"]}
    mine_gaps["attributable_by_tasks_cost"] = round(sum(float(t["attributable_cost"]) for t in tasks), 6)
    mine_gaps["evictions"] = len(evictions)
    bad = {k: (v, theirs[k]) for k, v in mine_gaps.items() if not close(v, theirs[k], 2e-6)}
    same("gaps", bad, {})
    same("attributable_by_tasks", {t["job_id"]: round(float(t["attributable_cost"]), 5) for t in tasks},
         {a["job_id"]: round(a["cost"], 5) for a in theirs["attributable_by_tasks"]})
    same("tables", {c["source_table"]: (int(c["row_count"]), c["first_date"], c["last_date"]) for c in read("table_coverage") if int(c["row_count"]) > 0},
         {t["table"]: (t["rows"], t["first"], t["last"]) for t in db["report"]["tables"]})
    sources = defaultdict(int)
    for r in runs.values():
        sources[r["spot_source"]] += 1
    same("spot_sources", dict(sources), {s: n for s, n in db["report"]["spot_sources"]})
    return diffs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--importer", default=os.path.join(HERE, "import_dump.sh"),
                    help="command that prints the importer's database as JSON (default: tests/spark/import_dump.sh)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--order", choices=["shuffled", "sorted"], default="shuffled",
                    help="row order of the raw exports (the importer must not depend on it)")
    args = ap.parse_args()
    wall = time.time()
    work = tempfile.mkdtemp(prefix="extract-diff-")
    try:
        data = generate.generate(args.seed)
        first, last = generate.WINDOW
        shuffle = random.Random(args.seed) if args.order == "shuffled" else None
        raw = generate.write_exports(data, os.path.join(args.out_dir, "raw"), first, last, shuffle)
        print("generated " + ", ".join(f"{t} {len(r)}" for t, r in data.items()))
        t = time.time()
        dump = subprocess.run(shlex.split(args.importer) + raw, check=True, capture_output=True, text=True).stdout
        db = json.loads(dump)
        print(f"importer ran in {time.time() - t:.1f} s")

        spark = run_extract.start_spark(work)
        system_tables.create_tables(spark)
        system_tables.alias_system_catalog(spark)
        for table, records in data.items():
            system_tables.load_records(spark, table, records, table)
        texts = run_extract.statements(os.path.join(run_extract.ROOT, "sql/extract"))
        params = {"from": first, "to": last, "workspaces": "", "prices": "list"}
        rows = run_extract.run_all(spark, texts, params, os.path.join(args.out_dir, "extract"), work)
        print("extract rows: " + ", ".join(f"{k} {v}" for k, v in rows.items()))
        spark.stop()
        diffs = compare(os.path.join(args.out_dir, "extract"), db)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{checks.PASSED[0]} passed, {len(diffs)} failed")
    for d in diffs:
        print("  DIFFERS:", d)
    print(f"wall time {time.time() - wall:.1f} s")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
