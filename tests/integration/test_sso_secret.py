"""The write-only OIDC client secret (PUT/DELETE /api/v1/sso/secret, GET /sso's secret status):
set, replace, remove; who may; the limits, with the value never echoed; sealed at rest so a
ciphertext moved to another customer or purpose does not open; onrampctl secrets rotate-key,
drop-old-keys and check; 503 without a usable key file; and a leak sweep over every log, table,
audit entry, mail and answer after driving the endpoint's error paths with a distinctive secret."""

import base64
import json
import os
import pwd
import secrets
import subprocess

from harness import Env
from identity_client import customer
from test_identity import IdentityBase

GITHUB_LIKE = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"    # what the secret scanner refuses elsewhere


class SecretBase(IdentityBase):
    def admin(self):
        cust = self.new_customer()
        user = self.new_user(cust, role="customer_admin")["user"]
        return cust, user, self.first_signin(user["username"])

    def put(self, client, value, **kw):
        return client.call("PUT", "/sso/secret", {"client_secret": value}, **kw)

    def status(self, client):
        r = client.call("GET", "/sso")
        self.assertEqual(r.status, 200, r)
        return r.json["secret"]

    def row(self, cust):
        """(purpose, key_id, hex of sealed) rows of a customer, straight from the table."""
        out = self.sql(f"SELECT purpose, key_id, HEX(sealed) FROM sso_secrets WHERE customer_id = {int(cust['id'])}")
        return [tuple(line.split("\t")) for line in out.splitlines()[1:]]

    def ctl(self, *args):
        return self.st.ctl("secrets", *args, check=False)

    def assertError(self, r, status, code):
        """The API error shape (identity_client responses) with this status and code."""
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.code, code, r)
        self.assertEqual(r.json["error"]["request_id"], r.headers.get("x-request-id"))
        return r.json["error"]


class SecretApiTests(SecretBase):
    def test_set_replace_remove_and_status(self):
        cust, user, c = self.admin()
        self.assertEqual(self.status(c), {"set": False, "set_at": None, "set_by": None})
        r = self.put(c, "first-Secret:+/=%")
        self.assertEqual((r.status, r.body), (204, b""))
        st = self.status(c)
        self.assertTrue(st["set"])
        self.assertEqual(st["set_by"], user["username"])
        self.assertRegex(st["set_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        first = self.row(cust)
        self.assertEqual([(p, k) for p, k, _ in first], [("oidc_client_secret", "k1")])
        self.assertNotIn(b"first-Secret".hex().upper(), first[0][2])
        self.assertEqual(self.put(c, "second-secret").status, 204)
        second = self.row(cust)
        self.assertEqual(len(second), 1)
        self.assertNotEqual(first[0][2], second[0][2])
        self.assertNotIn(b"second-secret", c.call("GET", "/sso").body)
        self.assertEqual(c.call("DELETE", "/sso/secret").status, 204)
        self.assertEqual(self.status(c), {"set": False, "set_at": None, "set_by": None})
        self.assertEqual(self.row(cust), [])
        self.assertEqual(c.call("DELETE", "/sso/secret").status, 204)     # idempotent
        r = self.ops_client.call("GET", f"/audit?customer={cust['id']}")
        entries = [e for e in r.json["entries"] if e["action"].startswith("sso.secret")]
        self.assertEqual([e["action"] for e in entries], ["sso.secret_removed", "sso.secret_set", "sso.secret_set"])
        for e in entries:
            self.assertEqual((e["actor"], e["before"], e["after"]), (user["username"], None, None))

    def test_member_refused_and_csrf_needed(self):
        cust, _, admin = self.admin()
        member = self.first_signin(self.new_user(cust)["user"]["username"])
        self.assertEqual(self.put(member, "member-try").code, "forbidden")
        self.assertEqual(member.call("DELETE", "/sso/secret").code, "forbidden")
        r = self.put(admin, "no-csrf-value", csrf=False)
        self.assertError(r, 403, "csrf_failed")
        self.assertNotIn(b"no-csrf-value", r.body)
        self.assertEqual(self.row(cust), [])
        self.assertEqual(self.put(admin, "kept").status, 204)
        self.assertEqual(admin.call("DELETE", "/sso/secret", csrf=False).code, "csrf_failed")
        self.assertEqual(len(self.row(cust)), 1)

    def test_limits_never_echo_the_value(self):
        cust, _, c = self.admin()
        for value, code in (("", "required"), ("x" * 512 + "Z", "too_long"), ("é" * 256 + "Z", "too_long"),
                            ("line\nbreak-value", "invalid"), ("tab\tvalue", "invalid"),
                            ("c1\u0085control", "invalid"), (12345, "invalid_type"), (None, "required")):
            r = self.put(c, value)
            self.assertError(r, 422, "validation_failed")
            self.assertEqual([(f["field"], f["code"]) for f in r.json["error"]["fields"]],
                             [("client_secret", code)], value)
            if isinstance(value, str) and value:
                self.assertNotIn(value[:6].encode(), r.body)
        self.assertEqual(self.row(cust), [])
        self.assertEqual(self.put(c, "x" * 512).status, 204)
        self.assertEqual(self.put(c, "é" * 256).status, 204)              # 512 bytes of UTF-8
        self.assertEqual(self.put(c, " spaced secret ").status, 204)      # kept byte for byte
        # Only client_secret: a member named like a secret is refused without naming it.
        r = c.call("PUT", "/sso/secret", {"client_secret": "x", "oops-pasted-secret-here": 1})
        self.assertError(r, 400, "bad_request")
        self.assertNotIn(b"oops-pasted", r.body)

    def test_value_that_looks_like_a_secret_is_accepted_here(self):
        cust, _, c = self.admin()
        self.assertEqual(self.put(c, GITHUB_LIKE).status, 204)
        self.assertTrue(self.status(c)["set"])
        # Elsewhere the scanner still refuses it (this endpoint is the one approved path).
        r = c.call("PUT", "/sso", {"protocol": "oidc", "discovery_url": GITHUB_LIKE, "version": 0})
        self.assertEqual(r.status, 422, r)
        self.assertIn("secret_detected", [f["code"] for f in r.json["error"]["fields"]])

    def test_moved_ciphertext_does_not_open(self):
        a, _, ca = self.admin()
        b, _, cb = self.admin()
        self.assertEqual(self.put(ca, "alpha-secret").status, 204)
        self.assertEqual(self.put(cb, "bravo-secret").status, 204)
        self.assertEqual(self.ctl("check", "--customer", a["slug"]).returncode, 0)
        try:
            # A's sealed bytes copied over B's row: B's secret no longer opens, A's still does.
            self.sql(f"UPDATE sso_secrets b JOIN sso_secrets a ON a.customer_id = {int(a['id'])} "
                     f"SET b.sealed = a.sealed WHERE b.customer_id = {int(b['id'])}")
            r = self.ctl("check", "--customer", b["slug"], "--json")
            self.assertEqual(r.returncode, 1, r)
            self.assertEqual(json.loads(r.stdout), [{"customer": b["slug"], "purpose": "oidc_client_secret",
                                                     "key_id": "k1", "opens": False}])
            self.assertIn("do not open", r.stderr)
            r = self.ctl("check", "--customer", a["slug"])
            self.assertEqual((r.returncode, r.stdout.strip()), (0, f"{a['slug']} oidc_client_secret k1: opens"))
            # The same bytes under another purpose of the right customer do not open either.
            self.sql(f"INSERT INTO sso_secrets (customer_id, purpose, key_id, sealed, set_at, set_by) "
                     f"SELECT customer_id, 'saml_signing', key_id, sealed, set_at, set_by FROM sso_secrets "
                     f"WHERE customer_id = {int(a['id'])}")
            r = self.ctl("check", "--customer", a["slug"])
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(f"{a['slug']} saml_signing k1: does not open", r.stdout)
            self.assertIn(f"{a['slug']} oidc_client_secret k1: opens", r.stdout)
            self.assertNotIn("alpha", r.stdout + r.stderr)
        finally:
            self.sql(f"DELETE FROM sso_secrets WHERE customer_id IN ({int(a['id'])}, {int(b['id'])})")


class SecretRotationTests(SecretBase):
    def keyring(self):
        path = os.path.join(self.st.secrets_dir, "keyring")
        with open(path) as f:
            lines = [line.split() for line in f if line.strip() and not line.startswith("#")]
        return path, [k for k, _ in lines]

    def test_rotate_then_drop_old_keys(self):
        a, _, ca = self.admin()
        b, _, cb = self.admin()
        self.assertEqual(self.put(ca, "rotate-me-alpha").status, 204)
        self.assertEqual(self.put(cb, "rotate-me-bravo").status, 204)
        path, before = self.keyring()
        self.assertEqual(before, ["k1"])
        sealed_before = self.row(a)[0][2]
        r = self.ctl("rotate-key", "--json")
        self.assertEqual(r.returncode, 0, r)
        out = json.loads(r.stdout)
        self.assertEqual((out["resealed"], out["unopenable"], out["keys"]), (2, 0, 2))
        path, after = self.keyring()
        self.assertEqual(after, [out["key_id"], "k1"])       # the new key first, the old one kept
        st = os.stat(path)
        self.assertEqual(st.st_mode & 0o777, 0o600)
        # Still the workers' file (rotate-key ran as root here): they must be able to read it.
        self.assertEqual(st.st_uid, pwd.getpwnam("onramp").pw_uid if os.geteuid() == 0 else os.geteuid())
        for cust in (a, b):
            self.assertEqual([k for _, k, _ in self.row(cust)], [out["key_id"]])
        self.assertNotEqual(self.row(a)[0][2], sealed_before)
        self.assertEqual(self.ctl("check").returncode, 0)
        # Workers pick the new file up without a restart: what they seal now is under the new key.
        c, _, cc = self.admin()
        self.assertEqual(self.put(cc, "after-rotation").status, 204)
        self.assertEqual([k for _, k, _ in self.row(c)], [out["key_id"]])
        r = self.ctl("drop-old-keys", "--json")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(json.loads(r.stdout), {"dropped": 1, "keys": 1})
        self.assertEqual(self.keyring()[1], [out["key_id"]])
        self.assertEqual(self.ctl("check").returncode, 0)
        self.assertEqual(self.ctl("drop-old-keys").stdout.split()[1], "0")   # nothing left to drop
        self.assertEqual(self.put(ca, "still-works").status, 204)
        audit = self.sql("SELECT action, actor_label FROM audit_log WHERE action = 'secrets.key_rotated'")
        self.assertIn("secrets.key_rotated\tcli:", audit)

    def test_rotation_reports_a_secret_it_cannot_open(self):
        a, _, ca = self.admin()
        b, _, cb = self.admin()
        self.assertEqual(self.put(ca, "one-alpha").status, 204)
        self.assertEqual(self.put(cb, "one-bravo").status, 204)
        try:
            self.sql(f"UPDATE sso_secrets b JOIN sso_secrets a ON a.customer_id = {int(a['id'])} "
                     f"SET b.sealed = a.sealed WHERE b.customer_id = {int(b['id'])}")
            r = self.ctl("rotate-key", "--json")
            self.assertEqual(r.returncode, 1, r)
            self.assertEqual(json.loads(r.stdout)["unopenable"], 1)
            self.assertIn(f"customer {b['slug']} (oidc_client_secret", r.stderr)
            self.assertIn("does not open", r.stderr)
            # The bad row is left as it was (under its old key); the good one moved.
            self.assertNotEqual(self.row(a)[0][1], self.row(b)[0][1])
        finally:
            self.sql(f"DELETE FROM sso_secrets WHERE customer_id = {int(b['id'])}")
        self.assertEqual(self.ctl("check").returncode, 0)

    def test_verbs_have_help_and_refuse_unknowns(self):
        for verb in ("rotate-key", "drop-old-keys", "check"):
            r = self.ctl(verb, "--help")
            self.assertEqual(r.returncode, 0, r)
            self.assertIn(f"onrampctl secrets {verb}", r.stdout)
        self.assertNotEqual(self.ctl("frobnicate").returncode, 0)
        self.assertEqual(self.ctl("check", "--bogus").returncode, 2)
        r = self.ctl("check", "--key-file", "/nonexistent/keyring")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


class SecretWithoutUsableKeyTests(SecretBase):
    """A key file the loader refuses (group-readable): the secret endpoints answer 503, the rest works."""

    @classmethod
    def setUpClass(cls):
        cls._dir = os.path.join(Env.base, "refused-keyring")
        os.makedirs(cls._dir, exist_ok=True)
        cls._key = os.path.join(cls._dir, "keyring")
        with open(cls._key, "w") as f:
            f.write("k1 " + base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
        os.chmod(cls._key, 0o644)
        cls.extra_config = dict(IdentityBase.extra_config, secret_keyring_file=cls._key)
        super().setUpClass()

    def test_503_without_usable_key_file(self):
        cust, _, c = self.admin()
        r = self.put(c, "cannot-be-stored")
        self.assertError(r, 503, "unavailable")
        self.assertNotIn(self._key.encode(), r.body)
        self.assertNotIn(b"cannot-be-stored", r.body)
        self.assertEqual(self.row(cust), [])
        self.assertEqual(self.status(c), {"set": False, "set_at": None, "set_by": None})
        self.assertEqual(c.call("GET", "/members").status, 200)
        with open(self.st.app_log) as f:
            lines = [line for line in f if "secret_keyring" in line]
        self.assertTrue(lines)
        self.assertTrue(all("group or other" in line for line in lines), lines)
        self.assertLessEqual(len(lines), self.workers)   # once per worker at start, not per request


class SecretLeakSweepTests(SecretBase):
    def test_secret_appears_nowhere(self):
        secret = "LeakCanary-" + secrets.token_hex(12) + "-%:+/="
        cust, user, c = self.admin()
        bodies = []

        def call(*args, **kw):
            r = c.call(*args, **kw)
            bodies.append(r.body)
            return r

        js = {"Content-Type": "application/json"}
        self.assertEqual(call("PUT", "/sso/secret", {"client_secret": secret}).status, 204)
        # Errors with the secret in the body: malformed JSON, bad escapes, too long, wrong CSRF,
        # an unknown member named after it, a wrong type, control characters, and too large for nginx.
        drive = [
            call("PUT", "/sso/secret", raw=('{"client_secret": "' + secret + '"').encode(), headers=js),
            call("PUT", "/sso/secret", raw=('{"client_secret": "' + secret + '\\ud800"}').encode(), headers=js),
            call("PUT", "/sso/secret", raw=('{"client_secret": "' + secret + '"}').encode()),
            call("PUT", "/sso/secret", {"client_secret": secret + "x" * 600}),
            call("PUT", "/sso/secret", {"client_secret": secret}, csrf=False),
            call("PUT", "/sso/secret", {"client_secret": secret}, headers={"X-CSRF-Token": "wrong"}, csrf=False),
            call("PUT", "/sso/secret", {secret: "x"}),
            call("PUT", "/sso/secret", {"client_secret": [secret]}),
            call("PUT", "/sso/secret", {"client_secret": secret + "\n"}),
            call("PUT", "/sso/secret", raw=('{"client_secret": "' + secret + "y" * 300000 + '"}').encode(), headers=js),
            call("POST", "/sso/secret", {"client_secret": secret}),
            call("PUT", "/sso", {"protocol": "oidc", "client_secret": secret, "version": 0}),
        ]
        self.assertEqual([r.status for r in drive], [400, 400, 415, 422, 403, 403, 400, 422, 422, 413, 405, 400])
        call("GET", "/sso")
        call("GET", "/checklist")
        self.assertTrue(self.status(c)["set"])
        # A password reset and an invite mail go through the sink too.
        self.assertEqual(call("POST", "/invites", {"email": "leak-check@example.test",
                                                   "role": "customer_member"}).status, 201)
        audit = self.ops_client.call("GET", f"/audit?customer={cust['id']}")
        bodies.append(audit.body)
        self.assertIn("sso.secret_set", [e["action"] for e in audit.json["entries"]])

        needles = [secret.encode(), secret.encode().hex().encode(), secret.encode().hex().upper().encode(),
                   base64.b64encode(secret.encode()), json.dumps(secret).encode()[1:-1]]
        for body in bodies:
            for n in needles:
                self.assertNotIn(n, body)
        # Every file of the stack: app, nginx (access and error), mailer, fetcher logs, mails, temp dirs.
        hits = subprocess.run(["grep", "-rlaF", secret, self.st.base], capture_output=True, text=True)
        self.assertEqual(hits.stdout, "", "the secret is in these files")
        self.assertTrue(os.path.getsize(self.st.app_log) > 0)
        # The whole database, dumped; and MariaDB's own files (redo log, tablespaces).
        dump = subprocess.run(["mariadb-dump", "--no-defaults", f"--socket={Env.db.socket}", "-u", "root",
                               "--hex-blob", self.st.db_name], capture_output=True)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn(b"sso_secrets", dump.stdout)
        for n in needles:
            self.assertNotIn(n, dump.stdout)
        hits = subprocess.run(["grep", "-rlaF", secret, Env.db.base], capture_output=True, text=True)
        self.assertEqual(hits.stdout, "", "the secret is in MariaDB's files")
        mails = self.st.mails()
        self.assertTrue(mails)
        for m in mails:
            self.assertNotIn(secret, m.as_string())
