"""The audit trail as people read it (issue 16 item 12): names instead of ids, per-field
before -> after for every edit, internal notes only as "changed", nothing for a save that
changes nothing, filters by actor, action, object, customer and time, and the CSV / JSON-lines
export with spreadsheet-safe cells."""

import csv
import io
import json
import time

from harness import Env, served_plan
from identity_client import operator
from test_setup import CONTACT, SetupBase


def changes(entry):
    """{field: (before, after)} of an entry; redacted fields as 'changed'."""
    return {c["field"]: "changed" if c.get("redacted") else (c["before"], c["after"]) for c in entry["changes"]}


class AuditBase(SetupBase):
    def trail(self, **query):
        q = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
        r = self.ops_client.call("GET", f"/audit?{q}")
        self.assertEqual(r.status, 200, r)
        return r.json["entries"]

    def newest(self, cust, action):
        entries = self.trail(customer=cust["id"], action=action)
        self.assertTrue(entries, f"no {action} entry")
        return entries[0]

    def count(self, cust, action=None):
        return len(self.trail(customer=cust["id"], action=action))


class DiffTests(AuditBase):
    def test_details_edit_names_the_fields_with_values(self):
        cust, admin = self.fresh()
        me = admin.call("GET", "/session").json["user"]
        v = admin.call("GET", "/account").json["version"]
        r = admin.call("PATCH", "/account", {"version": v, "billing_contact": dict(CONTACT, email="bills@acme.example"),
                                             "operating_name": "Acme Ops"})
        self.assertEqual(r.status, 200, r)
        e = self.newest(cust, "account.update")
        self.assertEqual(changes(e), {"billing_contact.email": ("nora@acme.example", "bills@acme.example"),
                                      "operating_name": (None, "Acme Ops")})
        # Names, not ids: who, which customer, which object.
        self.assertEqual((e["actor"], e["actor_type"]), (me["username"], "user"))
        self.assertEqual((e["customer_name"], e["customer_slug"]), (cust["name"], cust["slug"]))
        self.assertEqual((e["object_type"], e["object_label"]), ("customer", cust["name"]))

    def test_sso_draft_context_seats_role_blockers_banner(self):
        cust, admin = self.fresh()
        base = f"/customers/{cust['id']}"
        r = admin.call("PUT", "/sso", {"protocol": "oidc", "discovery_url": "https://idp.acme.example",
                                       "email_domains": ["acme.example"], "version": 0})
        self.assertEqual(r.status, 200, r)
        r = admin.call("PUT", "/sso", {"protocol": "oidc", "discovery_url": "https://idp.acme.example",
                                       "email_domains": ["acme.example", "acme.test"], "version": r.json["version"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(changes(self.newest(cust, "sso.update")),
                         {"email_domains": (["acme.example"], ["acme.example", "acme.test"])})

        ctx = self.context(cust)
        r = self.ops_client.call("PUT", f"{base}/billing", {"state": "prepaid", "prepaid_balance_cents": 1500,
                                                           "version": ctx["version"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(changes(self.newest(cust, "customer.billing")),
                         {"billing_state": ("trial_requested", "prepaid"), "prepaid_balance_cents": (0, 1500)})
        r = self.ops_client.call("PUT", f"{base}/workspace-target", {"target_name": "eu-1", "version": r.json["version"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(changes(self.newest(cust, "customer.workspace_target")), {"target_name": (None, "eu-1")})
        r = self.ops_client.call("PUT", f"{base}/provider-setup", {"mode": "own_account", "version": r.json["version"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(changes(self.newest(cust, "customer.provider_setup")),
                         {"provider_mode": (None, "own_account")})

        r = self.ops_client.call("PATCH", base, {"seat_limit": 12, "name": "Renamed Ltd"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(changes(self.newest(cust, "customer.update")),
                         {"seat_limit": (10, 12), "name": (cust["name"], "Renamed Ltd")})

        m = self.new_user(cust)["user"]
        r = admin.call("PATCH", f"/users/{m['id']}", {"role": "customer_admin"})
        self.assertEqual(r.status, 200, r)
        e = self.newest(cust, "user.role_change")
        self.assertEqual(changes(e)["role"], ("customer_member", "customer_admin"))
        self.assertEqual((e["object_type"], e["object_label"]), ("user", m["username"]))

        blocker = {"item": "workspace_target", "category": "target_readiness", "message": "Pool full."}
        self.assertEqual(self.ops_client.call("PUT", f"{base}/blockers", {"blockers": [blocker]}).status, 200)
        r = self.ops_client.call("PUT", f"{base}/blockers", {"blockers": [dict(blocker, message="Pool full till 3rd.")]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(changes(self.newest(cust, "customer.blockers")),
                         {"blockers.workspace_target.message": ("Pool full.", "Pool full till 3rd.")})

        self.assertEqual(self.ops_client.call("PUT", "/banner", {"message": "Maintenance at 22:00"}).status, 200)
        self.assertEqual(self.ops_client.call("PUT", "/banner", {"message": "Maintenance at 23:00"}).status, 200)
        e = self.trail(action="banner.set")[0]
        self.assertEqual(changes(e), {"message": ("Maintenance at 22:00", "Maintenance at 23:00")})
        self.assertEqual(self.ops_client.call("PUT", "/banner", {"message": ""}).status, 200)

    def test_internal_notes_appear_only_as_changed(self):
        cust, _ = self.fresh()
        base = f"/customers/{cust['id']}"
        canary1, canary2 = "CANARY-notes-7f3a renewal at risk", "CANARY-notes-9b2c call Bob"
        r = self.ops_client.call("PUT", f"{base}/internal-notes", {"body": canary1, "version": 0})
        self.assertEqual(r.status, 200, r)
        r = self.ops_client.call("PUT", f"{base}/internal-notes", {"body": canary2, "version": r.json["version"]})
        self.assertEqual(r.status, 200, r)
        entries = self.trail(customer=cust["id"], action="customer.internal_notes")
        self.assertEqual([changes(e) for e in entries], [{"body": "changed"}, {"body": "changed"}])
        # Nowhere: not in the list, the stored rows, either export.
        listed = self.ops_client.call("GET", f"/audit?customer={cust['id']}").body
        exports = [self.ops_client.call("GET", f"/audit/export?customer={cust['id']}&format={f}").body
                   for f in ("csv", "jsonl")]
        rows = self.sql("SELECT before_json, after_json FROM audit_log")
        for text in [listed.decode(), rows] + [x.decode() for x in exports]:
            self.assertNotIn("CANARY-notes", text)


class NoOpTests(AuditBase):
    def test_saves_that_change_nothing_record_nothing(self):
        cust, admin = self.fresh()
        base = f"/customers/{cust['id']}"
        acct = admin.call("GET", "/account").json
        before = self.count(cust)
        r = admin.call("PATCH", "/account", {"version": acct["version"], "legal_name": acct["legal_name"],
                                             "billing_contact": acct["billing_contact"]})
        self.assertEqual(r.status, 200, r)
        # The contract: the answer is the stored document, and its version did not move.
        self.assertEqual((r.json["version"], r.json["legal_name"]), (acct["version"], acct["legal_name"]))
        # A stale version is still refused, change or not.
        self.assertEqual(admin.call("PATCH", "/account", {"version": acct["version"] - 1}).code, "version_conflict")

        sso = admin.call("PUT", "/sso", {"protocol": "not_required", "version": 0}).json
        after_sso = self.count(cust)
        r = admin.call("PUT", "/sso", {"protocol": "not_required", "version": sso["version"]})
        self.assertEqual((r.status, r.json["version"]), (200, sso["version"]), r)

        ctx = self.context(cust)
        r = self.ops_client.call("PUT", f"{base}/billing", {"state": ctx["billing_state"], "version": ctx["version"]})
        self.assertEqual((r.status, r.json["version"]), (200, ctx["version"]), r)
        r = self.ops_client.call("PUT", f"{base}/internal-notes", {"body": "", "version": 0})
        self.assertEqual((r.status, r.json["version"]), (200, 0), r)
        r = self.ops_client.call("PATCH", base, {"seat_limit": 10, "name": cust["name"]})
        self.assertEqual(r.status, 200, r)
        m = self.new_user(cust)["user"]
        after_user = self.count(cust)
        r = admin.call("PATCH", f"/users/{m['id']}", {"role": "customer_member"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.ops_client.call("PUT", f"{base}/blockers", {"blockers": []}).status, 200)
        # Nothing was recorded except the two real changes (the first SSO save and the new user).
        self.assertEqual(after_sso, before + 1)
        self.assertEqual(self.count(cust), after_user)
        self.assertEqual(after_user, after_sso + 1)

    def test_banner_cleared_twice_records_once(self):
        self.assertEqual(self.ops_client.call("PUT", "/banner", {"message": "Hello"}).status, 200)
        n = len(self.trail(action="banner."))
        self.assertEqual(self.ops_client.call("PUT", "/banner", {"message": "Hello"}).status, 200)
        self.assertEqual(self.ops_client.call("PUT", "/banner", {"message": ""}).status, 200)
        self.assertEqual(self.ops_client.call("PUT", "/banner", {"message": ""}).status, 200)
        self.assertEqual(len(self.trail(action="banner.")), n + 1)


class FilterTests(AuditBase):
    def test_each_filter(self):
        cust, admin = self.fresh()
        other, _ = self.fresh()
        me = admin.call("GET", "/session").json["user"]
        m = self.new_user(cust)["user"]
        self.ops_client.call("POST", f"/users/{m['id']}/suspend")
        ops = self.ops_client.call("GET", "/session").json["operator"]

        mine = self.trail(customer=cust["id"])
        self.assertTrue(mine and all(e["customer_id"] == cust["id"] for e in mine))
        by_name = self.trail(actor=me["username"])
        self.assertTrue(by_name and all(e["actor"] == me["username"] for e in by_name))
        by_id = self.trail(actor_type="operator", actor_id=ops["id"], customer=cust["id"])
        self.assertTrue(by_id and all(e["actor_type"] == "operator" and e["actor_id"] == ops["id"] for e in by_id))
        self.assertEqual({e["action"] for e in self.trail(action="user.suspend", customer=cust["id"])}, {"user.suspend"})
        prefix = {e["action"] for e in self.trail(action="user.", customer=cust["id"])}
        self.assertTrue(prefix and all(a.startswith("user.") for a in prefix), prefix)
        self.assertIn("user.suspend", prefix)
        obj = self.trail(object_type="user", object_id=m["id"])
        self.assertEqual({e["action"] for e in obj}, {"user.create", "user.suspend"})
        self.assertTrue(all(e["object_label"] == m["username"] for e in obj))
        self.assertNotIn(other["id"], {e["customer_id"] for e in mine})

    def test_time_range_and_paging(self):
        # Three entries an hour apart in 2020 (inserting is what append-only allows).
        self.sql("INSERT INTO audit_log (actor_type, actor_label, action, at) VALUES "
                 "('system', 'clock', 'test.timed', '2020-03-01 10:00:00'), "
                 "('system', 'clock', 'test.timed', '2020-03-01 11:00:00'), "
                 "('system', 'clock', 'test.timed', '2020-03-01 12:00:00')")
        ats = lambda **q: [e["at"] for e in self.trail(action="test.timed", **q)]  # noqa: E731
        self.assertEqual(ats(), ["2020-03-01T12:00:00Z", "2020-03-01T11:00:00Z", "2020-03-01T10:00:00Z"])
        self.assertEqual(ats(after="2020-03-01T10:30:00Z"), ["2020-03-01T12:00:00Z", "2020-03-01T11:00:00Z"])
        self.assertEqual(ats(before="2020-03-01T12:00:00Z"), ["2020-03-01T11:00:00Z", "2020-03-01T10:00:00Z"])
        self.assertEqual(ats(after="2020-03-01T10:30:00Z", before="2020-03-01T11:30:00Z"), ["2020-03-01T11:00:00Z"])
        self.assertEqual(ats(after="2020-03-01T13:00:00%2B02:00"), ["2020-03-01T12:00:00Z", "2020-03-01T11:00:00Z"])
        # Pages: next_before as before (an id) or before_id (with a time range).
        r = self.ops_client.call("GET", "/audit?action=test.timed&limit=2").json
        self.assertEqual(len(r["entries"]), 2)
        self.assertEqual(ats(before=r["next_before"]), ["2020-03-01T10:00:00Z"])
        self.assertEqual(ats(before_id=r["next_before"], after="2020-01-01T00:00:00Z"), ["2020-03-01T10:00:00Z"])

    def test_bad_filters_are_refused_by_name(self):
        for q, word in (("colour=red", "colour"), ("after=yesterday", "after"), ("before=soon", "before"),
                        ("actor_id=3", "actor_type"), ("action=user%25", "action"), ("object_id=3", "object_type"),
                        ("after=2020-01-02T00:00:00Z&before=2020-01-01T00:00:00Z", "before"),
                        ("customer=x", "customer"), ("limit=0", "limit")):
            with self.subTest(q=q):
                r = self.ops_client.call("GET", f"/audit?{q}")
                self.assertEqual((r).code, "bad_request")
                self.assertIn(word, r.json["error"]["message"])

    def test_filters_read_their_index(self):
        """EXPLAIN of the statement the server ran, per filter, over 40,000 entries: each reads its index
        (measured: actor 80 rows, actor id 80, action 1,000 (exact and prefix), object 40, customer 134,
        one hour 60; a prefix that matches everything reads the primary key newest first instead)."""
        if Env.db.sql("SELECT COUNT(*) FROM information_schema.engines WHERE engine = 'SEQUENCE'"
                      ).split()[-1] != "1":
            self.skipTest("no SEQUENCE engine to generate entries with")
        self.sql("INSERT INTO audit_log (actor_type, actor_id, actor_label, customer_id, action, object_type, "
                 "object_id, at) SELECT IF(seq MOD 2, 'user', 'operator'), seq MOD 500, CONCAT('bulk', seq MOD 500), "
                 "seq MOD 300 + 100000, CONCAT('bulk.a', seq MOD 40, '.x'), 'user', seq MOD 1000, "
                 "'2019-01-01' + INTERVAL seq MINUTE FROM seq_1_to_40000; ANALYZE TABLE audit_log;")
        cases = {"actor=bulk7": "audit_actor_label", "actor_type=user&actor_id=7": "audit_actor",
                 "action=bulk.a7.x": "audit_action", "action=bulk.a7.": "audit_action",
                 "object_type=user&object_id=77": "audit_object", "customer=100007": "audit_customer",
                 "after=2019-01-02T00:00:00Z&before=2019-01-02T01:00:00Z": "audit_at"}
        for q, index in cases.items():
            with self.subTest(q=q):
                plan = self.plan_of(q)
                self.assertEqual(plan.get("key"), index, plan)
                self.assertNotEqual(plan.get("access_type"), "ALL", plan)
                self.assertLess(plan.get("rows", 0), 5000, plan)

    def plan_of(self, q):
        statement, tables = served_plan(self.st.db_name, lambda: self.assertEqual(
            self.ops_client.call("GET", f"/audit?{q}&limit=50").status, 200), "%FROM audit_log a%")
        self.assertIn("audit_log a", statement)
        return tables["a"][0]

class ExportTests(AuditBase):
    def test_csv_quotes_and_defuses_formulas(self):
        slug = self.uniq("csv")
        name = '=HYPERLINK("http://evil.test","x"), "quoted"\nnext line'
        r = self.ops_client.call("POST", "/customers", {"slug": slug, "name": name, "seat_limit": 3})
        self.assertEqual(r.status, 201, r)
        cust = r.json["customer"]
        for cell_start in ("+1+1", "-2", "@SUM(A1)"):
            self.assertEqual(self.ops_client.call("PATCH", f"/customers/{cust['id']}", {"name": cell_start}).status, 200)
        r = self.ops_client.call("GET", f"/audit/export?customer={cust['id']}&format=csv")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("text/csv"), r.headers)
        self.assertIn("attachment", r.headers["content-disposition"])
        rows = list(csv.DictReader(io.StringIO(r.body.decode(), newline="")))
        listed = self.trail(customer=cust["id"])
        self.assertEqual([row["id"] for row in rows], [str(e["id"]) for e in listed])
        # Every cell that a spreadsheet would run starts with ' instead; the text round-trips otherwise.
        self.assertEqual({row["customer_name"] for row in rows}, {"'@SUM(A1)"})
        create = [row for row in rows if row["action"] == "customer.create"][0]
        self.assertEqual(create["object_label"], "'@SUM(A1)")
        edits = [row["changes"] for row in rows if row["action"] == "customer.update"]
        self.assertEqual(edits[-1], f"name: {name} \u2192 +1+1")
        for row in rows:
            for v in row.values():
                self.assertFalse(v[:1] in ("=", "+", "-", "@"), row)
        # The raw text: every cell quoted, quotes doubled.
        self.assertIn('""http://evil.test""', r.body.decode())

    def test_jsonl_time_range_and_cap(self):
        self.sql("INSERT INTO audit_log (actor_type, actor_label, action, at) VALUES "
                 + ", ".join(f"('system', 'clock', 'test.export', '2021-05-0{d} 08:00:00')" for d in range(1, 6)))
        r = self.ops_client.call("GET", "/audit/export?format=jsonl&after=2021-05-02T00:00:00Z"
                                        "&before=2021-05-05T00:00:00Z&action=test.export")
        self.assertEqual(r.status, 200, r)
        lines = [json.loads(x) for x in r.body.decode().splitlines()]
        self.assertEqual([e["at"] for e in lines], [f"2021-05-0{d}T08:00:00Z" for d in (4, 3, 2)])
        self.assertEqual(lines[0]["actor"], "clock")
        self.assertNotIn("x-audit-next-before", r.headers)
        # A capped export stops at a whole row and says where to go on.
        r = self.ops_client.call("GET", "/audit/export?format=jsonl&action=test.export&limit=2")
        first = [json.loads(x)["at"] for x in r.body.decode().splitlines()]
        self.assertEqual(first, ["2021-05-05T08:00:00Z", "2021-05-04T08:00:00Z"])
        nxt = r.headers["x-audit-next-before"]
        r = self.ops_client.call("GET", f"/audit/export?format=jsonl&action=test.export&before_id={nxt}")
        self.assertEqual([json.loads(x)["at"] for x in r.body.decode().splitlines()],
                         [f"2021-05-0{d}T08:00:00Z" for d in (3, 2, 1)])
        self.assertEqual((self.ops_client.call("GET", "/audit/export?format=xlsx")).code, "bad_request")

    def test_auditors_export_customers_cannot(self):
        r = self.ops_client.call("POST", "/operators", {"username": self.uniq("aud"), "email": f"{self.uniq('a')}@v.test",
                                                         "role": "auditor", "password": "Auditor-Pass-2026-x"})
        self.assertEqual(r.status, 201, r)
        aud = self.op_signin(r.json["operator"]["username"], "Auditor-Pass-2026-x")
        self.assertEqual(aud.call("GET", "/audit/export?format=csv").status, 200)
        _, admin = self.fresh()
        self.assertEqual(admin.call("GET", "/audit/export").status, 404)
        self.assertEqual(operator(self.st).call("GET", "/audit/export").status, 401)
