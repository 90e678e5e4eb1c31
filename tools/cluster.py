"""The loopback cluster layout: 3 MariaDB Galera nodes, N app hosts, one nginx upstream.

Everything runs on 127.0.0.1 on ports chosen once and kept in the cluster
directory's cluster.json, so a cluster stopped with `down` starts again on the
same addresses with its data.  tools/stack.py re-exports these classes
(stack.GaleraCluster, stack.ClusterStack); `./dev up --cluster` runs one
under var/cluster/, the tests in tests/cluster/ in temporary directories.

Python standard library only (Debian's python3).
"""

import json
import os
import re
import signal
import subprocess
import time

import stack
from stack import (MariaDB, Stack, chown, free_port, http_get, is_root, log, pid_alive,
                   read_pid, stop_pid, wait_for)

PROVIDER = "/usr/lib/galera/libgalera_smm.so"
CLUSTER_NAME = "onramp"
SYNCED = "4"
# Loopback timings: a killed node is suspected after 2 s and evicted after 3 s
# (Galera's defaults, PT5S/PT15S, are for real networks; docs/operations.md).
PROVIDER_TIMINGS = ("gcache.size=64M;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT3S;"
                    "evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;"
                    "pc.wait_prim_timeout=PT10S")


class GaleraNode(MariaDB):
    """One mariadbd with wsrep on: unix socket plus TCP on 127.0.0.1, its own directory."""

    def __init__(self, base, index, ports, peers):
        super().__init__(os.path.join(base, f"node{index}"), port=ports["sql"])
        self.index = index
        self.name = f"node{index}"
        self.gcomm_port = ports["gcomm"]
        self.ist_port = ports["ist"]
        self.sst_port = ports["sst"]
        self.peers = peers  # every node's gcomm port, this one's included
        self._proc = None
        self._log_mark = 0

    # ---- settings ------------------------------------------------------------
    def galera_args(self, bootstrap):
        address = ",".join(f"127.0.0.1:{p}" for p in self.peers)
        options = (f"gmcast.listen_addr=tcp://127.0.0.1:{self.gcomm_port};"
                   f"ist.recv_addr=127.0.0.1:{self.ist_port};{PROVIDER_TIMINGS}")
        args = self.server_args() + [
            "--wsrep-on=ON", f"--wsrep-provider={PROVIDER}", f"--wsrep-cluster-name={CLUSTER_NAME}",
            f"--wsrep-cluster-address=gcomm://{address}",
            f"--wsrep-node-address=127.0.0.1:{self.gcomm_port}", f"--wsrep-node-name={self.name}",
            f"--wsrep-provider-options={options}",
            "--binlog-format=ROW", "--default-storage-engine=InnoDB", "--innodb-autoinc-lock-mode=2",
            # wsrep logs like a binlog, so creating the migrations' triggers without SUPER needs this.
            "--log-bin-trust-function-creators=ON",
            "--wsrep-sst-method=rsync", f"--wsrep-sst-receive-address=127.0.0.1:{self.sst_port}"]
        if bootstrap:
            args.append("--wsrep-new-cluster")
        return args

    # ---- lifecycle -------------------------------------------------------------
    def prepare(self):
        """The node's directories; the data directory stays empty until the first start."""
        for d in (self.base, self.datadir, self.rundir, os.path.dirname(self.logfile)):
            os.makedirs(d, exist_ok=True)
        os.chmod(self.base, 0o755)
        for d in (self.datadir, self.rundir, os.path.dirname(self.logfile)):
            chown(d, "mysql")

    def start(self, bootstrap=False, timeout=180):
        """Start (a first bootstrap node, a joiner by SST, a returning node by IST) and wait until Synced."""
        if self.running() and self.synced():
            return
        for attempt in (1, 2):
            self.launch(bootstrap)
            try:
                self.wait_synced(timeout)
                return
            except RuntimeError:
                # A joiner can time out installing its first view when the machine is busy
                # (the loopback evs timeouts are short); it exits, and a second start joins.
                if attempt == 2 or self.running():
                    raise
                log(f"{self.name} exited while joining; starting it again")

    def launch(self, bootstrap=False):
        """Spawn mariadbd and return at once (start() and the failover test wait for Synced)."""
        if self.running():
            return
        self.prepare()
        if bootstrap and not self.initialised():
            self.init()
        self._wait_datadir_free()
        args = self.galera_args(bootstrap)
        if self.grastate().get("seqno") == "-1":
            pos = self.recovered_position()
            if pos:
                args.append(f"--wsrep-start-position={pos}")
        self._log_mark = os.path.getsize(self.logfile) if os.path.exists(self.logfile) else 0
        self._proc = self.spawn(args)

    def wait_synced(self, timeout=180):
        """Wait until Synced; fail at once when mariadbd exits."""
        deadline = time.monotonic() + timeout
        while not self.synced():
            if not self.running() or time.monotonic() > deadline:
                self.wait_started(lambda: False, 0, f"{self.name} to be Synced")
            time.sleep(0.2)

    def synced(self):
        if not self.pid() or not os.path.exists(self.socket):
            return False
        r = subprocess.run(self.client_args() + ["--skip-column-names", "-e",
                                                 "SHOW GLOBAL STATUS WHERE Variable_name IN "
                                                 "('wsrep_local_state', 'wsrep_ready')"],
                           capture_output=True, text=True)
        values = dict(line.split("\t", 1) for line in r.stdout.splitlines() if "\t" in line)
        return values.get("wsrep_local_state") == SYNCED and values.get("wsrep_ready") == "ON"

    def pid(self):
        pid = read_pid(self.pidfile)
        if not pid and self._proc is not None and self._proc.poll() is None:
            pid = self._proc.pid
        return pid if pid and pid_alive(pid) else 0

    def running(self):
        return bool(self.pid())

    def kill(self):
        """SIGKILL the node and what it started (an SST script, rsync), as a power cut would; returns at once."""
        pid = self.pid()
        if not pid:
            return
        try:
            os.killpg(pid, signal.SIGKILL)  # spawned with start_new_session: pid is the group
        except ProcessLookupError:
            pass
        self._reap()

    def stop(self):
        """Clean shutdown: the last node to leave a cluster records safe_to_bootstrap: 1."""
        stop_pid(self.pid(), timeout=90)
        self._reap()

    def _reap(self):
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._proc = None

    # ---- queries ---------------------------------------------------------------
    def status(self, name):
        """A SHOW GLOBAL STATUS value, e.g. status("wsrep_local_state") -> "4"."""
        out = self.sql(f"SHOW GLOBAL STATUS LIKE '{name}'")
        rows = [line.split("\t", 1) for line in out.splitlines()[1:] if "\t" in line]
        return rows[0][1] if rows else ""

    def grastate(self):
        """grastate.dat as a dict (uuid, seqno, safe_to_bootstrap), {} before the first start."""
        state = {}
        try:
            with open(os.path.join(self.datadir, "grastate.dat")) as f:
                for line in f:
                    if ":" in line and not line.startswith("#"):
                        k, v = line.split(":", 1)
                        state[k.strip()] = v.strip()
        except OSError:
            pass
        return state

    def recovered_seqno(self):
        """The last committed seqno: grastate.dat's after a clean stop, else InnoDB's (--wsrep-recover)."""
        seqno = int(self.grastate().get("seqno", "-1"))
        if seqno >= 0:
            return seqno
        pos = self.recovered_position()
        return int(pos.rsplit(":", 1)[1]) if pos else -1

    def recovered_position(self):
        """"uuid:seqno" InnoDB committed last, read by mariadbd --wsrep-recover (None if unknown).
        After a crash grastate.dat says seqno -1, and mariadbd started directly (no mysqld_safe,
        no systemd galera_recovery) would then ask for a full SST; passing this position as
        --wsrep-start-position lets the node rejoin by IST instead."""
        self.prepare()
        self._wait_datadir_free()
        # --wsrep-recover reads InnoDB's position, logs it and exits without opening the network.
        args = self.galera_args(False) + ["--wsrep-recover", "--skip-networking"]
        if is_root():
            args.append("--user=mysql")
        mark = os.path.getsize(self.logfile) if os.path.exists(self.logfile) else 0
        try:
            stderr = subprocess.run(args, capture_output=True, text=True, timeout=60).stderr
        except subprocess.TimeoutExpired as e:
            # Seen twice under load on a shared 2-core machine; the log says where it stood.
            # Without a position the node still joins, by a full SST (last_join_kind() says so).
            stderr = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
            log(f"{self.name}: mariadbd --wsrep-recover did not finish in 60 s; starting without a "
                f"position (full SST). Its last lines:\n{self._log_since(mark)[-1500:]}{stderr[-1500:]}")
            return None
        text = self._log_since(mark) + stderr
        found = re.findall(r"Recovered position: ([0-9a-f-]+:-?\d+)", text)
        return found[-1] if found and not found[-1].endswith(":-1") else None

    def _log_since(self, mark):
        try:
            with open(self.logfile, errors="replace") as f:
                f.seek(mark)
                return f.read()
        except OSError:
            return ""

    def _datadir_pids(self):
        """Live processes started on this node's data directory (a killed mariadbd still exiting)."""
        want = f"--datadir={self.datadir}".encode()
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        if want in f.read().split(b"\0") and pid_alive(int(entry)):
                            pids.append(int(entry))
                except OSError:
                    continue
        return pids

    def _wait_datadir_free(self):
        """A SIGKILLed mariadbd holds InnoDB's file locks until it has fully exited; a new one
        (or --wsrep-recover) started before that waits on the locks."""
        wait_for(lambda: not self._datadir_pids(), 60, f"the previous mariadbd of {self.name} to exit")

    def mark_safe_to_bootstrap(self):
        path = os.path.join(self.datadir, "grastate.dat")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(re.sub(r"safe_to_bootstrap:\s*\d", "safe_to_bootstrap: 1", text))

    def last_join_kind(self):
        """How the node's last start got its state: "SST", "IST", or None (bootstrapped, no transfer)."""
        try:
            with open(self.logfile, errors="replace") as f:
                f.seek(self._log_mark)
                text = f.read()
        except OSError:
            return None
        # The joiner always runs the SST script, which says which transfer the donor chose
        # ("rsync SST completed" / "rsync IST completed"); "SST received" is logged for both.
        if "SST completed on joiner" in text:
            return "SST"
        if "IST completed on joiner" in text or "IST received" in text:
            return "IST"
        return None


class GaleraCluster:
    """3 GaleraNode on one gcomm:// address list, ports kept in BASE/cluster.json."""

    def __init__(self, base, nodes=3):
        self.base = os.path.abspath(base)
        ports = self._ports(nodes)
        peers = [p["gcomm"] for p in ports]
        self.nodes = [GaleraNode(self.base, i, ports[i], peers) for i in range(nodes)]

    def _ports(self, nodes):
        path = os.path.join(self.base, "cluster.json")
        try:
            with open(path) as f:
                saved = json.load(f)["nodes"]
            if len(saved) == nodes:
                return saved
        except (OSError, ValueError, KeyError):
            pass
        ports = [{k: free_port() for k in ("sql", "gcomm", "ist", "sst")} for _ in range(nodes)]
        os.makedirs(self.base, exist_ok=True)
        with open(path, "w") as f:
            json.dump({"nodes": ports}, f, indent=1)
        return ports

    def running_nodes(self):
        return [n for n in self.nodes if n.running()]

    def start(self):
        """Bootstrap (node 0 the first time, else the most advanced node), then join the others."""
        if not self.running_nodes():
            first = self._bootstrap_node()
            first.start(bootstrap=True)
        # One joiner at a time: two joining at once on a busy machine can miss the view install.
        for n in self.nodes:
            n.start()
        self.wait_synced()

    def _bootstrap_node(self):
        if not any(n.grastate() for n in self.nodes):
            return self.nodes[0]
        safe = [n for n in self.nodes if n.grastate().get("safe_to_bootstrap") == "1"]
        if safe:
            return safe[0]
        # Every node stopped uncleanly: the one that committed most goes first (Galera's own rule).
        best = max((n for n in self.nodes if n.grastate()), key=lambda n: n.recovered_seqno())
        best.mark_safe_to_bootstrap()
        return best

    def stop(self):
        for n in reversed(self.nodes):
            n.stop()

    def kill(self):
        for n in self.nodes:
            n.kill()

    def wait_synced(self, timeout=60):
        """All running nodes Synced and agreeing on a cluster size equal to their number."""
        def ok():
            up = self.running_nodes()
            if not up or not all(n.synced() for n in up):
                return False
            return all(n.status("wsrep_cluster_size") == str(len(up)) for n in up)
        wait_for(ok, timeout, "every running Galera node Synced in one cluster")

    def create_app_database(self, name, user, password):
        """The app's database and user, made on one node and replicated (DDL and grants are TOI)."""
        # A node has a TCP port, so this grants the app user on 127.0.0.1 as well as localhost.
        self.running_nodes()[0].create_app_database(name, user, password)

    def describe(self):
        return [{"name": n.name, "sql_port": n.port, "socket": n.socket, "gcomm_port": n.gcomm_port,
                 "ist_port": n.ist_port, "sst_port": n.sst_port, "pid": n.pid(), "datadir": n.datadir}
                for n in self.nodes]


class AppHost(Stack):
    """One app host of a ClusterStack: its own directory, config, socket, onramp-fcgi master with
    workers, mailer and fetcher.  The secrets, the SMTP sink and the test clock are the cluster's,
    so every host opens the sessions and sealed secrets of the others."""

    def __init__(self, owner, index, workers, extra_config):
        nodes = owner.cluster.nodes
        # Host i prefers node i, then the others in ring order.
        order = [nodes[(index + k) % len(nodes)] for k in range(len(nodes))]
        # db_sync_wait = 1: causal reads, so a write through one node is seen through the next.
        config = {"db_hosts": ",".join(f"unix:{n.socket}" for n in order),
                  "db_sync_wait": "1"}
        config.update(extra_config or {})
        super().__init__(os.path.join(owner.base, f"app{index}"), owner.build, owner.public_port,
                         owner.operator_port, db=order[0], workers=workers, extra_config=config,
                         smtp_port=owner.smtp_port)
        self.index = index
        self.secrets_dir = owner.front.secrets_dir
        self.maildir = owner.front.maildir
        self.clock_file = owner.front.clock_file

    def reconfigure(self, **settings):
        """Rewrite this host's config with settings changed (e.g. db_sync_wait="0"); takes
        effect at the next start_app()."""
        self.extra_config.update(settings)
        self._write_config(self._credentials()[0])

    def start(self):
        self.start_app()
        self.start_mailer()
        self.start_fetcher()

    def stop(self):
        self.stop_fetcher()
        self.stop_mailer()
        self.stop_app()

    def kill_app(self):
        """SIGKILL the master and its workers together (the host lost power); returns at once."""
        for pid in [self.app_pid()] + self.worker_pids():
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        proc = getattr(self, "_app_proc", None)
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def running(self):
        return bool(self.app_pid() and self.mailer_pid() and self.fetcher_pid())


class ClusterStack:
    """The whole loopback layout in one directory: a GaleraCluster (BASE/db/nodeI), app hosts
    (BASE/appI) and one nginx with an upstream over every app host's socket (BASE/nginx), one
    SMTP sink (BASE/mail).  Migrations and onrampctl run through app host 0's config."""

    def __init__(self, base, build, public_port=8080, operator_port=8081, app_hosts=2, nodes=3,
                 workers=2, extra_config=None, smtp_port=None, test_clock=False):
        self.base = os.path.abspath(base)
        self.build = os.path.abspath(build)
        self.public_port = public_port
        self.operator_port = operator_port
        self.cluster = GaleraCluster(os.path.join(self.base, "db"), nodes)
        # The front: nginx, the SMTP sink, the shared secrets, the demo data.
        self.front = Stack(self.base, build, public_port, operator_port, db=self.cluster.nodes[0],
                           smtp_port=smtp_port, test_clock=test_clock)
        self.smtp_port = self.front.smtp_port
        self.apps = [AppHost(self, i, workers, extra_config) for i in range(app_hosts)]
        self.front.config_path = self.apps[0].config_path
        self.front.upstream_servers = [f"server unix:{a.socket} max_fails=1 fail_timeout=2s;"
                                       for a in self.apps]

    @property
    def public_url(self):
        return self.front.public_url

    @property
    def operator_url(self):
        return self.front.operator_url

    def mails(self):
        return self.front.mails()

    def ctl(self, *args, **kw):
        return self.apps[0].ctl(*args, **kw)

    def seed_demo(self):
        self.front.seed_demo()

    def advance_clock(self, seconds):
        return self.front.advance_clock(seconds)

    def now(self):
        return self.front.now()

    def running(self):
        return bool(self.front.nginx_pid() and all(a.running() for a in self.apps) and
                    len(self.cluster.running_nodes()) == len(self.cluster.nodes))

    def any_running(self):
        """Anything of this layout still up (for ./dev down and ./dev status)."""
        return bool(self.front.nginx_pid() or any(a.app_pid() for a in self.apps) or
                    self.cluster.running_nodes())

    def up(self, demo=True):
        self.front._prepare_dirs()
        for a in self.apps:
            a._prepare_dirs()
        self.cluster.start()
        creds, password = self.front._credentials()
        self.cluster.create_app_database(self.front.db_name, self.front.db_user, password)
        for a in self.apps:
            a._write_config(creds)
        self.apps[0].ctl("migrate")
        self.front._render_nginx()
        self.front.start_sink()
        for a in self.apps:
            a.start()
        self.front.start_nginx()
        wait_for(lambda: http_get(self.operator_url + "/readyz")[0] == 200, 30, "/readyz")
        if demo:
            self.seed_demo()

    def down(self):
        self.front.stop_nginx()
        for a in self.apps:
            a.stop()
        self.front.stop_sink()
        self.cluster.stop()

    def describe(self):
        return {
            "public_url": self.public_url,
            "operator_url": self.operator_url,
            "directory": self.base,
            "maildir": self.front.maildir,
            "nodes": self.cluster.describe(),
            "apps": [{"name": f"app{a.index}", "socket": a.socket, "config": a.config_path,
                      "db": a.extra_config.get("db_hosts") or a.db.socket, "pid": a.app_pid(),
                      "workers": a.worker_pids(), "mailer": a.mailer_pid(), "log": a.app_log}
                     for a in self.apps],
            "upstream": self.front.upstream_servers,
            "nginx": self.front.nginx_pid(),
        }


# ---- ./dev up --cluster, ./dev down, ./dev status (tools/stack.py main) ------------
def layout(devdir, build=None, public_port=8080, operator_port=8081, workers=2):
    """The dev cluster under DEVDIR/cluster, or None when none was ever started there."""
    base = os.path.join(devdir, "cluster")
    if not os.path.exists(os.path.join(base, "db", "cluster.json")):
        return None
    return ClusterStack(base, build or os.path.join(stack.ROOT, "build"), public_port, operator_port,
                        workers=workers)


def single_running(st):
    return bool(st.app_pid() or st.nginx_pid() or st.db.running())


def cli_up(a, st):
    """./dev up --cluster: refuse while the single stack holds the ports, else start (or keep)."""
    if single_running(st):
        log(f"the single-node stack runs in {st.base} on the same ports: stop it first (./dev down)")
        return 1
    cs = layout(a.dir, a.build, a.public_port, a.operator_port, a.workers) or ClusterStack(
        os.path.join(a.dir, "cluster"), a.build, a.public_port, a.operator_port, workers=a.workers)
    if cs.running() and http_get(cs.public_url + "/healthz")[0] == 200:
        log("cluster already running; nothing changed")
    else:
        cs.up(demo=False)
    if a.demo:
        cs.seed_demo()
    print_layout(cs)
    return 0


def print_layout(cs):
    print(f"cluster          {cs.base}/ ({'running' if cs.running() else 'not running'})")
    print(f"public console   {cs.public_url}/")
    print(f"operator console {cs.operator_url}/admin/")
    for n in cs.cluster.nodes:
        state = n.status("wsrep_local_state_comment") if n.running() else "down"
        print(f"  galera {n.name}     127.0.0.1:{n.port} and {n.socket} (gcomm {n.gcomm_port}, "
              f"IST {n.ist_port}, SST {n.sst_port}): {state}")
    for a in cs.apps:
        print(f"  app host app{a.index}  {a.socket} ({len(a.worker_pids())} workers, mailer, fetcher; "
              f"config {a.config_path}; database {a.extra_config.get('db_hosts') or a.db.socket})")
    print(f"  nginx upstream  {' '.join(cs.front.upstream_servers)}")
    print(f"mail (sink)      {cs.front.maildir}/")
    print(f"logs             {cs.base}/log/, {cs.base}/app*/log/, {cs.base}/db/node*/log/")
