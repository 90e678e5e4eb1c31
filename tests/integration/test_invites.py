"""Invites over nginx with the real SMTP sink: invite, mail, look up, accept; resend, revoke,
expiry and reuse (410); concurrent acceptance; identity mismatch; admin signup links; seats;
delivery status through a sink outage; tokens in no log, audit row or later answer; the hourly
limit under 20 parallel invites; taken usernames answered alike; acceptance throttled per token
and per client address."""

import re
import threading

import stack
from harness import Env
from identity_client import customer
from test_identity import PASSWORD, IdentityBase

NEW_PW = "Violet-Orchard-Ladder-73"


class InviteBase(IdentityBase):
    def admin_of_new_customer(self, seats=10):
        cust = self.new_customer(seats)
        admin = self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])
        return cust, admin

    def invite(self, admin, email, role="customer_member"):
        r = admin.call("POST", "/invites", {"email": email, "role": role})
        self.assertEqual(r.status, 201, r)
        return r.json["invite"]

    def wait_for_mails(self, to, count=1, timeout=20):
        mails = []
        stack.wait_for(lambda: len([m for m in self.st.mails() if m["To"] == to]) >= count, timeout,
                       f"{count} mail(s) to {to}")
        mails = [m for m in self.st.mails() if m["To"] == to]
        return mails

    @staticmethod
    def token_in(msg):
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                text = part.get_payload(decode=True).decode()
                return re.search(r"/invite#token=([A-Za-z0-9_-]{43})", text).group(1)
        raise AssertionError("no text part")

    def accept(self, token, username, password=NEW_PW, client=None, **extra):
        c = client or customer(self.st)
        return c, c.call("POST", "/invite-acceptances", dict(token=token, username=username, password=password, **extra))

    def members(self, admin):
        r = admin.call("GET", "/members")
        self.assertEqual(r.status, 200, r)
        return r.json


class InviteFlowTests(InviteBase):
    def test_invite_mail_accept_and_members_view(self):
        cust, admin = self.admin_of_new_customer()
        email = f"{self.uniq('new')}@{cust['slug']}.example"
        inv = self.invite(admin, email)
        self.assertEqual((inv["status"], inv["role"], inv["sent_count"]), ("pending", "customer_member", 1))
        self.assertNotIn("token", inv)
        self.assertEqual({i["key"]: i["state"] for i in admin.call("GET", "/checklist").json["items"]}["members"], "done")
        token = self.token_in(self.wait_for_mails(email)[0])
        look = customer(self.st).call("POST", "/invite-lookups", {"token": token})
        self.assertEqual((look.status, look.json["invite"]["email"], look.json["invite"]["customer_name"]),
                         (200, email, cust["name"]))
        name = self.uniq("joiner")
        c, r = self.accept(token, name)
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json["user"]["email"], r.json["user"]["role"], r.json["user"]["status"]),
                         (email, "customer_member", "active"))
        self.assertEqual(c.call("GET", "/session").json["user"]["username"], name)     # signed in
        shown = [i for i in self.members(admin)["invites"] if i["id"] == inv["id"]][0]
        self.assertEqual((shown["status"], shown["accepted_by"]), ("accepted", name))
        self.assertEqual(self.accept(token, self.uniq("again"))[1].status, 410)          # reused
        # Duplicates: a pending invite, and a person who is already a user.
        other = f"{self.uniq('dup')}@{cust['slug']}.example"
        self.invite(admin, other)
        r = admin.call("POST", "/invites", {"email": other.upper(), "role": "customer_member"})
        self.assertEqual((r.status, r.json["error"]["fields"][0]["code"]), (409, "invite_pending"))
        r = admin.call("POST", "/invites", {"email": email, "role": "customer_admin"})
        self.assertEqual((r.status, r.json["error"]["fields"][0]["code"]), (409, "member_exists"))
        bad = admin.call("POST", "/invites", {"email": "nope", "role": "owner", "x": 1})
        self.assertEqual(bad.status, 400)
        bad = admin.call("POST", "/invites", {"email": "nope", "role": "owner"})
        self.assertEqual({f["code"] for f in bad.json["error"]["fields"]}, {"invalid_email", "invalid_choice"})

    def test_resend_revoke_expire(self):
        cust, admin = self.admin_of_new_customer()
        email = f"{self.uniq('r')}@{cust['slug']}.example"
        inv = self.invite(admin, email)
        first = self.token_in(self.wait_for_mails(email)[0])
        r = admin.call("POST", f"/invites/{inv['id']}/resend")
        self.assertEqual((r.status, r.json["invite"]["sent_count"]), (200, 2), r)
        second = self.token_in(self.wait_for_mails(email, 2)[-1])
        self.assertNotEqual(first, second)
        r = self.accept(first, self.uniq("x"))[1]
        self.assertEqual(r.status, 410)
        self.assertEqual(self.accept(second, self.uniq("ok"))[1].status, 201)
        # Revoke: the link answers 410 and says so.
        email2 = f"{self.uniq('v')}@{cust['slug']}.example"
        inv2 = self.invite(admin, email2)
        tok2 = self.token_in(self.wait_for_mails(email2)[0])
        r = admin.call("DELETE", f"/invites/{inv2['id']}")
        self.assertEqual((r.status, r.json["invite"]["status"]), (200, "revoked"))
        r = self.accept(tok2, self.uniq("x"))[1]
        self.assertEqual((r.status, r.json["error"]["invite_status"]), (410, "revoked"))
        self.assertIn("revoked", r.json["error"]["message"])
        self.assertEqual(admin.call("POST", f"/invites/{inv2['id']}/resend").status, 409)
        # Expiry: move expires_at into the past.
        email3 = f"{self.uniq('e')}@{cust['slug']}.example"
        inv3 = self.invite(admin, email3)
        tok3 = self.token_in(self.wait_for_mails(email3)[0])
        self.sql(f"UPDATE invites SET expires_at = NOW(6) - INTERVAL 1 MINUTE WHERE id = {inv3['id']}")
        r = self.accept(tok3, self.uniq("x"))[1]
        self.assertEqual((r.status, r.json["error"]["invite_status"]), (410, "expired"))
        self.assertIn("expired", r.json["error"]["message"])
        self.assertEqual([i["status"] for i in self.members(admin)["invites"] if i["id"] == inv3["id"]], ["expired"])
        # A new invite to the same address replaces the expired one.
        self.invite(admin, email3)
        # Another customer's admin cannot touch these invites.
        _, other = self.admin_of_new_customer()
        self.assertEqual(other.call("DELETE", f"/invites/{inv3['id']}").status, 404)
        self.assertEqual(other.call("POST", f"/invites/{inv3['id']}/resend").status, 404)
        self.assertEqual(self.accept("A" * 43, self.uniq("x"))[1].status, 410)
        self.assertEqual(self.accept("short", self.uniq("x"))[1].status, 410)

    def test_twenty_parallel_acceptances(self):
        cust, admin = self.admin_of_new_customer()
        email = f"{self.uniq('race')}@{cust['slug']}.example"
        self.invite(admin, email)
        token = self.token_in(self.wait_for_mails(email)[0])
        results = []

        def go(i):
            results.append(self.accept(token, f"{self.uniq('race')}x{i}")[1].status)

        threads = [threading.Thread(target=go, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [201] + [410] * 19, results)
        self.assertEqual(self.sql(f"SELECT COUNT(*) FROM users WHERE email = '{email}'").split()[-1], "1")

    def test_identity_mismatch_then_sign_out(self):
        cust, admin = self.admin_of_new_customer()
        email = f"{self.uniq('mm')}@{cust['slug']}.example"
        self.invite(admin, email)
        token = self.token_in(self.wait_for_mails(email)[0])
        stranger = self.first_signin(self.new_user(cust)["user"]["username"])
        r = stranger.call("POST", "/invite-acceptances", {"token": token})
        self.assertEqual((r.status, r.code), (403, "identity_mismatch"), r)
        self.assertIn("Sign out of your identity provider", r.json["error"]["message"])
        self.assertIn("guidance", r.json["error"])
        self.assertEqual(stranger.call("POST", "/invite-acceptances", {"token": token}, csrf=False).code, "csrf_failed")
        stranger.call("DELETE", "/session")
        # The mismatch did not consume the invite.
        c, r = self.accept(token, self.uniq("mm"), client=stranger)
        self.assertEqual(r.status, 201, r)

    def test_signed_in_with_the_invited_email_applies_the_invite(self):
        cust, admin = self.admin_of_new_customer()
        email = f"{self.uniq('self')}@{cust['slug']}.example"
        self.invite(admin, email, "customer_admin")
        token = self.token_in(self.wait_for_mails(email)[0])
        # Meanwhile an operator made the account by hand; its owner signs in and opens the link.
        name = self.uniq("self")
        r = self.ops_client.call("POST", "/users", {"customer": cust["slug"], "username": name, "email": email,
                                                    "role": "customer_member", "password": PASSWORD})
        self.assertEqual(r.status, 201, r)
        m = self.first_signin(name)
        r = m.call("POST", "/invite-acceptances", {"token": token})
        self.assertEqual((r.status, r.json["user"]["role"]), (200, "customer_admin"), r)
        shown = [i for i in self.members(admin)["invites"] if i["email"] == email][0]
        self.assertEqual((shown["status"], shown["accepted_by"]), ("accepted", name))
        # An account of another organisation with the invited email cannot join.
        cust2, admin2 = self.admin_of_new_customer()
        self.invite(admin2, email)
        token2 = self.token_in(self.wait_for_mails(email, 2)[-1])
        r = m.call("POST", "/invite-acceptances", {"token": token2})
        self.assertEqual(r.status, 409, r)

    def test_seat_limit_blocks_acceptance(self):
        cust, admin = self.admin_of_new_customer(seats=1)
        email = f"{self.uniq('seat')}@{cust['slug']}.example"
        self.invite(admin, email)
        token = self.token_in(self.wait_for_mails(email)[0])
        r = self.accept(token, self.uniq("seat"))[1]
        self.assertEqual(r.status, 409, r)
        # Issue 16: the invitee is pointed at the admin who invited them, named.
        self.assertIn("who invited you", r.json["error"]["message"])
        self.assertEqual(set(r.json["error"]["inviter"]), {"name", "email"})
        r = self.ops_client.call("PATCH", f"/customers/{cust['id']}", {"seat_limit": 5})
        self.assertEqual((r.status, r.json["seats"]["limit"]), (200, 5), r)
        self.assertEqual(self.accept(token, self.uniq("seat"))[1].status, 201)


class AdminSignupTests(InviteBase):
    def test_admin_invite_link_needs_the_same_email(self):
        slug = self.uniq("signup")
        email = f"first.admin@{slug}.example"
        r = self.ops_client.call("POST", "/customers", {"slug": slug, "name": f"{slug} AG", "admin_email": email.upper()})
        self.assertEqual(r.status, 201, r)
        link = r.json["admin_invite_link"]
        token = link.split("#token=", 1)[1]
        self.assertTrue(link.startswith(self.st.public_url + "/invite#token="))
        self.assertEqual(self.st.mails_to(email) if hasattr(self.st, "mails_to") else
                         [m for m in self.st.mails() if m["To"] == email], [])           # not mailed
        look = customer(self.st).call("POST", "/invite-lookups", {"token": token}).json["invite"]
        self.assertEqual((look["email"], look["kind"]), (None, "admin_signup"))     # the holder must know it
        self.assertEqual(look["email_hint"], f"f\u2022\u2022\u2022@{slug}.example")
        r = self.accept(token, self.uniq("adm"), email=f"someone@{slug}.example")[1]
        self.assertEqual((r.status, r.code), (403, "identity_mismatch"))
        self.assertIn("not the address this signup link was made for", r.json["error"]["message"])
        r = self.accept(token, self.uniq("adm"))[1]                                       # email required
        self.assertEqual(r.code, "identity_mismatch")
        c, r = self.accept(token, self.uniq("adm"), email=email)
        self.assertEqual((r.status, r.json["user"]["role"]), (201, "customer_admin"), r)
        items = {i["key"]: i["state"] for i in c.call("GET", "/checklist").json["items"]}
        self.assertEqual(items["admin_signin"], "done")
        self.assertEqual(self.accept(token, self.uniq("adm"), email=email)[1].status, 410)

    def test_operator_reissues_a_lost_signup_link(self):
        slug = self.uniq("lost")
        r = self.ops_client.call("POST", "/customers", {"slug": slug, "name": f"{slug} AG",
                                                        "admin_email": f"a@{slug}.example"})
        cid, old = r.json["customer"]["id"], r.json["admin_invite_link"].split("#token=")[1]
        r = self.ops_client.call("POST", f"/customers/{cid}/admin-invite", {"email": f"b@{slug}.example"})
        self.assertEqual(r.status, 201, r)
        new = r.json["admin_invite_link"].split("#token=")[1]
        self.assertEqual(self.accept(old, self.uniq("x"), email=f"a@{slug}.example")[1].status, 410)
        invites = self.ops_client.call("GET", f"/customers/{cid}").json["invites"]
        self.assertEqual(sorted(i["status"] for i in invites), ["pending", "revoked"])
        self.assertNotIn(new.encode(), self.ops_client.call("GET", f"/customers/{cid}").body)
        self.assertEqual(self.accept(new, self.uniq("y"), email=f"b@{slug}.example")[1].status, 201)

    def test_cli_prints_the_admin_link(self):
        slug = self.uniq("cli")
        out = self.st.ctl("customers", "create", "--slug", slug, "--name", "CLI Co", "--admin-email",
                          f"boss@{slug}.example", "--json").stdout
        import json
        doc = json.loads(out)
        token = doc["admin_invite_link"].split("#token=", 1)[1]
        c, r = self.accept(token, self.uniq("boss"), email=f"Boss@{slug}.example")
        self.assertEqual(r.status, 201, r)
        bad = self.st.ctl("customers", "create", "--slug", "Bad Slug", "--name", "x", check=False)
        self.assertNotEqual(bad.returncode, 0)


class DeliveryTests(InviteBase):
    extra_config = dict(IdentityBase.extra_config, invite_rate_per_hour="4")

    def test_sink_outage_keeps_the_invite_and_mail(self):
        cust, admin = self.admin_of_new_customer()
        email = f"{self.uniq('out')}@{cust['slug']}.example"
        self.st.stop_sink()
        try:
            inv = self.invite(admin, email)
            def shown():
                return [i for i in self.members(admin)["invites"] if i["id"] == inv["id"]][0]
            self.assertEqual(inv["delivery"], "queued")
            # The failed attempt's SMTP reason shows while the mail waits for its retry.
            stack.wait_for(lambda: shown()["delivery_error"], 15, "a failed attempt shown")
            self.assertEqual((shown()["status"], shown()["delivery"]), ("pending", "queued"))
        finally:
            self.st.start_sink()
        self.wait_for_mails(email, timeout=40)
        stack.wait_for(lambda: [i for i in self.members(admin)["invites"] if i["id"] == inv["id"]][0]["delivery"]
                       == "sent", 20, "delivery shown as sent")

    def test_rate_limit_per_customer(self):
        cust, admin = self.admin_of_new_customer()
        for i in range(4):
            self.invite(admin, f"rl{i}@{cust['slug']}.example")
        r = admin.call("POST", "/invites", {"email": f"rl9@{cust['slug']}.example", "role": "customer_member"})
        self.assertEqual((r.status, r.code), (429, "rate_limited"))
        self.assertTrue(0 < int(r.headers["retry-after"]) <= 3600, r.headers)
        # Another customer is not affected.
        _, other = self.admin_of_new_customer()
        self.invite(other, f"x@{self.uniq('o')}.example")

    def test_tokens_never_reappear(self):
        cust, admin = self.admin_of_new_customer()
        email = f"{self.uniq('tok')}@{cust['slug']}.example"
        inv = self.invite(admin, email)
        token = self.token_in(self.wait_for_mails(email)[0])
        admin.call("POST", f"/invites/{inv['id']}/resend")
        token2 = self.token_in(self.wait_for_mails(email, 2)[-1])
        self.accept(token2, self.uniq("tok"))
        bodies = [admin.call("GET", "/members").body, admin.call("GET", "/checklist").body,
                  self.ops_client.call("GET", f"/audit?customer={cust['id']}").body]
        for t in (token, token2):
            for b in bodies:
                self.assertNotIn(t.encode(), b)
            for path in (self.st.app_log, f"{self.st.log_dir}/nginx-access.log", self.st.mailer_log):
                self.assertNotIn(t, open(path).read())
            dump = Env.db.sql(f"USE `{self.st.db_name}`; SELECT * FROM audit_log; SELECT * FROM invites")
            self.assertNotIn(t, dump)


class InviteLimitTests(InviteBase):
    """Issue 11: the hourly invite limit under concurrency; acceptance answers and throttles."""
    workers = 6
    extra_config = dict(IdentityBase.extra_config, login_window_s="60", login_max_failures_account="5",
                        login_max_failures_addr="12")

    def hour_of_mails(self, cid):
        return int(self.sql(f"SELECT COUNT(*) FROM outbox WHERE customer_id = {cid} AND ref_type = 'invite' "
                            "AND created_at >= NOW(6) - INTERVAL 1 HOUR").split()[-1])

    def test_twenty_parallel_invites_at_95_of_100(self):
        cust, admin = self.admin_of_new_customer(seats=500)
        cid = cust["id"]
        # 95 invite mails already sent this hour (delivered, so the mailer leaves them alone).
        rows = ", ".join(f"({cid}, 'invite', 'old{i}@{cust['slug']}.example', 's', '', '', 'sent', 'invite')"
                         for i in range(95))
        self.sql("INSERT INTO outbox (customer_id, template, to_addr, subject, body_text, body_html, state, ref_type) "
                 f"VALUES {rows}")
        results = []
        barrier = threading.Barrier(20)

        def go(i):
            barrier.wait()
            r = admin.call("POST", "/invites", {"email": f"par{i}@{cust['slug']}.example", "role": "customer_member"})
            results.append((r.status, r.code))

        threads = [threading.Thread(target=go, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [(201, None)] * 5 + [(429, "rate_limited")] * 15, results)
        self.assertEqual(self.hour_of_mails(cid), 100)
        # A resend mails too, so it shares the limit.
        inv = [i for i in self.members(admin)["invites"] if i["status"] == "pending"][0]
        r = admin.call("POST", f"/invites/{inv['id']}/resend")
        self.assertEqual((r.status, r.code), (429, "rate_limited"), r)
        self.assertTrue(0 < int(r.headers["retry-after"]) <= 3600, r.headers)
        self.assertEqual(self.hour_of_mails(cid), 100)

    def test_taken_usernames_answer_alike_and_attempts_are_throttled(self):
        cust, admin = self.admin_of_new_customer()
        mine = self.new_user(cust)["user"]["username"]
        theirs = self.new_user(self.new_customer())["user"]["username"]
        email = f"{self.uniq('probe')}@{cust['slug']}.example"
        self.invite(admin, email)
        token = self.token_in(self.wait_for_mails(email)[0])
        prober = customer(self.st, source_ip="127.0.0.21")
        answers = []
        for name in (mine, theirs):
            r = self.accept(token, name, client=prober)[1]
            err = r.json["error"]
            answers.append((r.status, err["code"], err["message"], err["fields"]))
        # Taken here or in another organisation: the same answer, which says neither.
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0][:2], (409, "conflict"))
        self.assertEqual([(f["field"], f["code"], f["message"]) for f in answers[0][3]],
                         [("username", "unavailable", "This username is not available. Choose another.")])
        self.assertNotIn("exists", answers[0][2])
        # Five failed attempts per token (this class's login_max_failures_account), then 429.
        for _ in range(3):
            self.assertEqual(self.accept(token, theirs, client=prober)[1].status, 409)
        r = self.accept(token, self.uniq("free"), client=customer(self.st, source_ip="127.0.0.22"))[1]
        self.assertEqual((r.status, r.code), (429, "rate_limited"), r)
        self.assertTrue(0 < int(r.headers["retry-after"]) <= 60, r.headers)
        r = customer(self.st, source_ip="127.0.0.22").call("POST", "/invite-lookups", {"token": token})
        self.assertEqual(r.status, 429, r)
        self.assertEqual(self.sql(f"SELECT COUNT(*) FROM users WHERE email = '{email}'").split()[-1], "0")

    def test_attempts_per_client_address_are_throttled(self):
        cust, admin = self.admin_of_new_customer()
        email = f"{self.uniq('addr')}@{cust['slug']}.example"
        self.invite(admin, email)
        token = self.token_in(self.wait_for_mails(email)[0])
        guesser = customer(self.st, source_ip="127.0.0.31")
        statuses = []
        for i in range(14):
            path, body = (("/invite-lookups", {"token": f"{i:02d}" + "A" * 41}) if i % 2 else
                          ("/invite-acceptances", {"token": f"{i:02d}" + "A" * 41, "username": self.uniq("g"),
                                                   "password": NEW_PW}))
            statuses.append(guesser.call("POST", path, body).status)
        # Twelve failures (this class's login_max_failures_addr) over both endpoints, then 429.
        self.assertEqual(statuses, [410] * 12 + [429] * 2)
        self.assertEqual(self.accept(token, self.uniq("ok"), client=guesser)[1].status, 429)
        # The invite itself still works from elsewhere.
        self.assertEqual(self.accept(token, self.uniq("ok"))[1].status, 201)
