"""IT-admin setup links (issue 13, point 3) over nginx with the real SMTP sink: an admin mails a
link, its holder redeems it for a session of its own realm that reaches this customer's SSO
endpoints and nothing else (every route of the table is tried), every action is audited as
"setup link: <email>", revoking or expiry (the test clock) ends access at once, links are
single-customer, limited in life (1..168 h) and sessions, throttled per address, and the token
is stored only as its hash."""

import hashlib
import os
import re

import stack
from harness import ROOT, Env
from identity_client import customer
from sso_fixture import CORPUS
from test_sso import SsoBase

OKTA = "saml/okta_trial-1022863_idp-metadata.xml"
SESSIONS_MAX = 10           # LIMIT_SSO_SETUP_LINK_SESSIONS
ADDR_MAX = 30               # login_max_failures_addr of this class
LINKS_PER_HOUR = 10         # LIMIT_SSO_SETUP_LINKS_PER_HOUR


def route_table():
    """(method, path pattern, auth) of every public route in src/api/routes.c."""
    text = open(os.path.join(ROOT, "src/api/routes.c")).read()
    rows = re.findall(r'\{ "([A-Z]+)", "(/api/v1/[^"]*)", PUB, (AUTH_[A-Z_]+),', text)
    assert len(rows) > 20, rows
    return rows


class SetupLinkBase(SsoBase):
    # Merged into the stack's config by SsoBase; long idle sessions, as the expiry test moves
    # the clock an hour on, and an address limit the throttle test can reach.
    fetch_config = {"session_idle_timeout_s": str(7 * 86400), "login_max_failures_addr": str(ADDR_MAX)}

    def make_link(self, admin, email, **body):
        r = admin.call("POST", "/sso/setup-links", dict(email=email, **body))
        self.assertEqual(r.status, 201, r)
        return r.json["link"]

    def mailed_token(self, to, count=1):
        stack.wait_for(lambda: len([m for m in self.st.mails() if m["To"] == to]) >= count, 20, f"mail to {to}")
        msg = [m for m in self.st.mails() if m["To"] == to][count - 1]
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                text = part.get_payload(decode=True).decode()
                return re.search(r"/sso-setup\.html#token=([A-Za-z0-9_-]{43})", text).group(1)
        raise AssertionError("no text part")

    def redeem(self, token, source_ip=None):
        c = customer(self.st, source_ip)
        return c, c.call("POST", "/sso/setup-sessions", {"token": token})

    def holder(self, admin, cust):
        """A link to a fresh address, mailed and redeemed: (link, token, signed-in client)."""
        email = f"{self.uniq('it')}@{cust['slug']}.example"
        link = self.make_link(admin, email)
        token = self.mailed_token(email)
        c, r = self.redeem(token)
        self.assertEqual(r.status, 200, r)
        return link, token, c

    def audit_rows(self, cust):
        return self.sql(f"SELECT actor_type, actor_id, actor_label, action FROM audit_log "
                        f"WHERE customer_id = {cust['id']} ORDER BY id")


class SetupLinkTests(SetupLinkBase):
    def test_mail_redeem_and_every_sso_endpoint(self):
        cust, admin = self.admin()
        email = f"{self.uniq('it')}@{cust['slug']}.example"
        r = admin.call("POST", "/sso/setup-links", {"email": email.upper()})
        self.assertEqual(r.status, 201, r)
        link = r.json["link"]
        self.assertEqual((link["email"], link["state"], link["sessions_started"]), (email, "active", 0))
        self.assertNotIn("token", link)
        token = self.mailed_token(email)
        self.assertNotIn(token.encode(), r.body)
        c, r = self.redeem(token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["customer"], {"id": cust["id"], "name": cust["name"]})
        cookie = [v for k, v in r.headers.items() if k == "set-cookie"][0]
        self.assertTrue(cookie.startswith("onramp_sso_setup="), cookie)
        for attr in ("Path=/api/v1/sso;", "HttpOnly", "SameSite=Lax"):
            self.assertIn(attr, cookie)
        self.assertEqual(c.call("GET", "/sso/setup-session").json["link"]["email"], email)
        # The SSO work: read, edit, validate, submit.
        self.assertEqual(c.call("GET", "/sso").status, 200)
        xml = open(os.path.join(CORPUS, OKTA), encoding="utf-8").read()
        report = self.validate(c, {"protocol": "saml", "metadata_xml": xml})
        self.assertTrue(report["ok"], report)
        r = c.call("POST", "/sso/submit", {"version": report["version"]})
        self.assertEqual((r.status, r.json["review_state"]), (200, "pending"), r)
        self.assertEqual(admin.call("GET", "/sso").json["review_state"], "pending")     # same customer
        # Audited as the link, with its address; nothing as a user.
        rows = [line.split("\t") for line in self.audit_rows(cust).splitlines()[1:]]
        by_link = [r for r in rows if r[0] == "setup_link"]
        self.assertLessEqual({"sso_setup_link.redeem", "sso.update", "sso.validation_requested", "sso.submit"},
                             {r[3] for r in by_link}, by_link)
        self.assertEqual({(r[1], r[2]) for r in by_link}, {(link["id"], f"setup link: {email}")})
        trail = self.ops_client.call("GET", f"/audit?customer={cust['id']}").json
        shown = [e for e in trail["entries"] if e["action"] == "sso.submit"][0]
        self.assertEqual((shown["actor_type"], shown["actor_id"], shown["actor"]),
                         ("setup_link", link["id"], f"setup link: {email}"))
        # The list shows the session started.
        mine = [x for x in admin.call("GET", "/sso/setup-links").json["links"] if x["id"] == link["id"]][0]
        self.assertEqual((mine["state"], mine["sessions_started"]), ("active", 1))

    def test_nothing_but_sso_reaches_a_link_session(self):
        cust, admin = self.admin()
        member = self.new_user(cust)["user"]
        _, _, c = self.holder(admin, cust)
        tried = 0
        for method, pattern, auth in route_table():
            # Open routes need no session; signing out would end the one under test.
            if auth == "AUTH_NONE" or (method, pattern) == ("DELETE", "/api/v1/sso/setup-session"):
                continue
            path = re.sub(r"\{[a-z_]+\}", str(member["id"]), pattern)[len("/api/v1"):]
            r = c.call(method, path)
            with self.subTest(route=f"{method} {pattern}", auth=auth):
                if auth in ("AUTH_CUSTOMER", "AUTH_CUSTOMER_ADMIN"):
                    self.assertEqual((r.status, r.code), (401, "unauthenticated"), r)
                    tried += 1
                elif auth in ("AUTH_SSO_EDITOR", "AUTH_SSO_SETUP"):
                    self.assertNotIn(r.status, (401, 403), r)
        self.assertGreater(tried, 15)
        # The member is untouched and no customer session stood in.
        self.assertEqual(self.sql(f"SELECT status, role FROM users WHERE id = {member['id']}").split()[2:],
                         ["active", "customer_member"])

    def test_revoke_ends_the_session_at_once(self):
        cust, admin = self.admin()
        link, token, c = self.holder(admin, cust)
        self.assertEqual(c.call("GET", "/sso").status, 200)
        r = admin.call("DELETE", f"/sso/setup-links/{link['id']}")
        self.assertEqual((r.status, r.json["link"]["state"]), (200, "revoked"), r)
        self.assertIsNotNone(r.json["link"]["revoked_at"])
        self.assertEqual(c.call("GET", "/sso").status, 401)
        self.assertEqual(c.call("PUT", "/sso", {"protocol": "not_required", "version": 0}).status, 401)
        self.assertEqual(self.redeem(token)[1].status, 410)
        # Revoking again answers the link as it is and writes no second audit row.
        self.assertEqual(admin.call("DELETE", f"/sso/setup-links/{link['id']}").json["link"]["state"], "revoked")
        self.assertEqual(self.audit_rows(cust).count("sso_setup_link.revoke"), 1)

    def test_a_revoked_link_is_refused_even_with_its_session_row(self):
        """The auth step checks the link itself, not only that a session row exists."""
        cust, admin = self.admin()
        link, _, c = self.holder(admin, cust)
        self.sql(f"UPDATE sso_setup_links SET revoked_at = NOW(6) WHERE id = {link['id']}")
        self.assertEqual(self.sql(f"SELECT COUNT(*) FROM sessions WHERE realm = 'sso_setup' "
                                  f"AND principal_id = {link['id']}").split()[1], "1")
        self.assertEqual(c.call("GET", "/sso").status, 401)

    def test_tenant_roles_and_csrf(self):
        cust, admin = self.admin()
        link, _, c = self.holder(admin, cust)
        other_cust, other = self.admin()
        self.assertEqual(other.call("DELETE", f"/sso/setup-links/{link['id']}").status, 404)
        self.assertNotIn(link["id"], [x["id"] for x in other.call("GET", "/sso/setup-links").json["links"]])
        member = self.first_signin(self.new_user(cust)["user"]["username"])
        for method, path, body in (("POST", "/sso/setup-links", {"email": "x@example.test"}),
                                   ("GET", "/sso/setup-links", None),
                                   ("DELETE", f"/sso/setup-links/{link['id']}", None),
                                   ("GET", "/sso", None)):
            with self.subTest(member=f"{method} {path}"):
                self.assertEqual(member.call(method, path, body).code, "forbidden")
        # A link session cannot manage links, nor use the customer realm's session routes.
        self.assertEqual(c.call("POST", "/sso/setup-links", {"email": "y@example.test"}).status, 401)
        self.assertEqual(c.call("GET", "/session").status, 401)
        # CSRF: a link session's changes need its token; the admin's too.
        before = c.call("GET", "/sso").json["version"]
        for client, method, path, body in ((c, "PUT", "/sso", {"protocol": "not_required", "version": before}),
                                           (c, "POST", "/sso/validate", None),
                                           (c, "DELETE", "/sso/setup-session", None),
                                           (admin, "POST", "/sso/setup-links", {"email": "z@example.test"}),
                                           (admin, "DELETE", f"/sso/setup-links/{link['id']}", None)):
            with self.subTest(csrf=f"{method} {path}"):
                r = client.call(method, path, body, csrf=False)
                self.assertEqual((r.status, r.code), (403, "csrf_failed"), r)
                # The sentence names where this session's token comes from.
                self.assertIn("/sso/setup-session" if client is c else "GET /session", r.json["error"]["message"])
                r = client.call(method, path, body, csrf=False, headers={"X-CSRF-Token": other.csrf})
                self.assertEqual(r.code, "csrf_failed")
        self.assertEqual(c.call("GET", "/sso").json["version"], before)
        # Sign out of the link session.
        self.assertEqual(c.call("DELETE", "/sso/setup-session").status, 204)
        self.assertEqual(c.call("GET", "/sso").status, 401)
        self.assertNotEqual(other_cust["id"], cust["id"])

    def test_one_browser_with_both_sessions(self):
        """An admin who opens another customer's link: the setup page's header picks the link."""
        cust, admin = self.admin()
        link_cust, link_admin = self.admin()
        email = f"{self.uniq('it')}@{link_cust['slug']}.example"
        self.make_link(link_admin, email)
        admin_csrf = admin.csrf
        r = admin.call("POST", "/sso/setup-sessions", {"token": self.mailed_token(email)})
        self.assertEqual(r.status, 200, r)
        link_csrf = r.json["csrf_token"]
        r = admin.call("GET", "/sso/setup-session")
        self.assertEqual(r.json["customer"]["id"], link_cust["id"])
        admin.csrf = admin_csrf         # the client keeps the last csrf_token it saw, as a page would not
        mine = admin.call("GET", "/sso").json["version"]
        theirs = admin.call("GET", "/sso", headers={"X-Onramp-Realm": "sso_setup"}).json["version"]
        r = admin.call("PUT", "/sso", {"protocol": "not_required", "version": theirs}, csrf=False,
                       headers={"X-Onramp-Realm": "sso_setup", "X-CSRF-Token": link_csrf})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(link_admin.call("GET", "/sso").json["protocol"], "not_required")
        self.assertEqual(admin.call("GET", "/sso").json["version"], mine)

    def test_lifetime_limits_and_fields(self):
        cust, admin = self.admin()
        for hours in (0, 169, -1):
            with self.subTest(hours=hours):
                r = admin.call("POST", "/sso/setup-links", {"email": "a@example.test", "expires_in_hours": hours})
                self.assertEqual((r.status, r.json["error"]["fields"][0]["field"]), (422, "expires_in_hours"), r)
        r = admin.call("POST", "/sso/setup-links", {"email": "not-an-email"})
        self.assertEqual((r.status, r.json["error"]["fields"][0]["code"]), (422, "invalid_email"))
        self.assertEqual(admin.call("POST", "/sso/setup-links", {"email": "a@example.test", "x": 1}).status, 400)
        now = self.st.now()
        longest = self.make_link(admin, "long@example.test", expires_in_hours=168)
        default = self.make_link(admin, "default@example.test")
        for link, hours in ((longest, 168), (default, 72)):
            got = self.sql(f"SELECT UNIX_TIMESTAMP(expires_at) - UNIX_TIMESTAMP(created_at) AS d FROM sso_setup_links "
                           f"WHERE id = {link['id']}").split()[1]
            self.assertAlmostEqual(float(got), hours * 3600, delta=1)
        self.assertLess(abs(float(self.sql(f"SELECT UNIX_TIMESTAMP(created_at) FROM sso_setup_links "
                                           f"WHERE id = {longest['id']}").split()[1]) - now), 60)

    def test_used_up_after_the_session_limit(self):
        cust, admin = self.admin()
        email = f"{self.uniq('it')}@{cust['slug']}.example"
        link = self.make_link(admin, email)
        token = self.mailed_token(email)
        for i in range(SESSIONS_MAX):
            self.assertEqual(self.redeem(token)[1].status, 200, i)
        c, r = self.redeem(token)
        self.assertEqual((r.status, r.code), (410, "gone"), r)
        self.assertNotIn("onramp_sso_setup", c.cookies)
        mine = [x for x in admin.call("GET", "/sso/setup-links").json["links"] if x["id"] == link["id"]][0]
        self.assertEqual((mine["state"], mine["sessions_started"]), ("used_up", SESSIONS_MAX))

    def test_hourly_limit_per_customer(self):
        cust, admin = self.admin()
        for i in range(LINKS_PER_HOUR):
            self.make_link(admin, f"it{i}@{cust['slug']}.example")
        r = admin.call("POST", "/sso/setup-links", {"email": f"more@{cust['slug']}.example"})
        self.assertEqual((r.status, r.code), (429, "rate_limited"), r)
        self.assertGreater(int(r.headers["retry-after"]), 3000)
        _, other = self.admin()                                 # another customer is not affected
        self.make_link(other, "it@other.example")

    def test_token_stored_only_as_its_hash(self):
        cust, admin = self.admin()
        link, token, c = self.holder(admin, cust)
        c.call("PUT", "/sso", {"protocol": "not_required", "version": c.call("GET", "/sso").json["version"]})
        stored = self.sql(f"SELECT token_hash FROM sso_setup_links WHERE id = {link['id']}").split()[1]
        self.assertEqual(stored, hashlib.sha256(token.encode()).hexdigest())
        stack.wait_for(lambda: "sent" in self.sql(f"SELECT state FROM outbox WHERE ref_type = 'sso_setup_link' "
                                                  f"AND ref_id = {link['id']}"), 20, "mail sent")
        dump = Env.db.sql(f"USE `{self.st.db_name}`; SELECT * FROM sso_setup_links; SELECT * FROM audit_log; "
                          f"SELECT * FROM sessions; SELECT * FROM outbox; SELECT * FROM login_throttle")
        self.assertNotIn(token, dump)
        for path in (self.st.app_log, f"{self.st.log_dir}/nginx-access.log", self.st.mailer_log):
            self.assertNotIn(token, open(path).read())
        for body in (admin.call("GET", "/sso/setup-links").body, c.call("GET", "/sso/setup-session").body,
                     self.ops_client.call("GET", f"/audit?customer={cust['id']}").body):
            self.assertNotIn(token.encode(), body)

    def test_redeem_throttled_per_address(self):
        cust, admin = self.admin()
        email = f"{self.uniq('it')}@{cust['slug']}.example"
        self.make_link(admin, email)
        token = self.mailed_token(email)
        ip = "127.0.0.77"
        for i in range(ADDR_MAX):
            self.assertEqual(self.redeem("A" * 43, ip)[1].status, 410, i)
        c, r = self.redeem(token, ip)
        self.assertEqual((r.status, r.code), (429, "rate_limited"), r)
        self.assertIn("retry-after", r.headers)
        self.assertEqual(self.redeem(token, "127.0.0.78")[1].status, 200)   # another address is not affected


class SetupLinkExpiryTests(SetupLinkBase):
    """Moves this stack's clock: its own class, so no other test sees the jump."""

    def test_expiry_ends_access_and_redemption(self):
        cust, admin = self.admin()
        email = f"{self.uniq('it')}@{cust['slug']}.example"
        link = self.make_link(admin, email, expires_in_hours=1)
        token = self.mailed_token(email)
        c, r = self.redeem(token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(c.call("GET", "/sso").status, 200)
        self.st.advance_clock(3601)
        self.assertEqual(c.call("GET", "/sso").status, 401)
        self.assertEqual(self.redeem(token)[1].status, 410)
        mine = [x for x in admin.call("GET", "/sso/setup-links").json["links"] if x["id"] == link["id"]][0]
        self.assertEqual(mine["state"], "expired")
