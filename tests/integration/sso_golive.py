"""The go-live steps of a customer's single sign-on, as the SSO suites walk them through the API
(test_sso_oidc.py, test_sso_saml.py, test_sso_saml_start.py, and the SSO benchmarks through
them): a new customer with a signed-in admin, a validation, submit and approve, activation.
`suite` is the test class (IdentityBase: st, ops_client, uniq); what a protocol puts in its
draft and how its test sign-in runs stays in its suite."""

import time

from identity_client import customer
from test_identity import PASSWORD

# How long a queued validation may take before the step fails.
VALIDATION_WAIT_S = 30


def new_admin(suite, prefix, seat_limit):
    """A new customer and its admin, signed in with the first password changed: (customer, domain, client)."""
    slug = suite.uniq(prefix)
    r = suite.ops_client.call("POST", "/customers", {"slug": slug, "name": f"{slug} Ltd", "seat_limit": seat_limit})
    assert r.status == 201, r
    cust = r.json["customer"]
    name = suite.uniq("adm")
    r = suite.ops_client.call("POST", "/users", {"customer": slug, "username": name, "role": "customer_admin",
                                                 "email": f"{name}@{slug}.example", "password": PASSWORD})
    assert r.status == 201, r
    c = customer(suite.st)
    assert c.call("POST", "/session", {"login": name, "password": PASSWORD}).status == 200
    r = c.call("POST", "/password", {"current_password": PASSWORD, "new_password": PASSWORD + "x"})
    assert r.status == 200, r
    return cust, f"{slug}.example", c


def validate(admin):
    """Validate the saved draft and wait until the job passed; the validated version."""
    r = admin.call("POST", "/sso/validate")
    assert r.status == 202, r
    job, end = r.json["validation"], time.monotonic() + VALIDATION_WAIT_S
    while job["state"] not in ("done", "failed"):
        assert time.monotonic() < end, job
        time.sleep(0.05)
        job = admin.call("GET", f"/sso/validations/{job['id']}").json
    assert job["state"] == "done" and job["report"]["ok"], job
    return job["version"]


def submit_and_approve(suite, admin, cust, version):
    """The admin submits version for review and the operator approves it."""
    assert admin.call("POST", "/sso/submit", {"version": version}).status == 200
    rv = suite.ops_client.call("GET", f"/reviews?customer={cust['id']}&kind=sso").json["reviews"][0]
    r = suite.ops_client.call("POST", f"/reviews/{rv['id']}/decision", {"decision": "approve"})
    assert r.status == 200, r


def activate(suite, cust):
    """The operator makes the customer's approved version live."""
    r = suite.ops_client.call("POST", f"/customers/{cust['id']}/sso/activation")
    assert r.status == 200, r
