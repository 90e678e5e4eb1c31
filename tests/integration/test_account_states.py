"""Suspended and removed accounts (issue 16, item 3): after the right password the sign-in says
the account is suspended or removed and names an admin to contact (still 401 unauthenticated,
still counted by the throttle); a wrong password answers exactly as for anyone; a session that a
suspension or removal ended says why on its next request; forgot-password mails them an
explanation without a link.  Item 5: an invitee refused for seats is told who invited them."""

import re

import stack
from identity_client import customer, operator_signin
from test_identity import OPS_PASSWORD, PASSWORD, IdentityBase

MAX = 5
NEW_PW = PASSWORD + "x"     # the password first_signin leaves


def text_of(msg):
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


class AccountStateTests(IdentityBase):
    extra_config = dict(IdentityBase.extra_config, login_window_s="300",
                        login_max_failures_account=str(MAX), login_max_failures_addr="100000")

    def org(self):
        """A customer with a named admin (signed in) and a member who has signed in once."""
        cust = self.new_customer()
        name = self.uniq("boss")
        r = self.ops_client.call("POST", "/users", {"customer": cust["slug"], "username": name,
                                                     "email": f"{name}@example.test", "display_name": "Ada Boss",
                                                     "role": "customer_admin", "password": PASSWORD})
        self.assertEqual(r.status, 201, r)
        admin = self.first_signin(name)
        member = self.new_user(cust)["user"]
        m = self.first_signin(member["username"])
        return cust, r.json["user"], admin, member, m

    def sign_in(self, login, password, ip="127.0.0.5"):
        return customer(self.st, source_ip=ip).call("POST", "/session", {"login": login, "password": password})

    def assertPlainFailure(self, r):
        """The answer every failed sign-in got before issue 16: nothing about the account."""
        self.assertEqual((r.status, r.code), (401, "unauthenticated"), r)
        self.assertEqual(set(r.json["error"]), {"code", "message", "request_id"}, r)
        self.assertEqual(r.json["error"]["message"], "The sign-in details are not correct.")

    def assertState(self, r, state, boss):
        self.assertEqual((r.status, r.code), (401, "unauthenticated"), r)
        err = r.json["error"]
        self.assertEqual(err["account_status"], state, r)
        self.assertEqual(err["admins"], [{"name": "Ada Boss", "email": boss["email"]}])
        self.assertIn(boss["email"], err["message"])
        self.assertIn("suspended" if state == "suspended" else "removed", err["message"])
        return err

    def test_suspended_user_is_told_only_with_the_right_password(self):
        cust, boss, admin, member, _ = self.org()
        self.assertEqual(admin.call("POST", f"/users/{member['id']}/suspend").status, 200)
        self.assertPlainFailure(self.sign_in(member["username"], "Wrong-Password-123"))
        self.assertPlainFailure(self.sign_in("nobody-" + member["username"], NEW_PW))
        self.assertState(self.sign_in(member["username"], NEW_PW), "suspended", boss)
        self.assertState(self.sign_in(member["email"].upper(), NEW_PW), "suspended", boss)

    def test_removed_user_is_told_removed(self):
        cust, boss, admin, member, _ = self.org()
        self.assertEqual(self.ops_client.call("DELETE", f"/users/{member['id']}").status, 200)
        self.assertPlainFailure(self.sign_in(member["username"], "Wrong-Password-123"))
        err = self.assertState(self.sign_in(member["username"], NEW_PW), "deactivated", boss)
        self.assertIn("has been removed", err["message"])

    def test_state_answers_still_count_and_lock(self):
        cust, boss, admin, member, _ = self.org()
        self.assertEqual(admin.call("POST", f"/users/{member['id']}/suspend").status, 200)
        for _ in range(MAX - 1):
            self.assertState(self.sign_in(member["username"], NEW_PW), "suspended", boss)
        self.assertState(self.sign_in(member["username"], NEW_PW), "suspended", boss)
        r = self.sign_in(member["username"], NEW_PW)
        self.assertEqual((r.status, r.code), (429, "rate_limited"), r)
        # Locked now even once reactivated: the lock is the account's, whatever its state was.
        self.assertEqual(admin.call("POST", f"/users/{member['id']}/activate").status, 200)
        self.assertEqual(self.sign_in(member["username"], NEW_PW).status, 429)

    def test_session_ended_by_suspension_says_why(self):
        cust, boss, admin, member, m = self.org()
        self.assertEqual(m.call("GET", "/session").status, 200)
        self.assertEqual(admin.call("POST", f"/users/{member['id']}/suspend").status, 200)
        self.assertState(m.call("GET", "/session"), "suspended", boss)
        self.assertState(m.call("GET", "/checklist"), "suspended", boss)
        # Reactivated: the old session stays ended (plain 401), a new sign-in works.
        self.assertEqual(admin.call("POST", f"/users/{member['id']}/activate").status, 200)
        r = m.call("GET", "/session")
        self.assertEqual((r.status, r.code), (401, "unauthenticated"), r)
        self.assertNotIn("account_status", r.json["error"])
        self.assertEqual(self.sign_in(member["username"], NEW_PW, ip="127.0.0.6").status, 200)

    def test_session_ended_by_removal_says_removed(self):
        cust, boss, admin, member, m = self.org()
        self.assertEqual(self.ops_client.call("DELETE", f"/users/{member['id']}").status, 200)
        self.assertState(m.call("GET", "/members"), "deactivated", boss)

    def wait_mail(self, to):
        stack.wait_for(lambda: [x for x in self.st.mails() if x["To"] == to], 20, f"a mail to {to}")
        return [x for x in self.st.mails() if x["To"] == to]

    def test_forgot_password_mails_the_explanation_and_no_link(self):
        cust, boss, admin, member, _ = self.org()
        gone = self.new_user(cust)["user"]
        self.assertEqual(admin.call("POST", f"/users/{member['id']}/suspend").status, 200)
        self.assertEqual(self.ops_client.call("DELETE", f"/users/{gone['id']}").status, 200)
        for u in (member, gone):
            r = customer(self.st).call("POST", "/password-resets", {"email": u["email"]})
            self.assertEqual(r.status, 202, r)
        for u, said in ((member, "is suspended"), (gone, "has been removed")):
            mails = self.wait_mail(u["email"])
            self.assertEqual(len(mails), 1)
            text = text_of(mails[0])
            self.assertIn(said, text)
            self.assertIn(f"Ada Boss ({boss['email']})", text)
            self.assertNotIn("token=", text)
            self.assertIsNone(re.search(r"reset-password", text))
        self.assertEqual(self.sql("SELECT COUNT(*) FROM password_resets WHERE user_id IN "
                                  f"({member['id']}, {gone['id']})").split()[-1], "0")

    def test_removed_operator_is_told_and_its_session_ends_with_the_reason(self):
        name = self.uniq("op")
        r = self.ops_client.call("POST", "/operators", {"username": name, "email": f"{name}@vendor.example",
                                                         "password": OPS_PASSWORD})
        self.assertEqual(r.status, 201, r)
        op = self.op_signin(name, OPS_PASSWORD)
        self.assertEqual(self.ops_client.call("DELETE", f"/operators/{r.json['operator']['id']}").status, 204)
        r2 = op.call("GET", "/session")
        self.assertEqual((r2.status, r2.code, r2.json["error"].get("account_status")),
                         (401, "unauthenticated", "deactivated"), r2)
        _, wrong = operator_signin(self.st, name, "Wrong-Password-123", code="000000", enroll=False)
        self.assertEqual((wrong.status, wrong.json["error"]["message"]),
                         (401, "The sign-in details are not correct."), wrong)
        self.assertNotIn("account_status", wrong.json["error"])
        _, right = operator_signin(self.st, name, OPS_PASSWORD, code="000000", enroll=False)
        self.assertEqual((right.status, right.json["error"].get("account_status")), (401, "deactivated"), right)
        self.assertIn("removed", right.json["error"]["message"])


class InviteSeatsTests(IdentityBase):
    def test_invitee_refused_for_seats_is_told_who_invited_them(self):
        cust = self.new_customer(seats=1)
        name = self.uniq("boss")
        r = self.ops_client.call("POST", "/users", {"customer": cust["slug"], "username": name,
                                                     "email": f"{name}@example.test", "display_name": "Ada Boss",
                                                     "role": "customer_admin", "password": PASSWORD})
        admin = self.first_signin(name)
        email = f"{self.uniq('new')}@example.test"
        # The admin holds the only seat; an invite is still allowed (it takes no seat until accepted).
        self.assertEqual(admin.call("POST", "/invites", {"email": email, "role": "customer_member"}).status, 201)
        stack.wait_for(lambda: [m for m in self.st.mails() if m["To"] == email], 20, f"a mail to {email}")
        msg = [m for m in self.st.mails() if m["To"] == email][0]
        token = re.search(r"/invite#token=([A-Za-z0-9_-]{43})", text_of(msg)).group(1)
        r2 = customer(self.st).call("POST", "/invite-acceptances",
                                    {"token": token, "username": self.uniq("late"), "password": NEW_PW})
        self.assertEqual((r2.status, r2.code), (409, "conflict"), r2)
        self.assertIn("inviter", r2.json["error"], r2)
        self.assertEqual(r2.json["error"]["inviter"], {"name": "Ada Boss", "email": r.json["user"]["email"]})
        self.assertIn("Ada Boss", r2.json["error"]["message"])
        self.assertIn("who invited you", r2.json["error"]["message"])
        self.assertNotIn("operator", r2.json["error"]["message"])
