"""Idempotency-Key on creating POSTs over nginx: the same key and request again returns the first
answer (Idempotent-Replayed: true) and creates nothing; another request under the key is 422;
keys are per principal and new again after 24 h (the test clock moves); concurrent requests with
one key create one row; a bad key is 400; routes that create nothing ignore the header; every
creating route family replays and keeps no secret readable in MariaDB; a worker killed after its
commit and before its reply leaves an answer the retry gets; the mailer sweeps old keys."""

import os
import socket
import struct
import threading
import time

import stack
from harness import RelayedDb
from test_identity import OPS_PASSWORD, PASSWORD
from test_invites import InviteBase

DAY = 86400


class IdemBase(InviteBase):
    _k = 0

    @classmethod
    def key(cls):
        IdemBase._k += 1
        return f"idem-{os.getpid()}-{IdemBase._k}-{time.time_ns()}"

    @staticmethod
    def post(client, path, body, key):
        return client.call("POST", path, body, headers={"Idempotency-Key": key} if key is not None else None)

    def count(self, statement):
        return int(self.sql(statement).split()[-1])

    def assertReplay(self, first, second):
        """second is first again: status, body, and only second says it was replayed."""
        self.assertEqual((second.status, second.json), (first.status, first.json), second)
        self.assertNotIn("idempotent-replayed", first.headers)
        self.assertEqual(second.headers.get("idempotent-replayed"), "true", second.headers)


class IdempotencyTests(IdemBase):
    def support(self, admin, message, key):
        return self.post(admin, "/support-requests", {"message": message}, key)

    def support_rows(self, cust):
        return self.count(f"SELECT COUNT(*) FROM support_requests WHERE customer_id = {cust['id']}")

    def test_same_key_twice_creates_once(self):
        cust, admin = self.admin_of_new_customer()
        email, key = f"{self.uniq('twice')}@{cust['slug']}.example", self.key()
        body = {"email": email, "role": "customer_member"}
        first = self.post(admin, "/invites", body, key)
        self.assertEqual(first.status, 201, first)
        second = self.post(admin, "/invites", body, key)
        self.assertReplay(first, second)
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM invites WHERE email = '{email}'"), 1)
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM outbox WHERE to_addr = '{email}'"), 1)
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM audit_log WHERE action = 'invite.create' "
                                    f"AND customer_id = {cust['id']}"), 1)

    def test_other_request_under_the_key_is_422_and_creates_nothing(self):
        cust, admin = self.admin_of_new_customer()
        key = self.key()
        a, b = (f"{self.uniq(p)}@{cust['slug']}.example" for p in ("first", "other"))
        self.assertEqual(self.post(admin, "/invites", {"email": a, "role": "customer_member"}, key).status, 201)
        r = self.post(admin, "/invites", {"email": b, "role": "customer_member"}, key)
        self.assertEqual((r.status, r.code), (422, "idempotency_key_reused"), r)
        self.assertEqual(r.json["error"]["fields"][0]["field"], "Idempotency-Key")
        self.assertNotIn("idempotent-replayed", r.headers)
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM invites WHERE email = '{b}'"), 0)
        # Another path under the same key is another request too.
        r = self.support(admin, "help", key)
        self.assertEqual((r.status, r.code), (422, "idempotency_key_reused"), r)
        self.assertEqual(self.support_rows(cust), 0)

    def test_keys_belong_to_one_principal(self):
        cust, admin = self.admin_of_new_customer()
        other = self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])
        key = self.key()
        r1, r2 = self.support(admin, "same words", key), self.support(other, "same words", key)
        self.assertEqual((r1.status, r2.status), (201, 201), (r1, r2))
        self.assertNotEqual(r1.json["support_request"]["id"], r2.json["support_request"]["id"])
        self.assertNotIn("idempotent-replayed", r2.headers)
        self.assertEqual(self.support_rows(cust), 2)
        # Two rows under the one key, one per principal.
        self.assertEqual(self.count(f"SELECT COUNT(DISTINCT realm, principal_id) FROM idempotency_keys "
                                    f"WHERE idem_key = '{key}'"), 2)

    def test_without_the_header_nothing_changes(self):
        cust, admin = self.admin_of_new_customer()
        r1, r2 = self.support(admin, "no key", None), self.support(admin, "no key", None)
        self.assertEqual((r1.status, r2.status), (201, 201))
        self.assertNotEqual(r1.json["support_request"]["id"], r2.json["support_request"]["id"])
        self.assertNotIn("idempotent-replayed", r2.headers)
        self.assertEqual(self.support_rows(cust), 2)

    def test_bad_key_is_400_and_creates_nothing(self):
        cust, admin = self.admin_of_new_customer()
        for bad in ("two words", "k" * 256, "caf\u00e9", "tab\tin"):
            with self.subTest(bad=bad[:20]):
                r = self.support(admin, "bad key", bad)
                self.assertErrorShape_(r, 400, "bad_request")
                self.assertEqual(r.json["error"]["fields"][0]["field"], "Idempotency-Key")
        self.assertEqual(self.support_rows(cust), 0)
        self.assertEqual(self.support(admin, "longest key", "k" * 255).status, 201)

    def assertErrorShape_(self, r, status, code):
        self.assertEqual((r.status, r.code), (status, code), r)
        self.assertEqual(r.json["error"]["request_id"], r.headers["x-request-id"])

    def test_route_that_creates_nothing_ignores_the_key(self):
        cust, admin = self.admin_of_new_customer()
        inv = self.invite(admin, f"{self.uniq('resend')}@{cust['slug']}.example")
        key = self.key()
        r1 = self.post(admin, f"/invites/{inv['id']}/resend", None, key)
        r2 = self.post(admin, f"/invites/{inv['id']}/resend", None, key)
        self.assertEqual((r1.status, r2.status), (200, 200), (r1, r2))
        self.assertEqual((r1.json["invite"]["sent_count"], r2.json["invite"]["sent_count"]), (2, 3))
        self.assertNotIn("idempotent-replayed", r2.headers)
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '{key}'"), 0)

    def test_refusal_is_not_kept_and_a_retry_runs_again(self):
        cust, admin = self.admin_of_new_customer()
        key, body = self.key(), {"email": "not-an-email", "role": "customer_member"}
        r1, r2 = self.post(admin, "/invites", body, key), self.post(admin, "/invites", body, key)
        self.assertEqual((r1.status, r2.status), (422, 422))
        self.assertNotIn("idempotent-replayed", r2.headers)
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '{key}'"), 0)
        # A corrected request under the same key then goes through.
        body["email"] = f"{self.uniq('fixed')}@{cust['slug']}.example"
        self.assertEqual(self.post(admin, "/invites", body, key).status, 201)

    def concurrently(self, n, fn):
        results, barrier = [None] * n, threading.Barrier(n)

        def run(i):
            barrier.wait()
            results[i] = fn()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return results

    def test_concurrent_requests_with_one_key_create_one_row(self):
        cust, admin = self.admin_of_new_customer()
        key = self.key()
        rs = self.concurrently(8, lambda: self.support(admin, "at once", key))
        self.assertEqual({r.status for r in rs}, {201}, rs)
        self.assertEqual(len({r.json["support_request"]["id"] for r in rs}), 1, rs)
        self.assertEqual(sum("idempotent-replayed" not in r.headers for r in rs), 1, [r.headers for r in rs])
        self.assertEqual(self.support_rows(cust), 1)
        # An invite: the losers also meet the pending invite's own conflict, and still replay.
        email, key = f"{self.uniq('race')}@{cust['slug']}.example", self.key()
        rs = self.concurrently(8, lambda: self.post(admin, "/invites", {"email": email, "role": "customer_member"}, key))
        self.assertEqual({r.status for r in rs}, {201}, rs)
        self.assertEqual(len({r.json["invite"]["id"] for r in rs}), 1, rs)
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM invites WHERE email = '{email}'"), 1)

    def test_zz_key_is_new_after_24_hours(self):
        """Named to run last in the class: it moves the stack's clock a day ahead."""
        cust, admin = self.admin_of_new_customer()
        name = admin.call("GET", "/session").json["user"]["username"]
        key = self.key()
        first = self.support(admin, "a day apart", key)
        self.assertEqual(first.status, 201, first)
        self.st.advance_clock(DAY - 60)
        admin = self.signed_in(name, PASSWORD + "x")           # sessions idled out meanwhile
        self.assertReplay(first, self.support(admin, "a day apart", key))
        self.st.advance_clock(61)
        admin = self.signed_in(name, PASSWORD + "x")
        again = self.support(admin, "a day apart", key)
        self.assertEqual(again.status, 201, again)
        self.assertNotIn("idempotent-replayed", again.headers)
        self.assertNotEqual(again.json["support_request"]["id"], first.json["support_request"]["id"])
        # Its row was replaced: a different request under the key is refused from now on.
        self.assertEqual(self.support(admin, "something else", key).code, "idempotency_key_reused")
        self.assertEqual(self.support_rows(cust), 2)
        type(self).ops_client = self.op_signin("opsadmin", OPS_PASSWORD)

    def test_mailer_sweeps_keys_older_than_a_day_in_batches(self):
        old, fresh = self.key(), self.key()
        self.sql("INSERT INTO idempotency_keys (realm, principal_id, idem_key, request_hash, status, answer, "
                 f"created_at) SELECT 0, 900000 + seq, '{old}', REPEAT('0', 64), 201, 'x', NOW(6) - INTERVAL 25 HOUR "
                 f"FROM seq_1_to_2500")
        self.sql("INSERT INTO idempotency_keys (realm, principal_id, idem_key, request_hash, status, answer, "
                 f"created_at) VALUES (0, 900000, '{fresh}', REPEAT('0', 64), 201, 'x', NOW(6))")
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '{old}'"), 2500)
        self.st.stop_mailer()
        self.st.start_mailer()              # the mailer sweeps on its first round
        stack.wait_for(lambda: self.count(f"SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '{old}'") == 0,
                       20, "old keys swept")
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '{fresh}'"), 1)

    def test_mailer_sweeps_pending_sso_requests_a_day_past_expiry(self):
        """The same sweep (one batched-delete helper) drops pending SSO requests a day past their
        expiry, in batches; one expired an hour ago stays, so its late callback still reads
        "expired" rather than "unknown"."""
        self.admin_of_new_customer()
        tag = f"{os.getpid():x}{time.time_ns():x}"[:20]
        rows = ("SELECT LPAD(CONCAT('{tag}', {n}), 64, '0'), REPEAT('b', 64), (SELECT MIN(id) FROM customers), "
                "'signin', 'oidc', 1, NOW(6) - INTERVAL {age}, NOW(6) - INTERVAL {age} + INTERVAL 10 MINUTE")
        cols = "INSERT INTO sso_pending (state_hash, browser_hash, customer_id, purpose, protocol, version, " \
               "created_at, expires_at) "
        self.sql(cols + rows.format(tag=tag + "o", n="seq", age="25 HOUR") + " FROM seq_1_to_2500")
        self.sql(cols + rows.format(tag=tag + "h", n="1", age="1 HOUR"))
        self.sql(cols + rows.format(tag=tag + "f", n="1", age="1 MINUTE"))

        def left(kind):
            return self.count(f"SELECT COUNT(*) FROM sso_pending WHERE state_hash LIKE '%{tag}{kind}%'")
        self.assertEqual((left("o"), left("h"), left("f")), (2500, 1, 1))
        self.st.stop_mailer()
        self.st.start_mailer()              # the mailer sweeps on its first round
        stack.wait_for(lambda: left("o") == 0, 20, "old pending requests swept")
        self.assertEqual((left("h"), left("f")), (1, 1))


class RouteFamilyTests(IdemBase):
    """Every creating route family: the retry replays the first answer (a one-time link or a
    temporary password included, since the client may have lost it) and creates nothing; the
    stored answer is sealed, so neither the secret nor any plain field is readable in MariaDB."""

    def ready_admin(self):
        """A customer whose checklist is ready (so Create answers 202) and its signed-in admin."""
        from test_setup import CONTACT, launch_date
        cust, admin = self.admin_of_new_customer()
        r = admin.call("PATCH", "/account", {
            "version": 0, "legal_name": f"{cust['name']} GmbH", "support_contact": CONTACT,
            "billing_contact": CONTACT, "technical_contact": CONTACT, "ai_provider": "none",
            "workspace_preferences": "One workspace.", "target_launch": launch_date()})
        self.assertEqual(r.status, 200, r)
        reviews = self.ops_client.call("GET", f"/reviews?state=pending&customer={cust['id']}").json["reviews"]
        for rv in reviews:
            self.assertEqual(self.ops_client.call("POST", f"/reviews/{rv['id']}/decision",
                                                  {"decision": "approve"}).status, 200)
        ctx = self.ops_client.call("GET", f"/customers/{cust['id']}").json["context"]
        r = self.ops_client.call("PUT", f"/customers/{cust['id']}/workspace-target", {
            "target_name": "pool-1", "runtime_capacity": "8 vCPU", "template_aliases": ["python-3.12"],
            "coder_access": "https://coder.vendor.test", "ready": True, "version": ctx["version"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(admin.call("PUT", "/sso", {"protocol": "not_required", "version": 0}).status, 200)
        self.new_user(cust)
        self.assertTrue(admin.call("GET", "/checklist").json["ready"])
        return cust, admin

    def families(self):
        """(name, client, path, body, status, SQL counting what the route creates, secret field)."""
        cust, admin = self.admin_of_new_customer()
        wcust, wadmin = self.ready_admin()
        member = self.new_user(cust)["user"]
        slug, user, op = self.uniq("idemcust"), self.uniq("idemuser"), self.uniq("idemop")
        inv, setup = f"{self.uniq('inv')}@{cust['slug']}.example", f"{self.uniq('it')}@{cust['slug']}.example"
        ainv = f"{self.uniq('ainv')}@{cust['slug']}.example"
        ops = self.ops_client
        return [
            ("invites", admin, "/invites", {"email": inv, "role": "customer_member"}, 201,
             f"SELECT COUNT(*) FROM invites WHERE email = '{inv}'", None),
            ("support requests", admin, "/support-requests", {"message": "please help"}, 201,
             f"SELECT COUNT(*) FROM support_requests WHERE customer_id = {cust['id']}", None),
            ("SSO setup links", admin, "/sso/setup-links", {"email": setup}, 201,
             f"SELECT COUNT(*) FROM sso_setup_links WHERE email = '{setup}'", None),
            ("workspaces", wadmin, "/workspaces", {"name": "first-one"}, 202,
             f"SELECT COUNT(*) FROM workspace_requests WHERE customer_id = {wcust['id']}", None),
            ("operator: customers", ops, "/customers",
             {"slug": slug, "name": f"{slug} Ltd", "admin_email": f"boss@{slug}.example"}, 201,
             f"SELECT COUNT(*) FROM customers WHERE slug = '{slug}'", "admin_invite_link"),
            ("operator: admin invites", ops, f"/customers/{cust['id']}/admin-invite", {"email": ainv}, 201,
             f"SELECT COUNT(*) FROM invites WHERE email = '{ainv}'", "admin_invite_link"),
            ("operator: users", ops, "/users",
             {"customer": cust["slug"], "username": user, "email": f"{user}@example.test", "role": "customer_member"},
             201, f"SELECT COUNT(*) FROM users WHERE username = '{user}'", "temporary_password"),
            ("operator: reset links", ops, f"/users/{member['id']}/reset-password-link", None, 201,
             f"SELECT COUNT(*) FROM password_resets WHERE user_id = {member['id']}", "reset_link"),
            ("operator: operators", ops, "/operators", {"username": op, "email": f"{op}@vendor.test"}, 201,
             f"SELECT COUNT(*) FROM operators WHERE username = '{op}'", "temporary_password"),
        ]

    def test_every_creating_route_family_replays(self):
        for name, client, path, body, status, counting, secret in self.families():
            with self.subTest(route=name):
                key = self.key()
                first = self.post(client, path, body, key)
                self.assertEqual(first.status, status, first)
                self.assertEqual(self.count(counting), 1)
                second = self.post(client, path, body, key)
                self.assertReplay(first, second)
                self.assertEqual(self.count(counting), 1)
                stored = self.sql(f"SELECT answer FROM idempotency_keys WHERE idem_key = '{key}'")
                if secret:
                    self.assertIn(secret, first.json, first)
                    self.assertNotIn(first.json[secret], stored)
                self.assertNotIn("{", stored)        # sealed: no JSON, no field readable


class CommitCatcher:
    """A unix-socket relay in front of MariaDB that, when armed, lets the first COMMIT a worker
    sends reach the server, waits for the server's answer (so the transaction is committed) and
    holds that answer back, then reports the worker's pid: the test kills that worker, which so
    dies after its commit and before its reply, as a crash in between would."""

    def __init__(self, path, upstream):
        self.path, self.upstream = path, upstream
        self.is_worker = lambda pid: False
        self.armed = False
        self.caught = None
        self.event = threading.Event()
        self.lock = threading.Lock()
        self.socks = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(path, 0o777)
        self.listener.listen(128)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            pid = struct.unpack("3i", client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                        struct.calcsize("3i")))[0]
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                server.connect(self.upstream)
            except OSError:
                server.close()
                client.close()
                continue
            with self.lock:
                self.socks += [client, server]
            conn = {"pid": pid, "hold": False}
            threading.Thread(target=self._pump, args=(client, server, conn, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, conn, False), daemon=True).start()

    def _pump(self, src, dst, conn, upward):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if upward and b"\x03COMMIT" in data:
                    with self.lock:
                        if self.armed and self.is_worker(conn["pid"]):
                            self.armed, conn["hold"] = False, True
                if not upward and conn["hold"]:
                    self.caught = conn["pid"]
                    self.event.set()
                    return              # the committed answer never reaches the worker
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.listener.close()
        with self.lock:
            for s in self.socks:
                try:
                    s.close()
                except OSError:
                    pass


class LostAnswerTests(RelayedDb, IdemBase):
    relay_class = CommitCatcher

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.proxy.is_worker = lambda pid: pid in cls.st.worker_pids()

    def test_worker_killed_after_commit_then_retry_gets_the_answer(self):
        cust, admin = self.admin_of_new_customer()
        email, key = f"{self.uniq('lost')}@{cust['slug']}.example", self.key()
        body = {"email": email, "role": "customer_member"}
        out = {}
        self.proxy.event.clear()
        self.proxy.armed = True
        t = threading.Thread(target=lambda: out.setdefault("r", self.post(admin, "/invites", body, key)))
        t.start()
        self.assertTrue(self.proxy.event.wait(20), "no worker COMMIT seen")
        os.kill(self.proxy.caught, 9)
        t.join(30)
        self.assertGreaterEqual(out["r"].status, 500, out["r"])          # the client saw it fail
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM invites WHERE email = '{email}'"), 1)   # committed
        stack.wait_for(lambda: len(self.st.worker_pids()) == 2, 20, "the worker respawned")
        retry = self.post(admin, "/invites", body, key)
        self.assertEqual(retry.status, 201, retry)
        self.assertEqual(retry.headers.get("idempotent-replayed"), "true", retry.headers)
        row = self.sql(f"SELECT id FROM invites WHERE email = '{email}'").split()[-1]
        self.assertEqual(retry.json["invite"]["id"], row)
        self.assertEqual(self.count(f"SELECT COUNT(*) FROM invites WHERE email = '{email}'"), 1)
