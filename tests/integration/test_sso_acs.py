"""The SAML ACS's mechanics through nginx, without an IdP (test_sso_saml.py signs real responses with
samlify): the form body (415, 413 at the app and at nginx, a duplicate or unknown field), the RelayState
and browser binding (unsolicited without one or with an unknown one, another browser, used once,
expired, another customer's request, a request started for OIDC), the response's own first checks
(missing, bad base64, oversized), a test sign-in's failure recorded, the configuration changed meanwhile.
Every refusal is a page with no session, audited with its check key, and the request's log line names
that key and never the SAMLResponse or the RelayState.  Pending requests are written straight into
sso_pending (what POST /sso/start and /sso/tests write: hashes of the state and browser tokens, the
AuthnRequest ID), and the customer's SAML configuration straight into sso_live / sso_settings."""

import base64
import hashlib
import json
import os
import secrets
import subprocess
import tempfile
import urllib.parse

from identity_client import customer
from test_identity import IdentityBase

SESSION_COOKIE, PENDING_COOKIE, INVITE_COOKIE = "onramp_session", "onramp_sso_pending", "onramp_sso_invite"
IDP_ENTITY = "https://idp.acs-test.example/entity"
FORM = "application/x-www-form-urlencoded"
LIMIT_SAML_RESPONSE_B64 = 256 * 1024
LIMIT_BODY_FORM = 3 * (LIMIT_SAML_RESPONSE_B64 + 80) + 1024      # include/onramp/limits.h


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


def token():
    return secrets.token_urlsafe(32)[:43]


def idp_cert_b64():
    """A fresh self-signed signing certificate, base64 DER, as the validated metadata carries it."""
    with tempfile.TemporaryDirectory() as t:
        key, crt = os.path.join(t, "k.pem"), os.path.join(t, "c.der")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-outform",
                        "DER", "-out", crt, "-days", "2", "-subj", "/CN=acs-test-idp"], check=True, capture_output=True)
        with open(crt, "rb") as f:
            return base64.b64encode(f.read()).decode()


class AcsTests(IdentityBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cert = idp_cert_b64()
        cls.cust = cls.saml_customer()
        cls.other = cls.saml_customer()

    @classmethod
    def saml_customer(cls, version=1):
        """A customer whose live and validated configuration (version) is SAML."""
        slug = cls.uniq("acs")
        r = cls.ops_client.call("POST", "/customers", {"slug": slug, "name": f"{slug} Ltd", "seat_limit": 10})
        assert r.status == 201, r
        cust = r.json["customer"]
        doc = json.dumps({
            "v": 1, "version": version, "protocol": "saml", "email_domains": [f"{slug}.example"],
            "admin_groups": [], "member_groups": ["members"], "test_users": [f"tess@{slug}.example"],
            "claims": {"email": "email", "username": "uid", "groups": "groups"},
            "idp": {"saml_entity_id": IDP_ENTITY, "saml_sso_url": "https://idp.acs-test.example/sso",
                    "saml_sso_binding": "HTTP-Redirect", "saml_certs": [cls.cert]}})
        q = doc.replace("\\", "\\\\").replace("'", "\\'")
        cls.db(f"INSERT INTO sso_live (customer_id, protocol, version, config, activated_at) "
               f"VALUES ({cust['id']}, 'saml', {version}, '{q}', UTC_TIMESTAMP(6)); "
               f"INSERT INTO sso_settings (customer_id, protocol, version, validated_version, report_ok, "
               f"validated_idp) VALUES ({cust['id']}, 'saml', {version}, {version}, 1, '{q}')")
        return cust

    @classmethod
    def db(cls, statement):
        from harness import Env
        return Env.db.sql(f"USE `{cls.st.db_name}`; {statement}")

    def value(self, statement):
        return self.sql(statement).strip().splitlines()[-1]

    # ---- pending requests, as /sso/start and /sso/tests write them ------------------------------
    def pending(self, cust=None, purpose="signin", protocol="saml", version=1, test_id=None):
        """A pending request of cust: (RelayState, browser token)."""
        cust = cust or self.cust
        state, browser, now = token(), token(), int(self.st.now())
        rid = "'_" + secrets.token_hex(32) + "'" if protocol == "saml" else "NULL"
        self.sql(f"INSERT INTO sso_pending (state_hash, browser_hash, customer_id, purpose, test_id, protocol, "
                 f"version, request_id, created_at, expires_at) VALUES ('{sha256_hex(state)}', "
                 f"'{sha256_hex(browser)}', {cust['id']}, '{purpose}', {test_id or 'NULL'}, '{protocol}', {version}, "
                 f"{rid}, FROM_UNIXTIME({now}), FROM_UNIXTIME({now + 600}))")
        return state, browser

    def used(self, state):
        return self.value(f"SELECT used_at IS NOT NULL FROM sso_pending WHERE state_hash = '{sha256_hex(state)}'")

    def client(self, browser_token=None):
        c = customer(self.st)
        if browser_token:
            c.cookies[PENDING_COOKIE] = browser_token
        return c

    def post(self, c, fields=None, slug=None, raw=None, content_type=FORM):
        body = raw if raw is not None else urllib.parse.urlencode(fields or {}).encode()
        return c.call("POST", f"/sso/saml/{slug or self.cust['slug']}/acs", raw=body, csrf=False,
                      headers={"Content-Type": content_type})

    # ---- what every refusal must leave behind ----------------------------------------------------
    def sessions(self):
        return int(self.value("SELECT COUNT(*) FROM sessions WHERE realm = 'customer'"))

    def last_refusal(self):
        return json.loads(self.value("SELECT after_json FROM audit_log WHERE action = 'user.sign_in_refused' "
                                     "ORDER BY id DESC LIMIT 1"))

    def refusals(self):
        return int(self.value("SELECT COUNT(*) FROM audit_log WHERE action = 'user.sign_in_refused'"))

    def assert_page(self, c, r, status, text, check, before):
        """A page that says why, no session (cookie or row), the refusal audited with its check key."""
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.headers.get("content-type", "").startswith("text/html"), r.headers)
        self.assertIn(text.lower(), r.body.decode().lower())
        self.assertNotIn(SESSION_COOKIE, c.cookies)
        self.assertNotIn(SESSION_COOKIE, r.headers.get("set-cookie", ""))
        self.assertEqual(self.sessions(), before)
        self.assertEqual(c.call("GET", "/session").status, 401)
        self.assertEqual(self.last_refusal(), {"login_type": "saml", "check": check})

    def refused(self, fields, browser_token, status, text, check, slug=None):
        before = self.sessions()
        c = self.client(browser_token)
        r = self.post(c, fields, slug=slug)
        self.assert_page(c, r, status, text, check, before)
        return r

    # ---- the form body --------------------------------------------------------------------------
    def test_json_or_multipart_is_415(self):
        c = self.client()
        r = c.call("POST", f"/sso/saml/{self.cust['slug']}/acs", {"SAMLResponse": "x", "RelayState": "y"},
                   csrf=False)
        self.assertEqual((r.status, r.code), (415, "unsupported_media_type"), r)
        r = self.post(c, raw=b"--b\r\n\r\n--b--\r\n", content_type="multipart/form-data; boundary=b")
        self.assertEqual(r.status, 415, r)
        r = self.post(c, {"RelayState": "y"}, content_type=FORM + "; charset=UTF-8")
        self.assertNotEqual(r.status, 415, r)      # parameters of the right type are fine

    def test_body_over_the_form_limit_is_413(self):
        state, browser = self.pending()
        before = self.sessions()
        prefix = f"RelayState={state}&SAMLResponse=".encode()
        # Over the app's limit, under nginx's: the app's 413, before the body is read.
        c = self.client(browser)
        r = self.post(c, raw=prefix + b"A" * (LIMIT_BODY_FORM + 1 - len(prefix)))
        self.assertEqual((r.status, r.code), (413, "too_large"), r)
        # Over nginx's ACS limit (800k): nginx's 413.
        r = self.post(c, raw=prefix + b"A" * (900 * 1024))
        self.assertEqual(r.status, 413, r)
        self.assertEqual(self.used(state), "0")
        self.assertEqual(self.sessions(), before)
        self.assertNotIn(SESSION_COOKIE, c.cookies)

    def test_body_at_the_form_limit_is_read(self):
        """The largest SAMLResponse a browser can send, percent-encoded: the form limit lets it through."""
        state, browser = self.pending()
        body = urllib.parse.urlencode({"RelayState": state, "SAMLResponse": "/" * LIMIT_SAML_RESPONSE_B64}).encode()
        self.assertLessEqual(len(body), LIMIT_BODY_FORM)
        self.assertGreater(len(body), 3 * LIMIT_SAML_RESPONSE_B64 - 1)
        before, c = self.sessions(), self.client(browser)
        r = self.post(c, raw=body)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(self.used(state), "1")
        # Read whole and handed to the verifier, which refuses it for what it is, not for its size.
        check = self.last_refusal()["check"]
        self.assertTrue(check.startswith("saml.") and check not in ("saml.size", "saml.unsolicited"), check)
        self.assertEqual(self.sessions(), before)
        self.assertNotIn(SESSION_COOKIE, c.cookies)

    def test_duplicate_or_unknown_field_is_400(self):
        state, browser = self.pending()
        c = self.client(browser)
        r = self.post(c, raw=f"RelayState={state}&SAMLResponse=QUFB&RelayState={state}".encode())
        self.assertEqual((r.status, r.code), (400, "bad_request"), r)
        self.assertIn("more than once", r.json["error"]["message"])
        r = self.post(c, {"RelayState": state, "SAMLResponse": "QUFB", "SigAlg": "x"})
        self.assertEqual((r.status, r.code), (400, "bad_request"), r)
        self.assertEqual([f["field"] for f in r.json["error"]["fields"]], ["SigAlg"])
        r = self.post(c, raw=b"RelayState=%zz")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(self.used(state), "0")      # nothing was decided: the request is still open

    # ---- RelayState and the browser --------------------------------------------------------------
    def test_no_relay_state_is_unsolicited(self):
        n = self.refusals()
        self.refused({"SAMLResponse": "QUFB"}, None, 400, "not started here", "saml.unsolicited")
        self.assertEqual(self.refusals(), n + 1)

    def test_unknown_relay_state_is_unsolicited(self):
        _, browser = self.pending()
        self.refused({"SAMLResponse": "QUFB", "RelayState": token()}, browser, 400,
                     "only sign-ins started from its own sign-in page", "saml.unsolicited")

    def test_relay_state_of_another_shape_is_unsolicited(self):
        # IdP-initiated sign-ins often carry a URL: never followed, never accepted.
        self.refused({"SAMLResponse": "QUFB", "RelayState": "https://evil.example/after"}, None, 400,
                     "not started here", "saml.unsolicited")
        self.refused({"SAMLResponse": "QUFB", "RelayState": "A" * 81}, None, 400, "not started here",
                     "saml.unsolicited")

    def test_other_browser(self):
        state, _ = self.pending()
        self.refused({"SAMLResponse": "QUFB", "RelayState": state}, token(), 403, "different browser",
                     "saml.relay_state")
        state, _ = self.pending()
        self.refused({"SAMLResponse": "QUFB", "RelayState": state}, None, 403, "different browser",
                     "saml.relay_state")

    def test_used_once(self):
        state, browser = self.pending()
        self.refused({"SAMLResponse": "!!!!", "RelayState": state}, browser, 403, "base64", "saml.base64")
        self.assertEqual(self.used(state), "1")
        self.refused({"SAMLResponse": "QUFB", "RelayState": state}, browser, 410, "already used",
                     "saml.relay_state")

    def test_expired(self):
        state, browser = self.pending()
        self.st.advance_clock(601)
        self.refused({"SAMLResponse": "QUFB", "RelayState": state}, browser, 410, "longer than 10 minutes",
                     "saml.relay_state")

    def test_another_customers_request(self):
        state, browser = self.pending(cust=self.other)
        self.refused({"SAMLResponse": "QUFB", "RelayState": state}, browser, 400, "not started here",
                     "saml.unsolicited")
        # The answer sent to the wrong customer did not use the other customer's request up.
        self.assertEqual(self.used(state), "0")

    def test_request_started_for_oidc(self):
        state, browser = self.pending(protocol="oidc")
        self.refused({"SAMLResponse": "QUFB", "RelayState": state}, browser, 400, "not started with saml",
                     "saml.protocol")

    def test_unknown_slug_is_404_page(self):
        c = self.client()
        r = self.post(c, {"SAMLResponse": "QUFB", "RelayState": token()}, slug="no-such-customer")
        self.assertEqual(r.status, 404, r)
        self.assertIn("does not belong to any company", r.body.decode())
        self.assertNotIn(SESSION_COOKIE, c.cookies)

    def test_no_csrf_token_needed(self):
        """The IdP's form post is cross-site: a signed-in browser without a CSRF header reaches the ACS."""
        user = self.new_user(self.cust)["user"]
        c = self.first_signin(user["username"])
        self.assertTrue(c.csrf)
        state, browser = self.pending()
        c.cookies[PENDING_COOKIE] = browser
        r = self.post(c, {"SAMLResponse": "!!!!", "RelayState": state})     # post() sends no CSRF header
        self.assertNotEqual(r.code, "csrf_failed", r)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(self.last_refusal()["check"], "saml.base64")

    # ---- the response's first checks -------------------------------------------------------------
    def test_missing_saml_response(self):
        state, browser = self.pending()
        self.refused({"RelayState": state}, browser, 400, "no samlresponse", "saml.response")
        self.assertEqual(self.used(state), "1")
        state, browser = self.pending()
        self.refused({"RelayState": state, "SAMLResponse": ""}, browser, 400, "no samlresponse", "saml.response")

    def test_bad_base64(self):
        for bad in ("!!!!", "QU=B", "QUFB====", "QUF*"):
            state, browser = self.pending()
            self.refused({"SAMLResponse": bad, "RelayState": state}, browser, 403, "base64", "saml.base64")

    def test_oversized_saml_response(self):
        state, browser = self.pending()
        self.refused({"SAMLResponse": "A" * (LIMIT_SAML_RESPONSE_B64 + 4), "RelayState": state}, browser, 403,
                     "", "saml.size")

    def test_configuration_changed_meanwhile(self):
        state, browser = self.pending(version=2)
        self.refused({"SAMLResponse": "QUFB", "RelayState": state}, browser, 409, "changed", "saml.version")

    # ---- tests, cookies, logs ---------------------------------------------------------------------
    def test_test_sign_in_failure_is_recorded(self):
        self.sql(f"INSERT INTO sso_tests (customer_id, protocol, version, started_by, created_at) "
                 f"VALUES ({self.cust['id']}, 'saml', 1, 'acs-test', UTC_TIMESTAMP(6))")
        test_id = int(self.value(f"SELECT MAX(id) FROM sso_tests WHERE customer_id = {self.cust['id']}"))
        state, browser = self.pending(purpose="test", test_id=test_id)
        before, c = self.sessions(), self.client(browser)
        r = self.post(c, {"SAMLResponse": "!!!!", "RelayState": state})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers["location"], f"/#sso-test-{test_id}")
        self.assertEqual(self.sessions(), before)
        self.assertNotIn(SESSION_COOKIE, c.cookies)
        row = self.value(f"SELECT CONCAT(state, ' ', result) FROM sso_tests WHERE id = {test_id}")
        state_col, result = row.split(" ", 1)
        self.assertEqual(state_col, "failed")
        checks = {k["key"]: k["ok"] for k in json.loads(result)["checks"]}
        self.assertEqual(checks.get("saml.relay_state"), True)
        self.assertEqual(checks.get("saml.base64"), False)

    def test_cookies_cleared_either_way(self):
        state, browser = self.pending()
        c = self.client(browser)
        c.cookies[INVITE_COOKIE] = token()
        r = self.post(c, {"SAMLResponse": "!!!!", "RelayState": state})
        self.assertEqual(r.status, 403, r)
        self.assertNotIn(PENDING_COOKIE, c.cookies)
        self.assertNotIn(INVITE_COOKIE, c.cookies)

    def acs_log_lines(self):
        lines = []
        with open(self.st.app_log, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if "acs" in str(o.get("route", "")):
                    lines.append(o)
        return lines

    def test_log_line_names_the_check_never_the_response(self):
        state, browser = self.pending()
        response = base64.b64encode(b"<samlp:Response>" + secrets.token_hex(24).encode() + b"</x>").decode()
        response = response[:-4] + "!!!!"       # distinctive, and refused at base64
        self.refused({"SAMLResponse": response, "RelayState": state}, browser, 403, "base64", "saml.base64")
        lines = self.acs_log_lines()
        self.assertTrue(lines)
        self.assertEqual((lines[-1].get("status"), lines[-1].get("detail")), (403, "saml.base64"), lines[-1])
        with open(self.st.app_log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        self.assertNotIn(response[:40], text)
        self.assertNotIn(state, text)
        self.assertNotIn(browser, text)
        dump = self.sql("SELECT * FROM audit_log") + self.sql("SELECT * FROM sso_pending")
        self.assertNotIn(response[:40], dump)
        self.assertNotIn(state, dump)
