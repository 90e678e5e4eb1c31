"""The Debian package for the package tests: built once per run from the working tree, installed
and purged with dpkg.  Shared by every tests/package/test_*.py: the first module that needs the
package builds it; its path stays in PACKAGE_TEST_DEB for the others."""

import glob
import os
import shutil
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NAME = "onramp"
# What the package creates outside its file list (postinst): gone after a purge that asks.
MACHINE_PATHS = ("/etc/onramp", "/var/log/onramp")


def version():
    with open(os.path.join(ROOT, "debian", "changelog")) as f:
        return f.readline().split("(", 1)[1].split(")", 1)[0]


def source_files():
    """What the package is built from: the tracked and new files of the working tree (what is
    on disk, so an uncommitted change is tested), never the build trees .gitignore names."""
    r = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       capture_output=True, check=True)
    return [p for p in r.stdout.decode().split("\0") if p and os.path.isfile(os.path.join(ROOT, p))]


def build_deb(base):
    """Build the binary package under base (dpkg-buildpackage -us -uc -b, nocheck) and return
    the .deb's path; the build log is base/build-package.log."""
    ready = os.environ.get("PACKAGE_TEST_DEB")
    if ready and os.path.exists(ready):
        return ready
    src = os.path.join(base, "src", f"{NAME}-{version()}")
    shutil.rmtree(os.path.dirname(src), ignore_errors=True)
    for rel in source_files():
        dest = os.path.join(src, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), dest)
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
    log_path = os.path.join(base, "build-package.log")
    started = time.monotonic()
    with open(log_path, "w") as log:
        r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env,
                           stdout=log, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        with open(log_path, errors="replace") as f:
            raise RuntimeError("dpkg-buildpackage failed:\n" + f.read()[-4000:])
    debs = glob.glob(os.path.join(os.path.dirname(src), f"{NAME}_{version()}_*.deb"))
    if len(debs) != 1:
        raise RuntimeError(f"expected one {NAME} .deb, found {debs}")
    print(f"built {os.path.basename(debs[0])} in {time.monotonic() - started:.0f} s", flush=True)
    os.environ["PACKAGE_TEST_DEB"] = debs[0]
    return debs[0]


def dpkg(*args, env=None, check=True):
    """Run dpkg, waiting (up to 5 minutes) while another dpkg or apt holds its lock."""
    deadline = time.monotonic() + 300
    while True:
        r = subprocess.run(["dpkg", *args], capture_output=True, text=True,
                           env=dict(os.environ, **(env or {})))
        locked = "lock" in r.stderr and ("locked" in r.stderr or "resource temporarily" in r.stderr.lower())
        if r.returncode == 0 or not locked or time.monotonic() > deadline:
            break
        time.sleep(2)
    if check and r.returncode != 0:
        raise RuntimeError(f"dpkg {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


def installed():
    r = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", NAME], capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() not in ("", "not-installed", "config-files")


def present():
    """Installed, or removed with its config files still on the machine."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", NAME], capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() not in ("", "not-installed")


def listed_paths():
    return [p for p in dpkg("-L", NAME).stdout.splitlines() if p.startswith("/")]
