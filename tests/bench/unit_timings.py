"""Parser refusals on time: the durations the unit tests measure, held to their limits here.

The unit tests of the SAML metadata checker (hostile documents: entity bombs, attribute and
namespace floods, deep nesting) and of the base64 secret scan (1 MiB) check what the parsers
decide, never how long it takes, since a loaded machine would fail a timed unit test. Each such
test reports its duration and its limit through unit_timing() (tests/unit/unit.h) into the file
ONRAMP_UNIT_TIMINGS names; this part runs those unit binaries and makes one row of them.
"""

import os
import subprocess
import tempfile

TARGETS = 1  # every measured refusal within its limit
BINARIES = ("tests/unit/test_saml_safety", "tests/unit/test_secretscan_b64")


def run(build, targets, log):
    rows = []
    with tempfile.NamedTemporaryFile(prefix="onramp-unit-timings-", mode="r") as f:
        env = dict(os.environ, ONRAMP_UNIT_TIMINGS=f.name)
        for b in BINARIES:
            r = subprocess.run([os.path.join(build, b)], env=env, capture_output=True, text=True)
            if r.returncode != 0:
                targets.add("parser refusals within their limits", False, f"{b} failed: {r.stdout[-400:]}")
                return rows
        for line in f.read().splitlines():
            what, ms, limit = line.split("\t")
            rows.append({"what": what, "ms": float(ms), "limit_ms": float(limit)})
    over = [r for r in rows if r["ms"] >= r["limit_ms"]]
    worst = max(rows, key=lambda r: r["ms"] / r["limit_ms"]) if rows else None
    log(f"unit timings: {len(rows)} measured refusals; slowest relative to its limit: "
        f"{worst['what']} {worst['ms']:.1f} ms of {worst['limit_ms']:.0f}" if worst else "unit timings: none reported")
    targets.add("parser refusals within their limits", bool(rows) and not over,
                f"{len(rows)} timed; max {worst['ms']:.1f} ms ({worst['what']}, limit {worst['limit_ms']:.0f} ms)"
                + (f"; over: {', '.join(r['what'] for r in over)}" if over else "") if worst else "no timings reported")
    return rows
