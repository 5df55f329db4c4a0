//! Real Redis topologies for tests, on free loopback ports in a temp dir,
//! killed on drop: a Redis Cluster of 3 masters and 3 replicas, and a
//! Sentinel set (1 master, 1 replica, 3 sentinels, quorum 2), each in plain
//! TCP or TLS only (`tls`), and one TLS server. Failover
//! timings are short (1 s to notice a dead node) so the tests stay quick.
#![allow(dead_code)]

pub mod scenario;
pub mod tls;

use tls::TlsFiles;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One `redis-server` process (a data node or a sentinel).
pub struct Node {
    pub port: u16,
    child: Option<Child>,
    /// `redis-cli` arguments to reach it (TLS).
    cli_args: Vec<String>,
}

impl Node {
    fn spawn(port: u16, args: &[String], tls: Option<&TlsFiles>) -> Node {
        let child = Command::new("redis-server")
            .args(args)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server) must be installed: scripts/install-deps.sh");
        let node = Node {
            port,
            child: Some(child),
            cli_args: tls.map(TlsFiles::cli_args).unwrap_or_default(),
        };
        wait_for(Duration::from_secs(5), "redis-server to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        node
    }

    /// Kills the process (SIGKILL: no chance to hand anything over).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn alive(&self) -> bool {
        self.child.is_some()
    }

    /// `redis-cli` against this node; its trimmed output ("" on failure).
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(&self.cli_args)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .expect("redis-cli (Debian package redis-tools) must be installed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `ok` every 20 ms until it holds; panics after `limit`.
pub fn wait_for(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A free loopback port whose `+ 10000` (a cluster node's bus port) was
/// free too a moment ago.
fn free_port() -> u16 {
    loop {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        if port < 55_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "m2m-auth-{tag}-{}-{:x}",
        std::process::id(),
        fastrand_u64()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish()
}

/// A data node's arguments: on `port`, plain or TLS only.
fn data_args(port: u16, dir: &std::path::Path, tls: Option<&TlsFiles>) -> Vec<String> {
    let mut args = match tls {
        Some(t) => t.server_args(port),
        None => vec!["--port".to_string(), port.to_string()],
    };
    args.extend(
        [
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            &dir.display().to_string(),
        ]
        .map(String::from),
    );
    args
}

/// A 6-node Redis Cluster: 3 masters, 3 replicas.
pub struct RedisCluster {
    pub nodes: Vec<Node>,
    /// Set for a TLS-only cluster (`start_tls`).
    pub tls: Option<TlsFiles>,
    dir: PathBuf,
}

impl RedisCluster {
    pub fn start() -> RedisCluster {
        Self::launch(false)
    }

    /// The same, TLS only (clients, cluster bus, replication).
    pub fn start_tls() -> RedisCluster {
        Self::launch(true)
    }

    fn launch(tls: bool) -> RedisCluster {
        let dir = temp_dir("cluster");
        let tls = tls.then(|| TlsFiles::create(&dir));
        let nodes: Vec<Node> = (0..6)
            .map(|_| {
                let port = free_port();
                let mut args = data_args(port, &dir, tls.as_ref());
                if tls.is_some() {
                    args.extend(["--tls-cluster", "yes"].map(String::from));
                }
                args.extend(
                    [
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        &format!("nodes-{port}.conf"),
                        "--cluster-node-timeout",
                        "1000",
                        // A replica of a dead master may always take over
                        // (the default refuses one "disconnected too long").
                        "--cluster-replica-validity-factor",
                        "0",
                    ]
                    .map(String::from),
                );
                Node::spawn(port, &args, tls.as_ref())
            })
            .collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .args(tls.as_ref().map(TlsFiles::cli_args).unwrap_or_default())
            .stdout(Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(out.success(), "redis-cli --cluster create failed");
        let cluster = RedisCluster { nodes, tls, dir };
        cluster.wait_ok(Duration::from_secs(20));
        cluster
    }

    /// Every node up says `cluster_state:ok` (the slot map has spread).
    pub fn wait_ok(&self, limit: Duration) {
        wait_for(limit, "cluster_state:ok on every node", || {
            self.nodes
                .iter()
                .filter(|n| n.alive())
                .all(|n| n.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
        });
    }

    /// `redis+cluster://` (`rediss+…` with TLS) with every node as a seed.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let s = if self.tls.is_some() { "s" } else { "" };
        format!("redis{s}+cluster://{}", seeds.join(","))
    }

    /// The index of the live master holding a key matching `pattern`.
    pub fn master_with(&self, pattern: &str) -> Option<usize> {
        self.nodes.iter().position(|n| {
            n.alive()
                && n.cli(&["ROLE"]).starts_with("master")
                && !n.cli(&["--raw", "KEYS", pattern]).is_empty()
        })
    }

    /// Waits until a replica of the killed master `i` has taken its slots.
    pub fn wait_promoted(&self, limit: Duration) {
        self.wait_ok(limit);
        let masters = || {
            self.nodes
                .iter()
                .filter(|n| n.alive() && n.cli(&["ROLE"]).starts_with("master"))
                .count()
        };
        wait_for(limit, "3 live masters", || masters() == 3);
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        self.nodes.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A master, its replica and 3 sentinels watching them (quorum 2).
pub struct SentinelSet {
    pub master: Node,
    pub replica: Node,
    pub sentinels: Vec<Node>,
    /// Set for a TLS-only set (`start_tls`).
    pub tls: Option<TlsFiles>,
    dir: PathBuf,
}

/// The name the sentinels know the master by.
pub const MASTER_NAME: &str = "m2m-master";

impl SentinelSet {
    pub fn start() -> SentinelSet {
        Self::launch(false)
    }

    /// The same, TLS only (clients, replication, sentinels' links).
    pub fn start_tls() -> SentinelSet {
        Self::launch(true)
    }

    fn launch(tls: bool) -> SentinelSet {
        let dir = temp_dir("sentinel");
        let tls = tls.then(|| TlsFiles::create(&dir));
        let m = free_port();
        let master = Node::spawn(m, &data_args(m, &dir, tls.as_ref()), tls.as_ref());
        let r = free_port();
        let mut args = data_args(r, &dir, tls.as_ref());
        args.extend(["--replicaof", "127.0.0.1", &m.to_string()].map(String::from));
        let replica = Node::spawn(r, &args, tls.as_ref());
        wait_for(Duration::from_secs(10), "the replica to sync", || {
            replica
                .cli(&["INFO", "replication"])
                .contains("master_link_status:up")
        });
        let sentinels = (0..3)
            .map(|_| {
                let p = free_port();
                let conf = dir.join(format!("sentinel-{p}.conf"));
                let listen = match &tls {
                    Some(t) => t.conf(p),
                    None => format!("port {p}\n"),
                };
                std::fs::write(
                    &conf,
                    format!(
                        "{listen}bind 127.0.0.1\ndir {}\n\
                         sentinel monitor {MASTER_NAME} 127.0.0.1 {m} 2\n\
                         sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
                         sentinel failover-timeout {MASTER_NAME} 3000\n",
                        dir.display()
                    ),
                )
                .unwrap();
                let args = [conf.display().to_string(), "--sentinel".to_string()];
                Node::spawn(p, &args, tls.as_ref())
            })
            .collect::<Vec<_>>();
        let set = SentinelSet {
            master,
            replica,
            sentinels,
            tls,
            dir,
        };
        // Ready to fail over: each sentinel sees the replica and the others.
        wait_for(
            Duration::from_secs(20),
            "sentinels to see each other",
            || {
                set.sentinels.iter().all(|s| {
                    s.cli(&["SENTINEL", "CKQUORUM", MASTER_NAME])
                        .starts_with("OK 3")
                        && !s.cli(&["SENTINEL", "REPLICAS", MASTER_NAME]).is_empty()
                })
            },
        );
        set
    }

    /// `redis+sentinel://` (`rediss+…` with TLS) with every sentinel, db 0.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let s = if self.tls.is_some() { "s" } else { "" };
        format!("redis{s}+sentinel://{}/{MASTER_NAME}/0", hosts.join(","))
    }

    /// Waits until the sentinels name the replica as the master, and it
    /// says so itself.
    pub fn wait_promoted(&self, limit: Duration) {
        let port = self.replica.port.to_string();
        wait_for(limit, "the replica's promotion", || {
            self.sentinels.iter().filter(|s| s.alive()).all(|s| {
                s.cli(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME])
                    .ends_with(&port)
            }) && self.replica.cli(&["ROLE"]).starts_with("master")
        });
    }
}

impl Drop for SentinelSet {
    fn drop(&mut self) {
        self.sentinels.clear();
        self.master.kill();
        self.replica.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
