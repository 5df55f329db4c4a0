"""Throwaway Redis topologies on free loopback ports, for the shared-cache
tests of every language (docs/design.md §4): a Redis Cluster (3 masters,
3 replicas), a Sentinel set (1 master, 1 replica, 3 sentinels, quorum 2),
and one TLS-only server ("tls": a CA and a certificate for 127.0.0.1 and
localhost made for the run with the openssl CLI; clients present none).

As a module: `with start("cluster") as url: ...` (or "sentinel");
`with start_tls() as (url, ca_pem): ...` (ca_pem: what `ca_certs` must hold).
As a script (scripts/lib.sh start_redis_topology; the Node and C tests):
`redis_topology.py KIND [--exit-on-stdin-eof]` prints the cache URL on one
line (for "tls": the URL, a space, and the path of the CA's PEM file) and
keeps the servers until SIGTERM or SIGINT (or, with --exit-on-stdin-eof,
until its stdin closes)."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
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


def _tls_files(tmp):
    """A CA and a server certificate it signs (127.0.0.1, localhost), in tmp."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, cwd=tmp,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(tmp, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=m2m-auth test Redis CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=m2m-auth test Redis")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem")
    return {k: os.path.join(tmp, f) for k, f in
            (("ca", "ca.pem"), ("cert", "server.pem"), ("key", "server.key"))}


def _tls(procs, tmp):
    files = _tls_files(tmp)
    port = _free_port()
    _spawn(procs, port, ["--port", "0", "--tls-port", str(port), "--tls-cert-file", files["cert"],
                         "--tls-key-file", files["key"], "--tls-ca-cert-file", files["ca"],
                         "--tls-auth-clients", "no", "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "no", "--dir", tmp])
    return "rediss://127.0.0.1:%d/0" % port, files["ca"]


@contextlib.contextmanager
def start_tls():
    """Starts a TLS-only server; yields (its rediss:// URL, the CA's PEM text); stops it."""
    with _started(_tls) as (url, ca_file):
        with open(ca_file) as f:
            yield url, f.read()


@contextlib.contextmanager
def start(kind):
    """Starts a "cluster" or a "sentinel" set; yields its cache URL; stops it."""
    with _started({"cluster": _cluster, "sentinel": _sentinel}[kind]) as url:
        yield url


@contextlib.contextmanager
def _started(make):
    procs, tmp = [], tempfile.mkdtemp(prefix="m2m-auth-%s-" % make.__name__.strip("_"))
    try:
        yield make(procs, tmp)
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
    kind = sys.argv[1]
    if "--exit-on-stdin-eof" in sys.argv[2:]:
        def watch():
            sys.stdin.read()
            os.kill(os.getpid(), signal.SIGTERM)
        threading.Thread(target=watch, daemon=True).start()
    if kind == "tls":
        with _started(_tls) as (url, ca_file):
            print(url, ca_file, flush=True)
            while True:
                time.sleep(3600)
    with start(kind) as url:
        print(url, flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
