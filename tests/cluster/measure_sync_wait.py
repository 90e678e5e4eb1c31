#!/usr/bin/env python3
"""What db_sync_wait = 1 (causal reads) costs: N sequential GET /api/v1/checklist with one
session, straight to app host 1's socket (so on node 1), with db_sync_wait 1 and 0 in turn
(host 1 restarted with the other value), idle and while a second client saves the account
through host 0 (node 0) in a loop, so node 1 has write-sets to apply before each causal read.

  python3 tests/cluster/measure_sync_wait.py --build build [-n 2000] [--rounds 2]

Prints p50/p95/p99 in ms per setting and writes them as JSON to BUILD/tests/cluster/sync-wait.json.
Not a pass/fail test: the figures go into docs/performance.md.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import fcgi  # noqa: E402
import stack  # noqa: E402

PASSWORD = "Sync-Wait-Measure-2026"


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def writer_loop(cs, stop, counter):
    """Save the account through host 0 (node 0) as fast as one client can."""
    s = fcgi.Session()
    s.call(cs.apps[0].socket, "POST", "/api/v1/session", {"login": "sw-writer", "password": PASSWORD})
    i = 0
    while not stop.is_set():
        doc = s.call(cs.apps[0].socket, "GET", "/api/v1/account").json()
        r = s.call(cs.apps[0].socket, "PATCH", "/api/v1/account",
                   {"version": doc["version"], "repository_notes": f"write {i}"})
        counter[r.status] = counter.get(r.status, 0) + 1
        i += 1


def run(cs, sync_wait, n, with_writes):
    host = cs.apps[1]
    host.reconfigure(db_sync_wait=str(sync_wait))
    host.stop_app()
    host.start_app()
    s = fcgi.Session()
    assert s.call(host.socket, "POST", "/api/v1/session", {"login": "sw-reader", "password": PASSWORD}).status == 200
    for _ in range(100):                                   # warm every worker's connection
        s.call(host.socket, "GET", "/api/v1/checklist")
    stop, counter = threading.Event(), {}
    t = threading.Thread(target=writer_loop, args=(cs, stop, counter)) if with_writes else None
    if t:
        t.start()
        time.sleep(0.5)
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = s.call(host.socket, "GET", "/api/v1/checklist")
        lat.append((time.perf_counter() - t0) * 1000.0)
        assert r.status == 200, r.body
    if t:
        stop.set()
        t.join()
    return {"sync_wait": sync_wait, "writes": with_writes, "n": n, "p50_ms": round(pct(lat, 50), 3),
            "p95_ms": round(pct(lat, 95), 3), "p99_ms": round(pct(lat, 99), 3),
            "mean_ms": round(sum(lat) / len(lat), 3), "writer_saves": counter.get(200, 0)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=2)
    a = p.parse_args()
    base = tempfile.mkdtemp(prefix="onramp-syncwait-")
    os.chmod(base, 0o755)
    cs = stack.ClusterStack(base, a.build, stack.free_port(), stack.free_port(), workers=2)
    results = []
    try:
        cs.up(demo=False)
        cs.ctl("customers", "create", "--slug", "sw", "--name", "Sync Wait", "--seats", "5")
        for user in ("sw-reader", "sw-writer"):
            cs.ctl("users", "create", "--customer", "sw", "--username", user, "--email", f"{user}@sw.example",
                   "--role", "customer_admin", "--password-stdin", input=PASSWORD + "\n")
        for _ in range(a.rounds):                          # alternate, so drift hits both alike
            for with_writes in (False, True):
                for sync_wait in (1, 0):
                    r = run(cs, sync_wait, a.n, with_writes)
                    results.append(r)
                    print(json.dumps(r), flush=True)
    finally:
        cs.down()
        import shutil
        shutil.rmtree(base, ignore_errors=True)
    out = os.path.join(os.path.abspath(a.build), "tests", "cluster", "sync-wait.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
