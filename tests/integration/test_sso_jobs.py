"""SSO validations as jobs (issue 11, finding 7): fetches run in onramp-fetcher, never in a request
worker.  Two validations stalled by a hanging IdP leave /healthz and the operator console at their
normal latency; one active job per customer, at most fetcher_jobs running at once; tenant scoping;
a runner killed mid-job is replaced and its job reclaimed after the lease; the report and its audit
row are written in one transaction."""

import json
import os
import signal
import threading
import time

from harness import request
from sso_fixture import CORPUS, SLOW_HOST
from test_sso import SsoBase

SLOW_URL = f"https://{SLOW_HOST}/metadata.xml"
OKTA = "saml/okta_trial-1022863_idp-metadata.xml"


def p99(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


class FetchJobTests(SsoBase):
    # Short enough to keep the tests quick; the lease must exceed two fetches (the fetcher checks).
    fetch_config = {"sso_fetch_timeout_ms": "3000", "fetcher_lease_s": "8", "fetcher_jobs": "2",
                    "fetcher_max_attempts": "3"}

    def okta_xml(self):
        return open(os.path.join(CORPUS, OKTA), "rb").read().decode("utf-8")

    def slow_admin(self):
        cust, admin = self.admin()
        self.assertEqual(self.put(admin, {"protocol": "saml", "metadata_url": SLOW_URL}).status, 200)
        return cust, admin

    def wait_until(self, pred, what, timeout=15):
        end = time.monotonic() + timeout
        while not pred():
            self.assertLess(time.monotonic(), end, f"timed out waiting for {what}")
            time.sleep(0.02)

    def latencies(self, n=60):
        """Seconds per request for /healthz (public) and GET /customers (operator console), interleaved."""
        out = []
        for _ in range(n):
            t0 = time.monotonic()
            r = request(self.pub, "GET", "/healthz", timeout=30)
            out.append(time.monotonic() - t0)
            self.assertEqual(r.status, 200)
            t0 = time.monotonic()
            r = self.ops_client.call("GET", "/customers?limit=20")
            out.append(time.monotonic() - t0)
            self.assertEqual(r.status, 200, r)
        return out

    def fetcher_lines(self, job_id):
        with open(self.st.fetcher_log, errors="replace") as f:
            lines = [json.loads(x) for x in f if x.startswith("{")]
        return [x for x in lines if x.get("event") == "job" and x.get("job_id") == int(job_id)]

    # ---- (a) starvation ---------------------------------------------------------------------
    def test_slow_idps_do_not_hold_the_workers(self):
        admins = [self.slow_admin()[1] for _ in range(2)]
        baseline = self.latencies()
        stall = self.fixture.stall
        # Fire both validations from threads, so this test reads the same whether the POST answers
        # at once (jobs) or only after its fetch (fetching inside the worker, the old way).
        posts = [threading.Thread(target=a.call, args=("POST", "/sso/validate"), daemon=True) for a in admins]
        for t in posts:
            t.start()
        self.wait_until(lambda: stall.open >= 2, "both validations to reach the stalled IdP")
        loaded = self.latencies()
        held = stall.open
        for t in posts:
            t.join(timeout=30)
        base99, load99 = p99(baseline), p99(loaded)
        print(f"\n  /healthz + GET /admin/api/v1/customers, {len(loaded)} requests each run: baseline p99 "
              f"{base99 * 1000:.1f} ms max {max(baseline) * 1000:.1f} ms; with two stalled validations p99 "
              f"{load99 * 1000:.1f} ms max {max(loaded) * 1000:.1f} ms median "
              f"{sorted(loaded)[len(loaded) // 2] * 1000:.1f} ms", flush=True)
        self.assertLess(load99, max(3 * base99, 0.100), (base99, load99))
        # p99 alone would forgive the one request that queued behind both blocked workers.
        self.assertLess(max(loaded), 1.0, "a request waited for a worker held by a fetch")
        self.assertGreaterEqual(held, 2, "the validations were still stalled while measuring")
        # And the validations end with the timeout as their report's reason.
        for a in admins:
            job = self.wait_validation(a, a.call("GET", "/sso").json["validation_job"]["id"])
            self.assertEqual(job["state"], "done", job)
            self.assertFalse(job["report"]["ok"])
            self.assertIn("timeout", job["report"]["checks"][0]["message"])

    # ---- (b) caps ------------------------------------------------------------------------------
    def test_one_active_job_per_customer(self):
        _, admin = self.slow_admin()
        first = self.start_validation(admin)
        self.assertEqual((first["state"], first["version"]), ("queued", admin.call("GET", "/sso").json["version"]))
        again = self.start_validation(admin)
        self.assertEqual(again["id"], first["id"])
        self.wait_validation(admin, first["id"])
        # Finished: the next POST queues a new job.
        self.assertNotEqual(self.start_validation(admin)["id"], first["id"])
        self.wait_validation(admin, admin.call("GET", "/sso").json["validation_job"]["id"])

    def test_at_most_fetcher_jobs_run_at_once(self):
        stall = self.fixture.stall
        stall.peak = stall.open
        admins = [self.slow_admin()[1] for _ in range(3)]
        jobs = [self.start_validation(a)["id"] for a in admins]
        self.wait_until(lambda: stall.open >= 2, "two validations to reach the stalled IdP")
        states = [a.call("GET", f"/sso/validations/{j}").json["state"] for a, j in zip(admins, jobs)]
        self.assertEqual(sorted(states), ["queued", "running", "running"], states)
        for a, j in zip(admins, jobs):
            self.assertEqual(self.wait_validation(a, j)["state"], "done")
        self.assertEqual(stall.peak, 2, "never more than fetcher_jobs fetches at once")

    def test_a_newer_version_is_validated_next(self):
        _, admin = self.slow_admin()
        job = self.start_validation(admin)
        self.wait_until(lambda: self.fixture.stall.open >= 1, "the validation to be running")
        # Save new details while the old ones are being fetched, and validate them: same job, newer version.
        self.assertEqual(self.put(admin, {"protocol": "saml", "metadata_xml": self.okta_xml()}).status, 200)
        again = self.start_validation(admin)
        self.assertEqual((again["id"], again["version"]), (job["id"], job["version"] + 1))
        done = self.wait_validation(admin, job["id"])
        self.assertEqual((done["state"], done["version"], done["report"]["ok"]), ("done", job["version"] + 1, True), done)
        self.assertTrue(admin.call("GET", "/sso").json["validated"])
        outcomes = [x["outcome"] for x in self.fetcher_lines(job["id"])]
        self.assertEqual(outcomes, ["requeued", "done"], outcomes)

    # ---- (c) tenant scoping ---------------------------------------------------------------------
    def test_validations_are_tenant_scoped(self):
        cust, admin = self.admin()
        self.put(admin, {"protocol": "saml", "metadata_xml": self.okta_xml()})
        job = self.start_validation(admin)
        _, other = self.admin()
        r = other.call("GET", f"/sso/validations/{job['id']}")
        self.assertErrorShape_(r, 404, "not_found")
        self.assertEqual(other.call("GET", "/sso/validations/99999999").status, 404)
        member = self.first_signin(self.new_user(cust)["user"]["username"])
        self.assertEqual(member.call("GET", f"/sso/validations/{job['id']}").status, 403)
        self.assertEqual(member.call("POST", "/sso/validate").status, 403)
        done = self.wait_validation(admin, job["id"])
        self.assertTrue(done["report"]["ok"], done)
        self.assertEqual(admin.call("GET", "/sso").json["validation_job"]["state"], "done")
        page = self.ops_client.call("GET", f"/customers/{cust['id']}").json["sso"]
        self.assertEqual(page["validation_job"]["id"], job["id"])

    def assertErrorShape_(self, r, status, code):
        self.assertEqual((r.status, r.code), (status, code), r)
        self.assertEqual(r.json["error"]["request_id"], r.headers.get("x-request-id"))

    # ---- (d) a runner killed mid-job --------------------------------------------------------------
    def test_killed_runner_job_is_reclaimed_after_the_lease(self):
        _, admin = self.slow_admin()
        job = self.start_validation(admin)
        self.wait_until(lambda: self.fixture.stall.open >= 1, "the validation to be running")
        runners = self.st.fetcher_runner_pids()
        self.assertEqual(len(runners), 2, runners)
        for pid in runners:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        self.wait_until(lambda: len(set(self.st.fetcher_runner_pids()) - set(runners)) == 2, "new runners")
        self.assertEqual(admin.call("GET", f"/sso/validations/{job['id']}").json["state"], "running")
        done = self.wait_validation(admin, job["id"], deadline_s=40)
        self.assertEqual(done["state"], "done", done)
        self.assertIn("timeout", done["report"]["checks"][0]["message"])
        # Reclaimed only once the lease (8 s) ran out, by a second claim.
        self.assertGreater(time.monotonic() - killed_at, 4)
        lines = self.fetcher_lines(job["id"])
        self.assertEqual([(x["attempt"], x["outcome"]) for x in lines], [(2, "done")], lines)

    # ---- (e) the report and its audit row: one transaction ------------------------------------------
    def test_no_report_without_its_audit_row(self):
        cust, admin = self.admin()
        self.put(admin, {"protocol": "saml", "metadata_xml": self.okta_xml()})
        cid = cust["id"]
        # The runner's audit insert fails (only for this customer's validation outcome) until dropped.
        self.sql(f"\nDELIMITER //\nCREATE TRIGGER test_refuse_sso_audit BEFORE INSERT ON audit_log FOR EACH ROW "
                 f"IF NEW.customer_id = {cid} AND NEW.action IN ('sso.validated', 'sso.validation_failed') THEN "
                 f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'test refuses this audit row'; END IF//\nDELIMITER ;\n")
        try:
            job = self.start_validation(admin)
            self.wait_until(lambda: self.fetcher_lines(job["id"]), "the first attempt to end")
            self.assertEqual(self.fetcher_lines(job["id"])[0]["outcome"], "db_error")
            stored = self.sql(f"SELECT COUNT(*) FROM sso_settings WHERE customer_id = {cid} AND report IS NOT NULL")
            self.assertEqual(stored.split()[-1], "0", "a report was stored without its audit row")
            self.assertEqual(admin.call("GET", f"/sso/validations/{job['id']}").json["state"], "running")
        finally:
            self.sql("DROP TRIGGER IF EXISTS test_refuse_sso_audit")
        done = self.wait_validation(admin, job["id"], deadline_s=40)
        self.assertEqual(done["state"], "done", done)
        self.assertTrue(done["report"]["ok"])
        rows = self.sql(f"SELECT action, actor_type, object_id, request_id FROM audit_log WHERE customer_id = {cid} "
                        f"AND action LIKE 'sso.validat%' ORDER BY id").strip().splitlines()[1:]
        self.assertEqual([r.split("\t")[:3] for r in rows],
                         [["sso.validation_requested", "user", job["id"]], ["sso.validated", "system", job["id"]]])
        self.assertEqual(rows[0].split("\t")[3], rows[1].split("\t")[3], "the job's audit row names the request")
        # The per-job log lines hold ids and outcomes, never the document.
        with open(self.st.fetcher_log, errors="replace") as f:
            self.assertNotIn("EntityDescriptor", f.read())

    # ---- what the job path costs ---------------------------------------------------------------------
    def test_added_latency_of_the_job_path(self):
        _, admin = self.admin()
        self.put(admin, {"protocol": "saml", "metadata_xml": self.okta_xml()})
        times = []
        for _ in range(10):
            t0 = time.monotonic()
            job = self.wait_validation(admin, self.start_validation(admin)["id"])
            times.append(time.monotonic() - t0)
            self.assertEqual(job["state"], "done")
        times.sort()
        print(f"\n  pasted SAML XML, POST -> report (poll 100 ms, client polls every 50 ms): "
              f"median {times[5] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms", flush=True)
        self.assertLess(times[-1], 3)
