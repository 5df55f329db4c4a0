//! TLS for the test topologies, and one TLS-only server (`TlsRedis`): a
//! throwaway CA and one server certificate (for 127.0.0.1 and localhost,
//! good for serving and for the nodes' own connections to each other), made
//! per run with rcgen and written to the topology's directory, and the
//! `redis-server` / `redis-cli` arguments that use them. Data ports are TLS only (`--port 0`); clients present no
//! certificate (`tls-auth-clients no`, as docs/shared-cache.md requires).

use std::path::{Path, PathBuf};

use super::{data_args, free_port, temp_dir, Node};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};

/// The files of one run's CA and server certificate.
pub struct TlsFiles {
    /// The CA certificate, PEM: what a client must trust (`ca_certs`).
    pub ca_pem: String,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl TlsFiles {
    /// Makes a CA and a server certificate signed by it, into `dir`.
    pub fn create(dir: &Path) -> TlsFiles {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "m2m-auth test Redis CA");
        let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().unwrap();
        let mut server = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        server
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        server
            .distinguished_name
            .push(DnType::CommonName, "m2m-auth test Redis");
        let cert_pem = server.signed_by(&key, &issuer).unwrap().pem();
        let files = TlsFiles {
            ca_pem,
            ca: dir.join("redis-ca.pem"),
            cert: dir.join("redis-server.pem"),
            key: dir.join("redis-server.key"),
        };
        std::fs::write(&files.ca, &files.ca_pem).unwrap();
        std::fs::write(&files.cert, cert_pem).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        files
    }

    /// `redis-server` arguments: TLS only on `port`, and TLS between nodes
    /// (cluster bus, replication; a sentinel's links).
    pub fn server_args(&self, port: u16) -> Vec<String> {
        self.conf(port)
            .lines()
            .flat_map(|l| {
                let (k, v) = l.split_once(' ').unwrap();
                [format!("--{k}"), v.to_string()]
            })
            .collect()
    }

    /// The same as configuration-file lines (a sentinel's file).
    pub fn conf(&self, port: u16) -> String {
        format!(
            "port 0\ntls-port {port}\ntls-cert-file {}\ntls-key-file {}\n\
             tls-ca-cert-file {}\ntls-auth-clients no\ntls-replication yes\n",
            self.cert.display(),
            self.key.display(),
            self.ca.display()
        )
    }

    /// `redis-cli` arguments to reach a node.
    pub fn cli_args(&self) -> Vec<String> {
        vec![
            "--tls".to_string(),
            "--cacert".to_string(),
            self.ca.display().to_string(),
        ]
    }
}

/// One TLS-only `redis-server` (its own CA) with these extra arguments.
pub struct TlsRedis {
    pub node: Node,
    pub tls: TlsFiles,
    dir: PathBuf,
}

impl TlsRedis {
    pub fn start(extra: &[&str]) -> TlsRedis {
        let dir = temp_dir("tls");
        let tls = TlsFiles::create(&dir);
        let port = free_port();
        let mut args = data_args(port, &dir, Some(&tls));
        args.extend(extra.iter().map(|s| s.to_string()));
        let node = Node::spawn(port, &args, Some(&tls));
        TlsRedis { node, tls, dir }
    }

    /// `rediss://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/0", self.node.port)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        self.node.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
