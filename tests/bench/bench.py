#!/usr/bin/env python3
"""Throughput and memory benchmark: onramp against bare libfcgi ceilings.

Boots, in one temporary directory, a private MariaDB, an onramp stack
(tools/stack.py) and a second nginx (nginx-bench.conf.in) in front of the
bare programs bench-hello and bench-select, all on free loopback ports.  Then
wrk (64 connections, 2 threads, BENCH_DURATION seconds after a 2 s warm-up)
measures nginx static, bare hello, onramp /healthz, bare hello+SELECT and
onramp /readyz, in that order so each onramp row runs right after its
ceiling.  BENCH_ROUNDS (default 1) repeats that sequence and reports medians,
which steadies the ratios on a shared machine.  Targets (docs/performance.md):

  /healthz req/s >= 80 % of bare hello
  /readyz  req/s >= 70 % of bare hello+SELECT
  onramp worker VmRSS < 16 MiB each, after the load
  no request errors (non-2xx/3xx responses or socket errors) in any run
  GET /api/v1/checklist and /account with a customer admin's session, run
  right after /readyz (tests/bench/customer_pages.py): req/s >= 60 % of bare
  hello+SELECT, p99 <= 2 x its p99, 0 errors
  the SAML metadata checker's and the base64 secret scan's refusals of
  hostile input each within its limit, as their unit tests measure them
  (tests/bench/unit_timings.py; unit tests never assert time)

Then, on the same stack and database, the identity benchmarks of
tests/bench/identity.py (sign-in against Argon2id alone, the filtered user
listing over a million users against bench-users), with four more targets.
Last, the SSO sign-in benchmark of tests/bench/sso_signin.py (the worker's
CPU per OpenID Connect callback against the test OpenID Provider, on a stack
of its own), with two more targets, and the SAML ACS benchmark of
tests/bench/sso_saml.py (the worker's CPU per ACS request against the test SAML
IdP), with two more; then invite creation at 16 connections
(tests/bench/invites.py), with four more.  BENCH_FOUNDATION=0,
BENCH_IDENTITY=0, BENCH_SSO=0, BENCH_SAML=0 or BENCH_INVITES=0 leaves a part out.

Prints the tables and `bench: N passed, M failed` over every target; exits 1
when a target is missed.  Everything started is stopped and the directory
removed, whatever happens.  Python standard library only.
"""

import argparse
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import stack  # noqa: E402  (tools/ is not a package)
import customer_pages  # noqa: E402  (beside this file)
import unit_timings  # noqa: E402  (beside this file: the parsers' refusal times the unit tests measure)

CONNECTIONS = 64
THREADS = 2
WARMUP_S = 2
HEALTHZ_RATIO = 0.80
READYZ_RATIO = 0.70
RSS_LIMIT_KIB = 16 * 1024
ROWS = 1000
TARGETS = 4  # the two ratios, worker RSS, no errors
# The onramp stack's per-address limit on /api/v1/ and /admin/api/v1/ (50 r/s
# in ./dev up) would turn the sign-in and listing loads, all from 127.0.0.1,
# into 429s; the probes the foundation rows measure are not rate limited.
BENCH_RATE = "1000000r/s"
BENCH_BURST = 1000000


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def int_settings(settings):
    """Whole-number settings from the environment: (NAME, default, least) rows -> {NAME: value};
    ValueError names a bad one."""
    out = {}
    for name, default, lo in settings:
        raw = os.environ.get(name, "")
        try:
            v = int(raw) if raw else default
        except ValueError:
            v = lo - 1
        if v < lo:
            raise ValueError(f"{name} must be a whole number >= {lo}")
        out[name] = v
    return out


def on_term(sig, frame):
    # Turn SIGTERM into an exception so the finally blocks tear down.
    raise SystemExit(128 + sig)


# ---- wrk ------------------------------------------------------------------
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def parse_latency(text, pct):
    m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    return float(m.group(1)) * UNIT_MS[m.group(2)] if m else None


def parse_wrk(text):
    """requests/s, p50/p99 in ms, request count and error counts from wrk --latency."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    total = re.search(r"^\s*(\d+) requests in", text, re.M)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "p50_ms": parse_latency(text, 50),
        "p99_ms": parse_latency(text, 99),
        "socket_errors": sum(int(x) for x in sock.groups()) if sock else 0,
        "socket_detail": dict(zip(("connect", "read", "write", "timeout"),
                                  (int(x) for x in sock.groups()))) if sock else {},
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "parsed": bool(rps and total),
    }


def wrk(url, duration, connections=CONNECTIONS, threads=THREADS, options=(), script_args=()):
    """One wrk run; options go before the URL (-s, -H, --timeout), script_args after `--`."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", *options, url]
    if script_args:
        args += ["--", *script_args]
    r = subprocess.run(args, capture_output=True, text=True, timeout=duration + 60)
    res = parse_wrk(r.stdout)
    res["raw"] = r.stdout
    if r.returncode != 0 or not res["parsed"]:
        res["parsed"] = False
        log(f"wrk failed on {url} (exit {r.returncode}):\n{r.stdout}{r.stderr}")
    return res


def measure(name, url, duration, **kw):
    log(f"{name}: warm-up {WARMUP_S}s, then {duration}s at {url}")
    wrk(url, WARMUP_S, **kw)
    res = wrk(url, duration, **kw)
    res["name"] = name
    res["errors"] = res["non2xx"] + res["socket_errors"] + (0 if res["parsed"] else 1)
    return res


def median(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def combine(samples):
    """One row from several rounds: median rates and latencies, summed errors."""
    if len(samples) == 1:
        return dict(samples[0], rounds=[samples[0]["rps"]])
    out = {"name": samples[0]["name"], "rounds": [s["rps"] for s in samples]}
    for k in ("rps", "p50_ms", "p99_ms"):
        out[k] = median(s[k] for s in samples)
    for k in ("requests", "socket_errors", "non2xx", "errors"):
        out[k] = sum(s[k] for s in samples)
    out["socket_detail"] = {}
    for s in samples:
        for k, v in s["socket_detail"].items():
            out["socket_detail"][k] = out["socket_detail"].get(k, 0) + v
    out["parsed"] = all(s["parsed"] for s in samples)
    return out


# ---- processes --------------------------------------------------------------
def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cpu_ticks(pid):
    """utime + stime of pid in clock ticks (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return 0


def wait_idle(pids, quiet_s=0.5, within_s=60.0):
    """Wait until none of pids used CPU for quiet_s (requests wrk left queued in
    the FastCGI backlog are done), at most within_s; True when they went idle."""
    deadline = time.monotonic() + within_s
    last = {p: cpu_ticks(p) for p in pids}
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = {p: cpu_ticks(p) for p in pids}
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return True
    return False


def children(parent):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(") ", 1)[1].split()
            if int(fields[1]) == parent and fields[0] != "Z":
                out.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return sorted(out)


def strays(marker):
    """Live processes whose command line mentions marker (our temp directory)."""
    return stack.processes_mentioning(marker)


class Bare:
    """One bare prefork program in its own session, so its group can be killed."""

    def __init__(self, name, program, socket, workers, log_path, env=None):
        self.name = name
        self.socket = socket
        args = [program, socket, str(workers)]
        kw = {}
        if stack.is_root():
            kw = {"user": stack.APP_USER, "group": stack.APP_USER}
        with open(log_path, "ab") as logf, open(os.devnull, "rb") as devnull:
            self.proc = subprocess.Popen(args, stdin=devnull, stdout=logf, stderr=logf,
                                         env=env or dict(os.environ), start_new_session=True, **kw)
        stack.wait_for(lambda: os.path.exists(socket) or self.proc.poll() is not None, 10,
                       f"{name} socket")
        if self.proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {self.proc.returncode}; see {log_path}")

    def workers(self):
        return children(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # The group outlives a parent that did not reap its children in time.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)


class BenchNginx:
    """nginx in front of the bare programs plus a static file."""

    def __init__(self, base, port, hello_socket, select_socket, users_socket):
        self.dir = os.path.join(base, "nginx")
        self.log_dir = os.path.join(base, "log")
        self.static_dir = os.path.join(base, "static")
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.pidfile = os.path.join(self.dir, "nginx.pid")
        self.url = f"http://127.0.0.1:{port}"
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
            stack.chown(os.path.join(self.dir, d), stack.APP_USER)
        os.makedirs(self.static_dir, exist_ok=True)
        with open(os.path.join(self.static_dir, "static.html"), "w") as f:
            f.write("<!doctype html><title>bench</title><p>A small static file.</p>\n")
        values = {
            "USER_DIRECTIVE": f"user {stack.APP_USER} {stack.APP_USER};" if stack.is_root() else "",
            "NGINX_DIR": self.dir,
            "LOG_DIR": self.log_dir,
            "MIME_TYPES": "/etc/nginx/mime.types",
            "PORT": str(port),
            "STATIC_DIR": self.static_dir,
            "HELLO_SOCKET": hello_socket,
            "SELECT_SOCKET": select_socket,
            "USERS_SOCKET": users_socket,
        }
        with open(os.path.join(HERE, "nginx-bench.conf.in")) as f:
            text = f.read()
        for k, v in values.items():
            text = text.replace(f"@{k}@", v)
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self):
        base = ["nginx", "-p", self.dir, "-c", self.conf, "-e",
                os.path.join(self.log_dir, "nginx-bench-error.log")]
        test = subprocess.run(base + ["-t", "-q"], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError("bench nginx config test failed:\n" + test.stderr)
        subprocess.run(base, check=True)
        stack.wait_for(lambda: stack.http_get(self.url + "/static.html")[0] == 200, 20, "bench nginx")

    def stop(self):
        stack.stop_pid(stack.read_pid(self.pidfile), sig=signal.SIGTERM, timeout=15)


# ---- report -----------------------------------------------------------------
def fmt_ms(v):
    return "n/a" if v is None else (f"{v * 1000:.0f}us" if v < 1 else f"{v:.2f}ms")


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model})"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def versions():
    out = []
    for args in (["nginx", "-v"], ["mariadbd", "--version"], ["wrk", "-v"]):
        try:
            r = subprocess.run(args, capture_output=True, text=True, timeout=10)
            line = (r.stdout + r.stderr).strip().splitlines()
            out.append(line[0] if line else args[0])
        except (OSError, subprocess.TimeoutExpired):
            out.append(f"{args[0]}: unknown")
    return out


def truncated_pct(ratio):
    """A ratio as a percentage truncated to 0.1, so a miss never prints as the target value."""
    return math.floor(ratio * 1000) / 10


class Targets:
    """Every target of the run, printed as it is decided, counted at the end."""

    def __init__(self):
        self.results = []

    def add(self, label, ok, detail):
        self.results.append((label, bool(ok), detail))
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {detail}", flush=True)

    def passed(self):
        return sum(1 for _, ok, _ in self.results if ok)

    def failed(self):
        return len(self.results) - self.passed()


def report(runs, rss, bare_rss, workers, load_before, load_after, duration, rounds, targets):
    order = ["nginx static", "bare hello", "bare hello+SELECT", "onramp /healthz", "onramp /readyz"] + \
        [name for name, _ in customer_pages.ROWS]
    print()
    print(f"machine: {machine()}; {workers} workers each; wrk -t{THREADS} -c{CONNECTIONS} "
          f"-d{duration}s after a {WARMUP_S}s warm-up" +
          (f"; medians of {rounds} rounds" if rounds > 1 else ""))
    print(f"load average before {load_before}, after {load_after}")
    for v in versions():
        print(f"  {v}")
    print()
    print(f"{'run':<20} {'req/s':>10} {'p50':>9} {'p99':>9} {'errors':>7}")
    for name in order:
        r = runs[name]
        print(f"{name:<20} {r['rps']:>10.0f} {fmt_ms(r['p50_ms']):>9} {fmt_ms(r['p99_ms']):>9} "
              f"{r['errors']:>7}")
    print()
    for label, num, den, want in (
            ("/healthz vs bare hello", "onramp /healthz", "bare hello", HEALTHZ_RATIO),
            ("/readyz vs bare hello+SELECT", "onramp /readyz", "bare hello+SELECT", READYZ_RATIO)):
        d = runs[den]["rps"]
        ratio = runs[num]["rps"] / d if d else 0.0
        per = ""
        if rounds > 1:
            per = "; per round " + " ".join(
                f"{n / d * 100:.0f}" if d else "n/a"
                for n, d in zip(runs[num]["rounds"], runs[den]["rounds"])) + " %"
        targets.add(label, ratio >= want,
                    f"{truncated_pct(ratio):.1f} % (target >= {want * 100:.0f} %){per}")
    customer_pages.judge(runs, rounds, targets)
    if rss:
        mx, total = max(rss), sum(rss)
        targets.add("onramp worker RSS", mx < RSS_LIMIT_KIB,
                    f"max {mx / 1024:.1f} MiB, sum {total / 1024:.1f} MiB over {len(rss)} workers "
                    f"(target < {RSS_LIMIT_KIB // 1024} MiB each; bare hello+SELECT max "
                    f"{max(bare_rss or [0]) / 1024:.1f} MiB)")
    else:
        targets.add("onramp worker RSS", False, f"no live workers found (expected {workers})")
    errs = sum(r["errors"] for r in runs.values())
    detail = ", ".join(f"{n}: {r['non2xx']} non-2xx/3xx, {r['socket_detail'] or 'no output'}"
                       for n, r in runs.items() if r["errors"])
    targets.add("no request errors", errs == 0, f"{errs} errored" + (f" ({detail})" if detail else ""))


# ---- main -------------------------------------------------------------------
def setup_bench_db(db):
    password = secrets.token_hex(16)
    db.create_app_database("bench", "bench", password)
    db.sql("DROP TABLE IF EXISTS bench.bench_items; "
           "CREATE TABLE bench.bench_items (id INT UNSIGNED NOT NULL PRIMARY KEY, "
           "name VARCHAR(64) NOT NULL) ENGINE=InnoDB; "
           "INSERT INTO bench.bench_items (id, name) "
           f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {ROWS}) "
           "SELECT n, CONCAT('item-', LPAD(n, 4, '0')) FROM s;")
    count = db.sql("SELECT COUNT(*) FROM bench.bench_items").split()[-1]
    if count != str(ROWS):
        raise RuntimeError(f"bench_items holds {count} rows, expected {ROWS}")
    return password


def foundation(ctx, targets):
    """The five foundation rows, worker memory and errors; adds their four targets."""
    st, ngx, duration, rounds, workers = (ctx[k] for k in ("stack", "nginx", "duration", "rounds",
                                                           "workers"))
    load_before = loadavg()
    log(f"{machine()}, load average {load_before}; {workers} workers each; {duration}s per run, "
        f"{rounds} round(s)")
    plan = (("nginx static", ngx.url + "/static.html"),
            ("bare hello", ngx.url + "/hello"),
            ("onramp /healthz", st.public_url + "/healthz"),
            ("bare hello+SELECT", ngx.url + "/select"),
            ("onramp /readyz", st.operator_url + "/readyz"))
    # The customer's pages, with an admin's session, right after /readyz: next to their ceiling.
    plan = [(name, url, ()) for name, url in plan] + customer_pages.plan(st, customer_pages.prepare(st))
    samples = {name: [] for name, _, _ in plan}
    for rnd in range(rounds):
        for name, url, options in plan:
            label = f"{name} (round {rnd + 1}/{rounds})" if rounds > 1 else name
            samples[name].append(measure(label, url, duration, options=options))
    runs = {name: dict(combine(samples[name]), name=name) for name, _, _ in plan}
    rss = [rss_kib(p) for p in st.worker_pids()]
    bare_rss = [rss_kib(p) for p in ctx["bare"][1].workers()]
    load_after = loadavg()
    report(runs, [r for r in rss if r], bare_rss, workers, load_before, load_after, duration, rounds,
           targets)
    return {"machine": machine(), "load_before": load_before, "load_after": load_after,
            "workers": workers, "duration_s": duration, "rounds": rounds,
            "runs": {k: {x: v for x, v in r.items() if x != "raw"} for k, r in runs.items()},
            "onramp_worker_rss_kib": rss, "bare_select_rss_kib": bare_rss}


def run(build, base, parts, duration, rounds, workers, targets):
    import identity  # noqa: E402  (beside this file; imports this module back for its helpers)
    import sso_saml  # noqa: E402
    import sso_signin  # noqa: E402

    db = stack.MariaDB(base)
    st = None
    bare = []
    ngx = None
    out = {}
    ctx = {"extra_bare": []}  # bare programs the identity part starts, stopped here too
    try:
        db.start()
        password = setup_bench_db(db)
        st = stack.Stack(base, build, stack.free_port(), stack.free_port(), db=db,
                         db_name="onramp", workers=workers, rate=BENCH_RATE, burst=BENCH_BURST)
        st.up(own_db=False)

        bdir = os.path.join(base, "bench")
        rundir = os.path.join(bdir, "run")
        os.makedirs(rundir, exist_ok=True)
        os.makedirs(os.path.join(bdir, "log"), exist_ok=True)
        stack.chown(rundir, stack.APP_USER)
        hello_sock = os.path.join(rundir, "hello.sock")
        select_sock = os.path.join(rundir, "select.sock")
        users_sock = os.path.join(rundir, "users.sock")
        blog = os.path.join(bdir, "log", "bare.log")
        bare.append(Bare("bench-hello", os.path.join(build, "tests/bench/bench-hello"),
                         hello_sock, workers, blog))
        env = dict(os.environ, BENCH_DB_SOCKET=db.socket, BENCH_DB_USER="bench",
                   BENCH_DB_PASSWORD=password, BENCH_DB_NAME="bench")
        bare.append(Bare("bench-select", os.path.join(build, "tests/bench/bench-select"),
                         select_sock, workers, blog, env))
        ngx = BenchNginx(bdir, stack.free_port(), hello_sock, select_sock, users_sock)
        ngx.start()
        for path in ("/hello", "/select", "/static.html"):
            status, body, _ = stack.http_get(ngx.url + path)
            if status != 200:
                raise RuntimeError(f"bench nginx {path} answered {status}: {body[:200]!r}")
        ctx.update(build=build, base=base, db=db, stack=st, nginx=ngx, bare=bare, bench_dir=bdir,
                   users_socket=users_sock, bare_log=blog, duration=duration, rounds=rounds,
                   workers=workers)
        if "foundation" in parts:
            out = foundation(ctx, targets)
            out["unit_timings"] = unit_timings.run(build, targets, log)
        if "identity" in parts:
            # The foundation's bare programs are idle from here on; stop them so
            # they hold no connections or memory during the identity runs.
            for b in bare[:2]:
                b.stop()
            customer_pages.remove(db, identity.sql)   # the identity data starts from empty tables
            out["identity"] = identity.run(ctx, targets)
        if "sso" in parts:
            out["sso"] = sso_signin.run(ctx, targets)
        if "saml" in parts:
            out["saml"] = sso_saml.run(ctx, targets)
        if "invites" in parts:
            import invites  # noqa: E402  (issue 15: invite creation at 16 connections)
            out["invites"] = invites.run(ctx, targets)
        return out
    finally:
        teardown(db, st, ctx["extra_bare"] + bare, ngx)


def teardown(db, st, bare, ngx):
    steps = [(b.name, b.stop) for b in bare]
    if ngx:
        steps.append(("bench nginx", ngx.stop))
    if st:
        steps.append(("onramp stack", lambda: st.down(own_db=False)))
    steps.append(("MariaDB", db.stop))
    for what, fn in steps:
        try:
            fn()
        except Exception as e:  # keep tearing down the rest
            log(f"stopping {what} failed: {e}")


def env_flag(name, default=True):
    v = os.environ.get(name)
    if v is None or v == "":
        return default
    return v.lower() not in ("0", "no", "false", "off")


def main():
    import identity  # noqa: E402
    import sso_saml  # noqa: E402
    import sso_signin  # noqa: E402

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", required=True, help="absolute build directory")
    a = p.parse_args()
    try:
        duration = int(os.environ.get("BENCH_DURATION", "10"))
        rounds = int(os.environ.get("BENCH_ROUNDS", "1"))
        if duration < 1 or rounds < 1:
            raise ValueError
    except ValueError:
        log("BENCH_DURATION and BENCH_ROUNDS must be positive whole numbers")
        return 2
    parts = [x for x, flag in (("foundation", "BENCH_FOUNDATION"), ("identity", "BENCH_IDENTITY"),
                               ("sso", "BENCH_SSO"), ("saml", "BENCH_SAML"),
                               ("invites", "BENCH_INVITES")) if env_flag(flag)]
    if not parts:
        log("BENCH_FOUNDATION=0, BENCH_IDENTITY=0, BENCH_SSO=0, BENCH_SAML=0 and BENCH_INVITES=0 leave nothing to run")
        return 2
    try:
        identity.check_settings()
        sso_signin.check_settings()
        sso_saml.check_settings()
    except ValueError as e:
        log(str(e))
        return 2
    if "sso" in parts and sso_signin.ready():
        log(sso_signin.ready())
        return 2
    if "saml" in parts and sso_saml.ready():
        log(sso_saml.ready())
        return 2
    programs = ["onramp-fcgi", "onrampctl", "tests/bench/bench-hello", "tests/bench/bench-select"]
    if "identity" in parts:
        programs += identity.PROGRAMS
    for prog in programs:
        if not os.access(os.path.join(a.build, prog), os.X_OK):
            log(f"{prog} is not built in {a.build}; run `make bench` there")
            return 2
    if shutil.which("wrk") is None or shutil.which("nginx") is None:
        log("wrk and nginx are needed (Debian packages wrk, nginx)")
        return 2
    signal.signal(signal.SIGTERM, on_term)
    workers = os.cpu_count() or 2
    expected = (TARGETS + customer_pages.TARGETS + unit_timings.TARGETS if "foundation" in parts else 0) + \
        (identity.TARGETS if "identity" in parts else 0) + (sso_signin.TARGETS if "sso" in parts else 0) + \
        (sso_saml.TARGETS if "saml" in parts else 0)
    base = tempfile.mkdtemp(prefix="onramp-bench-")
    os.chmod(base, 0o755)  # MariaDB and the workers run as other users under root
    targets = Targets()
    out = None
    try:
        out = run(a.build, base, parts, duration, rounds, workers, targets)
    except Exception as e:
        log(f"error: {e}")
        log(traceback.format_exc().rstrip())
    finally:
        left = strays(base)
        for pid, cmd in left:
            log(f"killing leftover process {pid}: {cmd}")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(base, ignore_errors=True)
    # Targets never decided (the run stopped early) count as failed.
    undecided = max(0, expected - len(targets.results))
    passed, failed = targets.passed(), targets.failed() + undecided
    print(f"bench: {passed} passed, {failed} failed" +
          (f" ({undecided} not reached)" if undecided else ""))
    report_json = os.environ.get("BENCH_JSON")
    if report_json:
        with open(report_json, "w") as f:
            json.dump(dict(out or {}, targets=[{"target": label, "ok": ok, "detail": d}
                                               for label, ok, d in targets.results],
                           passed=passed, failed=failed), f, indent=2, default=str)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    # identity.py and sso_signin.py import this module as `bench`; let them find this copy.
    sys.modules.setdefault("bench", sys.modules[__name__])
    sys.exit(main())
