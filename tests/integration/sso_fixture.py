"""A loopback HTTPS fixture that serves the IdP corpus under the documents' real URLs.

A throw-away CA issues one certificate for every host name the corpus uses; nginx serves
`<root>/<host>/<path>` for the Host it is asked for.  onramp is configured to connect those
host names to the fixture (`sso_fetch_connect_to`) and to trust the CA (`sso_fetch_ca_file`),
so the issuer checks compare against the real discovery URLs, as SOURCES.md requires.
A second port redirects elsewhere, a canary TCP listener counts connection attempts, and a
stalling listener (`slow.fixture.test`) accepts and then never answers, like an IdP that hangs
until the fetch timeout.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import threading

import stack

# A copy of ../shared/corpus kept in the repository, so a clean clone tests the same bytes.
CORPUS = os.environ.get("ONRAMP_CORPUS_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "corpus")
# Verdict rows SOURCES.md holds at least, per kind.
CORPUS_MIN_ROWS = {"saml": 14, "oidc": 11, "jwks": 8}
SAML_HOST = "idp.fixture.test"
SLOW_HOST = "slow.fixture.test"


def corpus_rows():
    """(kind, file, discovery URL or None, paired jwks file or None, verdict text) from SOURCES.md."""
    rows = []
    text = open(os.path.join(CORPUS, "SOURCES.md"), encoding="utf-8").read()
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = cells[0].strip("`")
        if name.startswith("oidc/"):
            url = re.match(r"(https://\S+)", cells[3]).group(1)
            jwks = re.search(r"`(jwks/[^`]+)`", cells[6])
            rows.append(("oidc", name, url, jwks.group(1) if jwks else None, cells[5]))
        elif name.startswith("saml/") and len(cells) >= 7:
            rows.append(("saml", name, None, None, cells[5]))
        elif name.startswith("jwks/") and len(cells) == 5:
            rows.append(("jwks", name, None, None, cells[4]))
    # A table that stops parsing yields fewer rows; fail then instead of testing nothing
    # (the same minimums as tests/unit/corpus.h).
    for kind, least in CORPUS_MIN_ROWS.items():
        got = sum(1 for r in rows if r[0] == kind)
        assert got >= least, f"SOURCES.md parsed into {got} {kind} rows, expected at least {least}"
    return rows


class Canary:
    """A TCP listener that only counts connection attempts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            c.close()

    def close(self):
        self._stop = True
        self.sock.close()


class Stall:
    """A TCP listener that accepts, reads whatever arrives (a TLS ClientHello) and never answers,
    so a fetch waits for its timeout.  `open` is how many connections are being held right now."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.open = 0
        self.peak = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.hits += 1
                self.open += 1
                self.peak = max(self.peak, self.open)
            threading.Thread(target=self._hold, args=(c,), daemon=True).start()

    def _hold(self, c):
        try:
            while c.recv(4096):
                pass
        except OSError:
            pass
        finally:
            c.close()
            with self.lock:
                self.open -= 1

    def close(self):
        self.sock.close()


class Fixture:
    def __init__(self, base):
        self.base = os.path.join(base, "sso-fixture")
        self.root = os.path.join(self.base, "www")
        self.port = stack.free_port()
        self.redirect_port = stack.free_port()
        self.hosts = {(SAML_HOST, 443)}
        self.canary = None
        self.stall = None
        self.served = {}          # corpus file -> the URL it is served at

    # ---- content --------------------------------------------------------
    def _put(self, host, path, data, port=443):
        self.hosts.add((host, port))
        # nginx answers a URI ending in "/" with the directory's index.html.
        dest = os.path.join(self.root, host, path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(data)

    def _layout(self):
        stub = open(os.path.join(CORPUS, "jwks/google_oauth2-v3-certs.json"), "rb").read()
        for kind, name, url, jwks, _ in corpus_rows():
            data = open(os.path.join(CORPUS, name), "rb").read()
            if kind == "saml":
                self._put(SAML_HOST, "/saml/" + os.path.basename(name), data)
                self.served[name] = f"https://{SAML_HOST}/saml/{os.path.basename(name)}"
            elif kind == "oidc":
                host, port, path = re.match(r"https://([^/:]+)(?::(\d+))?(/.*)", url).groups()
                port = int(port or 443)
                # Two documents published at one URL (Google then and now): the older one moves to an alias.
                if os.path.exists(os.path.join(self.root, host, path.lstrip("/"))):
                    host = "legacy." + host
                self._put(host, path, data, port)
                self.served[name] = f"https://{host}{'' if port == 443 else ':' + str(port)}{path}"
                try:
                    doc = json.loads(data.decode("utf-8-sig"))
                except ValueError:
                    continue
                uri = doc.get("jwks_uri") if isinstance(doc, dict) else None
                m = re.match(r"https://([^/:]+)(?::(\d+))?(/.*)", uri or "")
                if m:
                    # Rows without a paired JWKS get a stub key set, as SOURCES.md asks.
                    keys = open(os.path.join(CORPUS, jwks), "rb").read() if jwks else stub
                    self._put(m.group(1), m.group(3), keys, int(m.group(2) or 443))

    def put(self, host, path, data):
        """Serve extra bytes (tests' own documents)."""
        self._put(host, path, data if isinstance(data, bytes) else data.encode())

    def url(self, host, path):
        return f"https://{host}{path}"

    # ---- TLS --------------------------------------------------------------
    def _certs(self):
        d = os.path.join(self.base, "tls")
        os.makedirs(d, exist_ok=True)
        self.ca = os.path.join(d, "ca.pem")
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", os.path.join(d, "ca.key"),
            "-out", self.ca, "-days", "2", "-subj", "/CN=onramp test fixture CA")
        hosts = sorted({h for h, _ in self.hosts} | {"127.0.0.1"})
        san = ",".join(("IP:" if re.match(r"^[0-9.]+$", h) else "DNS:") + h for h in hosts)
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", os.path.join(d, "leaf.key"),
            "-out", os.path.join(d, "leaf.csr"), "-subj", "/CN=fixture")
        run("openssl", "x509", "-req", "-in", os.path.join(d, "leaf.csr"), "-CA", self.ca, "-CAkey",
            os.path.join(d, "ca.key"), "-CAcreateserial", "-out", os.path.join(d, "leaf.pem"), "-days", "2",
            "-extfile", os.path.join(d, "ext.cnf"))
        self.cert, self.key = os.path.join(d, "leaf.pem"), os.path.join(d, "leaf.key")

    # ---- nginx ------------------------------------------------------------
    def _conf(self):
        conf = f"""
worker_processes 1;
pid {self.base}/nginx.pid;
error_log {self.base}/error.log;
user root;
events {{ worker_connections 64; }}
http {{
    access_log {self.base}/access.log;
    default_type application/json;
    types {{ application/samlmetadata+xml xml; }}
    server {{
        listen 127.0.0.1:{self.port} ssl;
        ssl_certificate {self.cert};
        ssl_certificate_key {self.key};
        root {self.root}/$host;
        location /redirect-to-canary {{ return 302 https://127.0.0.1:{{CANARY}}/x; }}
        location /redirect-loop {{ return 302 /redirect-loop; }}
        location /huge {{ return 200 "$request_id"; }}
        location = /status-500 {{ return 500; }}
    }}
    server {{
        listen 127.0.0.1:{self.redirect_port} ssl;
        ssl_certificate {self.cert};
        ssl_certificate_key {self.key};
        location / {{ return 302 https://127.0.0.1:{self.port}/; }}
    }}
}}
"""
        return conf

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        self._layout()
        self._certs()
        self.canary = Canary()
        self.stall = Stall()
        with open(os.path.join(self.base, "nginx.conf"), "w") as f:
            f.write(self._conf().replace("{CANARY}", str(self.canary.port)))
        os.chmod(self.base, 0o755)
        subprocess.run(["nginx", "-p", self.base, "-c", os.path.join(self.base, "nginx.conf"), "-e",
                        os.path.join(self.base, "error.log")], check=True)
        stack.wait_for(lambda: _can_connect(self.port), 10, "the SSO fixture")

    def stop(self):
        pid_file = os.path.join(self.base, "nginx.pid")
        if os.path.exists(pid_file):
            stack.stop_pid(int(open(pid_file).read().strip()), timeout=10)
        if self.canary:
            self.canary.close()
        if self.stall:
            self.stall.close()
        shutil.rmtree(self.base, ignore_errors=True)

    def config(self):
        """onramp settings that send the corpus host names here and trust the fixture CA."""
        mapping = ",".join(f"{h}:{p}:127.0.0.1:{self.port}" for h, p in sorted(self.hosts))
        mapping += f",{SLOW_HOST}:443:127.0.0.1:{self.stall.port}"
        return {"sso_fetch_connect_to": mapping, "sso_fetch_ca_file": self.ca,
                "sso_fetch_allowlist": f"127.0.0.1:{self.port},127.0.0.1:{self.stall.port}"}


def _can_connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False
