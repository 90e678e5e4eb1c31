"""Seats over the limit (issue 11, finding 15): a dormant user who signs in at a full seat limit
becomes active, and the customer is then over its limit.  The members view, the operator customer
view and the dashboard show it, the sign-in is audited, and invites, acceptances and activations
are refused until the customer is back within its limit."""

import re

from identity_client import customer
from test_identity import PASSWORD, IdentityBase
from test_invites import NEW_PW


class SeatOverageTests(IdentityBase):
    def over_count(self):
        r = self.ops_client.call("GET", "/dashboard")
        self.assertEqual(r.status, 200, r)
        return r.json["customers_over_seat_limit"]

    def test_dormant_sign_in_at_the_limit_is_shown_audited_and_blocks_growth(self):
        cust = self.new_customer(seats=2)
        admin = self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])
        self.first_signin(self.new_user(cust)["user"]["username"])                      # 2 of 2
        dormant = self.new_user(cust)["user"]                                            # never seen
        idle = self.new_user(cust)["user"]
        self.assertEqual(admin.call("POST", f"/users/{idle['id']}/suspend").status, 200)
        # An invite made while within the limit, to be accepted later.
        email = f"{self.uniq('later')}@{cust['slug']}.example"
        self.assertEqual(admin.call("POST", "/invites", {"email": email, "role": "customer_member"}).status, 201)
        over_before = self.over_count()
        self.assertEqual(admin.call("GET", "/members").json["seats"], {"used": 2, "limit": 2, "over_by": 0})

        # Signing in makes the dormant user active although every seat is taken: 3 of 2.
        r = customer(self.st).call("POST", "/session", {"login": dormant["username"], "password": PASSWORD})
        self.assertEqual((r.status, r.json["user"]["status"]), (200, "active"), r)
        over = {"used": 3, "limit": 2, "over_by": 1}
        self.assertEqual(admin.call("GET", "/members").json["seats"], over)
        self.assertEqual(self.ops_client.call("GET", f"/customers/{cust['id']}").json["seats"], over)
        self.assertEqual(self.over_count(), over_before + 1)
        audit = self.ops_client.call("GET", f"/audit?customer={cust['id']}").json["entries"]
        rows = [e for e in audit if e["action"] == "seats.over_limit"]
        self.assertEqual([(e["actor"], e["object_type"], e["object_id"], e["after"]) for e in rows],
                         [(dormant["username"], "user", dormant["id"], {"used": 3, "limit": 2})])

        # While over: no new invites, no acceptance, no activation in either realm or the CLI.
        r = admin.call("POST", "/invites", {"email": f"x@{cust['slug']}.example", "role": "customer_member"})
        self.assertEqual((r.status, r.code), (409, "conflict"), r)
        self.assertIn("the seat limit is 2", r.json["error"]["message"])
        token = self.invite_token(email)
        r = customer(self.st).call("POST", "/invite-acceptances",
                                   {"token": token, "username": self.uniq("late"), "password": NEW_PW})
        self.assertEqual((r.status, r.code), (409, "conflict"), r)
        # Issue 16: the invitee is told whom to ask (the inviting admin), not the admins' seat sentence.
        self.assertIn("who invited you", r.json["error"]["message"])
        self.assertEqual(r.json["error"]["inviter"]["email"], admin.call("GET", "/session").json["user"]["email"])
        # idle never signed in, so activating it would not even take a seat: still refused while over.
        r = admin.call("POST", f"/users/{idle['id']}/activate")
        self.assertEqual((r.status, r.code), (409, "conflict"), r)
        self.assertIn("the seat limit is 2", r.json["error"]["message"])
        r = self.ops_client.call("POST", f"/users/{idle['id']}/activate")
        self.assertEqual((r.status, r.code), (409, "conflict"), r)
        r = self.st.ctl("users", "activate", idle["username"], "--yes", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("seat limit is 2", r.stderr)

        # A second sign-in of an active user is no new overage: one audit row only.
        customer(self.st).call("POST", "/session", {"login": dormant["username"], "password": PASSWORD})
        audit = self.ops_client.call("GET", f"/audit?customer={cust['id']}").json["entries"]
        self.assertEqual(len([e for e in audit if e["action"] == "seats.over_limit"]), 1)

        # Back within the limit (an operator raises it): everything works again.
        self.assertEqual(self.ops_client.call("PATCH", f"/customers/{cust['id']}", {"seat_limit": 3}).status, 200)
        self.assertEqual(admin.call("GET", "/members").json["seats"], {"used": 3, "limit": 3, "over_by": 0})
        self.assertEqual(self.over_count(), over_before)
        self.assertEqual(admin.call("POST", f"/users/{idle['id']}/activate").status, 200)
        r = admin.call("POST", "/invites", {"email": f"y@{cust['slug']}.example", "role": "customer_member"})
        self.assertEqual(r.status, 201, r)

    def invite_token(self, email):
        import stack
        stack.wait_for(lambda: [m for m in self.st.mails() if m["To"] == email], 20, f"a mail to {email}")
        msg = [m for m in self.st.mails() if m["To"] == email][0]
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                return re.search(r"/invite#token=([A-Za-z0-9_-]{43})", part.get_payload(decode=True).decode()).group(1)
        raise AssertionError("no text part")
