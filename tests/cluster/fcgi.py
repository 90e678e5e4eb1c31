"""A minimal FastCGI client: one request straight to one app host's socket, past nginx.

The cluster tests use it to pin a request to an app host (and so to that host's preferred
Galera node) without stopping the other host; it sends the params nginx's onramp-fastcgi.conf
sends, nothing else.  Python standard library only.
"""

import json
import socket
import struct

VERSION, BEGIN, END, PARAMS, STDIN, STDOUT, STDERR = 1, 1, 3, 4, 5, 6, 7
RESPONDER = 1


def _record(kind, body, request_id=1):
    out = b""
    for i in range(0, max(len(body), 1), 65535):
        chunk = body[i:i + 65535]
        out += struct.pack(">BBHHBx", VERSION, kind, request_id, len(chunk), 0) + chunk
        if not body:
            break
    return out


def _pair(name, value):
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return length(len(name)) + length(len(value)) + name + value


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body or b"{}")

    def cookies(self):
        return [v.split(";", 1)[0] for k, v in self.headers if k.lower() == "set-cookie"]


def request(sock_path, method, uri, body=None, headers=None, listener="public", timeout=30.0):
    """One request to the app socket; the body (a dict) goes as JSON.  Returns a Response."""
    data = json.dumps(body).encode() if body is not None else b""
    path, _, query = uri.partition("?")
    params = {"REQUEST_METHOD": method, "QUERY_STRING": query, "REQUEST_URI": uri, "DOCUMENT_URI": path,
              "SCRIPT_NAME": path, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
              "SERVER_PORT": "8080", "ONRAMP_LISTENER": listener, "ONRAMP_REQUEST_ID": "fcgi-test",
              "CONTENT_TYPE": "application/json" if data else "", "CONTENT_LENGTH": str(len(data)) if data else ""}
    for k, v in (headers or {}).items():
        params["HTTP_" + k.upper().replace("-", "_")] = v
    msg = _record(BEGIN, struct.pack(">HB5x", RESPONDER, 0))
    msg += _record(PARAMS, b"".join(_pair(k, v) for k, v in params.items())) + _record(PARAMS, b"")
    msg += (_record(STDIN, data) if data else b"") + _record(STDIN, b"")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(msg)
        return _parse(_read_stdout(s))


def _read_stdout(s):
    buf, out = b"", b""
    while True:
        while len(buf) < 8:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("app closed the connection before END_REQUEST")
            buf += chunk
        _, kind, _, n, pad = struct.unpack(">BBHHBx", buf[:8])
        while len(buf) < 8 + n + pad:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("truncated FastCGI record")
            buf += chunk
        content, buf = buf[8:8 + n], buf[8 + n + pad:]
        if kind == STDOUT:
            out += content
        elif kind == END:
            return out


def _parse(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    status, headers = 200, []
    for line in head.decode("latin-1").split("\r\n"):
        k, _, v = line.partition(":")
        if k.lower() == "status":
            status = int(v.strip().split()[0])
        elif k:
            headers.append((k, v.strip()))
    return Response(status, headers, body)


class Session:
    """A signed-in customer session (cookie + CSRF token) usable against any app host's socket."""

    def __init__(self):
        self.cookie = None
        self.csrf = None

    def call(self, sock_path, method, uri, body=None):
        headers = {}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        r = request(sock_path, method, uri, body, headers)
        for c in r.cookies():
            self.cookie = c
        if r.status < 300 and r.body:
            doc = r.json()
            if isinstance(doc, dict) and "csrf_token" in doc:
                self.csrf = doc["csrf_token"]
        return r
