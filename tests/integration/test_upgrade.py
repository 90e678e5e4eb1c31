"""Upgrades keep data: the previous release's schema is built from the migrations up to N-1 (N =
the newest compiled in, so the test follows every new migration), the demo data is loaded into
it, `onrampctl migrate` takes it to N, every seeded row is still there with the same values,
the app serves it (the seeded admin signs in and reads the account and checklist), and a second
migrate changes nothing.  The same from N-3.  Also `onrampctl migrate --to VERSION`.

The demo data is made by the current build's seeder on this class's stack (schema N) and copied
into the older schema column by column (the columns both have): the current ctl cannot write an
older schema itself (it uses the newest tables), and a hand-written fixture would stop matching
N-1 as soon as a migration is added."""

import os
import re
import subprocess

import stack
from harness import Env, StackTestCase, seed_quiet_demo

OWN = {"schema_migrations", "migration_lease"}     # the runner's own tables, never copied


class UpgradeTests(StackTestCase):
    n = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        seed_quiet_demo(cls.st, "upgrade-invite")   # the donor stays as it is while tests copy it

    # ---- helpers ---------------------------------------------------------------
    def rows(self, statement):
        return [line.split("\t") for line in Env.db.sql(statement).splitlines()[1:]]

    def fresh_database(self):
        UpgradeTests.n += 1
        name = f"{self.st.db_name}_u{self.n}"
        Env.db.sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
                   f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{self.st.db_user}'@'localhost';")
        self.addCleanup(Env.db.sql, f"DROP DATABASE IF EXISTS `{name}`")
        with open(self.st.config_path) as f:
            text = re.sub(r"(?m)^db_name = .*$", f"db_name = {name}", f.read())
        path = os.path.join(self.st.base, f"upgrade-{self.n}.conf")
        with open(path, "w") as f:
            f.write(text)
        return name, path

    def migrate(self, config, *args):
        return subprocess.run([self.st.program("onrampctl"), "-c", config, "migrate", *args],
                              capture_output=True, text=True)

    def latest(self):
        return int(re.search(r"latest (\d+)", self.st.ctl("migrate", "--status").stdout).group(1))

    def version(self, db):
        return int(self.rows(f"SELECT COALESCE(MAX(version), 0) FROM `{db}`.schema_migrations")[0][0])

    def tables(self, db):
        return [r[0] for r in self.rows(
            f"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db}' "
            f"AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME") if r[0] not in OWN]

    def columns(self, db, table):
        """The stored (not generated) columns of a table."""
        return [r[0] for r in self.rows(
            f"SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db}' "
            f"AND TABLE_NAME = '{table}' AND IS_GENERATED = 'NEVER' ORDER BY ORDINAL_POSITION")]

    def digest(self, db, table, cols):
        """Row count and an order-independent digest of the values of cols, hex-encoded so no
        character set or type conversion hides a change."""
        row = ", ".join(f"COALESCE(HEX(`{c}`), 'NULL')" for c in cols)
        return tuple(self.rows(
            f"SELECT COUNT(*), COALESCE(BIT_XOR(CAST(CONV(LEFT(MD5(CONCAT_WS('|', {row})), 16), 16, 10) "
            f"AS UNSIGNED)), 0) FROM `{db}`.`{table}`")[0])

    def load_demo_data(self, db):
        """Copy the donor's rows into db's (older) schema, the columns both have.  Triggers of the
        older schema fire on the way and pre-create rows (customer_facts): those tables are then
        replaced with the donor's rows, so db ends up holding exactly the donor's values."""
        plan = {}
        for t in self.tables(db):
            cols = [c for c in self.columns(db, t) if c in set(self.columns(self.st.db_name, t))]
            self.assertTrue(cols, t)
            plan[t] = cols
        for verb in ("INSERT IGNORE", "REPLACE"):
            for t, cols in plan.items():
                want = self.digest(self.st.db_name, t, cols)
                if verb == "REPLACE" and self.digest(db, t, cols) == want:
                    continue
                names = ", ".join(f"`{c}`" for c in cols)
                Env.db.sql(f"SET FOREIGN_KEY_CHECKS = 0; {verb} INTO `{db}`.`{t}` ({names}) "
                           f"SELECT {names} FROM `{self.st.db_name}`.`{t}`")
        for t, cols in plan.items():
            self.assertEqual(self.digest(db, t, cols), self.digest(self.st.db_name, t, cols), t)
        return plan

    def upgrade_from(self, start):
        """Schema `start`, demo data in it, migrate to N: the data is kept; returns (db, config)."""
        latest = self.latest()
        db, config = self.fresh_database()
        r = self.migrate(config, "--to", str(start))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.version(db), start)
        plan = self.load_demo_data(db)
        for t in ("customers", "users", "invites", "audit_log", "customer_details"):
            self.assertGreater(int(self.digest(db, t, plan[t])[0]), 0, t)
        before = {t: self.digest(db, t, cols) for t, cols in plan.items()}
        r = self.migrate(config)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(re.findall(r"applied (\d{3})_", r.stdout),
                         [f"{v:03d}" for v in range(start + 1, latest + 1)])
        self.assertEqual(self.version(db), latest)
        after_tables = set(self.tables(db))
        for t, cols in plan.items():
            self.assertIn(t, after_tables, f"table {t} is gone after the upgrade")
            kept = [c for c in cols if c in set(self.columns(db, t))]
            self.assertEqual(kept, cols, f"columns of {t} are gone after the upgrade (a contract step "
                                         f"belongs in a later release: docs/architecture.md)")
            self.assertEqual(self.digest(db, t, cols), before[t], f"rows of {t} changed in the upgrade")
        # A second run is a no-op: nothing applied, schema_migrations unchanged.
        mig = self.rows(f"CHECKSUM TABLE `{db}`.schema_migrations")
        r = self.migrate(config)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("applied", r.stdout)
        self.assertEqual(self.rows(f"CHECKSUM TABLE `{db}`.schema_migrations"), mig)
        return db, config

    # ---- tests -----------------------------------------------------------------
    def test_upgrade_from_previous_schema_keeps_data_and_the_app_serves_it(self):
        db, _ = self.upgrade_from(self.latest() - 1)
        Env._n += 1
        st2 = stack.Stack(os.path.join(Env.base, f"s{Env._n}-upgraded"), Env.build, stack.free_port(),
                          stack.free_port(), db=Env.db, db_name=db, test_clock=True)
        self.addCleanup(st2.down, own_db=False)
        st2.up(own_db=False)
        admin = st2.demo_admin_session()
        self.assertEqual(admin.call("GET", "/account")["legal_name"], "Acme Corporation Inc.")
        donor = self.st.demo_admin_session()
        self.assertEqual(admin.call("GET", "/checklist"), donor.call("GET", "/checklist"))

    def test_upgrade_from_three_back(self):
        latest = self.latest()
        if latest <= 3:
            self.skipTest("fewer than four migrations")
        self.upgrade_from(latest - 3)

    def test_migrate_to_stops_there_and_never_goes_back(self):
        latest = self.latest()
        db, config = self.fresh_database()
        r = self.migrate(config, "--to", str(latest - 2))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"schema at {latest - 2} (latest {latest})", r.stdout)
        st = self.migrate(config, "--status")
        self.assertEqual(st.returncode, 3, st.stdout)
        r = self.migrate(config, "--to", str(latest - 3))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("applied", r.stdout)
        self.assertEqual(self.version(db), latest - 2)
        for bad in ("0", str(latest + 1), "x"):
            r = self.migrate(config, "--to", bad)
            self.assertEqual(r.returncode, 1, bad)
            self.assertIn("--to takes a version", r.stderr)
        self.assertEqual(self.version(db), latest - 2)
