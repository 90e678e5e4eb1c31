"""The systemd units (deploy/systemd/*.service.in, rendered by `make`), checked and run the way
systemd would run them, on a machine without a running systemd:

  - every unit carries the sandbox directives of HARDENING (a dropped line fails);
  - `systemd-analyze verify` accepts them and `systemd-analyze security --offline=true` scores
    each at or under MAX_EXPOSURE (skipped with a reason where systemd-analyze is missing);
  - each program is started from its unit's ExecStart line (the program mapped to the build tree,
    `-c` to a temporary config on free ports), as the unit's User/Group/SupplementaryGroups when
    the test runs as root, with NOTIFY_SOCKET pointing at a datagram socket the test reads: the
    master says READY=1 from its own pid once the socket listens and its workers exist,
    RELOADING=1 then READY=1 around the unit's ExecReload line, STOPPING=1 on SIGTERM (what
    KillMode=mixed sends the main process); the mailer and the fetcher say READY=1 and STOPPING=1;
  - the production nginx site (deploy/nginx/onramp-production.conf), rendered for free ports and a
    self-signed certificate, reaches /healthz (public) and /readyz (operator, client certificate)
    over HTTPS through the socket in the unit's RuntimeDirectory, and keeps serving across the
    reload.

The units are read from the BUILD tree (PACKAGE_TEST_BUILD, default ./build), so this test does
not depend on the package being built or installed.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import pwd
import grp

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import stack  # noqa: E402

BUILD = os.path.abspath(os.environ.get("PACKAGE_TEST_BUILD", os.path.join(ROOT, "build")))
UNITS = ("onramp-fcgi", "onramp-mailer", "onramp-fetcher")
# At most this exposure from `systemd-analyze security --offline=true`: measured 1.5 for each unit
# with systemd 252 (Debian 12).  Dropping ProtectSystem= and MemoryDenyWriteExecute= together only
# moves it to 1.7, so there is no slack here; another systemd's weights may need a new number.
MAX_EXPOSURE = 1.5

# The sandbox every unit must carry: directive -> the value it must have.
HARDENING = {
    "User": "onramp",
    "Group": "onramp",
    "NoNewPrivileges": "yes",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "SystemCallFilter": "@system-service",
    "SystemCallArchitectures": "native",
    "UMask": "0027",
    "ReadWritePaths": "-/var/log/onramp",
    "Type": "notify",
    "NotifyAccess": "main",
    "KillMode": "mixed",
    "Restart": "on-failure",
}
# What only onramp-fcgi has: the socket directory, nginx's group, reload.
FCGI_ONLY = {
    "RuntimeDirectory": "onramp",
    "RuntimeDirectoryMode": "0711",
    "SupplementaryGroups": "www-data",
    "ExecReload": "/bin/kill -HUP $MAINPID",
}


def unit_path(name):
    return os.path.join(BUILD, "deploy", "systemd", name + ".service")


def parse_unit(path):
    """{section: {key: [values in order]}} of a unit file (comments and blank lines skipped)."""
    out, section = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = out.setdefault(line[1:-1], {})
                continue
            key, _, value = line.partition("=")
            section.setdefault(key.strip(), []).append(value.strip())
    return out


def service(name):
    return parse_unit(unit_path(name))["Service"]


def one(svc, key):
    values = svc.get(key, [])
    if len(values) != 1:
        raise AssertionError(f"{key}: expected one line, found {values}")
    return values[0]


def seconds(value):
    m = re.fullmatch(r"(\d+)(s|min)?", value)
    if not m:
        raise AssertionError(f"cannot read the time span {value!r}")
    return int(m.group(1)) * (60 if m.group(2) == "min" else 1)


def default_drain_timeout_s():
    """The compiled-in default of drain_timeout_s (src/core/config.c), read rather than copied."""
    with open(os.path.join(ROOT, "src", "core", "config.c")) as f:
        return int(re.search(r"c->drain_timeout_s = (\d+);", f.read()).group(1))


def mapped_units(tmp):
    """Copies of the rendered units whose programs are the build tree's (systemd-analyze verify
    refuses a unit whose ExecStart program does not exist, and nothing is installed here)."""
    paths = []
    for name in UNITS:
        exe = shlex.split(one(service(name), "ExecStart"))[0]
        with open(unit_path(name)) as f:
            text = f.read().replace(exe, os.path.join(BUILD, os.path.basename(exe)))
        path = os.path.join(tmp, name + ".service")
        with open(path, "w") as f:
            f.write(text)
        paths.append(path)
    return paths


class UnitFileTests(unittest.TestCase):
    def test_1_every_unit_carries_the_sandbox(self):
        for name in UNITS:
            svc = service(name)
            for key, value in HARDENING.items():
                with self.subTest(unit=name, directive=key):
                    self.assertEqual(svc.get(key), [value], f"{name}: {key}")
            with self.subTest(unit=name, directive="RuntimeDirectory"):
                # Only onramp-fcgi may own /run/onramp: systemd removes a unit's RuntimeDirectory
                # when that unit stops, and the mailer stopping must not take the socket along.
                self.assertEqual("RuntimeDirectory" in svc, name == "onramp-fcgi")

    def test_2_fcgi_socket_reload_and_drain(self):
        svc = service("onramp-fcgi")
        for key, value in FCGI_ONLY.items():
            with self.subTest(directive=key):
                self.assertEqual(svc.get(key), [value])
        # KillMode=mixed: SIGTERM reaches the master alone, which drains for up to
        # drain_timeout_s; systemd's SIGKILL must come later than that.
        self.assertGreater(seconds(one(svc, "TimeoutStopSec")), default_drain_timeout_s())

    def test_3_paths_are_rendered(self):
        for name in UNITS:
            with open(unit_path(name)) as f:
                text = f.read()
            self.assertNotIn("@", text.replace("@system-service", ""), name)
            argv = shlex.split(one(service(name), "ExecStart"))
            self.assertTrue(os.path.isabs(argv[0]) and os.path.basename(argv[0]) == name, argv)
            self.assertEqual(argv[1], "-c")
            self.assertTrue(argv[2].endswith("/onramp/onramp.conf"), argv)

    def test_4_systemd_analyze_verify(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(["systemd-analyze", "verify", "--man=no", *mapped_units(tmp)],
                               capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "", "verify printed warnings")

    def test_5_security_exposure(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            for path in mapped_units(tmp):
                r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", path],
                                   capture_output=True, text=True)
                m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout + r.stderr)
                self.assertIsNotNone(m, r.stdout + r.stderr)
                print(f"  exposure {os.path.basename(path)}: {m.group(1)}")
                self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE, os.path.basename(path))


class NotifySocket:
    """The $NOTIFY_SOCKET a service manager listens on: a datagram socket that also receives the
    sender's pid (SO_PASSCRED), since systemd with NotifyAccess=main believes the main pid only."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(path)
        os.chmod(path, 0o777)   # the service runs as another user

    def next(self, timeout):
        """(pid, {key: value}) of the next message, or None after timeout seconds."""
        self.sock.settimeout(timeout)
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            return None
        pid = 0
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", payload[:12])[0]
        fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
        return pid, fields

    def expect(self, key, pid, timeout=20):
        """Wait for a message carrying key=1; every message before it is returned too."""
        seen, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.next(deadline - time.monotonic())
            if got is None:
                break
            seen.append(got)
            if got[1].get(key) == "1":
                if got[0] != pid:
                    raise AssertionError(f"{key}=1 came from pid {got[0]}, the main pid is {pid}")
                return seen
        raise AssertionError(f"no {key}=1 within {timeout} s; got {seen}")

    def close(self):
        self.sock.close()


PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1


def mdwe_supported():
    """Whether this kernel has PR_SET_MDWE (6.3+), asked in a throwaway process: the setting
    cannot be undone."""
    probe = "import ctypes,sys; sys.exit(ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) != 0)"
    return subprocess.run([sys.executable, "-c", probe]).returncode == 0


def deny_write_execute():
    """MemoryDenyWriteExecute=yes as the kernel does it for systemd >= 254: no mapping may become
    writable and executable; inherited across fork and exec.  Runs in the child before exec."""
    import ctypes
    if ctypes.CDLL(None).prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        raise OSError("PR_SET_MDWE failed")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certs(d):
    """A server certificate for 127.0.0.1, and an operators' CA with one operator's client cert."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "server.key", "-out", "server.crt", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", cwd=d)
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=test operators CA", cwd=d)
    openssl("req", *ec, "-keyout", "op.key", "-out", "op.csr", "-subj", "/CN=operator", cwd=d)
    openssl("x509", "-req", "-in", "op.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "op.crt", "-days", "2", cwd=d)
    for name in ("server.key", "server.crt", "ca.crt"):
        os.chmod(os.path.join(d, name), 0o644)


def render_site(base, socket_path, ports, certs, snippets, log_dir):
    """deploy/nginx/onramp-production.conf with its system paths and ports replaced; each
    replacement must match, so a changed site file fails here instead of being half rendered."""
    with open(os.path.join(ROOT, "deploy", "nginx", "onramp-production.conf")) as f:
        text = f.read()
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line) + "\n"
    swaps = [
        ("listen 80;", f"listen 127.0.0.1:{ports['http']};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports['public']} ssl http2;"),
        ("listen 8443 ssl http2;", f"listen 127.0.0.1:{ports['operator']} ssl http2;"),
        ("server unix:/run/onramp/onramp.sock;", f"server unix:{socket_path};"),
        ("/etc/ssl/onramp/console.crt", f"{certs}/server.crt"),
        ("/etc/ssl/onramp/console.key", f"{certs}/server.key"),
        ("/etc/ssl/onramp/ops.crt", f"{certs}/server.crt"),
        ("/etc/ssl/onramp/ops.key", f"{certs}/server.key"),
        ("/etc/ssl/onramp/operators-ca.crt", f"{certs}/ca.crt"),
        ("/etc/nginx/onramp/", snippets + "/"),
        ("/usr/share/onramp/www", os.path.join(ROOT, "www")),
        ("/var/log/nginx/", log_dir + "/"),
    ]
    for old, new in swaps:
        if old not in text:
            raise AssertionError(f"onramp-production.conf no longer has {old!r}: update this test")
        text = text.replace(old, new)
    directives = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    left = re.findall(r"(?<![\w.])/(?:etc|run|var|usr)/\S*", directives)
    if left:
        raise AssertionError(f"system paths left in the rendered site: {left}")
    path = os.path.join(base, "site.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


class StartedLikeUnitsTests(unittest.TestCase):
    """The three programs started from their units' lines, nginx's production site in front."""

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="onramp-units-", dir=os.environ.get("PACKAGE_TEST_BASE"))
        os.chmod(cls.base, 0o755)
        cls.root = os.geteuid() == 0
        cls.procs = []
        cls.nginx_conf = None
        cls.st = None
        try:
            cls._start_db()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def _start_db(cls):
        with open(os.path.join(BUILD, "config.h")) as f:
            if not re.search(r"(?m)^#define HAVE_SYSTEMD 1$", f.read()):
                raise AssertionError("this build has no sd_notify (configure found no libsystemd): the "
                                     "Type=notify units cannot start it; install libsystemd-dev, configure again")
        svc = service("onramp-fcgi")
        cls.runtime_dir = os.path.join(cls.base, "run", one(svc, "RuntimeDirectory"))
        cls.sock_path = os.path.join(cls.runtime_dir, "onramp.sock")
        group = one(svc, "SupplementaryGroups")
        extra = {
            "listen": cls.sock_path, "listen_mode": "0660", "workers": "2",
            "pid_file": None, "log_file": None,   # systemd knows the pid; stderr goes to the journal
            "user": None,                         # the unit's User= does it (hardening.conf)
            "listen_group": group if cls.root else None,
        }
        cls.st = stack.Stack(os.path.join(cls.base, "stack"), BUILD, public_port=stack.free_port(),
                             operator_port=stack.free_port(), extra_config=extra)
        cls.st._prepare_dirs()
        cls.st.db.start()
        creds, password = cls.st._credentials()
        cls.st.db.create_app_database(cls.st.db_name, cls.st.db_user, password)
        cls.st._write_config(creds)
        cls.st.ctl("migrate")
        os.makedirs(cls.runtime_dir)
        # What systemd does for RuntimeDirectory=: owned by User/Group, RuntimeDirectoryMode.
        os.chmod(cls.runtime_dir, int(one(svc, "RuntimeDirectoryMode"), 8))
        if cls.root:
            shutil.chown(cls.runtime_dir, one(svc, "User"), one(svc, "Group"))
        cls.notify = NotifySocket(os.path.join(cls.base, "notify.sock"))
        cls.mdwe = mdwe_supported()
        if not cls.mdwe:
            print("  note: this kernel has no PR_SET_MDWE; the programs run without MemoryDenyWriteExecute")

    @classmethod
    def tearDownClass(cls):
        for proc in cls.procs:
            if proc.poll() is None:
                stack.stop_pid(proc.pid, timeout=30)
                proc.wait(timeout=5)
        if cls.nginx_conf:
            pid = stack.read_pid(os.path.join(cls.base, "nginx.pid"))
            stack.stop_pid(pid, sig=signal.SIGQUIT, timeout=15)
        if cls.st is not None:
            cls.st.db.stop()
        if getattr(cls, "notify", None):
            cls.notify.close()
        shutil.rmtree(cls.base, ignore_errors=True)

    # ---- starting a program the way its unit does ---------------------------
    @classmethod
    def as_unit_user(cls, svc, argv):
        """argv run the way the unit runs it, as far as setpriv can: NoNewPrivileges=, and as root
        User=, Group=, SupplementaryGroups= and the empty capability sets."""
        pre = ["setpriv"]
        if svc.get("NoNewPrivileges") == ["yes"]:
            pre.append("--no-new-privs")
        if cls.root:
            groups = ",".join(svc.get("SupplementaryGroups", [])) or None
            pre += [f"--reuid={one(svc, 'User')}", f"--regid={one(svc, 'Group')}",
                    f"--groups={groups}" if groups else "--clear-groups"]
            if svc.get("CapabilityBoundingSet") == [""]:
                pre.append("--bounding-set=-all")
            if svc.get("AmbientCapabilities") == [""]:
                pre += ["--inh-caps=-all", "--ambient-caps=-all"]
        return pre + argv if len(pre) > 1 else argv

    def start_unit(self, name):
        svc = service(name)
        argv = shlex.split(one(svc, "ExecStart"))
        self.assertEqual(argv[1], "-c")
        argv[0] = os.path.join(BUILD, os.path.basename(argv[0]))
        argv[2] = self.st.config_path
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET": self.notify.path}
        for line in svc.get("Environment", []):
            for item in shlex.split(line):
                k, _, v = item.partition("=")
                env[k] = v
        log = open(os.path.join(self.base, name + ".log"), "ab")
        mdwe = self.mdwe and svc.get("MemoryDenyWriteExecute") == ["yes"]
        proc = subprocess.Popen(self.as_unit_user(svc, argv), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, env=env, start_new_session=True,
                                preexec_fn=deny_write_execute if mdwe else None)
        log.close()
        self.procs.append(proc)
        return svc, proc

    def ready(self, name, proc):
        """Wait for the main process's READY=1, then check it runs with the unit's identity."""
        try:
            self.notify.expect("READY", proc.pid)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.log_of(name)}")
        with open(f"/proc/{proc.pid}/status") as f:
            status = dict(line.split(":", 1) for line in f.read().splitlines())
        svc = service(name)
        self.assertEqual(status["NoNewPrivs"].strip(), "1")
        if self.root:
            self.assertEqual(int(status["CapBnd"], 16), 0)
            self.assertEqual(int(status["CapEff"], 16), 0)
            self.assertEqual(int(status["Uid"].split()[0]), pwd.getpwnam(one(svc, "User")).pw_uid)
            groups = {grp.getgrgid(int(g)).gr_name for g in status["Groups"].split()}
            self.assertEqual(groups, set(svc.get("SupplementaryGroups", [])))

    def log_of(self, name):
        with open(os.path.join(self.base, name + ".log"), errors="replace") as f:
            return f.read()[-3000:]

    def stop_like_systemd(self, svc, proc):
        """KillMode=mixed: SIGTERM to the main process; it must say STOPPING=1 and exit 0 in time."""
        proc.send_signal(signal.SIGTERM)
        self.notify.expect("STOPPING", proc.pid)
        timeout = seconds(one(svc, "TimeoutStopSec")) if "TimeoutStopSec" in svc else 90
        self.assertEqual(proc.wait(timeout=timeout), 0)

    # ---- nginx with the production site ---------------------------------------
    def start_nginx(self):
        d = self.base
        certs = os.path.join(d, "certs")
        snippets = os.path.join(d, "snippets")
        logs = os.path.join(d, "nginx-log")
        for p in (certs, snippets, logs):
            os.makedirs(p)
        make_certs(certs)
        for name in ("onramp-fastcgi.conf", "onramp-errors.conf", "security-headers.conf"):
            with open(os.path.join(ROOT, "deploy", "nginx", name)) as f:
                text = f.read().replace("@CONF_DIR@", snippets)
            with open(os.path.join(snippets, name), "w") as f:
                f.write(text)
        self.ports = {k: stack.free_port() for k in ("http", "public", "operator")}
        site = render_site(d, self.sock_path, self.ports, certs, snippets, logs)
        temp = os.path.join(d, "nginx-temp")
        os.makedirs(temp)
        if self.root:
            shutil.chown(temp, "www-data", "www-data")
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(("user www-data www-data;\n" if self.root else "") +
                    f"worker_processes 1;\npid {d}/nginx.pid;\nerror_log {logs}/error.log warn;\n"
                    "events { worker_connections 64; }\n"
                    "http {\n    include /etc/nginx/mime.types;\n"
                    + "".join(f"    {k}_temp_path {temp}/{k};\n"
                              for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
                    + f"    include {site};\n}}\n")
        nginx = ["nginx", "-p", d, "-c", conf, "-e", f"{logs}/error.log"]
        t = subprocess.run(nginx + ["-t", "-q"], capture_output=True, text=True)
        self.assertEqual(t.returncode, 0, t.stderr)
        subprocess.run(nginx, check=True)
        type(self).nginx_conf = conf
        self.certs = certs

    def https(self, port, path, client_cert=False):
        ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "server.crt"))
        if client_cert:
            ctx.load_cert_chain(os.path.join(self.certs, "op.crt"), os.path.join(self.certs, "op.key"))
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}{path}", context=ctx, timeout=5) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    # ---- the tests --------------------------------------------------------------
    def test_1_fcgi_ready_serves_reloads_stops(self):
        svc, proc = self.start_unit("onramp-fcgi")
        self.ready("onramp-fcgi", proc)
        # READY=1 came after the socket listened and the workers were forked.
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.sock_path)
        self.assertEqual(len(stack.Stack._children(proc.pid)), 2)
        mode = os.stat(self.sock_path)
        self.assertEqual(mode.st_mode & 0o777, 0o660)
        if self.root:
            self.assertEqual(grp.getgrgid(mode.st_gid).gr_name, one(svc, "SupplementaryGroups"))
            self.assertEqual(pwd.getpwuid(mode.st_uid).pw_name, one(svc, "User"))

        self.start_nginx()
        status, body = self.https(self.ports["public"], "/healthz")
        self.assertEqual((status, body), (200, b'{"status":"ok"}'), self.log_of("onramp-fcgi"))
        self.assertEqual(self.https(self.ports["operator"], "/readyz", client_cert=True)[0], 200)
        # The operator listener wants an operator's certificate.
        self.assertEqual(self.https(self.ports["operator"], "/readyz")[0], 400)

        # `systemctl reload`: the ExecReload line, run as the unit's user, while requests flow.
        old_workers = set(stack.Stack._children(proc.pid))
        statuses, stop = [], threading.Event()

        def load():
            while not stop.is_set():
                statuses.append(self.https(self.ports["public"], "/healthz")[0])
        t = threading.Thread(target=load)
        t.start()
        try:
            time.sleep(0.3)
            reload = shlex.split(one(svc, "ExecReload").replace("$MAINPID", str(proc.pid)))
            subprocess.run(self.as_unit_user(svc, reload), check=True)
            seen = self.notify.expect("READY", proc.pid)
            self.assertEqual(seen[0][1].get("RELOADING"), "1", seen)
            self.assertIn("MONOTONIC_USEC", seen[0][1])
            stack.wait_for(lambda: not old_workers & set(stack.Stack._children(proc.pid)),
                           20, "the old generation of workers to exit")
            time.sleep(0.3)
        finally:
            stop.set()
            t.join()
        self.assertGreater(len(statuses), 5)
        self.assertEqual(set(statuses), {200}, statuses)
        self.assertEqual(len(stack.Stack._children(proc.pid)), 2)

        self.stop_like_systemd(svc, proc)
        self.assertFalse(os.path.exists(self.sock_path), "the master removes its socket")

    def test_2_mailer_ready_and_stopping(self):
        svc, proc = self.start_unit("onramp-mailer")
        self.ready("onramp-mailer", proc)
        self.stop_like_systemd(svc, proc)

    def test_3_fetcher_ready_and_stopping(self):
        svc, proc = self.start_unit("onramp-fetcher")
        self.ready("onramp-fetcher", proc)
        self.stop_like_systemd(svc, proc)


if __name__ == "__main__":
    unittest.main()
