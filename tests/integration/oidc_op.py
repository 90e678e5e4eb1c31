"""The test OpenID Provider (tests/idp/op.mjs, npm `oidc-provider`) driven from Python.

One Node process per test class, on loopback HTTPS with a throw-away CA (or the corpus
fixture's CA, so one `sso_fetch_ca_file` trusts both); issuer `https://op.fixture.test:<port>`,
which `config()` maps to 127.0.0.1 for onramp (`sso_fetch_connect_to`, `sso_fetch_allowlist`,
`sso_fetch_ca_file`).  Chromium reaches it with `--host-resolver-rules=MAP op.fixture.test
127.0.0.1`.

    op = OidcOp(base_dir)            # OidcOp(base_dir, fixture=sso_fixture.Fixture) shares its CA
    op.start()
    st = Env.new_stack(extra_config=dict(..., **op.config()))
    op.set_redirect_uris([f"{st.public_url}/api/v1/sso/oidc/callback/acme"])
    op.set_user(sub="u1", email="a@acme.example", email_verified=True, groups=["admins"],
                preferred_username="a", userinfo_only=["groups"])
    callback = op.follow(redirect_url)   # the URL the OP sent the browser back to; not called
    op.stop()

The client: `client_id`, `client_secret` (holds `%:+/=`, so RFC 6749 §2.3.1 encoding matters).
`auth_methods` is discovery's
token_endpoint_auth_methods_supported (default both); oidc-provider accepts a secret either
way, so a test that cares which one the RP chose reads `stats()["token_auth"]`.  PKCE (S256) is
required.  Scopes: openid, email (email, email_verified), profile (preferred_username, name,
groups), groups (groups).  Claims go into the ID token and userinfo unless the user lists them
in `userinfo_only`; a claim the user does not have (e.g. no `groups=`) is absent everywhere.
`id_token_algs` is what discovery advertises (default RS256, PS256, ES256); `id_token_alg` is
what the client's tokens are signed with unless a misbehaviour re-signs them.

No login page: every authorization logs in the user set last (set_user) and consents at once.

`misbehave(spec)` changes the NEXT answers; each part is used up by the first answer it applies
to (`reset()` clears everything: users, keys, misbehaviour, clock).  The JSON shape:

    {
      # the next ID token from the token endpoint (decoded, edited, re-signed)
      "sign": "RS256" | "PS256" | "ES256"            # the OP's current key of that alg (its kid)
              | "foreign-RS256" | "foreign-PS256" | "foreign-ES256"   # a key not in the JWKS
              | "none"                               # alg none, empty signature
              | "HS256-secret"                       # HMAC keyed with the client secret
              | "HS256-public-key",                  # HMAC keyed with the RS256 public key PEM
                                                     # default: the token's own alg, OP key
      "header": {"kid": "x" | null, "jku": "https://...", "jwk": true | {...}, "crit": ["x"],
                 "typ": ...},                        # null removes; jwk true = signing key's JWK
      "claims": {"aud": ["c", "other"], "iss": null, "nonce": "wrong", "exp": 1, ...},
      "corrupt_signature": true,                     # flip a byte of the signature
      "token_error": "invalid_grant",                # the token endpoint answers this OAuth error
      "userinfo": {"sub": "someone-else"},           # edits of the next userinfo answer
      "authorize_error": "access_denied",            # the next authorization ends in this error
      "iss_param": "https://wrong" | null,           # RFC 9207 iss of the next redirect (null drops it)
    }

Without a misbehaviour the token is the provider's own, except after `rotate_keys()` (signed
with the new keys) or `set_clock_offset()` (iat/exp/nbf/auth_time shifted by the offset, so
tokens follow a stack whose test clock moved).  `stats()` counts JWKS fetches, token,
userinfo and authorization requests and the client authentication method of each token
request, and names the current kids; the counts run over the OP's whole life (`reset()` keeps
them), so a test compares before and after.
"""

import base64
import hashlib
import http.client
import json
import os
import secrets
import select
import shutil
import socket
import ssl
import subprocess
import urllib.parse

import stack

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IDP_DIR = os.path.join(ROOT, "tests", "idp")
OP_HOST = "op.fixture.test"
ALGS = ["RS256", "PS256", "ES256"]
START_TIMEOUT_S = 30


class OpError(AssertionError):
    """The OP answered a control or protocol request in a way the caller did not expect."""


class OidcOp:
    host = OP_HOST      # the TLS name; tests/integration/saml_idp.py reuses this plumbing under its own

    def __init__(self, base, fixture=None, id_token_algs=None, id_token_alg="RS256",
                 auth_methods=None, redirect_uris=None):
        self.base = os.path.join(base, f"oidc-op-{secrets.token_hex(3)}")
        self.fixture = fixture
        self.port = stack.free_port()
        self.issuer = f"https://{self.host}:{self.port}"
        self.discovery_url = self.issuer + "/.well-known/openid-configuration"
        self.client_id = "onramp-test-client"
        # '%', ':', '+', '/' and '=' all change meaning when a client forgets to form-encode.
        self.client_secret = f"{secrets.token_hex(12)}%:+/={secrets.token_hex(6)}"
        self.id_token_algs = list(id_token_algs or ALGS)
        self.id_token_alg = id_token_alg
        self.auth_methods = list(auth_methods or ["client_secret_basic", "client_secret_post"])
        self.redirect_uris = list(redirect_uris or [])
        self.proc = None
        self.ca_file = None
        self.leaf = None

    # ---- lifecycle --------------------------------------------------------
    def start(self):
        cert, key = self._prepare("oidc-provider")
        conf = {
            "port": self.port, "issuer": self.issuer, "cert": cert, "key": key,
            "id_token_algs": self.id_token_algs, "id_token_alg": self.id_token_alg,
            "auth_methods": self.auth_methods,
            "client": {"client_id": self.client_id, "client_secret": self.client_secret,
                       "redirect_uris": self.redirect_uris},
            "default_user": {"sub": "op-user-1", "email": "user@op.example", "email_verified": True,
                             "preferred_username": "op-user-1"},
        }
        self._launch("op", conf, "the test OP")
        return self

    def _prepare(self, package):
        """Check tests/idp has the npm package, make the base directory; the TLS leaf and key."""
        if not os.path.isdir(os.path.join(IDP_DIR, "node_modules", package)):
            raise RuntimeError("tests/idp has no node_modules: run `(cd tests/idp && npm ci)` "
                               "(./dev test does it)")
        os.makedirs(self.base, exist_ok=True)
        os.chmod(self.base, 0o755)
        return self._certs()

    def _launch(self, name, conf, what):
        """Run tests/idp/<name>.mjs on conf (written to <name>.json; stderr to <name>.log) and wait
        for its "ready" line."""
        conf_path = os.path.join(self.base, f"{name}.json")
        with open(conf_path, "w") as f:
            json.dump(conf, f)
        self.log_path = os.path.join(self.base, f"{name}.log")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["node", os.path.join(IDP_DIR, f"{name}.mjs"), conf_path], cwd=IDP_DIR,
                                     stdout=subprocess.PIPE, stderr=log)
        log.close()
        # Bounded: a Node that never says "ready" must not hang the whole run.
        ready, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT_S)
        line = self.proc.stdout.readline() if ready else b"(nothing within %d s)" % START_TIMEOUT_S
        if line.strip() != b"ready":
            log_text = open(self.log_path, errors="replace").read()[-2000:]
            self.stop()
            raise RuntimeError(f"{what} did not start: {line!r}; its log: {log_text}")

    def stop(self):
        if self.proc:
            stack.stop_pid(self.proc.pid, timeout=10)
            self.proc.wait()
            self.proc.stdout.close()
            self.proc = None
        shutil.rmtree(self.base, ignore_errors=True)

    def _certs(self):
        """A leaf for op.fixture.test issued by the fixture's CA when given, else by our own."""
        d = os.path.join(self.base, "tls")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
        if self.fixture:
            ca, ca_key = self.fixture.ca, os.path.join(os.path.dirname(self.fixture.ca), "ca.key")
        else:
            ca, ca_key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
            run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
                "-days", "2", "-subj", "/CN=onramp test OP CA")
            os.chmod(ca, 0o644)
        self.ca_file = self.ca = ca      # .ca: another test IdP may share this CA as its fixture
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write(f"subjectAltName=DNS:{self.host},IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
        leaf, key = os.path.join(d, "op.pem"), os.path.join(d, "op.key")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", os.path.join(d, "op.csr"),
            "-subj", f"/CN={self.host}")
        run("openssl", "x509", "-req", "-in", os.path.join(d, "op.csr"), "-CA", ca, "-CAkey", ca_key,
            "-CAcreateserial", "-CAserial", os.path.join(d, "ca.srl"), "-out", leaf, "-days", "2",
            "-extfile", os.path.join(d, "ext.cnf"))
        self.leaf = leaf
        return leaf, key

    def config(self):
        """onramp settings that reach the OP (merged with the corpus fixture's when it shares its CA)."""
        own = {"sso_fetch_connect_to": f"{self.host}:{self.port}:127.0.0.1:{self.port}",
               "sso_fetch_ca_file": self.ca_file,
               "sso_fetch_allowlist": f"127.0.0.1:{self.port}"}
        if self.fixture:
            theirs = self.fixture.config()
            for k in ("sso_fetch_connect_to", "sso_fetch_allowlist"):
                own[k] = theirs[k] + "," + own[k]
        return own

    def chromium_args(self):
        """Flags that let headless Chromium reach the OP by its issuer host name and accept its
        certificate: only this leaf's key is trusted (an SPKI pin, which Chromium honours with
        --user-data-dir), not every certificate as --ignore-certificate-errors would."""
        return [f"--host-resolver-rules=MAP {self.host} 127.0.0.1",
                f"--ignore-certificate-errors-spki-list={self.spki_sha256()}"]

    def spki_sha256(self):
        """base64 SHA-256 of the OP leaf certificate's SubjectPublicKeyInfo (DER)."""
        pub = subprocess.run(["openssl", "x509", "-in", self.leaf, "-noout", "-pubkey"], check=True,
                             capture_output=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, check=True,
                             capture_output=True).stdout
        return base64.b64encode(hashlib.sha256(der).digest()).decode()

    # ---- HTTPS to the OP ----------------------------------------------------
    def _ssl(self):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        return ctx

    def _conn(self):
        """A connection to 127.0.0.1:port that verifies the certificate for op.fixture.test."""
        conn = http.client.HTTPSConnection(self.host, self.port, context=self._ssl(), timeout=15)
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=15)
        conn.sock = self._ssl().wrap_socket(sock, server_hostname=self.host)
        return conn

    def request(self, method, path, body=None, headers=None):
        """(status, headers dict lower-cased, body bytes) of one request to the OP."""
        conn = self._conn()
        try:
            hdrs = dict(headers or {})
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def get_json(self, path):
        status, _, body = self.request("GET", path)
        if status != 200:
            raise OpError(f"GET {path}: {status} {body[:200]!r}")
        return json.loads(body)

    def _control(self, name, body=None):
        status, _, out = self.request("POST", f"/__test/{name}", body if body is not None else {})
        if status != 200:
            raise OpError(f"test OP control {name}: {status} {out[:300]!r}")
        return json.loads(out)

    # ---- control ------------------------------------------------------------
    def set_user(self, sub, email=None, email_verified=None, groups=None, preferred_username=None,
                 userinfo_only=None, **extra):
        """Who the next login is.  Only the claims given exist (groups=None: no groups claim)."""
        user = {"sub": sub, **extra}
        for k, v in (("email", email), ("email_verified", email_verified), ("groups", groups),
                     ("preferred_username", preferred_username), ("userinfo_only", userinfo_only)):
            if v is not None:
                user[k] = v
        self._control("user", user)

    def misbehave(self, spec):
        """Make the next answers misbehave (the JSON shape is in this module's docstring)."""
        self._control("misbehave", spec)

    def rotate_keys(self, keep_old=False):
        """New keys (new kids) for every alg; the JWKS serves them (and the old ones if keep_old)."""
        return self._control("rotate", {"keep_old": keep_old})

    def set_clock_offset(self, seconds):
        """Shift the time claims of every later ID token by seconds (a stack's clock_offset())."""
        self._control("clock", {"offset": int(seconds)})

    def set_redirect_uris(self, uris):
        """The client's registered redirect URIs (known once the stack has its ports)."""
        self.redirect_uris = list(uris)
        self._control("redirect_uris", {"redirect_uris": self.redirect_uris})

    def reset(self):
        """Back to the start: default user, the first keys, no misbehaviour, no clock offset."""
        self._control("reset")
        if self.redirect_uris:
            self._control("redirect_uris", {"redirect_uris": self.redirect_uris})

    def stats(self):
        return self._control("stats")

    # ---- the browser leg --------------------------------------------------------
    def follow(self, redirect_url, max_hops=10, jar=None):
        """GET the authorization URL and follow the OP's own redirects like a browser, with a
        fresh cookie jar (or the dict jar, kept across calls like a browser's OP cookies);
        return the first URL that leaves the OP (the RP's callback, with code, state and iss,
        or an error) without calling it.  OpError when the OP answers anything else (its error
        page, e.g. a redirect_uri it does not know)."""
        url = redirect_url
        cookies = {} if jar is None else jar
        for _ in range(max_hops):
            u = urllib.parse.urlsplit(url)
            if f"{u.scheme}://{u.netloc}" != self.issuer:
                return url
            path = u.path + ("?" + u.query if u.query else "")
            hdrs = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
            conn = self._conn()
            try:
                conn.request("GET", path, headers=hdrs)
                r = conn.getresponse()
                body = r.read()
                for k, v in r.getheaders():
                    if k.lower() == "set-cookie":
                        name, _, rest = v.partition("=")
                        value = rest.split(";", 1)[0]
                        if value:
                            cookies[name.strip()] = value
                        else:
                            cookies.pop(name.strip(), None)
                location = r.getheader("Location")
            finally:
                conn.close()
            if r.status not in (302, 303) or not location:
                raise OpError(f"the OP answered {r.status} at {path}: {body[:300]!r}")
            url = urllib.parse.urljoin(url, location)
        raise OpError(f"more than {max_hops} redirects inside the OP")

    # ---- helpers for tests -------------------------------------------------------
    def token(self, code, verifier, redirect_uri, method="client_secret_basic"):
        """Exchange a code at the token endpoint as an RP would (for the OP's own smoke test)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier}
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        if method == "client_secret_basic":
            hdrs["Authorization"] = basic_auth(self.client_id, self.client_secret)
        else:
            form.update(client_id=self.client_id, client_secret=self.client_secret)
        status, _, body = self.request("POST", "/token", urllib.parse.urlencode(form).encode(), hdrs)
        return status, json.loads(body)


def basic_auth(client_id, secret):
    """RFC 6749 §2.3.1: both parts form-urlencoded before base64."""
    q = lambda s: urllib.parse.quote_plus(s, safe="")  # noqa: E731
    return "Basic " + base64.b64encode(f"{q(client_id)}:{q(secret)}".encode()).decode()


def decode_jws(jwt):
    """(header, payload, signature bytes) of a compact JWS, unverified."""
    parts = jwt.split(".")
    dec = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    return json.loads(dec(parts[0])), json.loads(dec(parts[1])), dec(parts[2]) if len(parts) > 2 else b""


def query(url):
    """The query parameters of a URL as a dict of single values."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))

