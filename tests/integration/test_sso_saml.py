"""SAML 2.0 sign-in end to end against a real SAML IdP (tests/idp/saml.mjs, npm samlify, loopback
HTTPS, tests/integration/saml_idp.py): a customer goes live through the real path (a SAML draft
with the IdP's metadata URL, validation, a passed test sign-in, review, activation), the IdP
registers the customer's SP metadata from onramp's metadata URL, and then every case of the
issue's list is its own test against the ACS.

Each refusal asserts: the answer's status and an HTML page, no session cookie, no new sessions
row, GET /session 401, the audit row's check key where the refusal is audited, that the identity
the attacker wanted was never created, and then the honest control: the same IdP, user and
signing without the tampering, in a new browser, signs in.  Responses come from the IdP's control
API (`idp.response`) and are tampered with in saml_craft.py (xml.dom.minidom; xmlsec1 for
templates that need a VALID signature carrying a forbidden feature)."""

import os
import secrets
import shutil
import tempfile
import urllib.parse

from identity_client import customer
from saml_craft import NS_SAML, decode, encode
import saml_craft
from saml_idp import SamlIdp, read_form
from sso_fixture import Canary
from test_identity import IdentityBase
from test_sso_oidc import ADMIN_GROUP, MEMBER_GROUP, SESSION_COOKIE, OidcBase

EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
# The structure rule (exactly one Assertion, directly in the Response; signatures only directly
# in the Response or the Assertion) is what every wrapped or doubled document meets first.
WRAPPING = "saml.wrapping"


def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class SamlBase(OidcBase):
    """A stack and the test SAML IdP; one customer taken live through the whole go-live path.
    Reuses the OIDC suite's stack plumbing (new_admin, sessions, assert_no_session, tick);
    `cls.op` is the SAML IdP here, so its setUp/tearDown reset and stop it."""
    post_only = False

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.mkdtemp(prefix="onramp-saml-")
        os.chmod(cls._tmp, 0o755)
        cls.op = cls.idp = SamlIdp(cls._tmp).start()
        if cls.post_only:
            cls.idp.set_post_only()
        cls.extra_config = dict(IdentityBase.extra_config, **cls.idp.config(), sso_starts_per_addr="1000")
        try:
            IdentityBase.setUpClass.__func__(cls)
        except BaseException:
            cls.idp.stop()
            raise
        try:
            cls.cust, cls.domain, cls.admin = cls.go_live()
        except BaseException:
            cls.tearDownClass()
            raise

    def setUp(self):
        self.idp.reset()
        if self.post_only:
            self.idp.set_post_only()
        self.idp.set_clock_offset(self.st.clock_offset())

    # ---- the go-live path ---------------------------------------------------------------------
    @classmethod
    def draft(cls, admin, domain, discovery_url=None):
        """A SAML draft with the IdP's metadata URL, validated; the IdP learns the SP from
        onramp's SP metadata URL (as an IdP administrator would register it)."""
        sp = admin.call("GET", "/sso/sp")
        assert sp.status == 200, sp
        version = admin.call("GET", "/sso").json["version"]
        r = admin.call("PUT", "/sso", {
            "protocol": "saml", "metadata_url": cls.idp.metadata_url,
            "email_domains": [domain], "admin_groups": [ADMIN_GROUP], "member_groups": [MEMBER_GROUP],
            "test_users": [f"tess@{domain}"], "version": version,
            "claims": {"username": "username", "email": "email", "groups": "groups"}})
        assert r.status == 200, r
        r = admin.call("POST", "/sso/validate")
        assert r.status == 202, r
        job = cls.wait_job(admin, r.json["validation"])
        assert job["state"] == "done" and job["report"]["ok"], job
        reg = cls.idp.register_sp(metadata_url=cls.st.public_url + urllib.parse.urlsplit(
            sp.json["saml"]["metadata_url"]).path)
        assert reg["entity_id"] == sp.json["saml"]["entity_id"], (reg, sp.json)
        assert reg["acs"] == sp.json["saml"]["acs_url"], (reg, sp.json)
        return job["version"]

    @classmethod
    def wait_job(cls, admin, job):
        import time
        end = time.monotonic() + 30
        while job["state"] not in ("done", "failed"):
            assert time.monotonic() < end, job
            time.sleep(0.05)
            job = admin.call("GET", f"/sso/validations/{job['id']}").json
        return job

    @classmethod
    def run_test_signin(cls, admin, user):
        """POST /sso/tests, the browser leg at the IdP, the ACS: the test's final state."""
        r = admin.call("POST", "/sso/tests")
        assert r.status == 201, r
        cls.idp.set_user(**user)
        form = cls.idp.follow(**cls.idp_request(admin, r.json["redirect_url"]))
        r2 = cls.post_acs(admin, form["action"], form["SAMLResponse"], form.get("RelayState"))
        assert r2.status == 303, r2
        assert r2.headers["location"] == f"/#sso-test-{r.json['id']}", r2.headers
        return admin.call("GET", f"/sso/tests/{r.json['id']}").json

    @classmethod
    def saml_user(cls, email, groups=(), username=None):
        attrs = {"email": [email], "groups": list(groups)}
        if username:
            attrs["username"] = [username]
        return {"name_id": email, "name_id_format": EMAIL_FORMAT, "attributes": attrs}

    @classmethod
    def go_live(cls):
        cust, domain, admin = cls.new_admin()
        version = cls.draft(admin, domain)
        test = cls.run_test_signin(admin, cls.saml_user(f"tess@{domain}", [ADMIN_GROUP], "tess"))
        assert test["state"] == "passed", test
        assert admin.call("POST", "/sso/submit", {"version": version}).status == 200
        rv = cls.ops_client.call("GET", f"/reviews?customer={cust['id']}&kind=sso").json["reviews"][0]
        r = cls.ops_client.call("POST", f"/reviews/{rv['id']}/decision", {"decision": "approve"})
        assert r.status == 200, r
        r = cls.ops_client.call("POST", f"/customers/{cust['id']}/sso/activation")
        assert r.status == 200, r
        return cust, domain, admin

    # ---- the browser's part -------------------------------------------------------------------
    @classmethod
    def idp_request(cls, client, redirect_url):
        """What the browser sends the IdP, as keyword arguments of idp.follow / idp.response: the
        Redirect-binding URL as is; for the POST binding, the form of onramp's page that posts
        the AuthnRequest (read from that page, which must post to the IdP's SSO URL)."""
        if redirect_url.startswith(cls.idp.sso_url + "?"):
            return {"redirect_url": redirect_url}
        u = urllib.parse.urlsplit(redirect_url)
        page = client.call("GET", u.path[len("/api/v1"):] + "?" + u.query, csrf=False)
        assert page.status == 200, page
        form = read_form(page.body.decode())
        assert form["action"] == cls.idp.sso_url, form
        return {"saml_request": form["SAMLRequest"], "relay_state": form["RelayState"]}

    @staticmethod
    def post_acs(client, acs, saml_response, relay_state):
        """POST the form the IdP's page would post, with this client's cookies."""
        form = {"SAMLResponse": saml_response}
        if relay_state is not None:
            form["RelayState"] = relay_state
        path = urllib.parse.urlsplit(acs).path
        assert path.startswith("/api/v1/sso/saml/"), acs
        return client.call("POST", path[len("/api/v1"):], raw=urllib.parse.urlencode(form).encode(), csrf=False,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})

    def member(self, **over):
        n = secrets.token_hex(4)
        u = self.saml_user(f"m{n}@{self.domain}", [MEMBER_GROUP], f"m{n}")
        u.update(over)
        return u

    def start(self, email, client=None):
        c = client or customer(self.st)
        r = c.call("POST", "/sso/start", {"email": email})
        self.assertEqual(r.status, 200, r)
        return c, r.json["redirect_url"]

    def answer(self, user=None, sign=None, key=None, edit=None, client=None):
        """Start in a (new) browser and get the IdP's response: (client, response dict, raw XML)."""
        user = user or self.member()
        c, url = self.start(user["name_id"], client)
        self.idp.set_user(**user)
        out = self.idp.response(**self.idp_request(c, url), sign=sign, key=key, edit=edit)
        return c, out, decode(out["SAMLResponse"])

    def sso(self, user=None, sign=None, key=None, edit=None, tamper=None, client=None):
        c, out, raw = self.answer(user, sign, key, edit, client)
        body = encode(tamper(raw)) if tamper else out["SAMLResponse"]
        return c, self.post_acs(c, out["acs"], body, out["RelayState"])

    def assert_signed_in(self, c, r):
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers["location"], "/")
        self.assertIn(SESSION_COOKIE, c.cookies)
        s = c.call("GET", "/session")
        self.assertEqual(s.status, 200, s)
        self.assertEqual(s.json["login_type"], "saml")
        return s.json

    def refusal_mark(self):
        out = self.sql("SELECT COALESCE(MAX(id), 0) FROM audit_log WHERE action = 'user.sign_in_refused'")
        return int(out.strip().splitlines()[-1])

    def refusals_since(self, mark):
        return self.sql(f"SELECT after_json FROM audit_log WHERE action = 'user.sign_in_refused' AND id > {mark}")

    def users_with_email(self, email):
        return int(self.sql(f"SELECT COUNT(*) FROM users WHERE email = '{email}'").strip().splitlines()[-1])

    def assert_refused(self, check=None, status=403, text=None, evil=None, **sso):
        """The sign-in with this tampering fails (a page with status, or one of the statuses of a
        tuple; no session; an audit row naming the check key, or one of a tuple's), the evil
        identity never exists, and the honest control (same signing, untampered, another
        browser) signs in."""
        before, mark = self.sessions(), self.refusal_mark()
        c, r = self.sso(**sso)
        if isinstance(status, tuple):
            self.assertIn(r.status, status, r)
            status = r.status
        self.assert_no_session(c, r, before, status, text)
        if check:
            audited = self.refusals_since(mark).replace(" ", "")
            keys = (check,) if isinstance(check, str) else check
            self.assertTrue(any(f'"{k}"' in audited for k in keys), (keys, audited, r.body[:400]))
        if evil:
            self.assertEqual(self.users_with_email(evil), 0)
        sign = sso.get("sign") if sso.get("sign") not in (None, "none") else "assertion"
        self.assert_signed_in(*self.sso(sign=sign))
        return r

    def evil(self):
        return f"evil{secrets.token_hex(3)}@{self.domain}"


class AcceptTests(SamlBase):
    def test_assertion_signed_through_the_browser_leg(self):
        user = self.member()
        c, url = self.start(user["name_id"])
        self.idp.set_user(**user)
        form = self.idp.follow(**self.idp_request(c, url))
        me = self.assert_signed_in(c, self.post_acs(c, form["action"], form["SAMLResponse"], form["RelayState"]))
        self.assertEqual(me["user"]["email"], user["name_id"])
        self.assertEqual(me["user"]["role"], "customer_member")
        self.assertNotIn("onramp_sso_pending", c.cookies)

    def test_response_signed_only(self):
        c, r = self.sso(sign="response")
        self.assert_signed_in(c, r)

    def test_both_signed(self):
        c, r = self.sso(sign="both")
        self.assert_signed_in(c, r)

    def test_admin_group_among_several_groups(self):
        user = self.member()
        user["attributes"]["groups"] = ["other-a", ADMIN_GROUP, "other-b"]
        c, r = self.sso(user=user)
        self.assertEqual(self.assert_signed_in(c, r)["user"]["role"], "customer_admin")

    def test_name_id_as_email_without_email_attribute(self):
        user = self.member()
        del user["attributes"]["email"]
        c, url = self.start(user["name_id"])
        self.idp.set_user(**user)
        out = self.idp.response(**self.idp_request(c, url))
        me = self.assert_signed_in(c, self.post_acs(c, out["acs"], out["SAMLResponse"], out["RelayState"]))
        self.assertEqual(me["user"]["email"], user["name_id"])

    def test_times_within_the_two_minute_skew(self):
        now = self.st.now()
        c, r = self.sso(edit={"not_before": iso(now + 90)})
        self.assert_signed_in(c, r)
        c, r = self.sso(edit={"not_on_or_after": iso(now - 90), "sc_not_on_or_after": iso(now - 90)})
        self.assert_signed_in(c, r)

    def test_session_is_saml_in_members_filter_and_audit(self):
        c, r = self.sso()
        me = self.assert_signed_in(c, r)
        members = self.admin.call("GET", "/members?q=login_type:saml")
        self.assertEqual(members.status, 200, members)
        self.assertIn(me["user"]["id"], [m["id"] for m in members.json["users"]])
        audit = self.sql(f"SELECT after_json FROM audit_log WHERE action = 'user.sign_in' "
                         f"AND object_id = '{me['user']['id']}'")
        self.assertIn('"login_type":"saml"', audit.replace(" ", ""))

    def test_authn_request_shape(self):
        c, url = self.start(f"ann@{self.domain}")
        self.idp.set_user(**self.member())
        self.idp.follow(**self.idp_request(c, url))
        req = self.idp.stats()["last_request"]
        sp = self.admin.call("GET", "/sso/sp").json["saml"]
        self.assertRegex(req["id"], r"^_[0-9a-f]{64}$")
        self.assertEqual(req["issuer"], sp["entity_id"])
        self.assertEqual(req["acs"], sp["acs_url"])
        self.assertEqual(req["destination"], self.idp.sso_url)
        self.assertRegex(req["relay_state"], r"^[A-Za-z0-9_-]{43}$")
        self.assertIn('AllowCreate="true"', req["xml"])
        self.assertIn(EMAIL_FORMAT, req["xml"])
        # RelayState is the pending request's state token: only its hash is stored, with the ID.
        row = self.sql("SELECT state_hash, request_id FROM sso_pending ORDER BY id DESC LIMIT 1")
        self.assertNotIn(req["relay_state"], row)
        self.assertIn(req["id"], row)


class SignatureRefusalTests(SamlBase):
    def test_unsigned(self):
        self.assert_refused(sign="none", check="saml.signature")

    def test_signature_removed(self):
        self.assert_refused(tamper=saml_craft.strip_signature, check="saml.signature")

    def test_signature_value_tampered(self):
        def flip(raw):
            doc = saml_craft.parse(raw)
            sv = saml_craft.first(doc, saml_craft.NS_DS, "SignatureValue").firstChild
            v = sv.data.strip()
            sv.data = v[:10] + ("A" if v[10] != "A" else "B") + v[11:]
            return saml_craft.dump(doc)
        self.assert_refused(tamper=flip, check="saml.signature")

    def test_content_changed_after_signing(self):
        evil = self.evil()

        def change(raw):
            doc = saml_craft.parse(raw)
            saml_craft.set_name_id(saml_craft.first(doc, NS_SAML, "Assertion"), evil)
            return saml_craft.dump(doc)
        self.assert_refused(tamper=change, check="saml.signature", evil=evil)

    def test_other_key_with_its_certificate_in_key_info(self):
        self.assert_refused(key="foreign", check="saml.signature")

    def test_other_key_with_rsa_key_value_in_key_info(self):
        certs = self.idp.certs()
        self.assert_refused(sign="none", check="saml.signature", tamper=lambda raw: saml_craft.sign_assertion(
            raw, certs["foreign_key"], certs["foreign"], key_info="keyvalue"))

    def test_encrypted_assertion_refused_clearly(self):
        def encrypt(raw):
            # An EncryptedAssertion in place of the Assertion (its content is never read).
            doc = saml_craft.parse(raw)
            a = saml_craft.first(doc, NS_SAML, "Assertion")
            enc = doc.createElementNS(NS_SAML, "saml:EncryptedAssertion")
            data = doc.createElementNS("http://www.w3.org/2001/04/xmlenc#", "xenc:EncryptedData")
            data.setAttribute("xmlns:xenc", "http://www.w3.org/2001/04/xmlenc#")
            enc.appendChild(data)
            a.parentNode.replaceChild(enc, a)
            return saml_craft.dump(doc)
        self.assert_refused(sign="response", tamper=encrypt, check="saml.encrypted")


class WrappingTests(SamlBase):
    """SAML Raider's eight signature-wrapping variants (helpers/XSWHelpers.java), each with the
    attacker's identity in the copy that is not signed: refused, or at least never that identity."""

    def xsw(self, n):
        evil = self.evil()
        sign = "response" if n <= 2 else "assertion"
        self.assert_refused(sign=sign, tamper=lambda raw: saml_craft.xsw(n, raw, evil), check=WRAPPING,
                            evil=evil)

    def test_xsw1(self):
        self.xsw(1)

    def test_xsw2(self):
        self.xsw(2)

    def test_xsw3(self):
        self.xsw(3)

    def test_xsw4(self):
        self.xsw(4)

    def test_xsw5(self):
        self.xsw(5)

    def test_xsw6(self):
        self.xsw(6)

    def test_xsw7(self):
        self.xsw(7)

    def test_xsw8(self):
        self.xsw(8)

    def test_second_injected_assertion(self):
        evil = self.evil()
        self.assert_refused(tamper=lambda raw: saml_craft.inject_assertion(raw, evil), check=WRAPPING,
                            evil=evil)

    def test_second_assertion_in_a_signed_response(self):
        evil = self.evil()
        self.assert_refused(sign="response", tamper=lambda raw: saml_craft.inject_assertion(raw, evil),
                            check=WRAPPING, evil=evil)

    def test_look_alike_assertion_in_another_namespace_first(self):
        # Refused, or ignored so that only the verified assertion's identity can sign in.
        evil, user = self.evil(), self.member()
        before = self.sessions()
        c, r = self.sso(user=user, tamper=lambda raw: saml_craft.inject_assertion(
            raw, evil, namespace="urn:evil:look-alike", before=True))
        self.assertEqual(self.users_with_email(evil), 0)
        if r.status == 303:
            self.assertEqual(self.assert_signed_in(c, r)["user"]["email"], user["name_id"])
        else:
            self.assert_no_session(c, r, before, r.status)

    def test_name_id_comment_injection(self):
        # Under a valid signature (exc-c14n drops the comment before the digest): the NameID
        # must be read as its whole text, and a comment inside it refused.
        victim = f"admin{secrets.token_hex(3)}@{self.domain}"
        user = self.member()
        user["attributes"].pop("email")
        evil_xml = f"{victim}<!---->.evil.example"
        self.assert_refused(user=user, edit={"name_id_xml": evil_xml}, check="saml.name_id", evil=victim)
        self.assertEqual(self.users_with_email(victim + ".evil.example"), 0)

    def test_email_attribute_comment_injection(self):
        # The email attribute alone carries the comment (the NameID is another, clean value).
        victim = f"admin{secrets.token_hex(3)}@{self.domain}"
        user = self.member()
        user["attributes"]["email"] = ["placeholder@comment.invalid"]
        certs = self.idp.certs()

        def comment(raw):
            return raw.replace(b"placeholder@comment.invalid", f"{victim}<!---->.x".encode())
        self.assert_refused(user=user, sign="none", check="saml.attribute", evil=victim,
                            tamper=lambda raw: saml_craft.sign_assertion(comment(raw), certs["own_key"], certs["own"]))

    def test_duplicate_ids_under_a_valid_signature(self):
        # The IdP signs a Response whose Assertion carries the Response's own ID.
        dup = "_" + secrets.token_hex(20)
        self.assert_refused(sign="response", edit={"id": dup, "assertion_id": dup}, check="saml.duplicate_id")


class XmlRefusalTests(SamlBase):
    """Parser attacks before any signature work: a DOCTYPE in any form is refused outright."""

    def doctype(self, decl):
        def add(raw):
            return decl.encode() + raw
        self.assert_refused(tamper=add, check="saml.xml")

    def test_doctype(self):
        self.doctype("<!DOCTYPE samlp:Response>")

    def test_external_entity(self):
        self.doctype('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>')

    def test_billion_laughs(self):
        ents = '<!ENTITY a "lol">' + "".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        self.doctype(f"<!DOCTYPE r [{ents}]>")

    def test_attlist_declared_id(self):
        self.doctype('<!DOCTYPE samlp:Response [<!ATTLIST saml:Assertion ID ID #IMPLIED>]>')

    @staticmethod
    def padded(raw, kib):
        return raw.replace(b"</samlp:Response>", b"<!--" + b"x" * (kib * 1024) + b"--></samlp:Response>")

    def test_oversized(self):
        # Over LIMIT_SAML_RESPONSE_B64 (256 KiB of base64) but within nginx's body limit: the app refuses it.
        self.assert_refused(tamper=lambda raw: self.padded(raw, 200), check="saml.size")

    def test_oversized_body_stops_at_nginx(self):
        before = self.sessions()
        c, out, raw = self.answer()
        r = self.post_acs(c, out["acs"], encode(self.padded(raw, 900)), out["RelayState"])
        self.assertEqual(r.status, 413, r)
        self.assertEqual(self.sessions(), before)
        self.assertNotIn(SESSION_COOKIE, c.cookies)

    def test_not_base64(self):
        before = self.sessions()
        c, out, raw = self.answer()
        r = self.post_acs(c, out["acs"], out["SAMLResponse"][:-8] + "!!!!****", out["RelayState"])
        self.assert_no_session(c, r, before, r.status)
        self.assertIn(r.status, (400, 403))


class CanaryTests(SamlBase):
    """No outbound request of any kind while verifying: an external Reference URI and a KeyInfo
    RetrievalMethod, both pointing at a loopback canary that counts connections."""

    def setUp(self):
        super().setUp()
        self.canary = Canary()
        self.addCleanup(self.canary.close)

    def test_external_reference_uri(self):
        url = f"http://127.0.0.1:{self.canary.port}/doc.xml"

        def external(raw):
            # The digest cannot match (xmlsec1 would have to fetch it to sign): a verifier that
            # fetched would still show up at the canary, which is the point here.
            doc = saml_craft.parse(raw)
            saml_craft.first(doc, saml_craft.NS_DS, "Reference").setAttribute("URI", url)
            return saml_craft.dump(doc)
        self.assert_refused(tamper=external, check="saml.reference")
        self.assertEqual(self.canary.hits, 0)

    def test_retrieval_method_ignored_or_refused(self):
        url = f"http://127.0.0.1:{self.canary.port}/cert.der"

        def retrieval(raw):
            doc = saml_craft.parse(raw)
            sig = saml_craft.first(doc, saml_craft.NS_DS, "Signature")
            old = saml_craft.child(sig, saml_craft.NS_DS, "KeyInfo")
            ki = saml_craft.parse(f'<ds:KeyInfo xmlns:ds="{saml_craft.NS_DS}"><ds:RetrievalMethod URI="{url}" '
                                  'Type="http://www.w3.org/2000/09/xmldsig#X509Data"/></ds:KeyInfo>').documentElement
            sig.replaceChild(doc.importNode(ki, True), old)
            return saml_craft.dump(doc)
        user = self.member()
        before = self.sessions()
        c, r = self.sso(user=user, tamper=retrieval)
        if r.status == 303:      # ignored: the key is the metadata's, and KeyInfo is not signed
            self.assertEqual(self.assert_signed_in(c, r)["user"]["email"], user["name_id"])
        else:
            self.assert_no_session(c, r, before, r.status)
        self.assertEqual(self.canary.hits, 0)


class AlgorithmRefusalTests(SamlBase):
    """Valid signatures by the published key (xmlsec1 over templates) with a feature the ACS refuses."""

    def resigned(self, check, **template):
        certs = self.idp.certs()

        def sign(raw):
            kw = dict(template)
            if kw.get("uris") == "twice":
                a_id = saml_craft.first(saml_craft.parse(raw), NS_SAML, "Assertion").getAttribute("ID")
                kw["uris"] = ["#" + a_id, "#" + a_id]
            return saml_craft.sign_assertion(raw, certs["own_key"], certs["own"], **kw)
        self.assert_refused(sign="none", tamper=sign, check=check)

    def test_valid_template_signature_is_accepted(self):
        # The control for this class: the same re-signing with the allowed features signs in.
        certs = self.idp.certs()
        c, r = self.sso(sign="none", tamper=lambda raw: saml_craft.sign_assertion(raw, certs["own_key"], certs["own"]))
        self.assert_signed_in(c, r)

    def test_xpath_transform(self):
        self.resigned("saml.transform", transforms=("xpath", "exc-c14n"))

    def test_xslt_transform(self):
        self.resigned("saml.transform", transforms=("enveloped", "xslt"))

    def test_rsa_sha1(self):
        r = self.resigned("saml.algorithm", sig="rsa-sha1", digest="sha1")
        return r

    def test_sha1_digest_only(self):
        self.resigned("saml.algorithm", digest="sha1")

    def test_exc_c14n_with_comments(self):
        self.resigned("saml.transform", c14n="exc-c14n-comments", transforms=("enveloped", "exc-c14n-comments"))

    def test_two_references(self):
        self.resigned("saml.reference", uris="twice")

    def test_empty_reference_uri(self):
        self.resigned("saml.reference", uris=[""])


class ContentRefusalTests(SamlBase):
    def now(self):
        return self.st.now()

    def test_conditions_expired(self):
        self.assert_refused(edit={"not_on_or_after": iso(self.now() - 600)}, check="saml.conditions")

    def test_not_before_in_the_future(self):
        self.assert_refused(edit={"not_before": iso(self.now() + 600)}, check="saml.conditions")

    def test_not_before_just_past_the_skew(self):
        self.assert_refused(edit={"not_before": iso(self.now() + 180)}, check="saml.conditions")

    def test_subject_confirmation_expired(self):
        self.assert_refused(edit={"sc_not_on_or_after": iso(self.now() - 600)},
                            check="saml.bearer")

    def test_expired_by_the_stack_clock(self):
        # The IdP's five-minute validity runs out while the pending request (ten minutes) has not.
        before, mark = self.sessions(), self.refusal_mark()
        c, out, raw = self.answer()
        self.tick(8 * 60)
        r = self.post_acs(c, out["acs"], out["SAMLResponse"], out["RelayState"])
        self.assert_no_session(c, r, before, 403)
        audited = self.refusals_since(mark).replace(" ", "")
        self.assertTrue('"saml.conditions"' in audited or '"saml.bearer"' in audited, audited)

    def test_idp_clock_an_hour_behind(self):
        self.idp.set_clock_offset(self.st.clock_offset() - 3600)
        before = self.sessions()
        c, r = self.sso()
        self.assert_no_session(c, r, before, 403)
        self.idp.set_clock_offset(self.st.clock_offset())
        self.assert_signed_in(*self.sso())

    def test_audience_missing(self):
        self.assert_refused(edit={"audience": None}, check="saml.audience")

    def test_audience_wrong(self):
        self.assert_refused(edit={"audience": "https://other-sp.example/saml"}, check="saml.audience")

    def test_recipient_wrong(self):
        self.assert_refused(edit={"recipient": "https://other-sp.example/acs"}, check="saml.recipient")

    def test_destination_wrong(self):
        self.assert_refused(edit={"destination": "https://other-sp.example/acs"}, check="saml.destination")

    def test_issuer_wrong(self):
        self.assert_refused(edit={"issuer": "https://evil-idp.example/metadata"}, check="saml.issuer")

    def test_status_not_success(self):
        self.assert_refused(edit={"status": "urn:oasis:names:tc:SAML:2.0:status:Requester"}, check="saml.status")

    def test_unknown_in_response_to(self):
        self.assert_refused(edit={"in_response_to": "_" + secrets.token_hex(32)}, check="saml.in_response_to")


class FlowRefusalTests(SamlBase):
    """Who may post which response where: pending request, browser, customer, replay, unsolicited."""

    def test_unsolicited_without_relay_state(self):
        before = self.sessions()
        c = customer(self.st)
        self.idp.set_user(**self.member())
        sp = self.admin.call("GET", "/sso/sp").json["saml"]
        out = self.idp.response(sp=sp["entity_id"])
        r = self.post_acs(c, out["acs"], out["SAMLResponse"], None)
        self.assert_no_session(c, r, before, 400, "not started here")
        self.assert_signed_in(*self.sso())

    def test_unsolicited_with_this_browsers_relay_state(self):
        # A pending request of this browser, answered by a response that names none.
        self.assert_refused(edit={"in_response_to": None}, check="saml.unsolicited")

    def test_in_response_to_from_another_browser(self):
        before = self.sessions()
        _, out_a, _ = self.answer()
        b, out_b, _ = self.answer()
        # Browser B posts A's response with its own RelayState: InResponseTo names A's request.
        r = self.post_acs(b, out_a["acs"], out_a["SAMLResponse"], out_b["RelayState"])
        self.assert_no_session(b, r, before, 403)
        self.assertIn("saml.in_response_to", self.last_refusal_check())
        # With A's RelayState, a third browser's own pending cookie does not match A's request.
        other, _ = self.start(f"x{secrets.token_hex(3)}@{self.domain}")
        r = self.post_acs(other, out_a["acs"], out_a["SAMLResponse"], out_a["RelayState"])
        self.assert_no_session(other, r, before, 403, "different browser")

    def test_replay_of_an_accepted_response(self):
        c, out, _ = self.answer()
        pending = c.cookies["onramp_sso_pending"]
        self.assert_signed_in(c, self.post_acs(c, out["acs"], out["SAMLResponse"], out["RelayState"]))
        before = self.sessions()
        # The same browser again (its pending request is used up) ...
        again = customer(self.st)
        again.cookies["onramp_sso_pending"] = pending
        r = self.post_acs(again, out["acs"], out["SAMLResponse"], out["RelayState"])
        self.assert_no_session(again, r, before, r.status)
        self.assertIn(r.status, (403, 410))
        # ... and an attacker's own fresh request carrying the captured response.
        d, out2, _ = self.answer()
        r = self.post_acs(d, out2["acs"], out["SAMLResponse"], out2["RelayState"])
        self.assert_no_session(d, r, before, 403)

    def test_relay_state_unknown(self):
        before = self.sessions()
        c, out, _ = self.answer()
        r = self.post_acs(c, out["acs"], out["SAMLResponse"], secrets.token_urlsafe(32))
        self.assert_no_session(c, r, before, 400)

    def test_another_customers_response(self):
        other_cust, other_domain, _ = self.go_live()
        other_acs = self.st.public_url + f"/api/v1/sso/saml/{other_cust['slug']}/acs"
        before = self.sessions()
        # A's response at B's ACS with A's RelayState: no pending request of B matches.
        c, out, _ = self.answer()
        r = self.post_acs(c, other_acs, out["SAMLResponse"], out["RelayState"])
        self.assert_no_session(c, r, before, 400)
        # A's response at B's ACS with B's own pending request: audience, destination, request differ.
        u = self.saml_user(f"x{secrets.token_hex(3)}@{other_domain}", [MEMBER_GROUP])
        b, url = self.start(u["name_id"])
        self.idp.set_user(**u)
        out_b = self.idp.response(**self.idp_request(b, url))
        self.assertEqual(out_b["acs"], other_acs)
        r = self.post_acs(b, other_acs, out["SAMLResponse"], out_b["RelayState"])
        self.assert_no_session(b, r, before, 403)
        # B's own response signs in at B (the control).
        b2, url2 = self.start(u["name_id"])
        out_b2 = self.idp.response(**self.idp_request(b2, url2))
        self.assert_signed_in(b2, self.post_acs(b2, other_acs, out_b2["SAMLResponse"], out_b2["RelayState"]))


class TestSignInTests(SamlBase):
    def test_result_reports_claims_and_creates_no_session(self):
        before = self.sessions()
        t = self.run_test_signin(self.admin, self.saml_user(f"tess@{self.domain}", ["g1", MEMBER_GROUP], "tess"))
        self.assertEqual(self.sessions(), before)
        self.assertEqual(t["state"], "passed", t)
        self.assertEqual(t["protocol"], "saml")
        self.assertEqual(t["claims"]["subject"], f"tess@{self.domain}")
        self.assertEqual(t["claims"]["email"], f"tess@{self.domain}")
        self.assertEqual(t["claims"]["groups"], ["g1", MEMBER_GROUP])
        self.assertEqual(t["role"], "customer_member")

    def test_failed_signature_fails_the_test(self):
        r = self.admin.call("POST", "/sso/tests")
        self.assertEqual(r.status, 201, r)
        self.idp.set_user(**self.saml_user(f"tess@{self.domain}", [MEMBER_GROUP]))
        out = self.idp.response(**self.idp_request(self.admin, r.json["redirect_url"]), key="foreign")
        self.assertEqual(self.post_acs(self.admin, out["acs"], out["SAMLResponse"], out["RelayState"]).status, 303)
        t = self.admin.call("GET", f"/sso/tests/{r.json['id']}").json
        self.assertEqual(t["state"], "failed", t)
        self.assertIn("saml.signature", [c["key"] for c in t["checks"] if not c["ok"]])


class PostBindingTests(SamlBase):
    """An IdP whose metadata offers only HTTP-POST: onramp's page posts the AuthnRequest."""
    post_only = True

    def test_sign_in_through_the_post_binding(self):
        user = self.member()
        c, url = self.start(user["name_id"])
        self.assertFalse(url.startswith(self.idp.sso_url), url)
        self.idp.set_user(**user)
        form = self.idp.follow(**self.idp_request(c, url))
        self.assert_signed_in(c, self.post_acs(c, form["action"], form["SAMLResponse"], form["RelayState"]))
