#!/usr/bin/env python3
"""Starts and stops the PostgreSQL server the test suite shares (Debian's postgresql package).

    pg_server.py start DIR [--durable]   initdb + start on a private Unix socket; writes
                                         DIR/conninfo (and DIR/pid, the postmaster's)
    pg_server.py stop DIR                stops it and removes its files

ctest runs `start` once before every test that needs PostgreSQL and `stop` after the last (a
fixture), so the suite pays for one server, not one per test. Tests read the connection string from
the file named by HB_TEST_POSTGRES and each makes a schema of its own.

The server listens on no TCP port (a socket in a private directory), so suites of several build
trees never collide. Run as root (CI), the server runs as the `postgres` user, because PostgreSQL
refuses to run as root.

Durability is switched off here (fsync, full-page writes): these tests are about behaviour. The
failover test starts servers of its own with durability on, and the benchmarks start this one with
--durable (fsync, full-page writes and synchronous commit on: the server's defaults).
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile


def bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]))
    if not found:
        sys.exit("pg_server: no PostgreSQL server installed (scripts/setup installs postgresql)")
    return os.path.dirname(found[-1])


def as_server_user(cmd, **kw):
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, check=True, **kw)


def start(state_dir, durable=False):
    os.makedirs(state_dir, exist_ok=True)
    stop(state_dir, quiet=True)
    # The server's own directory lives in /tmp: the postgres user may not traverse a build tree.
    root = tempfile.mkdtemp(prefix="hb-pg-")
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    os.chmod(root, 0o700)
    data, log = os.path.join(root, "data"), os.path.join(root, "log")
    b = bindir()
    as_server_user([os.path.join(b, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                   stdout=subprocess.DEVNULL)
    options = ("-c listen_addresses='' -c unix_socket_directories={} -c port=5432 "
               "-c max_connections=300 -c shared_buffers=128MB").format(root)
    if not durable:
        options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    as_server_user([os.path.join(b, "pg_ctl"), "-D", data, "-o", options, "-l", log, "-w",
                    "-t", "60", "start"], stdout=subprocess.DEVNULL)
    with open(os.path.join(state_dir, "root"), "w") as f:
        f.write(root)
    with open(os.path.join(state_dir, "conninfo"), "w") as f:
        f.write("host={} port=5432 dbname=postgres user=postgres".format(root))
    with open(os.path.join(data, "postmaster.pid")) as f, \
            open(os.path.join(state_dir, "pid"), "w") as out:
        out.write(f.readline().strip())
    print("pg_server: PostgreSQL on {}".format(root))


def stop(state_dir, quiet=False):
    marker = os.path.join(state_dir, "root")
    if not os.path.exists(marker):
        if not quiet:
            print("pg_server: nothing to stop")
        return
    with open(marker) as f:
        root = f.read().strip()
    data = os.path.join(root, "data")
    if os.path.isdir(data):
        subprocess.run((["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) +
                       [os.path.join(bindir(), "pg_ctl"), "-D", data, "-m", "immediate", "-w",
                        "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(root, ignore_errors=True)
    for name in ("root", "conninfo", "pid"):
        try:
            os.remove(os.path.join(state_dir, name))
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in ("start", "stop") or \
            sys.argv[3:] not in ([], ["--durable"]) or (sys.argv[1] == "stop" and len(sys.argv) > 3):
        sys.exit("usage: pg_server.py start DIR [--durable] | stop DIR")
    if sys.argv[1] == "start":
        start(sys.argv[2], durable=len(sys.argv) == 4)
    else:
        stop(sys.argv[2])
