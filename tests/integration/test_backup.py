"""onrampctl backup and restore (src/programs/ctl_backup.c, ctl_restore.c): a backup of a seeded
database (demo data, invites, audit rows, a sealed SSO secret) restored into an EMPTY database
holds every table with the same row count and CHECKSUM TABLE (computed here, not only by the
command's own check) and every trigger; an app stack on the restored database with the backed-up
keys signs the seeded admin in and opens the sealed secret.  A damaged dump is refused by its
sha256, a non-empty target without --force, and a dump that lost a trigger or a row fails the
verification.  Files 0600, directory 0700, no password in any file."""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess

import stack
from harness import Env, StackTestCase, seed_quiet_demo

SECRET = "backup-roundtrip-client-secret-7f3a"


class BackupTests(StackTestCase):
    n = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Quiet, so the live tables still equal the backup when the tests compare them.
        seed_quiet_demo(cls.st, "backup-invite", sso_secret=SECRET)
        cls.backup_dir = os.path.join(cls.st.base, "backup-1")
        cls.first = cls.st.ctl("backup", cls.backup_dir, check=False)

    # ---- helpers ---------------------------------------------------------------
    def sql(self, statement):
        return Env.db.sql(statement)

    def rows(self, statement):
        return [line.split("\t") for line in self.sql(statement).splitlines()[1:]]

    def empty_database(self, keys_dir=None):
        """A new empty database the stack's user may use, and an onrampctl config for it (key
        paths in keys_dir when given)."""
        BackupTests.n += 1
        name = f"{self.st.db_name}_r{self.n}"
        self.sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
                 f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{self.st.db_user}'@'localhost';")
        self.addCleanup(self.sql, f"DROP DATABASE IF EXISTS `{name}`")
        with open(self.st.config_path) as f:
            text = re.sub(r"(?m)^db_name = .*$", f"db_name = {name}", f.read())
        if keys_dir:
            text = re.sub(r"(?m)^secret_key_file = .*$", f"secret_key_file = {keys_dir}/secret.key", text)
            text = re.sub(r"(?m)^secret_keyring_file = .*$", f"secret_keyring_file = {keys_dir}/keyring", text)
        path = os.path.join(self.st.base, f"restore-{self.n}.conf")
        with open(path, "w") as f:
            f.write(text)
        return name, path

    def restore(self, config, backup_dir, *args):
        return subprocess.run([self.st.program("onrampctl"), "-c", config, "restore", backup_dir, *args],
                              capture_output=True, text=True)

    def describe(self, db):
        """Every base table's row count and CHECKSUM TABLE, and the triggers, routines and events,
        read by this test through the root client."""
        tables = [r[0] for r in self.rows(
            f"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db}' "
            f"AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")]
        out = {}
        for t in tables:
            count = self.rows(f"SELECT COUNT(*) FROM `{db}`.`{t}`")[0][0]
            checksum = self.rows(f"CHECKSUM TABLE `{db}`.`{t}`")[0][1]
            out[t] = (int(count), checksum)
        objects = {
            "triggers": self.rows(f"SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, "
                                  f"ACTION_STATEMENT FROM information_schema.TRIGGERS "
                                  f"WHERE TRIGGER_SCHEMA = '{db}' ORDER BY TRIGGER_NAME"),
            "routines": self.rows(f"SELECT ROUTINE_NAME FROM information_schema.ROUTINES "
                                  f"WHERE ROUTINE_SCHEMA = '{db}' ORDER BY ROUTINE_NAME"),
            "events": self.rows(f"SELECT EVENT_NAME FROM information_schema.EVENTS "
                                f"WHERE EVENT_SCHEMA = '{db}' ORDER BY EVENT_NAME"),
        }
        return out, objects

    def copy_backup(self):
        BackupTests.n += 1
        path = os.path.join(self.st.base, f"backup-copy-{self.n}")
        shutil.copytree(self.backup_dir, path)
        return path

    def rewrite_dump(self, backup_dir, edit):
        """Change the dump with edit(text) and write the new sha256 into the manifest, as a dump
        made without a part would look."""
        path = os.path.join(backup_dir, "onramp.sql")
        with open(path, encoding="utf-8") as f:
            text = edit(f.read())
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        mpath = os.path.join(backup_dir, "manifest.json")
        with open(mpath) as f:
            m = json.load(f)
        m["dump_sha256"] = sha
        with open(mpath, "w") as f:
            json.dump(m, f)

    def table_count(self, db):
        return int(self.rows(f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db}'")[0][0])

    # ---- the backup itself -------------------------------------------------------
    def test_backup_files_modes_manifest_and_warning(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(self.backup_dir).st_mode), 0o700)
        self.assertEqual(sorted(os.listdir(self.backup_dir)), ["keyring", "manifest.json", "onramp.sql", "secret.key"])
        for name in os.listdir(self.backup_dir):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.backup_dir, name)).st_mode), 0o600, name)
        for name, src in (("secret.key", "secret.key"), ("keyring", "keyring")):
            with open(os.path.join(self.backup_dir, name), "rb") as a, \
                    open(os.path.join(self.st.secrets_dir, src), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
        self.assertIn("WARNING", self.first.stderr)
        self.assertIn("docs/operations.md", self.first.stderr)
        with open(os.path.join(self.backup_dir, "manifest.json")) as f:
            m = json.load(f)
        tables, objects = self.describe(self.st.db_name)
        latest = int(re.search(r"latest (\d+)", self.st.ctl("migrate", "--status").stdout).group(1))
        self.assertEqual(m["schema_version"], latest)
        self.assertEqual([t["name"] for t in m["tables"]], sorted(tables))
        self.assertGreater(len(objects["triggers"]), 10)
        self.assertEqual(sorted(m["triggers"]), sorted(t[0] for t in objects["triggers"]))
        for t in m["tables"]:
            self.assertFalse(t["changed_during_backup"], t["name"])
            self.assertEqual((t["rows"], str(t["checksum"])), tables[t["name"]], t["name"])
        by_name = {t["name"]: t for t in m["tables"]}
        for t in ("customers", "users", "invites", "audit_log", "sso_secrets"):
            self.assertGreater(by_name[t]["rows"], 0, t)
        self.assertRegex(m["dump_sha256"], r"^[0-9a-f]{64}$")
        self.assertEqual([k["file"] for k in m["keys"]], ["secret.key", "keyring"])
        # The database password reaches the tools through a memfd only: no file of the backup holds it.
        with open(os.path.join(self.st.secrets_dir, "db.cnf")) as f:
            password = re.search(r"(?m)^password=(.*)$", f.read()).group(1)
        for name in os.listdir(self.backup_dir):
            with open(os.path.join(self.backup_dir, name), "rb") as f:
                self.assertNotIn(password.encode(), f.read(), name)

    def test_non_empty_directory_refused(self):
        d = os.path.join(self.st.base, "not-empty")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "other"), "w") as f:
            f.write("x")
        r = self.st.ctl("backup", d, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("not empty", r.stderr)
        self.assertEqual(os.listdir(d), ["other"])

    # ---- restore -----------------------------------------------------------------
    def test_restore_into_empty_database_equal_and_app_serves_it(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        Env._n += 1
        st2 = stack.Stack(os.path.join(Env.base, f"s{Env._n}-restored"), Env.build, stack.free_port(),
                          stack.free_port(), db=Env.db, db_name=f"{self.st.db_name}_rs", test_clock=True)
        os.makedirs(st2.secrets_dir, exist_ok=True)
        name, config = self.empty_database(keys_dir=st2.secrets_dir)
        st2.db_name, st2.db_user = name, name[:32]
        r = self.restore(config, self.backup_dir, "--keys")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("verified", r.stdout)
        self.assertIn(f"installed at {st2.secrets_dir}/keyring", r.stdout)
        # This test's own comparison of the two databases, table by table.
        src_tables, src_objects = self.describe(self.st.db_name)
        dst_tables, dst_objects = self.describe(name)
        self.assertEqual(sorted(dst_tables), sorted(src_tables))
        for t in src_tables:
            self.assertEqual(dst_tables[t], src_tables[t], t)
        self.assertEqual(dst_objects, src_objects)
        for k in ("secret.key", "keyring"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(st2.secrets_dir, k)).st_mode), 0o600, k)
        # An app on the restored database and keys: the seeded admin signs in and sees the account,
        # and the sealed secret opens with the restored keyring.
        self.addCleanup(st2.down, own_db=False)
        st2.up(own_db=False)
        admin = st2.demo_admin_session()
        self.assertEqual(admin.call("GET", "/account")["legal_name"], "Acme Corporation Inc.")
        self.assertTrue(admin.call("GET", "/sso")["secret"]["set"])
        chk = st2.ctl("secrets", "check", check=False)
        self.assertEqual(chk.returncode, 0, chk.stdout + chk.stderr)
        self.assertNotIn(SECRET, chk.stdout + chk.stderr)

    def test_restore_leaves_existing_keys_alone(self):
        keys = os.path.join(self.st.base, f"keys-{self.n}")
        os.makedirs(keys)
        with open(os.path.join(keys, "keyring"), "w") as f:
            f.write("# another keyring\n")
        _, config = self.empty_database(keys_dir=keys)
        r = self.restore(config, self.backup_dir, "--keys")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"key keyring: .* already exists and was left alone \(DIFFERENT")
        with open(os.path.join(keys, "keyring")) as f:
            self.assertEqual(f.read(), "# another keyring\n")
        self.assertIn("installed at", r.stdout)     # secret.key was absent: installed

    def test_damaged_dump_refused_before_loading(self):
        damaged = self.copy_backup()
        path = os.path.join(damaged, "onramp.sql")
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            b = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([b[0] ^ 0x01]))
        name, config = self.empty_database()
        r = self.restore(config, damaged)
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertIn("damaged", r.stderr)
        self.assertEqual(self.table_count(name), 0)

    def test_non_empty_target_refused_without_force(self):
        name, config = self.empty_database()
        self.sql(f"CREATE TABLE `{name}`.leftover (id INT PRIMARY KEY)")
        r = self.restore(config, self.backup_dir)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("--force", r.stderr)
        self.assertEqual(self.table_count(name), 1)
        r = self.restore(config, self.backup_dir, "--force")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertGreater(self.table_count(name), 10)

    def test_dump_without_triggers_fails_verification(self):
        """What a dump made without --triggers looks like (its sha256 consistent): loaded, but the
        verification names the missing triggers and exits 5."""
        broken = self.copy_backup()
        self.rewrite_dump(broken, lambda t: re.sub(r"(?s)DELIMITER ;;.*?DELIMITER ;\n", "", t))
        _, config = self.empty_database()
        r = self.restore(config, broken)
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"MISSING triggers customers_facts_new")
        self.assertIn("VERIFY FAILED", r.stdout)

    def test_dump_with_a_changed_row_fails_verification(self):
        broken = self.copy_backup()
        def edit(text):     # the row values follow the INSERT line
            head, sep, rest = text.partition("INSERT INTO `customer_details` VALUES\n")
            self.assertTrue(sep)
            row, nl, tail = rest.partition("\n")
            self.assertIn("Acme Corporation Inc.", row)
            return head + sep + row.replace("Acme Corporation Inc.", "Acme Corporation Ltd.") + nl + tail
        self.rewrite_dump(broken, edit)
        _, config = self.empty_database()
        r = self.restore(config, broken)
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"DIFFERS table customer_details")

    def test_manifest_names_are_not_sql(self):
        """A manifest is input: a table name that is not a plain identifier is never put in a
        statement; it is reported missing."""
        broken = self.copy_backup()
        mpath = os.path.join(broken, "manifest.json")
        with open(mpath) as f:
            m = json.load(f)
        m["tables"].append({"name": "users`; DROP TABLE users; --", "rows": 1, "checksum": 1,
                            "changed_during_backup": False})
        with open(mpath, "w") as f:
            json.dump(m, f)
        name, config = self.empty_database()
        r = self.restore(config, broken)
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertIn("MISSING table users`; DROP TABLE users; --", r.stdout)
        self.assertEqual(self.rows(f"SELECT COUNT(*) FROM `{name}`.users")[0][0],
                         self.rows(f"SELECT COUNT(*) FROM `{self.st.db_name}`.users")[0][0])
