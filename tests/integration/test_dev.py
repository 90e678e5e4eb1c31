"""The README's first command: ./dev up starts everything, again changes nothing, down stops all."""

import os
import shutil
import subprocess
import tempfile
import unittest

import stack
from harness import Env, ROOT, request


@unittest.skipIf(Env.sanitizers, "runs the normal build only")
class DevUpTests(unittest.TestCase):
    def test_up_up_down(self):
        base = tempfile.mkdtemp(prefix="onramp-dev-", dir=Env.base)
        os.chmod(base, 0o755)
        env = dict(os.environ, ONRAMP_DEV_DIR=base, ONRAMP_PUBLIC_PORT=str(stack.free_port()),
                   ONRAMP_OPERATOR_PORT=str(stack.free_port()))
        pub = f"http://127.0.0.1:{env['ONRAMP_PUBLIC_PORT']}"
        ops = f"http://127.0.0.1:{env['ONRAMP_OPERATOR_PORT']}"
        try:
            up = subprocess.run([os.path.join(ROOT, "dev"), "up"], env=env, capture_output=True,
                                text=True, timeout=600)
            self.assertEqual(up.returncode, 0, up.stdout + up.stderr)
            self.assertIn(pub, up.stdout)
            self.assertIn(ops, up.stdout)
            self.assertEqual(request(pub, "GET", "/healthz").status, 200)
            self.assertEqual(request(ops, "GET", "/readyz").status, 200)
            st = stack.Stack(base, Env.build)
            pids = (st.app_pid(), st.nginx_pid(), stack.read_pid(st.db.pidfile))
            self.assertTrue(all(pids), pids)
            # The sealing keyring for SSO client secrets: created once, 0600, the workers' own file.
            keyring = os.stat(os.path.join(base, "secrets", "keyring"))
            self.assertEqual(keyring.st_mode & 0o777, 0o600)
            # The demo operator is enrolled in TOTP; ./dev totp prints a code that signs it in.
            code = subprocess.run([os.path.join(ROOT, "dev"), "totp"], env=env, capture_output=True,
                                  text=True, timeout=60)
            self.assertEqual(code.returncode, 0, code.stdout + code.stderr)
            r = request(ops, "POST", "/admin/api/v1/session", {"username": "ops-admin", "password": "Operator-Demo-2026",
                                                              "totp": code.stdout.split()[0]})
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.json()["totp_enabled"])

            again = subprocess.run([os.path.join(ROOT, "dev"), "up"], env=env, capture_output=True,
                                   text=True, timeout=600)
            self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
            self.assertIn("already running", again.stderr)
            self.assertEqual((st.app_pid(), st.nginx_pid(), stack.read_pid(st.db.pidfile)), pids)

            down = subprocess.run([os.path.join(ROOT, "dev"), "down"], env=env, capture_output=True,
                                  text=True, timeout=300)
            self.assertEqual(down.returncode, 0, down.stdout + down.stderr)
            for pid in pids:
                self.assertFalse(stack.pid_alive(pid), pid)
            self.assertEqual(stack.http_get(pub + "/healthz")[0], 0)
        finally:
            subprocess.run([os.path.join(ROOT, "dev"), "down"], env=env, capture_output=True, timeout=300)
            shutil.rmtree(base, ignore_errors=True)
