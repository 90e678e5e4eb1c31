"""Create workspace (issue 16): the same request twice creates one.  The same Idempotency-Key
replays the first answer; a second Create of a name already queued for the customer (another
key, no key, two at once) answers with that queued request and records nothing; another name,
another customer or a name no longer queued creates a new request."""

from test_idempotency import IdemBase, IdempotencyTests, RouteFamilyTests


class WorkspaceCreateTests(IdemBase):
    ready_admin = RouteFamilyTests.ready_admin
    concurrently = IdempotencyTests.concurrently

    def rows(self, cust, name=None):
        where = f" AND name = '{name}'" if name else ""
        return self.count(f"SELECT COUNT(*) FROM workspace_requests WHERE customer_id = {cust['id']}{where}")

    def audited(self, cust):
        return self.count(f"SELECT COUNT(*) FROM audit_log WHERE customer_id = {cust['id']} "
                          "AND action = 'workspace.create_requested'")

    def test_same_key_twice_creates_one(self):
        cust, admin = self.ready_admin()
        key = self.key()
        first = self.post(admin, "/workspaces", {"name": "double-click"}, key)
        self.assertEqual(first.status, 202, first)
        self.assertFalse(first.json["already_queued"])
        second = self.post(admin, "/workspaces", {"name": "double-click"}, key)
        self.assertReplay(first, second)
        self.assertEqual(self.rows(cust), 1)
        listed = admin.call("GET", "/workspaces").json["workspace_requests"]
        self.assertEqual([(w["name"], w["state"]) for w in listed], [("double-click", "queued")])

    def test_another_key_for_a_queued_name_answers_the_queued_request(self):
        cust, admin = self.ready_admin()
        first = self.post(admin, "/workspaces", {"name": "team-a"}, self.key())
        self.assertEqual(first.status, 202, first)
        for key in (self.key(), None):
            with self.subTest(key=key):
                again = self.post(admin, "/workspaces", {"name": "team-a"}, key)
                self.assertEqual(again.status, 202, again)
                self.assertTrue(again.json["already_queued"], again.json)
                self.assertEqual(again.json["workspace_request"], first.json["workspace_request"])
        self.assertEqual((self.rows(cust), self.audited(cust)), (1, 1))
        # Another name is another request.
        other = self.post(admin, "/workspaces", {"name": "team-b"}, self.key())
        self.assertEqual((other.status, other.json["already_queued"]), (202, False), other)
        self.assertEqual((self.rows(cust), self.audited(cust)), (2, 2))
        # Once the first is no longer queued (created or failed), its name can be asked for again.
        self.sql(f"UPDATE workspace_requests SET state = 'created' WHERE customer_id = {cust['id']} AND name = 'team-a'")
        again = self.post(admin, "/workspaces", {"name": "team-a"}, self.key())
        self.assertEqual((again.status, again.json["already_queued"]), (202, False), again)
        self.assertEqual(self.rows(cust, "team-a"), 2)

    def test_the_rule_is_per_customer(self):
        cust, admin = self.ready_admin()
        other, other_admin = self.ready_admin()
        for client in (admin, other_admin):
            r = self.post(client, "/workspaces", {"name": "shared-name"}, self.key())
            self.assertEqual((r.status, r.json["already_queued"]), (202, False), r)
        self.assertEqual((self.rows(cust), self.rows(other)), (1, 1))

    def test_concurrent_creates_with_different_keys_create_one(self):
        cust, admin = self.ready_admin()
        rs = self.concurrently(6, lambda: self.post(admin, "/workspaces", {"name": "at-once"}, self.key()))
        self.assertEqual({r.status for r in rs}, {202}, [(r.status, r.body) for r in rs])
        self.assertEqual(len({r.json["workspace_request"]["id"] for r in rs}), 1, rs)
        self.assertEqual(sum(not r.json["already_queued"] for r in rs), 1, [r.json for r in rs])
        self.assertEqual((self.rows(cust), self.audited(cust)), (1, 1))

    def test_gates_of_the_checklist_are_the_gates_of_the_refusal(self):
        cust, admin = self.admin_of_new_customer()
        items = admin.call("GET", "/checklist").json["items"]
        gates = {i["key"]: i["gate"] for i in items if "gate" in i}
        self.assertEqual(set(gates), {i["key"] for i in items if i["state"] not in ("done", "not_required")})
        r = admin.call("POST", "/workspaces", {"name": "too-early"})
        self.assertEqual((r.status, r.json["error"]["code"]), (409, "setup_blocked"), r)
        refused = {g["key"]: {k: g[k] for k in ("message", "retryable", "cleared_by", "next")}
                   for g in r.json["error"]["gates"]}
        self.assertEqual(refused, gates)
        self.assertEqual(gates["contacts"]["cleared_by"], "you")
        self.assertEqual(gates["workspace_target"]["cleared_by"], "operator")
        for g in gates.values():
            self.assertFalse(g["retryable"])
            self.assertIn("Retrying will not help", g["next"])
        self.assertEqual(self.rows(cust), 0)
