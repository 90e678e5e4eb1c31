"""A hung database (mariadbd frozen with SIGSTOP, not stopped) must not stall requests.

A frozen server still accepts connections into the kernel's backlog and then says
nothing, so every blocking call waits for its whole timeout.  These tests freeze a
PRIVATE MariaDB (never the run's shared one) under a stack with short timeouts
(time is a parameter: read timeout 3 s, connect 1 s, back-off 3 s) and check that
/readyz answers within a second, that after the first timeout every worker fails
fast with 503 + Retry-After, that no request waits longer than the read timeout,
and that everything works again shortly after the server resumes.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import stack
from harness import Env, StackTestCase, request

READ_TIMEOUT = 3
CONNECT_TIMEOUT = 1
BACKOFF = 3
PROBE_MS = 500


class Frozen:
    """SIGSTOP a MariaDB for the length of a with-block; SIGCONT whatever happens."""

    def __init__(self, db):
        self.pid = stack.read_pid(db.pidfile)

    def __enter__(self):
        os.kill(self.pid, signal.SIGSTOP)
        # kill() returns before every thread has stopped: wait until none runs.
        stack.wait_for(self._stopped, 5, "every mariadbd thread to stop")
        return self

    def _stopped(self):
        states = []
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{tid}/stat") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except OSError:
                pass
        return bool(states) and all(s in ("T", "t") for s in states)

    def __exit__(self, *exc):
        os.kill(self.pid, signal.SIGCONT)


class Timed:
    """Requests from threads, each with its duration, status, headers and answering worker."""

    def __init__(self):
        self.lock = threading.Lock()
        self.results = []

    def call(self, base, path):
        t0 = time.monotonic()
        r = request(base, "GET", path, timeout=30)
        took = time.monotonic() - t0
        with self.lock:
            self.results.append((took, r))
        return took, r

    def concurrently(self, base, path, n):
        threads = [threading.Thread(target=self.call, args=(base, path)) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        return self.results[-n:]


class DbHangTests(StackTestCase):
    workers = 3
    db = None

    @classmethod
    def setUpClass(cls):
        base = os.path.join(Env.base, f"hang-{os.getpid()}")
        os.makedirs(base)
        os.chmod(base, 0o755)
        cls.db = stack.MariaDB(os.path.join(base, "mariadb"))
        os.makedirs(cls.db.base)
        os.chmod(cls.db.base, 0o755)
        try:
            cls.db.start()
        except RuntimeError:
            # mariadb-install-db has been seen to abort on a loaded machine ("Unknown table
            # mysql.tmp_user_sys"): start over once from an empty data directory.
            cls.db.stop()
            shutil.rmtree(cls.db.datadir, ignore_errors=True)
            cls.db.start()
        config = {"db_read_timeout_s": str(READ_TIMEOUT), "db_write_timeout_s": str(READ_TIMEOUT),
                  "db_connect_timeout_s": str(CONNECT_TIMEOUT), "db_backoff_s": str(BACKOFF),
                  "db_probe_timeout_ms": str(PROBE_MS)}
        try:
            cls.st = stack.Stack(os.path.join(base, "stack"), Env.build, stack.free_port(), stack.free_port(),
                                 db=cls.db, db_name="onramp_hang", workers=cls.workers, extra_config=config,
                                 test_clock=True)
            cls.st.up(own_db=False)
        except Exception:
            cls.db.stop()
            raise
        cls.pub = cls.st.public_url
        cls.ops = cls.st.operator_url

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            os.kill(stack.read_pid(cls.db.pidfile), signal.SIGCONT)
            cls.db.stop()

    def pid_of(self, request_id):
        with open(self.st.app_log) as f:
            for line in f:
                if f'"request_id":"{request_id}"' in line:
                    return json.loads(line)["pid"]
        return None

    def metric(self, name):
        text = request(self.ops, "GET", "/metrics", timeout=30).body.decode()
        m = re.search(rf"(?m)^{name} (\S+)$", text)
        self.assertIsNotNone(m, f"{name} missing from /metrics")
        return float(m.group(1))

    def wait_until_ready(self):
        stack.wait_for(lambda: request(self.ops, "GET", "/readyz", timeout=30).status == 200, 20, "/readyz 200")

    def assertFastUnavailable(self, took, r, limit=1.0):
        self.assertLess(took, limit, r)
        self.assertErrorShape(r, 503, "unavailable")
        ra = r.headers.get("retry-after", "")
        self.assertTrue(ra.isdigit(), r.headers)
        return int(ra)

    def every_worker_once(self, path):
        """One request per worker, all in flight at once (a lock on `banner` holds each inside its
        worker), so every worker answers one.  Returns [(status, pid)]."""
        n = self.workers
        holder = subprocess.Popen(self.db.client_args() + ["--unbuffered", self.st.db_name],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        holder.stdin.write("LOCK TABLES banner WRITE; SELECT 'locked';\n")
        holder.stdin.flush()
        self.assertEqual(holder.stdout.readline().strip(), "locked")
        timed = Timed()
        threads = [threading.Thread(target=timed.call, args=(self.pub, path)) for _ in range(n)]
        try:
            for t in threads:
                t.start()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                out = self.db.sql("SELECT COUNT(*) FROM information_schema.processlist "
                                  f"WHERE db = '{self.st.db_name}' AND state LIKE 'Waiting for table%'")
                if int(out.strip().splitlines()[-1]) + len(timed.results) >= n:
                    break
                time.sleep(0.05)
        finally:
            holder.stdin.write("UNLOCK TABLES;\n")
            holder.stdin.close()
            holder.wait(timeout=10)
        for t in threads:
            t.join(timeout=30)
        return [(r.status, self.pid_of(r.headers.get("x-request-id"))) for _, r in timed.results]

    def test_frozen_db_readyz_answers_within_a_second_on_every_worker(self):
        self.wait_until_ready()
        pids = sorted(self.st.worker_pids())
        self.assertEqual(len(pids), self.workers)
        seen = set()
        with Frozen(self.db):
            self.assertEqual(request(self.pub, "GET", "/healthz").status, 200)
            # Three rounds of one request per worker at once: a probe that waits its deadline
            # keeps its worker busy, so the others take the rest.
            for _ in range(3):
                for took, r in Timed().concurrently(self.ops, "/readyz", self.workers):
                    self.assertFastUnavailable(took, r)
                    failing = [c["name"] for c in r.json()["checks"] if not c["ok"]]
                    self.assertIn("database", failing)
                    seen.add(self.pid_of(r.headers.get("x-request-id")))
            self.assertEqual(request(self.pub, "GET", "/healthz").status, 200)
        self.assertEqual(sorted(seen), pids)
        self.wait_until_ready()

    def test_frozen_db_api_fails_fast_after_a_timeout_then_recovers(self):
        self.wait_until_ready()
        pids = sorted(self.st.worker_pids())
        # Every worker holds a connection and its prepared banner statement before the freeze.
        self.assertEqual(sorted(self.every_worker_once("/api/v1/banner")), [(200, p) for p in pids])
        timeouts = self.metric("onramp_db_timeouts_total")
        fast_failures = self.metric("onramp_db_fast_failures_total")
        timed = Timed()
        with Frozen(self.db):
            # The first request meets the hang and waits for the read timeout, no longer.
            took, r = timed.call(self.pub, "/api/v1/banner")
            self.assertErrorShape(r, 503, "unavailable")
            self.assertGreaterEqual(took, READ_TIMEOUT * 0.9, r)
            # From now on every worker fails at once, Retry-After = the back-off left.
            fast = timed.concurrently(self.pub, "/api/v1/banner", 3 * self.workers)
            self.assertLess(max(took for took, _ in fast), 1.0, [(took, r.status) for took, r in fast])
            for took, r in fast:
                self.assertLessEqual(self.assertFastUnavailable(took, r), BACKOFF)
            t0 = time.monotonic()
            r = request(self.ops, "GET", "/readyz", timeout=30)
            self.assertFastUnavailable(time.monotonic() - t0, r)
            checks = {c["name"]: c for c in r.json()["checks"]}
            self.assertIn("back-off", checks["database"]["message"])
            self.assertEqual(request(self.pub, "GET", "/healthz").status, 200)
            # /metrics reads the outbox depth too: it answers at once as well, and counts.
            t0 = time.monotonic()
            self.assertGreaterEqual(self.metric("onramp_db_timeouts_total"), timeouts + 1)
            self.assertGreaterEqual(self.metric("onramp_db_fast_failures_total"), fast_failures + len(fast))
            self.assertGreater(self.metric("onramp_db_backoff_seconds"), 0)
            self.assertLess(time.monotonic() - t0, 1.0)
            # Still frozen after the back-off: one trial (bounded by the connect timeout) fails and
            # starts a new back-off; nothing waits longer than the read timeout.
            time.sleep(BACKOFF)
            timed.concurrently(self.pub, "/api/v1/banner", 2 * self.workers)
            timed.concurrently(self.ops, "/readyz", self.workers)
        resumed = time.monotonic()
        for took, r in timed.results:
            self.assertLess(took, READ_TIMEOUT + 1.0, r)
            self.assertIn(r.status, (503,), r)
        self.assertGreaterEqual(self.metric("onramp_db_timeouts_total"), timeouts + 2)
        # Resumed: within the back-off and a little, requests succeed again on every worker.
        stack.wait_for(lambda: request(self.pub, "GET", "/api/v1/banner", timeout=30).status == 200,
                       BACKOFF + 3, "the banner to answer again")
        self.assertLess(time.monotonic() - resumed, BACKOFF + 3)
        self.assertEqual(sorted(self.every_worker_once("/api/v1/banner")), [(200, p) for p in pids])
        self.assertEqual(request(self.ops, "GET", "/readyz", timeout=30).status, 200)
        self.assertEqual(self.metric("onramp_db_backoff_seconds"), 0)
        self.assertEqual(sorted(self.st.worker_pids()), pids)
