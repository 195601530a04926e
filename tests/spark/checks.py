"""The figures of tests/fixtures/system-tables/EXPECTED.md, checked on the extract outputs
(the CSV files as written, read back with an RFC 4180 reader). Figures that EXPECTED.md does
not list but the importer's rules (src/data/import/map.rs) imply are marked as such."""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from decimal import Decimal

PASSED = [0]


def expect(what: str, got, expected, tolerance: float | None = None) -> list[str]:
    """[] when `got` matches (money to the cent unless a tolerance is given), else a message."""
    if isinstance(expected, float) or tolerance is not None:
        try:
            g = float(got)
        except (TypeError, ValueError):
            return [f"{what}: got {got!r}, expected {expected}"]
        ok = abs(g - expected) <= (tolerance if tolerance is not None else 0.005)
    else:
        ok = got == expected
    if ok:
        PASSED[0] += 1
        return []
    return [f"{what}: got {got!r}, expected {expected!r}"]


def read(out_dir: str, name: str) -> list[dict]:
    with open(os.path.join(out_dir, name + ".csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        assert r["extract_kind"] == name, (name, r["extract_kind"])
    return rows


def num(text: str) -> float:
    return float(text) if text not in ("", None) else 0.0


def account_prices(fixture_dir: str) -> list[dict]:
    """The list price fixture at 80 %: a stand-in for negotiated prices."""
    out = []
    with open(os.path.join(fixture_dir, "export_02.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)

            def cut(p):
                return {k: (cut(v) if isinstance(v, dict) else str(Decimal(v) * Decimal("0.8"))) for k, v in p.items()}

            r["pricing"] = cut(r["pricing"])
            out.append(r)
    return out


def check_outputs(out: str) -> list[str]:
    f: list[str] = []
    usage = read(out, "usage_daily")
    runs = {r["job_run_id"]: r for r in read(out, "job_runs")}
    gaps = read(out, "attribution_gaps")
    tasks = read(out, "task_attribution")
    jobs = {r["job_id"]: r for r in read(out, "jobs")}
    compute = {r["compute_id"]: r for r in read(out, "non_job_compute")}
    queries = read(out, "sql_queries")
    prices = read(out, "sku_prices")
    users = read(out, "users")
    workspaces = read(out, "workspaces")
    evictions = read(out, "evictions")
    coverage = {r["source_table"]: r for r in read(out, "table_coverage")}

    # §4 compute_usage per (parent, sku, usage_date): 15 rows, 9 of them job runs.
    f += expect("usage_daily rows", len(usage), 15)
    by_type = defaultdict(int)
    for u in usage:
        by_type[u["parent_type"]] += 1
    f += expect("usage_daily rows by parent type", dict(by_type), {"JOB_RUN": 9, "APC_CLUSTER": 3, "SQL_WAREHOUSE": 3})
    per_run_day = [
        ("5001", "2025-11-03", 11.0, 1.65), ("5002", "2025-11-14", 6.0, 0.90), ("5002", "2025-11-15", 5.0, 1.00),
        ("5003", "2025-11-30", 3.0, 0.60), ("6001", "2025-11-10", 3.0, 0.45),
        ("9007199254740993", "2025-11-10", 2.0, 0.30), ("6003", "2025-11-20", 8.0, 1.60),
        ("8001", "2025-11-21", 1.0, 0.20), ("8003", "2025-11-24", 2.0, 0.40),
    ]
    for run, day, dbus, cost in per_run_day:
        rows = [u for u in usage if u["parent_type"] == "JOB_RUN" and u["parent_id"] == run and u["usage_date"] == day]
        f += expect(f"run {run} {day} rows", len(rows), 1)
        if rows:
            f += expect(f"run {run} {day} dbus", num(rows[0]["dbus_consumed"]), dbus, 1e-9)
            f += expect(f"run {run} {day} cost", num(rows[0]["total_cost"]), cost)
            f += expect(f"run {run} {day} sku", rows[0]["compute_sku"], "PREMIUM_JOBS_COMPUTE")
            f += expect(f"run {run} {day} id", rows[0]["compute_usage_id"], f"BU-JOB_RUN-{run}-PREMIUM_JOBS_COMPUTE-{day}")

    def usage_sum(pred, col="total_cost"):
        return sum(num(u[col]) for u in usage if pred(u))

    f += expect("run 5002 across the price change", usage_sum(lambda u: u["parent_id"] == "5002"), 1.90)
    f += expect("run 5001 dbus with corrections", usage_sum(lambda u: u["parent_id"] == "5001", "dbus_consumed"), 11.0, 1e-9)
    f += expect("all-purpose cluster (effective_list 0.50)", usage_sum(lambda u: u["parent_type"] == "APC_CLUSTER"), 9.00)
    f += expect("warehouse (default 0.55)", usage_sum(lambda u: u["parent_type"] == "SQL_WAREHOUSE"), 7.70)
    f += expect("all-purpose 2025-11-12", usage_sum(lambda u: u["parent_type"] == "APC_CLUSTER" and u["usage_date"] == "2025-11-12"), 6.00)
    f += expect("all-purpose 2025-11-12 dbus", usage_sum(lambda u: u["parent_type"] == "APC_CLUSTER" and u["usage_date"] == "2025-11-12", "dbus_consumed"), 12.0, 1e-9)
    f += expect("warehouse 2025-11-06", usage_sum(lambda u: u["parent_type"] == "SQL_WAREHOUSE" and u["usage_date"] == "2025-11-06"), 4.40)
    days = sorted(u["usage_date"] for u in usage)
    f += expect("data range", (days[0], days[-1]), ("2025-11-03", "2025-11-30"))

    # Per job: Σ total_cost over usage ⋈ runs (§4), and the job_cost report's columns (§10).
    cost_by_job, spot_by_job = defaultdict(float), defaultdict(float)
    for u in usage:
        if u["parent_type"] == "JOB_RUN":
            r = runs.get(u["parent_id"])
            if r is None:
                f.append(f"usage of run {u['parent_id']} has no job_runs row")
                continue
            cost_by_job[r["job_id"]] += num(u["total_cost"])
            spot_by_job[r["job_id"]] += num(u["total_cost"]) * num(r["spot_ratio"])
    for job, cost in [("1001", 4.15), ("1002", 2.35), ("1004", 0.60), ("1003", 0.0), ("1005", 0.0)]:
        f += expect(f"job {job} cost", cost_by_job.get(job, 0.0), cost)
    f += expect("job spend", sum(cost_by_job.values()), 7.10)
    for job, spot in [("1001", 2.3025), ("1002", 0.24), ("1004", 0.20), ("1003", 0.0), ("1005", 0.0)]:
        f += expect(f"job {job} spot cost", spot_by_job.get(job, 0.0), spot)
    for job, n, failed, skipped, minutes in [
        ("1001", 3, 0, 0, 112.5), ("1002", 3, 2, 0, 205.0 / 3), ("1004", 3, 1, 1, 35.0), ("1003", 1, 0, 0, 75.0), ("1005", 1, 0, 0, 30.0)
    ]:
        mine = [r for r in runs.values() if r["job_id"] == job]
        finished = [int(r["duration_ms"]) / 60000 for r in mine if r["run_status"] in ("SUCCESS", "FAILED")]
        f += expect(f"job {job} runs", len(mine), n)
        f += expect(f"job {job} failed", sum(r["run_status"] == "FAILED" for r in mine), failed)
        f += expect(f"job {job} skipped", sum(r["run_status"] == "SKIPPED" for r in mine), skipped)
        f += expect(f"job {job} mean minutes", sum(finished) / len(finished), minutes, 1e-6)

    # §5 attribution gaps.
    f += expect("attribution_gaps rows", len(gaps), 1)
    g = gaps[0]
    f += expect("total_cost", num(g["total_cost"]), 25.70)
    f += expect("unattributed_cost", num(g["unattributed_cost"]), 16.70)
    f += expect("unattributed_share_pct", num(g["unattributed_share_pct"]), 64.98, 1e-9)
    f += expect("other_products_cost", num(g["other_products_cost"]), 1.90)
    f += expect("unpriced_dbus", num(g["unpriced_dbus"]), 1.5, 1e-9)
    f += expect("untagged_cost", num(g["untagged_cost"]), 10.50)
    f += expect("untagged_share_pct", num(g["untagged_share_pct"]), 40.86, 1e-9)
    f += expect("attributable_by_tasks", {t["job_id"]: round(num(t["attributable_cost"]), 2) for t in tasks}, {"1003": 2.25, "1005": 0.75})
    f += expect("attributable_by_tasks_cost", sum(num(t["attributable_cost"]) for t in tasks), 3.00)

    # §6 jobs: latest version by change_time, tags as sorted key=value.
    f += expect("job ids", sorted(jobs), ["1001", "1002", "1003", "1004", "1005"])
    f += expect("job 1001 name", jobs["1001"]["job_name"], "nightly_orders_etl")
    f += expect("job 1001 workspace", jobs["1001"]["workspace_id"], "3141592653589793")
    f += expect("job 1001 tags", json.loads(jobs["1001"]["tags"]), ["env=prod", "team=data-eng"])
    f += expect("job 1002 tags", json.loads(jobs["1002"]["tags"]), ["cost_center=cc-42", "team=ml"])
    f += expect("job 1003 description", jobs["1003"]["description"],
                'Refreshes the "weekly" sales and inventory tables,\non the shared analytics cluster.')

    # §7 runs: slices merged, outcomes mapped.
    f += expect("job_runs rows", len(runs), 11)
    for run, job, start, end, status in [
        ("5001", "1001", "2025-11-03T01:00:00.000Z", "2025-11-03T03:30:00.000Z", "SUCCESS"),
        ("5002", "1001", "2025-11-14T23:30:00.000Z", "2025-11-15T00:45:00.000Z", "SUCCESS"),
        ("5003", "1001", "2025-11-30T22:00:00.000Z", "2025-11-30T23:00:00.000Z", "RUNNING"),
        ("6001", "1002", "2025-11-10T02:00:00.000Z", "2025-11-10T02:40:00.000Z", "FAILED"),
        ("9007199254740993", "1002", "2025-11-10T03:00:00.000Z", "2025-11-10T03:45:00.000Z", "SUCCESS"),
        ("6003", "1002", "2025-11-20T04:00:00.000Z", "2025-11-20T06:00:00.000Z", "FAILED"),
        ("7001", "1003", "2025-11-12T09:15:00.000Z", "2025-11-12T10:30:00.000Z", "SUCCESS"),
        ("8001", "1004", "2025-11-21T10:00:00.000Z", "2025-11-21T10:20:00.000Z", "FAILED"),
        ("8002", "1004", "2025-11-22T10:00:00.000Z", "2025-11-22T10:00:05.000Z", "SKIPPED"),
        ("8003", "1004", "2025-11-24T08:00:00.000Z", "2025-11-24T08:50:00.000Z", "SUCCESS"),
        ("9001", "1005", "2025-11-12T10:15:00.000Z", "2025-11-12T10:45:00.000Z", "SUCCESS"),
    ]:
        r = runs.get(run)
        if r is None:
            f.append(f"run {run} missing")
            continue
        f += expect(f"run {run}", (r["job_id"], r["start_time"], r["end_time"], r["run_status"]), (job, start, end, status))
    f += expect("6001 error", runs["6001"]["error_summary"], "result_state FAILED, termination_code RUN_EXECUTION_ERROR")
    f += expect("6003 error", runs["6003"]["error_summary"], "result_state TIMED_OUT, termination_code RUN_EXECUTION_ERROR")
    f += expect("8001 error", runs["8001"]["error_summary"], "result_state CANCELLED, termination_code CANCELLED")
    f += expect("5001 no error", runs["5001"]["error_summary"], "")
    durations = [int(runs[r]["duration_ms"]) for r in
                 ["5001", "5002", "5003", "6001", "9007199254740993", "6003", "7001", "8001", "8002", "8003", "9001"]]
    f += expect("durations (ms)", durations, [m * 60000 for m in (150, 75, 60, 40, 45, 120, 75, 20)] + [5000, 50 * 60000, 30 * 60000])

    # §8 spot share and its source.
    for run, source, spot in [
        ("5001", "observed", 0.35), ("5002", "configured", 0.75), ("5003", "configured", 0.5),
        ("6001", "configured", 0.0), ("9007199254740993", "configured", 0.8), ("6003", "unknown", None),
        ("7001", "configured", 0.0), ("8001", "configured", 0.0), ("8002", "unknown", None),
        ("8003", "configured", 0.5), ("9001", "configured", 0.0),
    ]:
        f += expect(f"run {run} spot source", runs[run]["spot_source"], source)
        if spot is not None:
            f += expect(f"run {run} spot_ratio", num(runs[run]["spot_ratio"]), spot, 1e-9)
    sources = defaultdict(int)
    for r in runs.values():
        sources[r["spot_source"]] += 1
    f += expect("spot sources", dict(sources), {"observed": 1, "configured": 8, "unknown": 2})
    r = runs["9007199254740993"]
    f += expect("autoscaling run config", (r["is_autoscaling_enabled"], r["min_nodes"], r["max_nodes"], r["fixed_nodes"]), ("1", "1", "4", ""))
    f += expect("5001 config", (runs["5001"]["driver_instance_type"], runs["5001"]["worker_instance_type"], runs["5001"]["fixed_nodes"]), ("i3.xlarge", "i3.xlarge", "3"))

    # §9 warehouse, cluster, queries.
    f += expect("non_job_compute", {k: (v["compute_type"], v["compute_name"], v["workspace_id"]) for k, v in compute.items()},
                {"4b9f2c1d8e7a6f50": ("SQL_WAREHOUSE", "bi-warehouse", "3141592653589793"),
                 "1101-080000-sharedap": ("APC_CLUSTER", "shared-analytics", "3141592653589793")})
    f += expect("queries", len(queries), 5)
    f += expect("queries on the warehouse", sum(q["parent_id"] == "4b9f2c1d8e7a6f50" for q in queries), 5)
    failed = [q for q in queries if q["error_message"]]
    f += expect("failed query", [q["query_id"] for q in failed], ["01f0bb7e-3a10-4c21-9d5e-7a0c00000003"])
    if failed:
        f += expect("error message", failed[0]["error_message"].startswith("[TABLE_OR_VIEW_NOT_FOUND]"), True)
    q1 = next(q for q in queries if q["query_id"].endswith("0001"))
    f += expect("multi-line statement text", q1["sql_text"], "SELECT region, SUM(amount) AS revenue\nFROM sales.daily_totals\nGROUP BY region")
    f += expect("query user and duration", (q1["user_id"], q1["duration_ms"], q1["start_time"]),
                ("ben.okafor@northwind.example", "4200", "2025-11-06T09:12:03.000Z"))

    # Rows the importer derives from the same files (map.rs rules; not listed in EXPECTED.md).
    f += expect("sku_prices rows", len(prices), 6)
    f += expect("all-purpose price is effective_list", [round(num(p["usd_per_dbu"]), 9) for p in prices if p["compute_sku"] == "PREMIUM_ALL_PURPOSE_COMPUTE"], [0.5])
    f += expect("warehouse price falls back to default", [round(num(p["usd_per_dbu"]), 9) for p in prices if p["compute_sku"] == "PREMIUM_SQL_PRO_COMPUTE"], [0.55])
    f += expect("users", sorted((u["user_id"], u["user_workspace_id"]) for u in users),
                [("ben.okafor@northwind.example", "3141592653589793"), ("chen.wu@northwind.example", "3141592653589793")])
    f += expect("workspaces", [(w["workspace_id"], w["workspace_name"]) for w in workspaces], [("3141592653589793", "Workspace 3141592653589793")])
    # Spot instance …b54 of run 5001's cluster terminated at 02:00, inside 01:00–03:30; …b53's
    # termination at 03:40 is after the run.
    f += expect("evictions", [(e["eviction_id"], e["job_run_id"], e["cloud_instance_id"], e["eviction_time"], e["was_retried"]) for e in evictions],
                [("EVICT-5001-i-0a11d0c5e2f3a4b54-1", "5001", "i-0a11d0c5e2f3a4b54", "2025-11-03T02:00:00.000Z", "0")])

    # Coverage page: rows per table (EXPECTED.md's file table) and the days they cover.
    for table, n, first, last in [
        ("system.billing.usage", 28, "2025-11-03", "2025-11-30"),
        ("system.billing.list_prices", 6, "2023-06-01", "2025-11-15"),
        ("system.lakeflow.jobs", 6, "2025-08-01", "2025-11-20"),
        ("system.lakeflow.job_run_timeline", 17, "2025-11-03", "2025-11-30"),
        ("system.lakeflow.job_task_run_timeline", 17, "2025-11-03", "2025-11-24"),
        ("system.compute.clusters", 10, "2025-11-01", "2025-11-30"),
        ("system.compute.node_timeline", 61, "2025-11-03", "2025-11-03"),
        ("system.compute.instance_events", 10, "2025-11-03", "2025-11-03"),
        ("system.compute.warehouses", 1, "2025-10-20", "2025-10-20"),
        ("system.query.history", 5, "2025-11-06", "2025-11-06"),
    ]:
        c = coverage.get(table)
        if c is None:
            f.append(f"coverage of {table} missing")
            continue
        f += expect(f"coverage {table}", (int(c["row_count"]), c["first_date"], c["last_date"]), (n, first, last))
    return f
