"""Text beyond ASCII, through nginx: non-ASCII logins, filter words and fields never reach the
database as a collation error (no 503, no database-error count), and malformed UTF-8 (overlong
forms, surrogates, CESU pairs, code points past U+10FFFF, lone \\u surrogate escapes) is refused
with 400 bad_request on every entry point before anything is stored."""

import re
from urllib.parse import quote

from harness import Env, request
from test_identity import OPS_PASSWORD, PASSWORD, IdentityBase

NON_ASCII = ["müller", "Ωmega", "🚀", "MÜLLER", "ü" * 70, "zoë@example.test"]

# Raw bytes placed inside a JSON string: each is malformed UTF-8 or a lone surrogate escape.
BAD_UTF8 = {
    "overlong_slash": b"\xc0\xaf",
    "overlong_3": b"\xe0\x80\xaf",
    "overlong_4": b"\xf0\x80\x80\xaf",
    "overlong_nul": b"\xc0\x80",
    "surrogate_high": b"\xed\xa0\x80",
    "surrogate_low": b"\xed\xbf\xbf",
    "cesu_pair": b"\xed\xa0\x80\xed\xb0\x80",
    "above_10ffff": b"\xf4\x90\x80\x80",
    "f5_lead": b"\xf5\x80\x80\x80",
    "escaped_high": b"\\ud800",
    "escaped_low": b"\\udc00",
    "escaped_reversed_pair": b"\\udc00\\ud800",
    "escaped_high_then_text": b"\\ud83dx",
}
# Percent-encoded forms for query strings and path segments.
BAD_QUERY = ["%C0%AF", "%E0%80%AF", "%ED%A0%80", "%ED%A0%80%ED%B0%80", "%F4%90%80%80", "m%FCller"]


def json_with(template, bad):
    """template is JSON text with the marker @@ inside a string; bad goes there byte for byte."""
    return template.encode().replace(b"@@", bad)


class CharsetBase(IdentityBase):
    def db_errors(self):
        text = request(self.ops, "GET", "/metrics").body.decode()
        return int(re.search(r"(?m)^onramp_db_errors_total (\d+)$", text).group(1))

    def raw(self, client, method, path, body):
        return client.call(method, path, raw=body, headers={"Content-Type": "application/json"})


class CollationTests(CharsetBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.ops_client.call("POST", "/customers", {"slug": "charsetco", "name": "Charset Co"})
        cls.cid = int(r.json["customer"]["id"])
        # A word matches the start of a display name (docs/api.md), so the non-ASCII text leads.
        names = [("cs-mueller", "Müller Anna"), ("cs-omega", "Ωmega Team"), ("cs-rocket", "🚀 Rocket Crew"),
                 ("cs-plain", "Plain Person")]
        values = ",".join(f"({cls.cid}, '{u}', '{u}@charset.test', '{n}', 'customer_member')" for u, n in names)
        Env.db.sql(f"SET NAMES utf8mb4; USE `{cls.st.db_name}`; INSERT INTO users "
                   f"(customer_id, username, email, display_name, role) VALUES {values};")

    def users(self, q):
        r = self.ops_client.call("GET", "/users?limit=200&q=" + quote("customer:charsetco " + q))
        self.assertEqual(r.status, 200, r)
        return sorted(u["username"] for u in r.json["users"])

    def test_non_ascii_sign_in_is_401_and_not_a_database_error(self):
        before = self.db_errors()
        for login in NON_ASCII:
            with self.subTest(login=login):
                r = self.raw(self.signed_out(), "POST", "/session",
                             json_with('{"login": "@@", "password": "Wrong-Password-123"}', login.encode()))
                self.assertEqual((r.status, r.code), (401, "unauthenticated"), r)
                r = self.ops_raw("POST", "/session", json_with(
                    '{"username": "@@", "password": "Wrong-Password-123"}', login.encode()))
                self.assertEqual((r.status, r.code), (401, "unauthenticated"), r)
        self.assertEqual(self.db_errors(), before)

    def test_non_ascii_filter_words_find_display_names(self):
        before = self.db_errors()
        self.assertEqual(self.users("müller"), ["cs-mueller"])
        self.assertEqual(self.users("MÜLLER"), ["cs-mueller"])
        self.assertEqual(self.users("Ωmega"), ["cs-omega"])
        self.assertEqual(self.users("🚀"), ["cs-rocket"])
        self.assertEqual(self.users('"🚀 rocket"'), ["cs-rocket"])
        self.assertEqual(self.users("zoë"), [])
        self.assertEqual(self.users("plain"), ["cs-plain"])
        # The customer's own listing and the operator's customer search take the same words.
        admin = self.new_user({"slug": "charsetco"}, role="customer_admin")["user"]
        c = self.first_signin(admin["username"])
        r = c.call("GET", "/members?q=" + quote("müller"))
        self.assertEqual((r.status, [u["username"] for u in r.json["users"]]), (200, ["cs-mueller"]), r)
        r = c.call("GET", "/members?q=" + quote("🚀"))
        self.assertEqual([u["username"] for u in r.json["users"]], ["cs-rocket"])
        r = self.ops_client.call("GET", "/customers?q=" + quote("Ωmega"))
        self.assertEqual((r.status, r.json["customers"]), (200, []), r)
        self.assertEqual(self.db_errors(), before)

    def test_non_ascii_account_fields_are_refused_or_kept_never_503(self):
        before = self.db_errors()
        # A username must be ASCII: a validation error, never a database one.
        for name in ("müller", "Ωmega", "🚀"):
            r = self.ops_client.call("POST", "/users", {"customer": "charsetco", "username": name,
                                                        "email": f"x{len(name)}@charset.test",
                                                        "role": "customer_member"})
            self.assertEqual(r.status, 422, r)
        # Non-ASCII in the fields that take text is stored and served back as sent.
        admin = self.new_user({"slug": "charsetco"}, role="customer_admin")["user"]
        c = self.first_signin(admin["username"])
        v = c.call("GET", "/account").json["version"]
        r = c.call("PATCH", "/account", {"version": v, "legal_name": "Ωmega Müller 🚀 GmbH",
                                         "support_contact": {"name": "Zoë", "email": "zoë@example.test"}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(c.call("GET", "/account").json["legal_name"], "Ωmega Müller 🚀 GmbH")
        r = c.call("POST", "/password-resets", {"email": "müller@example.test"})
        self.assertEqual(r.status, 202, r)
        r = c.call("POST", "/invites", {"email": "ωmega@example.test", "role": "customer_member"})
        self.assertIn(r.status, (201, 422), r)
        self.assertEqual(self.db_errors(), before)

    def signed_out(self):
        from identity_client import customer
        return customer(self.st)

    def ops_raw(self, method, path, body):
        from identity_client import operator
        return self.raw(operator(self.st), method, path, body)


class Utf8Tests(CharsetBase):
    def admin(self):
        cust = self.new_customer()
        return self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])

    def assert_refused(self, r, what):
        self.assertEqual((r.status, r.code), (400, "bad_request"), (what, r))
        self.assertIn("UTF-8", r.json["error"]["message"], (what, r))

    def test_sign_in_refuses_malformed_utf8(self):
        from identity_client import customer, operator
        before = self.db_errors()
        for name, bad in BAD_UTF8.items():
            with self.subTest(case=name):
                r = self.raw(customer(self.st), "POST", "/session",
                             json_with('{"login": "a@@b", "password": "Wrong-Password-123"}', bad))
                self.assert_refused(r, name)
                r = self.raw(customer(self.st), "POST", "/session",
                             json_with('{"login": "someone", "password": "pw@@pw-Long-Enough"}', bad))
                self.assert_refused(r, name)
                r = self.raw(operator(self.st), "POST", "/session",
                             json_with('{"username": "x@@", "password": "Wrong-Password-123"}', bad))
                self.assert_refused(r, name)
                # In a member name too, not only in values.
                r = self.raw(customer(self.st), "POST", "/session",
                             json_with('{"login": "x", "password": "y", "@@": 1}', bad))
                self.assert_refused(r, name)
        self.assertEqual(self.db_errors(), before)

    def test_account_and_sso_refuse_malformed_utf8_and_store_nothing(self):
        admin = self.admin()
        acct = admin.call("GET", "/account").json
        sso = admin.call("GET", "/sso").json
        for name, bad in BAD_UTF8.items():
            with self.subTest(case=name):
                r = self.raw(admin, "PATCH", "/account", json_with(
                    '{"version": %d, "legal_name": "Acme @@ Ltd"}' % acct["version"], bad))
                self.assert_refused(r, name)
                r = self.raw(admin, "PATCH", "/account", json_with(
                    '{"version": %d, "support_contact": {"name": "@@"}}' % acct["version"], bad))
                self.assert_refused(r, name)
                r = self.raw(admin, "PUT", "/sso", json_with(
                    '{"version": %d, "protocol": "oidc", "email_domains": ["acme@@.example"]}' % sso["version"],
                    bad))
                self.assert_refused(r, name)
                r = self.raw(admin, "PUT", "/sso", json_with(
                    '{"version": %d, "protocol": "oidc", "claims": {"username": "u@@"}}' % sso["version"], bad))
                self.assert_refused(r, name)
        self.assertEqual(admin.call("GET", "/account").json, acct)
        self.assertEqual(admin.call("GET", "/sso").json, sso)
        rows = Env.db.sql(f"USE `{self.st.db_name}`; SELECT COUNT(*) FROM customer_details "
                          f"WHERE HEX(legal_name) REGEXP '^(..)*(C0|ED[AB]|F4[9AB]|EFBFBD)'")
        self.assertEqual(rows.strip().splitlines()[-1], "0", rows)

    def test_queries_and_path_segments_refuse_malformed_utf8(self):
        admin = self.admin()
        before = self.db_errors()
        for bad in BAD_QUERY:
            with self.subTest(q=bad):
                self.assert_refused(admin.call("GET", "/members?q=" + bad), bad)
                self.assert_refused(admin.call("GET", "/members?q=status:active+" + bad), bad)
                self.assert_refused(self.ops_client.call("GET", "/users?q=" + bad), bad)
                self.assert_refused(self.ops_client.call("GET", "/customers?q=" + bad), bad)
                self.assert_refused(self.ops_client.call("GET", "/audit?customer=" + bad), bad)
                self.assert_refused(admin.call("GET", "/sso/tests/" + bad), bad)
                self.assert_refused(self.ops_client.call("GET", "/customers/" + bad), bad)
                self.assert_refused(admin.call("POST", "/password-resets/" + bad, {"new_password": PASSWORD}),
                                    bad)
        self.assertEqual(self.db_errors(), before)
        # Well-formed text still passes.
        self.assertEqual(admin.call("GET", "/members?q=" + quote("müller")).status, 200)
        self.assertEqual(self.ops_client.call("GET", "/users?q=%F0%9F%9A%80").status, 200)

    def test_well_formed_edge_code_points_pass(self):
        admin = self.admin()
        v = admin.call("GET", "/account").json["version"]
        # U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFD, U+10000, U+10FFFF, and a valid escaped pair.
        name = "\u0080\u07ff\u0800\ud7ff\ue000\ufffd\U00010000\U0010ffff"
        r = self.raw(admin, "PATCH", "/account", json_with(
            '{"version": %d, "legal_name": "@@ \\ud83d\\ude80"}' % v, name.encode()))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["legal_name"], name + " \U0001f680")


class DataErrorTests(CharsetBase):
    """Whatever validation misses, data the server cannot compare or store is the client's
    problem: 4xx in the error shape, never 503, never a database-error count.  This stack's
    columns are narrowed on purpose so validated input still trips the server."""

    def sql(self, statement):
        return Env.db.sql(f"SET NAMES utf8mb4; USE `{self.st.db_name}`; {statement}")

    def test_uncomparable_and_unstorable_data_is_a_bad_request(self):
        self.sql("ALTER TABLE users MODIFY username VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL")
        admin = self.first_signin(self.new_user(self.new_customer(), role="customer_admin")["user"]["username"])
        self.sql("ALTER TABLE customer_details MODIFY legal_name VARCHAR(5) NULL")
        before = self.db_errors()
        # 1267 Illegal mix of collations: a filter word against the narrowed username column
        # (sign-in refuses such a login before any lookup, so it cannot reach the column).
        r = self.ops_client.call("GET", "/users?q=" + quote("müller"))
        self.assertEqual((r.status, r.code), (400, "bad_request"), r)
        # 1406 Data too long (the API allows 200 characters, the narrowed column 5).
        v = admin.call("GET", "/account").json["version"]
        r = admin.call("PATCH", "/account", {"version": v, "legal_name": "Acme Holdings"})
        self.assertEqual((r.status, r.code), (400, "bad_request"), r)
        self.assertEqual(admin.call("GET", "/account").json["version"], v)
        self.assertEqual(self.db_errors(), before)
        # A real failure still counts: the database is there, the table is not.
        # (A save, not GET /account: a worker may answer that from its cache of the account document.)
        self.sql("RENAME TABLE customer_details TO customer_details_gone")
        try:
            r = admin.call("PATCH", "/account", {"version": v, "legal_name": "Acme"})
            self.assertEqual((r.status, r.code), (503, "unavailable"), r)
        finally:
            self.sql("RENAME TABLE customer_details_gone TO customer_details")
        self.assertEqual(self.db_errors(), before + 1)
