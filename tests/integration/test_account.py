"""Account Setup, customer-owned details: validation, optimistic concurrency, the secret scanner."""

import base64
import os
import threading
import time

from harness import Env
from identity_client import customer
from test_identity import PASSWORD, IdentityBase

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAv3vbXQ\n-----END RSA PRIVATE KEY-----"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
CARD = "4111 1111 1111 1111"


class AccountTests(IdentityBase):
    def admin_and_member(self):
        cust = self.new_customer()
        admin = self.new_user(cust, role="customer_admin")["user"]
        member = self.new_user(cust)["user"]
        return cust, self.first_signin(admin["username"]), self.first_signin(member["username"])

    def test_save_read_and_validate(self):
        cust, admin, member = self.admin_and_member()
        r = admin.call("GET", "/account")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["version"], 0)
        self.assertIsNone(r.json["legal_name"])
        body = {"version": 0, "legal_name": "  Acme Holdings GmbH ", "operating_name": "Acme",
                "support_contact": {"name": "Sam Support", "email": "Support@Acme.Example", "phone": "+49 30 1234567"},
                "repository_notes": "Monorepo on GitHub (github.com/acme/platform), ticket OPS-1234.",
                "target_launch": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 40 * 86400))}
        r = admin.call("PATCH", "/account", body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["version"], 1)
        self.assertEqual(r.json["legal_name"], "Acme Holdings GmbH")
        self.assertEqual(r.json["support_contact"]["email"], "support@acme.example")
        # Members read; they cannot write.
        self.assertEqual(member.call("GET", "/account").json["operating_name"], "Acme")
        self.assertEqual(member.call("PATCH", "/account", {"version": 1, "legal_name": "x"}).code, "forbidden")
        # Omitted members keep their values; null clears.
        r = admin.call("PATCH", "/account", {"version": 1, "operating_name": None})
        self.assertEqual((r.json["operating_name"], r.json["legal_name"]), (None, "Acme Holdings GmbH"))
        bad = admin.call("PATCH", "/account", {
            "version": 2, "support_contact": {"email": "not-an-email", "phone": "call me"},
            "target_launch": "2020-01-01", "legal_name": "x" * 201})
        self.assertEqual(bad.status, 422, bad)
        codes = {f["field"]: f["code"] for f in bad.json["error"]["fields"]}
        self.assertEqual(codes, {"support_contact.email": "invalid_email", "support_contact.phone": "invalid_phone",
                                 "target_launch": "not_in_future", "legal_name": "too_long"})
        self.assertEqual(admin.call("PATCH", "/account", {"version": 2, "target_launch": "2031-02-30"}).status, 422)
        self.assertEqual(admin.call("GET", "/account").json["version"], 2)

    def test_unknown_nested_fields_are_bad_requests_with_their_path(self):
        _, admin, _ = self.admin_and_member()
        # The same answer as an unknown top-level member: 400, each path named, nothing else checked or saved.
        r = admin.call("PATCH", "/account", {
            "version": 0, "legal_name": "x" * 201,
            "billing_contact": {"name": "Bea Billing", "fax": "1"}, "technical_contact": {"pager": "2"}})
        self.assertEqual((r.status, r.code), (400, "bad_request"), r)
        fields = {(f["field"], f["code"]) for f in r.json["error"]["fields"]}
        self.assertEqual(fields, {("billing_contact.fax", "unknown_field"), ("technical_contact.pager", "unknown_field")})
        self.assertEqual(admin.call("GET", "/account").json["version"], 0)

    def test_stale_version_and_concurrent_saves(self):
        cust, admin, _ = self.admin_and_member()
        admin2 = self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])
        self.assertEqual(admin.call("PATCH", "/account", {"version": 0, "legal_name": "First"}).status, 200)
        r = admin2.call("PATCH", "/account", {"version": 0, "legal_name": "Second"})
        self.assertEqual((r.status, r.code), (409, "version_conflict"))
        self.assertEqual(admin.call("GET", "/account").json["legal_name"], "First")
        # Many concurrent saves from the same version: exactly one is acknowledged, and it is what is stored.
        results = []

        def save(i):
            r = (admin if i % 2 else admin2).call("PATCH", "/account", {"version": 1, "operating_name": f"Name {i}"})
            results.append((r.status, i))

        threads = [threading.Thread(target=save, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok = [i for status, i in results if status == 200]
        self.assertEqual(len(ok), 1, results)
        self.assertEqual(sorted(s for s, _ in results), [200] + [409] * 9)
        final = admin.call("GET", "/account").json
        self.assertEqual((final["operating_name"], final["version"]), (f"Name {ok[0]}", 2))

    def test_secrets_are_refused_and_never_echoed_or_logged(self):
        cust, admin, _ = self.admin_and_member()
        own_link = f"{self.st.public_url}/reset-password#token=" + "Q" * 20 + "a1B2c3D4e5F6g7H8i9J0k"
        invite_link = f"{self.st.public_url}/invite#token=" + "Zr8" * 10 + "x7Y6w5V4u3T2s"
        fields = ["legal_name", "operating_name", "repository_notes", "ai_preferences", "workspace_preferences"]
        contacts = [f"{c}_contact.name" for c in ("support", "billing", "technical")]
        for secret in (PEM, JWT, CARD, own_link, invite_link):
            for field in fields + contacts:
                with self.subTest(field=field, secret=secret[:20]):
                    if field in contacts:
                        body = {"version": 0, field.split(".")[0]: {"name": f"note {secret}"}}
                    else:
                        body = {"version": 0, field: f"see {secret} here"}
                    r = admin.call("PATCH", "/account", body)
                    self.assertEqual(r.status, 422, r)
                    f = r.json["error"]["fields"][0]
                    self.assertEqual((f["field"], f["code"]), (field, "secret_detected"))
                    self.assertNotIn(secret[:30].encode(), r.body)
                    self.assertNotIn(secret[-20:].encode(), r.body)
            # The support request's own text is a customer free-text field too.
            r = admin.call("POST", "/support-requests", {"message": f"please look: {secret}"})
            self.assertEqual((r.status, r.json["error"]["fields"][0]["code"]), (422, "secret_detected"), r)
            self.assertNotIn(secret[-20:].encode(), r.body)
        self.assertEqual(admin.call("GET", "/account").json["version"], 0)
        for path in (self.st.app_log, f"{self.st.log_dir}/nginx-access.log"):
            with open(path) as f:
                text = f.read()
            for secret in (PEM[:40], JWT[:40], "4111 1111", own_link[-30:], invite_link[-30:]):
                self.assertNotIn(secret, text)
        dump = Env.db.sql(f"USE `{self.st.db_name}`; SELECT before_json, after_json FROM audit_log; "
                          f"SELECT * FROM customer_details; SELECT * FROM support_requests; SELECT * FROM outbox")
        for secret in (PEM[:40], JWT[:40], "4111 1111", own_link[-30:], invite_link[-30:]):
            self.assertNotIn(secret, dump)

    def test_base64_private_keys_are_refused(self):
        # A whole PEM key as a Kubernetes Secret carries it (one line) and as `base64 key.pem` writes it (76 columns).
        _, admin, _ = self.admin_and_member()
        body = base64.b64encode(os.urandom(1190)).decode()
        pem = ("-----BEGIN PRIVATE KEY-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) +
               "\n-----END PRIVATE KEY-----\n").encode()
        one_line = base64.b64encode(pem).decode()
        wrapped = base64.encodebytes(pem).decode()
        for name, value in (("one line", f"tls.key: {one_line}"), ("wrapped", wrapped)):
            with self.subTest(form=name):
                r = admin.call("PATCH", "/account", {"version": 0, "repository_notes": f"the key:\n{value}"})
                self.assertEqual(r.status, 422, r)
                f = r.json["error"]["fields"][0]
                self.assertEqual((f["field"], f["code"]), ("repository_notes", "secret_detected"))
                self.assertIn("private key", f["message"])
                r = admin.call("POST", "/support-requests", {"message": f"please install {value}"})
                self.assertEqual((r.status, r.json["error"]["fields"][0]["code"]), (422, "secret_detected"), r)
                for answer in (r.body, admin.call("GET", "/account").body):
                    self.assertNotIn(one_line[:40].encode(), answer)
                    self.assertNotIn(wrapped[:40].encode(), answer)
        self.assertEqual(admin.call("GET", "/account").json["version"], 0)
        dump = Env.db.sql(f"USE `{self.st.db_name}`; SELECT * FROM customer_details; SELECT * FROM support_requests; "
                          f"SELECT before_json, after_json FROM audit_log; SELECT * FROM outbox")
        self.assertNotIn(one_line[:40], dump)
        self.assertNotIn(wrapped[:40], dump)
        # A certificate in base64 is not a secret: the same field keeps taking it.
        cert = base64.b64encode(bytes.fromhex("3082") + os.urandom(600)).decode()
        r = admin.call("PATCH", "/account", {"version": 0, "repository_notes": f"IdP certificate {cert}"})
        self.assertEqual(r.status, 200, r)

    def test_other_customers_and_signed_out(self):
        _, admin_a, _ = self.admin_and_member()
        self.assertEqual(customer(self.st).call("GET", "/account").status, 401)
        admin_a.call("PATCH", "/account", {"version": 0, "legal_name": "Tenant A"})
        _, admin_b, _ = self.admin_and_member()
        self.assertIsNone(admin_b.call("GET", "/account").json["legal_name"])


class ChecklistTests(IdentityBase):
    def states(self, client):
        r = client.call("GET", "/checklist")
        self.assertEqual(r.status, 200, r)
        return {i["key"]: i for i in r.json["items"]}, r.json

    def admin_named(self, cust, display_name):
        name = self.uniq("adm")
        r = self.ops_client.call("POST", "/users", {"customer": cust["slug"], "username": name,
                                                    "email": f"{name}@example.test", "display_name": display_name,
                                                    "role": "customer_admin", "password": PASSWORD})
        self.assertEqual(r.status, 201, r)
        return r.json["user"]

    def test_a_member_sees_the_active_admins_of_their_own_customer(self):
        """GET /checklist names whom a member can ask (issue 16, item 4); never another customer's admins."""
        cust_a, cust_b = self.new_customer(), self.new_customer()
        ada = self.admin_named(cust_a, "Ada Admin")
        gone = self.admin_named(cust_a, "Suspended Sam")
        other = self.admin_named(cust_b, "Bea of B")
        r = self.ops_client.call("POST", f"/users/{gone['id']}/suspend", {})
        self.assertEqual(r.status, 200, r)
        member = self.first_signin(self.new_user(cust_a)["user"]["username"])
        _, body = self.states(member)
        self.assertEqual(body["admins"], [{"name": "Ada Admin", "email": ada["email"]}])
        self.assertNotIn(other["email"], repr(body))
        # B's member sees B's admin only.
        member_b = self.first_signin(self.new_user(cust_b)["user"]["username"])
        self.assertEqual(self.states(member_b)[1]["admins"], [{"name": "Bea of B", "email": other["email"]}])
        # Admins have the members list: their checklist keeps its shape (and its statement budget).
        admin = self.first_signin(ada["username"])
        self.assertNotIn("admins", self.states(admin)[1])

    def test_checklist_follows_the_data(self):
        cust = self.new_customer()
        admin_user = self.new_user(cust, role="customer_admin")["user"]
        admin = self.first_signin(admin_user["username"])
        items, body = self.states(admin)
        self.assertEqual([i["key"] for i in body["items"]],
                         ["contacts", "admin_signin", "members", "sso", "billing", "workspace_target",
                          "provider_setup"])
        self.assertEqual({k: v["state"] for k, v in items.items()},
                         {"contacts": "todo", "admin_signin": "done", "members": "todo", "sso": "todo",
                          "billing": "todo", "workspace_target": "todo", "provider_setup": "not_required"})
        self.assertFalse(body["ready"])
        self.assertEqual({d["key"]: d["met"] for d in body["done_when"]}["admin_signed_in"], True)

        admin.call("PATCH", "/account", {"version": 0, "legal_name": "Acme"})
        self.assertEqual(self.states(admin)[0]["contacts"]["state"], "in_progress")
        contact = {"name": "N", "email": "n@acme.example"}
        r = admin.call("PATCH", "/account", {"version": 1, "support_contact": contact, "billing_contact": contact,
                                              "technical_contact": contact})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.states(admin)[0]["contacts"]["state"], "done")

        member = self.new_user(cust)["user"]
        self.assertEqual(self.states(admin)[0]["members"]["state"], "done")
        m = self.first_signin(member["username"])
        self.assertEqual(self.states(m)[0]["members"]["state"], "done")      # members read the checklist
        self.assertEqual(m.call("PUT", "/sso", {"protocol": "not_required", "version": 0}).code, "forbidden")

        r = admin.call("PUT", "/sso", {"protocol": "not_required", "version": 0})
        self.assertEqual((r.status, r.json["protocol"], r.json["version"]), (200, "not_required", 1))
        self.assertEqual(admin.call("PUT", "/sso", {"protocol": "not_required", "version": 0}).code,
                         "version_conflict")
        self.assertEqual(admin.call("PUT", "/sso", {"protocol": "ldap", "version": 1}).status, 422)
        self.assertEqual(self.states(admin)[0]["sso"]["state"], "not_required")

        # Operators decide through their API (test_setup.py covers it in depth).
        cid = cust["id"]
        pending = self.ops_client.call("GET", f"/reviews?customer={cid}").json["reviews"]
        for rv in pending:
            self.assertEqual(self.ops_client.call("POST", f"/reviews/{rv['id']}/decision",
                                                  {"decision": "approve"}).status, 200)
        self.ops_client.call("PUT", f"/customers/{cid}/blockers", {"blockers": [
            {"item": "workspace_target", "category": "template_availability",
             "message": "The EU template is not published yet."}]})
        items, body = self.states(admin)
        self.assertEqual(items["billing"]["state"], "done")
        self.assertEqual(items["workspace_target"]["state"], "blocked")
        self.assertEqual(items["workspace_target"]["blocker"],
                         {"category": "template_availability", "message": "The EU template is not published yet.",
                          "retryable": False})
        self.assertFalse(body["ready"])
        self.ops_client.call("PUT", f"/customers/{cid}/blockers", {"blockers": []})
        version = self.ops_client.call("GET", f"/customers/{cid}").json["context"]["version"]
        r = self.ops_client.call("PUT", f"/customers/{cid}/workspace-target",
                                 {"target_name": "eu-1", "ready": True, "version": version})
        self.assertEqual(r.status, 200, r)
        items, body = self.states(admin)
        self.assertTrue(body["ready"], items)
        self.assertTrue(all(d["met"] for d in body["done_when"]))
