#!/usr/bin/env python3
"""Identity benchmarks: sign-in against Argon2id, the user listing over a million users.

bench.py runs this part after the foundation rows, on the same MariaDB and
onramp stack (see docs/performance.md); `python3 identity.py --build DIR`
runs it alone (the same as BENCH_FOUNDATION=0 bench.py).  Steps:

 1. Data: an operator admin (onrampctl), then BENCH_CUSTOMERS customers and
    BENCH_USERS users generated with one INSERT ... SELECT over MariaDB's
    SEQUENCE engine (seq_1_to_N; a recursive CTE where the engine is missing),
    timed, then ANALYZE TABLE.  Every password user carries the operator's
    Argon2id hash, so one password signs them all in.
 2. Listing: GET /admin/api/v1/users?q=status:active role:customer_admin with
    the operator's cookie.  The SQL onramp prepares is read from MariaDB's
    general log and must equal bench-users' (its EXPLAIN is printed); then
    BENCH_LIST_REQUESTS sequential requests from one client (p50/p95/p99),
    and wrk at 64 connections against bare bench-users, right before onramp.
    After the sign-ins, the plans and server times of the SWEEP filters.
 4. Word search: BENCH_LIST_REQUESTS sequential listings from one client,
    round-robin over a mix of bare words (search_words).
 3. Sign-in: bench-argon2 (argon2id_verify of the same hash in one process
    per core, BENCH_DURATION s), right before wrk with signin.lua posting
    {"login","password"} to /api/v1/session for BENCH_SIGNIN_ACCOUNTS
    accounts over BENCH_SIGNIN_CONNECTIONS connections.

Settings (environment): BENCH_USERS (1000000), BENCH_CUSTOMERS (10000),
BENCH_SIGNIN_ACCOUNTS (64), BENCH_SIGNIN_CONNECTIONS (16),
BENCH_LIST_REQUESTS (500), BENCH_DB_BUFFER_POOL_MB (1024; 0 keeps the stack's
64 MiB); BENCH_DURATION and BENCH_ROUNDS as in bench.py.

Targets: sign-in req/s >= 80 % of Argon2id verifications/s; the RSS of
every onramp worker right after the sign-in run < 16 MiB; listing p95 from
one client < 10 ms; listing req/s at 64 connections >= 70 % of bench-users
(with the same SQL); the operator dashboard (checklist states of every
customer, derived in pages of 500 with five queries each, over Account Setup
data generated for 70 % of the customers) answers in < 2 s, counting every
customer; no request errors in these runs; word search p95 from one client
< 10 ms.
"""

import argparse
import http.client
import json
import math
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (the foundation benchmark: wrk, Bare, report helpers)
from bench import stack, log  # noqa: E402

PROGRAMS = ["tests/bench/bench-argon2", "tests/bench/bench-users"]
TARGETS = 6  # sign-in ratio, worker RSS after sign-ins, listing p95, listing ratio, dashboard time, no errors
SIGNIN_RATIO = 0.80
LIST_P95_MS = 10.0
LIST_RATIO = 0.70
DASHBOARD_MS = 2000.0
DASHBOARD_REQUESTS = 5
DRILL_PATH = "/admin/api/v1/customers?limit=50&blocked_category=billing"
LIST_FILTER = "status:active role:customer_admin"
LIST_PATH = "/admin/api/v1/users?q=status:active%20role:customer_admin"
OPERATOR = "benchop"
OPERATOR_EMAIL = "benchop@vendor.test"
DB_NAME = "onramp"
WARMUP_REQUESTS = 20
DAY = 86400
# Other filters, for the plan sweep printed beside the targets (not targets):
# (label, q or a function of now giving q).
SWEEP = (
    ("status:active role:customer_admin", LIST_FILTER),
    ("status:active", "status:active"),
    ("status:dormant", "status:dormant"),
    ("status:suspended", "status:suspended"),
    ("status:deactivated", "status:deactivated"),
    ("role:customer_admin", "role:customer_admin"),
    ("status:suspended role:customer_admin", "status:suspended role:customer_admin"),
    ("status:active,suspended", "status:active,suspended"),
    ("login_type:saml status:dormant", "login_type:saml status:dormant"),
    ("created_after: 1 year ago", lambda now, c: "created_after:" + rfc3339(now - 365 * DAY)),
    ("last_seen_before: 100 days ago", lambda now, c: "last_seen_before:" + rfc3339(now - 100 * DAY)),
    ("customer: the middle one", lambda now, c: f"customer:c{max(1, c // 2):0{max(5, len(str(c)))}d}"),
    ("(no filter)", ""),
    ("u0999 (a word)", "u0999"),
    ("u (a word: every username)", "u"),
    ("user (a word: every display name)", "user"),
    ("c00001 (a word: an email domain)", lambda now, c: f"c{1:0{max(5, len(str(c)))}d}"),
    ("zzz (a word matching nothing)", "zzz"),
    ("u0999 status:active (word and key)", "u0999 status:active"),
    ("customer: the middle one, word u", lambda now, c: f"customer:c{max(1, c // 2):0{max(5, len(str(c)))}d} u"),
    ("u099 (a word: 1 % of users, late ids)", "u099"),
)

SETTINGS = (  # name, default, minimum
    ("BENCH_USERS", 1000000, 100),
    ("BENCH_CUSTOMERS", 10000, 1),
    ("BENCH_SIGNIN_ACCOUNTS", 64, 1),
    ("BENCH_SIGNIN_CONNECTIONS", 16, 1),
    ("BENCH_LIST_REQUESTS", 500, 20),
    ("BENCH_DB_BUFFER_POOL_MB", 1024, 0),
)


def check_settings():
    """The identity settings from the environment; ValueError names a bad one."""
    out = bench.int_settings(SETTINGS)
    if out["BENCH_CUSTOMERS"] > out["BENCH_USERS"]:
        raise ValueError("BENCH_CUSTOMERS must not exceed BENCH_USERS")
    if out["BENCH_CUSTOMERS"] > 99999 or out["BENCH_USERS"] > 99999999:
        raise ValueError("at most 99999 customers and 99999999 users")
    return out


# ---- MariaDB ---------------------------------------------------------------
def sql(db, statement, dbname=DB_NAME, table=False):
    """Run statement(s) as root; tab-separated rows without headers (or a drawn table)."""
    args = db.client_args() + (["-t"] if table else ["-N", "-r"])
    if dbname:
        args.append(dbname)
    r = subprocess.run(args + ["-e", statement], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"SQL failed: {r.stderr.strip()[:2000]}")
    return r.stdout


def rows(db, statement, dbname=DB_NAME):
    return [line.split("\t") for line in sql(db, statement, dbname).splitlines() if line]


def scalar(db, statement, dbname=DB_NAME):
    return rows(db, statement, dbname)[0][0]


def grow_buffer_pool(db, mib):
    """The stack's 64 MiB pool is sized for tests; a million users want theirs in memory."""
    if mib <= 0:
        return
    sql(db, f"SET GLOBAL innodb_buffer_pool_size = {mib * 1024 * 1024}", None)

    def resized():
        status = rows(db, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'", None)
        text = status[0][1] if status and len(status[0]) > 1 else ""
        return text == "" or text.startswith("Completed") or "not needed" in text
    stack.wait_for(resized, 120, "the InnoDB buffer pool to resize")


def number_source(db, n):
    """FROM clause yielding seq = 1..n: the SEQUENCE engine, or a recursive CTE without it."""
    try:
        if scalar(db, "SELECT COUNT(*) FROM seq_1_to_10") == "10":
            return "", f"seq_1_to_{n}"
    except RuntimeError:
        pass
    return (f"WITH RECURSIVE numbers(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM numbers "
            f"WHERE seq < {n}) ", "numbers")


def generation_sql(db, users, customers):
    """Customers c00001.. and their users: roles, statuses, logins and times from CRC32 of the id."""
    per = math.ceil(users / customers)
    uw = max(7, len(str(users)))
    cw = max(5, len(str(customers)))
    cte_c, src_c = number_source(db, customers)
    cte_u, src_u = number_source(db, users)
    day = 86400
    return f"""
SET SESSION time_zone = '+00:00';
SET SESSION unique_checks = 0, foreign_key_checks = 0;
SET @now = NOW(6);
SET @hash = (SELECT password_hash FROM operators WHERE username = '{OPERATOR}');
INSERT INTO customers (id, slug, name, seat_limit, created_at, updated_at)
{cte_c}SELECT seq, CONCAT('c', LPAD(seq, {cw}, '0')), CONCAT('Customer ', LPAD(seq, {cw}, '0')),
       {per + 50}, @now - INTERVAL 730 DAY + INTERVAL (seq MOD 365) DAY,
       @now - INTERVAL 730 DAY + INTERVAL (seq MOD 365) DAY
FROM {src_c};
INSERT INTO users (id, customer_id, username, email, display_name, role, status, login_type,
                   password_hash, must_change_password, last_seen_at, created_at, updated_at,
                   deactivated_at)
{cte_u}SELECT n, (n - 1) DIV {per} + 1,
       CONCAT('u', LPAD(n, {uw}, '0')),
       CONCAT('u', LPAD(n, {uw}, '0'), '@c', LPAD((n - 1) DIV {per} + 1, {cw}, '0'), '.example'),
       CONCAT('User ', n),
       IF(h_role MOD 100 < 10, 'customer_admin', 'customer_member'),
       IF(h_state MOD 100 < 10, 'suspended', 'active'),
       ELT(1 + (h_login MOD 100 >= 80) + (h_login MOD 100 >= 92), 'password', 'oidc', 'saml'),
       IF(h_login MOD 100 < 80, @hash, NULL),
       IF(h_login MOD 100 < 2, 1, 0),
       IF(h_seen MOD 100 < 8, NULL, @now - INTERVAL LEAST(h_when MOD ({200 * day}), age) SECOND),
       @now - INTERVAL age SECOND,
       @now - INTERVAL age SECOND,
       IF(h_state MOD 100 >= 97, @now - INTERVAL (h_when MOD (age + 1)) DIV 2 SECOND, NULL)
FROM (SELECT seq AS n, CRC32(CONCAT('role', seq)) AS h_role, CRC32(CONCAT('state', seq)) AS h_state,
             CRC32(CONCAT('login', seq)) AS h_login, CRC32(CONCAT('seen', seq)) AS h_seen,
             CRC32(CONCAT('when', seq)) AS h_when,
             CRC32(CONCAT('age', seq)) MOD ({730 * day}) AS age
      FROM {src_u}) g;
-- Account Setup spread over the customers, for the dashboard: 70 % saved details (most
-- complete), 60 % with operator context in every billing and review state, 10 % blocked.
INSERT INTO customer_details (customer_id, legal_name, support_name, support_email, billing_name,
                              billing_email, technical_name, technical_email, ai_provider, version)
SELECT id, CONCAT(name, ' Inc.'), 'Help', 'help@x.example', 'AP', 'ap@x.example',
       IF(CRC32(CONCAT('tech', id)) MOD 100 < 80, 'Tech', NULL), 'tech@x.example',
       ELT(1 + CRC32(CONCAT('ai', id)) MOD 3, 'none', 'managed', 'own_account'), 1
FROM customers WHERE CRC32(CONCAT('details', id)) MOD 100 < 70;
INSERT INTO customer_context (customer_id, billing_state, prepaid_balance_cents, target_review, target_ready,
                              provider_review, provider_ready, version)
SELECT id, ELT(1 + CRC32(CONCAT('bill', id)) MOD 5, 'none', 'trial_requested', 'trial_approved', 'verified', 'prepaid'),
       CRC32(CONCAT('bal', id)) MOD 3 * 10000,
       ELT(1 + CRC32(CONCAT('tr', id)) MOD 4, 'none', 'pending', 'approved', 'changes_requested'),
       CRC32(CONCAT('ready', id)) MOD 2,
       ELT(1 + CRC32(CONCAT('pr', id)) MOD 3, 'none', 'pending', 'approved'), CRC32(CONCAT('pready', id)) MOD 2, 1
FROM customers WHERE CRC32(CONCAT('context', id)) MOD 100 < 60;
INSERT INTO sso_settings (customer_id, protocol, review, version)
SELECT id, IF(CRC32(CONCAT('sso', id)) MOD 2, 'not_required', 'oidc'), 'pending', 1
FROM customers WHERE CRC32(CONCAT('ssorow', id)) MOD 100 < 50;
INSERT INTO blockers (customer_id, item, category, message, retryable)
SELECT id, ELT(1 + CRC32(CONCAT('bi', id)) MOD 3, 'billing', 'sso', 'workspace_target'),
       ELT(1 + CRC32(CONCAT('bc', id)) MOD 6, 'billing', 'prepaid_balance', 'sso', 'target_readiness',
           'template_availability', 'other'), 'Blocked for the benchmark.', 0
FROM customers WHERE CRC32(CONCAT('blocked', id)) MOD 100 < 10;
"""


def generate(db, users, customers):
    """Fill customers and users; seconds for the INSERTs and for ANALYZE TABLE, and the mix."""
    if scalar(db, "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM customers)") != "0":
        raise RuntimeError("users and customers must start empty")
    text = generation_sql(db, users, customers)
    log(f"generating {users} users in {customers} customers")
    t0 = time.monotonic()
    sql(db, text)
    gen_s = time.monotonic() - t0
    t0 = time.monotonic()
    sql(db, "ANALYZE TABLE customers, users, customer_details, customer_context, sso_settings, blockers")
    analyze_s = time.monotonic() - t0
    mix = rows(db, "SELECT COUNT(*), SUM(role = 'customer_admin'), SUM(status = 'suspended'), "
                   "SUM(deactivated_at IS NOT NULL), SUM(last_seen_at IS NULL), "
                   "SUM(login_type = 'password'), (SELECT COUNT(*) FROM customers) FROM users")[0]
    keys = ("users", "customer_admin", "suspended", "deactivated", "never_seen", "password_login",
            "customers")
    mix = dict(zip(keys, (int(x) for x in mix)))
    size = rows(db, "SELECT SUM(data_length), SUM(index_length) FROM information_schema.tables "
                    f"WHERE table_schema = '{DB_NAME}' AND table_name IN ('users', 'customers')")[0]
    mix["data_mib"], mix["index_mib"] = (round(int(x) / 1048576) for x in size)
    if mix["users"] != users or mix["customers"] != customers:
        raise RuntimeError(f"generated {mix['users']} users and {mix['customers']} customers, "
                           f"expected {users} and {customers}")
    return gen_s, analyze_s, mix


def signin_accounts(db, users, k):
    """k sign-in-ready accounts spread over the table; usernames and emails alternate."""
    step = max(1, users // (k * 4))
    found = rows(db, f"SELECT username, email FROM users WHERE id % {step} = 0 AND status = 'active' "
                     f"AND deactivated_at IS NULL AND login_type = 'password' "
                     f"AND must_change_password = 0 AND password_hash IS NOT NULL ORDER BY id LIMIT {k}")
    if len(found) < k:
        raise RuntimeError(f"only {len(found)} sign-in accounts found, {k} wanted")
    return [u if i % 2 == 0 else e for i, (u, e) in enumerate(found)]


def capture_sql(db, do_requests):
    """What listing requests send to MariaDB, from the general log.

    Returns (prepare, execute, commands): the listing's SQL as prepared (None
    when no request in the window prepared it, e.g. a cached statement), as
    executed with its values, and every command of the last request's worker
    connection from that request's session lookup on.
    """
    sql(db, "SET GLOBAL log_output = 'TABLE'; TRUNCATE TABLE mysql.general_log; "
            "SET GLOBAL general_log = 1", None)
    try:
        do_requests()
    finally:
        sql(db, "SET GLOBAL general_log = 0", None)
    log_rows = rows(db, "SELECT thread_id, command_type, REPLACE(REPLACE(argument, '\\n', ' '), "
                        "'\\t', ' ') FROM mysql.general_log", None)
    sql(db, "TRUNCATE TABLE mysql.general_log; SET GLOBAL log_output = 'FILE'", None)

    # store_user_get() and store_user_by_login() select the same columns; only
    # the listing orders by id with a bound LIMIT.
    def listing_sql(text):
        return text.startswith("SELECT u.id, u.customer_id, c.slug") and " ORDER BY u.id LIMIT " in text
    prepare = next((r[2] for r in log_rows if r[1] == "Prepare" and listing_sql(r[2])), None)
    last = next((i for i in range(len(log_rows) - 1, -1, -1)
                 if log_rows[i][1] == "Execute" and listing_sql(log_rows[i][2])), None)
    if last is None:
        raise RuntimeError("the listing's Execute was not in the general log")
    thread = log_rows[last][0]
    mine = [i for i, r in enumerate(log_rows) if r[0] == thread]
    # The last request on that connection starts at its session lookup.
    starts = [i for i in mine if i <= last and "FROM sessions" in log_rows[i][2]]
    first = starts[-1] if starts else last
    nxt = [i for i in mine if i > last and "FROM sessions" in log_rows[i][2]]
    stop = nxt[0] if nxt else len(log_rows)
    commands = [r[1] + (": " + r[2][:70] + ("..." if len(r[2]) > 70 else "") if r[2] else "")
                for i, r in enumerate(log_rows) if r[0] == thread and first <= i < stop]
    return prepare, log_rows[last][2], commands


def command_summary(commands):
    """'Execute 3, Prepare 1, Close stmt 1; 4 round trips' (Close stmt gets no answer)."""
    counts = {}
    for c in commands:
        kind = c.split(":", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    trips = sum(n for k, n in counts.items() if k in ("Execute", "Prepare", "Query", "Connect"))
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) + f"; {trips} round trips"


def explain(db, statement):
    """EXPLAIN as a drawn table, and what ANALYZE saw: server time, rows read in u, filesort."""
    plan = sql(db, "EXPLAIN " + statement, table=True).rstrip()
    data = json.loads(sql(db, "ANALYZE FORMAT=JSON " + statement))
    found = {"filesort": False, "u_rows": None, "u_key": None}

    def walk(node):
        if isinstance(node, dict):
            if "filesort" in node:
                found["filesort"] = True
            t = node.get("table")
            if isinstance(t, dict) and t.get("table_name") == "u":
                found["u_rows"] = t.get("r_rows")
                found["u_key"] = t.get("key")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(data)
    found["server_ms"] = data.get("query_block", {}).get("r_total_time_ms")
    return plan, found


# ---- HTTP --------------------------------------------------------------------
def operator_cookie(st, password):
    """Sign the bench operator in and enroll it in TOTP (mandatory for operators; the session is
    limited to enrollment until then); returns its session cookie."""
    ops = stack.ApiSession(st.operator_url + "/admin/api/v1")
    if ops.call("POST", "/session", {"username": OPERATOR, "password": password}).get("totp_enrollment_required"):
        secret = ops.call("POST", "/totp")["secret"]
        ops.call("POST", "/totp/confirm", {"code": stack.totp_code(secret)})
    if not (ops.cookie or "").startswith("onramp_operator="):
        raise RuntimeError("operator sign-in set no onramp_operator cookie")
    return ops.cookie


def get_json(url, cookie=None):
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read()[:300]


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def percentile(sorted_ms, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_ms:
        return None
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


def sequential(port, path, cookie, n):
    """n GETs one after another on one kept-alive connection (after a short warm-up)."""
    def connect():
        return http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn = connect()
    lat, errors, statuses = [], 0, {}
    for i in range(WARMUP_REQUESTS + n):
        if i and i % 500 == 0:  # stay under nginx's keepalive_requests
            conn.close()
            conn = connect()
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Cookie": cookie})
            r = conn.getresponse()
            r.read()
            status = r.status
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = connect()
            continue
        ms = (time.perf_counter() - t0) * 1000
        if i >= WARMUP_REQUESTS:
            lat.append(ms)
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200:
                errors += 1
    conn.close()
    lat.sort()
    return {"n": len(lat), "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
            "p99_ms": percentile(lat, 99), "max_ms": lat[-1] if lat else None,
            "mean_ms": sum(lat) / len(lat) if lat else None, "errors": errors, "statuses": statuses}


# ---- measurements --------------------------------------------------------------
def argon2_ceiling(build, procs, duration, phc, password):
    env = dict(os.environ, BENCH_ARGON2_PHC=phc, BENCH_ARGON2_PASSWORD=password)
    log(f"argon2id alone: {procs} processes for {duration}s")
    r = subprocess.run([os.path.join(build, "tests/bench/bench-argon2"), str(procs), str(duration)],
                       capture_output=True, text=True, env=env, timeout=duration + 120)
    m = re.search(r"(\d+) verifications in ([\d.]+) s, ([\d.]+)/s, (\d+) failed", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"bench-argon2 failed (exit {r.returncode}): {r.stdout}{r.stderr}")
    return {"rate": float(m.group(3)), "verifications": int(m.group(1)), "failed": int(m.group(4))}


def signin_run(st, accounts_file, connections, duration):
    opts = ["-s", os.path.join(HERE, "signin.lua"), "--timeout", "10s"]
    kw = {"connections": connections, "options": opts, "script_args": [accounts_file]}
    res = bench.measure(f"sign-in ({connections} connections)", st.public_url, duration, **kw)
    codes = {int(c): int(n) for c, n in re.findall(r"^status (\d+): (\d+)$", res["raw"], re.M)}
    res["statuses"] = codes
    bad = sum(n for c, n in codes.items() if c != 200)
    res["errors"] = max(res["errors"], bad + res["socket_errors"] + (0 if res["parsed"] else 1))
    return res


def listing_pair(ctx, cookie, label=""):
    """wrk at 64 connections: bare bench-users, then onramp's listing right after it."""
    ngx, st, duration = ctx["nginx"], ctx["stack"], ctx["duration"]
    # A slow plan at 64 connections queues requests for seconds; wrk's 2 s
    # default would count them as errors, and the p95 target already judges them.
    slow = ["--timeout", "10s"]
    samples = {"bare users": [], "onramp users": []}
    for rnd in range(ctx["rounds"]):
        tag = f"{label}" + (f" (round {rnd + 1}/{ctx['rounds']})" if ctx["rounds"] > 1 else "")
        samples["bare users"].append(bench.measure("bare users" + tag, ngx.url + "/users", duration,
                                                   options=slow))
        samples["onramp users"].append(bench.measure(
            "onramp users" + tag, st.operator_url + LIST_PATH, duration,
            options=slow + ["-H", f"Cookie: {cookie}"]))
    return {k: dict(bench.combine(v), name=k) for k, v in samples.items()}


def check_pages(ctx, cookie):
    """bench-users and onramp answer the same users; (same ids, identical objects)."""
    s1, bare_page = get_json(ctx["nginx"].url + "/users")
    s2, onramp_page = get_json(ctx["stack"].operator_url + LIST_PATH, cookie)
    if s1 != 200 or s2 != 200:
        raise RuntimeError(f"listing answered {s2} (onramp) and {s1} (bench-users): "
                           f"{onramp_page!r:.300} {bare_page!r:.300}")
    ids = [u["id"] for u in onramp_page["users"]]
    same_ids = ids == [u["id"] for u in bare_page["users"]] and \
        onramp_page["next_after"] == bare_page["next_after"]
    return same_ids, onramp_page == bare_page, len(ids)


def start_bench_users(ctx):
    db, build = ctx["db"], ctx["build"]
    password = secrets.token_hex(16)
    sql(db, f"CREATE USER IF NOT EXISTS 'benchlist'@'localhost' IDENTIFIED BY '{password}'; "
            f"ALTER USER 'benchlist'@'localhost' IDENTIFIED BY '{password}'; "
            f"GRANT SELECT ON `{DB_NAME}`.* TO 'benchlist'@'localhost';", None)
    env = dict(os.environ, BENCH_DB_SOCKET=db.socket, BENCH_DB_USER="benchlist",
               BENCH_DB_PASSWORD=password, BENCH_DB_NAME=DB_NAME)
    b = bench.Bare("bench-users", os.path.join(build, "tests/bench/bench-users"), ctx["users_socket"],
                   ctx["workers"], ctx["bare_log"], env)
    ctx["extra_bare"].append(b)
    return b


def sweep(ctx, cookie):
    """For each SWEEP filter: the SQL onramp runs (general log), its plan and server time (best of 2)."""
    db, out = ctx["db"], []
    for label, q in SWEEP:
        q = q(int(time.time()), ctx["settings"]["BENCH_CUSTOMERS"]) if callable(q) else q
        path = "/admin/api/v1/users" + ("?q=" + urllib.parse.quote(q) if q else "")
        _, execute, _ = capture_sql(db, lambda: get_json(ctx["stack"].operator_url + path, cookie))
        best = None
        for _ in range(2):
            _, a = explain(db, execute)
            if best is None or (a["server_ms"] or 0) < (best["server_ms"] or 0):
                best = a
        out.append(dict(best, label=label))
    return out


def print_sweep(sweep_rows):
    print("filters through onramp's SQL (not targets): server time from ANALYZE, best of 2; "
          "the index used on u; rows read from u; filesort")
    for a in sweep_rows:
        rows_read = "-" if a["u_rows"] is None else f"{a['u_rows']:.0f}"
        print(f"  {a['label']:<37} {a['server_ms'] or 0:>9.2f} ms  {a['u_key'] or '-':<18} "
              f"{rows_read:>7}  {'filesort' if a['filesort'] else ''}")


def listing(ctx, cookie, label):
    """Plan, single-client latency and the wrk pair for the listing as the schema stands."""
    db = ctx["db"]

    def requests():
        # Every worker serves a few first (connection, cached statements), so
        # the last request shows the steady state.
        for _ in range(4 * ctx["workers"] + 1):
            get_json(ctx["stack"].operator_url + LIST_PATH, cookie)
    prepare, execute, commands = capture_sql(db, requests)
    prepare = ctx.setdefault("listing_prepare", prepare) if prepare is None else prepare
    plan, analyzed = explain(db, execute)
    log(f"listing{label}: {ctx['settings']['BENCH_LIST_REQUESTS']} sequential requests")
    single = sequential(ctx["stack"].operator_port, LIST_PATH, cookie,
                        ctx["settings"]["BENCH_LIST_REQUESTS"])
    same_ids, identical, n = check_pages(ctx, cookie)
    pair = listing_pair(ctx, cookie, label)
    return {"prepare": prepare, "execute": execute, "commands": commands, "plan": plan,
            "analyze": analyzed, "single": single, "runs": pair, "same_ids": same_ids,
            "identical_pages": identical, "page_size": n}


# ---- word search (issue 15 point 7) ----------------------------------------------
WORD_P95_MS = 10.0
TARGETS += 1  # word search p95, one client


def search_words(users, customers):
    """The mix of bare words: rare and common prefixes of usernames, emails, domains, display names."""
    uw, cw = max(7, len(str(users))), max(5, len(str(customers)))
    mid_user, mid_cust = max(1, users // 2), max(1, customers // 2)
    mid_users_customer = (mid_user - 1) // math.ceil(users / customers) + 1
    return [
        f"u{mid_user:0{uw}d}",                                # one username
        f"u{mid_user:0{uw}d}@c{mid_users_customer:0{cw}d}",   # one email
        "u0999",                                              # a rare prefix (1,000 of 1,000,000)
        "u",                                                  # every username and email
        "user",                                               # every display name
        f"c{1:0{cw}d}",                                       # the first customer's email domain
        f"c{mid_cust:0{cw}d}.example",                        # a middle customer's domain
        "zzz",                                                # nothing
        "u0999 status:active",                                # a word and a key
        f"customer:c{mid_cust:0{cw}d} u",                     # a word within one customer
    ]


def word_search(ctx, cookie):
    """BENCH_LIST_REQUESTS sequential operator listings, round-robin over search_words, one client."""
    cfg = ctx["settings"]
    words = search_words(cfg["BENCH_USERS"], cfg["BENCH_CUSTOMERS"])
    paths = ["/admin/api/v1/users?q=" + urllib.parse.quote(w) for w in words]
    port = ctx["stack"].operator_port
    log(f"word search: {cfg['BENCH_LIST_REQUESTS']} sequential requests over {len(words)} words")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat, per_word, errors, found = [], {w: [] for w in words}, 0, {}
    try:
        for i in range(len(words) + cfg["BENCH_LIST_REQUESTS"]):  # one of each first: warm-up
            w, path = words[i % len(words)], paths[i % len(paths)]
            if i and i % 400 == 0:  # stay under nginx's keepalive_requests
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            r = conn.getresponse()
            body = r.read()
            ms = (time.perf_counter() - t0) * 1000
            if i < len(words):
                found[w] = len(json.loads(body).get("users", [])) if r.status == 200 else None
                continue
            lat.append(ms)
            per_word[w].append(ms)
            errors += r.status != 200
    finally:
        conn.close()
    lat.sort()
    return {"n": len(lat), "errors": errors, "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
            "p99_ms": percentile(lat, 99), "max_ms": lat[-1] if lat else None, "page_rows": found,
            "per_word_p95_ms": {w: percentile(sorted(v), 95) for w, v in per_word.items()}}


def report_word_search(res, targets):
    print("word search, one client, round-robin over the words (per-word p95; rows on the first page):")
    for w, p95 in res["per_word_p95_ms"].items():
        print(f"  {w:<32} p95 {bench.fmt_ms(p95):>9}  rows {res['page_rows'].get(w)}")
    p95 = res["p95_ms"]
    targets.add("word search p95, one client", p95 is not None and p95 < WORD_P95_MS and res["errors"] == 0,
                f"{bench.fmt_ms(p95)} over {res['n']} requests (p50 {bench.fmt_ms(res['p50_ms'])}, p99 "
                f"{bench.fmt_ms(res['p99_ms'])}, errors {res['errors']}; target < {WORD_P95_MS:.0f} ms)")


# ---- report --------------------------------------------------------------------
def row(name, rate, p50, p99, errors):
    print(f"{name:<34} {rate:>10.1f} {bench.fmt_ms(p50):>9} {bench.fmt_ms(p99):>9} {errors:>7}")


def print_listing(res, title):
    s, a = res["single"], res["analyze"]
    print(f"{title}")
    print(res["plan"])
    print(f"  ANALYZE: {a['server_ms'] or 0:.2f} ms in the server; {a['u_rows']} rows read from "
          f"users via {a['u_key']}; filesort: {'yes' if a['filesort'] else 'no'}")
    print(f"  one client, {s['n']} sequential requests: p50 {bench.fmt_ms(s['p50_ms'])}, "
          f"p95 {bench.fmt_ms(s['p95_ms'])}, p99 {bench.fmt_ms(s['p99_ms'])}, "
          f"max {bench.fmt_ms(s['max_ms'])}, errors {s['errors']}")
    for k in ("bare users", "onramp users"):
        r = res["runs"][k]
        row(f"  {k} (c{bench.CONNECTIONS})", r["rps"], r["p50_ms"], r["p99_ms"], r["errors"])
    b, o = res["runs"]["bare users"]["rps"], res["runs"]["onramp users"]["rps"]
    print(f"  onramp/bare: {bench.truncated_pct(o / b if b else 0):.1f} %; same users on the page: "
          f"{'yes' if res['same_ids'] else 'NO'}, identical JSON: "
          f"{'yes' if res['identical_pages'] else 'no'}")


def dashboard(ctx, cookie):
    """GET /admin/api/v1/dashboard, DASHBOARD_REQUESTS times in a row: times, the count it saw, worker RSS."""
    url = ctx["stack"].operator_url + "/admin/api/v1/dashboard"
    times, seen, errors, blocked = [], None, 0, None
    for _ in range(DASHBOARD_REQUESTS):
        t0 = time.monotonic()
        status, body = get_json(url, cookie)
        times.append((time.monotonic() - t0) * 1000)
        if status != 200:
            errors += 1
        else:
            seen, blocked = body["customers"], body["blocked_by_category"]["billing"]
    # The drill-down behind one count: the customers list derives every customer the same way.
    drill, listed = [], None
    for _ in range(DASHBOARD_REQUESTS):
        t0 = time.monotonic()
        status, body = get_json(ctx["stack"].operator_url + DRILL_PATH, cookie)
        drill.append((time.monotonic() - t0) * 1000)
        if status != 200:
            errors += 1
        else:
            listed = body["total"]
    return {"ms": sorted(times), "customers_seen": seen, "errors": errors, "drill_ms": sorted(drill),
            "drill_total": listed, "blocked_billing": blocked,
            "rss_kib": [bench.rss_kib(p) for p in ctx["stack"].worker_pids()]}


def report_dashboard(ctx, dash, mix, targets):
    ms = dash["ms"]
    print(f"dashboard over {mix['customers']} customers / {mix['users']} users, {len(ms)} requests in a row: "
          f"median {ms[len(ms) // 2]:.0f} ms, max {ms[-1]:.0f} ms; it counted {dash['customers_seen']} customers; "
          f"worker RSS after: max {max(dash['rss_kib'] or [0]) / 1024:.1f} MiB (not a target)")
    dm = dash["drill_ms"]
    print(f"drill-down {DRILL_PATH}, {len(dm)} requests in a row: median {dm[len(dm) // 2]:.0f} ms, "
          f"max {dm[-1]:.0f} ms; total {dash['drill_total']} (dashboard: {dash['blocked_billing']})")
    targets.add("dashboard, one client", ms[-1] < DASHBOARD_MS and dash["customers_seen"] == mix["customers"]
                and dash["errors"] == 0 and dm[-1] < DASHBOARD_MS and dash["drill_total"] == dash["blocked_billing"],
                f"max {ms[-1]:.0f} ms over {mix['customers']} customers, drill-down list max {dm[-1]:.0f} ms "
                f"(target < {DASHBOARD_MS:.0f} ms each, every customer counted, the list's total equal to the "
                f"count, no errors)")


def report_rss(ctx, rss_after, targets):
    """Every worker's VmRSS right after the sign-in run: Argon2id's 19 MiB area must have gone back
    to the kernel (src/domain/password.c), so no worker keeps it between sign-ins."""
    want = ctx["workers"]
    alive = [r for r in rss_after if r]
    ok = len(alive) >= want and max(alive) < bench.RSS_LIMIT_KIB
    each = " ".join(f"{r / 1024:.1f}" for r in alive) or "none"
    targets.add("worker RSS after the sign-ins", ok,
                f"max {max(alive or [0]) / 1024:.1f} MiB over {len(alive)} workers (each: {each} MiB; "
                f"target < {bench.RSS_LIMIT_KIB // 1024} MiB each, {want} workers)")


def report(ctx, gen, signin, argon, rss_after, cur, targets):
    cfg = ctx["settings"]
    gen_s, analyze_s, mix = gen
    print()
    print(f"identity: {mix['users']} users in {mix['customers']} customers generated in {gen_s:.1f} s "
          f"({mix['users'] / gen_s:,.0f} users/s), ANALYZE TABLE {analyze_s:.1f} s; "
          f"{mix['customer_admin']} customer_admin, {mix['suspended']} suspended, "
          f"{mix['deactivated']} deactivated, {mix['never_seen']} never seen, "
          f"{mix['password_login']} with a password; InnoDB size {mix['data_mib']} MiB data + "
          f"{mix['index_mib']} MiB secondary indexes")
    print(f"load average now {bench.loadavg()}")
    print()
    print(f"{'run':<34} {'per s':>10} {'p50':>9} {'p99':>9} {'errors':>7}")
    row(f"argon2id alone ({ctx['workers']} procs)", argon["rate"], None, None, argon["failed"])
    row(f"onramp sign-in (c{cfg['BENCH_SIGNIN_CONNECTIONS']})", signin["rps"], signin["p50_ms"],
        signin["p99_ms"], signin["errors"])
    print(f"  sign-in statuses: {signin.get('statuses') or 'none reported'}")
    print()
    print(f"onramp's commands to MariaDB for one listing request: {command_summary(cur['commands'])} "
          f"(bench-users: Execute 1; 1 round trip)")
    for c in cur["commands"]:
        print(f"  {c}")
    print_listing(cur, f"listing q={LIST_FILTER}:")
    print()
    ratio = signin["rps"] / argon["rate"] if argon["rate"] else 0.0
    per = ""
    if len(signin.get("rounds", [])) > 1:
        per = "; per round " + " ".join(
            f"{s / a * 100:.0f}" if a else "n/a" for s, a in zip(signin["rounds"], argon["rounds"])) + " %"
    targets.add("sign-in vs argon2id alone", ratio >= SIGNIN_RATIO,
                f"{bench.truncated_pct(ratio):.1f} % ({signin['rps']:.1f} vs {argon['rate']:.1f}/s; "
                f"target >= {SIGNIN_RATIO * 100:.0f} %){per}")
    report_rss(ctx, rss_after, targets)
    p95 = cur["single"]["p95_ms"]
    targets.add("listing p95, one client", p95 is not None and p95 < LIST_P95_MS,
                f"{bench.fmt_ms(p95)} (p50 {bench.fmt_ms(cur['single']['p50_ms'])}; "
                f"target < {LIST_P95_MS:.0f} ms)")
    b, o = cur["runs"]["bare users"]["rps"], cur["runs"]["onramp users"]["rps"]
    lratio = o / b if b else 0.0
    same_sql = cur["prepare"] is not None and cur["prepare"] == ctx["bare_sql"]
    detail = (f"{bench.truncated_pct(lratio):.1f} % ({o:.0f} vs {b:.0f} req/s; target >= "
              f"{LIST_RATIO * 100:.0f} %); same SQL: {'yes' if same_sql else 'NO'}; same users: "
              f"{'yes' if cur['same_ids'] else 'NO'}")
    targets.add("listing vs bare bench-users", lratio >= LIST_RATIO and same_sql and cur["same_ids"],
                detail)
    if not same_sql:
        print(f"  onramp prepares: {cur['prepare']}\n  bench-users:     {ctx['bare_sql']}")
    errs = {"sign-in": (signin["errors"], signin.get("statuses"), signin["socket_detail"]),
            "one client": (cur["single"]["errors"], cur["single"]["statuses"], {})}
    errs.update({k: (r["errors"], r["non2xx"], r["socket_detail"]) for k, r in cur["runs"].items()})
    total = sum(e[0] for e in errs.values())
    detail = "; ".join(f"{k}: {n} ({codes}, socket {sock})" for k, (n, codes, sock) in errs.items() if n)
    targets.add("no identity request errors", total == 0,
                f"{total} errored" + (f" ({detail})" if detail else ""))


# ---- the part ------------------------------------------------------------------
def run(ctx, targets):
    cfg = ctx["settings"] = check_settings()
    db, st, build, duration = ctx["db"], ctx["stack"], ctx["build"], ctx["duration"]
    password = "Bench-" + secrets.token_urlsafe(12)
    st.ctl("operators", "create", "--username", OPERATOR, "--email", OPERATOR_EMAIL, "--admin",
           "--password-stdin", input=password + "\n")
    phc = scalar(db, f"SELECT password_hash FROM operators WHERE username = '{OPERATOR}'")
    grow_buffer_pool(db, cfg["BENCH_DB_BUFFER_POOL_MB"])
    gen = generate(db, cfg["BENCH_USERS"], cfg["BENCH_CUSTOMERS"])
    accounts = signin_accounts(db, cfg["BENCH_USERS"], cfg["BENCH_SIGNIN_ACCOUNTS"])
    accounts_file = os.path.join(ctx["bench_dir"], "signin-accounts")
    fd = os.open(accounts_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n" + "\n".join(accounts) + "\n")

    ctx["bare_sql"] = subprocess.run([os.path.join(build, "tests/bench/bench-users"), "--sql"],
                                     capture_output=True, text=True, check=True).stdout.strip()
    cookie = operator_cookie(st, password)
    start_bench_users(ctx)
    cur = listing(ctx, cookie, "")

    argon, signin = [], []
    for _ in range(ctx["rounds"]):
        argon.append(argon2_ceiling(build, ctx["workers"], duration, phc, password))
        signin.append(signin_run(st, accounts_file, cfg["BENCH_SIGNIN_CONNECTIONS"], duration))
    # Sign-ins wrk left queued in the FastCGI backlog finish before anything else runs (and
    # before the RSS reading: a worker keeps Argon2id's area while requests queue).
    if not bench.wait_idle(st.worker_pids()):
        log("the workers were still busy 60 s after the sign-ins")
    argon_c = {"rate": bench.median(a["rate"] for a in argon), "rounds": [a["rate"] for a in argon],
               "failed": sum(a["failed"] for a in argon)}
    signin_c = dict(bench.combine(signin), statuses={})
    for s in signin:
        for c, n in s["statuses"].items():
            signin_c["statuses"][c] = signin_c["statuses"].get(c, 0) + n
    signin_c["errors"] = sum(s["errors"] for s in signin)
    rss_after = [bench.rss_kib(p) for p in st.worker_pids()]
    cur["sweep"] = sweep(ctx, cookie)
    words = word_search(ctx, cookie)
    dash = dashboard(ctx, cookie)

    report(ctx, gen, signin_c, argon_c, rss_after, cur, targets)
    report_dashboard(ctx, dash, gen[2], targets)
    report_word_search(words, targets)
    out = {"generation": {"seconds": gen[0], "analyze_seconds": gen[1], "mix": gen[2]},
           "argon2": argon_c, "signin": {k: v for k, v in signin_c.items() if k != "raw"},
           "worker_rss_after_signin_kib": rss_after, "listing": strip(cur), "dashboard": dash,
           "word_search": words}
    print()
    print_sweep(cur["sweep"])
    return out


def strip(res):
    """A listing result without wrk's raw text, for BENCH_JSON."""
    out = dict(res)
    out["runs"] = {k: {x: v for x, v in r.items() if x != "raw"} for k, r in res["runs"].items()}
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", required=True, help="absolute build directory")
    a = p.parse_args()
    os.environ["BENCH_FOUNDATION"] = "0"
    os.environ["BENCH_IDENTITY"] = "1"
    sys.argv = [os.path.join(HERE, "bench.py"), "--build", a.build]
    return bench.main()


if __name__ == "__main__":
    # bench.main() imports this module as `identity`; let it find this copy.
    sys.modules.setdefault("identity", sys.modules[__name__])
    sys.exit(main())
