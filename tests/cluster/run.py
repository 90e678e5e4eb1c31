#!/usr/bin/env python3
"""Run the cluster tests (tests/cluster/test_*.py) and report `N passed, M failed`.

  python3 tests/cluster/run.py --build build [-k PATTERN]

Each test class starts its own Galera nodes, app hosts and nginx on free loopback ports under
one temporary directory (Env.base); the last check of a run is that nothing of ours is left.
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
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import stack  # noqa: E402


class Env:
    """Run-wide settings; the test classes read them from the environment (CLUSTER_TEST_BUILD,
    CLUSTER_TEST_BASE), so a test module needs nothing from this script."""
    build = os.path.join(ROOT, "build")
    base = None


def leftover_processes(base):
    return [f"{pid}: {cmd}" for pid, cmd in stack.processes_mentioning(base)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=Env.build)
    p.add_argument("-k", dest="pattern", action="append")
    a = p.parse_args()
    started = time.monotonic()
    Env.build = os.path.abspath(a.build)
    Env.base = tempfile.mkdtemp(prefix="onramp-cluster-")
    os.chmod(Env.base, 0o755)
    os.environ["CLUSTER_TEST_BUILD"] = Env.build
    os.environ["CLUSTER_TEST_BASE"] = Env.base
    loader = unittest.TestLoader()
    if a.pattern:
        loader.testNamePatterns = [f"*{x}*" for x in a.pattern]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    time.sleep(0.2)
    left = leftover_processes(Env.base)
    shutil.rmtree(Env.base, ignore_errors=True)
    ran = result.testsRun + 1
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    if left or os.path.exists(Env.base):
        failed += 1
        print("FAIL: leftovers after the run:\n  " + "\n  ".join(left or [Env.base]))
    else:
        print("ok: no processes or data directories left behind")
    skipped = len(result.skipped)
    print(f"\ncluster took {time.monotonic() - started:.1f} s")
    print(f"cluster: {ran - failed - skipped} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
