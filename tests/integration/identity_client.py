"""Clients for the customer and operator APIs, keeping cookies and CSRF tokens like a browser."""

import http.client
import json
import re
import sys
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


def customer(st, source_ip=None):
    return Client(st.public_url, "/api/v1", source_ip)


def operator(st, source_ip=None):
    return Client(st.operator_url, "/admin/api/v1", source_ip)


def totp(secret_b32, at=None, step=30, digits=6):
    """RFC 6238 with SHA-1, written independently of the C implementation (tools/stack.py)."""
    return stack.totp_code(secret_b32, at, step, digits)


# The server accepts the previous, current and next 30 s step, each step once per operator
# (replay protection), so every code this process sends is for a step it has not used yet.
_used_steps = {}
# Secrets of the operators the helpers enrolled: (operator_url, login) -> base32.
_secrets = {}


def totp_next(secret_b32):
    """A code for the earliest step not used yet by this process that the server still takes.
    The previous step is used only when the current one has 5 s or more to run (the server
    reads its clock a little later than we do).  Only when all three are used does this wait
    for the next step; the helpers sign each operator in a few times at most, so it rarely does."""
    now = time.time()
    cur = int(now // 30)
    first = cur - 1 if now - cur * 30 < 25 else cur
    step = max(first, _used_steps.get(secret_b32, first - 1) + 1)
    if step > cur + 1:
        wait = (step - 1) * 30 - now + 0.2
        sys.stderr.write(f"identity_client: every TOTP step in the window is used; waiting {wait:.1f} s\n")
        time.sleep(wait)
    _used_steps[secret_b32] = step
    return totp(secret_b32, at=step * 30)


def remember_totp(client, operator, secret_b32):
    """Record an operator's TOTP secret so operator_signin can compute its codes."""
    for login in (operator["username"], operator["email"]):
        _secrets[(f"http://{client.host}:{client.port}", login.lower())] = secret_b32


def enroll_totp(client):
    """Enroll the signed-in operator of client in TOTP (POST /totp, then confirm with a code);
    returns the base32 secret, also remembered for operator_signin."""
    r = client.call("POST", "/totp")
    assert r.status == 200, r
    secret = r.json["secret"]
    r = client.call("POST", "/totp/confirm", {"code": totp_next(secret)})
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
