"""Integration test harness: boots real stacks and drives them over HTTP.

One private MariaDB serves the whole run (each stack gets its own database
in it); each test class boots its own onramp-fcgi + nginx on free loopback
ports with tools/stack.py.  Everything lives under one temporary directory
that the runner removes at the end, after checking that no process of ours
is left.  Python standard library only.
"""

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import stack  # noqa: E402


class Env:
    """Session-wide state, set up by run.py."""
    build = os.path.join(ROOT, "build")
    sanitizers = False
    base = None
    db = None
    _n = 0

    @classmethod
    def start(cls, build, sanitizers):
        cls.build = os.path.abspath(build)
        cls.sanitizers = sanitizers
        cls.base = tempfile.mkdtemp(prefix="onramp-it-")
        os.chmod(cls.base, 0o755)
        cls.db = stack.MariaDB(os.path.join(cls.base, "mariadb"))
        os.makedirs(cls.db.base, exist_ok=True)
        os.chmod(cls.db.base, 0o755)
        cls.db.start()

    @classmethod
    def stop(cls):
        if cls.db:
            cls.db.stop()

    @classmethod
    def new_stack(cls, workers=2, extra_config=None, **kw):
        cls._n += 1
        name = f"s{cls._n}"
        st = stack.Stack(os.path.join(cls.base, name), cls.build, stack.free_port(), stack.free_port(),
                         db=cls.db, db_name=f"onramp_it_{name}", workers=workers,
                         extra_config=extra_config, test_clock=True, **kw)
        st.up(own_db=False)
        return st


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"<Response {self.status} {self.body[:200]!r}>"


def served_plan(db_name, run, like):
    """What MariaDB planned for a statement the server ran: run() with the general log on, the
    last executed statement whose text matches the LIKE pattern `like`, and its EXPLAIN
    FORMAT=JSON. Returns (statement, {table alias: [its plan nodes, in plan order]})."""
    Env.db.sql("SET GLOBAL log_output = 'TABLE'; TRUNCATE TABLE mysql.general_log; SET GLOBAL general_log = 1")
    try:
        run()
    finally:
        Env.db.sql("SET GLOBAL general_log = 0")

    def raw(statement):  # -r: no escaping of a backslash (ESCAPE '\\')
        return subprocess.run(Env.db.client_args() + ["-N", "-r", db_name, "-e", statement],
                              capture_output=True, text=True, check=True).stdout
    statement = raw("SELECT argument FROM mysql.general_log WHERE command_type = 'Execute' "
                    f"AND argument LIKE '{like}' ORDER BY event_time DESC LIMIT 1").strip()
    Env.db.sql("TRUNCATE TABLE mysql.general_log; SET GLOBAL log_output = 'FILE'")
    tables = {}

    def walk(node):
        if isinstance(node, dict):
            t = node.get("table")
            if isinstance(t, dict):
                tables.setdefault(t.get("table_name"), []).append(t)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    if statement:
        walk(json.loads(raw("EXPLAIN FORMAT=JSON " + statement)))
    return statement, tables


def seed_quiet_demo(st, invite_prefix, sso_secret=None):
    """Demo data, two invites by the demo admin (and the OIDC client secret if given), then the
    stack's mailer and fetcher stopped: the tables stay as they are while a test copies or dumps
    them (test_backup, test_upgrade)."""
    st.seed_demo()
    admin = st.demo_admin_session()
    for i in range(2):
        admin.call("POST", "/invites", {"email": f"{invite_prefix}-{i}@acme.example", "role": "customer_member"})
    if sso_secret:
        admin.call("PUT", "/sso/secret", {"client_secret": sso_secret})
    admin.call("DELETE", "/session")
    st.stop_mailer()
    st.stop_fetcher()


def request(base_url, method, path, body=None, headers=None, timeout=15):
    """One HTTP request on a fresh connection; returns a Response."""
    host, port = base_url.split("://", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class Load:
    """Background request streams on keep-alive connections, recording every outcome."""

    def __init__(self, base_url, path, threads=4):
        self.base_url = base_url
        self.path = path
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.statuses = {}
        self.failures = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self):
        host, port = self.base_url.split("://", 1)[1].split(":")
        conn = None
        while not self.stop_event.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, int(port), timeout=10)
                conn.request("GET", self.path)
                r = conn.getresponse()
                r.read()
                outcome = r.status
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                outcome = f"error:{type(e).__name__}"
                if conn:
                    conn.close()
                conn = None
            with self.lock:
                self.statuses[outcome] = self.statuses.get(outcome, 0) + 1
                if outcome != 200:
                    self.failures.append((time.monotonic(), outcome))
        if conn:
            conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=15)

    def total(self):
        with self.lock:
            return sum(self.statuses.values())

    def wait_for_requests(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while self.total() < n and time.monotonic() < deadline:
            time.sleep(0.02)


def sanitizer_reports(log_path):
    """Lines in a log that an ASan/UBSan/LSan report would produce."""
    if not os.path.exists(log_path):
        return []
    pat = re.compile(r"(ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer)")
    with open(log_path, errors="replace") as f:
        return [line.rstrip() for line in f if pat.search(line)]


class RelayedDb:
    """Mixin before a StackTestCase: its stack reaches the run's MariaDB through a relay on a unix
    socket (relay_class(path, upstream), with .path and .close()), e.g. dbproxy.HalfCloseProxy."""
    relay_class = None
    proxy = None

    @classmethod
    def setUpClass(cls):
        d = os.path.join(Env.base, f"relay-{os.getpid()}-{id(cls)}")
        os.makedirs(d)
        os.chmod(d, 0o755)
        cls.proxy = cls.relay_class(os.path.join(d, "mysqld.sock"), Env.db.socket)
        cls.extra_config = {"db_socket": cls.proxy.path}
        try:
            super().setUpClass()
        except Exception:
            cls.proxy.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.proxy.close()
            shutil.rmtree(os.path.dirname(cls.proxy.path), ignore_errors=True)


class StackTestCase(unittest.TestCase):
    """A test class with its own stack, torn down after its tests."""
    workers = 2
    extra_config = None
    stack_kw = {}       # more tools/stack.py Stack arguments (e.g. rate, burst)
    st = None

    @classmethod
    def setUpClass(cls):
        cls.st = Env.new_stack(workers=cls.workers, extra_config=cls.extra_config, **cls.stack_kw)
        cls.pub = cls.st.public_url
        cls.ops = cls.st.operator_url

    @classmethod
    def tearDownClass(cls):
        leaked = cls.open_transactions_rolled_back() if cls.st else None
        if cls.st:
            cls.st.down(own_db=False)
            reports = sanitizer_reports(cls.st.app_log) + sanitizer_reports(cls.st.fetcher_log)
            if reports:
                raise AssertionError("sanitizer reports in the app or fetcher log:\n" + "\n".join(reports[:20]))
        if leaked not in (0, None):
            raise AssertionError(f"transactions left open by a handler and rolled back by the dispatch guard: "
                                 f"{leaked} (the app log's open_transaction_rolled_back lines name the routes)")

    @classmethod
    def open_transactions_rolled_back(cls):
        """The dispatch guard's counter from /metrics: 0 unless a handler leaked a transaction
        (None when a test took the app down, so nobody is left to ask)."""
        try:
            r = request(cls.ops, "GET", "/metrics")
        except OSError:
            return None
        if r.status != 200:
            return None
        m = re.search(r"^onramp_open_transactions_rolled_back_total (\d+)$", r.body.decode(), re.M)
        return int(m.group(1)) if m else "no counter in /metrics"

    def assertErrorShape(self, r, status, code):
        """The API error shape with this status and code, and a request id matching the header."""
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.headers.get("content-type", "").startswith("application/json"), r.headers)
        body = r.json()
        self.assertIn("error", body)
        err = body["error"]
        self.assertEqual(err["code"], code, body)
        self.assertIsInstance(err["message"], str)
        self.assertTrue(err["message"])
        self.assertEqual(err["request_id"], r.headers.get("x-request-id"), (body, r.headers))
        return err
