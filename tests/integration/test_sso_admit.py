"""Who gets in through single sign-on, with which role (issue 13, point 8), driven through the
test_mode-only seam POST /api/v1/test/sso-admissions, which runs sso_admit on a configuration and a
verified identity exactly as the OIDC callback does after verifying an ID token: invites accepted
through SSO, the identity-mismatch guidance, users created for a group, refusals, role sync, the
last admin kept, suspended and deactivated users, domains, unverified emails, linking a password
user, seats, and the link surviving an email change at the IdP."""

from identity_client import customer
from test_invites import InviteBase

ISSUER = "https://idp.fixture.test"


class SsoAdmitBase(InviteBase):
    _sub = 0

    def config(self, cust, **kw):
        cfg = {"issuer": ISSUER, "email_domains": [f"{cust['slug']}.example", "example.test"],
               "admin_groups": ["onramp-admins"], "member_groups": ["onramp-users"], "test_users": []}
        cfg.update(kw)
        return cfg

    def sub(self):
        SsoAdmitBase._sub += 1
        return f"sub-{SsoAdmitBase._sub}-{self.uniq('s')}"

    def admit(self, cust, sub, email, verified=True, groups=None, token=None, cfg=None, username=None):
        ident = {"sub": sub, "email": email, "issuer": ISSUER}
        if verified is not None:
            ident["email_verified"] = verified
        if groups is not None:
            ident["groups"] = groups
        if username:
            ident["username"] = username
        body = {"customer_id": int(cust["id"]), "config": cfg or self.config(cust), "identity": ident}
        if token:
            body["invite_token"] = token
        return customer(self.st).call("POST", "/test/sso-admissions", body)

    def ok(self, r):
        self.assertEqual(r.status, 200, r)
        return r.json["user"]

    def refused(self, r, status, code):
        self.assertEqual((r.status, r.code), (status, code), r)
        self.assertEqual(r.json["error"]["request_id"], r.headers["x-request-id"])
        return r.json["error"]["message"]

    def email(self, cust, prefix="u"):
        return f"{self.uniq(prefix)}@{cust['slug']}.example"

    def audit(self, cust, action):
        r = self.ops_client.call("GET", f"/audit?customer={cust['id']}")
        self.assertEqual(r.status, 200, r)
        return [e for e in r.json["entries"] if e["action"] == action]

    def users_with(self, email):
        return int(self.sql(f"SELECT COUNT(*) FROM users WHERE email = '{email}'").split()[-1])


class SsoInviteTests(SsoAdmitBase):
    def test_invite_accepted_through_sso_with_its_role(self):
        cust, admin = self.admin_of_new_customer()
        email = self.email(cust, "inv")
        self.invite(admin, email, "customer_admin")
        # In no group at all: the invite alone lets the user in, with the invite's role.
        u = self.ok(self.admit(cust, self.sub(), email.upper(), groups=["staff"]))
        self.assertEqual((u["email"], u["role"], u["login_type"], u["status"]),
                         (email, "customer_admin", "oidc", "active"))
        shown = [i for i in self.members(admin)["invites"] if i["email"] == email][0]
        self.assertEqual((shown["status"], shown["accepted_by"]), ("accepted", u["username"]))
        self.assertEqual(len(self.audit(cust, "invite.accept")), 1)
        self.assertEqual(len(self.audit(cust, "user.sso_link")), 1)

    def test_invite_link_opened_under_another_identity_gets_guidance_and_stays_usable(self):
        cust, admin = self.admin_of_new_customer()
        email = self.email(cust, "mm")
        self.invite(admin, email)
        token = self.token_in(self.wait_for_mails(email)[0])
        other = self.email(cust, "other")
        msg = self.refused(self.admit(cust, self.sub(), other, token=token), 403, "identity_mismatch")
        self.assertIn("Sign out of your identity provider", msg)
        self.assertEqual(self.users_with(other), 0)
        # The invite is still pending: the invited identity accepts it through SSO, with the token.
        u = self.ok(self.admit(cust, self.sub(), email, token=token))
        self.assertEqual((u["email"], u["role"]), (email, "customer_member"))
        # Used now: the same token is gone.
        self.refused(self.admit(cust, self.sub(), email, token=token), 410, "gone")

    def test_invite_token_still_works_with_a_password_after_a_mismatch(self):
        cust, admin = self.admin_of_new_customer()
        email = self.email(cust, "pw")
        self.invite(admin, email)
        token = self.token_in(self.wait_for_mails(email)[0])
        self.refused(self.admit(cust, self.sub(), self.email(cust, "x"), token=token), 403, "identity_mismatch")
        self.assertEqual(self.accept(token, self.uniq("pw"))[1].status, 201)


class SsoGroupTests(SsoAdmitBase):
    def test_created_for_the_admin_group_and_for_the_member_group(self):
        cust = self.new_customer()
        a = self.ok(self.admit(cust, self.sub(), self.email(cust, "adm"), groups=["onramp-users", "onramp-admins"],
                               username="Ada.Admin"))
        self.assertEqual((a["role"], a["login_type"], a["status"], a["username"]),
                         ("customer_admin", "oidc", "active", "ada.admin"))
        m = self.ok(self.admit(cust, self.sub(), self.email(cust, "mem"), groups=["onramp-users"]))
        self.assertEqual(m["role"], "customer_member")
        self.assertEqual(len(self.audit(cust, "user.sso_create")), 2)
        # A taken username gets a suffix instead of failing.
        n = self.ok(self.admit(cust, self.sub(), self.email(cust, "mem2"), groups=["onramp-users"], username="ada.admin"))
        self.assertEqual(n["username"], "ada.admin-2")

    def test_refused_without_invite_or_group(self):
        cust = self.new_customer()
        email = self.email(cust, "nobody")
        msg = self.refused(self.admit(cust, self.sub(), email, groups=["staff"]), 403, "sso_not_invited")
        self.assertIn("Ask your customer admin to invite you or to add you to one of the groups onramp maps", msg)
        msg = self.refused(self.admit(cust, self.sub(), email), 403, "sso_not_invited")
        self.assertEqual(self.users_with(email), 0)

    def test_role_follows_the_groups_up_and_down(self):
        cust = self.new_customer()
        self.ok(self.admit(cust, self.sub(), self.email(cust, "boss"), groups=["onramp-admins"]))   # another admin
        sub, email = self.sub(), self.email(cust, "sync")
        self.assertEqual(self.ok(self.admit(cust, sub, email, groups=["onramp-users"]))["role"], "customer_member")
        self.assertEqual(self.ok(self.admit(cust, sub, email, groups=["onramp-admins"]))["role"], "customer_admin")
        # No groups claim says nothing about roles: unchanged.
        self.assertEqual(self.ok(self.admit(cust, sub, email))["role"], "customer_admin")
        # No admin group configured: nobody could become admin, so nobody is demoted either.
        cfg = self.config(cust, admin_groups=[])
        self.assertEqual(self.ok(self.admit(cust, sub, email, groups=["onramp-users"], cfg=cfg))["role"],
                         "customer_admin")
        # Losing the admin group: member again (the other admin remains).
        self.assertEqual(self.ok(self.admit(cust, sub, email, groups=["onramp-users"]))["role"], "customer_member")
        changes = [(e["before"]["role"], e["after"]["role"]) for e in self.audit(cust, "user.role_change")]
        self.assertEqual(sorted(changes), sorted([("customer_member", "customer_admin"),
                                                  ("customer_admin", "customer_member")]))

    def test_last_admin_is_never_demoted(self):
        cust = self.new_customer()
        sub, email = self.sub(), self.email(cust, "last")
        self.assertEqual(self.ok(self.admit(cust, sub, email, groups=["onramp-admins"]))["role"], "customer_admin")
        # The only active admin loses the admin group at the IdP: still admin, and the sign-in goes on.
        self.assertEqual(self.ok(self.admit(cust, sub, email, groups=["onramp-users"]))["role"], "customer_admin")
        self.assertEqual(self.audit(cust, "user.role_change"), [])
        # With a second admin it can go.
        self.ok(self.admit(cust, self.sub(), self.email(cust, "second"), groups=["onramp-admins"]))
        self.assertEqual(self.ok(self.admit(cust, sub, email, groups=["onramp-users"]))["role"], "customer_member")

    def test_seat_limit_refuses_a_new_user_with_the_seat_message(self):
        cust = self.new_customer(seats=1)
        first = self.ok(self.admit(cust, self.sub(), self.email(cust, "one"), groups=["onramp-users"]))
        self.assertEqual(first["status"], "active")
        email = self.email(cust, "two")
        msg = self.refused(self.admit(cust, self.sub(), email, groups=["onramp-users"]), 409, "sso_seat_limit")
        self.assertIn("seat limit is 1", msg)
        self.assertEqual(self.users_with(email), 0)


class SsoRefusalTests(SsoAdmitBase):
    def test_suspended_and_deactivated_users_are_refused(self):
        cust = self.new_customer()
        sub, email = self.sub(), self.email(cust, "sus")
        u = self.ok(self.admit(cust, sub, email, groups=["onramp-users"]))
        self.assertEqual(self.ops_client.call("POST", f"/users/{u['id']}/suspend").status, 200)
        msg = self.refused(self.admit(cust, sub, email, groups=["onramp-users"]), 403, "sso_suspended")
        self.assertIn("Your account is suspended", msg)
        self.assertEqual(self.ops_client.call("POST", f"/users/{u['id']}/activate").status, 200)
        self.ok(self.admit(cust, sub, email, groups=["onramp-users"]))
        self.assertEqual(self.ops_client.call("DELETE", f"/users/{u['id']}").status, 200)
        msg = self.refused(self.admit(cust, sub, email, groups=["onramp-users"]), 403, "sso_deactivated")
        self.assertIn("deactivated", msg)

    def test_domain_outside_the_list_is_refused(self):
        cust = self.new_customer()
        email = f"{self.uniq('out')}@elsewhere.example"
        msg = self.refused(self.admit(cust, self.sub(), email, groups=["onramp-admins"]), 403, "sso_domain")
        self.assertIn("elsewhere.example is not one of this organisation's expected domains", msg)
        self.assertEqual(self.users_with(email), 0)

    def test_unverified_email_is_refused(self):
        cust = self.new_customer()
        email = self.email(cust, "unv")
        msg = self.refused(self.admit(cust, self.sub(), email, verified=False, groups=["onramp-admins"]), 403,
                           "sso_email_unverified")
        self.assertIn("not verified", msg)
        self.assertEqual(self.users_with(email), 0)
        # Absent email_verified is no refusal for a new user (a warning in the verdict).
        r = self.admit(cust, self.sub(), email, verified=None, groups=["onramp-users"])
        self.ok(r)
        check = [c for c in r.json["verdict"]["checks"] if c["key"] == "email_verified"][0]
        self.assertEqual((check["ok"], check["severity"]), (False, "warning"))

    def test_existing_password_user_is_linked_only_when_the_email_is_verified(self):
        cust = self.new_customer()
        known = self.new_user(cust)["user"]                 # made by an operator, never signed in: dormant
        self.assertEqual(known["status"], "dormant")
        sub = self.sub()
        msg = self.refused(self.admit(cust, sub, known["email"], verified=None), 403, "sso_unverified_link")
        self.assertIn("will not link", msg)
        self.assertEqual(self.sql(f"SELECT COUNT(*) FROM user_identities WHERE user_id = {known['id']}").split()[-1], "0")
        u = self.ok(self.admit(cust, sub, known["email"], verified=True))
        self.assertEqual((u["id"], u["login_type"], u["status"]), (known["id"], "password", "active"))
        self.assertEqual(self.ok(self.admit(cust, sub, known["email"]))["id"], known["id"])

    def test_email_of_another_organisation_is_refused(self):
        cust, other = self.new_customer(), self.new_customer()
        known = self.new_user(other)["user"]
        self.refused(self.admit(cust, self.sub(), known["email"], groups=["onramp-users"]), 409, "sso_email_in_use")


class SsoLinkTests(SsoAdmitBase):
    def test_second_sign_in_finds_the_link_after_the_email_changed_at_the_idp(self):
        cust = self.new_customer()
        sub = self.sub()
        u = self.ok(self.admit(cust, sub, self.email(cust, "before"), groups=["onramp-users"]))
        # New address at the IdP, in no group any more: the subject still names the same user.
        again = self.ok(self.admit(cust, sub, self.email(cust, "after"), groups=[]))
        self.assertEqual(again["id"], u["id"])
        self.assertEqual(len(self.audit(cust, "user.sso_create")), 1)
        # The same subject from another issuer is another identity (and here nobody).
        cfg = self.config(cust)
        r = customer(self.st).call("POST", "/test/sso-admissions", {
            "customer_id": int(cust["id"]), "config": cfg,
            "identity": {"sub": sub, "email": self.email(cust, "x"), "email_verified": True,
                         "issuer": ISSUER + "/other", "groups": []}})
        self.refused(r, 403, "sso_not_invited")

    def test_the_link_belongs_to_one_customer(self):
        cust, other = self.new_customer(), self.new_customer()
        sub = self.sub()
        u = self.ok(self.admit(cust, sub, self.email(cust, "one"), groups=["onramp-users"]))
        v = self.ok(self.admit(other, sub, self.email(other, "two"), groups=["onramp-users"]))
        self.assertNotEqual(u["id"], v["id"])
