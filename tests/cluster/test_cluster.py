"""Smoke test of the loopback cluster layout (tools/cluster.py, ./dev up --cluster): 3 Galera
nodes Synced in one cluster, 2 app hosts on one nginx upstream, a session and a write made
through one host and node seen at once through the other, and a stop and start that keeps the
data.  Requests pinned to one app host go straight to its FastCGI socket (fcgi.py); the others
go through nginx like a browser's.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import fcgi
import stack

PASSWORD = "Cluster-Smoke-Password-2026"


class ClusterSmokeTests(unittest.TestCase):
    cs = None

    @classmethod
    def setUpClass(cls):
        base = tempfile.mkdtemp(prefix="smoke-", dir=os.environ.get("CLUSTER_TEST_BASE"))
        os.chmod(base, 0o755)
        build = os.environ.get("CLUSTER_TEST_BUILD", os.path.join(stack.ROOT, "build"))
        cls.cs = stack.ClusterStack(base, build, stack.free_port(), stack.free_port())
        try:
            cls.cs.up(demo=False)
            cls.cs.ctl("customers", "create", "--slug", "smoke", "--name", "Smoke Ltd", "--seats", "5")
            cls.cs.ctl("users", "create", "--customer", "smoke", "--username", "smoke-admin", "--email",
                       "admin@smoke.example", "--role", "customer_admin", "--password-stdin",
                       input=PASSWORD + "\n")
        except BaseException:
            cls.cs.down()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.cs:
            cls.cs.down()

    def sign_in(self, app):
        s = fcgi.Session()
        r = s.call(app.socket, "POST", "/api/v1/session", {"login": "smoke-admin", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        return s

    def via_nginx(self, session, method, path, body=None):
        api = stack.ApiSession(self.cs.public_url)
        api.cookie, api.csrf = session.cookie, session.csrf
        return api.call(method, path, body)

    def test_1_three_nodes_synced_in_one_cluster(self):
        nodes = self.cs.cluster.nodes
        self.assertEqual(len(nodes), 3)
        uuids = set()
        for n in nodes:
            self.assertEqual(n.status("wsrep_local_state"), "4", n.name)  # Synced
            self.assertEqual(n.status("wsrep_cluster_size"), "3", n.name)
            self.assertEqual(n.status("wsrep_ready"), "ON", n.name)
            uuids.add(n.status("wsrep_cluster_state_uuid"))
        self.assertEqual(len(uuids), 1, uuids)
        # Each node also answers over TCP on 127.0.0.1 with the app's account.
        password = self.cs.front._credentials()[1]
        for n in nodes:
            r = subprocess.run(["mariadb", "--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", str(n.port),
                                "-u", self.cs.front.db_user, f"-p{password}", "--batch", "--skip-column-names",
                                "-e", "SELECT @@wsrep_node_name"], capture_output=True, text=True)
            self.assertEqual(r.stdout.strip(), n.name, r.stderr)

    def test_2_each_host_prefers_its_node_with_causal_reads(self):
        for a in self.cs.apps:
            with open(a.config_path) as f:
                conf = dict(line.split(" = ", 1) for line in f.read().splitlines() if " = " in line)
            nodes = self.cs.cluster.nodes
            want = [nodes[(a.index + k) % 3].socket for k in range(3)]
            self.assertEqual(conf["db_hosts"], ",".join(f"unix:{s}" for s in want))
            self.assertEqual(conf["db_sync_wait"], "1")
            self.assertNotIn("db_socket", conf)
        # Host 1's reads run on node 1 as causal reads (wsrep_sync_wait): its counter moves.
        s = self.sign_in(self.cs.apps[0])
        node1 = self.cs.cluster.nodes[1]
        before = int(node1.status("wsrep_causal_reads"))
        for _ in range(5):
            self.assertEqual(s.call(self.cs.apps[1].socket, "GET", "/api/v1/account").status, 200)
        self.assertGreaterEqual(int(node1.status("wsrep_causal_reads")) - before, 5)

    def test_3_session_and_writes_move_between_hosts(self):
        a0, a1 = self.cs.apps
        s = self.sign_in(a0)                       # created through host 0, on node 0
        r = s.call(a1.socket, "GET", "/api/v1/session")
        self.assertEqual(r.status, 200, r.body)    # valid at once through host 1, node 1
        self.assertEqual(r.json()["user"]["username"], "smoke-admin")
        version = s.call(a1.socket, "GET", "/api/v1/account").json()["version"]
        # Write through one host, read through the other right after: every write is seen.
        for i in range(20):
            writer, reader = (a0, a1) if i % 2 == 0 else (a1, a0)
            w = s.call(writer.socket, "PATCH", "/api/v1/account",
                       {"version": version, "operating_name": f"Smoke {i}"})
            self.assertEqual(w.status, 200, w.body)
            version = w.json()["version"]
            got = s.call(reader.socket, "GET", "/api/v1/account").json()
            self.assertEqual((got["operating_name"], got["version"]), (f"Smoke {i}", version), i)
        # And through nginx, which spreads requests over both hosts.
        for _ in range(6):
            self.assertEqual(self.via_nginx(s, "GET", "/api/v1/account")["operating_name"], "Smoke 19")

    def test_4_nginx_passes_over_a_stopped_host(self):
        s = self.sign_in(self.cs.apps[1])
        for down, up in ((0, 1), (1, 0)):
            self.cs.apps[down].stop_app()
            try:
                for _ in range(6):
                    self.assertEqual(self.via_nginx(s, "GET", "/api/v1/session")["user"]["username"],
                                     "smoke-admin")
                doc = self.via_nginx(s, "GET", "/api/v1/account")
                doc = self.via_nginx(s, "PATCH", "/api/v1/account",
                                     {"version": doc["version"], "operating_name": f"Via host {up}"})
                self.assertEqual(doc["operating_name"], f"Via host {up}")
            finally:
                self.cs.apps[down].start_app()
            # nginx tries a host that refused again only after fail_timeout (2 s, the upstream's
            # max_fails=1 fail_timeout=2s): until then the restarted host gets no request.
            time.sleep(2.5)

    def test_5_stop_and_start_keeps_data_and_sessions(self):
        s = self.sign_in(self.cs.apps[0])
        name = self.via_nginx(s, "GET", "/api/v1/account")["operating_name"]
        started = time.monotonic()
        self.cs.down()
        self.assertFalse(self.cs.any_running())
        self.assertEqual(stack.http_get(self.cs.public_url + "/healthz")[0], 0)
        self.cs.up(demo=False)
        restart_s = time.monotonic() - started
        # Node 0 stopped last, so it bootstraps; the others come back by IST, not a full copy.
        self.assertEqual([n.last_join_kind() for n in self.cs.cluster.nodes], [None, "IST", "IST"])
        self.cs.cluster.wait_synced()
        for a in self.cs.apps:
            r = s.call(a.socket, "GET", "/api/v1/account")
            self.assertEqual((r.status, r.json().get("operating_name")), (200, name), r.body)
        print(f"\n  cluster down + up: {restart_s:.1f} s", end=" ")

    def test_6_a_killed_node_rejoins_by_ist(self):
        s = self.sign_in(self.cs.apps[0])
        node2 = self.cs.cluster.nodes[2]
        node2.kill()
        self.assertFalse(node2.running())
        version = s.call(self.cs.apps[0].socket, "GET", "/api/v1/account").json()["version"]
        w = s.call(self.cs.apps[0].socket, "PATCH", "/api/v1/account",
                   {"version": version, "operating_name": "While node 2 was down"})
        self.assertEqual(w.status, 200, w.body)
        node2.start()
        self.assertEqual(node2.last_join_kind(), "IST")
        self.cs.cluster.wait_synced()
        self.assertIn("While node 2 was down",
                      node2.sql(f"SELECT operating_name FROM `{self.cs.front.db_name}`.customer_details"))


class DevLayoutRefusalTests(unittest.TestCase):
    """./dev up and ./dev up --cluster use the same ports: each refuses while the other runs.
    Driven through tools/stack.py's command line (what ./dev calls), with a live process in the
    other layout's pid file standing in for it, so nothing real has to start."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="refuse-", dir=os.environ.get("CLUSTER_TEST_BASE"))
        self.stand_in = subprocess.Popen(["sleep", "120"])
        self.ports = [str(stack.free_port()), str(stack.free_port())]

    def tearDown(self):
        self.stand_in.kill()
        self.stand_in.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args):
        build = os.environ.get("CLUSTER_TEST_BUILD", os.path.join(stack.ROOT, "build"))
        return subprocess.run([sys.executable, os.path.join(stack.ROOT, "tools", "stack.py"), *args,
                               "--dir", self.dir, "--build", build, "--public-port", self.ports[0],
                               "--operator-port", self.ports[1]], capture_output=True, text=True, timeout=120)

    def pretend_running(self, pidfile):
        os.makedirs(os.path.dirname(pidfile), exist_ok=True)
        with open(pidfile, "w") as f:
            f.write(f"{self.stand_in.pid}\n")

    def test_cluster_refused_while_the_single_stack_runs(self):
        self.pretend_running(stack.Stack(self.dir, ".").app_pidfile)
        r = self.cli("up", "--cluster")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("single-node stack runs", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "cluster")))   # nothing started

    def test_single_stack_refused_while_the_cluster_runs(self):
        cs = stack.ClusterStack(os.path.join(self.dir, "cluster"), ".", 1, 2)  # writes cluster.json only
        self.pretend_running(cs.front.nginx_pidfile)
        r = self.cli("up")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cluster layout runs", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "db")))        # no MariaDB made


if __name__ == "__main__":
    unittest.main()
