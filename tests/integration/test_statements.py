"""Statements per request on the customer's pages and the operator's customer page (issue 15).

Every statement is a round trip to MariaDB, and on a machine where each one costs a wake-up on
both sides the count decides the throughput of a page (docs/performance.md). MariaDB's general
log (to a table, for the duration of a test) shows what the worker that served a request sent:
its `Execute`s (prepared statements) and `Query`s (COMMIT, autocommit). The worker is the
connection that looked the session up by its hash; the mailer and fetcher of the stack, and the
test's own client, are other connections and are not counted.
"""

import contextlib
import hashlib
import re
import uuid

from harness import Env, request
from test_identity import IdentityBase

# What the customer's main pages may cost: one statement for the session and its principal,
# one for the page's facts. The checklist's facts come from the worker's cache while the
# customer's facts version (read by the session statement) has not moved: the first request to
# a worker reads them (2), a repeat costs the session statement alone (1).
CHECKLIST_STATEMENTS = 2
CHECKLIST_CACHED_STATEMENTS = 1
ACCOUNT_STATEMENTS = 2
ACCOUNT_CACHED_STATEMENTS = 1   # the account document is kept under the same facts version
# Creating an invite (docs/performance.md, "Invite creation"): was 9 with SET autocommit=0/1
# around the transaction, then 8 with START TRANSACTION and COMMIT; 9 again since issue 17: the
# seat guard row is written before the customer row is locked (Galera certifies writes, not
# locks: src/store/guards.c).
INVITE_CREATE_STATEMENTS = 9
# The one way a check of an invariant over many rows guards itself (store_guard_take).
GUARD_WRITE = re.compile(r"^INSERT INTO guards \(kind, id, n\) VALUES ")
# A trigger body (sql/019) names the row as NEW or OLD: the server runs it, no round trip.
TRIGGER_BODY = re.compile(r"\b(NEW|OLD)\.")


class StatementCounter:
    """Counts what the serving worker sends MariaDB for each of a few identical requests."""

    def __init__(self, db):
        self.db = db

    @contextlib.contextmanager
    def logging(self):
        out = self.db.sql("SELECT @@GLOBAL.log_output").split()[-1]
        self.db.sql("SET GLOBAL general_log = OFF; TRUNCATE TABLE mysql.general_log; "
                    "SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = ON")
        try:
            yield
        finally:
            self.db.sql(f"SET GLOBAL general_log = OFF; SET GLOBAL log_output = '{out}'; "
                        "TRUNCATE TABLE mysql.general_log")

    def rows(self):
        text = self.db.sql("SELECT thread_id, command_type, REPLACE(REPLACE(CONVERT(argument USING utf8mb4), "
                           "'\\n', ' '), '\\t', ' ') FROM mysql.general_log ORDER BY event_time")
        out = []
        for line in text.splitlines()[1:]:
            thread, command, argument = (line.split("\t", 2) + ["", ""])[:3]
            out.append((thread, command, argument))
        return out

    def measure(self, call, n=3):
        """[(statements, [their text])] of n requests made by call(), each after a marker."""
        marks = []
        with self.logging():
            for _ in range(n):
                mark = f"onramp-mark-{uuid.uuid4().hex}"
                self.db.sql(f"SELECT '{mark}'")
                marks.append(mark)
                call()
            rows = self.rows()
        return [self.split(rows, m) for m in marks]

    @staticmethod
    def split(rows, mark):
        start = next(i for i, r in enumerate(rows) if mark in r[2] and r[1] == "Query")
        window, end = [], len(rows)
        for i in range(start + 1, len(rows)):
            if rows[i][1] == "Query" and "onramp-mark-" in rows[i][2]:
                end = i
                break
        window = rows[start + 1:end]
        workers = {t for t, c, a in window
                   if c == "Execute" and a.startswith("SELECT") and "sessions" in a and "id_hash" in a}
        # A trigger's statements are logged on the worker's thread too, but the client never sent them.
        sent = [a for t, c, a in window if t in workers and c in ("Execute", "Query") and not TRIGGER_BODY.search(a)]
        return len(sent), sent


class StatementCountTests(IdentityBase):
    workers = 1

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.counter = StatementCounter(Env.db)

    def count(self, client, path):
        """Statements of GET path (all three requests must agree), checking each answered 200."""
        answers = []
        results = self.counter.measure(lambda: answers.append(client.call("GET", path)))
        for r in answers:
            self.assertEqual(r.status, 200, (path, r))
        counts = {n for n, _ in results}
        self.assertEqual(len(counts), 1, (path, results))
        return results[-1]

    def count_cached(self, client, path):
        """(first, repeat) statement counts of a page whose facts the worker caches."""
        answers = []
        results = self.counter.measure(lambda: answers.append(client.call("GET", path)))
        for r in answers:
            self.assertEqual(r.status, 200, (path, r))
        self.assertEqual(len({n for n, _ in results[1:]}), 1, (path, results))
        return results[0], results[-1]

    def customer_admin(self):
        cust = self.new_customer()
        admin = self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])
        return cust, admin

    def test_checklist_and_account_take_two_statements(self):
        _, admin = self.customer_admin()
        (n, sent), (again, sent_again) = self.count_cached(admin, "/checklist")
        self.assertEqual(n, CHECKLIST_STATEMENTS, sent)
        self.assertEqual(again, CHECKLIST_CACHED_STATEMENTS, sent_again)
        (n, sent), (again, sent_again) = self.count_cached(admin, "/account")
        self.assertEqual(n, ACCOUNT_STATEMENTS, sent)
        self.assertEqual(again, ACCOUNT_CACHED_STATEMENTS, sent_again)

    def test_every_customer_page_and_the_operator_customer_page(self):
        """The table of docs/performance.md (printed with the statements), each count pinned."""
        cust, admin = self.customer_admin()
        expected = {"/session": 1, "/account": (ACCOUNT_STATEMENTS, ACCOUNT_CACHED_STATEMENTS),
                    "/checklist": (CHECKLIST_STATEMENTS, CHECKLIST_CACHED_STATEMENTS), "/members": 4, "/sso": 4}
        counted = {}
        print()
        for path in expected:
            if path in ("/checklist", "/account"):
                (first, sent), (again, sent_again) = self.count_cached(admin, path)
                counted[path] = (first, again)
                self.show(f"GET /api/v1{path} (first)", first, sent)
                self.show(f"GET /api/v1{path} (repeat)", again, sent_again)
                continue
            counted[path], sent = self.count(admin, path)
            self.show(f"GET /api/v1{path}", counted[path], sent)
        # The operator's customer page: auth, the customer with its details, the checklist facts with
        # the reviews, and one statement for each of the operator-only parts.
        n, sent = self.count(self.ops_client, f"/customers/{cust['id']}")
        self.show("GET /admin/api/v1/customers/{id}", n, sent)
        self.assertEqual(counted, expected)
        self.assertEqual(n, 14, sent)

    def guard_n(self, kind, ident):
        out = Env.db.sql(f"SELECT COALESCE(MAX(n), 0) FROM `{self.st.db_name}`.guards WHERE kind = {int(kind)} "
                         f"AND id = {int(ident)}")
        return int(out.split()[-1])

    def guarded(self, call, kind, ident, locking):
        """call() writes the guard row (kind, ident) once, right before the locking read matching locking."""
        before = self.guard_n(kind, ident)
        [(_, sent)] = self.counter.measure(call, n=1)
        locks = [i for i, a in enumerate(sent) if locking in a and "FOR UPDATE" in a]
        self.assertEqual(len(locks), 1, sent)
        self.assertRegex(sent[locks[0] - 1], GUARD_WRITE)
        self.assertEqual(self.guard_n(kind, ident), before + 1)

    def test_guarded_checks_write_their_guard_row(self):
        """The seat limit, keep-one-admin and the reset limit each write their guard row
        (store_guard_take) before the locking read they always made: the write is what a Galera
        cluster certifies, so the same check on two nodes cannot both commit."""
        cust, admin = self.customer_admin()
        self.guarded(lambda: self.assertEqual(admin.call("POST", "/invites", {
            "email": f"g-{uuid.uuid4().hex[:12]}@example.com", "role": "customer_member"}).status, 201),
            1, cust["id"], "FROM customers")
        other = self.new_user(cust, role="customer_admin")["user"]
        self.guarded(lambda: self.assertEqual(admin.call(
            "PATCH", f"/users/{other['id']}", {"role": "customer_member"}).status, 200),
            2, cust["id"], "role = 'customer_admin'")
        member = self.new_user(cust)["user"]
        self.guarded(lambda: self.assertEqual(self.ops_client.call(
            "POST", f"/users/{member['id']}/reset-password-link").status, 201),
            4, member["id"], "SELECT id FROM users WHERE id =")

    def test_invite_creation_statements(self):
        """POST /invites (issue 15 point 9): the session, START TRANSACTION, the seat guard write
        (issue 17), the customer row lock
        with its name, one statement for the member check, the seats and the hour's invite mails,
        the outbox row, the invite naming it, the audit row, COMMIT; the 201 is
        built from what was written (was 14: the member check before the transaction, the name read
        again, the seats and mails counted apart, an UPDATE after the insert, the invite read back)."""
        _, admin = self.customer_admin()
        answers = []

        def create():
            email = f"count-{uuid.uuid4().hex[:12]}@example.com"
            answers.append(admin.call("POST", "/invites", {"email": email, "role": "customer_member"}))
        results = self.counter.measure(create)
        for r in answers:
            self.assertEqual(r.status, 201, r)
        self.show("POST /api/v1/invites", results[-1][0], results[-1][1])
        self.assertEqual({n for n, _ in results}, {INVITE_CREATE_STATEMENTS}, results)
        # What the answer says is what a read of the invite says (nothing was left to the read back),
        # apart from what the stack's mailer may have changed since: the delivery of its mail.
        delivery = ("delivery", "delivery_error", "sent_count", "last_sent_at")

        def settled(v):
            return {k: x for k, x in v.items() if k not in delivery}
        listed = {v["id"]: v for v in admin.call("GET", "/members").json["invites"]}
        for r in answers:
            self.assertEqual(settled(r.json["invite"]), settled(listed[r.json["invite"]["id"]]))
            self.assertEqual(r.json["invite"]["delivery"], "queued")

    @staticmethod
    def show(route, n, sent):
        print(f"  {route}: {n}")
        for s in sent:
            print(f"      {s[:110]}")


class SessionLookupTests(IdentityBase):
    """The session and its principal come in one statement now; every refusal the two lookups made
    still answers 401. Each case changes one row in the database (the session's times, the user's
    status) and first shows the same session accepted just inside the line, so the 401 is that
    check's and not a lost session's."""

    IDLE_S = 30 * 60   # session_idle_timeout_s (default)

    def setUp(self):
        cust = self.new_customer()
        self.user = self.new_user(cust, role="customer_admin")["user"]
        self.client = self.first_signin(self.user["username"])
        self.hash = hashlib.sha256(self.client.cookies["onramp_session"].encode()).hexdigest()

    def set_session(self, column, at):
        self.sql(f"SET time_zone = '+00:00'; UPDATE sessions SET {column} = FROM_UNIXTIME({int(at)}) "
                 f"WHERE id_hash = '{self.hash}'")

    def set_user(self, assignment):
        self.sql(f"UPDATE users SET {assignment} WHERE id = {int(self.user['id'])}")

    def assertStatus(self, status, path="/checklist"):
        r = self.client.call("GET", path)
        self.assertEqual(r.status, status, r)
        if status == 401:
            self.assertEqual(r.code, "unauthenticated")

    def test_idle_session_is_refused(self):
        self.set_session("last_used_at", self.st.now() - self.IDLE_S + 30)
        self.assertStatus(200)          # inside the idle window; this request touches it again
        self.set_session("last_used_at", self.st.now() - self.IDLE_S - 30)
        self.assertStatus(401)

    def test_expired_session_is_refused(self):
        self.set_session("expires_at", self.st.now() + 30)
        self.assertStatus(200)
        self.set_session("expires_at", self.st.now() - 30)
        self.assertStatus(401)
        self.assertStatus(401, "/session")

    def test_suspended_user_is_refused(self):
        # Suspending through the API also deletes the sessions; here the row alone changes, so
        # only the auth step's status check stands between this session and the API.
        self.set_user("status = 'suspended'")
        self.assertStatus(401)
        self.set_user("status = 'active'")
        self.assertStatus(200)

    def test_deactivated_user_is_refused(self):
        self.set_user("deactivated_at = NOW(6)")
        self.assertStatus(401, "/account")
        self.set_user("deactivated_at = NULL")
        self.assertStatus(200, "/account")

    def test_session_of_the_other_realm_is_refused(self):
        # The operator's session token in the customer cookie: the row is live, its realm is not.
        token = self.ops_client.cookies["onramp_operator"]
        r = request(self.pub, "GET", "/api/v1/session", headers={"Cookie": f"onramp_session={token}"})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.ops_client.call("GET", "/session").status, 200)

    def test_deactivated_operator_is_refused(self):
        op = self.ops_client.call("GET", "/session").json["operator"]
        self.sql(f"UPDATE operators SET deactivated_at = NOW(6) WHERE id = {int(op['id'])}")
        try:
            self.assertEqual(self.ops_client.call("GET", "/session").status, 401)
        finally:
            self.sql(f"UPDATE operators SET deactivated_at = NULL WHERE id = {int(op['id'])}")
        self.assertEqual(self.ops_client.call("GET", "/session").status, 200)
