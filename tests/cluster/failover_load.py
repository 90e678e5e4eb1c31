"""The load and the checks of tests/cluster/test_failover.py (issue 17).

The load is tests/integration/faults_load.py's, unchanged (one load driver for the single-node
fault test and this one): 16 threads, each the admin of one of 8 customers, on keep-alive
connections through nginx, signing in, reading the checklist and the account, editing the
account with its version, inviting (a retry of an ambiguous invite reuses its Idempotency-Key),
letting the operator create customers, and listing customers and users on the operator
listener.  This module adds what a cluster needs on top: every session a sign-in created (the
SHA-256 of its cookie, which is what the sessions table keeps), the sessions created early in
the run for the "sessions survive an app host" check, and the checks that read every database
node directly.
"""

import hashlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import faults_load  # noqa: E402
from faults_load import as_json  # noqa: E402,F401


class Client(faults_load.Client):
    """A faults_load client that also records each session its sign-ins created."""

    def signin(self):
        status = super().signin()
        if status == 200:
            value = self.cookie.split("=", 1)[1]
            with self.t.lock:
                self.t.sessions.append((time.monotonic(), hashlib.sha256(value.encode()).hexdigest(),
                                        self.cookie, self.csrf))
        return status


class Node:
    """Read one database node as root (node.sql: the mariadb client, --batch) with causal reads,
    so a SELECT sees everything the cluster committed before it."""

    def __init__(self, node, db_name):
        self.node = node
        self.db_name = db_name

    def rows(self, statement):
        out = self.node.sql(f"SET SESSION wsrep_sync_wait = 1; USE `{self.db_name}`; {statement}")
        return [line.split("\t") for line in out.strip().splitlines()[1:]]

    def tables(self):
        return sorted(r[0] for r in self.rows("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'"))

    def fingerprint(self):
        """{table: (row count, content hash, CHECKSUM TABLE)} over every base table of the schema.
        The content hash is the sum of CRC32 over every column of every row (the generated ones
        too, as SELECT computes them), so it depends on the rows only.  CHECKSUM TABLE is kept
        for tables without generated columns only: over a table with one (invites, users) it
        gave different values for identical rows on the node that had rejoined by IST, and new
        values on every node after a restart (measured in this test's runs)."""
        cols = {}
        for table, column, generated in self.rows(
                "SELECT TABLE_NAME, COLUMN_NAME, IS_GENERATED FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION"):
            cols.setdefault(table, []).append((column, generated == "ALWAYS"))
        names = [t for t in self.tables() if t in cols]
        if not names:
            return {}
        plain = [t for t in names if not any(g for _, g in cols[t])]
        sums = {}
        if plain:
            sums = {r[0].split(".", 1)[1]: r[1]
                    for r in self.rows("CHECKSUM TABLE " + ", ".join(f"`{t}`" for t in plain))}

        def content(t):
            row = ", ".join(f"IFNULL(HEX(`{c}`), '-')" for c, _ in cols[t])
            return f"SELECT '{t}', COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', {row}))), 0) FROM `{t}`"
        counts = self.rows(" UNION ALL ".join(content(t) for t in names))
        return {t: (int(n), h, sums.get(t, "generated columns")) for t, n, h in counts}


def percentile(values, p):
    """The p-th percentile (nearest rank) of values, None when there are none."""
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100.0 * len(s) + 0.5)) - 1))]


def read_config(path):
    """key = value pairs of an onramp config file."""
    conf = {}
    with open(path) as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                conf[k.strip()] = v.strip()
    return conf


def upstreams_by_request_id(log_paths):
    """request id -> the upstream nginx passed it to ($upstream_addr), from nginx access logs in
    the onramp JSON format, when the format carries it (else an empty map)."""
    found = {}
    for path in log_paths:
        if not os.path.exists(path):
            continue
        with open(path, errors="replace") as f:
            for line in f:
                doc = as_json(line)
                if isinstance(doc, dict) and doc.get("upstream_addr"):
                    found[doc.get("request_id")] = doc["upstream_addr"]
    return found


class Recorder(faults_load.Recorder):
    """faults_load's recorder, keeping the request id of every answer (not only of 5xx), so each
    request can be matched to the app host nginx passed it to."""

    def add(self, t0, t1, route, status, retry_after=None, rid=None):
        with self.lock:
            self.rows.append((t0, t1, route, status, retry_after, rid))
