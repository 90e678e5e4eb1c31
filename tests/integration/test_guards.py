"""Guards that must hold under concurrency and across tenants: at least one operator admin
and one active customer admin always remain, whichever API, realm or command removes them,
and however many removals race; customer endpoints never reach another tenant's objects."""


from harness import Env, StackTestCase
from identity_client import customer, operator, operator_signin
from parallel import in_parallel

PASSWORD = "Correct-Horse-Battery-9"
OPS_PASSWORD = "Operator-Test-Password-1"
ROUNDS = 5
N = 4


class GuardBase(StackTestCase):
    workers = 4
    _n = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.st.ctl("operators", "create", "--username", "guardops", "--email", "guardops@vendor.test",
                   "--admin", "--password-stdin", input=OPS_PASSWORD + "\n")
        cls.ops_client = cls.op_signin("guardops")

    @classmethod
    def op_signin(cls, username, password=OPS_PASSWORD):
        c, r = operator_signin(cls.st, username, password)
        assert r.status == 200, r
        return c

    @classmethod
    def uniq(cls, prefix):
        GuardBase._n += 1
        return f"{prefix}{GuardBase._n}"

    def sql(self, statement):
        return Env.db.sql(f"USE `{self.st.db_name}`; {statement}")

    def sql_int(self, statement):
        return int(self.sql(statement).split()[-1])


class OperatorLastAdminTests(GuardBase):
    def live_admins(self):
        return self.sql_int("SELECT COUNT(*) FROM operators WHERE role = 'operator_admin' "
                            "AND deactivated_at IS NULL")

    def test_parallel_removals_keep_one_operator_admin(self):
        # Each round the live admins (survivors plus new ones, N in all) each remove the
        # next one in a ring at the same moment: every request removes "the last but one"
        # from its own point of view, so all of them succeeding would leave no admin.
        # A failed round leaves nobody to run the next one, so rounds are not subtests.
        survivors = [("guardops", self.ops_client)]
        for rnd in range(ROUNDS):
            ring = list(survivors)
            while len(ring) < N:
                name = self.uniq("opadm")
                r = ring[0][1].call("POST", "/operators", {
                    "username": name, "email": f"{name}@vendor.test", "role": "operator_admin",
                    "password": OPS_PASSWORD})
                self.assertEqual(r.status, 201, r)
                ring.append((name, self.op_signin(name)))
            self.assertEqual(self.live_admins(), N)
            ids = {o["username"]: o["id"] for o in
                   ring[0][1].call("GET", "/operators").json["operators"]}
            calls = [lambda c=c, target=ring[(i + 1) % N][0]: c.call("DELETE", f"/operators/{ids[target]}")
                     for i, (_, c) in enumerate(ring)]
            results = in_parallel(calls)
            for r in results:
                self.assertNotIsInstance(r, Exception)
                self.assertIn(r.status, (204, 401, 404, 409), r)
            left = self.live_admins()
            self.assertGreaterEqual(left, 1, (rnd, results))
            self.assertEqual(sum(r.status == 204 for r in results), N - left, results)
            live = {n for (n,) in (line.split("\t") for line in self.sql(
                "SELECT username FROM operators WHERE role = 'operator_admin' "
                "AND deactivated_at IS NULL").split("\n")[1:] if line)}
            survivors = [(n, c) for (n, c) in ring if n in live]
            self.assertEqual(len(survivors), left)
            listed = survivors[0][1].call("GET", "/operators").json["operators"]
            self.assertEqual(sum(o["role"] == "operator_admin" and not o.get("deactivated_at")
                                 for o in listed), left)


class CustomerLastAdminTests(GuardBase):
    def new_customer(self):
        slug = self.uniq("guardcust")
        r = self.ops_client.call("POST", "/customers", {"slug": slug, "name": f"{slug} Ltd", "seat_limit": 50})
        self.assertEqual(r.status, 201, r)
        return r.json["customer"]

    def new_admin(self, cust):
        name = self.uniq("gadm")
        r = self.ops_client.call("POST", "/users", {"customer": cust["slug"], "username": name,
                                                    "email": f"{name}@example.test", "role": "customer_admin",
                                                    "password": PASSWORD})
        self.assertEqual(r.status, 201, r)
        c = customer(self.st)
        r = c.call("POST", "/session", {"login": name, "password": PASSWORD})
        self.assertEqual(r.status, 200, r)
        if r.json["must_change_password"]:
            self.assertEqual(c.call("POST", "/password", {"current_password": PASSWORD,
                                                          "new_password": PASSWORD + "x"}).status, 200)
        return r.json["user"], c

    @classmethod
    def deactivators(cls):
        """N operator sessions, one operator each, signed in once for the class: a sign-in
        spends a TOTP step, so signing one operator in N times a round would wait for the clock."""
        if not getattr(cls, "_deactivators", None):
            cls._deactivators = []
            for _ in range(N):
                name = cls.uniq("gdeact")
                cls.st.ctl("operators", "create", "--username", name, "--email", f"{name}@vendor.test",
                           "--password-stdin", input=OPS_PASSWORD + "\n")
                cls._deactivators.append(cls.op_signin(name))
        return cls._deactivators

    def active_admins(self, cust):
        return self.sql_int(f"SELECT COUNT(*) FROM users WHERE customer_id = {int(cust['id'])} "
                            "AND role = 'customer_admin' AND status = 'active' AND deactivated_at IS NULL")

    def test_parallel_removals_keep_one_customer_admin(self):
        # N admins of one customer; at once, admin i suspends or demotes admin i+1 through
        # the customer API while an operator deactivates every one of them.
        for rnd in range(ROUNDS):
            with self.subTest(round=rnd):
                cust = self.new_customer()
                admins = [self.new_admin(cust) for _ in range(N)]
                self.assertEqual(self.active_admins(cust), N)
                calls = []
                for i, (_, c) in enumerate(admins):
                    target = admins[(i + 1) % N][0]["id"]
                    if i % 2:
                        calls.append(lambda c=c, t=target: c.call("POST", f"/users/{t}/suspend"))
                    else:
                        calls.append(lambda c=c, t=target: c.call("PATCH", f"/users/{t}",
                                                                  {"role": "customer_member"}))
                ops = self.deactivators()
                for (u, _), oc in zip(admins, ops):
                    calls.append(lambda oc=oc, t=u["id"]: oc.call("DELETE", f"/users/{t}"))
                results = in_parallel(calls)
                for r in results:
                    self.assertNotIsInstance(r, Exception)
                    self.assertIn(r.status, (200, 401, 403, 404, 409), r)
                self.assertGreaterEqual(self.active_admins(cust), 1, results)
                self.assertTrue(any(r.status == 409 and "last active customer admin" in r.body.decode()
                                    for r in results), results)

    def test_operator_cannot_deactivate_last_customer_admin(self):
        cust = self.new_customer()
        (a, _), (b, _) = self.new_admin(cust), self.new_admin(cust)
        self.assertEqual(self.ops_client.call("DELETE", f"/users/{a['id']}").status, 200)
        r = self.ops_client.call("DELETE", f"/users/{b['id']}")
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.code, "conflict")
        self.assertIn("last active customer admin", r.json["error"]["message"])
        self.assertEqual(self.active_admins(cust), 1)

    def test_cli_cannot_suspend_last_customer_admin(self):
        cust = self.new_customer()
        (a, _), (b, _) = self.new_admin(cust), self.new_admin(cust)
        self.st.ctl("users", "suspend", a["username"], "--yes")
        r = self.st.ctl("users", "suspend", b["username"], "--yes", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("last active customer admin", r.stderr)
        self.assertEqual(self.active_admins(cust), 1)
        # A member is not guarded: suspending one still works.
        self.st.ctl("users", "activate", a["username"], "--yes")
        self.assertEqual(self.active_admins(cust), 2)

    def test_customer_endpoints_404_on_other_tenants(self):
        a, b = self.new_customer(), self.new_customer()
        _, ca = self.new_admin(a)
        user_b, cb = self.new_admin(b)
        r = cb.call("POST", "/invites", {"email": "someone@example.test", "role": "customer_member"})
        self.assertEqual(r.status, 201, r)
        invite_b = r.json["invite"]["id"]
        for method, path, body in (("POST", f"/users/{user_b['id']}/suspend", None),
                                   ("POST", f"/users/{user_b['id']}/activate", None),
                                   ("POST", f"/users/{user_b['id']}/reset-password", None),
                                   ("PATCH", f"/users/{user_b['id']}", {"role": "customer_member"}),
                                   ("POST", f"/invites/{invite_b}/resend", None),
                                   ("DELETE", f"/invites/{invite_b}", None)):
            with self.subTest(path=path, method=method):
                r = ca.call(method, path, body)
                self.assertEqual(r.status, 404, r)
                self.assertEqual(r.code, "not_found")
        members = ca.call("GET", "/members").json
        self.assertNotIn(user_b["id"], [u["id"] for u in members["users"]])
        self.assertNotIn(invite_b, [v["id"] for v in members.get("invites", [])])
        self.assertEqual(self.sql_int(f"SELECT COUNT(*) FROM invites WHERE id = {int(invite_b)} "
                                      "AND state = 'pending'"), 1)
