"""The Debian package on this machine: dpkg -i, files, owners and modes, the onramp user, a
reinstall that keeps the keys, `onrampctl migrate` with the installed config, purge (keys kept
unless ONRAMP_PURGE_KEYS=yes; nothing else of ours left), lintian.

Root only (dpkg -i); run through tests/package/run.py, which builds the package once."""

import base64
import grp
import json
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import pkg  # noqa: E402
import stack  # noqa: E402
from test_nginx_config import nginx_t  # noqa: E402

CONF_DIR = "/etc/onramp"
KEYS = (f"{CONF_DIR}/secret.key", f"{CONF_DIR}/keyring")
DB_CNF = f"{CONF_DIR}/db.cnf"
LOG_DIR = "/var/log/onramp"
PROGRAMS = ("/usr/sbin/onramp-fcgi", "/usr/sbin/onramp-mailer", "/usr/sbin/onramp-fetcher", "/usr/bin/onrampctl")
SITE = "/etc/nginx/sites-available/onramp"
SITE_ENABLED = "/etc/nginx/sites-enabled/onramp"
UNITS = ("onramp-fcgi.service", "onramp-mailer.service", "onramp-fetcher.service")


def owner(path):
    st = os.lstat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def our_paths(listed):
    """Everything of ours a purge must remove: every file dpkg listed, every listed directory
    that is ours alone (its path names onramp), and what postinst created."""
    paths = [p for p in listed if not os.path.isdir(p) or "onramp" in p]
    return sorted(set(paths + [CONF_DIR, LOG_DIR, DB_CNF, *KEYS]))


@unittest.skipUnless(os.geteuid() == 0, "dpkg -i needs root (the dev machine and CI run as root)")
@unittest.skipUnless(shutil.which("dpkg-buildpackage"), "dpkg-dev is not installed (./dev test installs it)")
class TestPackage(unittest.TestCase):
    """The tests run in name order on one installation: files, user, reinstall, migrate, purge."""

    @classmethod
    def setUpClass(cls):
        if pkg.present() or any(os.path.lexists(p) for p in pkg.MACHINE_PATHS):
            raise unittest.SkipTest("onramp is already on this machine (its package, /etc/onramp or "
                                    "/var/log/onramp): the test would remove it")
        cls.base = os.environ.get("PACKAGE_TEST_BASE") or tempfile.mkdtemp(prefix="onramp-pkgtest-")
        cls.deb = pkg.build_deb(cls.base)
        try:
            pwd.getpwnam("onramp")
            cls.user_existed = True
        except KeyError:
            cls.user_existed = False
        cls.site_enabled_before = os.path.lexists(SITE_ENABLED)
        cls.install_out = pkg.dpkg("-i", cls.deb).stdout
        print(cls.install_out, flush=True)

    @classmethod
    def tearDownClass(cls):
        if pkg.present():
            pkg.dpkg("--purge", pkg.NAME, env={"ONRAMP_PURGE_KEYS": "yes"}, check=False)
        # A test that failed between the two purges leaves the keys the first one kept;
        # run.py refused to start with /etc/onramp present, so they are this run's.
        for p in KEYS:
            if os.path.exists(p):
                os.unlink(p)
        if os.path.isdir(CONF_DIR) and not os.listdir(CONF_DIR):
            os.rmdir(CONF_DIR)

    # ---- files, owners, modes ----------------------------------------------------------
    def test_1_programs_console_and_config(self):
        for path in PROGRAMS:
            self.assertEqual(owner(path), ("root", "root", 0o755), path)
        for path in ("/usr/share/onramp/www/index.html", "/usr/share/onramp/www/admin/index.html",
                     "/usr/share/onramp/www/js/api.js", "/etc/nginx/onramp/onramp-fastcgi.conf",
                     "/etc/nginx/onramp/onramp-errors.conf", "/etc/nginx/onramp/security-headers.conf",
                     "/etc/logrotate.d/onramp", SITE, f"{CONF_DIR}/onramp.conf",
                     "/usr/share/man/man8/onramp-fcgi.8.gz", "/usr/share/man/man8/onramp-mailer.8.gz",
                     "/usr/share/man/man8/onramp-fetcher.8.gz", "/usr/share/man/man1/onrampctl.1.gz"):
            self.assertEqual(owner(path), ("root", "root", 0o644), path)
        # The compiled-in default is the installed config, and that config is valid as shipped.
        out = subprocess.run(["/usr/sbin/onramp-fcgi", "--help"], capture_output=True, text=True).stdout
        self.assertIn(f"{CONF_DIR}/onramp.conf", out)
        r = subprocess.run(["/usr/sbin/onramp-fcgi", "--check-config"], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("/run/onramp/onramp.sock", r.stdout)

    def test_1_nginx_site_names_installed_paths_and_is_not_enabled(self):
        with open(SITE) as f:
            site = f.read()
        self.assertIn("root /usr/share/onramp/www;", site)
        self.assertIn("server unix:/run/onramp/onramp.sock;", site)
        self.assertIn("include /etc/nginx/onramp/onramp-fastcgi.conf;", site)
        with open("/etc/nginx/onramp/onramp-errors.conf") as f:
            self.assertIn("include /etc/nginx/onramp/security-headers.conf;", f.read())
        for path in (SITE, "/etc/nginx/onramp/onramp-errors.conf", f"{CONF_DIR}/onramp.conf",
                     "/etc/logrotate.d/onramp"):
            with open(path) as f:
                self.assertIsNone(re.search(r"@[A-Za-z_]+@", f.read()), f"unrendered placeholder in {path}")
        if not self.site_enabled_before:
            self.assertFalse(os.path.lexists(SITE_ENABLED), "the package enabled the nginx site")

    def test_1_units_installed_not_enabled(self):
        # The operator enables them after configuring the database (README); an upgrade
        # restarts the enabled ones only.
        for name in UNITS:
            self.assertEqual(owner(f"/lib/systemd/system/{name}"), ("root", "root", 0o644), name)
            wants = f"/etc/systemd/system/multi-user.target.wants/{name}"
            self.assertFalse(os.path.lexists(wants), f"the package enabled {name}")

    def test_1_every_console_file_is_installed(self):
        # Every file nginx serves from www/ in the checkout, the links included (the operator
        # console's api.js, ui.js... are links to the customer console's files).
        src = os.path.join(ROOT, "www")
        served = [os.path.relpath(os.path.join(d, n), src) for d, _, names in os.walk(src) for n in names]
        self.assertGreater(len(served), 40)
        for rel in served:
            installed = os.path.join("/usr/share/onramp/www", rel)
            self.assertTrue(os.path.isfile(installed), f"{rel} is not installed")
            self.assertEqual(read_bytes(installed), read_bytes(os.path.join(src, rel)), rel)

    @unittest.skipUnless(shutil.which("nginx"), "nginx is not installed")
    def test_1_installed_site_and_snippets_pass_nginx_t(self):
        with open(SITE) as f:
            rc, err, _ = nginx_t(f.read(), "/etc/nginx/onramp")
        self.assertEqual(rc, 0, err)
        self.assertIn("test is successful", err)

    def test_1_conffiles_are_the_shipped_config_not_the_keys(self):
        with open(f"/var/lib/dpkg/info/{pkg.NAME}.conffiles") as f:
            conffiles = f.read().split()
        for path in (f"{CONF_DIR}/onramp.conf", SITE, "/etc/logrotate.d/onramp",
                     "/etc/nginx/onramp/onramp-fastcgi.conf"):
            self.assertIn(path, conffiles)
        for path in (*KEYS, DB_CNF):
            self.assertNotIn(path, conffiles, f"{path} must be created by postinst, not shipped")

    def test_1_keys_credentials_and_log_directory(self):
        for path in KEYS:
            self.assertEqual(owner(path), ("onramp", "onramp", 0o600), path)
        self.assertRegex(read_bytes(KEYS[0]).decode(), r"^[0-9a-f]{64}\n$")
        lines = [x for x in read_bytes(KEYS[1]).decode().splitlines() if x and not x.startswith("#")]
        self.assertEqual(len(lines), 1, lines)
        key_id, key = lines[0].split()
        self.assertEqual((key_id, len(base64.b64decode(key, validate=True))), ("k1", 32))
        self.assertEqual(owner(DB_CNF), ("root", "onramp", 0o640))
        self.assertEqual(owner(LOG_DIR), ("onramp", "adm", 0o750))
        self.assertTrue(stat.S_ISDIR(os.stat(LOG_DIR).st_mode))
        if shutil.which("logrotate"):
            r = subprocess.run(["logrotate", "--debug", "/etc/logrotate.d/onramp"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("error", r.stderr.lower(), r.stderr)
        else:
            print("logrotate is not installed: its config was not checked", flush=True)

    def test_2_system_user_without_login(self):
        if self.user_existed:
            print("the onramp user existed before the install (tools/stack.py creates it on a dev "
                  "machine): postinst's adduser accepted it", flush=True)
        u = pwd.getpwnam("onramp")
        g = grp.getgrnam("onramp")
        self.assertEqual(u.pw_gid, g.gr_gid)
        self.assertIn(u.pw_shell, ("/usr/sbin/nologin", "/bin/false"))
        self.assertEqual(u.pw_dir, "/nonexistent")
        self.assertFalse(os.path.exists(u.pw_dir))
        self.assertLess(u.pw_uid, 1000, "not a system user")
        with open("/etc/shadow") as f:
            shadow = dict(line.split(":", 2)[:2] for line in f if ":" in line)
        self.assertTrue(shadow["onramp"].startswith(("!", "*")), "the onramp account has a password")

    # ---- reinstall --------------------------------------------------------------------
    def test_3_reinstall_keeps_keys_and_local_config(self):
        before = {p: read_bytes(p) for p in KEYS}
        conf = f"{CONF_DIR}/onramp.conf"
        original = read_bytes(conf)
        with open(conf, "ab") as f:
            f.write(b"\n# edited by the operator\nworkers = 3\n")
        with open(DB_CNF, "w") as f:
            f.write("user=onramp\npassword=operator-set\n")
        try:
            pkg.dpkg("-i", self.deb)
            for p in KEYS:
                self.assertEqual(read_bytes(p), before[p], f"reinstall replaced {p}")
                self.assertEqual(owner(p), ("onramp", "onramp", 0o600), p)
            self.assertIn(b"workers = 3", read_bytes(conf), "reinstall replaced the edited conffile")
            self.assertIn(b"password=operator-set", read_bytes(DB_CNF), "reinstall replaced db.cnf")
        finally:
            with open(conf, "wb") as f:
                f.write(original)

    # ---- the schema through the installed onrampctl and config ------------------------
    def test_4_migrate_with_the_installed_config(self):
        db = stack.MariaDB(os.path.join(self.base, "mariadb"))
        saved = read_bytes(DB_CNF)
        try:
            db.start()
            password = secrets.token_hex(16)
            db.create_app_database("onramp_pkg", "onramp_pkg", password)
            # What an operator does: the account in db.cnf; the rest of onramp.conf as installed,
            # with this test's socket and database name from the environment.
            with open(DB_CNF, "w") as f:
                f.write(f"user=onramp_pkg\npassword={password}\n")
            env = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
            env.update(ONRAMP_DB_SOCKET=db.socket, ONRAMP_DB_NAME="onramp_pkg")
            ctl = ["/usr/bin/onrampctl", "-c", f"{CONF_DIR}/onramp.conf"]
            r = subprocess.run(ctl + ["migrate"], capture_output=True, text=True, env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = subprocess.run(ctl + ["migrate", "--status", "--json"], capture_output=True, text=True, env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            status = json.loads(r.stdout)
            shipped = [int(n[:3]) for n in os.listdir(os.path.join(ROOT, "sql")) if re.match(r"\d{3}_.*\.sql$", n)]
            print(f"migrate --status: {r.stdout.strip()}", flush=True)
            self.assertEqual((status["current"], status["latest"], status["pending"], status["checksum_mismatch"]),
                             (max(shipped), max(shipped), 0, False))
            tables = db.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'onramp_pkg'")
            self.assertGreater(int(tables.split()[-1]), 10)
        finally:
            with open(DB_CNF, "wb") as f:
                f.write(saved)
            db.stop()

    # ---- purge ------------------------------------------------------------------------
    def test_5_purge_keeps_the_keys_unless_asked(self):
        listed = pkg.listed_paths()
        keys = {p: read_bytes(p) for p in KEYS}
        made_link = False
        if os.path.isdir(os.path.dirname(SITE_ENABLED)) and not os.path.lexists(SITE_ENABLED):
            os.symlink("../sites-available/onramp", SITE_ENABLED)   # as an operator enables it
            made_link = True
        r = pkg.dpkg("--purge", pkg.NAME, env={"ONRAMP_PURGE_KEYS": ""})
        self.assertFalse(pkg.present())
        for p in KEYS:
            self.assertIn(f"kept {p}", r.stdout + r.stderr, "purge did not say which key it kept")
            self.assertEqual(read_bytes(p), keys[p], f"purge changed {p}")
        self.assertEqual(sorted(os.listdir(CONF_DIR)), sorted(os.path.basename(p) for p in KEYS))
        remaining = [p for p in our_paths(listed) if os.path.lexists(p) and p not in (CONF_DIR, *KEYS)]
        self.assertEqual(remaining, [], "purge left files of ours")
        if made_link:
            self.assertFalse(os.path.lexists(SITE_ENABLED), "purge left the enabled site's dangling link")

        # Installing again over kept keys uses them; a purge that asks removes everything.
        pkg.dpkg("-i", self.deb)
        for p in KEYS:
            self.assertEqual(read_bytes(p), keys[p], f"install over a kept {p} replaced it")
        listed = pkg.listed_paths()
        pkg.dpkg("--purge", pkg.NAME, env={"ONRAMP_PURGE_KEYS": "yes"})
        remaining = [p for p in our_paths(listed) if os.path.lexists(p)]
        self.assertEqual(remaining, [], "purge with ONRAMP_PURGE_KEYS=yes left files of ours")

    # ---- lintian ----------------------------------------------------------------------
    @unittest.skipUnless(shutil.which("lintian"), "lintian is not installed (./dev test installs it)")
    def test_6_lintian_has_no_errors(self):
        r = subprocess.run(["lintian", "--tag-display-limit", "0", "-I", self.deb], capture_output=True, text=True)
        tags = [x for x in r.stdout.splitlines() if re.match(r"^[EWIPX]: ", x)]
        print("lintian:\n  " + ("\n  ".join(tags) if tags else "(no tags)"), flush=True)
        # 0: clean or warnings only; 2: a lintian failure (not a verdict on the package).
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        errors = [x for x in tags if x.startswith("E: ")]
        self.assertEqual(errors, [], "lintian errors")


if __name__ == "__main__":
    unittest.main()
