"""LeakSanitizer sees the workers (src/core/leakcheck.c).

Workers and fetcher runners end with _exit(), which skips LeakSanitizer's
check at exit; in a sanitizer build each runs the check itself first.  The
proof plants a leak through POST /api/v1/test/leaks (test_leak_route, test
stacks only), stops the workers gracefully and finds LeakSanitizer's report
naming the planting function in the app log, and finds no report when
nothing was planted.  The class has its own stack and consumes the report
it expects, so the planted leak fails nothing else; any other report still
fails the class at teardown.
"""

import os
import unittest

from harness import Env, StackTestCase, request, sanitizer_reports

PLANTER = "onramp_test_plant_leak"


def log_text(path):
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


class WorkerLeakCheckTests(StackTestCase):
    workers = 2
    extra_config = {"test_leak_route": "1"}

    @classmethod
    def setUpClass(cls):
        # Decided here, not in a decorator: run.py sets Env.sanitizers after importing the tests.
        if not Env.sanitizers:
            raise unittest.SkipTest("LeakSanitizer exists only in the sanitizer build (run.py --build "
                                    "build-asan --sanitizers); the plain build has nothing to report")
        super().setUpClass()

    def restart_app(self):
        """Stop the workers gracefully (SIGTERM to the master: drain, then each worker exits), then
        start them again; the app log's text written meanwhile."""
        before = os.path.getsize(self.st.app_log)
        self.st.stop_app()
        with open(self.st.app_log, errors="replace") as f:
            f.seek(before)
            text = f.read()
        self.st.start_app()
        return text

    def test_a_no_leak_no_report(self):
        r = request(self.pub, "GET", "/healthz")
        self.assertEqual(r.status, 200)
        text = self.restart_app()
        self.assertIn('"stopped"', text)
        self.assertEqual(sanitizer_reports(self.st.app_log), [], "a report without a planted leak")
        self.assertNotIn("child_leaked", text)

    def test_b_planted_leak_is_reported_by_the_worker(self):
        r = request(self.pub, "POST", "/api/v1/test/leaks")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"planted_bytes": 4096})
        workers = self.st.worker_pids()
        text = self.restart_app()
        self.assertIn("ERROR: LeakSanitizer: detected memory leaks", text)
        self.assertIn("Direct leak of 4096 byte(s) in 1 object(s)", text)
        self.assertIn(PLANTER, text)
        self.assertIn("child_leaked", text)
        # The report came from a worker (the master's own check at exit would name no request).
        self.assertRegex(text, r"==(%s)==ERROR: LeakSanitizer" % "|".join(str(p) for p in workers))
        # Consume the expected report so teardown's scan sees only what comes after it.
        with open(self.st.app_log, "w"):
            pass


class LeakRouteOffTests(StackTestCase):
    """Without test_leak_route the route is an unknown path, on a test_mode stack too."""

    def test_leak_route_is_404_without_its_switch(self):
        self.assertErrorShape(request(self.pub, "POST", "/api/v1/test/leaks"), 404, "not_found")
