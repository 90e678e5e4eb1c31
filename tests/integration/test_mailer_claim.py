"""The outbox claim protocol (src/store/outbox.c, src/programs/onramp-mailer.c): a mailer claims
due rows with a committed write before it sends, and records each outcome only while the claim
is its own.  Several mailers deliver each mail once; a crashed mailer's claim ends and another
mailer sends the row again with the same Message-ID <outbox-ID.KEY@onramp.invalid>."""

import collections
import os
import re
import signal
import socket
import subprocess
import threading

import stack
from harness import Env, StackTestCase

MSGID = re.compile(r"^<outbox-(\d+)\.([0-9a-f]{32})@onramp\.invalid>$")


class HangingSink:
    """An SMTP server that takes a whole message, stores it, and then never answers the final
    dot: the mailer that sent it is stuck after its send, before it can record it."""

    def __init__(self, outdir):
        self.outdir = outdir
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.received = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._talk, args=(c,), daemon=True).start()

    def _talk(self, c):
        f = c.makefile("rb")
        try:
            c.sendall(b"220 hang.test ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"DATA":
                    c.sendall(b"354 go ahead\r\n")
                    data = []
                    while (line := f.readline()) not in (b".\r\n", b""):
                        data.append(line)
                    self.received.append(b"".join(data))
                    return      # no 250: the mailer waits for an answer that never comes
                c.sendall(b"221 bye\r\n" if verb == b"QUIT" else b"250 ok\r\n")
        except OSError:
            return

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


class MailerClaimTests(StackTestCase):
    def sql(self, statement):
        out = Env.db.sql(f"USE `{self.st.db_name}`; {statement}")
        return [line.split("\t") for line in out.strip().split("\n")[1:]] if out.strip() else []

    def queue(self, n, tag):
        """n mails straight into the outbox, as a change's transaction would add them."""
        self.sql("INSERT INTO outbox (template, to_addr, subject, body_text, body_html) "
                 f"SELECT 'test', CONCAT('{tag}-', seq, '@x.test'), 'claim test', 'body', '<p>body</p>' "
                 f"FROM seq_1_to_{n}")
        return [int(r[0]) for r in self.sql(f"SELECT id FROM outbox WHERE to_addr LIKE '{tag}-%' ORDER BY id")]

    def mails_to(self, tag):
        return [m for m in self.st.mails() if m["To"].startswith(f"{tag}-")]

    def extra_mailer(self, name, smtp_port=None):
        """Another onramp-mailer on the same database (a second host's), its own log."""
        config = self.st.config_path
        if smtp_port:
            with open(config) as f:
                text = f.read()
            config = os.path.join(self.st.base, f"{name}.conf")
            with open(config, "w") as f:
                f.write(re.sub(r"(?m)^smtp_url = .*$", f"smtp_url = smtp://127.0.0.1:{smtp_port}", text))
        log = os.path.join(self.st.base, f"{name}.log")
        p = subprocess.Popen([self.st.program("onramp-mailer"), "-c", config], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=open(log, "ab"), start_new_session=True)
        self.addCleanup(lambda: (p.poll() is None and p.send_signal(signal.SIGTERM), p.wait(timeout=30)))
        return p, log

    def pending(self, ids):
        return int(self.sql("SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND id IN (%s)"
                            % ",".join(map(str, ids)))[0][0])

    def test_two_mailers_deliver_each_mail_once(self):
        _, log = self.extra_mailer("mailer2")
        ids = self.queue(200, "two")
        stack.wait_for(lambda: self.pending(ids) == 0, 120, "200 mails delivered")
        mails = self.mails_to("two")
        per_id = collections.Counter(m["Message-ID"] for m in mails)
        self.assertEqual(len(per_id), 200)
        self.assertEqual(set(per_id.values()), {1}, [k for k, v in per_id.items() if v > 1][:5])
        keys = dict((int(i), k) for i, k in self.sql("SELECT id, message_key FROM outbox WHERE to_addr LIKE 'two-%'"))
        for mid in per_id:
            m = MSGID.match(mid)
            self.assertIsNotNone(m, mid)
            self.assertEqual(keys[int(m.group(1))], m.group(2))
        self.assertEqual(self.sql("SELECT COUNT(*) FROM outbox WHERE to_addr LIKE 'two-%' "
                                  "AND (state <> 'sent' OR body_text <> '' OR claim_token IS NOT NULL)"), [["0"]])
        # Both mailers took part (else this tested one mailer).
        with open(log) as f:
            second = f.read().count('"mail_sent"')
        self.assertGreater(second, 0)
        self.assertLess(second, 200)

    def test_expired_claim_is_sent_by_another_mailer_with_its_message_id(self):
        self.st.stop_mailer()
        self.addCleanup(self.st.start_mailer)
        [dead] = self.queue(1, "expired")
        key = "0123456789abcdef0123456789abcdef"
        # A mailer claimed the row and died: its claim holds for an hour.
        self.sql(f"UPDATE outbox SET claim_token = 'ffffffffffffffffffffffffffffffff', message_key = '{key}', "
                 f"next_attempt_at = NOW(6) + INTERVAL 1 HOUR WHERE id = {dead}")
        self.st.start_mailer()
        marker = self.queue(1, "marker")
        stack.wait_for(lambda: self.pending(marker) == 0, 30, "the marker mail")
        self.assertEqual(self.mails_to("expired"), [], "a claimed row was sent before its claim ended")
        self.sql(f"UPDATE outbox SET next_attempt_at = NOW(6) - INTERVAL 1 SECOND WHERE id = {dead}")
        stack.wait_for(lambda: self.pending([dead]) == 0, 30, "the expired claim's mail")
        [mail] = self.mails_to("expired")
        self.assertEqual(mail["Message-ID"], f"<outbox-{dead}.{key}@onramp.invalid>")

    def test_mailer_killed_after_its_send_the_row_is_sent_again_with_the_same_id(self):
        self.st.stop_mailer()
        self.addCleanup(self.st.start_mailer)
        sink = HangingSink(self.st.base)
        self.addCleanup(sink.close)
        [row] = self.queue(1, "crash")
        a, _ = self.extra_mailer("mailer-a", smtp_port=sink.port)
        stack.wait_for(lambda: sink.received, 30, "mailer A's send")
        # A is stuck after its send: the claim it made is already committed (a claim committed
        # with the outcome, after the send, would show nothing here).
        token, later = self.sql(f"SELECT claim_token, next_attempt_at > NOW(6) FROM outbox WHERE id = {row}")[0]
        self.assertNotEqual(token, "NULL")
        self.assertEqual(later, "1")
        a.send_signal(signal.SIGKILL)
        a.wait(timeout=10)
        self.st.start_mailer()
        marker = self.queue(1, "marker2")
        stack.wait_for(lambda: self.pending(marker) == 0, 30, "the marker mail")
        self.assertEqual(self.mails_to("crash"), [], "another mailer sent a claimed row")
        # The claim ends (moved, not waited for): another mailer sends the row again.
        self.sql(f"UPDATE outbox SET next_attempt_at = NOW(6) - INTERVAL 1 SECOND WHERE id = {row}")
        stack.wait_for(lambda: self.pending([row]) == 0, 30, "the resend")
        [again] = self.mails_to("crash")
        first = re.search(rb"(?m)^Message-ID: (.*)\r$", sink.received[0]).group(1).decode()
        self.assertEqual(again["Message-ID"], first)
        self.assertRegex(first, MSGID)
