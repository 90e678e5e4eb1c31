#!/usr/bin/env python3
"""Boot a real stack on free ports and run the browser tests (node --test) against it.

  python3 tests/browser/run.py --build build

Prints the node test runner's summary and a closing `browser: N passed, M failed`.
The stack has no demo data: tests create what they need with onrampctl
(ONRAMP_CTL, a shell command prefix) and read mail from ONRAMP_MAILDIR.
"""

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import stack  # noqa: E402
from oidc_op import OidcOp  # noqa: E402
from saml_idp import SamlIdp  # noqa: E402

# A suite that mentions this variable gets the test OpenID Provider (tests/idp) and a stack
# configured to reach it; the others run without starting Node twice.
OP_MARKER = "ONRAMP_OP_"
# The same for the test SAML IdP (tests/idp/saml.mjs).
SAML_MARKER = "ONRAMP_SAML_"


def op_env(op):
    """What a suite needs to drive the test OP and let Chromium reach it."""
    return {"ONRAMP_OP_ISSUER": op.issuer, "ONRAMP_OP_PORT": str(op.port), "ONRAMP_OP_CA": op.ca_file,
            "ONRAMP_OP_CLIENT_ID": op.client_id, "ONRAMP_OP_CLIENT_SECRET": op.client_secret,
            "ONRAMP_OP_CHROMIUM_ARGS": json.dumps(op.chromium_args())}


# The whole node run's limit: the suites run one file at a time on a 2-core machine, and axe-core
# checks every state they visit (about 0.1-0.5 s a check).
NODE_TIMEOUT_S = int(os.environ.get("ONRAMP_BROWSER_TIMEOUT", "1500"))
# How far back the request lines printed on failure reach (a suite file takes under a minute).
RECENT_REQUEST_S = 300
# The InnoDB status sections that explain a 503 from a deadlock or a request stuck on a lock.
INNODB_SECTIONS = ("LATEST DETECTED DEADLOCK", "TRANSACTIONS")


def log_lines(path, keep):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [ln.rstrip() for ln in f if keep(ln)]
    except OSError:
        return []


def recent_refusals(path, now):
    """The request lines with status >= 400 of the last RECENT_REQUEST_S seconds: the app's (method,
    route, status, error, detail) and nginx's (its own refusals, and 499 for an answer the browser
    stopped waiting for). Neither log holds a secret or a token (nginx's redacts queries and tokens)."""
    out = []
    for ln in log_lines(path, lambda ln: '"status":' in ln):
        try:
            r = json.loads(ln)
            t = datetime.datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
        except (ValueError, KeyError):
            continue
        if r.get("event", "request") == "request" and r.get("status", 0) >= 400 and now - t <= RECENT_REQUEST_S:
            duration = r.get("duration_ms", r.get("duration"))
            out.append(f"{r['time']} {r.get('method')} {r.get('route', r.get('uri'))} {r.get('status')} "
                       f"error={r.get('error', '-')} detail={r.get('detail', '-')} {duration}")
    return out


def innodb_sections(status):
    """The INNODB_SECTIONS of SHOW ENGINE INNODB STATUS (a header line between two rules of dashes)."""
    text = status.replace("\\n", "\n")
    parts = re.split(r"(?m)^-{3,}\n([A-Z /]+)\n-{3,}\n", text)
    found = dict(zip(parts[1::2], parts[2::2]))
    return [f"{name}:\n{found[name].strip()[:6000]}" for name in INNODB_SECTIONS if name in found]


def database_state(st):
    """MariaDB's last deadlock, open transactions and their lock waits, and every connection's
    statement: what a request stuck on a lock or refused with 1213 leaves behind."""
    out = []
    try:
        out += innodb_sections(st.db.sql("SHOW ENGINE INNODB STATUS"))
        out.append("SHOW FULL PROCESSLIST:\n" + st.db.sql("SHOW FULL PROCESSLIST").strip())
        out.append("statements:\n" + st.db.sql("SHOW GLOBAL STATUS WHERE Variable_name IN "
                                                "('Prepared_stmt_count', 'Com_stmt_prepare', 'Com_stmt_close')").strip())
    except (RuntimeError, OSError) as e:
        out.append(f"database state unavailable: {e}")
    return out
def saml_env(idp):
    """What a suite needs to drive the test SAML IdP and let Chromium reach it."""
    return {"ONRAMP_SAML_METADATA_URL": idp.metadata_url, "ONRAMP_SAML_SSO_URL": idp.sso_url,
            "ONRAMP_SAML_PORT": str(idp.port), "ONRAMP_SAML_CA": idp.ca_file,
            "ONRAMP_SAML_CHROMIUM_ARGS": json.dumps(idp.chromium_args())}


def server_side_failures(st):
    """A failed browser test often hides a server answer (a 5xx, an error): print what the app and
    its helpers logged at error level or answered with 5xx, the recent refusals and the database's
    locks, since the stack is deleted afterwards."""
    for path in (st.app_log, st.fetcher_log, st.mailer_log):
        lines = log_lines(path, lambda ln: '"status":5' in ln or '"level":"error"' in ln or '"level":"warn"' in ln)
        for ln in lines[-40:]:
            print(f"{os.path.basename(path)}: {ln[:600]}", file=sys.stderr)
    for path in (st.app_log, os.path.join(st.log_dir, "nginx-access.log")):
        for ln in recent_refusals(path, time.time())[-60:]:
            print(f"{os.path.basename(path)} >= 400: {ln[:600]}", file=sys.stderr)
    for block in database_state(st):
        print(f"mariadb: {block}", file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--screenshots", help="directory to save page screenshots in")
    p.add_argument("--only", action="append", help="run only suites whose file name contains this (repeatable)")
    a = p.parse_args()
    base = tempfile.mkdtemp(prefix="onramp-browser-")
    os.chmod(base, 0o755)
    tests = sorted(f for f in os.listdir(HERE) if f.endswith(".test.mjs"))
    if a.only:
        tests = [f for f in tests if any(o in f for o in a.only)]
    op = idp = None
    st = None
    passed = failed = 0
    try:
        if any(OP_MARKER in open(os.path.join(HERE, f)).read() for f in tests):
            op = OidcOp(base).start()
        if any(SAML_MARKER in open(os.path.join(HERE, f)).read() for f in tests):
            idp = SamlIdp(base, fixture=op).start()     # with the OP: one CA file trusts both
        reach = idp or op
        st = stack.Stack(base, a.build, stack.free_port(), stack.free_port(), workers=2,
                         extra_config=reach.config() if reach else None)
        st.up()
        env = dict(os.environ, ONRAMP_PUBLIC_URL=st.public_url, ONRAMP_OPERATOR_URL=st.operator_url,
                   ONRAMP_CTL=shlex.join([st.program("onrampctl"), "-c", st.config_path]),
                   ONRAMP_MAILDIR=st.maildir, **(op_env(op) if op else {}),
                   **(saml_env(idp) if idp else {}))
        if a.screenshots:
            env["ONRAMP_SCREENSHOT_DIR"] = os.path.abspath(a.screenshots)
        try:
            r = subprocess.run(["node", "--test", "--test-reporter=spec", *tests], cwd=HERE, env=env,
                               capture_output=True, text=True, timeout=NODE_TIMEOUT_S)
        except subprocess.TimeoutExpired as e:   # say which tests ran before the limit, then fail
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            sys.stdout.write(out)
            raise
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr[-5000:])
        m_pass = re.search(r"(?m)^\S*\s*pass (\d+)", r.stdout)
        m_fail = re.search(r"(?m)^\S*\s*fail (\d+)", r.stdout)
        passed = int(m_pass.group(1)) if m_pass else 0
        failed = int(m_fail.group(1)) if m_fail else 1
        if r.returncode != 0 and failed == 0:
            failed = 1
    except Exception as e:  # a stack that does not boot is a failure, not a crash of the runner
        print(f"browser: stack failed: {e}", file=sys.stderr)
        failed += 1
    finally:
        if failed and st:
            server_side_failures(st)
        try:
            if st:
                st.down()
        finally:
            for p in (idp, op):
                if p:
                    p.stop()
        shutil.rmtree(base, ignore_errors=True)
    print(f"browser: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
