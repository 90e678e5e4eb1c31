"""Failover under load on the loopback cluster (issue 17): 3 Galera nodes, 2 app hosts, one
nginx upstream.  For FAILOVER_SECONDS (default 60) the faults_load clients (16 threads, keep-alive
connections, through nginx) sign in, read the checklist and the account, edit the account with
its version, invite, create customers and list on the operator listener, while on a schedule
(seconds of a 60 s run; scaled to other lengths):

  15  SIGKILL database node 1 (app host 1 prefers it; host 0 and onrampctl prefer node 0)
  30  restart node 1; it must rejoin by IST (its log says which transfer it got)
  40  SIGKILL app host 0's master and workers
  45  restart app host 0

Afterwards, once every node is Synced and the outbox drained (bounded): every acknowledged write
(invite, customer, account edit with its version and value, session) is on every node, read
there directly; no write twice; no 5xx outside [fault, fault + W] of the two kills; no 401 (a
session made through one host and node works through the other); the sessions made in the
first 10 s work while host 0 is down and after it is back; all nodes hold the same rows
(row count and CHECKSUM TABLE of every table); each acknowledged invite's mail arrived once.
The figures go to stdout and to BUILD/tests/cluster/failover-figures.json.
"""

import json
import os
import shutil
import sys
import tempfile
import threading
import time
import types
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "tools"), os.path.join(ROOT, "tests", "integration")]
import stack  # noqa: E402
import test_faults  # noqa: E402
from failover_load import Client, Node, Recorder, percentile, read_config, upstreams_by_request_id  # noqa: E402
from faults_load import CLIENT_TIMEOUT_S, CUSTOMERS, PASSWORD, THREADS, Conn  # noqa: E402
from identity_client import operator_signin  # noqa: E402

SECONDS = max(30, int(os.environ.get("FAILOVER_SECONDS", "60")))
SCALE = SECONDS / 60.0
NODE_KILL_AT, NODE_START_AT, APP_KILL_AT, APP_START_AT = (s * SCALE for s in (15, 30, 40, 45))
EARLY_S = 10 * SCALE        # sessions made before this must outlive app host 0
KILLED_NODE = 1
KILLED_APP = 0
# A killed node stalls commits cluster-wide until it is evicted: evs.inactive_timeout (3 s on
# loopback, tools/cluster.py) checked every 0.5 s, and the requests on host 1 that were inside a
# statement on node 1 fail once (their unit of work cannot move to another node).  So the
# window is 3.5 s + 1.5 s for the stalled requests to finish.
W_NODE_S = 5.0
# A killed app host loses only the requests its workers held: nginx answers them 502 (the
# @unavailable 503), and passes every later request to the other host (connect refused).
W_APP_S = 1.0
SETTLE_S = 60               # bounded waits afterwards: Synced, retries, quiet tables
OPS_PASSWORD = "Failover-Operator-Password-2026"


class FailoverTests(unittest.TestCase):
    cs = None
    # The single-node fault test's checks, run here against each database node in turn
    # (they read through self.sql).
    none = test_faults.LoadWithFaultsTests.none
    check_edits = test_faults.LoadWithFaultsTests.check_edits
    check_invites = test_faults.LoadWithFaultsTests.check_invites
    wait_for_mail = test_faults.LoadWithFaultsTests.wait_for_mail

    @classmethod
    def setUpClass(cls):
        started = time.monotonic()
        cls.build = os.environ.get("CLUSTER_TEST_BUILD") or os.path.join(stack.ROOT, "build")
        top = os.environ.get("CLUSTER_TEST_BASE")
        if not top:     # run on its own, not by run.py
            top = tempfile.mkdtemp(prefix="onramp-failover-")
            os.chmod(top, 0o755)    # the database nodes run as mysql
        base = os.path.join(top, "failover")
        cls.cs = stack.ClusterStack(base, cls.build, stack.free_port(), stack.free_port(), app_hosts=2, nodes=3,
                                    workers=2, extra_config={"invite_rate_per_hour": "100000"})
        # Every client thread comes from 127.0.0.1: nginx's per-address limit would answer most
        # of the load 429 (the single-node fault test lifts it the same way).
        cls.cs.front.rate, cls.cs.front.burst = "100000r/s", 100000
        try:
            cls.cs.up(demo=False)
            cls.seed()
        except BaseException:
            cls.cs.down()
            raise
        cls.db_name = read_config(cls.cs.apps[0].config_path)["db_name"]
        cls.nodes = [Node(n, cls.db_name) for n in cls.cs.cluster.nodes]
        cls.setup_s = time.monotonic() - started

    @classmethod
    def seed(cls):
        """N customers each with a password admin (onrampctl, through node 0), and a signed-in operator."""
        cls.customers = []
        for i in range(CUSTOMERS):
            slug, admin = f"fault{i}", f"fault{i}-admin"
            cls.cs.ctl("customers", "create", "--slug", slug, "--name", f"Fault {i} Ltd", "--seats", "100000")
            cls.cs.ctl("users", "create", "--customer", slug, "--username", admin, "--email",
                       f"{admin}@{slug}.example", "--role", "customer_admin", "--password-stdin",
                       input=PASSWORD + "\n")
            cls.customers.append({"slug": slug, "admin": admin})
        cls.cs.ctl("operators", "create", "--username", "failops", "--email", "failops@vendor.test",
                   "--password-stdin", input=OPS_PASSWORD + "\n")
        # identity_client wants the stack's clock for TOTP codes: the cluster runs on the wall clock.
        st = types.SimpleNamespace(public_url=cls.cs.public_url, operator_url=cls.cs.operator_url, now=time.time)
        ops, r = operator_signin(st, "failops", OPS_PASSWORD)
        assert r.status == 200, r
        cls.ops_cookie = "; ".join(f"{k}={v}" for k, v in ops.cookies.items())
        cls.ops_csrf = ops.csrf

    @classmethod
    def tearDownClass(cls):
        if cls.cs:
            cls.cs.down()

    # ---- faults ------------------------------------------------------------------
    def at(self, seconds):
        wait = self.t0 + seconds - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return time.monotonic()

    def faults(self):
        """The schedule; records each event's monotonic time in self.events."""
        node, app = self.cs.cluster.nodes[KILLED_NODE], self.cs.apps[KILLED_APP]
        self.events["node_kill"] = self.at(NODE_KILL_AT)
        node.kill()
        self.events["node_start"] = self.at(NODE_START_AT)
        # The rejoin (recovery, IST, Synced) may take longer than the 10 s to the app kill: it
        # runs beside the schedule, so the app host dies at its time either way.
        rejoin = threading.Thread(target=self.rejoin, args=(node,), daemon=True)
        rejoin.start()
        self.events["app_kill"] = self.at(APP_KILL_AT)
        app.kill_app()
        self.at(APP_KILL_AT + W_APP_S)
        self.early["host0_down"] = self.use_early_sessions()
        self.events["app_start"] = self.at(APP_START_AT)
        app.start_app()
        self.events["app_up"] = time.monotonic()
        self.at(SECONDS)
        return rejoin

    def rejoin(self, node):
        try:
            node.start()
            self.events["node_synced"] = time.monotonic()
            self.join_kind = node.last_join_kind()
        except Exception as e:  # reported by check_join
            self.join_kind = f"failed: {e}"[:300]

    def use_early_sessions(self):
        """GET /session with every session made in the first EARLY_S: {status: count}."""
        conn, seen = Conn(self.cs.public_url), {}
        with self.lock:
            early = [s for s in self.sessions if s[0] < self.t0 + EARLY_S]
        for _, _, cookie, _ in early:
            status = conn.send("GET", "/api/v1/session", headers={"Cookie": cookie})[0]
            seen[status] = seen.get(status, 0) + 1
        conn.close()
        return seen

    # ---- the test ----------------------------------------------------------------
    def test_failover_under_load(self):
        self.st = self.cs                   # what the faults_load clients read the URLs from
        self.rec, self.lock, self.stop = Recorder(), threading.Lock(), threading.Event()
        self.edits = {c["slug"]: {"acked": [], "unknown": []} for c in self.customers}
        self.invites, self.sessions, self.events, self.early = {}, [], {}, {}
        self.join_kind = None
        self.barrier = threading.Barrier(THREADS)
        self.next_slot = {}
        clients = [Client(self, n) for n in range(THREADS)]
        self.t0 = time.monotonic()
        for c in clients:
            c.start()
        try:
            rejoin = self.faults()
        finally:
            self.stop.set()
            for c in clients:
                c.join(timeout=CLIENT_TIMEOUT_S + 5)
        load_s = time.monotonic() - self.t0
        settle_started = time.monotonic()
        rejoin.join(timeout=SETTLE_S)
        self.cs.cluster.wait_synced(SETTLE_S)
        # Invites still ambiguous get their retry with the same key, now that nothing is failing.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(v["state"] == "pending" for v in self.invites.values()):
            for c in clients:
                c.retry_pending()
        self.early["after"] = self.use_early_sessions()
        self.sql = self.nodes[0].rows
        mails = self.wait_for_mail()
        prints = self.converged_fingerprints()
        self.settle_s = time.monotonic() - settle_started
        figures = self.figures(load_s, mails)
        # Every check runs, so one run shows every kind of loss.
        checks = [self.check_requests, self.check_early_sessions, self.check_join,
                  lambda: self.check_convergence(prints), lambda: self.check_mails(mails)]
        for i, node in enumerate(self.nodes):
            checks += [lambda n=node, i=i: self.on_node(i, n, self.check_edits),
                       lambda n=node, i=i: self.on_node(i, n, self.check_invites),
                       lambda n=node, i=i: self.on_node(i, n, self.check_sessions)]
        problems = []
        for check in checks:
            try:
                check()
            except AssertionError as e:
                problems.append(str(e))
        figures["problems"] = len(problems)
        self.write_figures(figures)
        if problems:
            self.keep_logs()
            self.fail("\n\n".join(problems))

    # ---- checks ------------------------------------------------------------------
    def on_node(self, index, node, check):
        """Run a check that reads through self.sql against one node; name the node on failure."""
        self.sql = node.rows
        try:
            check()
        except AssertionError as e:
            raise AssertionError(f"node {index}: {e}") from None

    def windows(self):
        return {"node_kill": (self.events["node_kill"], self.events["node_kill"] + W_NODE_S),
                "app_kill": (self.events["app_kill"], self.events["app_kill"] + W_APP_S)}

    def window_of(self, row):
        """The fault window a request overlapped, or None."""
        for name, (a, b) in self.windows().items():
            if row[0] <= b and row[1] >= a:
                return name
        return None

    def check_requests(self):
        rows = self.rec.rows
        rel = lambda t: round(t - self.t0, 1)  # noqa: E731
        self.none([r for r in rows if r[3] == -1], f"requests without an answer within {CLIENT_TIMEOUT_S} s")
        self.none([r for r in rows if r[3] == 0], "requests nginx did not answer at all")
        outside = [(rel(r[0]), rel(r[1]), r[2], r[3], r[5]) for r in rows
                   if r[3] >= 500 and self.window_of(r) is None]
        self.none(outside, f"5xx outside the fault windows {self.rel_windows()}")
        # A session made through one app host and node is valid through the other: no request
        # of a signed-in client was refused as unauthenticated.
        self.none([(rel(r[0]), r[2], r[5]) for r in rows if r[3] == 401], "401 answers (a session not found)")

    def rel_windows(self):
        return {k: (round(a - self.t0, 1), round(b - self.t0, 1)) for k, (a, b) in self.windows().items()}

    def check_early_sessions(self):
        early = sum(1 for s in self.sessions if s[0] < self.t0 + EARLY_S)
        self.assertGreater(early, 0, "no session was made in the first seconds")
        for when, seen in self.early.items():
            self.assertEqual(seen, {200: early}, f"the {early} early sessions, {when}: statuses {seen}")

    def check_join(self):
        self.assertEqual(self.join_kind, "IST", f"node {KILLED_NODE} rejoined by {self.join_kind}, not IST")

    def check_sessions(self):
        stored = {r[0] for r in self.sql("SELECT id_hash FROM sessions WHERE realm = 'customer'")}
        self.none([s[1][:12] for s in self.sessions if s[1] not in stored], "sessions acknowledged but not stored")

    def check_mails(self, mails):
        # A customer's admin invite is not mailed (the operator gets its link once); member invites are.
        acked = [e for e, v in self.invites.items() if v["state"].startswith("acked") and v["kind"] == "invite"]
        self.assertTrue(acked, "no invite was acknowledged")
        self.none({e: mails.get(e, 0) for e in acked if mails.get(e, 0) != 1},
                  "acknowledged invites whose mail did not arrive exactly once (recipient: count)")
        self.none({e: n for e, n in mails.items() if n > 1}, "mails delivered more than once (recipient: count)")
        # The mailers' claim protocol gives each outbox row one Message-ID, kept across resends:
        # a receiver could drop a duplicate by it, but none may arrive while the mailers live.
        ids = {}
        for m in self.cs.mails():
            ids[m["Message-ID"]] = ids.get(m["Message-ID"], 0) + 1
        self.none({i: n for i, n in ids.items() if n > 1 or i is None}, "Message-IDs missing or seen twice")

    def converged_fingerprints(self):
        """Every node's {table: (rows, checksum)}, read until all agree or SETTLE_S passes (the
        mailer may still be marking its last rows sent)."""
        deadline = time.monotonic() + SETTLE_S
        while True:
            prints = [n.fingerprint() for n in self.nodes]
            if all(p == prints[0] for p in prints) or time.monotonic() > deadline:
                return prints
            time.sleep(0.5)

    def check_convergence(self, prints):
        self.assertTrue(prints[0], "no tables read")
        differ = {t: [p.get(t) for p in prints] for t in sorted(set().union(*prints))
                  if len({repr(p.get(t)) for p in prints}) > 1}
        self.none(differ, "tables whose row count or checksum differs between nodes (table: per node)")

    # ---- figures -----------------------------------------------------------------
    def figures(self, load_s, mails):
        rows = self.rec.rows
        ok = [r for r in rows if 200 <= r[3] < 300]
        lat = [(r[1] - r[0]) * 1000 for r in ok]
        fivexx = [r for r in rows if r[3] >= 500]
        per_window = {k: sum(1 for r in fivexx if self.window_of(r) == k) for k in self.windows()}
        routes = {}
        for r in rows:
            d = routes.setdefault(r[2], {})
            d[str(r[3])] = d.get(str(r[3]), 0) + 1
        states = {}
        for v in self.invites.values():
            k = f"{v['kind']} {v['state'][:24]}"
            states[k] = states.get(k, 0) + 1
        ups = upstreams_by_request_id([os.path.join(self.cs.front.log_dir, "nginx-access.log")])
        sockets = {f"unix:{a.socket}": f"app{a.index}" for a in self.cs.apps}
        by_host = {}
        for r in rows:
            if r[5] in ups:     # "A, B" when nginx passed the request on: B answered
                host = sockets.get(ups[r[5]].split(", ")[-1], ups[r[5]])
                by_host[host] = by_host.get(host, 0) + 1
        acked = {
            "sessions": len(self.sessions),
            "account_edits": sum(len(e["acked"]) for e in self.edits.values()),
            "invites": sum(1 for v in self.invites.values() if v["state"].startswith("acked") and v["kind"] == "invite"),
            "customers": sum(1 for v in self.invites.values() if v["state"].startswith("acked") and v["kind"] == "customer"),
        }
        return {
            "seconds": round(load_s, 1), "threads": THREADS, "customers": CUSTOMERS, "keep_alive": True,
            "requests": len(rows), "requests_per_s": round(len(rows) / load_s, 1),
            "latency_ms_ok": {"p50": round(percentile(lat, 50), 1) if lat else None,
                              "p95": round(percentile(lat, 95), 1) if lat else None},
            "acknowledged": acked, "unknown_outcome_edits": sum(len(e["unknown"]) for e in self.edits.values()),
            "create_states": dict(sorted(states.items())), "mails": sum(mails.values()),
            "status_by_route": routes,
            "5xx": {"total": len(fivexx), "inside_windows": per_window,
                    "outside_windows": len(fivexx) - sum(per_window.values()),
                    "windows_s": {"node_kill": W_NODE_S, "app_kill": W_APP_S}},
            "events_s": {k: round(v - self.t0, 1) for k, v in self.events.items()},
            "rejoin": {"kind": self.join_kind,
                       "start_to_synced_s": round(self.events["node_synced"] - self.events["node_start"], 1)
                       if "node_synced" in self.events else None},
            "early_sessions": {k: {str(s): n for s, n in v.items()} for k, v in self.early.items()},
            "requests_by_upstream": by_host or "not in the nginx log",
            "setup_s": round(self.setup_s, 1), "settle_s": round(self.settle_s, 1),
        }

    def keep_logs(self):
        """Copy every log of the layout (app hosts, nodes, nginx) beside the figures: the run's
        directory is removed at its end, and a failure is read from these."""
        out = os.path.join(self.build, "tests", "cluster", "failover-logs")
        shutil.rmtree(out, ignore_errors=True)
        for top, _, files in os.walk(self.cs.base):
            for name in files:
                if name.endswith(".log"):
                    rel = os.path.relpath(os.path.join(top, name), self.cs.base)
                    os.makedirs(os.path.dirname(os.path.join(out, rel)), exist_ok=True)
                    shutil.copy(os.path.join(top, name), os.path.join(out, rel))
        print(f"failover: logs kept in {out}", flush=True)

    def write_figures(self, figures):
        lines = [f"failover: {k}: {json.dumps(v)}" for k, v in figures.items() if k != "status_by_route"]
        lines.append("failover: status by route: " + json.dumps(figures["status_by_route"]))
        print("\n" + "\n".join(lines), flush=True)
        out = os.path.join(self.build, "tests", "cluster")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "failover-figures.json"), "w") as f:
            json.dump(figures, f, indent=1)
