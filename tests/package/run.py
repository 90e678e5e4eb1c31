#!/usr/bin/env python3
"""Run the package tests (tests/package/test_*.py) and report `N passed, M failed`.

  python3 tests/package/run.py --build build [-k PATTERN]

The tests read the build tree from PACKAGE_TEST_BUILD and make their temporary directories under
PACKAGE_TEST_BASE (one directory per run); the last check of a run is that nothing of ours is left.
"""

import argparse
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


def leftover_processes(base):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if base in cmd:
            found.append(f"{entry}: {cmd.strip()}")
    return found


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("-k", dest="pattern", action="append")
    a = p.parse_args()
    started = time.monotonic()
    base = tempfile.mkdtemp(prefix="onramp-package-")
    os.chmod(base, 0o755)
    os.environ["PACKAGE_TEST_BUILD"] = os.path.abspath(a.build)
    os.environ["PACKAGE_TEST_BASE"] = base
    loader = unittest.TestLoader()
    if a.pattern:
        loader.testNamePatterns = [f"*{x}*" for x in a.pattern]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    time.sleep(0.2)
    left = leftover_processes(base)
    shutil.rmtree(base, ignore_errors=True)
    ran = result.testsRun + 1
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    if left:
        failed += 1
        print("FAIL: processes left after the run:\n  " + "\n  ".join(left))
    else:
        print("ok: no processes left behind")
    skipped = len(result.skipped)
    print(f"\npackage took {time.monotonic() - started:.1f} s")
    print(f"package: {ran - failed - skipped} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
