"""The clients of tests/integration/test_faults.py: threads that drive mixed traffic through
nginx on keep-alive connections and record every request and every acknowledged write.

A Client reads and writes through its test object `t`, which holds the shared state: `rec`
(a Recorder), `lock`, `invites` (email -> create record), `edits` (slug -> acknowledged and
unknown account edits), `customers`, `ops_cookie`, `ops_csrf`, `barrier`, `next_slot`, `stop`.
"""

import http.client
import json
import random
import threading
import time
import uuid

THREADS = 16            # client threads, each on its own keep-alive connections
CUSTOMERS = 8           # two threads per customer, so account edits race on one version
CLIENT_TIMEOUT_S = 15   # a request without an answer by then counts as hung
SIGNIN_GAP_S = 0.5      # over all threads: Argon2id is the costliest request (several times more
                        # under ASan); sign-ins and invites are paced, not drawn, so they stay a
                        # small share however slow the build is
INVITE_GAP_S = 0.1      # over all threads: every invite is a mail the sink must take
CREATE_GAP_S = 1.0      # over all threads: an operator creates two customers about at once (the
                        # first invite of a new customer is where invites deadlocked, issue 15.2)
PASSWORD = "Faults-Load-Password-2026"


class Recorder:
    """Every request: (start, end, route, status, Retry-After, request id of a 5xx); status 0 =
    transport error, -1 = timeout."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []

    def add(self, t0, t1, route, status, retry_after=None, rid=None):
        with self.lock:
            self.rows.append((t0, t1, route, status, retry_after, rid if status >= 500 else None))


class Conn:
    """One keep-alive connection to one listener, reopened after an error or Connection: close."""

    def __init__(self, url):
        self.host, port = url.split("://", 1)[1].split(":")
        self.port = int(port)
        self.c = None

    def send(self, method, path, body=None, headers=None):
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        try:
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=CLIENT_TIMEOUT_S)
            self.c.request(method, path, body=data, headers=hdrs)
            r = self.c.getresponse()
            payload = r.read()
            if (r.getheader("Connection") or "").lower() == "close":
                self.close()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, payload, r.msg.get_all("Set-Cookie") or []
        except TimeoutError:
            self.close()
            return -1, {}, b"", []
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, {}, b"", []

    def close(self):
        if self.c:
            self.c.close()
        self.c = None


def as_json(payload):
    try:
        return json.loads(payload)
    except ValueError:
        return None


class Client(threading.Thread):
    """One load thread: the admin of one customer, plus the shared operator session for listings."""

    def __init__(self, test, n):
        super().__init__(daemon=True)
        self.t = test
        self.n = n
        self.cust = test.customers[n % CUSTOMERS]
        self.pub = Conn(test.st.public_url)
        self.ops = Conn(test.st.operator_url)
        self.cookie = None
        self.csrf = None
        self.version = None
        self.seq = 0
        self.rng = random.Random(n)

    # ---- one request --------------------------------------------------------
    def call(self, route, method, path, body=None, headers=None, conn=None):
        hdrs = dict(headers or {})
        if conn is None:
            conn = self.pub
            if self.cookie:
                hdrs["Cookie"] = self.cookie
            if self.csrf and method != "GET":
                hdrs["X-CSRF-Token"] = self.csrf
        t0 = time.monotonic()
        status, rh, payload, cookies = conn.send(method, path, body, hdrs)
        if status == 401 and conn is self.pub:
            self.cookie = None      # signed out somehow: the next step signs in again
        self.t.rec.add(t0, time.monotonic(), route, status, rh.get("retry-after"), rh.get("x-request-id"))
        return status, payload, cookies

    def signin(self):
        status, payload, cookies = self.call("signin", "POST", "/api/v1/session",
                                             {"login": self.cust["admin"], "password": PASSWORD})
        if status == 200:
            self.cookie = next(c.split(";", 1)[0] for c in cookies)
            self.csrf = as_json(payload)["csrf_token"]
        return status

    def due(self, kind, gap):
        """Whether this thread takes the next slot of kind (one per gap seconds over all threads)."""
        now = time.monotonic()
        with self.t.lock:
            if now < self.t.next_slot.get(kind, 0.0):
                return False
            self.t.next_slot[kind] = now + gap
            return True

    def read(self, route, path):
        status, payload, _ = self.call(route, "GET", path)
        if route == "account" and status == 200:
            self.version = as_json(payload)["version"]
        return status

    def edit(self):
        if self.version is None:
            return self.read("account", "/api/v1/account")
        self.seq += 1
        value = f"t{self.n}-{self.seq}"
        base = self.version
        status, payload, _ = self.call("account_edit", "PATCH", "/api/v1/account",
                                       {"version": base, "operating_name": value})
        edits = self.t.edits[self.cust["slug"]]
        with self.t.lock:
            if status == 200:
                self.version = as_json(payload)["version"]
                edits["acked"].append((self.version, value))
            elif status != 409 and status != 422:
                edits["unknown"].append((base, value))
        if status != 200:
            self.version = None
        return status

    def new_write(self, kind, slug):
        """Register a create (an invite, or a customer with its admin invite) before its first attempt."""
        email = f"f{self.n}-{uuid.uuid4().hex[:12]}@{slug}.example"
        with self.t.lock:
            self.t.invites[email] = {"key": uuid.uuid4().hex, "kind": kind, "slug": slug, "owner": self.n,
                                     "state": "pending", "tries": 0}
        return email

    def invite(self, email=None):
        """One invite attempt; an ambiguous outcome (no answer, 5xx) leaves it pending for a retry
        with the same Idempotency-Key."""
        email = email or self.new_write("invite", self.cust["slug"])
        status, payload, _ = self.call("invite", "POST", "/api/v1/invites",
                                       {"email": email, "role": "customer_member"},
                                       headers={"Idempotency-Key": self.t.invites[email]["key"]})
        return self.settle(email, status, payload, b"invite_pending")

    def create_customer(self, email=None):
        """The operator creates a customer and its admin invite: the first invite of a new customer."""
        if email is None:
            email = self.new_write("customer", f"fc{self.n}x{uuid.uuid4().hex[:10]}")
        inv = self.t.invites[email]
        status, payload, _ = self.call("customer_create", "POST", "/admin/api/v1/customers",
                                       {"slug": inv["slug"], "name": f"{inv['slug']} Ltd", "admin_email": email},
                                       headers={"Cookie": self.t.ops_cookie, "X-CSRF-Token": self.t.ops_csrf,
                                                "Idempotency-Key": inv["key"]}, conn=self.ops)
        return self.settle(email, status, payload, b"conflict")

    def settle(self, email, status, payload, conflict_code):
        inv = self.t.invites[email]
        with self.t.lock:
            inv["tries"] += 1
            if status == 201:
                inv["state"] = "acked"
            elif status == 409 and inv["tries"] > 1 and conflict_code in payload:
                # Only an earlier attempt of ours can have made it: the ambiguous one committed.
                inv["state"] = "acked_by_conflict"
            elif 400 <= status < 500 and status != 429:
                inv["state"] = f"refused {status} {payload[:200]!r}"
        return status

    def retry_pending(self):
        with self.t.lock:
            mine = [(e, v["kind"]) for e, v in self.t.invites.items()
                    if v["state"] == "pending" and v["owner"] == self.n]
        for email, kind in mine:
            (self.invite if kind == "invite" else self.create_customer)(email)

    def listing(self):
        path = self.rng.choice(["/admin/api/v1/customers", "/admin/api/v1/users?q=status:active,dormant",
                                "/admin/api/v1/users?q=role:customer_admin"])
        status, _, _ = self.call("ops_listing", "GET", path, headers={"Cookie": self.t.ops_cookie}, conn=self.ops)
        return status

    # ---- the loop ------------------------------------------------------------
    def step(self):
        if self.cookie is None or self.due("signin", SIGNIN_GAP_S):
            return self.signin()
        if self.due("invite", INVITE_GAP_S):
            self.retry_pending()
            return self.invite()
        for slot in ("customer_a", "customer_b"):   # two slots that come due together
            if self.due(slot, CREATE_GAP_S):
                return self.create_customer()
        x = self.rng.random()
        if x < 0.35:
            return self.read("checklist", "/api/v1/checklist")
        if x < 0.60:
            return self.read("account", "/api/v1/account")
        if x < 0.85:
            return self.edit()
        return self.listing()

    def run(self):
        # Every thread's first invite goes out at once: concurrent first invites of different
        # customers are where MariaDB deadlocked (issue 15 point 2).
        while self.signin() != 200 and not self.t.stop.is_set():
            time.sleep(0.1)
        try:
            self.t.barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        self.invite()
        while not self.t.stop.is_set():
            status = self.step()
            if status in (0, -1) or status >= 500:
                time.sleep(0.05)        # an outage answers fast: do not spin on it
        self.pub.close()
        self.ops.close()
