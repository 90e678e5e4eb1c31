"""Guard rows across Galera nodes (issue 17; src/store/guards.c): on the loopback cluster
(3 nodes, 2 app hosts preferring different nodes, one nginx upstream over both), checks of an
invariant over many rows made at the same moment through both app hosts never both commit.

- Seat limit 3: twelve invitees accept at once, the requests spread over both app hosts (and so
  two nodes): never more than 3 seats, on any node.
- Keep one admin: two admins demote each other at once through the two hosts: one stays.
- The mechanism itself, statement by statement: the seat check's statements in two
  transactions on two nodes, both COMMITs sent at once, commit both without the guard write
  (the invariant breaks) and only one with it (the other fails certification, 1213).

The customer paths also happen to write a common row without the guard: sql/019's triggers bump
the customer's customer_facts version on every change of its users and invites.  The test drops
those triggers on its own cluster (the checklist cache is not under test here), so what keeps
the invariant is the guard write alone.  A node applying another node's write-set also
brute-force aborts a local transaction whose locks it needs, so only commits that certify at
the same moment race: the HTTP tests pass without the guard too on this machine (the Argon2id
work of each request spreads them out); the statement-level test is the one that fails.

A locking read alone (FOR UPDATE) is node-local: without the guard write each host's node
counts its own snapshot and both commit.  Runs standalone:
    python3 tests/cluster/test_guards_cluster.py --build build
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import stack  # noqa: E402
from cluster import ClusterStack  # noqa: E402
from identity_client import customer, operator_signin  # noqa: E402

BUILD = os.environ.get("ONRAMP_BUILD", os.path.join(ROOT, "build"))
PASSWORD = "Correct-Horse-Battery-9"
NEW_PW = "Violet-Orchard-Ladder-73"
OPS_PASSWORD = "Operator-Test-Password-1"
ROUNDS = 4


def in_parallel(calls):
    """Run the callables at once (released together by a barrier); their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as e:  # noqa: BLE001 - a failed call is an outcome to report
            results[i] = e
    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


class Session:
    """One open client session on one node (the mariadb client over a pipe), to interleave two
    transactions on two nodes statement by statement."""

    def __init__(self, node, db):
        self.p = subprocess.Popen(["mariadb", "--no-defaults", f"--socket={node.socket}", "-u", "root", "--batch",
                                   "--unbuffered", "--force", "-N", db], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.k = 0

    def send(self, statements):
        self.k += 1
        self.p.stdin.write(f"{statements}\nSELECT 'mark-{self.k}';\n")
        self.p.stdin.flush()

    def run(self, statements=None):
        """Send statements (unless send() did), wait until the server answered them all; the
        lines they printed."""
        if statements is not None:
            self.send(statements)
        mark = f"mark-{self.k}"
        lines = []
        while (line := self.p.stdout.readline()) and line.strip() != mark:
            lines.append(line.strip())
        return lines

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)
        self.p.stdout.close()


class GuardsOnClusterTests(unittest.TestCase):
    cs = None
    n = 0

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="onramp-guards-cluster-")
        os.chmod(cls.base, 0o755)
        cls.cs = ClusterStack(cls.base, BUILD, stack.free_port(), stack.free_port(), app_hosts=2, nodes=3,
                              workers=4, test_clock=True)
        try:
            cls.cs.up(demo=False)
        except BaseException:
            cls.tearDownClass()
            raise
        # The incidental common row (see above): without these the guard alone must hold.
        cls.cs.cluster.nodes[0].sql(
            f"USE `{cls.cs.front.db_name}`; DROP TRIGGER IF EXISTS users_facts_ins; "
            "DROP TRIGGER IF EXISTS users_facts_upd; DROP TRIGGER IF EXISTS users_facts_moved; "
            "DROP TRIGGER IF EXISTS invites_facts_ins; DROP TRIGGER IF EXISTS invites_facts_upd")
        cls.cs.ctl("operators", "create", "--username", "clusterops", "--email", "clusterops@vendor.test",
                   "--admin", "--password-stdin", input=OPS_PASSWORD + "\n")
        c, r = operator_signin(cls.cs, "clusterops", OPS_PASSWORD)
        assert r.status == 200, r
        cls.ops = c

    @classmethod
    def tearDownClass(cls):
        if cls.cs:
            cls.cs.down()
        shutil.rmtree(cls.base, ignore_errors=True)

    @classmethod
    def uniq(cls, prefix):
        GuardsOnClusterTests.n += 1
        return f"{prefix}{GuardsOnClusterTests.n}"

    def on_every_node(self, statement):
        """The statement's single value as each node answers it (they must agree: Galera)."""
        db = self.cs.front.db_name
        return [n.sql(f"USE `{db}`; {statement}").split()[-1] for n in self.cs.cluster.nodes]

    def new_customer(self, seats):
        slug = self.uniq("gc")
        r = self.ops.call("POST", "/customers", {"slug": slug, "name": f"{slug} Ltd", "seat_limit": seats})
        self.assertEqual(r.status, 201, r)
        return r.json["customer"]

    def new_admin(self, cust):
        name = self.uniq("adm")
        r = self.ops.call("POST", "/users", {"customer": cust["slug"], "username": name, "password": PASSWORD,
                                             "email": f"{name}@example.test", "role": "customer_admin"})
        self.assertEqual(r.status, 201, r)
        user = r.json["user"]
        c = customer(self.cs)
        r = c.call("POST", "/session", {"login": name, "password": PASSWORD})
        self.assertEqual(r.status, 200, r)
        if r.json["must_change_password"]:
            r = c.call("POST", "/password", {"current_password": PASSWORD, "new_password": NEW_PW})
            self.assertEqual(r.status, 200, r)
        return user, c

    def invite_token(self, email):
        def found():
            for m in self.cs.mails():
                if m["To"] == email:
                    for part in m.walk():
                        if part.get_content_type() == "text/plain":
                            hit = re.search(r"/invite#token=([A-Za-z0-9_-]{43})",
                                            part.get_payload(decode=True).decode())
                            if hit:
                                return hit.group(1)
            return None
        stack.wait_for(lambda: found() is not None, 60, f"the invite mail to {email}")
        return found()

    def served_by_each_host(self, marker):
        """How many request log lines of each app host mention marker (both hosts must serve)."""
        counts = []
        for a in self.cs.apps:
            with open(a.app_log, errors="replace") as f:
                counts.append(f.read().count(marker))
        return counts

    def test_seat_limit_holds_across_hosts_and_nodes(self):
        cust = self.new_customer(seats=3)
        _, admin = self.new_admin(cust)   # signed in: one seat
        emails = [f"{self.uniq('seat')}@{cust['slug']}.example" for _ in range(12)]
        for e in emails:
            r = admin.call("POST", "/invites", {"email": e, "role": "customer_member"})
            self.assertEqual(r.status, 201, r)
        tokens = [self.invite_token(e) for e in emails]
        results = in_parallel([
            lambda t=t: customer(self.cs).call("POST", "/invite-acceptances",
                                               {"token": t, "username": self.uniq("joiner"), "password": NEW_PW})
            for t in tokens])
        statuses = [r.status if not isinstance(r, Exception) else repr(r) for r in results]
        self.assertTrue(all(s in (201, 409) for s in statuses), statuses)
        self.assertEqual(statuses.count(201), 2, statuses)
        seats = self.on_every_node(f"SELECT COUNT(*) FROM users WHERE customer_id = {int(cust['id'])} "
                                   "AND status = 'active' AND deactivated_at IS NULL")
        self.assertEqual(seats, ["3"] * 3)
        self.assertTrue(all(self.served_by_each_host("invite-acceptances")), "one app host served them all")

    def test_two_admins_demoting_each_other_keep_one(self):
        for rnd in range(ROUNDS):
            with self.subTest(round=rnd):
                cust = self.new_customer(seats=10)
                (a, ca), (b, cb) = self.new_admin(cust), self.new_admin(cust)
                results = in_parallel([
                    lambda: ca.call("PATCH", f"/users/{b['id']}", {"role": "customer_member"}),
                    lambda: cb.call("PATCH", f"/users/{a['id']}", {"role": "customer_member"})])
                statuses = sorted(r.status if not isinstance(r, Exception) else repr(r) for r in results)
                # The loser is refused by the rule (409) or, when it ran after the winner committed,
                # by its own demotion (its session ended: 401; or a member may not: 403).  Never two 200s.
                self.assertEqual(statuses[0], 200, results)
                self.assertIn(statuses[1], (401, 403, 409), results)
                admins = self.on_every_node(f"SELECT COUNT(*) FROM users WHERE customer_id = {int(cust['id'])} "
                                            "AND role = 'customer_admin' AND status = 'active'")
                self.assertEqual(admins, ["1"] * 3)


    def commit_both(self, cust, guarded):
        """The seat check's statements in one transaction on node 0 and one on node 1, then both
        COMMITs sent at once; the output of each COMMIT ([] when it committed)."""
        db = self.cs.front.db_name
        a, b = (Session(n, db) for n in self.cs.cluster.nodes[:2])
        try:
            for s, who in ((a, "a"), (b, "b")):
                name = self.uniq(f"by{who}")
                out = s.run("SET SESSION wsrep_sync_wait = 1; START TRANSACTION;" +
                            (f"INSERT INTO guards (kind, id, n) VALUES (1, {int(cust['id'])}, 1) "
                             "ON DUPLICATE KEY UPDATE n = n + 1;" if guarded else "") +
                            f"SELECT seat_limit FROM customers WHERE id = {int(cust['id'])} FOR UPDATE;"
                            f"SELECT COUNT(*) FROM users WHERE customer_id = {int(cust['id'])};"
                            f"INSERT INTO users (customer_id, username, email, role) VALUES "
                            f"({int(cust['id'])}, '{name}', '{name}@example.test', 'customer_member');")
                self.assertFalse([x for x in out if x.startswith("ERROR")], out)
            # At once: each node may certify before the other's write-set arrives, so neither the
            # node-local locks nor an applier's brute-force abort decides; only certification.
            a.send("COMMIT;")
            b.send("COMMIT;")
            return a.run(), b.run()
        finally:
            a.close()
            b.close()

    def test_the_guard_write_is_what_certification_orders(self):
        """With the guard write, two seat checks on two nodes committing at once never both commit:
        one fails certification (1213), every time.  Without it (the control, printed) both
        often commit: with the guard removed this test failed on this machine."""
        cust = self.new_customer(seats=1)
        both = 0
        for _ in range(5):
            both += self.commit_both(cust, guarded=False) == ([], [])
        print(f"\n  without the guard write, both committed in {both} of 5", file=sys.stderr)
        for _ in range(5):
            outcomes = self.commit_both(cust, guarded=True)
            failed = [o for o in outcomes if o]
            self.assertEqual(len(failed), 1, outcomes)
            self.assertIn("1213", " ".join(failed[0]))

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=BUILD)
    args, rest = p.parse_known_args()
    BUILD = os.path.abspath(args.build)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
