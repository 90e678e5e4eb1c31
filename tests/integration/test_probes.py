"""Probes through nginx: /healthz, /readyz, /metrics, request ids, headers."""

import re

from harness import StackTestCase, request


class ProbeTests(StackTestCase):
    def test_healthz_on_public_listener(self):
        r = request(self.pub, "GET", "/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"status": "ok"})
        self.assertRegex(r.headers["x-request-id"], r"^[0-9a-f]{32}$")
        self.assertTrue(r.headers["content-type"].startswith("application/json"))

    def test_readyz_and_metrics_only_on_operator_listener(self):
        r = request(self.ops, "GET", "/readyz")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual({c["name"]: c["ok"] for c in body["checks"]}, {"database": True, "schema": True})
        for path in ("/readyz", "/metrics"):
            self.assertErrorShape(request(self.pub, "GET", path), 404, "not_found")

    def test_metrics_counts_requests_by_route_and_status(self):
        for _ in range(3):
            request(self.pub, "GET", "/healthz")
        request(self.pub, "GET", "/api/v1/definitely-not-here")
        r = request(self.ops, "GET", "/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("text/plain; version=0.0.4"))
        text = r.body.decode()
        m = re.search(r'^onramp_http_requests_total\{route="GET /healthz",status="200"\} (\d+)$', text, re.M)
        self.assertIsNotNone(m, text)
        self.assertGreaterEqual(int(m.group(1)), 3)
        self.assertRegex(text, r'onramp_http_requests_total\{route="unmatched",status="404"\} \d+')
        self.assertRegex(text, r'onramp_http_request_duration_seconds_bucket\{route="GET /healthz",le="\+Inf"\} \d+')
        self.assertRegex(text, r"(?m)^onramp_worker_restarts_total \d+$")
        self.assertRegex(text, r"(?m)^onramp_db_errors_total \d+$")
        self.assertRegex(text, r"(?m)^onramp_workers 2$")
        self.assertRegex(text, r"(?m)^onramp_outbox_depth \d+$")

    def test_request_id_is_logged_without_secrets(self):
        r = request(self.pub, "GET", "/healthz?token=very-secret-value",
                    headers={"Cookie": "onramp_session=cookie-secret-value"})
        rid = r.headers["x-request-id"]
        with open(self.st.app_log) as f:
            lines = [line for line in f if rid in line]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn('"route":"GET /healthz"', lines[0])
        self.assertIn('"status":200', lines[0])
        self.assertIn('"duration_ms":', lines[0])
        with open(self.st.app_log) as f:
            app_log = f.read()
        with open(f"{self.st.log_dir}/nginx-access.log") as f:
            access_log = f.read()
        for secret in ("very-secret-value", "cookie-secret-value"):
            self.assertNotIn(secret, app_log)
            self.assertNotIn(secret, access_log)

    def test_security_headers(self):
        for base in (self.pub, self.ops):
            h = request(base, "GET", "/healthz").headers
            self.assertIn("frame-ancestors 'none'", h["content-security-policy"])
            self.assertNotIn("unsafe-inline", h["content-security-policy"])
            self.assertEqual(h["x-content-type-options"], "nosniff")
            self.assertEqual(h["referrer-policy"], "no-referrer")
            self.assertEqual(h["cache-control"], "no-store")

    def test_static_console_pages_load(self):
        r = request(self.pub, "GET", "/")
        self.assertEqual(r.status, 200)
        self.assertIn(b"<!doctype html>", r.body.lower())
        r = request(self.ops, "GET", "/admin/")
        self.assertEqual(r.status, 200)
        self.assertIn(b"<!doctype html>", r.body.lower())
        # The public listener does not serve the operator console.
        self.assertErrorShape(request(self.pub, "GET", "/admin/"), 404, "not_found")
