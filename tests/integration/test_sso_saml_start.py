"""Starting a SAML sign-in (issue 14, the service provider's half): the per-customer SP
metadata, POST /sso/start and POST /sso/tests for a SAML configuration (the AuthnRequest in the
HTTP-Redirect URL, inflated and read back field by field, and its ID stored with the pending
request), the HTTP-POST binding's page (form fields, no inline script, and every way it refuses),
and the pending cookie's attributes (SameSite=None; Secure only for SAML over https).

The IdP is the corpus's Okta metadata, submitted inline: it lists HTTP-POST first and
HTTP-Redirect second (Redirect is taken); with its Redirect endpoint removed it is a POST-only
IdP.  Nothing here talks to an IdP: the ACS and the real IdP are other modules' tests."""

import base64
import hashlib
import html.parser
import http.client
import os
import re
import secrets
import time
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

import sso_golive
from identity_client import customer
from sso_fixture import CORPUS
from test_identity import IdentityBase

CLOCK = "2026-11-23 00:00:00"          # the corpus verdicts' date: Okta's certificate is valid then
OKTA = open(os.path.join(CORPUS, "saml/okta_trial-1022863_idp-metadata.xml"), encoding="utf-8").read()
OKTA_SSO = "https://trial-1022863.okta.com/app/trial-1022863_oktalocalhostbis_1/exkdoocxa1VmjpXmX697/sso/saml"
OKTA_ORIGIN = "https://trial-1022863.okta.com"
OKTA_POST_ONLY = re.sub(r'<md:SingleSignOnService Binding="[^"]*HTTP-Redirect"[^>]*/>', "", OKTA)
NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
      "md": "urn:oasis:names:tc:SAML:2.0:metadata"}
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
EMAIL_FMT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PENDING = "onramp_sso_pending"


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))


def inflate(value):
    """The HTTP-Redirect binding's SAMLRequest: base64 of raw DEFLATE."""
    return zlib.decompress(base64.b64decode(value, validate=True), -15).decode()


def rfc3339(db_time):
    return db_time.split(".")[0].replace(" ", "T") + "Z"


class Page(html.parser.HTMLParser):
    """The POST page's form, inputs, buttons and scripts (with their bodies)."""

    def __init__(self):
        super().__init__()
        self.forms, self.inputs, self.scripts, self.buttons, self.handlers = [], {}, [], [], []
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.handlers += [k for k in a if k.lower().startswith("on")]
        if tag == "form":
            self.forms.append(a)
        elif tag == "input":
            self.inputs[a.get("name")] = a
        elif tag == "script":
            self.scripts.append([a, ""])
        self._in = tag

    def handle_data(self, data):
        if self._in == "script" and self.scripts:
            self.scripts[-1][1] += data
        elif self._in == "button":
            self.buttons.append(data)

    def handle_endtag(self, tag):
        self._in = None


def raw(st, method, path, body=None):
    """(status, [(header, value)...]) of one request: every Set-Cookie, which the client folds into one."""
    host, port = st.public_url.split("://", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body.encode() if body else None, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        return r.status, r.getheaders()
    finally:
        conn.close()


def set_cookies(st, path, body):
    status, headers = raw(st, "POST", "/api/v1" + path, body)
    return status, [v for k, v in headers if k.lower() == "set-cookie"]


class SamlBase(IdentityBase):
    extra_config = dict(IdentityBase.extra_config, sso_clock=CLOCK, sso_starts_per_addr="1000")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.cust, cls.domain, cls.admin = cls.live(OKTA)
            cls.post_cust, cls.post_domain, cls.post_admin = cls.live(OKTA_POST_ONLY)
        except BaseException:
            cls.tearDownClass()
            raise

    # ---- the go-live path of a SAML customer --------------------------------------------
    @classmethod
    def saml_admin(cls):
        return sso_golive.new_admin(cls, "saml", 10)

    @classmethod
    def validated(cls, admin, domain, xml):
        """Save a SAML draft with xml inline and validate it; the validated version."""
        v = admin.call("GET", "/sso").json["version"]
        r = admin.call("PUT", "/sso", {"protocol": "saml", "metadata_xml": xml, "email_domains": [domain],
                                       "test_users": [f"tess@{domain}"], "version": v,
                                       "claims": {"username": "uid", "email": "email", "groups": "groups"}})
        assert r.status == 200, r
        return sso_golive.validate(admin)

    @classmethod
    def live(cls, xml):
        cust, domain, admin = cls.saml_admin()
        version = cls.validated(admin, domain, xml)
        sso_golive.submit_and_approve(cls, admin, cust, version)
        # The passed test a SAML version needs (the ACS that produces one is another module's).
        cls.run_sql(f"INSERT INTO sso_tests (customer_id, protocol, version, state, started_by, created_at, "
                    f"finished_at) VALUES ({cust['id']}, 'saml', {version}, 'passed', 'test', NOW(6), NOW(6))")
        sso_golive.activate(cls, cust)
        return cust, domain, admin

    @classmethod
    def run_sql(cls, statement):
        from harness import Env
        return Env.db.sql(f"USE `{cls.st.db_name}`; {statement}")

    def value(self, statement):
        return self.sql(statement).strip().splitlines()[-1]

    def pending(self):
        """The newest pending row: request_id, state_hash, protocol, purpose, created_at, expires_at, test_id."""
        row = self.value("SELECT request_id, state_hash, protocol, purpose, created_at, expires_at, "
                         "COALESCE(test_id, 0), version FROM sso_pending ORDER BY id DESC LIMIT 1").split("\t")
        return dict(zip(("request_id", "state_hash", "protocol", "purpose", "created_at", "expires_at", "test_id",
                         "version"), row))

    def sp(self, admin):
        r = admin.call("GET", "/sso/sp")
        self.assertEqual(r.status, 200, r)
        return r.json["saml"]

    def start(self, email, client=None):
        c = client or customer(self.st)
        r = c.call("POST", "/sso/start", {"email": email})
        self.assertEqual(r.status, 200, r)
        return c, r.json["redirect_url"]

    def assert_authn(self, xml, sp, pending):
        """Every field of the AuthnRequest, against the SP URLs and the pending row."""
        root = ET.fromstring(xml)
        self.assertEqual(root.tag, "{%s}AuthnRequest" % NS["samlp"])
        self.assertRegex(root.get("ID"), r"^_[0-9a-f]{64}$")
        self.assertEqual(root.get("ID"), pending["request_id"])
        self.assertEqual(root.get("Version"), "2.0")
        self.assertEqual(root.get("IssueInstant"), rfc3339(pending["created_at"]))
        self.assertEqual(root.get("Destination"), OKTA_SSO)
        self.assertEqual(root.get("AssertionConsumerServiceURL"), sp["acs_url"])
        self.assertEqual(root.get("ProtocolBinding"), POST_BINDING)
        self.assertEqual(root.find("saml:Issuer", NS).text, sp["entity_id"])
        pol = root.find("samlp:NameIDPolicy", NS)
        self.assertEqual((pol.get("Format"), pol.get("AllowCreate")), (EMAIL_FMT, "true"))

    def assert_state(self, relay, pending):
        """RelayState is the 43-character state token (its hash is the pending row's), never a URL."""
        self.assertRegex(relay, r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(hashlib.sha256(relay.encode()).hexdigest(), pending["state_hash"])

    def post_page(self, client, url):
        u = urllib.parse.urlsplit(url)
        return client.call("GET", u.path[len("/api/v1"):] + "?" + u.query, csrf=False)


class SpMetadataTests(SamlBase):
    def test_metadata_endpoint(self):
        sp = self.sp(self.admin)
        u = urllib.parse.urlsplit(sp["metadata_url"])
        self.assertEqual(f"{u.scheme}://{u.netloc}", self.st.public_url)
        r = customer(self.st).call("GET", u.path[len("/api/v1"):])     # public: no session
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["content-type"], "application/samlmetadata+xml")
        root = ET.fromstring(r.body)
        self.assertEqual(root.tag, "{%s}EntityDescriptor" % NS["md"])
        self.assertEqual(root.get("entityID"), sp["entity_id"])
        desc = root.find("md:SPSSODescriptor", NS)
        self.assertEqual(desc.get("protocolSupportEnumeration"), NS["samlp"])
        self.assertEqual((desc.get("AuthnRequestsSigned"), desc.get("WantAssertionsSigned")), ("false", "true"))
        self.assertEqual(desc.find("md:NameIDFormat", NS).text, EMAIL_FMT)
        acs = desc.findall("md:AssertionConsumerService", NS)
        self.assertEqual([(a.get("Binding"), a.get("Location"), a.get("index")) for a in acs],
                         [(POST_BINDING, sp["acs_url"], "0")])
        self.assertIsNone(root.find("md:IDPSSODescriptor", NS))

    def test_metadata_unknown_slug_404(self):
        for slug in ("nobody-here", "Bad_Slug!"):
            r = customer(self.st).call("GET", f"/sso/saml/{slug}/metadata")
            self.assertEqual(r.status, 404, r)
            self.assertTrue(r.headers["content-type"].startswith("text/html"), r.headers)

    def test_our_metadata_pasted_as_the_idp_is_called_sp_metadata(self):
        sp = self.sp(self.admin)
        md = customer(self.st).call("GET", urllib.parse.urlsplit(sp["metadata_url"]).path[len("/api/v1"):]).body
        _, domain, admin = self.saml_admin()
        v = admin.call("GET", "/sso").json["version"]
        r = admin.call("PUT", "/sso", {"protocol": "saml", "metadata_xml": md.decode(), "email_domains": [domain],
                                       "version": v})
        self.assertEqual(r.status, 200, r)
        r = admin.call("POST", "/sso/validate")
        job, end = r.json["validation"], time.monotonic() + 30
        while job["state"] not in ("done", "failed"):
            self.assertLess(time.monotonic(), end)
            time.sleep(0.05)
            job = admin.call("GET", f"/sso/validations/{job['id']}").json
        failed = [c for c in job["report"]["checks"] if not c["ok"] and c["severity"] == "error"]
        self.assertEqual([c["key"] for c in failed], ["saml.idp_present"], failed)
        self.assertIn("service-provider metadata", failed[0]["message"])


class SamlStartTests(SamlBase):
    def test_start_redirect_binding(self):
        sp = self.sp(self.admin)
        c, url = self.start(f"ann@{self.domain}")
        self.assertTrue(url.startswith(OKTA_SSO + "?SAMLRequest="), url)
        q = query(url)
        self.assertEqual(sorted(q), ["RelayState", "SAMLRequest"])
        p = self.pending()
        self.assertEqual((p["protocol"], p["purpose"]), ("saml", "signin"))
        self.assert_authn(inflate(q["SAMLRequest"]), sp, p)
        self.assert_state(q["RelayState"], p)
        self.assertEqual(self.value(f"SELECT TIMESTAMPDIFF(SECOND, created_at, expires_at) FROM sso_pending "
                                    f"WHERE request_id = '{p['request_id']}'"), "600")
        self.assertIn(PENDING, c.cookies)
        # Every start gets its own request ID and state.
        _, url2 = self.start(f"ann@{self.domain}")
        self.assertNotEqual(self.pending()["request_id"], p["request_id"])
        self.assertNotEqual(query(url2)["RelayState"], q["RelayState"])

    def test_start_post_binding_goes_to_our_page(self):
        sp = self.sp(self.post_admin)
        c, url = self.start(f"ann@{self.post_domain}")
        p = self.pending()
        self.assertEqual(p["protocol"], "saml")
        self.assertTrue(url.startswith(sp["entity_id"] + "/post?RelayState="), url)
        self.assertEqual(sorted(query(url)), ["RelayState"])
        self.assert_state(query(url)["RelayState"], p)

    def test_post_page_form(self):
        sp = self.sp(self.post_admin)
        c, url = self.start(f"ann@{self.post_domain}")
        p, relay = self.pending(), query(url)["RelayState"]
        r = self.post_page(c, url)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("text/html"), r.headers)
        page = Page()
        page.feed(r.body.decode())
        self.assertEqual(len(page.forms), 1)
        self.assertEqual((page.forms[0].get("method"), page.forms[0].get("action")), ("post", OKTA_SSO))
        self.assertEqual(sorted(page.inputs), ["RelayState", "SAMLRequest"])
        self.assertEqual(page.inputs["RelayState"]["value"], relay)
        # The POST binding carries plain base64 (no deflate).
        self.assert_authn(base64.b64decode(page.inputs["SAMLRequest"]["value"], validate=True).decode(), sp, p)
        # No inline script, no event handler: one external script, and a visible button without it.
        self.assertEqual([(s[0].get("src"), s[1].strip()) for s in page.scripts], [("/js/saml-post.js", "")])
        self.assertEqual(page.handlers, [])
        self.assertIn("Continue to your identity provider", "".join(page.buttons))
        # nginx's CSP is the site's (no 'unsafe-inline', no nonce), but form-action also names the IdP's
        # origin, or the browser would not submit the form; the app's header that says so stays inside.
        site = {k.lower(): v for k, v in raw(self.st, "GET", "/")[1]}["content-security-policy"]
        self.assertIn("form-action 'self' ;", site)
        self.assertEqual(r.headers["content-security-policy"],
                         site.replace("form-action 'self' ;", f"form-action 'self' {OKTA_ORIGIN};"))
        self.assertNotIn("unsafe-inline", r.headers["content-security-policy"])
        self.assertNotIn("x-onramp-form-action", r.headers)
        self.assertIn("no-store", r.headers.get("cache-control", ""))
        # Reading the page does not use the request up: the ACS consumes it.
        self.assertEqual(self.post_page(c, url).status, 200)
        self.assertEqual(self.value(f"SELECT used_at IS NULL FROM sso_pending WHERE request_id = '{p['request_id']}'"),
                         "1")
        js = open(os.path.join(os.path.dirname(__file__), "..", "..", "www", "js", "saml-post.js")).read()
        self.assertIn('getElementById("saml-post")', js)
        self.assertIn('id="saml-post"', r.body.decode())

    def assert_refused(self, r, status=400):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.headers["content-type"].startswith("text/html"), r.headers)
        self.assertNotIn(b"SAMLRequest", r.body)
        self.assertNotIn(b"<form", r.body)

    def test_post_page_refuses_another_browser(self):
        c, url = self.start(f"ann@{self.post_domain}")
        self.assert_refused(self.post_page(customer(self.st), url))
        other = customer(self.st)
        other.cookies[PENDING] = secrets.token_urlsafe(32)
        self.assert_refused(self.post_page(other, url))
        self.assertEqual(self.post_page(c, url).status, 200)

    def test_post_page_refuses_used_expired_unknown(self):
        c, url = self.start(f"ann@{self.post_domain}")
        rid = self.pending()["request_id"]
        path = urllib.parse.urlsplit(url).path
        self.assert_refused(self.post_page(c, f"{path}?RelayState={secrets.token_urlsafe(32)}"))
        self.assert_refused(self.post_page(c, f"{path}?RelayState=short"))
        self.assert_refused(self.post_page(c, path + "?x=1"))
        self.sql(f"UPDATE sso_pending SET used_at = NOW(6) WHERE request_id = '{rid}'")
        self.assert_refused(self.post_page(c, url))
        c2, url2 = self.start(f"ann@{self.post_domain}")
        self.assertEqual(self.post_page(c2, url2).status, 200)
        self.st.advance_clock(601)
        self.assert_refused(self.post_page(c2, url2))

    def test_post_page_refuses_another_customers_slug_and_unknown_slug(self):
        c, url = self.start(f"ann@{self.post_domain}")
        relay = query(url)["RelayState"]
        self.assert_refused(self.post_page(c, f"/api/v1/sso/saml/{self.cust['slug']}/post?RelayState={relay}"))
        self.assert_refused(self.post_page(c, f"/api/v1/sso/saml/nobody-here/post?RelayState={relay}"), 404)
        self.assertEqual(self.post_page(c, url).status, 200)

    def test_post_page_refuses_a_changed_configuration(self):
        c, url = self.start(f"ann@{self.post_domain}")
        self.sql(f"UPDATE sso_pending SET version = version + 100 WHERE request_id = '{self.pending()['request_id']}'")
        self.assert_refused(self.post_page(c, url), 409)

    def test_pending_cookie_is_none_secure_on_loopback_http(self):
        # The stack's public URL is http://127.0.0.1:<port>, a secure context for browsers: the
        # cookie is SameSite=None; Secure as over https, so Chromium sends it with the IdP's
        # cross-site POST to the ACS (tests/browser/sso-saml.test.mjs).  Other http hosts keep
        # Lax (saml_sp_secure_context, tests/unit/test_saml_sp.c).
        status, cookies = set_cookies(self.st, "/sso/start", f'{{"email": "ann@{self.domain}"}}')
        self.assertEqual(status, 200)
        pend = [v for v in cookies if v.startswith(PENDING + "=")]
        self.assertEqual(len(pend), 1, cookies)
        attrs = [a.strip() for a in pend[0].split(";")]
        self.assertIn("SameSite=None", attrs)
        self.assertIn("Secure", attrs)
        self.assertIn("HttpOnly", attrs)
        self.assertIn("Path=/api/v1/sso/", attrs)


class SamlTestSignInTests(SamlBase):
    def test_saml_test_sign_in_starts(self):
        _, domain, admin = self.saml_admin()
        version = self.validated(admin, domain, OKTA)
        sp = self.sp(admin)
        r = admin.call("POST", "/sso/tests")
        self.assertEqual(r.status, 201, r)
        p = self.pending()
        self.assertEqual((p["protocol"], p["purpose"], p["test_id"], p["version"]),
                         ("saml", "test", r.json["id"], str(version)))
        q = query(r.json["redirect_url"])
        self.assert_authn(inflate(q["SAMLRequest"]), sp, p)
        self.assert_state(q["RelayState"], p)
        t = admin.call("GET", f"/sso/tests/{r.json['id']}").json
        self.assertEqual((t["state"], t["protocol"], t["version"]), ("pending", "saml", version))

    def test_saml_test_of_a_post_only_idp_uses_our_page(self):
        _, domain, admin = self.saml_admin()
        self.validated(admin, domain, OKTA_POST_ONLY)
        r = admin.call("POST", "/sso/tests")
        self.assertEqual(r.status, 201, r)
        page = self.post_page(admin, r.json["redirect_url"])
        self.assertEqual(page.status, 200, page)
        self.assertIn(b'name="SAMLRequest"', page.body)

    def test_saml_test_needs_validation_but_no_secret(self):
        _, domain, admin = self.saml_admin()
        v = admin.call("GET", "/sso").json["version"]
        r = admin.call("PUT", "/sso", {"protocol": "saml", "metadata_xml": OKTA, "email_domains": [domain],
                                       "version": v})
        self.assertEqual(r.status, 200, r)
        r = admin.call("POST", "/sso/tests")
        self.assertEqual(r.status, 409, r)
        self.assertEqual([f["code"] for f in r.json["error"]["fields"]], ["not_validated"])


class SamlHttpsCookieTests(SamlBase):
    """public_base_url https (as in production behind TLS): the IdP's POST to the ACS is
    cross-site, so the SAML pending and invite cookies are SameSite=None; Secure."""
    extra_config = dict(SamlBase.extra_config, public_base_url="https://onramp.example")

    def test_saml_cookies_are_samesite_none_secure(self):
        body = f'{{"email": "ann@{self.domain}", "invite_token": "{secrets.token_urlsafe(32)}"}}'
        status, cookies = set_cookies(self.st, "/sso/start", body)
        self.assertEqual(status, 200)
        for name in (PENDING, "onramp_sso_invite"):
            got = [v for v in cookies if v.startswith(name + "=")]
            self.assertEqual(len(got), 1, cookies)
            attrs = [a.strip() for a in got[0].split(";")]
            self.assertIn("SameSite=None", attrs)
            self.assertIn("Secure", attrs)
            self.assertIn("HttpOnly", attrs)
