"""Clients for the customer and operator APIs, keeping cookies and CSRF tokens like a browser."""

import http.client
import json
import re
import sys
import threading
import time

import stack


class Client:
    """One browser-like session against one listener."""

    def __init__(self, base_url, prefix, source_ip=None):
        self.host, port = base_url.split("://", 1)[1].split(":")
        self.port = int(port)
        self.prefix = prefix
        self.cookies = {}
        self.csrf = None
        self.source_ip = source_ip

    def call(self, method, path, body=None, csrf=True, headers=None, raw=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30,
                                          source_address=(self.source_ip, 0) if self.source_ip else None)
        try:
            hdrs = dict(headers or {})
            if self.cookies:
                hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if csrf and self.csrf and method not in ("GET", "HEAD"):
                hdrs["X-CSRF-Token"] = self.csrf
            data = raw
            if body is not None:
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
            conn.request(method, self.prefix + path, body=data, headers=hdrs)
            r = conn.getresponse()
            payload = r.read()
            for name, value in r.getheaders():
                if name.lower() == "set-cookie":
                    m = re.match(r"([^=]+)=([^;]*)", value)
                    if m:
                        if m.group(2) == "" or "Max-Age=0" in value:
                            self.cookies.pop(m.group(1), None)
                        else:
                            self.cookies[m.group(1)] = m.group(2)
            resp = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, payload)
            if resp.status == 200 and isinstance(resp.json, dict) and "csrf_token" in resp.json:
                self.csrf = resp.json["csrf_token"]
            return resp
        finally:
            conn.close()


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def code(self):
        return (self.json or {}).get("error", {}).get("code")

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


# The stack behind each listener URL, so a client's TOTP codes follow that stack's test clock.
_stacks = {}


def customer(st, source_ip=None):
    _stacks[st.public_url] = st
    return Client(st.public_url, "/api/v1", source_ip)


def operator(st, source_ip=None):
    _stacks[st.operator_url] = st
    return Client(st.operator_url, "/admin/api/v1", source_ip)


def totp(secret_b32, at=None, step=30, digits=6):
    """RFC 6238 with SHA-1, written independently of the C implementation (tools/stack.py).
    Without at: now as the stack of an enrolled secret sees it (its test clock may run ahead)."""
    if at is None and secret_b32 in _secret_stacks:
        at = _secret_stacks[secret_b32].now()
    return stack.totp_code(secret_b32, at, step, digits)


# The server accepts the previous, current and next 30 s step, each step once per operator
# (replay protection), so every code this process sends is for a step it has not used yet.
_used_steps = {}
_steps_lock = threading.Lock()
# Secrets of the operators the helpers enrolled: (operator_url, login) -> base32.
_secrets = {}
# The stack each secret the helpers know belongs to.
_secret_stacks = {}


def totp_next(secret_b32, st=None):
    """A code for the earliest step not used yet by this process that the server still takes,
    on the clock of st (else the stack the secret was enrolled on).  The previous step is used
    only when the current one has 5 s or more to run (the server reads its clock a little later
    than we do).  When all three are used, the stack's test clock moves to the next step
    instead of anyone waiting for it (tests that sign one operator in many times do that)."""
    st = st or _secret_stacks.get(secret_b32)
    with _steps_lock:
        now = st.now() if st else time.time()
        cur = int(now // 30)
        first = cur - 1 if now - cur * 30 < 25 else cur
        step = max(first, _used_steps.get(secret_b32, first - 1) + 1)
        if step > cur + 1:
            if st is None:
                raise RuntimeError("totp_next: every step is used; pass the stack so its clock can move")
            ahead = int((step - 1) * 30 - now) + 1
            sys.stderr.write(f"identity_client: every TOTP step in the window is used; "
                             f"moving the stack's clock {ahead} s forward\n")
            st.advance_clock(ahead)
        _used_steps[secret_b32] = step
    return totp(secret_b32, at=step * 30)


def remember_totp(client, operator, secret_b32):
    """Record an operator's TOTP secret so operator_signin can compute its codes."""
    _secret_stacks[secret_b32] = _stacks[f"http://{client.host}:{client.port}"]
    for login in (operator["username"], operator["email"]):
        _secrets[(f"http://{client.host}:{client.port}", login.lower())] = secret_b32


def enroll_totp(client):
    """Enroll the signed-in operator of client in TOTP (POST /totp, then confirm with a code);
    returns the base32 secret, also remembered for operator_signin."""
    r = client.call("POST", "/totp")
    assert r.status == 200, r
    secret = r.json["secret"]
    r = client.call("POST", "/totp/confirm", {"code": totp_next(secret, _stacks[f"http://{client.host}:{client.port}"])})
    assert r.status == 200, r
    remember_totp(client, r.json["operator"], secret)
    return secret


def operator_signin(st, login, password, code=None, enroll=True, source_ip=None):
    """Sign an operator in like the console does: with the given code, or one computed from
    the secret the helpers enrolled.  An operator without TOTP gets a session that can only
    enroll; with enroll (the default) this enrolls it at once, so the client can do
    everything its role allows.  Returns (client, response of POST /session)."""
    c = operator(st, source_ip)
    body = {"username": login, "password": password}
    secret = _secrets.get((st.operator_url, login.lower()))
    if code is None and secret:
        code = totp_next(secret)
    if code is not None:
        body["totp"] = code
    r = c.call("POST", "/session", body)
    if r.status == 200 and enroll and r.json.get("totp_enrollment_required"):
        enroll_totp(c)
    return c, r
