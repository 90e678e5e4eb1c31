"""The master under stress: worker crashes, database outages, reloads, drains."""

import json
import os
import re
import signal
import subprocess
import threading
import time

import stack
from dbproxy import HalfCloseProxy
from harness import Env, Load, RelayedDb, StackTestCase, request


class WorkerCrashTests(StackTestCase):
    workers = 2

    def restarts(self):
        text = request(self.ops, "GET", "/metrics").body.decode()
        m = re.search(r"(?m)^onramp_worker_restarts_total (\d+)$", text)
        return int(m.group(1))

    def test_kill_9_worker_under_load(self):
        restarts = self.restarts()
        before = self.st.worker_pids()
        self.assertEqual(len(before), 2)
        with Load(self.pub, "/healthz", threads=4) as load:
            load.wait_for_requests(200)
            os.kill(before[0], signal.SIGKILL)
            stack.wait_for(lambda: len(self.st.worker_pids()) == 2 and before[0] not in self.st.worker_pids(),
                           10, "a replacement worker")
            seen = load.total()
            load.wait_for_requests(seen + 200, timeout=30)
        after = self.st.worker_pids()
        self.assertNotIn(before[0], after)
        self.assertIn(before[1], after)
        # At most the request the killed worker held may fail.
        self.assertLessEqual(len(load.failures), 1, load.statuses)
        self.assertGreater(load.statuses.get(200, 0), 300)
        self.assertEqual(self.restarts(), restarts + 1)

    def test_crash_loop_backs_off(self):
        # Kill every worker as soon as it appears, for a few seconds: a crash
        # loop.  The master must slow its restarts down instead of spinning.
        restarts = self.restarts()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            for pid in self.st.worker_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        spawned = self.restarts() - restarts
        with open(self.st.app_log) as f:
            delays = [int(m) for m in re.findall(r"next start in (\d+) ms", f.read())]
        # Without backoff this loop would see a restart every ~20 ms (hundreds).
        self.assertLess(spawned, 40, spawned)
        self.assertTrue(delays and max(delays) >= 800, delays)
        # Once the killing stops, the workers come back and serve.
        stack.wait_for(lambda: len(self.st.worker_pids()) == 2, 15, "workers back")
        stack.wait_for(lambda: request(self.pub, "GET", "/healthz").status == 200, 10, "healthz")


class TableLock:
    """Holds LOCK TABLES ... WRITE from a client session, so requests that read the table wait inside the workers."""

    def __init__(self, st, table="banner"):
        self.st = st
        self.table = table
        self.holder = None

    def __enter__(self):
        self.holder = subprocess.Popen(Env.db.client_args() + ["--unbuffered", self.st.db_name],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.holder.stdin.write(f"LOCK TABLES {self.table} WRITE; SELECT 'locked';\n")
        self.holder.stdin.flush()
        assert self.holder.stdout.readline().strip() == "locked"
        return self

    def waiting(self):
        """Sessions of the app's database waiting for the lock (requests held inside workers)."""
        out = Env.db.sql("SELECT COUNT(*) FROM information_schema.processlist "
                         f"WHERE db = '{self.st.db_name}' AND state LIKE 'Waiting for table%'")
        return int(out.strip().splitlines()[-1])

    def __exit__(self, *exc):
        self.holder.stdin.write("UNLOCK TABLES;\n")
        self.holder.stdin.close()
        self.holder.wait(timeout=10)


class OutageChecks:
    """A database restart seen by every worker; mixed into test classes with their own stacks."""
    workers = 3

    def banner_on_every_worker(self):
        """One GET /api/v1/banner per worker, all in flight at once (a table lock holds each inside its
        worker), so every worker answers exactly one on its request connection.  (Not /readyz: it asks
        on its own probe connection against a short deadline, so a lock would only make it 503.)
        Returns [(status, pid)]."""
        n = len(self.st.worker_pids())
        results = []

        def call():
            r = request(self.pub, "GET", "/api/v1/banner", timeout=30)
            results.append((r.status, r.headers.get("x-request-id")))

        with TableLock(self.st) as lock:
            threads = [threading.Thread(target=call) for _ in range(n)]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 10
            # A worker that answers without waiting (a 503) frees itself; the others still wait.
            while lock.waiting() + len(results) < n and time.monotonic() < deadline:
                time.sleep(0.05)
        for t in threads:
            t.join(timeout=30)
        return [(status, self.pid_of(rid)) for status, rid in results]

    def pid_of(self, request_id):
        with open(self.st.app_log) as f:
            for line in f:
                if f'"request_id":"{request_id}"' in line:
                    return json.loads(line)["pid"]
        return None

    def test_database_down_then_back(self):
        pids = self.st.worker_pids()
        self.assertEqual(len(pids), self.workers)
        # Every worker holds a connection and prepared statements from before the outage.
        first = self.banner_on_every_worker()
        self.assertEqual(sorted(first), sorted((200, pid) for pid in pids))
        Env.db.stop()
        try:
            r = request(self.pub, "GET", "/healthz")
            self.assertEqual(r.status, 200)
            t0 = time.monotonic()
            r = request(self.ops, "GET", "/readyz")
            self.assertLess(time.monotonic() - t0, 5)
            err = self.assertErrorShape(r, 503, "unavailable")
            self.assertIn("database", err["message"])
            self.assertTrue(r.headers.get("retry-after", "").isdigit())
            failing = [c["name"] for c in r.json()["checks"] if not c["ok"]]
            self.assertIn("database", failing)
        finally:
            Env.db.start()
        # The database answers again: from now on no request may see a 503, whichever worker
        # takes it.  Each worker's first request after the restart finds its old connection dead
        # and must reconnect within that request.
        t0 = time.monotonic()
        after = self.banner_on_every_worker()
        self.assertEqual(sorted(after), sorted((200, pid) for pid in pids))
        statuses = {}
        for _ in range(20):
            s = request(self.ops, "GET", "/readyz").status
            statuses[s] = statuses.get(s, 0) + 1
        with Load(self.ops, "/readyz", threads=4) as load:
            load.wait_for_requests(100)
        self.assertEqual(statuses, {200: 20})
        self.assertEqual(load.failures, [], load.statuses)
        self.assertLess(time.monotonic() - t0, 15)
        # Every worker reconnects on its own: no restart of the workers.
        self.assertEqual(self.st.worker_pids(), pids)
        text = request(self.ops, "GET", "/metrics").body.decode()
        self.assertRegex(text, r"(?m)^onramp_db_errors_total [1-9]\d*$")


class DatabaseOutageTests(OutageChecks, StackTestCase):
    """Over the unix socket: a worker's write to its dead connection fails at once (2006)."""

    def test_readyz_fails_while_schema_behind(self):
        Env.db.sql(f"DELETE FROM `{self.st.db_name}`.schema_migrations")
        try:
            r = request(self.ops, "GET", "/readyz")
            err = self.assertErrorShape(r, 503, "unavailable")
            self.assertIn("schema", err["message"])
            checks = {c["name"]: c for c in r.json()["checks"]}
            self.assertTrue(checks["database"]["ok"])
            self.assertFalse(checks["schema"]["ok"])
            self.assertIn("onrampctl migrate", checks["schema"]["message"])
            out = self.st.ctl("migrate", "--status", check=False)
            self.assertEqual(out.returncode, 3, out.stdout + out.stderr)
        finally:
            out = self.st.ctl("migrate")
        self.assertIn("applied 001_schema_migrations.sql", out.stdout)
        self.assertEqual(request(self.ops, "GET", "/readyz").status, 200)
        again = self.st.ctl("migrate")
        self.assertNotIn("applied", again.stdout.replace("schema at", ""))
        status = self.st.ctl("migrate", "--status", "--json")
        self.assertIn('"pending":0', status.stdout)


class DatabaseOutageOverTcpTests(RelayedDb, OutageChecks, StackTestCase):
    """Behind a relay that ends connections as TCP does: the write succeeds, the read finds the
    end (2013) or the server's parting error packet, as in deployments that dial db_host."""
    relay_class = HalfCloseProxy


class ReloadTests(StackTestCase):
    def test_sighup_during_stream_drops_nothing(self):
        old = self.st.worker_pids()
        with Load(self.pub, "/healthz", threads=4) as load:
            load.wait_for_requests(200)
            os.kill(self.st.app_pid(), signal.SIGHUP)
            stack.wait_for(lambda: not set(old) & set(self.st.worker_pids()) and
                           len(self.st.worker_pids()) == 2, 15, "a new generation of workers")
            seen = load.total()
            load.wait_for_requests(seen + 300)
        self.assertEqual(load.failures, [], load.statuses)
        self.assertGreater(load.statuses.get(200, 0), 400)

    def test_sighup_with_bad_config_keeps_serving(self):
        with open(self.st.config_path) as f:
            good = f.read()
        old = self.st.worker_pids()
        try:
            with open(self.st.config_path, "a") as f:
                f.write("no_such_key = 1\n")
            os.kill(self.st.app_pid(), signal.SIGHUP)
            # Wait for the master's verdict (a state, not the clock), then check it kept the workers.
            def refused():
                with open(self.st.app_log) as f:
                    return "reload_failed" in f.read()
            stack.wait_for(refused, 10, "reload_failed in the log")
            self.assertEqual(self.st.worker_pids(), old)
            self.assertEqual(request(self.pub, "GET", "/healthz").status, 200)
        finally:
            with open(self.st.config_path, "w") as f:
                f.write(good)


class DrainTests(StackTestCase):
    def test_sigterm_lets_in_flight_requests_finish(self):
        # Hold a write lock on the table the banner GET reads, so those requests are
        # provably in flight inside the workers when SIGTERM arrives.
        holder = subprocess.Popen(Env.db.client_args() + ["--unbuffered", self.st.db_name], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        holder.stdin.write("LOCK TABLES banner WRITE; SELECT 'locked';\n")
        holder.stdin.flush()
        self.assertEqual(holder.stdout.readline().strip(), "locked")
        results = []

        def call():
            results.append(request(self.pub, "GET", "/api/v1/banner", timeout=30).status)

        threads = [threading.Thread(target=call) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.7)
        master = self.st.app_pid()
        os.kill(master, signal.SIGTERM)
        time.sleep(0.7)
        # Still draining: the workers hold requests.
        self.assertTrue(stack.pid_alive(master))
        self.assertEqual(results, [])
        holder.stdin.write("UNLOCK TABLES;\n")
        holder.stdin.close()
        holder.wait(timeout=10)
        for t in threads:
            t.join(timeout=20)
        self.assertEqual(results, [200, 200])
        stack.wait_for(lambda: not stack.pid_alive(master), 10, "the master to exit")
        self.assertFalse(os.path.exists(self.st.socket))
        # New requests find no workers: nginx answers in the error shape.
        self.assertErrorShape(request(self.pub, "GET", "/healthz"), 503, "unavailable")
