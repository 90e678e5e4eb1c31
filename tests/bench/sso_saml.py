#!/usr/bin/env python3
"""SAML ACS benchmark: onramp's own CPU per SAML sign-in at the ACS, the IdP excluded.

bench.py runs this part after the OIDC one (BENCH_SAML=0 leaves it out); `python3 sso_saml.py
--build DIR` runs it alone.  On the benchmark's MariaDB it boots its own onramp stack with ONE
worker, configured to reach the test SAML IdP (tests/idp/saml.mjs, tests/integration/saml_idp.py),
and takes a customer live through the path the integration tests walk
(tests/integration/test_sso_saml.py SamlBase.go_live).  Then, from one client, one sign-in after
another:

  POST /api/v1/sso/start (not measured) -> the IdP signs a response to that AuthnRequest
  (its control API, not measured, another process) -> POST the ACS (measured).

The response is the IdP's default: an assertion signed with RSA-SHA256 by a 2048-bit RSA key
(the certificate the approved metadata publishes), with email, username and groups attributes.
What is measured is the worker's CPU during the ACS request, read from /proc (sso_signin.cpu_ns,
the same method as the OIDC part, see its docstring): base64, the hardened parse, the xmlsec1
verification, the content checks, the replay insert, the admission's queries, the session and
the log line; MariaDB's and the IdP's CPU are not counted, waiting is not CPU.

The warm-up sign-ins (BENCH_SAML_USERS JIT sign-ins, one per member) are not measured; the
measured ones (BENCH_SAML_SIGNINS, default 500) are returning members; each ACS answer must be
303 to / with a session cookie.  Targets: ACS CPU p95 < 5 ms; every sign-in succeeded.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import bench  # noqa: E402
from bench import log  # noqa: E402
import sso_signin  # noqa: E402  (cpu_ns, series, summary, the table, the stack: one method for both protocols)

TARGETS = 2  # ACS CPU p95, every sign-in succeeded as measured
CPU_P95_MS = 5.0
SETTINGS = (("BENCH_SAML_SIGNINS", 500, 20), ("BENCH_SAML_USERS", 20, 2))


def check_settings():
    return bench.int_settings(SETTINGS)


def ready():
    """None when the test SAML IdP can start, else why not."""
    return sso_signin.ready("samlify")


class SamlSignIns(sso_signin.SignIns):
    """A live SAML customer on st through idp; one measured ACS request after another."""

    def __init__(self, st, idp):
        import test_sso_saml  # the go-live path as the integration tests walk it (one place)
        from identity_client import customer

        self.customer = customer
        self.st, self.op = st, idp
        st.ctl("operators", "create", "--username", sso_signin.OPERATOR, "--email",
               f"{sso_signin.OPERATOR}@vendor.test", "--admin", "--password-stdin",
               input=sso_signin.OPERATOR_PASSWORD + "\n")
        live = type("BenchSamlLive", (test_sso_saml.SamlBase,), {})
        live.st, live.op, live.idp = st, idp, idp
        live.ops_client = live.op_signin(sso_signin.OPERATOR, sso_signin.OPERATOR_PASSWORD)
        self.live = live
        self.cust, self.domain, _ = live.go_live()
        self.pid = self.worker()

    def member(self, i):
        n = f"b{i:05d}"
        return self.live.saml_user(f"{n}@{self.domain}", ["onramp-users"], n)

    def one(self, user):
        """Start and the IdP's response (unmeasured), the ACS POST: (cpu_before, wall_ms, ok, why)."""
        c = self.customer(self.st)
        r = c.call("POST", "/sso/start", {"email": user["name_id"]})
        if r.status != 200:
            return None, 0.0, False, f"start answered {r.status}"
        self.op.set_user(**user)
        out = self.op.response(**self.live.idp_request(c, r.json["redirect_url"]))
        before = sso_signin.cpu_ns(self.pid)
        t0 = time.perf_counter()
        r = self.live.post_acs(c, out["acs"], out["SAMLResponse"], out["RelayState"])
        wall = (time.perf_counter() - t0) * 1000
        ok = r.status == 303 and r.headers.get("location") == "/" and "onramp_session" in c.cookies
        return before, wall, ok, "" if ok else f"ACS answered {r.status} {r.body[:200]!r}"


def report(jit, warm, failures, n, targets):
    sso_signin.print_table("SAML sign-in (ACS, RSA-2048 SHA-256 signed assertion), one worker, one client, "
                           "sequential; the worker's CPU per ACS request",
                           (("JIT (first sign-in)", jit), ("returning members (measured)", warm)))
    p95 = warm.get("cpu_p95_ms")
    targets.add("SAML ACS CPU p95", p95 is not None and p95 < CPU_P95_MS,
                f"{bench.fmt_ms(p95) if p95 is not None else 'n/a'} over {warm['n']} ACS requests "
                f"(target < {CPU_P95_MS:.0f} ms; wall p95 {bench.fmt_ms(warm.get('wall_p95_ms'))})")
    targets.add("SAML sign-ins as measured", not failures and warm["n"] == n,
                f"{warm['n']}/{n} signed in" + (f"; first failure: {failures[0]}" if failures else ""))


def run(ctx, targets):
    """The part, on ctx's MariaDB (bench.run's context)."""
    from saml_idp import SamlIdp

    cfg = check_settings()
    with sso_signin.part_stack(ctx, "saml", SamlIdp, sso_starts_per_addr="100000") as (st, idp):
        s = SamlSignIns(st, idp)
        nusers, n = cfg["BENCH_SAML_USERS"], cfg["BENCH_SAML_SIGNINS"]
        log(f"SAML: {nusers} JIT sign-ins (warm-up), then {n} measured")
        users, jit = s.warm_up(nusers)
        warm, failures = s.returning(users, n)
        out = {"jit": sso_signin.summary(jit[1:]), "returning": sso_signin.summary(warm), "failures": failures[:5]}
        report(out["jit"], out["returning"], failures, n, targets)
        return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", required=True, help="absolute build directory")
    a = p.parse_args()
    os.environ.update(BENCH_FOUNDATION="0", BENCH_IDENTITY="0", BENCH_SSO="0", BENCH_SAML="1")
    sys.argv = [os.path.join(HERE, "bench.py"), "--build", os.path.abspath(a.build)]
    return bench.main()


if __name__ == "__main__":
    sys.modules.setdefault("sso_saml", sys.modules[__name__])
    sys.exit(main())
