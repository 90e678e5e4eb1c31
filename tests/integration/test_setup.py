"""Account Setup end to end over nginx: the review queue and its decisions, operator context,
internal notes and blockers, Create's gates, support requests through the SMTP sink, the
dashboard, who may do what, and the internal-notes canary across every customer endpoint."""

import time

from harness import Env
from identity_client import customer, operator
from test_account import CARD, JWT, PEM
from test_identity import IdentityBase

CONTACT = {"name": "Nora Admin", "email": "nora@acme.example", "phone": "+1 555 010 2030"}


def launch_date(days=30):
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + days * 86400))


class SetupBase(IdentityBase):
    def fresh(self, provider="none"):
        """A customer with a signed-in admin whose details are complete (submitted for review)."""
        cust = self.new_customer()
        admin = self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])
        r = admin.call("PATCH", "/account", {
            "version": 0, "legal_name": f"{cust['name']} GmbH", "support_contact": CONTACT,
            "billing_contact": CONTACT, "technical_contact": CONTACT, "ai_provider": provider,
            "workspace_preferences": "Two large workspaces, EU region.", "target_launch": launch_date()})
        self.assertEqual(r.status, 200, r)
        return cust, admin

    def items(self, client):
        r = client.call("GET", "/checklist")
        self.assertEqual(r.status, 200, r)
        return {i["key"]: i for i in r.json["items"]}, r.json["ready"]

    def pending(self, cust, kind=None):
        r = self.ops_client.call("GET", f"/reviews?state=pending&customer={cust['id']}" + (f"&kind={kind}" if kind else ""))
        self.assertEqual(r.status, 200, r)
        return r.json["reviews"]

    def decide(self, review_id, decision, comment=None, internal=None):
        body = {"decision": decision}
        if comment is not None:
            body["comment"] = comment
        if internal is not None:
            body["internal_comment"] = internal
        return self.ops_client.call("POST", f"/reviews/{review_id}/decision", body)

    def context(self, cust):
        return self.ops_client.call("GET", f"/customers/{cust['id']}").json["context"]


class ReviewFlowTests(SetupBase):
    def test_create_is_gated_until_operators_approve(self):
        cust, admin = self.fresh()
        items, ready = self.items(admin)
        self.assertEqual((items["contacts"]["state"], items["billing"]["state"], items["workspace_target"]["state"]),
                         ("done", "in_review", "in_review"))
        queued = {r["kind"]: r for r in self.pending(cust)}
        self.assertEqual(set(queued), {"billing", "workspace_target"})
        self.assertEqual(queued["billing"]["customer"]["slug"], cust["slug"])
        # Saving again does not queue the same things twice.
        self.assertEqual(admin.call("PATCH", "/account", {"version": 1, "operating_name": "Acme"}).status, 200)
        self.assertEqual(len(self.pending(cust)), 2)

        r = admin.call("POST", "/workspaces", {})
        self.assertEqual((r.status, r.code), (409, "setup_blocked"), r)
        gates = {g["key"]: g for g in r.json["error"]["gates"]}
        self.assertEqual(set(gates), {"members", "sso", "billing", "workspace_target"})
        self.assertTrue(all(g["retryable"] is False and g["message"] for g in gates.values()), gates)
        self.assertEqual(gates["billing"]["message"], "Waiting for our review.")

        # An operator blocker shows its text on the checklist and in the gate.
        msg = "The EU runtime pool is full until the 3rd; we will move you as soon as it frees up."
        r = self.ops_client.call("PUT", f"/customers/{cust['id']}/blockers", {"blockers": [
            {"item": "workspace_target", "category": "target_readiness", "message": msg}]})
        self.assertEqual(r.status, 200, r)
        items, _ = self.items(admin)
        self.assertEqual(items["workspace_target"]["state"], "blocked")
        self.assertEqual(items["workspace_target"]["blocker"],
                         {"category": "target_readiness", "message": msg, "retryable": False})
        gate = {g["key"]: g for g in admin.call("POST", "/workspaces", {}).json["error"]["gates"]}["workspace_target"]
        self.assertEqual((gate["message"], gate["category"], gate["retryable"]), (msg, "target_readiness", False))

        # Operators approve billing; the target needs approval and readiness.
        self.assertEqual(self.decide(queued["billing"]["id"], "approve").status, 200)
        self.assertEqual(self.context(cust)["billing_state"], "trial_approved")
        self.assertEqual(self.decide(queued["billing"]["id"], "approve").code, "conflict")
        self.assertEqual(self.ops_client.call("PUT", f"/customers/{cust['id']}/blockers", {"blockers": []}).status, 200)
        self.assertEqual(self.decide(queued["workspace_target"]["id"], "approve").status, 200)
        items, _ = self.items(admin)
        self.assertEqual((items["billing"]["state"], items["workspace_target"]["state"]), ("done", "in_review"))
        ctx = self.context(cust)
        r = self.ops_client.call("PUT", f"/customers/{cust['id']}/workspace-target", {
            "target_name": "eu-west-pool-2", "runtime_capacity": "8 vCPU / 32 GiB",
            "template_aliases": ["python-3.12", "node-22"], "coder_access": "https://coder.vendor.test",
            "ready": True, "version": ctx["version"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["template_aliases"], r.json["target_ready"]), (["python-3.12", "node-22"], True))
        self.assertEqual(self.items(admin)[0]["workspace_target"]["state"], "done")

        self.assertEqual(admin.call("PUT", "/sso", {"protocol": "not_required", "version": 0}).status, 200)
        self.new_user(cust)
        items, ready = self.items(admin)
        self.assertTrue(ready, {k: v["state"] for k, v in items.items()})
        r = admin.call("POST", "/workspaces", {"name": "acme-first"})
        self.assertEqual(r.status, 202, r)
        self.assertEqual((r.json["workspace_request"]["name"], r.json["workspace_request"]["state"]),
                         ("acme-first", "queued"))
        self.assertEqual([w["name"] for w in admin.call("GET", "/workspaces").json["workspace_requests"]],
                         ["acme-first"])
        self.assertEqual(admin.call("POST", "/workspaces", {"name": "Bad Name!"}).status, 422)
        page = self.ops_client.call("GET", f"/customers/{cust['id']}").json
        self.assertEqual(page["workspace_requests"][0]["name"], "acme-first")
        actions = [e["action"] for e in self.ops_client.call("GET", f"/audit?customer={cust['id']}").json["entries"]]
        for a in ("review.decide", "customer.blockers", "customer.workspace_target", "workspace.create_requested",
                  "workspace.create_refused", "account.update"):
            self.assertIn(a, actions)

    def test_decisions_comments_and_resubmission(self):
        cust, admin = self.fresh(provider="managed")
        queued = {r["kind"]: r for r in self.pending(cust)}
        self.assertEqual(set(queued), {"billing", "workspace_target", "provider_setup"})
        self.assertEqual(self.items(admin)[0]["provider_setup"]["state"], "in_review")
        r = self.decide(queued["workspace_target"]["id"], "request_changes")
        self.assertEqual((r.status, r.json["error"]["fields"][0]["field"]), (422, "comment"))
        self.assertEqual(self.decide(queued["workspace_target"]["id"], "maybe", "x").status, 422)
        self.assertEqual(self.decide(queued["workspace_target"]["id"], "reject", f"key {PEM}").status, 422)
        r = self.decide(queued["workspace_target"]["id"], "request_changes",
                        "Please name the repositories the workspace needs.", "Customer seems unsure; call Tuesday.")
        self.assertEqual((r.status, r.json["state"], r.json["decided_by"]), (200, "changes_requested", "opsadmin"))
        items, _ = self.items(admin)
        self.assertEqual(items["workspace_target"]["state"], "in_progress")
        self.assertEqual(items["workspace_target"]["review"]["comment"],
                         "Please name the repositories the workspace needs.")
        # Sent back, the trial request is withdrawn: no "waiting for review" with nothing in the queue.
        bill = self.pending(cust, "billing")[0]["id"]
        self.assertEqual(self.decide(bill, "request_changes", "Which cost centre should we bill?").status, 200)
        items, _ = self.items(admin)
        self.assertEqual((items["billing"]["state"], items["billing"]["review"]["state"]), ("todo", "changes_requested"))
        admin.call("PATCH", "/account", {"version": 1, "operating_name": "Acme Ops"})
        queued = {r["kind"]: r for r in self.pending(cust)}
        self.assertEqual(self.items(admin)[0]["billing"]["state"], "in_review")
        self.assertNotIn(b"call Tuesday", admin.call("GET", "/checklist").body)
        # Rejecting the trial returns billing to none; the customer's next save asks again.
        self.assertEqual(self.decide(queued["billing"]["id"], "reject", "We need a purchase order first.").status, 200)
        self.assertEqual(self.context(cust)["billing_state"], "none")
        self.assertEqual(self.items(admin)[0]["billing"]["state"], "todo")
        r = admin.call("PATCH", "/account", {"version": 2, "repository_notes": "github.com/acme/api and acme/web"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual({q["kind"] for q in self.pending(cust)}, {"billing", "workspace_target", "provider_setup"})
        # Choosing no provider withdraws that review; the item is then not required.
        admin.call("PATCH", "/account", {"version": 3, "ai_provider": "none"})
        self.assertEqual({q["kind"] for q in self.pending(cust)}, {"billing", "workspace_target"})
        self.assertEqual(self.items(admin)[0]["provider_setup"]["state"], "not_required")
        done = self.ops_client.call("GET", f"/reviews?state=superseded&customer={cust['id']}").json["reviews"]
        self.assertEqual([d["kind"] for d in done], ["provider_setup"])
        self.assertEqual(self.ops_client.call("GET", "/reviews?state=bogus").code, "bad_request")
        self.assertEqual(self.ops_client.call("GET", "/reviews?kind=bogus").code, "bad_request")
        self.assertEqual(self.decide(999999999, "approve").status, 404)

    def test_provider_needs_approval_and_readiness(self):
        cust, admin = self.fresh(provider="own_account")
        rid = self.pending(cust, "provider_setup")[0]["id"]
        self.assertEqual(self.decide(rid, "approve").status, 200)
        self.assertEqual(self.items(admin)[0]["provider_setup"]["state"], "in_review")
        ctx = self.context(cust)
        r = self.ops_client.call("PUT", f"/customers/{cust['id']}/provider-setup",
                                 {"mode": "own_account", "ready": True, "version": ctx["version"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.items(admin)[0]["provider_setup"]["state"], "done")
        r = self.ops_client.call("PUT", f"/customers/{cust['id']}/provider-setup",
                                 {"mode": "cloud", "ready": True, "version": r.json["version"]})
        self.assertEqual(r.status, 422)


class OperatorFormTests(SetupBase):
    def test_billing_notes_and_versions(self):
        cust, admin = self.fresh()
        base = f"/customers/{cust['id']}"
        ctx = self.context(cust)
        r = self.ops_client.call("PUT", f"{base}/billing", {"state": "prepaid", "prepaid_balance_cents": 0,
                                                           "version": ctx["version"]})
        self.assertEqual(r.status, 200, r)
        # A direct decision closes the pending trial request.
        self.assertEqual(self.pending(cust, "billing"), [])
        items, _ = self.items(admin)
        self.assertEqual((items["billing"]["state"], items["billing"]["blocker"]["category"]),
                         ("blocked", "prepaid_balance"))
        stale = self.ops_client.call("PUT", f"{base}/billing", {"state": "verified", "version": ctx["version"]})
        self.assertEqual((stale.status, stale.code), (409, "version_conflict"))
        self.assertEqual(self.context(cust)["billing_state"], "prepaid")
        r = self.ops_client.call("PUT", f"{base}/billing", {"state": "prepaid", "prepaid_balance_cents": 50000,
                                                           "version": r.json["version"]})
        self.assertEqual(self.items(admin)[0]["billing"]["state"], "done")
        bad = self.ops_client.call("PUT", f"{base}/billing", {"state": "free", "version": r.json["version"]})
        self.assertEqual(bad.json["error"]["fields"][0]["code"], "invalid_choice")
        bad = self.ops_client.call("PUT", f"{base}/workspace-target", {"ready": True, "template_aliases": ["ok", "no way"],
                                                                      "version": r.json["version"]})
        self.assertEqual({f["field"] for f in bad.json["error"]["fields"]}, {"target_name", "template_aliases[1]"})

        r = self.ops_client.call("PUT", f"{base}/internal-notes", {"body": "Prefers email.", "version": 0})
        self.assertEqual((r.status, r.json["version"]), (200, 1), r)
        self.assertEqual(self.ops_client.call("PUT", f"{base}/internal-notes", {"body": "x", "version": 0}).code,
                         "version_conflict")
        self.assertEqual(self.ops_client.call("PUT", f"{base}/internal-notes", {"body": "Second.", "version": 1})
                         .json["body"], "Second.")
        self.assertEqual(self.ops_client.call("PUT", f"{base}/internal-notes", {"version": 2}).status, 422)
        self.assertEqual(self.ops_client.call("GET", base).json["internal_notes"]["body"], "Second.")
        cleared = self.ops_client.call("PUT", f"{base}/internal-notes", {"body": "", "version": 2})
        self.assertEqual((cleared.status, cleared.json["body"]), (200, ""), cleared)
        self.assertEqual(self.ops_client.call("PUT", "/customers/999999999/internal-notes",
                                              {"body": "x", "version": 0}).status, 404)
        self.assertEqual(self.ops_client.call("PUT", f"{base}/internal-notes", {"body": "x", "version": 1,
                                                                               "extra": 1}).status, 400)

    def test_blockers_replace_validate_and_scan(self):
        cust, admin = self.fresh()
        base = f"/customers/{cust['id']}/blockers"
        bad = self.ops_client.call("PUT", base, {"blockers": [
            {"item": "kitchen", "category": "billing", "message": "x"},
            {"item": "billing", "category": "weather", "message": ""},
            {"item": "billing", "category": "billing", "message": f"card {CARD}"}]})
        self.assertEqual(bad.status, 422, bad)
        codes = {(f["field"], f["code"]) for f in bad.json["error"]["fields"]}
        self.assertEqual(codes, {("blockers[0].item", "invalid_choice"), ("blockers[1].category", "invalid_choice"),
                                 ("blockers[1].message", "required"), ("blockers[2].message", "secret_detected")})
        self.assertNotIn(b"4111", bad.body)
        # An unknown member of a blocker is refused like one at the top: 400, its path named.
        bad = self.ops_client.call("PUT", base, {"blockers": [
            {"item": "billing", "category": "billing", "message": "x"},
            {"item": "kitchen", "category": "billing", "message": "x", "colour": "red"}]})
        self.assertEqual((bad.status, bad.code), (400, "bad_request"), bad)
        self.assertEqual([(f["field"], f["code"]) for f in bad.json["error"]["fields"]],
                         [("blockers[1].colour", "unknown_field")])
        self.assertEqual(self.ops_client.call("PUT", base, {"blockers": [{}] * 33}).status, 422)
        r = self.ops_client.call("PUT", base, {"blockers": [
            {"item": "billing", "category": "billing", "message": "Card declined; update it.", "retryable": True},
            {"item": "sso", "category": "sso", "message": "Your IdP certificate expired."}]})
        self.assertEqual([b["item"] for b in r.json["blockers"]], ["billing", "sso"])
        r = self.ops_client.call("PUT", base, {"blockers": [
            {"item": "sso", "category": "sso", "message": "Still waiting for the new certificate."}]})
        self.assertEqual([b["message"] for b in r.json["blockers"]], ["Still waiting for the new certificate."])
        items, _ = self.items(admin)
        self.assertEqual(items["billing"]["state"], "in_review")
        self.assertEqual(items["sso"]["blocker"]["message"], "Still waiting for the new certificate.")
        # Old blockers are kept, cleared, for the record.
        kept = self.sql(f"SELECT COUNT(*) FROM blockers WHERE customer_id = {cust['id']} AND cleared_at IS NOT NULL")
        self.assertIn("2", kept)

    def test_auditors_read_but_do_not_decide(self):
        cust, _ = self.fresh()
        r = self.ops_client.call("POST", "/operators", {"username": self.uniq("aud"), "email": f"{self.uniq('a')}@v.test",
                                                         "role": "auditor", "password": "Auditor-Pass-2026-x"})
        self.assertEqual(r.status, 201, r)
        aud = self.op_signin(r.json["operator"]["username"], "Auditor-Pass-2026-x")
        rid = self.pending(cust)[0]["id"]
        self.assertEqual(aud.call("GET", "/reviews").status, 200)
        self.assertEqual(aud.call("GET", "/dashboard").status, 200)
        self.assertEqual(aud.call("POST", f"/reviews/{rid}/decision", {"decision": "approve"}).code, "forbidden")
        for path, body in (("internal-notes", {"body": "x", "version": 0}), ("billing", {"state": "none", "version": 0}),
                           ("blockers", {"blockers": []})):
            self.assertEqual(aud.call("PUT", f"/customers/{cust['id']}/{path}", body).code, "forbidden")

    def test_dashboard_counts_follow_the_rules(self):
        before = self.ops_client.call("GET", "/dashboard").json
        cust, admin = self.fresh()
        self.ops_client.call("PUT", f"/customers/{cust['id']}/blockers", {"blockers": [
            {"item": "billing", "category": "billing", "message": "Card declined."},
            {"item": "workspace_target", "category": "billing", "message": "Same reason."}]})
        after = self.ops_client.call("GET", "/dashboard").json
        self.assertEqual(after["customers"], before["customers"] + 1)
        states = {i["key"]: i["states"] for i in after["items"]}
        old = {i["key"]: i["states"] for i in before["items"]}
        self.assertEqual(states["billing"]["blocked"], old["billing"]["blocked"] + 1)
        self.assertEqual(states["contacts"]["done"], old["contacts"]["done"] + 1)
        # One customer blocked twice for billing counts once.
        self.assertEqual(after["blocked_by_category"]["billing"], before["blocked_by_category"]["billing"] + 1)
        self.assertEqual(sum(states["sso"].values()), after["customers"])


class SupportTests(SetupBase):
    def test_support_request_composes_stores_and_mails(self):
        cust, admin = self.fresh()
        msg = "Blocked on billing for a week now."
        self.ops_client.call("PUT", f"/customers/{cust['id']}/blockers", {"blockers": [
            {"item": "billing", "category": "billing", "message": "We could not verify the billing contact."}]})
        self.assertEqual(admin.call("POST", "/workspaces", {}).status, 409)
        r = admin.call("POST", "/support-requests", {"message": f"token {JWT}"})
        self.assertEqual(r.json["error"]["fields"][0]["code"], "secret_detected")
        self.assertNotIn(JWT[:30].encode(), r.body)
        self.assertEqual(admin.call("POST", "/support-requests", {"item": "garden"}).status, 422)
        r = admin.call("POST", "/support-requests", {"message": msg})
        self.assertEqual(r.status, 201, r)
        sr = r.json["support_request"]
        self.assertEqual((sr["customer_name"], sr["item"], sr["visible_message"], sr["last_action"], sr["message"]),
                         (cust["name"], "billing", "We could not verify the billing contact.",
                          "workspace.create_refused", msg))
        # What the page shows is a sentence, never the audit code (issue 16, 9a).
        self.assertEqual(sr["last_action_text"], "Creating a workspace was refused: setup is not finished.")
        # Members may ask too.
        member = self.first_signin(self.new_user(cust)["user"]["username"])
        self.assertEqual(member.call("POST", "/support-requests", {"item": "sso"}).json["support_request"]["item"], "sso")
        listed = self.ops_client.call("GET", f"/support-requests?customer={cust['id']}").json["support_requests"]
        self.assertEqual([(s["item"], s["item_title"]) for s in listed],
                         [("sso", "Single sign-on"), ("billing", "Billing or trial approved")])
        deadline = time.time() + 15
        while time.time() < deadline:
            mails = [m for m in self.st.mails() if m["To"] == "support@onramp.test" and cust["name"] in m["Subject"]]
            if len(mails) >= 2:
                break
            time.sleep(0.1)
        self.assertEqual(len(mails), 2, open(self.st.mailer_log).read()[-1000:])
        bodies = ["".join(p.get_payload(decode=True).decode() for p in m.walk() if p.get_content_type() == "text/plain")
                  for m in mails]
        body = [b for b in bodies if "Checklist item: Billing" in b][0]
        self.assertIn("We could not verify the billing contact.", body)
        self.assertIn(msg, body)
        for path in (self.st.app_log,):
            self.assertNotIn(JWT[:40], open(path).read())


class IsolationTests(SetupBase):
    def test_member_reads_but_cannot_act_and_tenants_are_apart(self):
        cust, admin = self.fresh()
        member = self.first_signin(self.new_user(cust)["user"]["username"])
        self.assertEqual(member.call("GET", "/checklist").status, 200)
        self.assertEqual(member.call("GET", "/account").status, 200)
        self.assertEqual(member.call("GET", "/workspaces").status, 200)
        for method, path, body in (("PATCH", "/account", {"version": 1}), ("PUT", "/sso", {"protocol": "saml", "version": 0}),
                                   ("GET", "/sso", None), ("POST", "/workspaces", {}), ("GET", "/members", None)):
            self.assertEqual(member.call(method, path, body).code, "forbidden", path)
        other_cust, other = self.fresh()
        admin.call("POST", "/support-requests", {"message": "only ours"})
        self.assertEqual(other.call("GET", "/workspaces").json["workspace_requests"], [])
        self.assertNotIn(cust["name"].encode(), other.call("GET", "/checklist").body)
        user_id = member.call("GET", "/session").json["user"]["id"]
        self.assertEqual(other.call("POST", f"/users/{user_id}/suspend").status, 404)
        # The operator API is not on the public listener; customer sessions are not operator sessions.
        self.assertEqual(customer(self.st).call("GET", "/../admin/api/v1/reviews").status, 404)
        op = operator(self.st)
        op.cookies = dict(admin.cookies)
        self.assertEqual(op.call("GET", "/reviews").status, 401)

    def test_internal_notes_canary_reaches_no_customer_answer(self):
        cust, admin = self.fresh()
        member = self.first_signin(self.new_user(cust)["user"]["username"])
        canary = f"CANARY-{self.uniq('c')}-internal"
        base = f"/customers/{cust['id']}"
        self.assertEqual(self.ops_client.call("PUT", f"{base}/internal-notes", {"body": canary, "version": 0}).status, 200)
        rid = self.pending(cust, "workspace_target")[0]["id"]
        self.assertEqual(self.decide(rid, "request_changes", "Please add the repositories.", canary).status, 200)
        ctx = self.context(cust)
        self.ops_client.call("PUT", f"{base}/workspace-target", {"target_name": canary, "coder_access": canary,
                                                                "version": ctx["version"]})
        page = self.ops_client.call("GET", base).body
        self.assertIn(canary.encode(), page)           # the operator sees it
        for client in (admin, member):
            answers = [client.call("GET", p) for p in ("/session", "/account", "/checklist", "/sso", "/members",
                                                        "/workspaces", "/banner")]
            answers.append(client.call("POST", "/workspaces", {}))
            answers.append(client.call("POST", "/support-requests", {"message": "help"}))
            answers.append(client.call("POST", "/support-requests", {"item": "workspace_target"}))
            for r in answers:
                self.assertLess(r.status, 500, r)
                self.assertNotIn(canary.encode(), r.body)
                self.assertNotIn(b"internal_comment", r.body)
        # Nor does it ride along in mail to the customer's own addresses.
        for m in self.st.mails():
            if m["To"] != "support@onramp.test":
                self.assertNotIn(canary, m.as_string())
