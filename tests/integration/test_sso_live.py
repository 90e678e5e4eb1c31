"""SSO going live (issue 13, points 1, 5, 9): validation stores the resolved IdP, approval
snapshots it, a later draft save keeps the approval, operator activation copies the snapshot
into the live tables (with every missing precondition named), deactivation, domain clashes,
require-SSO for password sign-in and forgot-password mails, and GET /sso/sp.

The sealed secret (helper "seal") and test sign-ins (helper "flow") are not merged here yet:
activation's preconditions are met by inserting their rows through the harness DB handle
(secret_row, passed_test), exactly the rows those features write."""

import json
import time

from identity_client import customer, enroll_totp, operator
from test_identity import PASSWORD
from test_sso import FORM, SsoBase

AUTH0 = "oidc/docker-auth0_openid-configuration.json"     # HS256 RS256 PS256; basic, post, private_key_jwt
APPLE = "oidc/apple_openid-configuration.json"             # RS256; client_secret_post only
OKTA = "saml/okta_trial-1022863_idp-metadata.xml"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


class GoLiveBase(SsoBase):
    def oidc(self, admin, name=AUTH0, **form):
        """Save and validate an OIDC draft; returns the report (with version)."""
        body = dict({"protocol": "oidc", "discovery_url": self.fixture.served[name], "client_id": "onramp-test"}, **form)
        return self.validate(admin, body)

    def approve(self, cust, admin, **form):
        """Validate, submit and approve (a domain of its own unless given); returns the approved version."""
        if "email_domains" not in form:
            dom = self.domain()
            form.update(email_domains=[dom], test_users=[f"ann@{dom}"])
        report = self.oidc(admin, **form)
        self.assertTrue(report["ok"], report)
        r = admin.call("POST", "/sso/submit", {"version": report["version"]})
        self.assertEqual(r.status, 200, r)
        rv = self.ops_client.call("GET", f"/reviews?customer={cust['id']}&kind=sso").json["reviews"][0]
        r = self.ops_client.call("POST", f"/reviews/{rv['id']}/decision", {"decision": "approve"})
        self.assertEqual(r.status, 200, r)
        return report["version"]

    def secret_row(self, cust):
        self.sql(f"INSERT INTO sso_secrets (customer_id, purpose, key_id, sealed, set_at, set_by) VALUES "
                 f"({cust['id']}, 'oidc_client_secret', 'k1', X'00', NOW(6), 'test') "
                 f"ON DUPLICATE KEY UPDATE set_at = NOW(6)")

    def passed_test(self, cust, version):
        self.sql(f"INSERT INTO sso_tests (customer_id, protocol, version, state, started_by, created_at, finished_at) "
                 f"VALUES ({cust['id']}, 'oidc', {version}, 'passed', 'test', NOW(6), NOW(6))")

    def activate(self, cust, client=None):
        return (client or self.ops_client).call("POST", f"/customers/{cust['id']}/sso/activation")

    def go_live(self, cust, admin, **form):
        version = self.approve(cust, admin, **form)
        self.secret_row(cust)
        self.passed_test(cust, version)
        r = self.activate(cust)
        self.assertEqual(r.status, 200, r)
        return version

    def row(self, statement):
        """The value(s) of a one-column (or tab-joined) result, without the header, batch escapes undone."""
        lines = self.sql(statement).rstrip("\n").split("\n")[1:]
        text = "\n".join(lines)
        return text.replace("\\\\", "\0").replace("\\n", "\n").replace("\\t", "\t").replace("\0", "\\")

    def sso_item(self, admin):
        return {i["key"]: i for i in admin.call("GET", "/checklist").json["items"]}["sso"]

    def domain(self):
        return self.uniq("d") + ".example"


class ResolvedIdpTests(GoLiveBase):
    def test_validation_stores_the_resolved_idp(self):
        cust, admin = self.admin()
        dom = self.domain()
        report = self.oidc(admin, email_domains=[dom.upper() + "."], test_users=[f"ann@{dom}"])
        self.assertTrue(report["ok"], report)
        self.assertIn("oidc.client_id", [c["key"] for c in report["checks"] if c["ok"]])
        stored = json.loads(self.row(f"SELECT validated_idp FROM sso_settings WHERE customer_id = {cust['id']}"))
        doc = json.load(open(self.fixture_path(AUTH0), encoding="utf-8-sig"))
        self.assertEqual(stored["version"], report["version"])
        self.assertEqual(stored["client_id"], "onramp-test")
        self.assertEqual(stored["email_domains"], [dom])          # normalised as sign-in compares it
        idp = stored["idp"]
        for k in ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
            self.assertEqual(idp[k], doc[k], k)
        self.assertEqual(idp["algs"], ["RS256", "PS256"])           # HS256 is offered and never taken
        self.assertEqual(idp["token_auth"], "client_secret_basic")
        # An IdP that offers only client_secret_post gets it.
        report = self.oidc(admin, name=APPLE)
        self.assertTrue(report["ok"], report)
        stored = json.loads(self.row(f"SELECT validated_idp FROM sso_settings WHERE customer_id = {cust['id']}"))
        self.assertEqual(stored["idp"]["token_auth"], "client_secret_post")

    def test_client_id_is_required_for_oidc(self):
        cust, admin = self.admin()
        report = self.validate(admin, {"protocol": "oidc", "discovery_url": self.fixture.served[AUTH0], "client_id": None})
        self.assertFalse(report["ok"])
        failed = [c for c in report["checks"] if not c["ok"] and c["severity"] == "error"]
        self.assertEqual([c["key"] for c in failed], ["oidc.client_id"], failed)
        self.assertIn("client ID", failed[0]["message"])
        self.assertEqual(self.row(f"SELECT validated_idp IS NULL FROM sso_settings WHERE customer_id = {cust['id']}"), "1")
        self.assertEqual(admin.call("POST", "/sso/submit", {"version": report["version"]}).status, 409)

    def test_client_id_in_the_draft(self):
        _, admin = self.admin()
        r = self.put(admin, {"protocol": "oidc", "discovery_url": self.fixture.served[AUTH0], "client_id": " abc-123 "})
        self.assertEqual((r.status, r.json["client_id"]), (200, "abc-123"), r)
        self.assertEqual(admin.call("GET", "/sso").json["client_id"], "abc-123")
        for bad, code in (("a\u0007b", "invalid"), ("é-client", "invalid"), ("x" * 256, "too_long"),
                          (JWT, "secret_detected"), (5, "invalid_type")):
            with self.subTest(code=code):
                r = self.put(admin, {"protocol": "oidc", "discovery_url": "https://idp.example", "client_id": bad})
                self.assertEqual(r.status, 422, r)
                self.assertEqual([(f["field"], f["code"]) for f in r.json["error"]["fields"]], [("client_id", code)])
                if code == "secret_detected":
                    self.assertNotIn(JWT[:30].encode(), r.body)
        self.assertEqual(admin.call("GET", "/sso").json["client_id"], "abc-123")

    def test_saml_validation_stores_entity_and_sso_url_and_goes_live_without_a_secret(self):
        cust, admin = self.admin()
        dom = self.domain()
        report = self.validate(admin, {"protocol": "saml", "metadata_url": self.fixture.served[OKTA],
                                       "email_domains": [dom], "test_users": [f"ann@{dom}"]})
        self.assertTrue(report["ok"], report)
        stored = json.loads(self.row(f"SELECT validated_idp FROM sso_settings WHERE customer_id = {cust['id']}"))
        self.assertEqual(stored["protocol"], "saml")
        self.assertEqual(stored["idp"]["saml_entity_id"], report["summary"]["entity_id"])
        # Okta lists HTTP-POST first and HTTP-Redirect second: the Redirect binding is taken when offered.
        sso = [e for e in report["summary"]["endpoints"] if e["kind"] == "sso:HTTP-Redirect"][0]
        self.assertEqual((stored["idp"]["saml_sso_url"], "sso:" + stored["idp"]["saml_sso_binding"]), (sso["url"], sso["kind"]))
        self.assertEqual(admin.call("POST", "/sso/submit", {"version": report["version"]}).status, 200)
        rv = self.ops_client.call("GET", f"/reviews?customer={cust['id']}&kind=sso").json["reviews"][0]
        self.ops_client.call("POST", f"/reviews/{rv['id']}/decision", {"decision": "approve"})
        r = self.ops_client.call("POST", f"/customers/{cust['id']}/sso/activation")
        self.assertEqual(sorted(f["code"] for f in r.json["error"]["fields"]), ["test_missing"], r)
        self.sql(f"INSERT INTO sso_tests (customer_id, protocol, version, state, started_by, created_at, finished_at) "
                 f"VALUES ({cust['id']}, 'saml', {report['version']}, 'passed', 'test', NOW(6), NOW(6))")
        r = self.ops_client.call("POST", f"/customers/{cust['id']}/sso/activation")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.row(f"SELECT protocol FROM sso_live WHERE customer_id = {cust['id']}"), "saml")

    def fixture_path(self, name):
        import os
        from sso_fixture import CORPUS
        return os.path.join(CORPUS, name)


class ApprovalTests(GoLiveBase):
    def test_approval_snapshots_and_a_later_save_keeps_it(self):
        cust, admin = self.admin()
        version = self.approve(cust, admin)
        q = f"FROM sso_settings WHERE customer_id = {cust['id']}"
        self.assertEqual(self.row(f"SELECT approved_config = validated_idp, approved_version {q}"), f"1\t{version}")
        snapshot = self.row(f"SELECT approved_config {q}")
        sso = admin.call("GET", "/sso").json
        self.assertEqual((sso["approved_version"], sso["pending_changes"], sso["live"]), (version, False, None))
        self.assertTrue(sso["approved_at"])
        item = self.sso_item(admin)
        self.assertEqual(item["state"], "done")
        self.assertNotIn("note", item)
        # The regression of issue 13: a save after approval used to throw the approval away.
        r = self.put(admin, {"protocol": "oidc", "discovery_url": self.fixture.served[AUTH0], "client_id": "onramp-test",
                             "member_groups": ["onramp-users", "engineering"]})
        self.assertEqual(r.status, 200, r)
        sso = r.json
        self.assertEqual((sso["review_state"], sso["approved_version"], sso["pending_changes"]), ("draft", version, True))
        self.assertEqual(self.row(f"SELECT approved_config {q}"), snapshot)
        self.assertEqual(self.row(f"SELECT approved_version {q}"), str(version))
        item = self.sso_item(admin)
        self.assertEqual(item["state"], "done", item)
        self.assertIn("need a new review", item["note"])
        self.assertIn("stays in use until the new version is approved and activated", item["note"])
        # Validating and submitting the new version still keeps the old approval until the new one is approved.
        v2 = self.run_validation(admin)["version"]
        self.assertEqual(admin.call("POST", "/sso/submit", {"version": v2}).status, 200)
        self.assertEqual(self.row(f"SELECT approved_version {q}"), str(version))
        self.assertEqual(self.sso_item(admin)["state"], "done")
        rv = self.ops_client.call("GET", f"/reviews?customer={cust['id']}&kind=sso").json["reviews"][0]
        self.ops_client.call("POST", f"/reviews/{rv['id']}/decision", {"decision": "approve"})
        self.assertEqual(self.row(f"SELECT approved_version {q}"), str(v2))
        self.assertIn("engineering", self.row(f"SELECT approved_config {q}"))
        self.assertFalse(admin.call("GET", "/sso").json["pending_changes"])

    def test_rejecting_a_new_version_keeps_the_old_approval(self):
        cust, admin = self.admin()
        version = self.approve(cust, admin)
        report = self.oidc(admin, member_groups=["other"])
        admin.call("POST", "/sso/submit", {"version": report["version"]})
        rv = self.ops_client.call("GET", f"/reviews?customer={cust['id']}&kind=sso").json["reviews"][0]
        self.ops_client.call("POST", f"/reviews/{rv['id']}/decision", {"decision": "reject", "comment": "no"})
        self.assertEqual(admin.call("GET", "/sso").json["approved_version"], version)
        self.assertEqual(self.sso_item(admin)["state"], "done")


class ActivationTests(GoLiveBase):
    def missing(self, r):
        self.assertEqual((r.status, r.json["error"]["code"]), (409, "conflict"), r)
        return sorted(f["code"] for f in r.json["error"]["fields"])

    def test_activation_names_what_is_missing_then_goes_live(self):
        cust, admin = self.admin()
        dom = self.domain()
        self.assertEqual(self.missing(self.activate(cust)), ["not_approved", "secret_missing", "test_missing"])
        version = self.approve(cust, admin, email_domains=[dom], test_users=[f"ann@{dom}"])
        self.assertEqual(self.missing(self.activate(cust)), ["secret_missing", "test_missing"])
        self.secret_row(cust)
        self.assertEqual(self.missing(self.activate(cust)), ["test_missing"])
        # A passed test of another version does not count, nor a failed one of this version.
        self.passed_test(cust, version + 1)
        self.sql(f"INSERT INTO sso_tests (customer_id, protocol, version, state, started_by, created_at) "
                 f"VALUES ({cust['id']}, 'oidc', {version}, 'failed', 'test', NOW(6))")
        self.assertEqual(self.missing(self.activate(cust)), ["test_missing"])
        self.assertEqual(self.row(f"SELECT COUNT(*) FROM sso_live WHERE customer_id = {cust['id']}"), "0")
        self.passed_test(cust, version)
        r = self.activate(cust)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["live_version"], r.json["activated_by"]), (version, "opsadmin"))
        live = self.row(f"SELECT protocol, version, config = (SELECT approved_config FROM sso_settings WHERE "
                        f"customer_id = {cust['id']}) FROM sso_live WHERE customer_id = {cust['id']}")
        self.assertEqual(live, f"oidc\t{version}\t1")
        self.assertEqual(self.row(f"SELECT domain FROM sso_live_domains WHERE customer_id = {cust['id']}"), dom)
        sso = admin.call("GET", "/sso").json
        self.assertEqual(sso["live"]["version"], version)
        item = self.sso_item(admin)
        self.assertEqual((item["state"], item["note"]), ("done", "Single sign-on is live."))
        self.assertTrue(item["live_since"])
        view = self.ops_client.call("GET", f"/customers/{cust['id']}").json["sso"]["activation"]
        self.assertEqual((view["approved_version"], view["live_version"], view["activated_by"]),
                         (version, version, "opsadmin"))
        self.assertGreaterEqual(self.ops_client.call("GET", "/dashboard").json["sso_live"], 1)
        self.assertIn("sso.activate", self.sql(f"SELECT action FROM audit_log WHERE customer_id = {cust['id']}"))
        # Activating the same version again is fine, also twice within one second (nothing changes).
        self.assertEqual(self.activate(cust).status, 200)
        self.assertEqual(self.activate(cust).status, 200)
        self.assertEqual(self.row(f"SELECT COUNT(*) FROM sso_live_domains WHERE customer_id = {cust['id']}"), "1")

    def golive_guard(self, cust):
        """The customer's go-live guard row (guards kind 5): how often it was written."""
        return int(self.row(f"SELECT COALESCE(MAX(n), 0) FROM guards WHERE kind = 5 AND id = {cust['id']}"))

    def test_activation_approval_and_secret_removal_write_one_guard(self):
        """Activation checks the approval and the secret, then copies the approval live. An approval
        and a secret removal write the customer's go-live guard row, and so does activation before
        its checks: on one server the row's lock orders them, on a Galera cluster certification
        (a locking read alone is local to a node). A refused activation rolls its guard write back."""
        cust, admin = self.admin()
        n = self.golive_guard(cust)
        self.assertEqual(self.missing(self.activate(cust)), ["not_approved", "secret_missing", "test_missing"])
        self.assertEqual(self.golive_guard(cust), n)
        version = self.approve(cust, admin)
        self.assertEqual(self.golive_guard(cust), n + 1)
        self.secret_row(cust)
        self.passed_test(cust, version)
        self.assertEqual(self.activate(cust).status, 200)
        self.assertEqual(self.golive_guard(cust), n + 2)
        self.assertEqual(admin.call("DELETE", "/sso/secret").status, 204)
        self.assertEqual(self.golive_guard(cust), n + 3)

    def test_editing_the_draft_never_changes_live(self):
        cust, admin = self.admin()
        dom, dom2 = self.domain(), self.domain()
        v1 = self.go_live(cust, admin, email_domains=[dom], test_users=[f"ann@{dom}"])
        snap = f"SELECT * FROM sso_live WHERE customer_id = {cust['id']}; " \
               f"SELECT * FROM sso_live_domains WHERE customer_id = {cust['id']}"
        before = self.sql(snap)
        # Save, validate, submit a different version: live stays byte for byte.
        report = self.oidc(admin, email_domains=[dom2], test_users=[f"bob@{dom2}"], admin_groups=["it"])
        self.assertEqual(self.sql(snap), before)
        admin.call("POST", "/sso/submit", {"version": report["version"]})
        self.assertEqual(self.sql(snap), before)
        self.put(admin, {"protocol": "not_required"})
        self.assertEqual(self.sql(snap), before)
        self.assertEqual(admin.call("GET", "/sso").json["live"]["version"], v1)
        # A newer approved version replaces the live one, domains included.
        v2 = self.approve(cust, admin, email_domains=[dom2], test_users=[f"bob@{dom2}"])
        self.assertEqual(self.sql(snap), before)
        self.passed_test(cust, v2)
        self.assertEqual(self.activate(cust).status, 200)
        self.assertEqual(self.row(f"SELECT version FROM sso_live WHERE customer_id = {cust['id']}"), str(v2))
        self.assertEqual(self.row(f"SELECT domain FROM sso_live_domains WHERE customer_id = {cust['id']}"), dom2)

    def test_a_domain_live_elsewhere_is_a_conflict(self):
        cust_a, admin_a = self.admin()
        cust_b, admin_b = self.admin()
        dom, own = self.domain(), self.domain()
        self.go_live(cust_a, admin_a, email_domains=[dom], test_users=[f"ann@{dom}"])
        vb = self.approve(cust_b, admin_b, email_domains=[own, dom.upper()], test_users=[f"bob@{own}"])
        self.secret_row(cust_b)
        self.passed_test(cust_b, vb)
        r = self.activate(cust_b)
        self.assertEqual((r.status, r.json["error"]["code"]), (409, "conflict"), r)
        self.assertEqual([(f["field"], f["code"]) for f in r.json["error"]["fields"]], [("email_domains", "domain_taken")])
        self.assertIn(dom, r.json["error"]["fields"][0]["message"])
        self.assertEqual(self.row(f"SELECT COUNT(*) FROM sso_live WHERE customer_id = {cust_b['id']}"), "0")
        self.assertEqual(self.row(f"SELECT COUNT(*) FROM sso_live_domains WHERE customer_id = {cust_b['id']}"), "0")
        # Once A is off, B can go live with it.
        self.assertEqual(self.ops_client.call("DELETE", f"/customers/{cust_a['id']}/sso/activation").status, 200)
        self.assertEqual(self.activate(cust_b).status, 200)
        self.assertEqual(self.row(f"SELECT COUNT(*) FROM sso_live_domains WHERE customer_id = {cust_b['id']}"), "2")

    def test_deactivation(self):
        cust, admin = self.admin()
        dom = self.domain()
        self.go_live(cust, admin, email_domains=[dom], test_users=[f"ann@{dom}"])
        r = self.ops_client.call("DELETE", f"/customers/{cust['id']}/sso/activation")
        self.assertEqual((r.status, r.json["live_version"]), (200, None), r)
        self.assertEqual(self.row(f"SELECT COUNT(*) FROM sso_live WHERE customer_id = {cust['id']}"), "0")
        self.assertEqual(self.row(f"SELECT COUNT(*) FROM sso_live_domains WHERE domain = '{dom}'"), "0")
        self.assertIsNone(admin.call("GET", "/sso").json["live"])
        self.assertIn("sso.deactivate", self.sql(f"SELECT action FROM audit_log WHERE customer_id = {cust['id']}"))
        # The approval stays: the item is still done, and the same version can go live again.
        self.assertEqual(self.sso_item(admin)["state"], "done")
        self.assertEqual(self.ops_client.call("DELETE", f"/customers/{cust['id']}/sso/activation").status, 200)
        self.assertEqual(self.activate(cust).status, 200)

    def test_unknown_customer_and_auditor(self):
        self.assertEqual(self.ops_client.call("POST", "/customers/999999999/sso/activation").status, 404)
        cust, admin = self.admin()
        name = self.uniq("aud")
        r = self.ops_client.call("POST", "/operators", {"username": name, "email": f"{name}@vendor.test",
                                                         "role": "auditor"})
        self.assertEqual(r.status, 201, r)
        pw = r.json["temporary_password"]
        aud = operator(self.st)
        aud.call("POST", "/session", {"username": name, "password": pw})
        enroll_totp(aud)
        self.assertEqual(aud.call("POST", "/password", {"current_password": pw,
                                                        "new_password": "Auditor-Pass-2026"}).status, 200)
        self.go_live(cust, admin)
        for method in ("POST", "DELETE"):
            r = aud.call(method, f"/customers/{cust['id']}/sso/activation")
            self.assertEqual((r.status, r.json["error"]["code"]), (403, "forbidden"), r)
        self.assertEqual(self.row(f"SELECT COUNT(*) FROM sso_live WHERE customer_id = {cust['id']}"), "1")


class RequireSsoTests(GoLiveBase):
    def member(self, cust):
        u = self.new_user(cust)["user"]
        self.first_signin(u["username"])
        return u

    def sign_in(self, u, password=PASSWORD + "x"):
        return customer(self.st).call("POST", "/session", {"login": u["username"], "password": password})

    def test_members_use_sso_admins_keep_their_password(self):
        cust, admin = self.admin()
        m = self.member(cust)
        a2 = self.new_user(cust, role="customer_admin")["user"]
        self.first_signin(a2["username"])
        # Not live yet: the setting is kept but not in effect.
        r = admin.call("PUT", "/sso/require", {"require_sso": True})
        self.assertEqual((r.status, r.json), (200, {"require_sso": True, "in_effect": False}), r)
        self.assertEqual(self.sign_in(m).status, 200)
        self.go_live(cust, admin)
        self.assertTrue(admin.call("GET", "/sso").json["require_sso"])
        r = self.sign_in(m)
        self.assertEqual((r.status, r.json["error"]["code"]), (403, "sso_required"), r)
        self.assertIn("Sign in with single sign-on", r.json["error"]["message"])
        # A wrong password still gets the one generic answer: no oracle for SSO members.
        r = self.sign_in(m, "Wrong-Password-123")
        self.assertEqual((r.status, r.json["error"]["code"]), (401, "unauthenticated"), r)
        r = customer(self.st).call("POST", "/session", {"login": "nobody-" + m["username"], "password": "x" * 12})
        self.assertEqual(r.status, 401)
        # Customer admins are the break-glass path.
        self.assertEqual(self.sign_in(a2).status, 200)
        # Turned off, members sign in again; and off again when SSO is deactivated.
        self.assertEqual(admin.call("PUT", "/sso/require", {"require_sso": False}).json["in_effect"], False)
        self.assertEqual(self.sign_in(m).status, 200)
        self.assertTrue(admin.call("PUT", "/sso/require", {"require_sso": True}).json["in_effect"])
        self.assertEqual(self.sign_in(m).status, 403)
        self.ops_client.call("DELETE", f"/customers/{cust['id']}/sso/activation")
        self.assertEqual(self.sign_in(m).status, 200)
        self.assertIn("sso.require", self.sql(f"SELECT action FROM audit_log WHERE customer_id = {cust['id']}"))

    def test_setting_rules(self):
        cust, admin = self.admin()
        m = self.member(cust)
        mc = self.signed_in(m["username"], PASSWORD + "x")
        self.assertEqual(mc.call("PUT", "/sso/require", {"require_sso": True}).status, 403)
        for body in ({}, {"require_sso": "yes"}, {"require_sso": 1}):
            self.assertEqual(admin.call("PUT", "/sso/require", body).status, 422, body)
        self.assertEqual(admin.call("PUT", "/sso/require", {"require_sso": True, "x": 1}).status, 400)
        # The setting is no part of the reviewed draft: no new version, no review withdrawn.
        v = admin.call("GET", "/sso").json["version"]
        admin.call("PUT", "/sso/require", {"require_sso": True})
        self.assertEqual(admin.call("GET", "/sso").json["version"], v)

    def wait_for_mail(self, to, count=1, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            mails = [m for m in self.st.mails() if m["To"] == to]
            if len(mails) >= count:
                return mails
            time.sleep(0.1)
        self.fail(f"no mail for {to} within {timeout}s")

    @staticmethod
    def text_of(msg):
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                return part.get_payload(decode=True).decode()
        raise AssertionError("no text part")

    def test_forgot_password_points_members_to_sso(self):
        cust, admin = self.admin()
        m = self.member(cust)
        a2 = self.new_user(cust, role="customer_admin")["user"]
        self.go_live(cust, admin)
        admin.call("PUT", "/sso/require", {"require_sso": True})
        anon = customer(self.st)
        self.assertEqual(anon.call("POST", "/password-resets", {"email": m["email"]}).status, 202)
        self.assertEqual(anon.call("POST", "/password-resets", {"email": a2["email"]}).status, 202)
        msg = self.wait_for_mail(m["email"])[0]
        self.assertEqual(msg["Subject"], "Sign in to onramp with single sign-on")
        text = self.text_of(msg)
        self.assertIn("Sign in with single sign-on", text)
        self.assertNotIn("reset-password#token=", text)
        self.assertEqual(self.row(f"SELECT COUNT(*) FROM password_resets WHERE user_id = {m['id']}"), "0")
        self.assertIn("user.password_reset_sso", self.sql(f"SELECT action FROM audit_log WHERE customer_id = {cust['id']}"))
        # The admin gets the ordinary link.
        self.assertIn("reset-password#token=", self.text_of(self.wait_for_mail(a2["email"])[0]))
        # Without require-SSO the member gets a link again.
        admin.call("PUT", "/sso/require", {"require_sso": False})
        anon.call("POST", "/password-resets", {"email": m["email"]})
        self.assertIn("reset-password#token=", self.text_of(self.wait_for_mail(m["email"], 2)[-1]))


class SpTests(GoLiveBase):
    def test_sp_urls(self):
        cust, admin = self.admin()
        r = admin.call("GET", "/sso/sp")
        self.assertEqual(r.status, 200, r)
        base = self.st.public_url.rstrip("/")
        slug = cust["slug"]
        self.assertEqual(r.json, {
            "oidc": {"redirect_uri": f"{base}/api/v1/sso/oidc/callback/{slug}"},
            "saml": {"entity_id": f"{base}/api/v1/sso/saml/{slug}", "acs_url": f"{base}/api/v1/sso/saml/{slug}/acs",
                     "metadata_url": f"{base}/api/v1/sso/saml/{slug}/metadata"}})
        other, admin2 = self.admin()
        self.assertIn(other["slug"], admin2.call("GET", "/sso/sp").json["oidc"]["redirect_uri"])
        m = self.new_user(cust)["user"]
        mc = self.first_signin(m["username"])
        self.assertEqual(mc.call("GET", "/sso/sp").status, 403)
        self.assertEqual(customer(self.st).call("GET", "/sso/sp").status, 401)
