"""The workers' checklist facts cache (issue 15, docs/architecture.md): every write a customer or
an operator makes shows on the very next GET /checklist through every worker.

Each worker keeps a customer's facts under the customer's facts version, which triggers bump in
the transaction of every write the checklist reads (sql/019). Each test first reads the checklist
often enough that every worker has the customer cached (the stack has WORKERS workers, and each
read goes to whichever worker accepts it first), makes one write, then checks every one of READS
reads, and that the version moved. Without a trigger the cached workers answer the old state.
"""

from harness import Env
from test_identity import PASSWORD
from test_setup import CONTACT, SetupBase, launch_date

WORKERS = 3
READS = 4 * WORKERS
INVITE_TTL_S = 120


class ChecklistCacheTests(SetupBase):
    workers = WORKERS
    extra_config = dict(SetupBase.extra_config, invite_ttl_s=str(INVITE_TTL_S))
    # READS reads around every write from one address: nginx's 50 r/s per address would answer 429.
    stack_kw = {"rate": "100000r/s", "burst": 100000}

    def version(self, cust):
        out = self.sql(f"SELECT COALESCE(MAX(version), 0) FROM customer_facts WHERE customer_id = {int(cust['id'])}")
        return int(out.split()[-1])

    def states(self, client, key):
        """The item's state on READS reads (a set: one element when every worker agrees)."""
        seen = set()
        for _ in range(READS):
            items, _ = self.items(client)
            seen.add(items[key]["state"])
        return seen

    def write_shows(self, cust, reader, key, before, after, write):
        """reader sees key in state before on every read, write() runs, then after on every read."""
        self.assertEqual(self.states(reader, key), {before})
        v = self.version(cust)
        write()
        self.assertGreater(self.version(cust), v, "the write did not bump the facts version")
        self.assertEqual(self.states(reader, key), {after})

    def admin_of(self, cust):
        return self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])

    def ok(self, r, status=200):
        self.assertEqual(r.status, status, r)
        return r

    def test_details_save(self):
        cust = self.new_customer()
        admin = self.admin_of(cust)
        self.write_shows(cust, admin, "contacts", "todo", "done", lambda: self.ok(admin.call("PATCH", "/account", {
            "version": 0, "legal_name": "Acme GmbH", "support_contact": CONTACT, "billing_contact": CONTACT,
            "technical_contact": CONTACT, "ai_provider": "none", "workspace_preferences": "One.",
            "target_launch": launch_date()})))

    def test_account_document_follows_every_details_change(self):
        """GET /account is kept under the same version: every worker shows each save at once."""
        cust = self.new_customer()
        admin = self.admin_of(cust)
        for version, name in enumerate(("Acme GmbH", "Acme Holding GmbH", "Acme AG")):
            seen = {self.ok(admin.call("GET", "/account")).json["legal_name"] for _ in range(READS)}
            self.assertEqual(len(seen), 1, seen)
            self.ok(admin.call("PATCH", "/account", {"version": version, "legal_name": name}))
            seen = {(r.json["legal_name"], r.json["version"])
                    for r in (self.ok(admin.call("GET", "/account")) for _ in range(READS))}
            self.assertEqual(seen, {(name, version + 1)})

    def test_invite_create_revoke_and_accept(self):
        cust = self.new_customer()
        admin = self.admin_of(cust)
        created = {}

        def create():
            r = self.ok(admin.call("POST", "/invites", {"email": f"m@{cust['slug']}.example",
                                                        "role": "customer_member"}), 201)
            created.update(r.json["invite"])
        self.write_shows(cust, admin, "members", "todo", "done", create)
        self.write_shows(cust, admin, "members", "done", "todo",
                         lambda: self.ok(admin.call("DELETE", f"/invites/{created['id']}")))
        # Accepting turns a pending invite into a member: the item stays done, the version moves.
        v = self.version(cust)
        self.new_user(cust)
        self.assertGreater(self.version(cust), v)

    def test_invite_expiry_on_the_test_clock(self):
        cust = self.new_customer()
        admin = self.admin_of(cust)
        self.ok(admin.call("POST", "/invites", {"email": f"e@{cust['slug']}.example", "role": "customer_member"}), 201)
        self.assertEqual(self.states(admin, "members"), {"done"})
        # No write at all: the copies end at the invite's expiry (valid_until), on the request's clock.
        self.st.advance_clock(INVITE_TTL_S + 1)
        self.assertEqual(self.states(admin, "members"), {"todo"})

    def test_operator_suspends_and_activates_the_admin(self):
        cust = self.new_customer()
        admin_user = self.new_user(cust, role="customer_admin")["user"]
        self.first_signin(admin_user["username"])
        member = self.first_signin(self.new_user(cust)["user"]["username"])
        self.new_user(cust, role="customer_admin")      # never signed in; keeps A from being the last admin
        self.write_shows(cust, member, "admin_signin", "done", "todo",
                         lambda: self.ok(self.ops_client.call("POST", f"/users/{admin_user['id']}/suspend")))
        self.write_shows(cust, member, "admin_signin", "todo", "done",
                         lambda: self.ok(self.ops_client.call("POST", f"/users/{admin_user['id']}/activate")))

    def test_role_change_and_deactivation(self):
        cust = self.new_customer()
        admin = self.admin_of(cust)
        m = self.new_user(cust)["user"]
        v = self.version(cust)
        self.ok(admin.call("PATCH", f"/users/{m['id']}", {"role": "customer_admin", "version": m["version"]}))
        self.assertGreater(self.version(cust), v)
        self.write_shows(cust, admin, "members", "done", "todo",
                         lambda: self.ok(self.ops_client.call("DELETE", f"/users/{m['id']}")))

    def test_sso_draft_save(self):
        cust = self.new_customer()
        admin = self.admin_of(cust)
        self.write_shows(cust, admin, "sso", "todo", "not_required",
                         lambda: self.ok(admin.call("PUT", "/sso", {"protocol": "not_required", "version": 0})))

    def test_operator_context_blockers_and_review_decision(self):
        cust, admin = self.fresh()
        base = f"/customers/{cust['id']}"
        billing = self.pending(cust, "billing")[0]
        self.write_shows(cust, admin, "billing", "in_review", "done",
                         lambda: self.ok(self.decide(billing["id"], "approve")))
        self.write_shows(cust, admin, "billing", "done", "blocked", lambda: self.ok(self.ops_client.call(
            "PUT", f"{base}/billing", {"state": "prepaid", "prepaid_balance_cents": 0,
                                       "version": self.context(cust)["version"]})))
        self.write_shows(cust, admin, "billing", "blocked", "done", lambda: self.ok(self.ops_client.call(
            "PUT", f"{base}/billing", {"state": "prepaid", "prepaid_balance_cents": 5000,
                                       "version": self.context(cust)["version"]})))
        blocker = {"item": "billing", "category": "billing", "message": "Card declined."}
        self.write_shows(cust, admin, "billing", "done", "done",
                         lambda: self.ok(self.ops_client.call("PUT", f"{base}/blockers", {"blockers": [blocker]})))
        target = {"item": "workspace_target", "category": "target_readiness", "message": "Pool full."}
        self.write_shows(cust, admin, "workspace_target", "in_review", "blocked",
                         lambda: self.ok(self.ops_client.call("PUT", f"{base}/blockers", {"blockers": [target]})))
        self.write_shows(cust, admin, "workspace_target", "blocked", "in_review",
                         lambda: self.ok(self.ops_client.call("PUT", f"{base}/blockers", {"blockers": []})))

    def test_seat_limit_change_bumps_and_sessions_touch_does_not(self):
        cust = self.new_customer()
        self.admin_of(cust)
        v = self.version(cust)
        self.ok(self.ops_client.call("PATCH", f"/customers/{cust['id']}", {"seat_limit": 3}))
        self.assertEqual(self.version(cust), v + 1)
        # The checklist does not read the customer's name, nor a user's last sign-in moving by minutes.
        self.ok(self.ops_client.call("PATCH", f"/customers/{cust['id']}", {"name": "Renamed Ltd"}))
        self.sql(f"UPDATE users SET last_seen_at = last_seen_at + INTERVAL 5 MINUTE WHERE customer_id = {int(cust['id'])}")
        self.assertEqual(self.version(cust), v + 1)
        self.sql(f"UPDATE users SET last_seen_at = last_seen_at + INTERVAL 2 HOUR WHERE customer_id = {int(cust['id'])}")
        self.assertEqual(self.version(cust), v + 2)
