"""SAML 2.0 sign-in end to end against a real SAML IdP (tests/idp/saml.mjs, npm samlify, loopback
HTTPS, tests/integration/saml_idp.py): a customer goes live through the real path (a SAML draft
with the IdP's metadata URL, validation, a passed test sign-in, review, activation), the IdP
registers the customer's SP metadata from onramp's metadata URL, and then every case of the
issue's list is its own test against the ACS: here the accepted responses, the flow refusals
(browser, customer, replay, unsolicited), test sign-ins and the POST binding; the signature,
wrapping, parser, canary, algorithm and content refusals are in test_sso_saml_attacks.py.

Each refusal asserts: the answer's status and an HTML page, no session cookie, no new sessions
row, GET /session 401, the audit row's check key where the refusal is audited, that the identity
the attacker wanted was never created, and then the honest control: the same IdP, user and
signing without the tampering, in a new browser, signs in.  Responses come from the IdP's control
API (`idp.response`) and are tampered with in saml_craft.py (xml.dom.minidom; xmlsec1 for
templates that need a VALID signature carrying a forbidden feature)."""

import datetime
import os
import secrets
import tempfile
import urllib.parse

import sso_golive
from identity_client import customer
from saml_craft import decode, encode
from saml_idp import SamlIdp, read_form
from test_identity import IdentityBase
from test_sso_oidc import ADMIN_GROUP, MEMBER_GROUP, OidcBase

EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
# The structure rule (exactly one Assertion, directly in the Response; signatures only directly
# in the Response or the Assertion) is what every wrapped or doubled document meets first.
WRAPPING = "saml.wrapping"


def iso(t):
    """UNIX seconds as a SAML dateTime (UTC, seconds, Z)."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class SamlBase(OidcBase):
    """A stack and the test SAML IdP; one customer taken live through the whole go-live path.
    Reuses the OIDC suite's stack plumbing (new_admin, go_live, run_test_signin through browser_leg
    and go_live_user, sessions, assert_no_session, tick);
    `cls.op` is the SAML IdP here, so its setUp/tearDown reset and stop it."""
    post_only = False
    login_type = "saml"

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
        version = sso_golive.validate(admin)
        reg = cls.idp.register_sp(metadata_url=cls.st.public_url + urllib.parse.urlsplit(
            sp.json["saml"]["metadata_url"]).path)
        assert reg["entity_id"] == sp.json["saml"]["entity_id"], (reg, sp.json)
        assert reg["acs"] == sp.json["saml"]["acs_url"], (reg, sp.json)
        return version

    @classmethod
    def browser_leg(cls, client, redirect_url):
        """The IdP's page posts its response to the ACS (OidcBase.run_test_signin walks it)."""
        form = cls.idp.follow(**cls.idp_request(client, redirect_url))
        return cls.post_acs(client, form["action"], form["SAMLResponse"], form.get("RelayState"))

    @classmethod
    def go_live_user(cls, domain):
        return cls.saml_user(f"tess@{domain}", [ADMIN_GROUP], "tess")

    @classmethod
    def saml_user(cls, email, groups=(), username=None):
        attrs = {"email": [email], "groups": list(groups)}
        if username:
            attrs["username"] = [username]
        return {"name_id": email, "name_id_format": EMAIL_FORMAT, "attributes": attrs}

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

    def test_replay_refused_even_if_the_request_were_used_twice(self):
        # White-box: the pending request is made unused again after an accepted sign-in (as if
        # its single use had failed); the same response in the same browser then meets the
        # replay table, which remembers the accepted assertion until it expires.
        c, out, _ = self.answer()
        pending = c.cookies["onramp_sso_pending"]
        self.assert_signed_in(c, self.post_acs(c, out["acs"], out["SAMLResponse"], out["RelayState"]))
        self.sql("UPDATE sso_pending SET used_at = NULL ORDER BY id DESC LIMIT 1")
        before, mark = self.sessions(), self.refusal_mark()
        again = customer(self.st)
        again.cookies["onramp_sso_pending"] = pending
        r = self.post_acs(again, out["acs"], out["SAMLResponse"], out["RelayState"])
        self.assert_no_session(again, r, before, 403)
        self.assertIn('"saml.replay"', self.refusals_since(mark).replace(" ", ""))

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
