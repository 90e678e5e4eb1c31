#!/usr/bin/env python3
"""Invite creation benchmark (issue 15 point 9): POST /api/v1/invites at 16 connections.

bench.py runs this part (BENCH_INVITES=0 leaves it out) on a stack of its own
on the run's MariaDB (database onramp_invites; workers as the run), with the
hourly invite limit raised out of the way (invite_rate_per_hour 100000).
Steps: BENCH_INVITE_CUSTOMERS customers (seat limit 1000) each with one
admin made by onrampctl (password from stdin, so no forced change), signed in
over the API; then wrk with invites.lua: every request is a new invite of a
unique email, with the session cookie and CSRF token of the next admin in
turn.  After each run, the invite rows in MariaDB must equal the 201s wrk
counted (nothing acknowledged is missing, nothing unacknowledged was kept).

The row measures creation: mail delivery is asynchronous by design (the
outbox, delivered by onramp-mailer), so the mailer is stopped while wrk runs
and started afterwards; then every created invite's mail must reach the SMTP
sink (outbox state 'sent') within a bounded wait, reported as its own target
with its own rate.

Targets: created invites/s >= 1,000 at 16 connections (median of the rounds),
no answer other than 201 and no socket errors, rows in MariaDB == 201s, every
invite's mail delivered after the run.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
from bench import stack, log  # noqa: E402

TARGETS = 4  # rate, no errors, rows == 201s, mails delivered
INVITE_RATE = 1000.0
CONNECTIONS = 16
DOMAIN = "bench-invites.example"
DELIVERY_STALL_S = 30.0   # no mail delivered for this long after the run: the delivery target fails
DELIVERY_MAX_S = 600.0    # the whole wait for delivery, however it progresses

SETTINGS = (  # name, default, minimum
    ("BENCH_INVITE_CUSTOMERS", 64, 1),
)


def check_settings():
    return bench.int_settings(SETTINGS)


@contextlib.contextmanager
def part_stack(ctx):
    base = os.path.join(ctx["base"], "invites")
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o755)
    st = stack.Stack(base, ctx["build"], stack.free_port(), stack.free_port(), db=ctx["db"],
                     db_name="onramp_invites", workers=ctx["workers"], rate=bench.BENCH_RATE,
                     burst=bench.BENCH_BURST, extra_config={"invite_rate_per_hour": "100000"})
    try:
        st.up(own_db=False)
        yield st
    finally:
        st.down(own_db=False)


def sign_in(st, login, password):
    """(cookie, csrf) of a customer session."""
    req = urllib.request.Request(st.public_url + "/api/v1/session", method="POST",
                                 data=json.dumps({"login": login, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        doc = json.loads(r.read())
        cookie = (r.headers.get_all("Set-Cookie") or [""])[0].split(";", 1)[0]
    if doc.get("must_change_password"):
        raise RuntimeError(f"{login} must change its password first")
    return cookie, doc["csrf_token"]


def admins(st, n, sessions_file):
    password = "Bench-" + secrets.token_urlsafe(12)
    lines = []
    for i in range(n):
        slug = f"binv{i:04d}"
        st.ctl("customers", "create", "--slug", slug, "--name", f"Bench invites {i}", "--seats", "1000")
        st.ctl("users", "create", "--customer", slug, "--username", f"{slug}-admin", "--email",
               f"{slug}-admin@{DOMAIN}", "--role", "customer_admin", "--password-stdin", input=password + "\n")
        cookie, csrf = sign_in(st, f"{slug}-admin", password)
        lines.append(f"{cookie} {csrf}")
    fd = os.open(sessions_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")


def cpu_s(pid):
    """utime + stime of pid in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def processes(ctx, st):
    """The processes an invite costs CPU in, by group."""
    groups = {"workers": st.worker_pids(), "mariadb": [stack.read_pid(ctx["db"].pidfile)],
              "nginx": [st.nginx_pid()] + st._children(st.nginx_pid()),
              "mailer": [st.mailer_pid()], "smtp sink": [stack.read_pid(st.sink_pidfile)]}
    return {k: [p for p in v if p] for k, v in groups.items()}


def cpu_by_group(groups):
    return {k: sum(cpu_s(p) for p in v) for k, v in groups.items()}


def statements(ctx):
    """Prepared statement executions and commits so far (the bench MariaDB serves only this stack now)."""
    out = ctx["db"].sql("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_stmt_execute', 'Com_commit', "
                        "'Handler_commit')")
    return {k: int(v) for k, v in (line.split("\t") for line in out.strip().splitlines()[1:])}


def invite_rows(ctx):
    out = ctx["db"].sql(f"SELECT COUNT(*) FROM onramp_invites.invites WHERE email LIKE 'i%@{DOMAIN}'")
    return int(out.split()[-1])


def invite_mails(ctx):
    """{outbox state: rows} of the bench's invite mails."""
    out = ctx["db"].sql("SELECT state, COUNT(*) FROM onramp_invites.outbox WHERE ref_type = 'invite' "
                        f"AND to_addr LIKE 'i%@{DOMAIN}' GROUP BY state")
    return {k: int(v) for k, v in (line.split("\t") for line in out.strip().splitlines()[1:])}


def deliver(ctx, st, rows):
    """Start the mailer and wait (bounded) until the mails of all rows invites are sent: (sent, seconds)."""
    t0 = time.monotonic()
    st.start_mailer()
    sent, last_progress = -1, t0
    while time.monotonic() - t0 < DELIVERY_MAX_S and time.monotonic() - last_progress < DELIVERY_STALL_S:
        now_sent = invite_mails(ctx).get("sent", 0)
        if now_sent != sent:
            sent, last_progress = now_sent, time.monotonic()
        if sent >= rows:
            break
        time.sleep(0.5)
    return sent, time.monotonic() - t0


def one_run(st, sessions_file, duration, tag):
    """wrk for duration s (no warm-up: every request creates rows, all of them are counted)."""
    opts = ["-s", os.path.join(HERE, "invites.lua"), "--timeout", "10s"]
    res = bench.wrk(st.public_url + "/api/v1/invites", duration, connections=CONNECTIONS, options=opts,
                    script_args=[sessions_file, tag])
    codes = {int(c): int(n) for c, n in re.findall(r"^status (\d+): (\d+)$", res["raw"], re.M)}
    res["statuses"] = codes
    res["created"] = codes.get(201, 0)
    res["created_per_s"] = res["created"] / duration
    sent = re.search(r"^sent (\d+)$", res["raw"], re.M)
    res["unanswered"] = (int(sent.group(1)) if sent else 0) - sum(codes.values())
    bad = sum(n for c, n in codes.items() if c != 201)
    res["errors"] = bad + res["socket_errors"] + (0 if res["parsed"] else 1)
    return res


def run(ctx, targets):
    cfg = check_settings()
    duration, rounds = ctx["duration"], ctx["rounds"]
    with part_stack(ctx) as st:
        sessions_file = os.path.join(ctx["base"], "invites", "sessions")
        log(f"invites: {cfg['BENCH_INVITE_CUSTOMERS']} customers with a signed-in admin")
        admins(st, cfg["BENCH_INVITE_CUSTOMERS"], sessions_file)
        # Creation alone: the mails wait in the outbox until the rounds are over (see deliver()).
        st.stop_mailer()
        load_before = bench.loadavg()
        log(f"invites: warm-up {bench.WARMUP_S}s, then {rounds} x {duration}s at {CONNECTIONS} connections")
        warm = one_run(st, sessions_file, bench.WARMUP_S, "w")
        groups = processes(ctx, st)
        cpu0, stm0 = cpu_by_group(groups), statements(ctx)
        runs = [one_run(st, sessions_file, duration, f"r{i}") for i in range(rounds)]
        cpu1, stm1 = cpu_by_group(groups), statements(ctx)
        rows, prev = invite_rows(ctx), -1
        while rows != prev:  # requests cut off in flight finish (or not) within moments
            time.sleep(0.5)
            rows, prev = invite_rows(ctx), rows
        created = warm["created"] + sum(r["created"] for r in runs)
        unanswered = warm["unanswered"] + sum(r["unanswered"] for r in runs)
        measured = max(1, sum(r["created"] for r in runs))
        cost = {k: (cpu1[k] - cpu0[k]) * 1000.0 / measured for k in groups}
        per = {k: (stm1[k] - stm0[k]) / measured for k in stm0}
        load_after = bench.loadavg()
        mails = invite_mails(ctx)
        delivered, delivery_s = deliver(ctx, st, rows)
        rate = bench.median(r["created_per_s"] for r in runs)
        p50 = bench.median(r["p50_ms"] for r in runs)
        p99 = bench.median(r["p99_ms"] for r in runs)
        errors = warm["errors"] + sum(r["errors"] for r in runs)
        statuses = {}
        for r in [warm] + runs:
            for c, n in r["statuses"].items():
                statuses[c] = statuses.get(c, 0) + n
    print(f"\ninvite creation, {CONNECTIONS} connections, {cfg['BENCH_INVITE_CUSTOMERS']} customers; "
          f"load average {load_before} before, {load_after} after")
    per_round = ", ".join(f"{r['created_per_s']:.0f}" for r in runs)
    print(f"  created/s {rate:.0f} (rounds: {per_round}); "
          f"p50 {bench.fmt_ms(p50)}, p99 {bench.fmt_ms(p99)}; answers {statuses}")
    total_ms = sum(cost.values())
    print("  CPU ms per created invite: " + ", ".join(f"{k} {v:.2f}" for k, v in cost.items()) +
          f"; total {total_ms:.2f} (so 2 idle cores would allow at most ~{2000.0 / max(total_ms, 0.001):.0f}/s)")
    print("  per created invite: " + ", ".join(f"{k} {v:.1f}" for k, v in per.items()))
    targets.add("invite creation rate", rate >= INVITE_RATE,
                f"{rate:.0f} created/s at {CONNECTIONS} connections (target >= {INVITE_RATE:.0f})")
    targets.add("invite creation errors", errors == 0,
                f"{errors} (answers other than 201: "
                f"{ {c: n for c, n in statuses.items() if c != 201} }, socket errors "
                f"{sum(r['socket_errors'] for r in [warm] + runs)})")
    # wrk stops with requests in flight: those may still commit, unanswered.  Every 201 has its row,
    # and no row exists beyond them but for requests cut off by the stop.
    targets.add("invite rows == 201s", created <= rows <= created + unanswered,
                f"{rows} rows in MariaDB, {created} answered 201, {unanswered} cut off in flight when wrk "
                f"stopped ({rows - created} of them committed)")
    print(f"  mails after the run: {mails} for {rows} invites; then the mailer delivered {delivered} in "
          f"{delivery_s:.1f}s ({delivered / max(delivery_s, 0.001):.0f}/s)")
    targets.add("invite mails delivered", delivered == rows and sum(mails.values()) == rows,
                f"{delivered} of {rows} invites' mails sent by the mailer within {delivery_s:.1f}s after the run "
                f"(outbox rows: {sum(mails.values())})")
    return {"created_per_s": rate, "rounds": [r["created_per_s"] for r in runs], "p50_ms": p50, "p99_ms": p99,
            "statuses": statuses, "rows": rows, "created": created, "load_before": load_before,
            "load_after": load_after, "cpu_ms_per_invite": cost, "per_invite": per, "unanswered": unanswered,
            "mails_delivered": delivered, "delivery_s": delivery_s}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", required=True, help="absolute build directory")
    a = p.parse_args()
    os.environ.update(BENCH_FOUNDATION="0", BENCH_IDENTITY="0", BENCH_SSO="0", BENCH_SAML="0",
                      BENCH_INVITES="1")
    sys.argv = [os.path.join(HERE, "bench.py"), "--build", os.path.abspath(a.build)]
    return bench.main()


if __name__ == "__main__":
    # bench.main() imports this module as `invites`; let it find this copy.
    sys.modules.setdefault("invites", sys.modules[__name__])
    sys.exit(main())
