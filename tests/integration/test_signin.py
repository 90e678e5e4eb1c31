"""Sign-in hardening (issue 11) in both realms: one throttle per account however the login is
spelled, logins that are not a username or an email refused before any lookup, a TOTP code
accepted once under concurrency, throttled password changes, and mandatory operator
two-factor enrollment with its QR code."""

import re
import threading
import xml.etree.ElementTree as ET

from harness import request
from identity_client import customer, enroll_totp, operator, operator_signin, totp, totp_next
from test_identity import OPS_PASSWORD, PASSWORD, IdentityBase

MAX = 5
# Login strings that are neither a username nor an email address: control characters that the
# database collation ignores, non-ASCII that it folds or cannot compare, spaces, junk.
INVALID_LOGINS = ["zo\u00eb@acme.example", "\u30e6\u30fc\u30b6\u30fc", "z\u00f6e", "two words",
                  "tab\there", "a\x01b", "<script>", "x" * 65, "@acme.example", "a@b@c.example"]


def db_errors(st):
    text = request(st.operator_url, "GET", "/metrics").body.decode()
    return int(re.search(r"^onramp_db_errors_total (\d+)$", text, re.M).group(1))


def control_variants(login):
    """The same login with ASCII control characters that a case- and accent-insensitive
    collation skips: each reached the account under a fresh throttle key before the fix."""
    at = login.find("@")
    cut = at if at > 0 else 1
    return [login[:cut] + "\x01" + login[cut:], login[:1] + "\x1f" + login[1:], login + "\x7f"]


class SigninTests(IdentityBase):
    workers = 4
    extra_config = dict(IdentityBase.extra_config, login_window_s="300",
                        login_max_failures_account=str(MAX), login_max_failures_addr="100000")

    def customer_account(self):
        u = self.new_user(self.new_customer())["user"]
        self.first_signin(u["username"])
        return u, PASSWORD + "x"

    def new_operator(self, enroll=True):
        name = self.uniq("op")
        r = self.ops_client.call("POST", "/operators", {"username": name, "email": f"{name}@vendor.example",
                                                         "password": OPS_PASSWORD})
        self.assertEqual(r.status, 201, r)
        c = self.op_signin(name, OPS_PASSWORD, enroll=False)
        secret = enroll_totp(c) if enroll else None
        return r.json["operator"], secret

    def assertError(self, r, status, code):
        """The API error shape for an identity_client answer."""
        self.assertEqual((r.status, r.code), (status, code), r)
        self.assertEqual(r.json["error"]["request_id"], r.headers.get("x-request-id"))
        self.assertTrue(r.json["error"]["message"])
        return r.json["error"]

    def assertLocked(self, r):
        self.assertError(r, 429, "rate_limited")
        self.assertTrue(r.headers["retry-after"].isdigit(), r.headers)

    # ---- finding 1: customer lockout bypass -------------------------------------------------
    def test_customer_lock_counts_per_account_whatever_the_spelling(self):
        u, pw = self.customer_account()
        spellings = [u["username"], u["email"], u["email"].upper(), u["username"].upper(),
                     u["email"].capitalize()]
        for login in spellings:
            r = customer(self.st).call("POST", "/session", {"login": login, "password": "Wrong-Password-123"})
            self.assertError(r, 401, "unauthenticated")
        # MAX failures, however spelled, lock the account: the right password included.
        for login in spellings + [u["email"].title(), u["username"].swapcase()]:
            self.assertLocked(customer(self.st).call("POST", "/session", {"login": login, "password": pw}))
        for login in control_variants(u["email"]) + control_variants(u["username"]):
            r = customer(self.st).call("POST", "/session", {"login": login, "password": pw})
            self.assertError(r, 401, "unauthenticated")

    def test_customer_control_characters_do_not_reach_a_locked_account(self):
        u, pw = self.customer_account()
        for _ in range(MAX):
            customer(self.st).call("POST", "/session", {"login": u["email"], "password": "Wrong-Password-123"})
        self.assertLocked(customer(self.st).call("POST", "/session", {"login": u["email"], "password": pw}))
        for login in control_variants(u["email"]):
            r = customer(self.st).call("POST", "/session", {"login": login, "password": pw})
            self.assertError(r, 401, "unauthenticated")

    def test_invalid_logins_are_counted_against_the_typed_login_and_address(self):
        login = "zo\u00eb\x01@acme.example"
        c = customer(self.st, source_ip="127.0.0.9")
        for _ in range(MAX):
            self.assertError(c.call("POST", "/session", {"login": login, "password": "x-Wrong-1"}),
                                  401, "unauthenticated")
        self.assertLocked(c.call("POST", "/session", {"login": login, "password": "x-Wrong-1"}))

    # ---- finding 2: operator lockout bypass -------------------------------------------------
    def test_operator_lock_counts_per_account_whatever_the_spelling(self):
        op, secret = self.new_operator()
        local, domain = op["email"].split("@")
        spellings = [op["username"], op["email"], op["email"].upper(), f"{local}@{domain.upper()}",
                     op["username"].upper()]
        for login in spellings:
            r = operator(self.st).call("POST", "/session", {"username": login, "password": "Wrong-Password-123",
                                                              "totp": totp(secret)})
            self.assertError(r, 401, "unauthenticated")
        for login in spellings + [op["email"].title()]:
            r = operator(self.st).call("POST", "/session", {"username": login, "password": OPS_PASSWORD,
                                                              "totp": totp(secret)})
            self.assertLocked(r)
        for login in control_variants(op["email"]) + control_variants(op["username"]):
            r = operator(self.st).call("POST", "/session", {"username": login, "password": OPS_PASSWORD,
                                                              "totp": totp(secret)})
            self.assertError(r, 401, "unauthenticated")

    def test_operator_wrong_codes_count_and_lock(self):
        op, secret = self.new_operator()
        wrong = "000000" if totp(secret) != "000000" else "111111"
        for login in (op["username"], op["email"].upper()):
            for _ in range(MAX // 2 + 1):
                r = operator(self.st).call("POST", "/session", {"username": login, "password": OPS_PASSWORD,
                                                                  "totp": wrong})
                if r.status == 429:
                    break
                self.assertError(r, 401, "unauthenticated")
        r = operator(self.st).call("POST", "/session", {"username": op["username"], "password": OPS_PASSWORD,
                                                          "totp": totp(secret)})
        self.assertLocked(r)

    # ---- finding 3: one TOTP code, one session ------------------------------------------------
    def test_parallel_sign_ins_with_one_code_give_one_session(self):
        op, secret = self.new_operator()
        code = totp_next(secret)
        n = 8
        barrier = threading.Barrier(n)
        statuses = []

        def attempt():
            c = operator(self.st)
            barrier.wait()
            statuses.append(c.call("POST", "/session", {"username": op["username"], "password": OPS_PASSWORD,
                                                        "totp": code}).status)
        before = int(self.sql(f"SELECT COUNT(*) FROM sessions WHERE realm = 'operator' "
                              f"AND principal_id = {op['id']}").split()[-1])
        threads = [threading.Thread(target=attempt) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = int(self.sql(f"SELECT COUNT(*) FROM sessions WHERE realm = 'operator' "
                             f"AND principal_id = {op['id']}").split()[-1])
        # One winner; each replay is a failed attempt, so the last ones may meet the lock (429).
        self.assertEqual(statuses.count(200), 1, statuses)
        self.assertEqual(set(statuses) - {200, 401, 429}, set(), statuses)
        self.assertEqual(after - before, 1)

    # ---- finding 10: password change is throttled ---------------------------------------------
    def password_change_throttled(self, c, pw):
        for _ in range(MAX):
            r = c.call("POST", "/password", {"current_password": "Not-The-Password-1", "new_password": pw + "-new"})
            self.assertEqual(r.status, 422, r)
            self.assertEqual([(f["field"], f["code"]) for f in r.json["error"]["fields"]],
                             [("current_password", "incorrect")])
        r = c.call("POST", "/password", {"current_password": "Not-The-Password-1", "new_password": pw + "-new"})
        self.assertLocked(r)
        # The right current password waits too: the lock is on the account, not on the guess.
        self.assertLocked(c.call("POST", "/password", {"current_password": pw, "new_password": pw + "-new"}))

    def test_customer_password_change_is_throttled(self):
        u, pw = self.customer_account()
        self.password_change_throttled(self.signed_in(u["username"], pw), pw)

    def test_operator_password_change_is_throttled(self):
        op, _ = self.new_operator()
        self.password_change_throttled(self.op_signin(op["username"], OPS_PASSWORD), OPS_PASSWORD)

    # ---- finding 13: logins that are not identities never reach the database ----------------------
    def test_invalid_logins_answer_401_without_database_errors(self):
        before = db_errors(self.st)
        for login in INVALID_LOGINS:
            r = customer(self.st, source_ip="127.0.0.3").call("POST", "/session",
                                                              {"login": login, "password": "Whatever-123"})
            self.assertError(r, 401, "unauthenticated")
            r = operator(self.st).call("POST", "/session", {"username": login, "password": "Whatever-123"})
            self.assertError(r, 401, "unauthenticated")
        self.assertEqual(db_errors(self.st), before)

    # ---- finding 12: operator two-factor is mandatory ----------------------------------------------
    def test_operator_without_totp_can_only_enroll(self):
        op, _ = self.new_operator(enroll=False)
        c, r = operator_signin(self.st, op["username"], OPS_PASSWORD, enroll=False)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["totp_enrollment_required"])
        self.assertFalse(r.json["totp_enabled"])
        for method, path, body in (("GET", "/customers", None), ("GET", "/users", None), ("GET", "/audit", None),
                                   ("POST", "/customers", {"slug": "x-nope", "name": "X"}),
                                   ("POST", "/password", {"current_password": OPS_PASSWORD,
                                                          "new_password": "Another-Password-2031"})):
            err = self.assertError(c.call(method, path, body), 403, "totp_enrollment_required")
            self.assertIn("/totp", err["message"])
        self.assertEqual(c.call("GET", "/session").json["totp_enrollment_required"], True)
        r = c.call("POST", "/totp")
        self.assertEqual(r.status, 200, r)
        svg = r.json["qr_svg"]
        root = ET.fromstring(svg)            # well-formed XML
        self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
        self.assertNotIn("script", svg.lower())
        self.assertFalse([a for el in root.iter() for a in el.attrib if a.lower().startswith("on")])
        self.assertNotIn(r.json["secret"], self.sql("SELECT COALESCE(totp_pending, '') FROM operators"))
        r = c.call("POST", "/totp/confirm", {"code": totp_next(r.json["secret"])})
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json["totp_enrollment_required"])
        self.assertEqual(c.call("GET", "/customers").status, 200)
        self.assertEqual(c.call("DELETE", "/session").status, 204)

    def test_enrollment_session_cannot_skip_the_code_once_enrolled(self):
        op, secret = self.new_operator()
        r = operator(self.st).call("POST", "/session", {"username": op["username"], "password": OPS_PASSWORD})
        self.assertError(r, 401, "unauthenticated")
        self.assertTrue(r.json["totp_required"])
        self.assertNotIn("set-cookie", r.headers)
        c, r = operator_signin(self.st, op["username"], OPS_PASSWORD)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json["totp_enrollment_required"])
