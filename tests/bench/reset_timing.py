#!/usr/bin/env python3
"""Forgot-password timing: does POST /api/v1/password-resets take as long for an address that
has an account as for one that has none?  (Issue 11, finding 9: 0.74 vs 0.48 ms before the queue.)

Boots a private MariaDB and one stack (tools/stack.py, as the integration tests do), creates a
user, stops the mailer (so only the request path is measured and nothing drains the queue while
it runs), then sends N pairs of requests, known and unknown address interleaved, over one
keep-alive connection.  Reports the median and p90 of two clocks per kind:
  app    duration_ms of the worker's request log line (onramp.log), matched by X-Request-Id;
  client wall time around the request and its answer through nginx.

  python3 tests/bench/reset_timing.py --build build [-n 2000] [--old]

--old: for a build without the per-address limit (no reset_requests_per_addr key); the
limit is raised otherwise, so every request does the full work.
"""

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import stack  # noqa: E402
from harness import Env  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--old", action="store_true")
    args = ap.parse_args()
    Env.start(args.build, False)
    st = None
    try:
        extra = {} if args.old else {"reset_requests_per_addr": "100000"}
        # nginx's per-address rate limit would answer 429 to a loop this fast.
        st = Env.new_stack(workers=2, extra_config=extra, rate="100000r/s", burst=100000)
        st.ctl("customers", "create", "--slug", "timing", "--name", "Timing Ltd")
        st.ctl("users", "create", "--customer", "timing", "--username", "known", "--email",
               "known@timing.example", "--role", "customer_member")
        st.stop_mailer()
        host, port = st.public_url.split("://", 1)[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        kinds = {"known": "known@timing.example", "unknown": "nobody@timing.example"}
        client = {k: [] for k in kinds}
        ids = {}
        for i in range(args.n * 2 + 100):
            kind = "known" if i % 2 == 0 else "unknown"
            body = json.dumps({"email": kinds[kind]})
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/password-resets", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            dt = (time.perf_counter() - t0) * 1000
            if r.status != 202:
                raise SystemExit(f"unexpected {r.status}")
            if i >= 100:                    # the first 100 warm the statement caches
                client[kind].append(dt)
                ids[r.getheader("X-Request-Id")] = kind
        conn.close()
        app = {k: [] for k in kinds}
        with open(st.app_log) as f:
            for line in f:
                if '"event":"request"' not in line:
                    continue
                rec = json.loads(line)
                if rec.get("request_id") in ids:
                    app[ids[rec["request_id"]]].append(rec["duration_ms"])
        print(f"POST /api/v1/password-resets, {args.n} requests per kind, interleaved, one keep-alive connection")
        for clock, data in (("app", app), ("client", client)):
            for k in kinds:
                xs = data[k]
                print(f"  {clock:6} {k:7} n={len(xs):5}  median {statistics.median(xs):.3f} ms  "
                      f"p90 {pct(xs, 0.9):.3f} ms")
        tables = Env.db.sql(f"USE `{st.db_name}`; SELECT (SELECT COUNT(*) FROM outbox), "
                            "(SELECT COUNT(*) FROM password_resets)").split()[-2:]
        print(f"  outbox rows {tables[0]}, password_resets rows {tables[1]} (the mailer was stopped)")
    finally:
        if st:
            st.down(own_db=False)
        Env.stop()
        if Env.base:
            shutil.rmtree(Env.base, ignore_errors=True)


if __name__ == "__main__":
    main()
