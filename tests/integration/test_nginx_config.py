"""The production nginx example is valid nginx: render it into a scratch tree and run nginx -t."""

import os
import re
import subprocess
import tempfile
import unittest

import stack
from harness import ROOT

NGINX = os.path.join(ROOT, "deploy", "nginx")


def nginx_t(site, snippets):
    """Run nginx -t on a site whose includes name the directory snippets, with a throwaway
    certificate and loopback ports; returns (returncode, stderr, the site as tested).
    tests/package checks the installed site the same way."""
    with tempfile.TemporaryDirectory(prefix="onramp-nginx-") as t:
        key, crt = os.path.join(t, "k.pem"), os.path.join(t, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", crt, "-days", "1", "-subj", "/CN=onramp-test"],
                       check=True, capture_output=True)
        site = site.replace("/etc/nginx/onramp", snippets).replace("/var/log/nginx", t)
        site = re.sub(r"/etc/ssl/onramp/[a-z-]+\.crt", crt, site)
        site = re.sub(r"/etc/ssl/onramp/[a-z-]+\.key", key, site)
        # Loopback ports instead of 80/443/8443, so no privileged bind is needed.
        site = re.sub(r"listen \[::\]:\d+[^;]*;", "", site)
        for port in ("80", "443", "8443"):
            repl = f"127.0.0.1:{stack.free_port()}"
            site = re.sub(rf"listen {port}( ssl http2)?;", lambda m: f"listen {repl}{m.group(1) or ''};", site)
        with open(os.path.join(t, "site.conf"), "w") as f:
            f.write(site)
        temp = " ".join(f"{d}_temp_path {t}/{d};" for d in ("client_body", "fastcgi", "proxy", "uwsgi", "scgi"))
        with open(os.path.join(t, "nginx.conf"), "w") as f:
            f.write(f"pid {t}/nginx.pid;\nerror_log {t}/error.log;\nevents {{}}\n"
                    f"http {{\ninclude /etc/nginx/mime.types;\n{temp}\ninclude {t}/site.conf;\n}}\n")
        r = subprocess.run(["nginx", "-t", "-p", t, "-c", os.path.join(t, "nginx.conf"),
                            "-e", os.path.join(t, "error.log")], capture_output=True, text=True)
        return r.returncode, r.stderr, site


class ProductionConfigTests(unittest.TestCase):
    def test_production_example_passes_nginx_t(self):
        with tempfile.TemporaryDirectory(prefix="onramp-nginx-") as t:
            snippets = os.path.join(t, "onramp")
            os.makedirs(snippets)
            for name in ("onramp-fastcgi.conf", "onramp-errors.conf", "security-headers.conf"):
                with open(os.path.join(NGINX, name)) as f:
                    text = f.read().replace("@CONF_DIR@", snippets)
                with open(os.path.join(snippets, name), "w") as f:
                    f.write(text)
            with open(os.path.join(NGINX, "onramp-production.conf")) as f:
                rc, err, site = nginx_t(f.read(), snippets)
            self.assertEqual(rc, 0, err)
            self.assertIn("test is successful", err)
            self.assertIn("Strict-Transport-Security", site)
            self.assertIn("ssl_verify_client on", site)
