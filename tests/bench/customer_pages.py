"""The customer's main pages in the foundation part (issue 15): GET /api/v1/checklist and
GET /api/v1/account with a customer admin's session, measured right after the /readyz row
(so next to bare hello+SELECT, their ceiling) and judged against it.

A customer and its admin are made with `onrampctl` (the bench stack has no demo data), the
admin signs in through the API, and saves the account details once, so both pages read a
details row as a real customer's would.  Targets, per page: req/s >= 60 % of bare
hello+SELECT in the same run, p99 <= 2 x bare hello+SELECT's p99, 0 errors.
"""

import math
import secrets

import stack

SLUG = "benchcust"
ADMIN = "benchadmin"
ROWS = (("onramp checklist", "/api/v1/checklist"), ("onramp account", "/api/v1/account"))
RATIO = 0.60
P99_FACTOR = 2.0
TARGETS = len(ROWS)
CEILING = "bare hello+SELECT"


def prepare(st):
    """Create the customer and its admin, sign in, save the details; the session cookie."""
    password = secrets.token_urlsafe(18)
    st.ctl("customers", "create", "--slug", SLUG, "--name", "Bench Customer Ltd", "--seats", "10")
    st.ctl("users", "create", "--customer", SLUG, "--username", ADMIN, "--email", f"{ADMIN}@bench.test",
           "--role", "customer_admin", "--password-stdin", input=password + "\n")
    api = stack.ApiSession(st.public_url + "/api/v1")
    api.call("POST", "/session", {"login": ADMIN, "password": password})
    if not (api.cookie or "").startswith("onramp_session="):
        raise RuntimeError(f"customer sign-in set no session cookie: {api.cookie!r}")
    contact = {"name": "Bench Admin", "email": f"{ADMIN}@bench.test", "phone": "+49 30 1234567"}
    api.call("PATCH", "/account", {"version": 0, "legal_name": "Bench Customer Ltd",
                                   "support_contact": contact, "billing_contact": contact,
                                   "technical_contact": contact})
    return api.cookie


def remove(db, sql):
    """Delete the bench customer and every row naming it, so the identity part starts from empty
    tables. sql(db, statement) runs SQL in the stack's database. The tables are found by their
    customer_id column, so a new table is covered without a change here; the audit log is
    append-only (a trigger refuses deletes) and keeps its rows."""
    cid = sql(db, f"SELECT id FROM customers WHERE slug = '{SLUG}'").strip()
    if not cid:
        return
    tables = sql(db, "SELECT table_name FROM information_schema.columns WHERE table_schema = DATABASE() "
                     "AND column_name = 'customer_id' "
                     "AND table_name NOT IN ('users', 'audit_log')").split()
    stmts = ["SET foreign_key_checks = 0",
             f"DELETE FROM sessions WHERE realm = 'customer' AND principal_id IN "
             f"(SELECT id FROM users WHERE customer_id = {int(cid)})"]
    stmts += [f"DELETE FROM `{t}` WHERE customer_id = {int(cid)}" for t in tables]
    stmts += [f"DELETE FROM users WHERE customer_id = {int(cid)}", f"DELETE FROM customers WHERE id = {int(cid)}"]
    sql(db, "; ".join(stmts))


def plan(st, cookie):
    """(name, url, wrk options) of the rows, in the order they run."""
    return [(name, st.public_url + path, ("-H", f"Cookie: {cookie}")) for name, path in ROWS]


def judge(runs, rounds, targets):
    """One target per page: throughput and p99 against bare hello+SELECT, and no errors."""
    bare = runs[CEILING]
    for name, path in ROWS:
        r = runs[name]
        ratio = r["rps"] / bare["rps"] if bare["rps"] else 0.0
        p99_limit = (bare["p99_ms"] or 0) * P99_FACTOR
        ok = ratio >= RATIO and r["p99_ms"] is not None and r["p99_ms"] <= p99_limit and r["errors"] == 0
        per = ""
        if rounds > 1:
            per = "; per round " + " ".join(f"{n / d * 100:.0f}" if d else "n/a"
                                            for n, d in zip(r["rounds"], bare["rounds"])) + " %"
        targets.add(f"GET {path} vs {CEILING}", ok,
                    f"{math.floor(ratio * 1000) / 10:.1f} % (target >= {RATIO * 100:.0f} %), p99 {r['p99_ms'] or 0:.2f} ms "
                    f"(target <= {p99_limit:.2f} ms), {r['errors']} errors{per}")
