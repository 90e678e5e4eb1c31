"""Calls released at the same instant, for the race tests (single stack and cluster)."""

import threading


def in_parallel(calls, timeout=60):
    """Run the callables at once (released together by a barrier); their results in order.
    A call that raised gives its exception as its result: a failed call is an outcome to report."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as e:  # noqa: BLE001
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results
