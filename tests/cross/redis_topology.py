"""Throwaway Redis topologies on free loopback ports, for the shared-cache
tests of every language (docs/design.md §4): a Redis Cluster (3 masters,
3 replicas) and a Sentinel set (1 master, 1 replica, 3 sentinels, quorum 2).

As a module: `with start("cluster") as url: ...` (or "sentinel").
As a script (scripts/lib.sh start_redis_topology): `redis_topology.py KIND`
prints the cache URL on one line and keeps the servers until SIGTERM or
SIGINT."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

MASTER_NAME = "m2m-master"


def _free_port():
    """A free port whose +10000 (a cluster node's bus port) is free too."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port < 55000:
            b = socket.socket()
            try:
                b.bind(("127.0.0.1", port + 10000))
                return port
            except OSError:
                pass
            finally:
                b.close()


def _cli(port, *args):
    r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                       capture_output=True, text=True)
    return r.stdout.strip()


def _wait(what, ok, limit=20.0):
    deadline = time.time() + limit
    while not ok():
        if time.time() > deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(0.02)


def _spawn(procs, port, args):
    procs.append(subprocess.Popen(["redis-server", *args], stdout=subprocess.DEVNULL))

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    _wait("redis-server on port %d" % port, up, 5)


def _data_args(port, tmp):
    return ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", tmp]


def _cluster(procs, tmp):
    ports = [_free_port() for _ in range(6)]
    for p in ports:
        _spawn(procs, p, _data_args(p, tmp) + [
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes-%d.conf" % p,
            "--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0"])
    subprocess.run(["redis-cli", "--cluster", "create", *["127.0.0.1:%d" % p for p in ports],
                    "--cluster-replicas", "1", "--cluster-yes"],
                   check=True, stdout=subprocess.DEVNULL)
    _wait("cluster_state:ok", lambda: all(
        "cluster_state:ok" in _cli(p, "CLUSTER", "INFO") for p in ports))
    return "redis+cluster://" + ",".join("127.0.0.1:%d" % p for p in ports)


def _sentinel(procs, tmp):
    m, r = _free_port(), _free_port()
    _spawn(procs, m, _data_args(m, tmp))
    _spawn(procs, r, _data_args(r, tmp) + ["--replicaof", "127.0.0.1", str(m)])
    _wait("the replica to sync", lambda: "master_link_status:up" in _cli(r, "INFO", "replication"))
    sentinels = [_free_port() for _ in range(3)]
    for p in sentinels:
        conf = os.path.join(tmp, "sentinel-%d.conf" % p)
        with open(conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndir %s\n" % (p, tmp))
            f.write("sentinel monitor %s 127.0.0.1 %d 2\n" % (MASTER_NAME, m))
            f.write("sentinel down-after-milliseconds %s 1000\n" % MASTER_NAME)
            f.write("sentinel failover-timeout %s 3000\n" % MASTER_NAME)
        _spawn(procs, p, [conf, "--sentinel"])
    _wait("the sentinels to see each other", lambda: all(
        _cli(p, "SENTINEL", "CKQUORUM", MASTER_NAME).startswith("OK 3") for p in sentinels))
    return "redis+sentinel://%s/%s/0" % (",".join("127.0.0.1:%d" % p for p in sentinels),
                                          MASTER_NAME)


@contextlib.contextmanager
def start(kind):
    """Starts a "cluster" or a "sentinel" set; yields its cache URL; stops it."""
    procs, tmp = [], tempfile.mkdtemp(prefix="m2m-auth-%s-" % kind)
    try:
        yield {"cluster": _cluster, "sentinel": _sentinel}[kind](procs, tmp)
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    def stop(*_):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with start(sys.argv[1]) as url:
        print(url, flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
