"""The master under stress: worker crashes, database outages, reloads, drains."""

import os
import re
import signal
import subprocess
import threading
import time

import stack
from harness import Env, Load, StackTestCase, request


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


class DatabaseOutageTests(StackTestCase):
    def test_database_down_then_back(self):
        pids = self.st.worker_pids()
        self.assertEqual(request(self.ops, "GET", "/readyz").status, 200)
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
        t0 = time.monotonic()
        stack.wait_for(lambda: request(self.ops, "GET", "/readyz").status == 200, 5, "/readyz after restart")
        self.assertLess(time.monotonic() - t0, 5)
        # Every worker reconnects on its own: no restart of the workers.
        for _ in range(20):
            self.assertEqual(request(self.ops, "GET", "/readyz").status, 200)
        self.assertEqual(self.st.worker_pids(), pids)
        text = request(self.ops, "GET", "/metrics").body.decode()
        self.assertRegex(text, r"(?m)^onramp_db_errors_total [1-9]\d*$")

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
            time.sleep(1)
            self.assertEqual(self.st.worker_pids(), old)
            self.assertEqual(request(self.pub, "GET", "/healthz").status, 200)
            with open(self.st.app_log) as f:
                self.assertIn("reload_failed", f.read())
        finally:
            with open(self.st.config_path, "w") as f:
                f.write(good)


class DrainTests(StackTestCase):
    def test_sigterm_lets_in_flight_requests_finish(self):
        # Hold a write lock on the table /readyz reads, so readyz requests are
        # provably in flight inside the workers when SIGTERM arrives.
        holder = subprocess.Popen(Env.db.client_args() + ["--unbuffered", self.st.db_name], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        holder.stdin.write("LOCK TABLES schema_migrations WRITE; SELECT 'locked';\n")
        holder.stdin.flush()
        self.assertEqual(holder.stdout.readline().strip(), "locked")
        results = []

        def call():
            results.append(request(self.ops, "GET", "/readyz", timeout=30).status)

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
