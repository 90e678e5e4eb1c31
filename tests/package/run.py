#!/usr/bin/env python3
"""Run the package tests (tests/package/test_*.py) and report `N passed, M failed`.

  python3 tests/package/run.py --build build [-k PATTERN]

test_package.py installs the Debian package on this machine (dpkg -i, files in /etc, the onramp
user) and purges it at the end: as root only, one run at a time per machine (a lock file), and
never while an onramp package or its files are already here.  The package is built once per run
(pkg.build_deb: from the working tree, under the run's temporary directory PACKAGE_TEST_BASE; its
path is kept in PACKAGE_TEST_DEB for the next module that needs it).  test_units.py reads the build tree from PACKAGE_TEST_BUILD.
The last checks of a run: the package is gone and nothing of ours runs or remains.
"""

import argparse
import fcntl
import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))

import pkg  # noqa: E402
import stack  # noqa: E402

LOCK = "/run/lock/onramp-package-test.lock"


def leftover_processes(base):
    return [f"{pid}: {cmd}" for pid, cmd in stack.processes_mentioning(base)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("-k", dest="pattern", action="append")
    a = p.parse_args()
    started = time.monotonic()
    base = tempfile.mkdtemp(prefix="onramp-pkgtest-")
    os.chmod(base, 0o755)      # MariaDB runs as mysql under it
    os.environ["PACKAGE_TEST_BUILD"] = os.path.abspath(a.build)
    os.environ["PACKAGE_TEST_BASE"] = base
    failed = 0
    if os.geteuid() == 0:
        lock = open(LOCK, "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"package: another package test holds {LOCK}; waiting", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        if pkg.present() or any(os.path.lexists(p) for p in pkg.MACHINE_PATHS):
            print("package: FAIL: onramp is already on this machine (dpkg -l onramp, or "
                  f"{' or '.join(pkg.MACHINE_PATHS)} exists, e.g. keys a purge kept); the tests would "
                  "remove it. Remove it first: ONRAMP_PURGE_KEYS=yes dpkg --purge onramp.")
            shutil.rmtree(base, ignore_errors=True)
            print("package: 0 passed, 1 failed")
            return 1
    else:
        print("package: not root: test_package skips (dpkg -i needs root)")
    loader = unittest.TestLoader()
    if a.pattern:
        loader.testNamePatterns = [f"*{x}*" for x in a.pattern]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed += len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    time.sleep(0.2)
    left = leftover_processes(base)
    if pkg.present():
        left.append("the onramp package is still installed (dpkg -l onramp)")
    left += [p for p in pkg.MACHINE_PATHS if os.path.lexists(p)]
    shutil.rmtree(base, ignore_errors=True)
    if left or os.path.exists(base):
        failed += 1
        print("FAIL: leftovers after the run:\n  " + "\n  ".join(left or [base]))
    else:
        print("ok: the package is purged; no processes or temporary files left behind")
    ran = result.testsRun + 1
    skipped = len(result.skipped)
    print(f"\npackage took {time.monotonic() - started:.1f} s")
    print(f"package: {ran - failed - skipped} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
