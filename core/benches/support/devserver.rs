//! The dev server as a separate process, and the runtime the clients run
//! on, for the benchmarks that make real token requests (`hot_path`,
//! `client_auth`).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running dev server and what its startup line says.
pub struct BenchServer {
    child: Child,
    info: serde_json::Value,
}

/// Starts `$M2M_AUTH_DEVSERVER` (default `target/release/m2m-auth-devserver`)
/// with `--cheap-tokens --exit-on-stdin-eof` and `args`, and waits for its
/// startup line.
pub fn start<S: AsRef<OsStr>>(args: &[S]) -> BenchServer {
    let bin = std::env::var("M2M_AUTH_DEVSERVER")
        .unwrap_or_else(|_| "target/release/m2m-auth-devserver".to_string());
    let mut child = Command::new(&bin)
        .args(["--cheap-tokens", "--exit-on-stdin-eof"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info = serde_json::from_str(&line).unwrap();
    BenchServer { child, info }
}

impl BenchServer {
    /// Its token endpoint.
    pub fn token_url(&self) -> String {
        self.info["token_url"].as_str().unwrap().to_string()
    }

    /// Its https token endpoint (started with `--tls` or `--client-ca`).
    #[allow(dead_code)] // client_auth uses it, hot_path does not
    pub fn mtls_token_url(&self) -> String {
        self.info["mtls_token_url"].as_str().unwrap().to_string()
    }

    /// The PEM certificate its https listener is trusted with.
    #[allow(dead_code)] // client_auth uses it, hot_path does not
    pub fn tls_ca_pem(&self) -> String {
        self.info["tls_ca_pem"].as_str().unwrap().to_string()
    }

    /// Stops it: closing its stdin ends it (`--exit-on-stdin-eof`).
    pub fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The runtime the benchmarks' clients run on: one worker thread, as a
/// service holding one client would.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}
