#!/usr/bin/env python3
"""Boot a real stack on free ports and run the browser tests (node --test) against it.

  python3 tests/browser/run.py --build build

Prints the node test runner's summary and a closing `browser: N passed, M failed`.
The stack has no demo data: tests create what they need with onrampctl
(ONRAMP_CTL, a shell command prefix) and read mail from ONRAMP_MAILDIR.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

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


def saml_env(idp):
    """What a suite needs to drive the test SAML IdP and let Chromium reach it."""
    return {"ONRAMP_SAML_METADATA_URL": idp.metadata_url, "ONRAMP_SAML_SSO_URL": idp.sso_url,
            "ONRAMP_SAML_PORT": str(idp.port), "ONRAMP_SAML_CA": idp.ca_file,
            "ONRAMP_SAML_CHROMIUM_ARGS": json.dumps(idp.chromium_args())}


def server_side_failures(st):
    """A failed browser test often hides a server answer (a 5xx, an error): print what the app and
    its helpers logged at error level or answered with 5xx, since the stack is deleted afterwards."""
    for path in (st.app_log, st.fetcher_log, st.mailer_log):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = [ln.rstrip() for ln in f if '"status":5' in ln or '"level":"error"' in ln
                         or '"level":"warn"' in ln]
        except OSError:
            continue
        for ln in lines[-40:]:
            print(f"{os.path.basename(path)}: {ln[:600]}", file=sys.stderr)


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
        r = subprocess.run(["node", "--test", "--test-reporter=spec", *tests], cwd=HERE, env=env,
                           capture_output=True, text=True, timeout=600)
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
