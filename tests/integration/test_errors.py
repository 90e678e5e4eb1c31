"""Bad input through nginx gets the API error shape and changes nothing."""

from harness import StackTestCase, request


class ErrorShapeTests(StackTestCase):
    def test_unknown_paths_404(self):
        for base, path in ((self.pub, "/api/v1/nope"), (self.pub, "/nope"), (self.pub, "/nope.js"),
                           (self.ops, "/admin/api/v1/nope"), (self.ops, "/nope")):
            with self.subTest(path=path):
                self.assertErrorShape(request(base, "GET", path), 404, "not_found")

    def test_operator_api_absent_on_public_listener(self):
        for method in ("GET", "POST", "DELETE"):
            r = request(self.pub, method, "/admin/api/v1/users", body=b"{}",
                        headers={"Content-Type": "application/json"})
            self.assertErrorShape(r, 404, "not_found")

    def test_method_not_allowed(self):
        r = request(self.pub, "POST", "/healthz")
        self.assertErrorShape(r, 405, "method_not_allowed")
        self.assertEqual(r.headers.get("allow"), "GET")

    def test_two_mib_body_is_413(self):
        body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
        r = request(self.pub, "POST", "/api/v1/csp-reports", body=body,
                    headers={"Content-Type": "application/json"})
        self.assertErrorShape(r, 413, "too_large")

    def test_body_over_route_limit_is_413_from_the_app(self):
        # Under nginx's 1 MiB ceiling but over the app's 256 KiB JSON limit.
        body = b"{" + b" " * (300 * 1024) + b"}"
        r = request(self.pub, "POST", "/api/v1/csp-reports", body=body,
                    headers={"Content-Type": "application/json"})
        self.assertErrorShape(r, 413, "too_large")

    def test_non_json_body(self):
        r = request(self.pub, "POST", "/api/v1/csp-reports", body=b"<xml/>",
                    headers={"Content-Type": "text/xml"})
        self.assertErrorShape(r, 415, "unsupported_media_type")
        r = request(self.pub, "POST", "/api/v1/csp-reports", body=b"this is not json",
                    headers={"Content-Type": "application/json"})
        self.assertErrorShape(r, 400, "bad_request")
        r = request(self.pub, "POST", "/api/v1/csp-reports", body=b"[1,2,3]",
                    headers={"Content-Type": "application/json"})
        self.assertErrorShape(r, 400, "bad_request")
        deep = b"[" * 100 + b"]" * 100
        r = request(self.pub, "POST", "/api/v1/csp-reports", body=deep,
                    headers={"Content-Type": "application/json"})
        self.assertErrorShape(r, 400, "bad_request")

    def test_valid_csp_report_accepted(self):
        report = {"csp-report": {"violated-directive": "script-src 'self'",
                                 "blocked-uri": "https://evil.example/x.js?token=abc123secret"}}
        r = request(self.pub, "POST", "/api/v1/csp-reports", body=report,
                    headers={"Content-Type": "application/csp-report"})
        self.assertEqual(r.status, 204, r)
        with open(self.st.app_log) as f:
            log = f.read()
        self.assertIn("https://evil.example", log)
        self.assertNotIn("abc123secret", log)

    def test_client_cannot_imitate_the_listener_identity(self):
        spoof = {"ONRAMP-LISTENER": "operator", "Onramp-Listener": "operator",
                 "X-Onramp-Listener": "operator", "Listener": "operator"}
        for path in ("/readyz", "/metrics", "/admin/api/v1/anything"):
            with self.subTest(path=path):
                self.assertErrorShape(request(self.pub, "GET", path, headers=spoof), 404, "not_found")
        # Underscored header names are dropped by nginx, never passed as params.
        r = request(self.pub, "GET", "/readyz", headers={"ONRAMP_LISTENER": "operator"})
        self.assertErrorShape(r, 404, "not_found")

    def test_minimal_report_then_every_worker_still_answers(self):
        pids = self.st.worker_pids()
        r = request(self.pub, "POST", "/api/v1/csp-reports", body=b"{}",
                    headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 204)
        # Every worker still answers afterwards.
        for _ in range(10):
            self.assertEqual(request(self.pub, "GET", "/healthz").status, 200)
        # Ten answers may all come from one worker while the master replaces a crashed one:
        # the same workers must still be there.
        self.assertEqual(self.st.worker_pids(), pids)
