"""The schema after every migration keeps Galera's rules (issue 17; docs/architecture.md): every
table has a PRIMARY KEY (Galera replicates rows by key: a table without one is replicated by
full scans, and deletes on it can diverge) and is InnoDB (the only engine wsrep replicates), and
no index is FULLTEXT or SPATIAL.  sql/017_user_search.sql searches names with plain B-tree
indexes (on a virtual email_domain column and display_name), not FULLTEXT.  Galera does support
FULLTEXT on InnoDB; none is used, and this check makes adding one a deliberate decision (SPATIAL
too).
The rules are checked against a scratch schema with one planted violation of each, so a rule
that matched nothing would be seen."""

from harness import Env, StackTestCase

NO_PRIMARY_KEY = (
    "SELECT t.table_name FROM information_schema.tables t LEFT JOIN information_schema.table_constraints c "
    "ON c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY' "
    "WHERE t.table_schema = '{db}' AND t.table_type = 'BASE TABLE' AND c.constraint_name IS NULL "
    "ORDER BY t.table_name")
NOT_INNODB = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = '{db}' AND table_type = 'BASE TABLE' "
    "AND engine <> 'InnoDB' ORDER BY table_name")
FULLTEXT_OR_SPATIAL = (
    "SELECT DISTINCT table_name FROM information_schema.statistics WHERE table_schema = '{db}' "
    "AND index_type IN ('FULLTEXT', 'SPATIAL') ORDER BY table_name")


def names(db, query):
    out = Env.db.sql(query.format(db=db)).strip().split("\n")
    return out[1:] if len(out) > 1 else []


class GaleraRulesTests(StackTestCase):
    def violations(self, db):
        return {rule: names(db, q) for rule, q in
                (("no primary key", NO_PRIMARY_KEY), ("not InnoDB", NOT_INNODB),
                 ("FULLTEXT or SPATIAL index", FULLTEXT_OR_SPATIAL))}

    def test_every_table_after_all_migrations_keeps_the_rules(self):
        db = self.st.db_name
        tables = names(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = '{db}' "
                           "AND table_type = 'BASE TABLE'")
        # The whole schema is there (the migrations ran), the runner's own lease table included.
        self.assertGreater(len(tables), 20, tables)
        for t in ("schema_migrations", "migration_lease", "guards", "outbox", "users"):
            self.assertIn(t, tables)
        self.assertEqual(self.violations(db), {"no primary key": [], "not InnoDB": [],
                                               "FULLTEXT or SPATIAL index": []})

    def test_the_rules_find_a_planted_violation_of_each(self):
        scratch = f"{self.st.db_name}_rules"
        Env.db.sql(f"DROP DATABASE IF EXISTS `{scratch}`; CREATE DATABASE `{scratch}`; USE `{scratch}`; "
                   "CREATE TABLE ok (id INT PRIMARY KEY) ENGINE=InnoDB; "
                   "CREATE TABLE nokey (id INT, KEY (id)) ENGINE=InnoDB; "
                   "CREATE TABLE myisam (id INT PRIMARY KEY) ENGINE=MyISAM; "
                   "CREATE TABLE ft (id INT PRIMARY KEY, body TEXT, FULLTEXT KEY (body)) ENGINE=InnoDB;")
        self.addCleanup(Env.db.sql, f"DROP DATABASE IF EXISTS `{scratch}`")
        self.assertEqual(self.violations(scratch), {"no primary key": ["nokey"], "not InnoDB": ["myisam"],
                                                    "FULLTEXT or SPATIAL index": ["ft"]})
