"""An SMTP sink that takes a whole message and then refuses it with 554, as a spam filter
would: the mailer sees a permanent failure, and the test can still read what it tried to send.

Run with: python3 -m aiosmtpd -n -l HOST:PORT -c refusing_sink.Refuse OUTDIR
"""

import os


class Refuse:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("refusing_sink.Refuse takes one argument: the directory for refused mail")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.outdir, f"{os.getpid()}-{self.n}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "554 5.7.1 Refused by the test sink"
