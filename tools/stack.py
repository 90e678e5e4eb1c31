#!/usr/bin/env python3
"""Start and stop a complete onramp stack in one directory.

A stack is a private MariaDB (unix socket only), the onramp-fcgi master with
its workers, and nginx with the public and operator listeners, all on
127.0.0.1.  `./dev up` runs one under var/; the integration tests and the
benchmark run their own in temporary directories on free ports, so they never
collide with a running `./dev up`.

Everything a stack starts is recorded in pid files inside its directory, so
`down` stops exactly what `up` started.  When run as root, MariaDB runs as
`mysql` and the workers and nginx workers run as the unprivileged `onramp`
user (created if missing); nothing of ours keeps root after start-up except
the nginx master, which holds no request.

Python standard library only (Debian's python3).
"""

import argparse
import base64
import grp
import hashlib
import hmac
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_USER = "onramp"


def log(msg):
    print(f"stack: {msg}", file=sys.stderr, flush=True)


def is_root():
    return os.geteuid() == 0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def processes_mentioning(marker):
    """Live processes (not this one) whose command line mentions marker, e.g. a test's temporary
    directory: what a runner checks is left behind after its stacks stopped.  [(pid, command)]."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd and pid_alive(int(entry)):
            found.append((int(entry), cmd.strip()))
    return found


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


def stop_pid(pid, sig=signal.SIGTERM, timeout=30.0):
    """Signal pid and wait for it to exit; SIGKILL after timeout."""
    if not pid or not pid_alive(pid):
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def ensure_app_user():
    try:
        pwd.getpwnam(APP_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", APP_USER], check=True)


def chown(path, user, group=None):
    if is_root():
        shutil.chown(path, user=user, group=group or user)


def http_get(url, timeout=2.0):
    """(status, body bytes, headers) of a GET; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers
    except (urllib.error.URLError, OSError):
        return 0, b"", {}


def totp_code(secret_b32, at=None, step=30, digits=6):
    """RFC 6238 (HMAC-SHA1) code of a base32 secret at UNIX time `at` (now), written
    independently of the C implementation so tests check it rather than copy it."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return f"{code:0{digits}d}"


class ApiSession:
    """A signed-in JSON API session (cookie + CSRF token) for seeding demo data through the real API."""

    def __init__(self, base):
        self.base = base
        self.cookie = None
        self.csrf = None

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, raw, hdrs = e.code, e.read(), e.headers
        for c in hdrs.get_all("Set-Cookie") or []:
            self.cookie = c.split(";", 1)[0]
        doc = json.loads(raw) if raw else {}
        if isinstance(doc, dict) and "csrf_token" in doc:
            self.csrf = doc["csrf_token"]
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {raw[:300]!r}")
        return doc


class MariaDB:
    """A private MariaDB server: data directory, unix socket, no TCP unless a port is given (then
    also 127.0.0.1:port); extra_args are more mariadbd arguments (e.g. wsrep settings)."""

    def __init__(self, base, port=None, extra_args=None):
        self.base = base
        self.port = port
        self.extra_args = list(extra_args or [])
        self.datadir = os.path.join(base, "db")
        self.rundir = os.path.join(base, "dbrun")
        self.socket = os.path.join(self.rundir, "mysqld.sock")
        self.pidfile = os.path.join(self.rundir, "mysqld.pid")
        self.logfile = os.path.join(base, "log", "mariadb.log")

    def initialised(self):
        return os.path.isdir(os.path.join(self.datadir, "mysql"))

    def running(self):
        return pid_alive(read_pid(self.pidfile)) and os.path.exists(self.socket)

    def init(self):
        os.makedirs(self.datadir, exist_ok=True)
        os.makedirs(self.rundir, exist_ok=True)
        os.makedirs(os.path.dirname(self.logfile), exist_ok=True)
        args = ["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}",
                "--auth-root-authentication-method=socket", "--skip-test-db",
                "--skip-name-resolve"]
        if is_root():
            chown(self.datadir, "mysql")
            chown(self.rundir, "mysql")
            args.append("--user=mysql")
        else:
            args.append(f"--auth-root-socket-user={pwd.getpwuid(os.getuid()).pw_name}")
        out = subprocess.run(args, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("mariadb-install-db failed:\n" + out.stdout + out.stderr)

    def start(self):
        if self.running():
            return
        if not self.initialised():
            self.init()
        self.spawn(self.server_args() + ["--skip-log-bin"] + self.extra_args)
        self.wait_started(self._answers, 60, "MariaDB to accept connections")

    def server_args(self):
        """mariadbd's settings shared by the single server and the Galera nodes."""
        return ["mariadbd", "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}",
                f"--pid-file={self.pidfile}", f"--log-error={self.logfile}",
                *([f"--port={self.port}", "--bind-address=127.0.0.1"] if self.port else ["--skip-networking"]),
                "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=2",
                "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
                "--max-connections=300", "--performance-schema=OFF"]

    def spawn(self, args):
        """Start mariadbd in its own session (as mysql when root); returns the Popen."""
        for f in (self.socket, self.pidfile):
            if os.path.exists(f):
                os.unlink(f)
        if is_root():
            args = args + ["--user=mysql"]
        with open(os.devnull, "rb") as devnull:
            return subprocess.Popen(args, stdin=devnull, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)

    def wait_started(self, pred, timeout, what):
        try:
            wait_for(pred, timeout, what)
        except RuntimeError:
            tail = ""
            if os.path.exists(self.logfile):
                with open(self.logfile, errors="replace") as f:
                    tail = f.read()[-3000:]
            raise RuntimeError(f"MariaDB did not start ({what}):\n" + tail)

    def _answers(self):
        if not os.path.exists(self.socket):
            return False
        r = subprocess.run(self.client_args() + ["-e", "SELECT 1"], capture_output=True)
        return r.returncode == 0

    def client_args(self):
        return ["mariadb", "--no-defaults", f"--socket={self.socket}", "-u", "root", "--batch"]

    def sql(self, statement):
        r = subprocess.run(self.client_args() + ["-e", statement], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"SQL failed: {r.stderr.strip()}")
        return r.stdout

    def stop(self):
        stop_pid(read_pid(self.pidfile), timeout=60)

    def create_app_database(self, name, user, password):
        # Values are generated by us ([a-z0-9_] names, hex password), never user input.
        self.sql(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 "
                 f"COLLATE utf8mb4_unicode_ci; "
                 f"CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY '{password}'; "
                 f"ALTER USER '{user}'@'localhost' IDENTIFIED BY '{password}'; "
                 f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{user}'@'localhost';")
        if self.port:  # over TCP the client is 127.0.0.1 (--skip-name-resolve)
            self.sql(f"CREATE USER IF NOT EXISTS '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'; "
                     f"ALTER USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'; "
                     f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{user}'@'127.0.0.1';")


class Stack:
    """onramp-fcgi + nginx (+ optionally their own MariaDB) in one directory."""

    def __init__(self, base, build, public_port=8080, operator_port=8081, db=None,
                 db_name="onramp", workers=2, extra_config=None, rate="50r/s", burst=200,
                 smtp_port=None, test_clock=False):
        self.base = os.path.abspath(base)
        self.build = os.path.abspath(build)
        self.public_port = public_port
        self.operator_port = operator_port
        self.db = db or MariaDB(self.base)
        self.db_name = db_name
        self.db_user = db_name[:32]
        self.workers = workers
        self.extra_config = extra_config or {}
        self.rate = rate
        self.burst = burst
        self.run_dir = os.path.join(self.base, "run")
        self.log_dir = os.path.join(self.base, "log")
        self.nginx_dir = os.path.join(self.base, "nginx")
        self.secrets_dir = os.path.join(self.base, "secrets")
        self.config_path = os.path.join(self.base, "onramp.conf")
        self.socket = os.path.join(self.run_dir, "onramp.sock")
        self.app_pidfile = os.path.join(self.run_dir, "onramp-fcgi.pid")
        self.nginx_pidfile = os.path.join(self.nginx_dir, "nginx.pid")
        self.app_log = os.path.join(self.log_dir, "onramp.log")
        self.mailer_log = os.path.join(self.log_dir, "mailer.log")
        self.mailer_pidfile = os.path.join(self.run_dir, "onramp-mailer.pid")
        self.fetcher_log = os.path.join(self.log_dir, "fetcher.log")
        self.fetcher_pidfile = os.path.join(self.run_dir, "onramp-fetcher.pid")
        self.sink_pidfile = os.path.join(self.run_dir, "smtp-sink.pid")
        self.maildir = os.path.join(self.base, "mail")
        self.smtp_port = smtp_port or free_port()
        # Test stacks only: the workers add the seconds in this file to their clock.
        self.clock_file = os.path.join(self.base, "clock") if test_clock else None
        self._clock_lock = threading.Lock()
        # nginx's upstream: this stack's socket; a ClusterStack lists every app host's.
        self.upstream_servers = [f"server unix:{self.socket};"]

    # ---- URLs --------------------------------------------------------------
    @property
    def public_url(self):
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def operator_url(self):
        return f"http://127.0.0.1:{self.operator_port}"

    def program(self, name):
        return os.path.join(self.build, name)

    # ---- files -------------------------------------------------------------
    def _prepare_dirs(self):
        os.makedirs(self.base, exist_ok=True)
        os.chmod(self.base, 0o755)
        for d in (self.run_dir, self.log_dir, self.nginx_dir, self.secrets_dir):
            os.makedirs(d, exist_ok=True)
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(self.nginx_dir, d), exist_ok=True)
        if is_root():
            ensure_app_user()
            chown(self.run_dir, APP_USER)
            for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                chown(os.path.join(self.nginx_dir, d), APP_USER)
        os.chmod(self.secrets_dir, 0o750)
        if is_root():
            shutil.chown(self.secrets_dir, user="root", group=APP_USER)

    def _credentials(self):
        path = os.path.join(self.secrets_dir, "db.cnf")
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    if line.startswith("password="):
                        return path, line.strip().split("=", 1)[1]
        password = secrets.token_hex(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w") as f:
            f.write(f"user={self.db_user}\npassword={password}\n")
        if is_root():
            shutil.chown(path, user="root", group=APP_USER)
        return path, password

    def _secret_key(self):
        path = os.path.join(self.secrets_dir, "secret.key")
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
            if is_root():
                shutil.chown(path, user="root", group=APP_USER)
        return path

    def _secret_keyring(self):
        """The sealing keyring (secret_keyring_file): one key, mode 0600, owned by the user the
        workers run as (the loader refuses anything else).  Kept when it exists: the secrets sealed
        under it must stay openable across restarts."""
        path = os.path.join(self.secrets_dir, "keyring")
        if not os.path.exists(path):
            key = base64.b64encode(secrets.token_bytes(32)).decode()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(f"# onramp sealing keys: the first line seals, every line opens.\nk1 {key}\n")
            if is_root():
                shutil.chown(path, user=APP_USER, group=APP_USER)
        return path

    def _write_config(self, creds_path):
        settings = {
            "listen": self.socket,
            "listen_mode": "0660",
            "workers": str(self.workers),
            "pid_file": self.app_pidfile,
            "log_file": self.app_log,
            "db_socket": self.db.socket,
            "db_name": self.db_name,
            "db_credentials_file": creds_path,
            "drain_timeout_s": "20",
            "public_base_url": self.public_url,
            "operator_base_url": self.operator_url,
            "secret_key_file": self._secret_key(),
            "secret_keyring_file": self._secret_keyring(),
            "smtp_url": f"smtp://127.0.0.1:{self.smtp_port}",
            "mail_from": "onramp <no-reply@onramp.test>",
            "support_email": "support@onramp.test",
            "mailer_poll_ms": "200",
            "fetcher_poll_ms": "100",
        }
        if is_root():
            settings["user"] = APP_USER
        if self.clock_file:
            settings.update(test_mode="1", test_clock_file=self.clock_file)
        settings.update(self.extra_config)
        if "db_hosts" in self.extra_config:     # it replaces db_socket (config_load refuses both)
            settings.pop("db_socket", None)
        # extra_config can drop a default with None (a cluster app host uses db_hosts, not db_socket).
        settings = {k: v for k, v in settings.items() if v is not None}
        with open(self.config_path, "w") as f:
            f.write("# Written by tools/stack.py for this stack; see docs/config.md.\n")
            for k, v in settings.items():
                f.write(f"{k} = {v}\n")

    def _render_nginx(self):
        src = os.path.join(ROOT, "deploy", "nginx")
        values = {
            "USER_DIRECTIVE": f"user {APP_USER} {APP_USER};" if is_root() else "",
            "NGINX_DIR": self.nginx_dir,
            "LOG_DIR": self.log_dir,
            "CONF_DIR": self.nginx_dir,
            "MIME_TYPES": "/etc/nginx/mime.types",
            "UPSTREAM_SERVERS": "\n        ".join(self.upstream_servers),
            "BIND": "127.0.0.1",
            "PUBLIC_PORT": str(self.public_port),
            "OPERATOR_PORT": str(self.operator_port),
            "WWW": os.path.join(ROOT, "www"),
            "OPERATOR_ALLOW": "allow 127.0.0.1; allow ::1;",
            "RATE_API": self.rate,
            "RATE_BURST": str(self.burst),
        }
        for name in os.listdir(src):
            if not (name.endswith(".conf") or name.endswith(".in")) or "production" in name:
                continue
            with open(os.path.join(src, name)) as f:
                text = f.read()
            for k, v in values.items():
                text = text.replace(f"@{k}@", v)
            out = name[:-3] if name.endswith(".in") else name
            if out == "onramp.conf":
                out = "nginx.conf"
            with open(os.path.join(self.nginx_dir, out), "w") as f:
                f.write(text)

    # ---- processes ------------------------------------------------------------
    def env(self):
        e = dict(os.environ)
        e["ONRAMP_CONFIG"] = self.config_path
        return e

    def ctl(self, *args, input=None, check=True):
        r = subprocess.run([self.program("onrampctl"), "-c", self.config_path, *args],
                           capture_output=True, text=True, input=input, env=self.env())
        if check and r.returncode != 0:
            raise RuntimeError(f"onrampctl {' '.join(args)} failed: {r.stderr.strip()}")
        return r

    def app_pid(self):
        pid = read_pid(self.app_pidfile)
        return pid if pid and pid_alive(pid) else 0

    def nginx_pid(self):
        pid = read_pid(self.nginx_pidfile)
        return pid if pid and pid_alive(pid) else 0

    def worker_pids(self):
        """The master's live children (its workers)."""
        return self._children(self.app_pid())

    @staticmethod
    def _children(parent):
        pids = []
        if not parent:
            return pids
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(") ", 1)[1].split()
                if int(fields[1]) == parent and fields[0] != "Z":
                    pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
        return sorted(pids)

    def start_app(self):
        if self.app_pid():
            return
        with open(os.devnull, "rb") as devnull:
            proc = subprocess.Popen([self.program("onramp-fcgi"), "-c", self.config_path],
                                    stdin=devnull, stdout=subprocess.DEVNULL,
                                    stderr=open(self.app_log, "ab"), env=self.env(),
                                    start_new_session=True)
        self._app_proc = proc
        wait_for(lambda: os.path.exists(self.socket) and self.app_pid() and
                 len(self.worker_pids()) >= self.workers, 20, "onramp-fcgi workers")

    def stop_app(self, timeout=30.0):
        pid = self.app_pid()
        stop_pid(pid, timeout=timeout)
        proc = getattr(self, "_app_proc", None)
        if proc is not None:
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass

    def start_sink(self):
        """A real SMTP server on loopback (aiosmtpd from Debian) that stores mail in a maildir."""
        if pid_alive(read_pid(self.sink_pidfile)):
            return
        # aiosmtpd's Mailbox handler makes the maildir (tmp/new/cur) when the path is new.
        with open(os.devnull, "rb") as devnull:
            proc = subprocess.Popen(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
                                     f"127.0.0.1:{self.smtp_port}", "-c", "aiosmtpd.handlers.Mailbox",
                                     self.maildir], stdin=devnull, stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(self.log_dir, "smtp-sink.log"), "ab"),
                                    start_new_session=True)
        with open(self.sink_pidfile, "w") as f:
            f.write(f"{proc.pid}\n")
        self._sink_proc = proc

        def listening():
            try:
                with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=0.5):
                    return True
            except OSError:
                return False
        wait_for(listening, 20, "the SMTP sink")

    def stop_sink(self):
        stop_pid(read_pid(self.sink_pidfile), timeout=10)
        proc = getattr(self, "_sink_proc", None)
        if proc is not None:
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass

    def mailer_pid(self):
        return self._helper_pid(self.mailer_pidfile)

    def fetcher_pid(self):
        return self._helper_pid(self.fetcher_pidfile)

    def _helper_pid(self, pidfile):
        pid = read_pid(pidfile)
        return pid if pid and pid_alive(pid) else 0

    def _start_helper(self, name, pidfile, logfile):
        """Start one of the app's helper programs (mailer, fetcher), unprivileged, logging to logfile."""
        if self._helper_pid(pidfile):
            return
        args = [self.program(name), "-c", self.config_path]
        if is_root():
            # The helpers need no privilege: run them as the app user.
            args = ["setpriv", f"--reuid={APP_USER}", f"--regid={APP_USER}", "--init-groups", *args]
        with open(os.devnull, "rb") as devnull:
            proc = subprocess.Popen(args, stdin=devnull, stdout=subprocess.DEVNULL,
                                    stderr=open(logfile, "ab"), env=self.env(),
                                    start_new_session=True)
        with open(pidfile, "w") as f:
            f.write(f"{proc.pid}\n")
        self._procs = getattr(self, "_procs", {})
        self._procs[name] = proc

    def _stop_helper(self, name, pidfile):
        stop_pid(self._helper_pid(pidfile), timeout=15)
        proc = getattr(self, "_procs", {}).get(name)
        if proc is not None:
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass

    def start_mailer(self):
        self._start_helper("onramp-mailer", self.mailer_pidfile, self.mailer_log)

    def stop_mailer(self):
        self._stop_helper("onramp-mailer", self.mailer_pidfile)

    def start_fetcher(self):
        """onramp-fetcher: runs SSO validation jobs (outbound fetches) outside the request workers."""
        self._start_helper("onramp-fetcher", self.fetcher_pidfile, self.fetcher_log)

    def stop_fetcher(self):
        self._stop_helper("onramp-fetcher", self.fetcher_pidfile)

    def fetcher_runner_pids(self):
        """The fetcher's live runner processes (its children)."""
        return self._children(self.fetcher_pid())

    def mails(self):
        """Messages the sink received, oldest first (email.message.Message objects)."""
        import mailbox
        if not os.path.isdir(os.path.join(self.maildir, "new")):
            return []
        box = mailbox.Maildir(self.maildir, create=False)
        msgs = [box.get_message(k) for k in box.iterkeys()]
        return sorted(msgs, key=lambda m: m.get_date() or 0)

    def start_nginx(self):
        if self.nginx_pid():
            return
        test = subprocess.run(["nginx", "-t", "-q", "-p", self.nginx_dir, "-c",
                               os.path.join(self.nginx_dir, "nginx.conf"), "-e",
                               os.path.join(self.log_dir, "nginx-error.log")],
                              capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError("nginx config test failed:\n" + test.stderr)
        subprocess.run(["nginx", "-p", self.nginx_dir, "-c", os.path.join(self.nginx_dir, "nginx.conf"),
                        "-e", os.path.join(self.log_dir, "nginx-error.log")], check=True)
        wait_for(lambda: http_get(self.public_url + "/healthz")[0] != 0, 20, "nginx")

    def stop_nginx(self):
        stop_pid(self.nginx_pid(), sig=signal.SIGQUIT, timeout=15)

    # ---- test clock (test_clock_file, docs/config.md) ----------------------
    def clock_offset(self):
        """Seconds the workers' clock is ahead of the wall clock (0 until a test moves it)."""
        try:
            with open(self.clock_file) as f:
                return int(f.read().strip() or 0)
        except (FileNotFoundError, TypeError):
            return 0

    def now(self):
        """The time the workers read for a request arriving now (UNIX seconds)."""
        return time.time() + self.clock_offset()

    def advance_clock(self, seconds):
        """Move the workers' clock forward by whole seconds, instead of sleeping for it."""
        if not self.clock_file:
            raise RuntimeError("this stack has no test clock (Stack(test_clock=True))")
        with self._clock_lock:
            offset = self.clock_offset() + int(seconds)
            tmp = self.clock_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{offset}\n")
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.clock_file)
        return offset

    # ---- whole stack ------------------------------------------------------
    def running(self):
        return bool(self.app_pid() and self.nginx_pid() and self.mailer_pid() and self.fetcher_pid() and
                    self.db.running())

    def up(self, own_db=True):
        self._prepare_dirs()
        if own_db:
            self.db.start()
        creds, password = self._credentials()
        self.db.create_app_database(self.db_name, self.db_user, password)
        self._write_config(creds)
        self.ctl("migrate")
        self._render_nginx()
        self.start_sink()
        self.start_app()
        self.start_mailer()
        self.start_fetcher()
        self.start_nginx()
        wait_for(lambda: http_get(self.operator_url + "/readyz")[0] == 200, 20, "/readyz")

    def down(self, own_db=True):
        self.stop_nginx()
        self.stop_fetcher()
        self.stop_mailer()
        self.stop_app()
        self.stop_sink()
        if own_db:
            self.db.stop()

    DEMO = {
        "operator": ("ops-admin", "ops-admin@vendor.example", "Operator-Demo-2026"),
        "customer": ("acme", "Acme Corporation"),
        "admin": ("acme-admin", "admin@acme.example", "Acme-Admin-Demo-2026"),
        "member": ("acme-member", "member@acme.example", "Acme-Member-Demo-2026"),
    }

    def seed_demo(self):
        """Demo data for ./dev up: an operator admin, a customer, its admin and a member (idempotent)."""
        listed = json.loads(self.ctl("customers", "list", "--json").stdout or "[]")
        if any(c["slug"] == self.DEMO["customer"][0] for c in listed):
            return
        user, email, pw = self.DEMO["operator"]
        self.ctl("operators", "create", "--username", user, "--email", email, "--admin", "--password-stdin",
                 input=pw + "\n")
        slug, name = self.DEMO["customer"]
        self.ctl("customers", "create", "--slug", slug, "--name", name, "--seats", "25")
        for key, role in (("admin", "customer_admin"), ("member", "customer_member")):
            user, email, pw = self.DEMO[key]
            self.ctl("users", "create", "--customer", slug, "--username", user, "--email", email,
                     "--role", role, "--password-stdin", input=pw + "\n")
        self.seed_setup()

    def demo_admin_session(self):
        """The demo customer admin, signed in through the public API."""
        admin = ApiSession(self.public_url + "/api/v1")
        user, _, pw = self.DEMO["admin"]
        admin.call("POST", "/session", {"login": user, "password": pw})
        return admin

    def seed_setup(self):
        """Take the demo customer part-way through Account Setup, through the real API: details
        confirmed, admin signed in, a member, billing approved, SSO still to do, and the workspace
        target blocked by an operator with a message the customer sees."""
        admin = self.demo_admin_session()
        contact = {"name": "Dana Whitfield", "email": "dana.whitfield@acme.example", "phone": "+1 555 010 4477"}
        admin.call("PATCH", "/account", {
            "version": 0, "legal_name": "Acme Corporation Inc.", "operating_name": "Acme",
            "support_contact": {"name": "Acme IT Helpdesk", "email": "helpdesk@acme.example", "phone": "+1 555 010 1000"},
            "billing_contact": {"name": "Priya Raman", "email": "ap@acme.example", "phone": "+1 555 010 2200"},
            "technical_contact": contact,
            "repository_notes": "Monorepo on GitHub Enterprise (acme/platform); build images in Artifactory.",
            "workspace_preferences": "Linux workspaces with 4 vCPU / 16 GiB, EU region.",
            "target_launch": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 45 * 86400))})
        ops = self.demo_operator_session()
        cust = [c for c in ops.call("GET", "/customers?q=acme")["customers"] if c["slug"] == "acme"][0]
        for review in ops.call("GET", f"/reviews?state=pending&customer={cust['id']}&kind=billing")["reviews"]:
            ops.call("POST", f"/reviews/{review['id']}/decision",
                     {"decision": "approve", "comment": "Your 30-day trial is approved."})
        ops.call("PUT", f"/customers/{cust['id']}/blockers", {"blockers": [{
            "item": "workspace_target", "category": "template_availability",
            "message": "The EU workspace template is being published; we expect it within two business days."}]})
        ops.call("PUT", f"/customers/{cust['id']}/internal-notes", {
            "body": "Demo customer. Sales contact prefers calls on Tuesdays.", "version": 0})
        ops.call("DELETE", "/session")
        admin.call("DELETE", "/session")

    @property
    def demo_totp_file(self):
        return os.path.join(self.base, "demo-operator-totp")

    def demo_operator_session(self):
        """Sign the demo operator in; the first time, enroll it in TOTP through the real API (every
        operator must) and keep the secret in demo_totp_file, where `./dev totp` reads it."""
        ops = ApiSession(self.operator_url + "/admin/api/v1")
        user, _, pw = self.DEMO["operator"]
        body = {"username": user, "password": pw}
        if os.path.exists(self.demo_totp_file):
            body["totp"] = self.demo_totp_code()
        if ops.call("POST", "/session", body).get("totp_enrollment_required"):
            secret = ops.call("POST", "/totp")["secret"]
            # Confirm with the previous step's code (the server takes one step either side), so the
            # current step's code, which `./dev totp` prints, still signs in right away.
            if time.time() % 30 >= 25:
                time.sleep(30 - time.time() % 30 + 0.1)
            ops.call("POST", "/totp/confirm", {"code": totp_code(secret, time.time() - 30)})
            fd = os.open(self.demo_totp_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secret + "\n")
        return ops

    def demo_totp_code(self):
        """The demo operator's current TOTP code (./dev totp)."""
        with open(self.demo_totp_file) as f:
            return totp_code(f.read().strip())

    def describe(self):
        return {
            "public_url": self.public_url,
            "operator_url": self.operator_url,
            "directory": self.base,
            "app_log": self.app_log,
            "maildir": self.maildir,
            "pids": {"onramp-fcgi": self.app_pid(), "nginx": self.nginx_pid(),
                     "onramp-mailer": self.mailer_pid(), "onramp-fetcher": self.fetcher_pid(),
                     "smtp-sink": read_pid(self.sink_pidfile),
                     "mariadb": read_pid(self.db.pidfile)},
        }


def __getattr__(name):
    """stack.GaleraNode, stack.GaleraCluster, stack.ClusterStack live in tools/cluster.py
    (imported on first use: cluster.py builds on this module's classes)."""
    if name in ("GaleraNode", "GaleraCluster", "ClusterStack", "AppHost"):
        import cluster
        return getattr(cluster, name)
    raise AttributeError(f"module 'stack' has no attribute {name!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["up", "down", "status", "totp"])
    p.add_argument("--dir", default=os.path.join(ROOT, "var"))
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--public-port", type=int, default=int(os.environ.get("ONRAMP_PUBLIC_PORT", 8080)))
    p.add_argument("--operator-port", type=int, default=int(os.environ.get("ONRAMP_OPERATOR_PORT", 8081)))
    p.add_argument("--workers", type=int, default=int(os.environ.get("ONRAMP_WORKERS", 0) or os.cpu_count() or 2))
    p.add_argument("--json", action="store_true")
    p.add_argument("--demo", action="store_true", help="load demo data (up only)")
    p.add_argument("--cluster", action="store_true", help="up: the loopback Galera layout in DIR/cluster")
    a = p.parse_args()
    st = Stack(a.dir, a.build, a.public_port, a.operator_port, workers=a.workers)
    import cluster
    cs = cluster.layout(a.dir, a.build, a.public_port, a.operator_port, a.workers)
    if a.command == "totp" and cs and not os.path.exists(st.demo_totp_file):
        st = cs.front
    if a.command == "totp":
        if not os.path.exists(st.demo_totp_file):
            log(f"no demo operator TOTP secret in {st.demo_totp_file}: run ./dev up first")
            return 1
        left = 30 - int(time.time()) % 30
        print(f"{st.demo_totp_code()}   (ops-admin's two-factor code, valid for {left} s more; "
              f"the key is in {st.demo_totp_file})")
        return 0
    if a.command == "up" and a.cluster:
        return cluster.cli_up(a, st)
    if a.command == "up" and cs and cs.any_running():
        log(f"the cluster layout runs in {cs.base} on the same ports: stop it first (./dev down)")
        return 1
    if a.command == "up":
        if st.running() and http_get(st.public_url + "/healthz")[0] == 200:
            log("already running; nothing changed")
        else:
            st.up()
        if a.demo:
            st.seed_demo()
    elif a.command == "down":
        st.down()
        if cs:
            cs.down()
        log("stopped")
        return 0
    info = st.describe()
    info["running"] = st.running()
    if cs and a.command == "status":
        info["cluster"] = dict(cs.describe(), running=cs.running())
    if a.json:
        print(json.dumps(info))
    else:
        print(f"public console   {info['public_url']}/")
        print(f"operator console {info['operator_url']}/admin/")
        print(f"health           {info['public_url']}/healthz")
        print(f"readiness        {info['operator_url']}/readyz")
        print(f"metrics          {info['operator_url']}/metrics")
        print(f"logs             {st.log_dir}/")
        print(f"mail (sink)      {st.maildir}/ (maildir; every mail the stack sends lands here)")
        print(f"running          {'yes' if info['running'] else 'no'}")
        if "cluster" in info:
            print()
            cluster.print_layout(cs)
    running = info["running"] or info.get("cluster", {}).get("running", False)
    return 0 if a.command != "status" or running else 3


if __name__ == "__main__":
    sys.exit(main())
