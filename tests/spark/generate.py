"""Randomised system-table data (seeded, deterministic) for the differential check
(differential.py): several workspaces, price changes inside the window, corrections, hourly run
slices, repairs, runs seen only in billing, job clusters created before or after their run
starts, autoscaling and pools, all-purpose clusters and warehouses used by tasks, node minutes
and instance events with spot evictions, queries with and without a warehouse; and rows
outside the window, which the extraction must leave out.

Each table is a list of records shaped like an export row (nested columns as JSON values,
timestamps as ISO text in UTC), ready for system_tables.load_records or for writing as JSON
Lines for the importer.

The importer does not depend on the order of rows in an export (where a group has several
values it keeps the smallest, as the extraction SQL does); `write_exports` writes every file
either in the order that makes "first seen" equal to "smallest" (what the importer needed
before) or shuffled, which differential.py does by default.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random

WINDOW = ("2025-11-01", "2025-11-30")
T0 = dt.datetime(2025, 10, 28, tzinfo=dt.timezone.utc)  # data starts a few days before the window
DAYS = 38  # … and ends a few days after it
ACCOUNT = "acct-0001"
WORKSPACES = ["1111111111111111", "2222222222222222", "3333333333333333"]


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def hour_floor(t: dt.datetime) -> dt.datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def generate(seed: int = 7, jobs_n: int = 14, runs_per_job: int = 5) -> dict[str, list[dict]]:
    rnd = random.Random(seed)
    out: dict[str, list[dict]] = {k: [] for k in [
        "billing.usage", "billing.list_prices", "lakeflow.jobs", "lakeflow.job_run_timeline",
        "lakeflow.job_task_run_timeline", "compute.clusters", "compute.node_timeline",
        "compute.instance_events", "compute.warehouses", "query.history"]}
    rec_id = [0]

    def usage(ws, sku, start, end, qty, meta, tags, record_type="ORIGINAL", product="JOBS"):
        rec_id[0] += 1
        out["billing.usage"].append({
            "record_id": f"r{rec_id[0]:07d}", "account_id": ACCOUNT, "workspace_id": ws, "sku_name": sku,
            "cloud": "AWS", "usage_start_time": iso(start), "usage_end_time": iso(end),
            "usage_date": start.strftime("%Y-%m-%d"), "custom_tags": tags, "usage_unit": "DBU",
            "usage_quantity": f"{qty:.6f}", "usage_metadata": meta, "record_type": record_type,
            "billing_origin_product": product, "usage_type": "COMPUTE_TIME"})

    def tags():
        return rnd.choice([{}, None, {"team": "data"}, {"team": "ml", "env": "prod"}])

    # Prices: a change inside the window, an AZURE row on the same start, a promotion, a
    # fallback to default, a row with no cloud, and a SKU with no price at all.
    change = dt.datetime(2025, 11, 15, 12, tzinfo=dt.timezone.utc)
    old = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
    def price(sku, cloud, start, end, default, effective="same"):
        pricing = {"default": default}
        if effective == "same":
            pricing["effective_list"] = {"default": default}
        elif effective is not None:
            pricing["effective_list"] = {"default": effective}
        out["billing.list_prices"].append({
            "price_start_time": iso(start), "price_end_time": iso(end) if end else None, "account_id": ACCOUNT,
            "sku_name": sku, "cloud": cloud, "currency_code": "USD", "usage_unit": "DBU", "pricing": pricing})
    price("PREMIUM_JOBS_COMPUTE", "AWS", old, change, "0.15")
    price("PREMIUM_JOBS_COMPUTE", "AZURE", old, None, "0.30")
    price("PREMIUM_JOBS_COMPUTE", "AWS", change, None, "0.20")
    price("PREMIUM_ALL_PURPOSE_COMPUTE", "AWS", old, None, "0.55", "0.50")
    price("PREMIUM_SQL_PRO_COMPUTE", "AWS", old, None, "0.55", None)
    price("PREMIUM_ALL_PURPOSE_SERVERLESS_COMPUTE", None, old, None, "0.95")
    # (PREMIUM_SERVERLESS_REAL_TIME_INFERENCE has no price.)

    # All-purpose clusters (two versions each) and warehouses.
    apcs = []
    for i in range(3):
        cid = f"0101-000000-shared{i:02d}"
        ws = WORKSPACES[i % 2]
        apcs.append((cid, ws))
        for v, when in enumerate([T0 - dt.timedelta(days=30), T0 + dt.timedelta(days=10 + 5 * i)]):
            out["compute.clusters"].append(cluster_row(rnd, ws, cid, f"shared-{i}-v{v}", "UI", when, when - dt.timedelta(days=30)))
    warehouses = []
    for i in range(2):
        wid = f"wh{i:014x}"
        ws = WORKSPACES[i]
        warehouses.append((wid, ws))
        for v, when in enumerate([T0 - dt.timedelta(days=20), T0 + dt.timedelta(days=12)]):
            out["compute.warehouses"].append({
                "warehouse_id": wid, "workspace_id": ws, "account_id": ACCOUNT, "warehouse_name": f"wh-{i}-v{v}",
                "warehouse_type": "PRO", "warehouse_channel": "CURRENT", "warehouse_size": "SMALL",
                "min_clusters": 1, "max_clusters": 2, "auto_stop_minutes": 10, "tags": {"team": "bi"},
                "change_time": iso(when), "delete_time": None})

    # Jobs: 1–3 versions each; some jobs have no version (seen only in runs or billing).
    jobs = []
    for j in range(jobs_n):
        job_id = str(5000 + j)
        ws = WORKSPACES[j % len(WORKSPACES)]
        jobs.append((job_id, ws))
        if j % 5 == 4:
            continue
        for v in range(rnd.randint(1, 3)):
            out["lakeflow.jobs"].append({
                "account_id": ACCOUNT, "workspace_id": ws, "job_id": job_id,
                "name": None if (j % 7 == 6 and v == 0) else f"job_{j}_v{v}",
                "description": rnd.choice([None, f"  Job {j} version {v}\nsecond line  "]),
                "creator_id": "42", "tags": rnd.choice([{}, {"team": "t" + str(j % 3)}, {"env": "prod", "team": "x"}]),
                "change_time": iso(T0 - dt.timedelta(days=40) + dt.timedelta(days=12 * v, minutes=j)),
                "delete_time": None, "run_as": "svc"})

    states = ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "ERROR", "SKIPPED",
              "BLOCKED", "UPSTREAM_FAILED", None]
    instance_no = [0]
    run_no = [70000]
    for job_id, ws in jobs:
        on_apc = int(job_id) % 6 == 3  # this job's tasks run on an all-purpose cluster
        for _ in range(runs_per_job):
            run_no[0] += rnd.randint(1, 9)
            run_id = str(run_no[0])
            start = T0 + dt.timedelta(minutes=rnd.randint(0, (DAYS - 1) * 1440))
            start = start.replace(second=rnd.choice([0, 0, 17]))
            end = start + dt.timedelta(minutes=rnd.randint(5, 300))
            billing_only = rnd.random() < 0.12
            if on_apc:
                cid, _ = rnd.choice(apcs)
                clusters = [cid]
            else:
                clusters = [f"{start:%m%d}-{run_id}-jc{k}" for k in range(rnd.choice([1, 1, 2]))]
            # Timeline slices, cut at hour boundaries; the result on the last slice, or two
            # terminal slices for a repair.
            if not billing_only:
                cuts = [start]
                t = hour_floor(start) + dt.timedelta(hours=1)
                while t < end:
                    cuts.append(t)
                    t += dt.timedelta(hours=1)
                cuts.append(end)
                state = rnd.choice(states)
                repair = rnd.random() < 0.1 and len(cuts) > 2
                slice_ids = rnd.choice([clusters, clusters, []]) if not on_apc else []
                for k in range(len(cuts) - 1):
                    last = k == len(cuts) - 2
                    rs = state if last else ("FAILED" if repair and k == 0 else None)
                    out["lakeflow.job_run_timeline"].append({
                        "account_id": ACCOUNT, "workspace_id": ws, "job_id": job_id, "run_id": run_id,
                        "period_start_time": iso(cuts[k]), "period_end_time": iso(cuts[k + 1]),
                        "trigger_type": "CRON", "run_type": "JOB_RUN", "run_name": f"run {run_id}",
                        "compute_ids": slice_ids, "result_state": rs,
                        "termination_code": None if rs is None else rnd.choice([None, "SUCCESS", "RUN_EXECUTION_ERROR"]),
                        "job_parameters": {}})
                for k, task in enumerate(range(rnd.randint(1, 2))):
                    ts = start + dt.timedelta(minutes=rnd.randint(0, 20))
                    te = min(end, ts + dt.timedelta(minutes=rnd.randint(10, 200)))
                    ids = clusters if rnd.random() < 0.8 else [rnd.choice(warehouses)[0]]
                    out["lakeflow.job_task_run_timeline"].append({
                        "account_id": ACCOUNT, "workspace_id": ws, "job_id": job_id, "run_id": f"{run_id}{k}",
                        "job_run_id": run_id, "parent_run_id": run_id, "period_start_time": iso(ts),
                        "period_end_time": iso(te), "task_key": f"t{k}", "compute_ids": ids,
                        "result_state": "SUCCEEDED", "termination_code": "SUCCESS"})
            if on_apc:
                continue
            # Job clusters: created a little before or after the run starts; some not exported.
            for k, cid in enumerate(clusters):
                if rnd.random() < 0.1:
                    continue
                created = start + dt.timedelta(seconds=rnd.choice([-30, 0, 45, 120]))
                out["compute.clusters"].append(cluster_row(rnd, ws, cid, f"job-{job_id}-run-{run_id}-{k}", "JOB", created, created))
                if rnd.random() < 0.5:
                    out["compute.clusters"].append(cluster_row(rnd, ws, cid, f"job-{job_id}-run-{run_id}-{k}", "JOB", end + dt.timedelta(minutes=1), created))
            # Billing: hourly rows per cluster over the run, some corrections, and now and then
            # a row with a job_id but no job_run_id.
            node_type = rnd.choice(["i3.xlarge", "r5.xlarge"])
            t = hour_floor(start)
            while t < end:
                for cid in clusters:
                    q = rnd.uniform(0.1, 8)
                    meta = {"cluster_id": cid, "job_id": job_id, "job_run_id": run_id, "node_type": node_type,
                            "job_name": f"billed_{job_id}"}
                    tg = {"team": "data"} if int(job_id) % 4 else {}
                    if rnd.random() < 0.05:
                        meta.pop("job_run_id")
                    usage(ws, "PREMIUM_JOBS_COMPUTE", t, t + dt.timedelta(hours=1), q, meta, tg)
                    if rnd.random() < 0.08:
                        usage(ws, "PREMIUM_JOBS_COMPUTE", t, t + dt.timedelta(hours=1), -q, meta, tg, "RETRACTION")
                        usage(ws, "PREMIUM_JOBS_COMPUTE", t, t + dt.timedelta(hours=1), q * 1.1, meta, tg, "RESTATEMENT")
                t += dt.timedelta(hours=1)
            # Nodes of the first cluster: driver + workers, 5-minute rows; availability from
            # instance events (some instances unlabelled); some spot workers lost mid-run.
            if rnd.random() < 0.6:
                cid = clusters[0]
                for n in range(rnd.randint(2, 4)):
                    instance_no[0] += 1
                    iid = f"i-{instance_no[0]:012x}"
                    spot = n > 0 and rnd.random() < 0.6
                    lost = spot and rnd.random() < 0.4
                    i_end = start + (end - start) * rnd.uniform(0.2, 0.9) if lost else end + dt.timedelta(minutes=rnd.choice([0, 10]))
                    t = start
                    while t < i_end:
                        if rnd.random() > 0.05:  # a few minutes missing
                            out["compute.node_timeline"].append({
                                "account_id": ACCOUNT, "workspace_id": ws, "cluster_id": cid, "instance_id": iid,
                                "start_time": iso(t), "end_time": iso(min(t + dt.timedelta(minutes=5), i_end)),
                                "driver": n == 0, "cpu_user_percent": 50.0, "cpu_system_percent": 5.0,
                                "cpu_wait_percent": 1.0, "mem_used_percent": 60.0, "mem_swap_percent": 0.0,
                                "network_sent_bytes": 1, "network_received_bytes": 1,
                                "disk_free_bytes_per_mount_point": {"/local_disk0": 100}, "node_type": node_type})
                        t += dt.timedelta(minutes=5)
                    if rnd.random() < 0.9:
                        ev = lambda state, when, c: out["compute.instance_events"].append({
                            "account_id": ACCOUNT, "workspace_id": ws, "instance_id": iid, "node_type": node_type,
                            "availability_type": "SPOT" if spot else "ON_DEMAND", "state": state,
                            "event_type": "STATE_TRANSITION", "cluster_id": c, "instance_pool_id": None,
                            "event_time": iso(when)})
                        ev("INSTANCE_PLACED", start, cid)
                        ev("INSTANCE_TERMINATED", i_end, None)

    # All-purpose and warehouse usage, serverless notebooks, unpriced serving.
    for day in range(DAYS):
        for h in rnd.sample(range(24), 6):
            t = T0 + dt.timedelta(days=day, hours=h)
            cid, ws = rnd.choice(apcs)
            usage(ws, "PREMIUM_ALL_PURPOSE_COMPUTE", t, t + dt.timedelta(hours=1), rnd.uniform(0.5, 4),
                  {"cluster_id": cid, "node_type": "m5d.large"}, tags(), product="ALL_PURPOSE")
            wid, ws = rnd.choice(warehouses)
            usage(ws, "PREMIUM_SQL_PRO_COMPUTE", t, t + dt.timedelta(hours=1), rnd.uniform(0.5, 4),
                  {"warehouse_id": wid, "node_type": "i3.2xlarge"}, tags(), product="SQL")
        t = T0 + dt.timedelta(days=day, hours=rnd.randint(0, 23))
        usage(rnd.choice(WORKSPACES), "PREMIUM_ALL_PURPOSE_SERVERLESS_COMPUTE", t, t + dt.timedelta(hours=1),
              rnd.uniform(0.5, 3), {"notebook_id": "77"}, tags(), product="INTERACTIVE")
        usage(rnd.choice(WORKSPACES), "PREMIUM_SERVERLESS_REAL_TIME_INFERENCE", t, t + dt.timedelta(hours=1),
              rnd.uniform(0.5, 3), {"endpoint_name": "scorer"}, tags(), product="MODEL_SERVING")

    # Queries: on the warehouses and on serverless compute; failures with and without a message.
    users = {"ana@x.example": WORKSPACES[0], "ben@x.example": WORKSPACES[1], None: WORKSPACES[2]}
    for q in range(120):
        user, ws = rnd.choice(list(users.items()))
        t = T0 + dt.timedelta(minutes=rnd.randint(0, DAYS * 1440))
        status = rnd.choice(["FINISHED", "FINISHED", "FAILED", "CANCELED"])
        compute = {"type": "WAREHOUSE", "warehouse_id": rnd.choice(warehouses)[0]} if q % 4 else {"type": "SERVERLESS_COMPUTE"}
        out["query.history"].append({
            "account_id": ACCOUNT, "workspace_id": ws, "statement_id": f"stmt-{q:05d}", "session_id": "s",
            "execution_status": status, "compute": compute, "executed_by": user,
            "executed_by_user_id": None if user else "9001",
            "statement_text": f"SELECT {q}\nFROM t  \n", "statement_type": "SELECT",
            "error_message": ("[ERR] boom" if status == "FAILED" and q % 3 else None),
            "total_duration_ms": None if q % 5 == 0 else rnd.randint(10, 90000),
            "start_time": iso(t), "end_time": iso(t + dt.timedelta(seconds=rnd.randint(0, 90)))})
    return out


def cluster_row(rnd, ws, cid, name, source, change, created):
    fixed = rnd.random() < 0.7
    return {
        "account_id": ACCOUNT, "workspace_id": ws, "cluster_id": cid, "cluster_name": name, "owned_by": "svc",
        "create_time": iso(created), "delete_time": None, "driver_node_type": "i3.xlarge",
        "worker_node_type": rnd.choice(["i3.xlarge", "r5.xlarge"]),
        "worker_count": rnd.randint(1, 6) if fixed else None,
        "min_autoscale_workers": None if fixed else 1, "max_autoscale_workers": None if fixed else rnd.randint(2, 8),
        "auto_termination_minutes": None, "enable_elastic_disk": True, "tags": {}, "cluster_source": source,
        "init_scripts": [],
        "aws_attributes": {"first_on_demand": rnd.choice([None, 0, 1, 2, 9]),
                           "availability": rnd.choice(["SPOT", "SPOT_WITH_FALLBACK", "ON_DEMAND", None]),
                           "zone_id": "us-east-1a"},
        "driver_instance_pool_id": None,
        "worker_instance_pool_id": rnd.choice([None, None, "pool-a", "pool-b"]),
        "dbr_version": "16.4.x-scala2.12", "change_time": iso(change), "change_date": change.strftime("%Y-%m-%d"),
        "data_security_mode": "SINGLE_USER", "policy_id": None}


# ---------------------------------------------------------------------------------------------
# The raw exports the importer should see for a window: README.md's window rules, applied here.


def _day(text):
    return text[:10]


def in_window(table: str, r: dict, first: str, last: str) -> bool:
    next_day = (dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat()
    if table == "billing.usage":
        return first <= r["usage_date"] <= last
    if table == "billing.list_prices":
        return True
    key = {"lakeflow.jobs": "change_time", "compute.clusters": "change_time", "compute.warehouses": "change_time"}.get(table)
    if key:
        return r[key] < next_day  # history up to the end of the window
    key = {"lakeflow.job_run_timeline": "period_start_time", "lakeflow.job_task_run_timeline": "period_start_time",
           "compute.node_timeline": "start_time", "compute.instance_events": "event_time", "query.history": "start_time"}[table]
    return first <= _day(r[key]) <= last


def _order(table: str, r: dict):
    """File order that makes the importer's "first seen" the smallest value."""
    if table == "billing.usage":
        m = r["usage_metadata"]
        return (m.get("cluster_id") is None, m.get("cluster_id") or "", m.get("node_type") or "", r["workspace_id"],
                m.get("job_name") or "", r["usage_start_time"], r["record_id"])
    if table == "billing.list_prices":
        return (r["sku_name"], r["price_start_time"], r["cloud"] or "")
    if table == "compute.instance_events":
        return (r["event_time"], r["instance_id"])
    if table == "query.history":
        return (r["workspace_id"], r["start_time"])
    if table in ("compute.clusters", "compute.warehouses", "lakeflow.jobs"):
        return (r["workspace_id"],)
    return ()


def write_exports(data: dict[str, list[dict]], folder: str, first: str, last: str,
                  shuffle: random.Random | None = None) -> list[str]:
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, (table, records) in enumerate(data.items()):
        rows = sorted((r for r in records if in_window(table, r, first, last)), key=lambda r: _order(table, r))
        if shuffle is not None:
            shuffle.shuffle(rows)
        path = os.path.join(folder, f"export_{i:02d}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        paths.append(path)
    return paths
