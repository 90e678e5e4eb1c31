#!/usr/bin/env python3
"""Run the integration tests against real stacks and report `N passed, M failed`.

  python3 tests/integration/run.py --build build [--sanitizers] [-k PATTERN]

Boots one private MariaDB for the run, lets each test class boot its own
onramp-fcgi + nginx, and always tears everything down.  The last check of a
run is that nothing of ours is left: no process referring to the run's
directory, and the directory itself removed.
"""

import argparse
import os
import shutil
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import stack  # noqa: E402  (on the path through harness)


def leftover_processes(base):
    return [f"{pid}: {cmd}" for pid, cmd in stack.processes_mentioning(base)]


class Result(unittest.TextTestResult):
    pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(harness.ROOT, "build"))
    p.add_argument("--sanitizers", action="store_true")
    p.add_argument("-k", dest="pattern", action="append")
    a = p.parse_args()

    started = time.monotonic()
    loader = unittest.TestLoader()
    if a.pattern:
        loader.testNamePatterns = [f"*{x}*" for x in a.pattern]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=Result, stream=sys.stdout)
    harness.Env.start(a.build, a.sanitizers)
    base = harness.Env.base
    try:
        result = runner.run(suite)
    finally:
        harness.Env.stop()
    # The last check: nothing of ours left behind.
    time.sleep(0.2)
    left = leftover_processes(base)
    shutil.rmtree(base, ignore_errors=True)
    ran = result.testsRun + 1
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    if left or os.path.exists(base):
        failed += 1
        print("FAIL: leftovers after the run:\n  " + "\n  ".join(left or [base]))
    else:
        print("ok: no processes, sockets or data directories left behind")
    skipped = len(result.skipped)
    print(f"\nintegration{' (asan+ubsan)' if a.sanitizers else ''} took {time.monotonic() - started:.1f} s")
    print(f"integration: {ran - failed - skipped} passed, {failed} failed"
          + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
