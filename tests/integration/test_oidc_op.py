"""The test OpenID Provider alone, driven from Python: proof that the fixture the SSO sign-in
tests stand on does what oidc_op.py promises (discovery, JWKS, code flow with PKCE and both
client authentication methods, and every misbehaviour changing the next answer as asked).

Signatures are checked by Node's crypto against the served JWKS (an implementation apart from
the one that signed), HMAC ones with Python's hmac.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

import stack
import test_sso
from oidc_op import IDP_DIR, OidcOp, basic_auth, decode_jws, query
from sso_fixture import Fixture
from test_identity import IdentityBase

REDIRECT = "https://rp.fixture.test/api/v1/sso/oidc/callback/acme"

# Verify a compact JWS with the JWKS or a given JWK: prints "valid" or "invalid".
VERIFY_JS = r"""
const crypto = require('node:crypto');
const { jwt, keys } = JSON.parse(process.argv[1]);
const [h, p, s] = jwt.split('.');
const header = JSON.parse(Buffer.from(h, 'base64url'));
const key = keys.find((k) => k.kid === header.kid);
if (!key) { console.log('no-key'); process.exit(0); }
const pub = crypto.createPublicKey({ key, format: 'jwk' });
const data = Buffer.from(`${h}.${p}`);
const sig = Buffer.from(s, 'base64url');
const opts = { RS256: pub, PS256: { key: pub, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
               ES256: { key: pub, dsaEncoding: 'ieee-p1363' } }[header.alg];
console.log(opts && crypto.verify('sha256', data, opts, sig) ? 'valid' : 'invalid');
"""


def verify(jwt, keys):
    """'valid', 'invalid' or 'no-key' (kid not among keys), judged by Node's crypto."""
    out = subprocess.run(["node", "-e", VERIFY_JS, json.dumps({"jwt": jwt, "keys": keys})],
                         capture_output=True, text=True, check=True, cwd=IDP_DIR)
    return out.stdout.strip()


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OidcOpBase(unittest.TestCase):
    op_args = {}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="onramp-op-")
        cls.op = OidcOp(cls.tmp, redirect_uris=[REDIRECT], **cls.op_args).start()
        cls.disc = cls.op.get_json("/.well-known/openid-configuration")

    @classmethod
    def tearDownClass(cls):
        pid = cls.op.proc.pid
        cls.op.stop()
        os.rmdir(cls.tmp)
        assert not stack.pid_alive(pid), "the OP process outlived stop()"

    def setUp(self):
        self.op.reset()

    def authorize(self, jar=None, **extra):
        """One authorization through the OP; (callback query dict, code verifier)."""
        verifier, challenge = pkce()
        params = dict(response_type="code", client_id=self.op.client_id, redirect_uri=REDIRECT,
                      scope="openid email profile", state=secrets.token_urlsafe(16),
                      nonce=secrets.token_urlsafe(16), code_challenge=challenge, code_challenge_method="S256")
        params.update(extra)
        params = {k: v for k, v in params.items() if v is not None}
        url = self.disc["authorization_endpoint"] + "?" + urllib.parse.urlencode(params)
        cb = self.op.follow(url, jar=jar)
        self.assertTrue(cb.startswith(REDIRECT + "?"), cb)
        q = query(cb)
        if "state" in params:
            self.assertEqual(q.get("state"), params["state"])
        return q, verifier

    def sign_in(self, method="client_secret_basic"):
        """Authorization plus token exchange; the token answer (asserted 200)."""
        q, verifier = self.authorize()
        status, tok = self.op.token(q["code"], verifier, REDIRECT, method)
        self.assertEqual(status, 200, tok)
        return tok

    def jwks(self):
        return self.op.get_json("/jwks")["keys"]


class TestOidcOpProtocol(OidcOpBase):
    def test_discovery(self):
        d = self.disc
        self.assertEqual(d["issuer"], self.op.issuer)
        self.assertEqual(self.op.issuer, f"https://op.fixture.test:{self.op.port}")
        for k in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
            self.assertTrue(d[k].startswith(self.op.issuer + "/"), (k, d[k]))
        self.assertEqual(d["id_token_signing_alg_values_supported"], ["RS256", "PS256", "ES256"])
        self.assertEqual(d["code_challenge_methods_supported"], ["S256"])
        self.assertEqual(d["token_endpoint_auth_methods_supported"], ["client_secret_basic", "client_secret_post"])
        self.assertTrue(d["authorization_response_iss_parameter_supported"])

    def test_jwks_public_keys_of_each_alg(self):
        keys = self.jwks()
        self.assertEqual(sorted(k["alg"] for k in keys), ["ES256", "PS256", "RS256"])
        self.assertEqual(len({k["kid"] for k in keys}), 3)
        for k in keys:
            self.assertFalse({"d", "p", "q", "dp", "dq", "qi"} & set(k), "a private member in the JWKS")

    def test_code_flow_basic_auth_pkce(self):
        self.op.set_user("alice-1", email="alice@acme.example", email_verified=True, groups=["admins"],
                         preferred_username="alice")
        q, verifier = self.authorize(nonce="n-123")
        self.assertEqual(q["iss"], self.op.issuer)
        self.assertIn("code", q)
        status, tok = self.op.token(q["code"], verifier, REDIRECT)
        self.assertEqual(status, 200, tok)
        header, claims, _ = decode_jws(tok["id_token"])
        self.assertEqual(header["alg"], "RS256")
        self.assertEqual(verify(tok["id_token"], self.jwks()), "valid")
        self.assertEqual(claims["iss"], self.op.issuer)
        self.assertEqual(claims["aud"], self.op.client_id)
        self.assertEqual(claims["nonce"], "n-123")
        self.assertEqual((claims["sub"], claims["email"], claims["email_verified"], claims["preferred_username"],
                          claims["groups"]), ("alice-1", "alice@acme.example", True, "alice", ["admins"]))
        self.assertEqual(self.op.stats()["token_auth"][-1], "client_secret_basic")
        # The code works once.
        status, again = self.op.token(q["code"], verifier, REDIRECT)
        self.assertEqual((status, again["error"]), (400, "invalid_grant"))

    def test_secret_must_be_form_encoded_in_basic_auth(self):
        self.assertTrue(set("%:+/=") <= set(self.op.client_secret))
        q, verifier = self.authorize()
        raw = "Basic " + base64.b64encode(f"{self.op.client_id}:{self.op.client_secret}".encode()).decode()
        form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": q["code"],
                                       "redirect_uri": REDIRECT, "code_verifier": verifier}).encode()
        status, _, body = self.op.request("POST", "/token", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Authorization": raw})
        # The raw secret's "%:" is no valid %-escape: the OP refuses the header's encoding.
        self.assertEqual((status, json.loads(body)["error"]), (400, "invalid_request"))
        self.assertNotEqual(raw, basic_auth(self.op.client_id, self.op.client_secret))

    def test_post_accepted_and_recorded(self):
        q, verifier = self.authorize()
        status, tok = self.op.token(q["code"], verifier, REDIRECT, method="client_secret_post")
        self.assertEqual(status, 200, tok)
        self.assertEqual(self.op.stats()["token_auth"][-1], "client_secret_post")
        q, verifier = self.authorize()
        form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": q["code"], "redirect_uri": REDIRECT,
                                       "code_verifier": verifier, "client_id": self.op.client_id,
                                       "client_secret": self.op.client_secret + "x"}).encode()
        status, _, body = self.op.request("POST", "/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((status, json.loads(body)["error"]), (401, "invalid_client"))

    def test_pkce_required(self):
        verifier, challenge = pkce()
        params = dict(response_type="code", client_id=self.op.client_id, redirect_uri=REDIRECT,
                      scope="openid", state="s1", nonce="n1")
        cb = self.op.follow(self.disc["authorization_endpoint"] + "?" + urllib.parse.urlencode(params))
        self.assertEqual(query(cb)["error"], "invalid_request")
        q, _ = self.authorize()
        status, tok = self.op.token(q["code"], verifier, REDIRECT)
        self.assertEqual((status, tok["error"]), (400, "invalid_grant"))

    def test_unknown_redirect_uri_stops_at_the_op(self):
        _, challenge = pkce()
        params = dict(response_type="code", client_id=self.op.client_id, redirect_uri="https://evil.test/cb",
                      scope="openid", state="s", nonce="n", code_challenge=challenge, code_challenge_method="S256")
        with self.assertRaises(AssertionError):
            self.op.follow(self.disc["authorization_endpoint"] + "?" + urllib.parse.urlencode(params))
        other = "https://rp.fixture.test/other"
        self.op.set_redirect_uris([REDIRECT, other])
        try:
            params["redirect_uri"] = other
            cb = self.op.follow(self.disc["authorization_endpoint"] + "?" + urllib.parse.urlencode(params))
            self.assertTrue(cb.startswith(other + "?code="), cb)
        finally:
            self.op.set_redirect_uris([REDIRECT])

    def test_set_user_changes_the_next_login(self):
        self.op.set_user("u-a", email="a@acme.example")
        first = decode_jws(self.sign_in()["id_token"])[1]
        self.op.set_user("u-b", email="b@acme.example", email_verified=False)
        second = decode_jws(self.sign_in()["id_token"])[1]
        self.assertEqual((first["sub"], first["email"]), ("u-a", "a@acme.example"))
        self.assertNotIn("email_verified", first)
        self.assertNotIn("groups", first)
        self.assertEqual((second["sub"], second["email_verified"]), ("u-b", False))

    def test_set_user_wins_over_the_op_session_cookie(self):
        # A browser keeps the OP's session cookie between sign-ins; the next login must still
        # be the user set last (the OP asks for a login every time).
        jar = {}
        self.op.set_user("u-first", email="first@acme.example")
        q, verifier = self.authorize(jar=jar)
        self.assertTrue(any(k.startswith("_session") for k in jar), jar)
        first = decode_jws(self.op.token(q["code"], verifier, REDIRECT)[1]["id_token"])[1]
        self.op.set_user("u-second", email="second@acme.example")
        q, verifier = self.authorize(jar=jar)
        second = decode_jws(self.op.token(q["code"], verifier, REDIRECT)[1]["id_token"])[1]
        self.assertEqual((first["sub"], second["sub"]), ("u-first", "u-second"))

    def test_userinfo_only_claims(self):
        self.op.set_user("u-g", email="g@acme.example", groups=["members"], userinfo_only=["groups"])
        tok = self.sign_in()
        self.assertNotIn("groups", decode_jws(tok["id_token"])[1])
        status, _, body = self.op.request("GET", "/me", headers={"Authorization": "Bearer " + tok["access_token"]})
        self.assertEqual(status, 200, body)
        ui = json.loads(body)
        self.assertEqual((ui["sub"], ui["groups"]), ("u-g", ["members"]))


class TestOidcOpMisbehaviour(OidcOpBase):
    def test_resign_each_alg_with_op_key(self):
        kids = {k["alg"]: k["kid"] for k in self.jwks()}
        for alg in ("RS256", "PS256", "ES256"):
            with self.subTest(alg=alg):
                self.op.misbehave({"sign": alg})
                jwt = self.sign_in()["id_token"]
                header = decode_jws(jwt)[0]
                self.assertEqual((header["alg"], header["kid"]), (alg, kids[alg]))
                self.assertEqual(verify(jwt, self.jwks()), "valid")

    def test_only_the_next_token_misbehaves(self):
        self.op.misbehave({"claims": {"nonce": "wrong"}, "corrupt_signature": True})
        bad = self.sign_in()["id_token"]
        good = self.sign_in()["id_token"]
        self.assertEqual(decode_jws(bad)[1]["nonce"], "wrong")
        self.assertEqual(verify(bad, self.jwks()), "invalid")
        self.assertNotEqual(decode_jws(good)[1]["nonce"], "wrong")
        self.assertEqual(verify(good, self.jwks()), "valid")

    def test_corrupt_signature_each_alg(self):
        for alg in ("RS256", "PS256", "ES256"):
            with self.subTest(alg=alg):
                self.op.misbehave({"sign": alg, "corrupt_signature": True})
                self.assertEqual(verify(self.sign_in()["id_token"], self.jwks()), "invalid")

    def test_claim_edits(self):
        self.op.misbehave({"claims": {"aud": [self.op.client_id, "other"], "iss": None, "sub": None,
                                      "exp": 1000}})
        jwt = self.sign_in()["id_token"]
        claims = decode_jws(jwt)[1]
        self.assertEqual(claims["aud"], [self.op.client_id, "other"])
        self.assertNotIn("iss", claims)
        self.assertNotIn("sub", claims)
        self.assertEqual(claims["exp"], 1000)
        self.assertEqual(verify(jwt, self.jwks()), "valid")

    def test_header_edits(self):
        self.op.misbehave({"header": {"kid": None, "jku": "https://evil.test/jwks", "crit": ["exp-x"], "exp-x": 1}})
        header = decode_jws(self.sign_in()["id_token"])[0]
        self.assertNotIn("kid", header)
        self.assertEqual((header["jku"], header["crit"], header["exp-x"]), ("https://evil.test/jwks", ["exp-x"], 1))

    def test_foreign_key_with_embedded_jwk(self):
        self.op.misbehave({"sign": "foreign-RS256", "header": {"jwk": True}})
        jwt = self.sign_in()["id_token"]
        header = decode_jws(jwt)[0]
        self.assertEqual(verify(jwt, self.jwks()), "no-key")
        self.assertNotIn(header["kid"], {k["kid"] for k in self.jwks()})
        self.assertEqual(header["jwk"]["kid"], header["kid"])
        self.assertNotIn("d", header["jwk"])
        self.assertEqual(verify(jwt, [header["jwk"]]), "valid")

    def test_spoofed_kid(self):
        es_kid = next(k["kid"] for k in self.jwks() if k["alg"] == "ES256")
        self.op.misbehave({"sign": "foreign-RS256", "header": {"kid": es_kid}})
        jwt = self.sign_in()["id_token"]
        self.assertEqual(decode_jws(jwt)[0], {"alg": "RS256", "kid": es_kid})
        self.assertEqual(verify(jwt, self.jwks()), "invalid")

    def test_alg_none(self):
        self.op.misbehave({"sign": "none"})
        jwt = self.sign_in()["id_token"]
        header, claims, sig = decode_jws(jwt)
        self.assertEqual((header, sig), ({"alg": "none"}, b""))
        self.assertTrue(jwt.endswith("."))
        self.assertEqual(claims["iss"], self.op.issuer)

    def test_hmac_with_client_secret(self):
        self.op.misbehave({"sign": "HS256-secret"})
        jwt = self.sign_in()["id_token"]
        h, p, s = jwt.split(".")
        self.assertEqual(decode_jws(jwt)[0], {"alg": "HS256"})
        mac = hmac.new(self.op.client_secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
        self.assertEqual(decode_jws(jwt)[2], mac)

    def test_hmac_with_public_key_pem(self):
        rs = next(k for k in self.jwks() if k["alg"] == "RS256")
        pem = subprocess.run(["node", "-e", "const c=require('node:crypto');process.stdout.write("
                              "c.createPublicKey({key:JSON.parse(process.argv[1]),format:'jwk'})"
                              ".export({type:'spki',format:'pem'}))", json.dumps(rs)],
                             capture_output=True, check=True).stdout
        self.op.misbehave({"sign": "HS256-public-key"})
        jwt = self.sign_in()["id_token"]
        h, p, _ = jwt.split(".")
        mac = hmac.new(pem, f"{h}.{p}".encode(), hashlib.sha256).digest()
        self.assertEqual(decode_jws(jwt)[2], mac)

    def test_userinfo_sub(self):
        self.op.set_user("u-1", email="u1@acme.example")
        self.op.misbehave({"userinfo": {"sub": "someone-else"}})
        tok = self.sign_in()
        status, _, body = self.op.request("GET", "/me", headers={"Authorization": "Bearer " + tok["access_token"]})
        self.assertEqual((status, json.loads(body)["sub"]), (200, "someone-else"))
        self.assertEqual(decode_jws(tok["id_token"])[1]["sub"], "u-1")

    def test_authorize_error(self):
        self.op.misbehave({"authorize_error": "access_denied"})
        q, _ = self.authorize(state="st-denied")
        self.assertEqual((q["error"], q["state"], q["iss"]), ("access_denied", "st-denied", self.op.issuer))
        self.assertNotIn("code", q)
        q, _ = self.authorize()
        self.assertIn("code", q)

    def test_iss_param(self):
        self.op.misbehave({"iss_param": "https://wrong.test"})
        self.assertEqual(self.authorize()[0]["iss"], "https://wrong.test")
        self.op.misbehave({"iss_param": None})
        q, _ = self.authorize()
        self.assertNotIn("iss", q)
        self.assertIn("code", q)

    def test_token_error(self):
        self.op.misbehave({"token_error": "invalid_grant"})
        q, verifier = self.authorize()
        status, tok = self.op.token(q["code"], verifier, REDIRECT)
        self.assertEqual((status, tok["error"]), (400, "invalid_grant"))

    def test_rotate_keys(self):
        before = {k["kid"] for k in self.jwks()}
        fetches = self.op.stats()["jwks"]
        kids = self.op.rotate_keys()["kids"]
        after = {k["kid"] for k in self.jwks()}
        self.assertEqual(after, set(kids.values()))
        self.assertFalse(before & after)
        self.assertEqual(self.op.stats()["jwks"], fetches + 1)
        jwt = self.sign_in()["id_token"]
        self.assertEqual(decode_jws(jwt)[0]["kid"], kids["RS256"])
        self.assertEqual(verify(jwt, self.jwks()), "valid")
        self.op.rotate_keys(keep_old=True)
        self.assertEqual(len(self.jwks()), 6)
        self.op.reset()
        self.assertEqual({k["kid"] for k in self.jwks()}, before)

    def test_clock_offset(self):
        self.op.set_clock_offset(3600)
        jwt = self.sign_in()["id_token"]
        self.op.set_clock_offset(0)
        plain = decode_jws(self.sign_in()["id_token"])[1]
        claims = decode_jws(jwt)[1]
        self.assertAlmostEqual(claims["iat"] - plain["iat"], 3600, delta=30)
        self.assertEqual(claims["exp"] - claims["iat"], plain["exp"] - plain["iat"])
        self.assertEqual(verify(jwt, self.jwks()), "valid")


class TestOidcOpPostOnly(OidcOpBase):
    op_args = {"auth_methods": ["client_secret_post"], "id_token_algs": ["ES256"], "id_token_alg": "ES256"}

    def test_post_only_client(self):
        self.assertEqual(self.disc["token_endpoint_auth_methods_supported"], ["client_secret_post"])
        self.assertEqual(self.disc["id_token_signing_alg_values_supported"], ["ES256"])
        jwt = self.sign_in(method="client_secret_post")["id_token"]
        self.assertEqual(decode_jws(jwt)[0]["alg"], "ES256")
        self.assertEqual(verify(jwt, self.jwks()), "valid")
        self.assertEqual(self.op.stats()["token_auth"], ["client_secret_post"])


class TestOidcOpThroughOnramp(test_sso.SsoBase):
    """The config() entries really reach the OP from onramp's own fetcher: a draft pointing at
    its discovery URL validates, with the OP's leaf issued by the corpus fixture's CA (the
    shared-CA mode, so both are trusted through one sso_fetch_ca_file).  A second OP with a CA
    of its own is reachable (connect_to, allowlist) but not trusted: the fetcher's trust store
    (built once per process) holds the system CAs and sso_fetch_ca_file, nothing else."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.mkdtemp(prefix="onramp-sso-op-")
        os.chmod(cls._tmp, 0o755)
        cls.fixture = Fixture(cls._tmp)
        cls.fixture.start()
        cls.op = OidcOp(cls._tmp, fixture=cls.fixture)
        cls.stranger = OidcOp(cls._tmp)
        try:
            cls.op.start()
            cls.stranger.start()
            conf, theirs = cls.op.config(), cls.stranger.config()
            for k in ("sso_fetch_connect_to", "sso_fetch_allowlist"):
                conf[k] += "," + theirs[k]
            cls.extra_config = dict(IdentityBase.extra_config, **conf)
            IdentityBase.setUpClass.__func__(cls)
        except BaseException:
            cls.op.stop()
            cls.stranger.stop()
            cls.fixture.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            IdentityBase.tearDownClass.__func__(cls)
        finally:
            cls.op.stop()
            cls.stranger.stop()
            cls.fixture.stop()
            shutil.rmtree(cls._tmp, ignore_errors=True)

    def test_discovery_of_the_op_validates(self):
        _, admin = self.admin()
        report = self.validate(admin, {"protocol": "oidc", "discovery_url": self.op.discovery_url})
        self.assertTrue(report["ok"], report)
        self.assertGreaterEqual(self.op.stats()["jwks"], 1, "validation never fetched the OP's JWKS")

    def test_op_of_an_untrusted_ca_is_refused(self):
        _, admin = self.admin()
        before = self.stranger.stats()
        report = self.validate(admin, {"protocol": "oidc", "discovery_url": self.stranger.discovery_url})
        self.assertFalse(report["ok"], report)
        failed = " ".join(c["message"] for c in report["checks"] if not c["ok"])
        self.assertIn("TLS connection", failed, report)
        # The handshake failed, so the OP never saw a request (no discovery, no JWKS).
        self.assertEqual(self.stranger.stats()["jwks"], before["jwks"])
        # The same onramp process still reaches the trusted OP afterwards.
        ok = self.validate(admin, {"protocol": "oidc", "discovery_url": self.op.discovery_url})
        self.assertTrue(ok["ok"], ok)

    def test_corpus_hosts_still_reached(self):
        _, admin = self.admin()
        name = "oidc/google_openid-configuration.json"
        report = self.validate(admin, {"protocol": "oidc", "discovery_url": self.fixture.served[name]})
        self.assertTrue(report["ok"], report)
