"""The migration runner's cluster-wide lease (src/store/migrate.c): a row taken with a
conditional UPDATE, not GET_LOCK (node-local on Galera).  Two runners started at once apply
each migration once; a live lease held by another runner refuses (or waits); a crashed
runner's expired lease is taken over."""

import os
import re
import subprocess

import stack
from harness import Env, StackTestCase


class MigrationLeaseTests(StackTestCase):
    n = 0

    def fresh_database(self):
        """An empty database the stack's user may use, and an onrampctl config pointing at it."""
        MigrationLeaseTests.n += 1
        name = f"{self.st.db_name}_m{self.n}"
        Env.db.sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
                   f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{self.st.db_user}'@'localhost';")
        self.addCleanup(Env.db.sql, f"DROP DATABASE IF EXISTS `{name}`")
        with open(self.st.config_path) as f:
            text = f.read()
        path = os.path.join(self.st.base, f"migrate-{self.n}.conf")
        with open(path, "w") as f:
            f.write(re.sub(r"(?m)^db_name = .*$", f"db_name = {name}", text))
        return name, path

    def runner(self, config, *args):
        return subprocess.Popen([self.st.program("onrampctl"), "-c", config, "migrate", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sql(self, db, statement):
        return Env.db.sql(f"USE `{db}`; {statement}")

    def latest(self):
        return int(re.search(r"latest (\d+)", self.st.ctl("migrate", "--status").stdout).group(1))

    def test_two_runners_at_once_apply_each_migration_once(self):
        latest = self.latest()
        for _ in range(3):
            db, config = self.fresh_database()
            runs = [self.runner(config) for _ in range(2)]
            outs = [p.communicate(timeout=120) for p in runs]
            for p, (out, err) in zip(runs, outs):
                self.assertEqual(p.returncode, 0, out + err)
            applied = re.findall(r"applied (\d{3})_", "".join(out for out, _ in outs))
            # Without the lease both runners apply 001.. (and one then fails recording it).
            self.assertEqual(sorted(applied), [f"{v:03d}" for v in range(1, latest + 1)], outs)
            rows = self.sql(db, "SELECT COUNT(*), MAX(version) FROM schema_migrations").split("\n")[1]
            self.assertEqual(rows.split("\t"), [str(latest), str(latest)])
            self.assertEqual(self.sql(db, "SELECT COUNT(*) FROM migration_lease WHERE holder IS NOT NULL")
                             .split("\n")[1], "0", "the lease was not released")

    def held_by_ghost(self, db, until_sql):
        self.sql(db, "DELETE FROM schema_migrations WHERE version = (SELECT v FROM "
                     "(SELECT MAX(version) AS v FROM schema_migrations) m)")
        self.sql(db, f"UPDATE migration_lease SET holder = 'ghost:1:1', lease_until = {until_sql} WHERE id = 1")

    def test_live_lease_refuses_and_changes_nothing(self):
        db, config = self.fresh_database()
        self.assertEqual(self.runner(config).wait(timeout=120), 0)
        self.held_by_ghost(db, "NOW(6) + INTERVAL 1 HOUR")
        p = self.runner(config, "--wait", "0")
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 1, out + err)
        self.assertIn("another migration holds the lock; try again", err)
        self.assertEqual(self.sql(db, "SELECT COUNT(*) FROM schema_migrations").split("\n")[1],
                         str(self.latest() - 1))
        self.assertIn("ghost:1:1", self.sql(db, "SELECT holder FROM migration_lease"))

    def test_waiting_runner_proceeds_when_the_lease_is_released(self):
        db, config = self.fresh_database()
        self.assertEqual(self.runner(config).wait(timeout=120), 0)
        self.held_by_ghost(db, "NOW(6) + INTERVAL 1 HOUR")
        p = self.runner(config, "--wait", "60")
        # Still waiting while the ghost holds it (it would have failed at once with --wait 0).
        stack.wait_for(lambda: p.poll() is None, 2, "the runner to wait")
        self.sql(db, "UPDATE migration_lease SET holder = NULL WHERE id = 1")
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn(f"applied {self.latest():03d}_", out)

    def test_expired_lease_of_a_crashed_runner_is_taken_over(self):
        db, config = self.fresh_database()
        self.assertEqual(self.runner(config).wait(timeout=120), 0)
        self.held_by_ghost(db, "NOW(6) - INTERVAL 1 SECOND")
        p = self.runner(config, "--wait", "0")
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn(f"applied {self.latest():03d}_", out)
        self.assertEqual(self.sql(db, "SELECT COUNT(*) FROM migration_lease WHERE holder IS NOT NULL")
                         .split("\n")[1], "0")
