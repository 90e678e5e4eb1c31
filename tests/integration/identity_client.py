"""Clients for the customer and operator APIs, keeping cookies and CSRF tokens like a browser."""

import base64
import hashlib
import hmac
import http.client
import json
import re
import struct
import time


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
    """RFC 6238 with SHA-1, written independently of the C implementation."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return f"{code:0{digits}d}"
