"""Identity through nginx: users' lifecycle, seats, tenant isolation, CSRF, throttling,
password resets through the real SMTP sink, operators with TOTP, the banner and the audit trail."""

import json
import re
import subprocess
import time

import stack
from harness import Env, StackTestCase, request, served_plan
from identity_client import customer, enroll_totp, operator, operator_signin, totp

OPS_PASSWORD = "Operator-Test-Password-1"
PASSWORD = "Correct-Horse-Battery-9"


class IdentityBase(StackTestCase):
    extra_config = {"login_window_s": "4", "login_max_failures_account": "10",
                    "login_max_failures_addr": "1000", "reset_token_ttl_s": "600"}
    _n = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.st.ctl("operators", "create", "--username", "opsadmin", "--email", "opsadmin@vendor.test",
                   "--admin", "--password-stdin", input=OPS_PASSWORD + "\n")
        cls.ops_client = cls.op_signin("opsadmin", OPS_PASSWORD)

    @classmethod
    def op_signin(cls, username, password, code=None, enroll=True):
        """A signed-in operator client; TOTP is enrolled (enroll) or computed by the helpers."""
        c, r = operator_signin(cls.st, username, password, code=code, enroll=enroll)
        assert r.status == 200, r
        return c

    @classmethod
    def uniq(cls, prefix):
        IdentityBase._n += 1
        return f"{prefix}{IdentityBase._n}{int(time.time() * 1000) % 100000}"

    def new_customer(self, seats=10):
        slug = self.uniq("cust")
        r = self.ops_client.call("POST", "/customers", {"slug": slug, "name": f"{slug} Ltd", "seat_limit": seats})
        self.assertEqual(r.status, 201, r)
        return r.json["customer"]

    def new_user(self, cust, role="customer_member", password=PASSWORD):
        name = self.uniq("user")
        body = {"customer": cust["slug"], "username": name, "email": f"{name}@example.test", "role": role}
        if password:
            body["password"] = password
        r = self.ops_client.call("POST", "/users", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def signed_in(self, username, password=PASSWORD, source_ip=None):
        c = customer(self.st, source_ip)
        r = c.call("POST", "/session", {"login": username, "password": password})
        self.assertEqual(r.status, 200, r)
        return c

    def first_signin(self, username, password=PASSWORD):
        """Sign in with the initial password and change it (accounts made by operators must)."""
        c = customer(self.st)
        r = c.call("POST", "/session", {"login": username, "password": password})
        self.assertEqual(r.status, 200, r)
        if r.json["must_change_password"]:
            r = c.call("POST", "/password", {"current_password": password, "new_password": password + "x"})
            self.assertEqual(r.status, 200, r)
            self.assertFalse(r.json["must_change_password"])
        return c

    def sql(self, statement):
        return Env.db.sql(f"USE `{self.st.db_name}`; {statement}")


class UserLifecycleTests(IdentityBase):
    def test_lifecycle_via_api(self):
        cust = self.new_customer(seats=5)
        created = self.new_user(cust, role="customer_admin", password=None)
        user = created["user"]
        temp = created["temporary_password"]
        self.assertEqual(user["status"], "dormant")          # never signed in
        self.assertTrue(user["must_change_password"])

        c = customer(self.st)
        r = c.call("POST", "/session", {"login": user["email"].upper(), "password": temp})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["must_change_password"])
        self.assertEqual(r.json["user"]["status"], "active")  # signing in makes it active
        self.assertEqual(c.call("GET", "/members").code, "password_change_required")
        self.assertEqual(c.call("GET", "/session").status, 200)
        r = c.call("POST", "/password", {"current_password": temp, "new_password": "password"})
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json["error"]["fields"][0]["field"], "new_password")
        r = c.call("POST", "/password", {"current_password": temp + "x", "new_password": PASSWORD})
        self.assertEqual([(f["field"], f["code"]) for f in r.json["error"]["fields"]], [("current_password", "incorrect")])
        r = c.call("POST", "/password", {"current_password": temp, "new_password": temp})
        self.assertEqual([(f["field"], f["code"]) for f in r.json["error"]["fields"]], [("new_password", "unchanged")])
        r = c.call("POST", "/password", {"current_password": temp, "new_password": PASSWORD})
        self.assertEqual(r.status, 200, r)
        r = c.call("GET", "/members")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["seats"], {"used": 1, "limit": 5, "over_by": 0})

        member = self.new_user(cust)["user"]
        m = self.first_signin(member["username"])
        self.assertEqual(c.call("GET", "/members").json["seats"]["used"], 2)

        # Suspend: sessions die at once, sign-in refused, no seat held.
        r = c.call("POST", f"/users/{member['id']}/suspend")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "suspended")
        self.assertEqual(m.call("GET", "/session").status, 401)
        r = customer(self.st).call("POST", "/session", {"login": member["username"], "password": PASSWORD + "x"})
        self.assertEqual(r.status, 401)
        self.assertEqual(c.call("GET", "/members").json["seats"]["used"], 1)

        r = c.call("POST", f"/users/{member['id']}/activate")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "active")
        self.first_signin(member["username"], PASSWORD + "x")

        # Admin reset: a temporary password that works once and forces a change.
        r = c.call("POST", f"/users/{member['id']}/reset-password")
        self.assertEqual(r.status, 200, r)
        temp2 = r.json["temporary_password"]
        self.assertTrue(r.json["user"]["must_change_password"])
        self.assertEqual(customer(self.st).call("POST", "/session", {"login": member["username"],
                                                                      "password": PASSWORD + "x"}).status, 401)
        m2 = customer(self.st)
        r = m2.call("POST", "/session", {"login": member["username"], "password": temp2})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["must_change_password"])
        self.assertEqual(m2.call("POST", "/password", {"current_password": temp2,
                                                        "new_password": "Another-Fine-Password-7"}).status, 200)
        self.assertEqual(customer(self.st).call("POST", "/session", {"login": member["username"],
                                                                      "password": temp2}).status, 401)

        # Dormant after 90 days without being seen: no seat.
        self.sql(f"UPDATE users SET last_seen_at = NOW(6) - INTERVAL 91 DAY WHERE id = {member['id']}")
        r = c.call("GET", "/members?q=status:dormant")
        self.assertEqual([u["id"] for u in r.json["users"]], [member["id"]])
        self.assertEqual(r.json["seats"]["used"], 1)

    def test_hash_upgraded_at_sign_in_when_parameters_rise(self):
        cust = self.new_customer()
        name = self.uniq("weak")
        env = dict(self.st.env(), ONRAMP_ARGON2_T="1", ONRAMP_ARGON2_M_KIB="8192")
        subprocess.run([self.st.program("onrampctl"), "-c", self.st.config_path, "users", "create", "--customer",
                        cust["slug"], "--username", name, "--email", f"{name}@example.test", "--role",
                        "customer_member", "--password-stdin"], input=PASSWORD + "\n", text=True, env=env,
                       check=True, capture_output=True)
        before = self.sql(f"SELECT password_hash FROM users WHERE username = '{name}'")
        self.assertIn("$m=8192,t=1,p=1$", before)
        self.signed_in(name)
        after = self.sql(f"SELECT password_hash FROM users WHERE username = '{name}'")
        self.assertIn("$m=19456,t=2,p=1$", after)
        self.signed_in(name)

    def test_last_admin_cannot_be_suspended_or_demoted(self):
        cust = self.new_customer()
        admin = self.new_user(cust, role="customer_admin")["user"]
        other = self.new_user(cust, role="customer_admin")["user"]
        c = self.first_signin(admin["username"])
        self.assertEqual(c.call("POST", f"/users/{admin['id']}/suspend").status, 409)   # not yourself
        self.assertEqual(c.call("POST", f"/users/{other['id']}/suspend").status, 200)
        r = c.call("PATCH", f"/users/{admin['id']}", {"role": "customer_member"})
        self.assertEqual(r.status, 409, r)
        self.assertIn("last active customer admin", r.json["error"]["message"])
        r = self.ops_client.call("POST", f"/users/{admin['id']}/suspend")
        self.assertEqual(r.status, 409, r)
        self.assertEqual(c.call("GET", "/session").status, 200)

    def test_seat_limit_blocks_activation(self):
        cust = self.new_customer(seats=1)
        admin = self.new_user(cust, role="customer_admin")["user"]
        member = self.new_user(cust)["user"]
        c = self.first_signin(admin["username"])
        self.first_signin(member["username"])        # both seen: 2 active on a 1-seat customer
        self.assertEqual(c.call("POST", f"/users/{member['id']}/suspend").status, 200)
        r = c.call("POST", f"/users/{member['id']}/activate")
        self.assertEqual(r.status, 409, r)
        self.assertIn("the seat limit is 1", r.json["error"]["message"])

    def test_lifecycle_via_cli(self):
        cust = self.new_customer()
        name = self.uniq("cli")
        out = self.st.ctl("users", "create", "--customer", cust["slug"], "--username", name, "--email",
                          f"{name}@example.test", "--role", "customer_member", "--json")
        made = json.loads(out.stdout)
        temp = made["temporary_password"]
        listed = json.loads(self.st.ctl("users", "list", "--filter", f"customer:{cust['slug']} status:dormant",
                                        "--json").stdout)
        self.assertEqual([u["username"] for u in listed], [name])
        self.first_signin(name, temp)
        listed = json.loads(self.st.ctl("users", "list", "--filter", f"{name} status:active", "--json").stdout)
        self.assertEqual([u["username"] for u in listed], [name])
        r = self.st.ctl("users", "suspend", name, check=False)           # no terminal, no --yes
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--yes", r.stderr)
        self.st.ctl("users", "suspend", name, "--yes")
        self.assertEqual(customer(self.st).call("POST", "/session", {"login": name, "password": temp + "x"}).status, 401)
        self.st.ctl("users", "activate", made["id"], "--yes")
        out = self.st.ctl("reset-password", name)
        temp2 = re.search(r": (\S+)$", out.stdout.strip()).group(1)
        r = customer(self.st).call("POST", "/session", {"login": name, "password": temp2})
        self.assertTrue(r.json["must_change_password"])
        bad = self.st.ctl("users", "list", "--filter", "colour:red", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("colour", bad.stderr)
        self.assertEqual(self.st.ctl("users", "create", "--help").returncode, 0)


class FilterTests(IdentityBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A seeded set with known states, written straight into the tables.
        slug = "filterco"
        r = cls.ops_client.call("POST", "/customers", {"slug": slug, "name": "Filter Co"})
        cid = int(r.json["customer"]["id"])
        rows = [
            ("f-admin-active", "customer_admin", "active", "NOW(6) - INTERVAL 1 DAY", "'2025-06-01'"),
            ("f-admin-old", "customer_admin", "active", "NOW(6) - INTERVAL 30 DAY", "'2025-06-01'"),
            ("f-admin-dormant", "customer_admin", "active", "NOW(6) - INTERVAL 200 DAY", "'2025-01-01'"),
            ("f-member-active", "customer_member", "active", "NOW(6) - INTERVAL 2 DAY", "'2026-02-01'"),
            ("f-member-never", "customer_member", "active", "NULL", "'2026-03-01'"),
            ("f-member-susp", "customer_member", "suspended", "NOW(6)", "'2026-04-01'"),
        ]
        values = ",".join(f"({cid}, '{u}', '{u}@filter.test', '{role}', '{status}', {seen}, {created})"
                          for u, role, status, seen, created in rows)
        Env.db.sql(f"USE `{cls.st.db_name}`; INSERT INTO users (customer_id, username, email, role, status, "
                   f"last_seen_at, created_at) VALUES {values}; "
                   f"UPDATE users SET deactivated_at = NOW(6) WHERE username = 'f-member-never' AND 0;")

    def names(self, q):
        from urllib.parse import quote
        r = self.ops_client.call("GET", "/users?limit=200&q=" + quote("customer:filterco " + q))
        self.assertEqual(r.status, 200, r)
        return sorted(u["username"] for u in r.json["users"])

    def test_examples(self):
        week_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 7 * 86400))
        self.assertEqual(self.names(f'status:active role:customer_admin last_seen_before:"{week_ago}"'),
                         ["f-admin-old"])
        # API.md's literal example: no admin seen before 2026-01-01 can still be active today.
        self.assertEqual(self.names('status:active role:customer_admin last_seen_before:"2026-01-01T00:00:00Z"'),
                         [] if time.time() > 1767225600 + 90 * 86400 else ["f-admin-old"])
        self.assertEqual(self.names("status:active role:customer_admin"), ["f-admin-active", "f-admin-old"])
        self.assertEqual(self.names("status:active,dormant role:customer_member"),
                         ["f-member-active", "f-member-never"])
        self.assertEqual(self.names("status:active status:dormant role:customer_member"),
                         ["f-member-active", "f-member-never"])
        self.assertEqual(self.names("status:suspended"), ["f-member-susp"])
        self.assertEqual(self.names("status:dormant"), ["f-admin-dormant", "f-member-never"])
        self.assertEqual(self.names('created_after:"2026-01-15T00:00:00Z" role:customer_member'),
                         ["f-member-active", "f-member-never", "f-member-susp"])
        self.assertEqual(self.names("created_before:2025-03-01T00:00:00Z"), ["f-admin-dormant"])
        self.assertEqual(self.names(f"last_seen_after:{week_ago}"),
                         ["f-admin-active", "f-member-active", "f-member-susp"])
        self.assertEqual(self.names("STATUS:Suspended"), ["f-member-susp"])
        # A word matches the start of a username (issue 15: prefixes, index-backed), not its middle.
        self.assertEqual(self.names("f-member-nev"), ["f-member-never"])
        self.assertEqual(self.names("never"), [])
        self.assertEqual(self.names("login_type:password role:customer_member status:suspended"), ["f-member-susp"])
        self.assertEqual(self.names("login_type:oidc"), [])

    def test_malformed_queries_name_the_term(self):
        from urllib.parse import quote
        for q, term in (("colour:red", "colour"), ("status:sleeping", "sleeping"), (":active", ":active"),
                        ("status:", "status:"), ("status:active:x", "status:active:x"),
                        ('last_seen_before:"2026-01-01', "last_seen_before"), ("role:admin", "admin"),
                        ("last_seen_after:yesterday", "yesterday"), ("status:active,", "status:active,")):
            with self.subTest(q=q):
                r = self.ops_client.call("GET", "/users?q=" + quote(q))
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.code, "bad_request")
                self.assertIn(term, r.json["error"]["message"])

    def test_customer_scope_refuses_customer_key(self):
        cust = self.new_customer()
        admin = self.new_user(cust, role="customer_admin")["user"]
        c = self.first_signin(admin["username"])
        self.assertEqual(c.call("GET", "/members?q=customer:filterco").status, 400)
        r = c.call("GET", "/members?q=status:dormant")
        self.assertEqual([u["username"] for u in r.json["users"]], [])


class WordSearchTests(IdentityBase):
    """Bare words: each must match the start of the username, the email, the email's domain or
    the display name (docs/api.md); wildcards are literal; customers stay apart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cid = {}
        for slug in ("wordco", "otherco"):
            r = cls.ops_client.call("POST", "/customers", {"slug": slug, "name": slug.title()})
            cls.cid[slug] = int(r.json["customer"]["id"])
        w, o = cls.cid["wordco"], cls.cid["otherco"]
        rows = [  # customer, username, email, display name
            (w, "ann.lee", "ann.lee@wordco.test", "Ann Lee"),
            (w, "annabel", "bel@wordco.test", None),
            (w, "joanne", "jo@wordco.test", "Joanne Ann"),
            (w, "w-carol", "carol.king@wordco.test", "C. King"),
            (w, "w-dana", "d@acme-corp.example", "Dana Scully"),
            (w, "pct_50", "pct_50@wordco.test", "100% Real"),
            (w, "pctx50", "pctx50@wordco.test", "100x Real"),
            (w, "w-müller", "mueller@wordco.test", "Ärger Müller"),
            (o, "ann.other", "ann.other@otherco.test", "Ann Other"),
        ]
        values = ",".join("({}, '{}', '{}', {}, 'customer_member')".format(
            c, u.replace("ü", "ue"), e, "NULL" if n is None else f"'{n}'") for c, u, e, n in rows)
        Env.db.sql(f"SET NAMES utf8mb4; USE `{cls.st.db_name}`; INSERT INTO users "
                   f"(customer_id, username, email, display_name, role) VALUES {values};")

    def names(self, q, scope="customer:wordco "):
        from urllib.parse import quote
        r = self.ops_client.call("GET", "/users?limit=200&q=" + quote(scope + q))
        self.assertEqual(r.status, 200, r)
        return sorted(u["username"] for u in r.json["users"])

    def test_prefix_of_username_email_domain_or_display_name(self):
        self.assertEqual(self.names("ann"), ["ann.lee", "annabel"])  # not jo-ANN-e, nor "Joanne Ann"
        self.assertEqual(self.names("ann.l"), ["ann.lee"])
        self.assertEqual(self.names("carol"), ["w-carol"])  # the email's start
        self.assertEqual(self.names("carol.king@wordco.test"), ["w-carol"])
        self.assertEqual(self.names("king"), [])  # the middle of an email
        self.assertEqual(self.names("acme-corp"), ["w-dana"])  # the email's domain
        self.assertEqual(self.names("acme-corp.example"), ["w-dana"])
        self.assertEqual(len(self.names("wordco.te")), 7)
        self.assertEqual(self.names("dana"), ["w-dana"])  # the display name's start
        self.assertEqual(self.names("scully"), [])  # a later word of it
        self.assertEqual(self.names("nobody"), [])

    def test_case_insensitive(self):
        self.assertEqual(self.names("ANN.L"), ["ann.lee"])  # usernames are lower case
        self.assertEqual(self.names("CAROL.King"), ["w-carol"])
        self.assertEqual(self.names('"DANA s"'), ["w-dana"])  # a quoted word may hold a space
        self.assertEqual(self.names("ärger"), ["w-mueller"])  # the collation folds non-ASCII
        self.assertEqual(self.names("ÄRGER"), ["w-mueller"])

    def test_wildcards_are_literal(self):
        self.assertEqual(self.names("pct_"), ["pct_50"])  # '_' is not "any character"
        self.assertEqual(self.names("100%"), ["pct_50"])  # '%' is not "anything"
        self.assertEqual(self.names("%"), [])
        self.assertEqual(self.names("_"), [])
        self.assertEqual(self.names("\\"), [])

    def test_words_and_together(self):
        self.assertEqual(self.names("ann annabel"), ["annabel"])
        self.assertEqual(self.names("dana acme"), ["w-dana"])
        self.assertEqual(self.names("dana carol"), [])

    def test_customer_scope(self):
        self.assertEqual(self.names("ann", scope=""), ["ann.lee", "ann.other", "annabel"])
        self.assertEqual(self.names("ann", scope="customer:otherco "), ["ann.other"])
        admin = self.new_user({"slug": "wordco"}, role="customer_admin")["user"]
        c = self.first_signin(admin["username"])
        r = c.call("GET", "/members?q=ann")
        self.assertEqual((r.status, sorted(u["username"] for u in r.json["users"])),
                         (200, ["ann.lee", "annabel"]), r)
        r = c.call("GET", "/members?q=otherco")
        self.assertEqual((r.status, r.json["users"]), (200, []), r)

    def test_plan_reads_indexes_not_every_user(self):
        """EXPLAIN of the listing's own SQL (from the general log) over 30,000 users: a rare word
        alone or with a status key, reads the word indexes ('%word%' read every user; with a
        status, the status index in id order read them all too)."""
        if Env.db.sql("SELECT COUNT(*) FROM information_schema.engines WHERE engine = 'SEQUENCE'"
                      ).split()[-1] != "1":
            self.skipTest("no SEQUENCE engine to generate users with")
        r = self.ops_client.call("POST", "/customers", {"slug": "bulkco", "name": "Bulk"})
        self.sql(f"INSERT INTO users (customer_id, username, email, display_name, role) "
                 f"SELECT {r.json['customer']['id']}, CONCAT('b', LPAD(seq, 6, '0')), "
                 f"CONCAT('b', seq, '@bulk', seq MOD 100, '.test'), CONCAT('Bulk ', seq), 'customer_member' "
                 f"FROM seq_1_to_30000; ANALYZE TABLE users;")
        for q in ("b02999", "b02999 status:dormant"):
            with self.subTest(q=q):
                u = self.plan_of_listing(q)
                self.assertIn(u.get("access_type"), ("index_merge", "range"), u)
                self.assertLess(u.get("rows", 0), 1000, u)
                self.assertIn("users_username", json.dumps(u), u)

    def plan_of_listing(self, q):
        """The EXPLAIN of table u for the SQL the server ran for the operator listing of q."""
        statement, tables = served_plan(self.st.db_name, lambda: self.assertEqual(
            self.names(q, scope=""), [f"b02999{i}" for i in range(10)]), "%email_domain LIKE%")
        self.assertIn("'b02999%'", statement)
        return tables["u"][-1]

class IsolationTests(IdentityBase):
    def test_tenant_isolation_roles_and_realms(self):
        a, b = self.new_customer(), self.new_customer()
        admin_a = self.new_user(a, role="customer_admin")["user"]
        member_a = self.new_user(a)["user"]
        user_b = self.new_user(b)["user"]
        ca = self.first_signin(admin_a["username"])
        for method, path, body in (("POST", f"/users/{user_b['id']}/suspend", None),
                                   ("POST", f"/users/{user_b['id']}/activate", None),
                                   ("POST", f"/users/{user_b['id']}/reset-password", None),
                                   ("PATCH", f"/users/{user_b['id']}", {"role": "customer_admin"})):
            with self.subTest(path=path):
                r = ca.call(method, path, body)
                self.assertEqual(r.status, 404, r)
                self.assertEqual(r.code, "not_found")
        r = ca.call("GET", "/members")
        self.assertNotIn(user_b["id"], [u["id"] for u in r.json["users"]])
        self.assertEqual(customer(self.st).call("POST", "/session", {"login": user_b["username"],
                                                                      "password": PASSWORD}).status, 200)

        cm = self.first_signin(member_a["username"])
        for method, path in (("GET", "/members"), ("POST", f"/users/{admin_a['id']}/suspend"),
                             ("POST", f"/users/{admin_a['id']}/reset-password")):
            with self.subTest(member=path):
                self.assertEqual(cm.call(method, path).code, "forbidden")

        # Realms: an operator token under the customer cookie, and the reverse, are both 401.
        op_token = self.ops_client.cookies["onramp_operator"]
        cust_token = ca.cookies["onramp_session"]
        r = request(self.pub, "GET", "/api/v1/session", headers={"Cookie": f"onramp_session={op_token}"})
        self.assertEqual(r.status, 401)
        r = request(self.ops, "GET", "/admin/api/v1/session", headers={"Cookie": f"onramp_operator={cust_token}"})
        self.assertEqual(r.status, 401)
        r = request(self.ops, "GET", "/admin/api/v1/users", headers={"Cookie": f"onramp_session={cust_token}"})
        self.assertEqual(r.status, 401)

    def test_every_mutation_needs_csrf(self):
        cust = self.new_customer()
        admin = self.new_user(cust, role="customer_admin")["user"]
        member = self.new_user(cust)["user"]
        c = self.first_signin(admin["username"])
        before = self.sql(f"SELECT status, role, password_hash FROM users WHERE id = {member['id']}")
        audit_before = self.sql("SELECT COUNT(*) FROM audit_log")
        cases = [(c, "POST", f"/users/{member['id']}/suspend", None),
                 (c, "POST", f"/users/{member['id']}/activate", None),
                 (c, "POST", f"/users/{member['id']}/reset-password", None),
                 (c, "PATCH", f"/users/{member['id']}", {"role": "customer_admin"}),
                 (c, "POST", "/password", {"current_password": PASSWORD + "x", "new_password": "Whatever-Else-123"}),
                 (c, "DELETE", "/session", None),
                 (self.ops_client, "POST", "/customers", {"slug": "csrf-x", "name": "X"}),
                 (self.ops_client, "POST", "/users", {"customer": cust["slug"], "username": "csrfx",
                                                      "email": "csrfx@example.test", "role": "customer_member"}),
                 (self.ops_client, "POST", f"/users/{member['id']}/suspend", None),
                 (self.ops_client, "POST", f"/users/{member['id']}/reset-password-link", None),
                 (self.ops_client, "DELETE", f"/users/{member['id']}", None),
                 (self.ops_client, "PUT", "/banner", {"message": "x"}),
                 (self.ops_client, "POST", "/operators", {"username": "csrfop", "email": "csrfop@vendor.test"}),
                 (self.ops_client, "POST", "/totp", None),
                 (self.ops_client, "DELETE", "/session", None)]
        for client, method, path, body in cases:
            with self.subTest(path=path, method=method):
                r = client.call(method, path, body, csrf=False)
                self.assertEqual(r.status, 403, r)
                self.assertEqual(r.code, "csrf_failed")
                r = client.call(method, path, body, csrf=False, headers={"X-CSRF-Token": "x" * 43})
                self.assertEqual(r.code, "csrf_failed")
        self.assertEqual(self.sql(f"SELECT status, role, password_hash FROM users WHERE id = {member['id']}"), before)
        self.assertEqual(self.sql("SELECT COUNT(*) FROM audit_log"), audit_before)
        self.assertEqual(c.call("GET", "/session").status, 200)

    def test_unknown_fields_and_bad_types(self):
        c = customer(self.st)
        r = c.call("POST", "/session", {"login": "a", "password": "b", "remember": True})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json["error"]["fields"][0]["field"], "remember")
        r = c.call("POST", "/session", {"login": 5, "password": "b"})
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json["error"]["fields"][0]["code"], "invalid_type")


class ThrottleTests(IdentityBase):
    # The production window: the test clock, not a sleep, carries the test past it, so the
    # attempts never race a short window on a slow (sanitizer) build.
    extra_config = dict(IdentityBase.extra_config, login_window_s="900")

    def test_brute_force_locks_then_recovers(self):
        cust = self.new_customer()
        u = self.new_user(cust)["user"]
        self.first_signin(u["username"])
        c = customer(self.st)
        statuses = []
        for _ in range(20):
            r = c.call("POST", "/session", {"login": u["username"], "password": "wrong-password-123"})
            statuses.append(r.status)
            if r.status == 401:
                self.assertEqual(r.json["error"]["message"], "The sign-in details are not correct.")
        self.assertEqual(statuses[:10], [401] * 10)
        self.assertEqual(set(statuses[10:]), {429})
        self.assertTrue(r.headers["retry-after"].isdigit())
        # Unknown user: the same 401 and message.
        r = customer(self.st).call("POST", "/session", {"login": "nobody-here", "password": "wrong-password-123"})
        self.assertEqual((r.status, r.json["error"]["message"]), (401, "The sign-in details are not correct."))
        # Locked for everyone during the window, the right password included.
        other = customer(self.st, source_ip="127.0.0.2")
        self.assertEqual(other.call("POST", "/session", {"login": u["username"], "password": PASSWORD + "x"}).status, 429)
        self.st.advance_clock(int(self.extra_config["login_window_s"]) + 1)
        r = other.call("POST", "/session", {"login": u["username"], "password": PASSWORD + "x"})
        self.assertEqual(r.status, 200, r)


class ResetTests(IdentityBase):
    def wait_for_mail(self, to, count=1, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            mails = [m for m in self.st.mails() if m["To"] == to]
            if len(mails) >= count:
                return mails
            time.sleep(0.1)
        self.fail(f"no mail for {to} within {timeout}s (mailer log: {open(self.st.mailer_log).read()[-2000:]})")

    @staticmethod
    def token_of(msg):
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                text = part.get_payload(decode=True).decode()
                return re.search(r"reset-password#token=([A-Za-z0-9_-]{43})", text).group(1)
        raise AssertionError("no text part")

    def test_forgot_password_end_to_end(self):
        cust = self.new_customer()
        u = self.new_user(cust)["user"]
        self.first_signin(u["username"])
        anon = customer(self.st)
        r = anon.call("POST", "/password-resets", {"email": u["email"].upper()})
        self.assertEqual(r.status, 202, r)
        r2 = anon.call("POST", "/password-resets", {"email": "nobody@example.test"})
        self.assertEqual((r2.status, r2.json), (202, r.json))
        msg = self.wait_for_mail(u["email"])[0]
        self.assertIn("Reset your onramp password", msg["Subject"])
        token = self.token_of(msg)
        # The token is not kept anywhere in the database, and the delivered body is discarded.
        dump = self.sql("SELECT token_hash FROM password_resets; SELECT body_text FROM outbox WHERE state='sent'")
        self.assertNotIn(token, dump)
        r = anon.call("POST", f"/password-resets/{token}", {"new_password": "password"})
        self.assertEqual(r.status, 422)
        r = anon.call("POST", f"/password-resets/{token}", {"new_password": "Reset-Worked-Fine-42"})
        self.assertEqual(r.status, 204, r)
        self.signed_in(u["username"], "Reset-Worked-Fine-42")
        r = anon.call("POST", f"/password-resets/{token}", {"new_password": "Reset-Worked-Again-42"})
        self.assertEqual((r.status, r.code), (410, "gone"))
        # Expired links are gone too.
        anon.call("POST", "/password-resets", {"email": u["email"]})
        token2 = self.token_of(self.wait_for_mail(u["email"], 2)[-1])
        self.sql("UPDATE password_resets SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE used_at IS NULL")
        r = anon.call("POST", f"/password-resets/{token2}", {"new_password": "Reset-Worked-Again-42"})
        self.assertEqual((r.status, r.code), (410, "gone"))
        self.assertEqual(anon.call("POST", "/password-resets/" + "A" * 43, {"new_password": "x" * 20}).status, 410)

    def test_mail_survives_a_sink_outage(self):
        cust = self.new_customer()
        u = self.new_user(cust)["user"]
        self.st.stop_sink()
        try:
            r = customer(self.st).call("POST", "/password-resets", {"email": u["email"]})
            self.assertEqual(r.status, 202)
            stack.wait_for(lambda: "mail_retry" in open(self.st.mailer_log).read(), 15, "a failed attempt")
            self.assertEqual(self.sql(f"SELECT state FROM outbox WHERE to_addr = '{u['email']}'").split()[-1],
                             "pending")
        finally:
            self.st.start_sink()
        # Backoff starts at 5 s; the mail arrives once the sink is back.
        msg = self.wait_for_mail(u["email"], timeout=30)[0]
        self.assertTrue(self.token_of(msg))

    def test_operator_reset_link(self):
        cust = self.new_customer()
        u = self.new_user(cust)["user"]
        r = self.ops_client.call("POST", f"/users/{u['id']}/reset-password-link")
        self.assertEqual(r.status, 201, r)
        token = r.json["reset_link"].split("#token=")[1]
        self.assertEqual(customer(self.st).call("POST", f"/password-resets/{token}",
                                                 {"new_password": "Linked-Reset-Pass-77"}).status, 204)
        self.signed_in(u["username"], "Linked-Reset-Pass-77")


class OperatorTests(IdentityBase):
    def test_totp_enrollment_and_sign_in(self):
        out = self.st.ctl("operators", "create", "--username", "optotp", "--email", "optotp@vendor.test",
                          "--password-stdin", input=OPS_PASSWORD + "\n")
        self.assertEqual(out.returncode, 0)
        c = self.op_signin("optotp", OPS_PASSWORD, enroll=False)
        r = c.call("POST", "/totp")
        self.assertEqual(r.status, 200, r)
        uri, secret = r.json["otpauth_uri"], r.json["secret"]
        self.assertTrue(uri.startswith("otpauth://totp/onramp:optotp?secret="), uri)
        self.assertTrue(r.json["qr_svg"].startswith("<svg "), r.json["qr_svg"][:80])
        self.assertNotIn(secret, self.sql("SELECT totp_pending FROM operators WHERE username='optotp'"))
        self.assertEqual(c.call("POST", "/totp/confirm", {"code": "000000" if totp(secret) != "000000" else "111111"}).status, 422)
        confirmed_at = self.st.now()
        r = c.call("POST", "/totp/confirm", {"code": totp(secret, confirmed_at)})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["totp_enabled"])
        # Without the code, or with a wrong one, sign-in fails.
        r = operator(self.st).call("POST", "/session", {"username": "optotp", "password": OPS_PASSWORD})
        self.assertEqual(r.status, 401)
        self.assertTrue(r.json["totp_required"])
        # The code used to confirm cannot be replayed; the next step's can (the server takes one
        # step either side of its own, so no waiting for the clock), and only once.
        self.assertEqual(operator(self.st).call("POST", "/session", {
            "username": "optotp", "password": OPS_PASSWORD, "totp": totp(secret, confirmed_at)}).status, 401)
        c2 = self.op_signin("optotp", OPS_PASSWORD, totp(secret, confirmed_at + 30))
        self.assertEqual(c2.call("GET", "/session").json["operator"]["username"], "optotp")
        self.assertEqual(operator(self.st).call("POST", "/session", {
            "username": "optotp", "password": OPS_PASSWORD, "totp": totp(secret, confirmed_at + 30)}).status, 401)
        # After a reset the password alone gives a session that can only enroll again.
        self.st.ctl("operators", "totp-reset", "optotp")
        c3 = self.op_signin("optotp", OPS_PASSWORD, enroll=False)
        self.assertEqual(c3.call("GET", "/customers").code, "totp_enrollment_required")
        enroll_totp(c3)
        self.assertEqual(c3.call("GET", "/customers").status, 200)

    def test_many_sign_ins_of_one_operator_move_the_test_clock(self):
        # Five sign-ins of one operator use up the three steps the server takes; the helpers
        # then move the stack's test clock to the next step instead of waiting up to 30 s.
        self.st.ctl("operators", "create", "--username", "opmany", "--email", "opmany@vendor.test",
                    "--password-stdin", input=OPS_PASSWORD + "\n")
        self.op_signin("opmany", OPS_PASSWORD)
        offset, started = self.st.clock_offset(), time.monotonic()
        for _ in range(5):
            c = self.op_signin("opmany", OPS_PASSWORD)
            self.assertEqual(c.call("GET", "/session").json["operator"]["username"], "opmany")
        self.assertLess(time.monotonic() - started, 20)
        self.assertGreater(self.st.clock_offset(), offset)

    def test_operators_admin_and_auditor(self):
        r = self.ops_client.call("POST", "/operators", {"username": "aud1", "email": "aud1@vendor.test",
                                                         "role": "auditor"})
        self.assertEqual(r.status, 201, r)
        aud_pw = r.json["temporary_password"]
        aud = operator(self.st)
        r = aud.call("POST", "/session", {"username": "aud1", "password": aud_pw})
        self.assertTrue(r.json["must_change_password"])
        # Two-factor enrollment comes first (issue 11), then the password change.
        self.assertEqual(aud.call("GET", "/users").code, "totp_enrollment_required")
        self.assertEqual(aud.call("POST", "/password", {"current_password": aud_pw,
                                                        "new_password": "Auditor-Pass-2026"}).code,
                         "totp_enrollment_required")
        enroll_totp(aud)
        self.assertEqual(aud.call("GET", "/users").code, "password_change_required")
        r = aud.call("POST", "/password", {"current_password": "wrong-" + aud_pw, "new_password": "Auditor-Pass-2026"})
        self.assertEqual([(f["field"], f["code"]) for f in r.json["error"]["fields"]], [("current_password", "incorrect")])
        r = aud.call("POST", "/password", {"current_password": aud_pw, "new_password": aud_pw})
        self.assertEqual([(f["field"], f["code"]) for f in r.json["error"]["fields"]], [("new_password", "unchanged")])
        self.assertEqual(aud.call("POST", "/password", {"current_password": aud_pw,
                                                        "new_password": "Auditor-Pass-2026"}).status, 200)
        self.assertEqual(aud.call("GET", "/users").status, 200)
        self.assertEqual(aud.call("GET", "/audit").status, 200)
        self.assertEqual(aud.call("POST", "/customers", {"slug": "aud-x", "name": "X"}).code, "forbidden")
        self.assertEqual(aud.call("GET", "/operators").code, "forbidden")
        me = self.ops_client.call("GET", "/session").json["operator"]
        self.assertEqual(self.ops_client.call("DELETE", f"/operators/{me['id']}").status, 409)
        ops = self.ops_client.call("GET", "/operators").json["operators"]
        aud_id = [o["id"] for o in ops if o["username"] == "aud1"][0]
        self.assertEqual(self.ops_client.call("DELETE", f"/operators/{aud_id}").status, 204)
        self.assertEqual(aud.call("GET", "/session").status, 401)

    def test_banner(self):
        r = self.ops_client.call("PUT", "/banner", {"message": "Maintenance tonight <b>22:00</b>",
                                                     "severity": "warning"})
        self.assertEqual(r.status, 200, r)
        r = request(self.pub, "GET", "/api/v1/banner")
        self.assertEqual(r.json()["banner"]["message"], "Maintenance tonight <b>22:00</b>")
        self.assertEqual(r.json()["banner"]["severity"], "warning")
        r = self.ops_client.call("PUT", "/banner", {"message": "later", "starts_at": "2099-01-01T00:00:00Z"})
        self.assertEqual(request(self.pub, "GET", "/api/v1/banner").json()["banner"], None)
        # Operators still see what is scheduled.
        stored = self.ops_client.call("GET", "/banner").json["banner"]
        self.assertEqual((stored["message"], stored["active"], stored["starts_at"]),
                         ("later", False, "2099-01-01T00:00:00Z"))
        r = self.ops_client.call("PUT", "/banner", {"message": "x", "severity": "loud"})
        self.assertEqual(r.status, 422)
        self.assertEqual(self.ops_client.call("PUT", "/banner", {"message": ""}).status, 200)
        self.assertEqual(request(self.pub, "GET", "/api/v1/banner").json()["banner"], None)

    def test_audit_trail_is_complete_and_append_only(self):
        cust = self.new_customer()
        signer = self.new_user(cust)["user"]
        self.signed_in(signer["username"])
        u = self.new_user(cust)["user"]
        self.ops_client.call("POST", f"/users/{u['id']}/suspend")
        r = self.ops_client.call("GET", f"/audit?customer={cust['id']}")
        self.assertEqual(r.status, 200)
        actions = [e["action"] for e in r.json["entries"]]
        self.assertEqual(actions[:3], ["user.suspend", "user.create", "user.sign_in"])
        entry = r.json["entries"][0]
        self.assertEqual(entry["actor"], "opsadmin")
        signin = [e for e in r.json["entries"] if e["action"] == "user.sign_in"][0]
        self.assertEqual((signin["actor_type"], signin["actor"]), ("user", signer["username"]))
        self.assertEqual(entry["before"]["status"], "dormant")
        self.assertEqual(entry["after"]["status"], "suspended")
        self.assertRegex(entry["request_id"], r"^[0-9a-f]{32}$")
        dump = self.sql("SELECT before_json, after_json FROM audit_log")
        self.assertNotIn(PASSWORD, dump)
        self.assertNotIn("argon2", dump)
        with self.assertRaises(RuntimeError):
            self.sql("UPDATE audit_log SET action = 'x'")
        with self.assertRaises(RuntimeError):
            self.sql("DELETE FROM audit_log")


class CliOutputTests(IdentityBase):
    """onrampctl's conventions (issue 16, item 14): a header over table output, a line for an
    empty result, a one-line reason on every exit 1, --json unchanged."""

    def ask(self, answer, *args):
        """Run onrampctl with a terminal on stdin and type answer at its question."""
        import os
        import pty
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([self.st.program("onrampctl"), "-c", self.st.config_path, *args], stdin=slave,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.st.env())
            os.write(master, answer.encode() + b"\n")
            out, err = p.communicate(timeout=30)
        finally:
            os.close(master)
            os.close(slave)
        return p.returncode, out, err

    def test_lists_have_a_header_and_say_when_empty(self):
        cust = self.new_customer()
        user = self.new_user(cust)["user"]
        out = self.st.ctl("users", "list", "--filter", f"customer:{cust['slug']}").stdout.splitlines()
        self.assertEqual(out[0].split(), ["ID", "USERNAME", "EMAIL", "CUSTOMER", "ROLE", "STATUS", "LAST_SEEN"])
        self.assertEqual([line.split()[1] for line in out[1:]], [user["username"]])
        empty = self.st.ctl("users", "list", "--filter", f"customer:{cust['slug']} status:suspended")
        self.assertEqual((empty.returncode, empty.stdout.strip()), (0, "no users match the filter"))
        self.assertEqual(json.loads(self.st.ctl("users", "list", "--filter", f"customer:{cust['slug']} status:suspended",
                                                "--json").stdout), [])
        out = self.st.ctl("customers", "list").stdout.splitlines()
        self.assertEqual(out[0].split(), ["SLUG", "NAME", "SEATS"])
        self.assertIn(cust["slug"], [line.split()[0] for line in out[1:]])
        self.assertIn(cust["slug"], [c["slug"] for c in json.loads(self.st.ctl("customers", "list", "--json").stdout)])

    def test_declining_a_confirmation_says_so(self):
        cust = self.new_customer()
        name = self.new_user(cust)["user"]["username"]
        rc, out, err = self.ask("n", "users", "suspend", name)
        self.assertEqual(rc, 1)
        self.assertIn(f"Suspend {name}", err)
        self.assertIn("cancelled: not confirmed", err)
        self.assertEqual(self.ops_client.call("GET", f"/users?q={name}").json["users"][0]["status"], "dormant")
        rc, out, err = self.ask("y", "users", "suspend", name)
        self.assertEqual((rc, out.strip()), (0, f"suspended {name}"), err)
        self.assertEqual(self.ops_client.call("GET", f"/users?q={name}").json["users"][0]["status"], "suspended")
