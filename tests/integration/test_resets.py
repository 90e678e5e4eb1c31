"""One-time links through nginx, the mailer and the real SMTP sink (issue 11, findings 9, 17, 18):
forgot-password does the same work for every address and is limited per client address (429) and,
silently, per account; only the newest reset link works; no token reaches any log; a mail the
mailer gives up on is blanked and its link stops working."""

import contextlib
import email
import hashlib
import os
import re
import socket
import subprocess
import time

import stack
from harness import ROOT, Env, sanitizer_reports
from identity_client import customer
from test_identity import PASSWORD, IdentityBase

NEW_PW = "Quartz-Meadow-Lantern-58"
REQUESTS_PER_ADDR = 20      # default reset_requests_per_addr
MAILS_PER_ACCOUNT = 3       # default reset_mails_per_account


def text_of(msg):
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def link_token(msg, page):
    return re.search(rf"/{page}#token=([A-Za-z0-9_-]{{43}})", text_of(msg)).group(1)


class ResetBase(IdentityBase):
    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        # The mailer decides reset requests now: its log must be as clean as the app's (LSan reports at exit).
        reports = sanitizer_reports(cls.st.mailer_log) if cls.st else []
        if reports:
            raise AssertionError("sanitizer reports in the mailer log:\n" + "\n".join(reports[:20]))

    def mails_to(self, to):
        return [m for m in self.st.mails() if m["To"] == to]

    def wait_for_mails(self, to, count=1, timeout=20):
        stack.wait_for(lambda: len(self.mails_to(to)) >= count, timeout, f"{count} mail(s) to {to}")
        return self.mails_to(to)

    def settled(self, to):
        """Nothing left for the mailer: no queued request, no pending mail to this address."""
        out = self.sql("SELECT (SELECT COUNT(*) FROM reset_requests) + "
                       f"(SELECT COUNT(*) FROM outbox WHERE to_addr = '{to}' AND state = 'pending')")
        return out.split()[-1] == "0"

    def reset_id(self, token):
        """The password_resets row of a token, found by its SHA-256 (computed here, not by the app)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        return int(self.sql(f"SELECT id FROM password_resets WHERE token_hash = '{digest}'").split()[-1])

    def redeem(self, token, password=NEW_PW, **kw):
        return customer(self.st, **kw).call("POST", f"/password-resets/{token}", {"new_password": password})

    def table_counts(self):
        tables = self.sql("SELECT table_name FROM information_schema.tables "
                          f"WHERE table_schema = '{self.st.db_name}' AND table_type = 'BASE TABLE'").split()[1:]
        out = self.sql(" UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM `{t}`" for t in tables))
        return {t: int(n) for t, n in (line.split("\t") for line in out.splitlines()[1:])}


def delta(before, after):
    return {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}


class ForgotPasswordTests(ResetBase):
    def test_flood_is_limited_per_address_and_per_account(self):
        u = self.new_user(self.new_customer())["user"]
        c = customer(self.st, source_ip="127.0.0.3")
        t0 = time.monotonic()
        rs = [c.call("POST", "/password-resets", {"email": u["email"]}) for _ in range(30)]
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual([r.status for r in rs], [202] * REQUESTS_PER_ADDR + [429] * (30 - REQUESTS_PER_ADDR))
        self.assertEqual(rs[-1].code, "rate_limited")
        self.assertTrue(0 < int(rs[-1].headers["retry-after"]) <= 3600, rs[-1].headers)
        # The address limit answers the same for an address no account uses: nothing is revealed.
        r = c.call("POST", "/password-resets", {"email": "nobody.at.all@example.test"})
        self.assertEqual((r.status, r.json["error"]["message"]), (429, rs[-1].json["error"]["message"]))
        # Another client address is not limited; its request reaches the (silent) account limit.
        self.assertEqual(customer(self.st, source_ip="127.0.0.4").call(
            "POST", "/password-resets", {"email": u["email"]}).status, 202)
        stack.wait_for(lambda: self.settled(u["email"]), 30, "the mailer to work through the queue")
        mails = self.mails_to(u["email"])
        self.assertEqual(len(mails), MAILS_PER_ACCOUNT)
        tokens = sorted((link_token(m, "reset-password") for m in mails), key=self.reset_id)
        # Only the newest link works: each new one revoked the ones before it.
        for t in tokens[:-1]:
            self.assertEqual((self.redeem(t).status), 410)
        self.assertEqual(self.redeem(tokens[-1]).status, 204)
        self.signed_in(u["username"], NEW_PW)

    def test_known_and_unknown_addresses_do_the_same_work(self):
        u = self.new_user(self.new_customer())["user"]
        c = customer(self.st, source_ip="127.0.0.5")
        self.st.stop_mailer()
        try:
            # A first request from this address, so both measured ones find its counter in place.
            self.assertEqual(c.call("POST", "/password-resets", {"email": "warm.up@example.test"}).status, 202)
            before = self.table_counts()
            known = c.call("POST", "/password-resets", {"email": u["email"]})
            middle = self.table_counts()
            unknown = c.call("POST", "/password-resets", {"email": "no.such.account@example.test"})
            after = self.table_counts()
        finally:
            self.st.start_mailer()
        self.assertEqual((known.status, unknown.status), (202, 202))
        self.assertEqual(known.json, unknown.json)
        # Both write exactly one queue row and nothing else; the mailer decides later.
        self.assertEqual(delta(before, middle), delta(middle, after))
        self.assertEqual(delta(before, middle), {"reset_requests": 1})
        token = link_token(self.wait_for_mails(u["email"])[0], "reset-password")
        audit = self.sql("SELECT action, actor_label, client_addr FROM audit_log "
                         f"WHERE action LIKE 'user.password_reset%' AND object_id = '{u['id']}'")
        self.assertIn("user.password_reset_requested\tanonymous request\t127.0.0.5", audit)
        self.assertEqual(self.redeem(token).status, 204)

    def test_a_new_link_revokes_the_older_ones(self):
        u = self.new_user(self.new_customer())["user"]
        anon = customer(self.st, source_ip="127.0.0.6")
        self.assertEqual(anon.call("POST", "/password-resets", {"email": u["email"]}).status, 202)
        mailed = link_token(self.wait_for_mails(u["email"])[0], "reset-password")
        r = self.ops_client.call("POST", f"/users/{u['id']}/reset-password-link")
        self.assertEqual(r.status, 201, r)
        given = r.json["reset_link"].split("#token=")[1]
        self.assertEqual(self.redeem(mailed).status, 410)          # the operator's link replaced it
        self.assertEqual(anon.call("POST", "/password-resets", {"email": u["email"]}).status, 202)
        mailed2 = link_token(self.wait_for_mails(u["email"], 2)[-1], "reset-password")
        self.assertEqual(self.redeem(given).status, 410)           # and the next mail replaced that one
        self.assertEqual(self.redeem(mailed2).status, 204)


class TokenLogTests(ResetBase):
    """Every one-time token of every flow, looked for in every log the stack writes."""

    def logs(self):
        return [os.path.join(self.st.log_dir, n) for n in sorted(os.listdir(self.st.log_dir))] + [Env.db.logfile]

    def assertInNoLog(self, tokens):
        for path in self.logs():
            if not os.path.exists(path):
                continue
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()
            if path == self.general_log:
                # The general log records every statement with its values, so it shows the mail
                # bodies queued in the outbox (docs/operations.md: keep it off).  Everything else
                # the app sends MariaDB carries a token's SHA-256 only.
                lines = [line for line in lines if "INSERT INTO outbox" not in line]
            text = "\n".join(lines)
            for kind, t in tokens:
                self.assertNotIn(t, text, f"{kind} token in {path}")

    @contextlib.contextmanager
    def general_log_on(self):
        """MariaDB's general log (every statement with its values) for the duration of the flows."""
        self.general_log = os.path.join(self.st.log_dir, "mariadb-general.log")
        open(self.general_log, "a").close()
        os.chmod(self.general_log, 0o666)
        Env.db.sql(f"SET GLOBAL general_log_file = '{self.general_log}'; SET GLOBAL general_log = ON")
        try:
            yield
        finally:
            Env.db.sql("SET GLOBAL general_log = OFF")

    def test_no_token_in_any_log(self):
        tokens = []
        with self.general_log_on():
            self.path_form_flows(tokens)
            self.invite_flows(tokens)
            self.assertInNoLog(tokens)
            self.body_form_flows(tokens)
        self.assertGreater(os.path.getsize(self.general_log), 0)
        self.assertInNoLog(tokens)
        self.assertEqual(len(tokens), 8)

    def self_reset(self, u, n):
        r = customer(self.st).call("POST", "/password-resets", {"email": u["email"]})
        self.assertEqual(r.status, 202)
        return link_token(self.wait_for_mails(u["email"], n)[-1], "reset-password")

    def path_form_flows(self, tokens):
        """The contract's POST /password-resets/{token}, with bodies nginx would buffer or refuse."""
        u = self.new_user(self.new_customer())["user"]
        t = self.self_reset(u, 1)
        tokens.append(("reset (path, large body)", t))
        padded = b'{"new_password": "' + NEW_PW.encode() + b'"' + b" " * 40000 + b"}"
        r = customer(self.st).call("POST", f"/password-resets/{t}", raw=padded,
                                   headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 204, r)
        t = self.self_reset(u, 2)
        tokens.append(("reset (path, too large)", t))
        r = customer(self.st).call("POST", f"/password-resets/{t}", raw=b"{" + b" " * (1100 * 1024) + b"}",
                                   headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 413)
        self.assertEqual(self.redeem(t, NEW_PW + "2").status, 204)
        self.assertEqual(self.redeem(t, NEW_PW + "3").status, 410)

    def invite_flows(self, tokens):
        cust = self.new_customer()
        admin = self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])
        addr = f"{self.uniq('inv')}@{cust['slug']}.example"
        r = admin.call("POST", "/invites", {"email": addr, "role": "customer_member"})
        self.assertEqual(r.status, 201, r)
        first = link_token(self.wait_for_mails(addr)[0], "invite")
        self.assertEqual(admin.call("POST", f"/invites/{r.json['invite']['id']}/resend").status, 200)
        second = link_token(self.wait_for_mails(addr, 2)[-1], "invite")
        tokens += [("invite (replaced)", first), ("invite", second)]
        anon = customer(self.st)
        self.assertEqual(anon.call("POST", "/invite-lookups", {"token": first}).status, 410)
        self.assertEqual(anon.call("POST", "/invite-lookups", {"token": second}).status, 200)
        r = anon.call("POST", "/invite-acceptances", {"token": second, "username": self.uniq("in"), "password": NEW_PW})
        self.assertEqual(r.status, 201, r)
        slug = self.uniq("sgn")
        r = self.ops_client.call("POST", "/customers", {"slug": slug, "name": f"{slug} AG",
                                                        "admin_email": f"boss@{slug}.example"})
        self.assertEqual(r.status, 201, r)
        signup = r.json["admin_invite_link"].split("#token=", 1)[1]
        tokens.append(("admin signup", signup))
        r = customer(self.st).call("POST", "/invite-acceptances", {"token": signup, "username": self.uniq("bs"),
                                                                   "password": NEW_PW, "email": f"boss@{slug}.example"})
        self.assertEqual(r.status, 201, r)

    def body_form_flows(self, tokens):
        """What the console sends: the token in the body of POST /password-resets/redeem."""
        u = self.new_user(self.new_customer())["user"]
        t = self.self_reset(u, 1)
        tokens.append(("reset (body)", t))
        anon = customer(self.st)
        r = anon.call("POST", "/password-resets/redeem", {"token": t, "new_password": "password"})
        self.assertEqual((r.status, r.json["error"]["fields"][0]["field"]), (422, "new_password"))
        self.assertEqual(anon.call("POST", "/password-resets/redeem", {"token": t, "new_password": NEW_PW}).status, 204)
        self.assertEqual(anon.call("POST", "/password-resets/redeem", {"token": t, "new_password": NEW_PW}).status, 410)
        r = self.ops_client.call("POST", f"/users/{u['id']}/reset-password-link")
        given = r.json["reset_link"].split("#token=")[1]
        tokens.append(("reset (operator link)", given))
        r = anon.call("POST", "/password-resets/redeem", {"token": given, "new_password": NEW_PW + "x"})
        self.assertEqual(r.status, 204, r)
        tokens.append(("reset (never issued)", "B" * 43))
        self.assertEqual(anon.call("POST", "/password-resets/redeem", {"token": "B" * 43, "new_password": NEW_PW}).status, 410)
        self.assertEqual(anon.call("POST", "/password-resets/redeem", {"new_password": NEW_PW}).status, 422)


class FailedMailTests(ResetBase):
    @contextlib.contextmanager
    def refusing_sink(self):
        """Swap the sink for one that reads each message and answers 554 (a permanent failure)."""
        outdir = os.path.join(self.st.base, "refused")
        os.makedirs(outdir, exist_ok=True)
        self.st.stop_sink()
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tests", "integration"))
        proc = subprocess.Popen(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.st.smtp_port}",
                                 "-c", "refusing_sink.Refuse", outdir], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def listening():
            try:
                with socket.create_connection(("127.0.0.1", self.st.smtp_port), timeout=0.5):
                    return True
            except OSError:
                return False
        try:
            stack.wait_for(listening, 20, "the refusing sink")
            yield outdir
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            self.st.start_sink()

    def refused(self, outdir, to):
        for name in sorted(os.listdir(outdir)):
            if name.endswith(".eml"):
                with open(os.path.join(outdir, name), "rb") as f:
                    msg = email.message_from_bytes(f.read())
                if msg["To"] == to:
                    return msg
        return None

    def outbox(self, to):
        return self.sql(f"SELECT state, body_text = '' AND body_html = '' FROM outbox WHERE to_addr = '{to}'"
                        ).splitlines()[1:]

    def test_refused_mail_takes_its_link_with_it(self):
        cust = self.new_customer()
        u = self.new_user(cust)["user"]
        admin = self.first_signin(self.new_user(cust, role="customer_admin")["user"]["username"])
        invitee = f"{self.uniq('ref')}@{cust['slug']}.example"
        with self.refusing_sink() as outdir:
            self.assertEqual(customer(self.st).call("POST", "/password-resets", {"email": u["email"]}).status, 202)
            r = admin.call("POST", "/invites", {"email": invitee, "role": "customer_member"})
            self.assertEqual(r.status, 201, r)
            inv = r.json["invite"]
            it_admin = f"{self.uniq('it')}@{cust['slug']}.example"
            r = admin.call("POST", "/sso/setup-links", {"email": it_admin, "expires_in_hours": 24})
            self.assertEqual(r.status, 201, r)
            link_id = r.json["link"]["id"]
            stack.wait_for(lambda: [r.split()[0] for r in self.outbox(u["email"]) + self.outbox(invitee)
                                    + self.outbox(it_admin)] == ["failed", "failed", "failed"], 30,
                           "the three mails to fail")
            reset_msg, invite_msg = self.refused(outdir, u["email"]), self.refused(outdir, invitee)
            setup_msg = self.refused(outdir, it_admin)
        # A setup link nobody received is revoked, like the others: its token opens nothing.
        setup_token = link_token(setup_msg, "sso-setup.html")
        r = customer(self.st).call("POST", "/sso/setup-sessions", {"token": setup_token})
        self.assertEqual((r.status, r.json["error"]["code"]), (410, "gone"))
        shown = [x for x in admin.call("GET", "/sso/setup-links").json["links"] if x["id"] == link_id][0]
        self.assertEqual(shown["state"], "revoked")
        reset_token = link_token(reset_msg, "reset-password")
        invite_token = link_token(invite_msg, "invite")
        r = self.redeem(reset_token)
        self.assertEqual((r.status, r.code), (410, "gone"))
        # Given up on: the body with the link is gone, as for a delivered mail.
        self.assertEqual(self.outbox(u["email"]) + self.outbox(invitee) + self.outbox(it_admin),
                         ["failed\t1", "failed\t1", "failed\t1"])
        anon = customer(self.st)
        self.assertEqual(anon.call("POST", "/invite-lookups", {"token": invite_token}).status, 410)
        r = anon.call("POST", "/invite-acceptances", {"token": invite_token, "username": self.uniq("x"),
                                                       "password": NEW_PW})
        self.assertEqual(r.status, 410)
        # The admin sees the failure and resends: a new token, mailed, that works.
        shown = [i for i in admin.call("GET", "/members").json["invites"] if i["id"] == inv["id"]][0]
        self.assertEqual((shown["status"], shown["delivery"]), ("pending", "failed"))
        self.assertIn("554", shown["delivery_error"])
        self.assertEqual(admin.call("POST", f"/invites/{inv['id']}/resend").status, 200)
        fresh = link_token(self.wait_for_mails(invitee)[0], "invite")
        r = anon.call("POST", "/invite-acceptances", {"token": fresh, "username": self.uniq("y"), "password": NEW_PW})
        self.assertEqual(r.status, 201, r)
        # A new reset request gets a working link again.
        self.assertEqual(customer(self.st).call("POST", "/password-resets", {"email": u["email"]}).status, 202)
        self.assertEqual(self.redeem(link_token(self.wait_for_mails(u["email"])[0], "reset-password")).status, 204)
