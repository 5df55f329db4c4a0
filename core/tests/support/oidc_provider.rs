//! The interop server (`tests/interop/server.mjs`, oidc-provider), started
//! once per test binary, its clients (`tests/interop/clients.json`), and a
//! JWT decoder: shared by `interop.rs` and `interop_mtls.rs`.

// Each test binary uses part of this module (the mTLS fields in one, the
// assertion keys in the other).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

/// `tests/interop/clients.json`: the clients the server registers.
pub fn config() -> Value {
    serde_json::from_str(include_str!("../../../tests/interop/clients.json")).unwrap()
}

pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// The running server, started once for all tests of a binary. Its stdin
/// is held open for the life of the process: when the test binary exits,
/// the server sees EOF and exits too.
pub struct Provider {
    /// The http issuer (discovery, JWKS and the plain token endpoint).
    pub issuer: String,
    pub token_endpoint: String,
    /// The token endpoint on the https (mutual TLS) listener.
    pub mtls_token_endpoint: String,
    /// The CA of the https listener's certificate.
    pub ca_file: PathBuf,
    /// `tests/mtls/`: the `*_file` names of clients.json are relative to it.
    pub certs_dir: PathBuf,
    _child: Child,
    _stdin: ChildStdin,
}

pub fn provider() -> &'static Provider {
    static P: OnceLock<Provider> = OnceLock::new();
    P.get_or_init(start_provider)
}

fn start_provider() -> Provider {
    let dir = interop_dir();
    let module = dir.join("node_modules/oidc-provider/package.json");
    assert!(
        module.exists(),
        "{} is missing: the interop tests need oidc-provider installed. \
         Run scripts/test-interop.sh (or `npm ci` in tests/interop) first.",
        module.display()
    );
    // A start that prints no line in 30 s is asked for node's report (its
    // JS and native stacks, on SIGUSR2), which is printed, then stopped
    // and made once more (seen rarely in CI; the report says where).
    let (child, stdin, line) = spawn_server(&dir)
        .or_else(|| spawn_server(&dir))
        .expect("oidc-provider did not print its issuer within 30 s, twice");
    let info: Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("oidc-provider start line {line:?}: {e}"));
    let s = |k: &str| {
        info[k]
            .as_str()
            .unwrap_or_else(|| panic!("start line without {k}: {line}"))
            .to_string()
    };
    Provider {
        issuer: s("issuer"),
        token_endpoint: s("token_endpoint"),
        mtls_token_endpoint: s("mtls_token_endpoint"),
        ca_file: s("ca_file").into(),
        certs_dir: s("certs_dir").into(),
        _child: child,
        _stdin: stdin,
    }
}

/// Starts server.mjs once: the child, its stdin and its start line, or
/// `None` (after printing its report) when no line came within 30 s.
fn spawn_server(dir: &std::path::Path) -> Option<(Child, ChildStdin, String)> {
    let reports = std::env::temp_dir().join(format!("m2m-node-report-{}", std::process::id()));
    let mut child = Command::new("node")
        .arg("--report-on-signal")
        .arg(format!("--report-directory={}", reports.display()))
        .arg("server.mjs")
        .arg("--exit-on-stdin-eof")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `node` (is Node.js on PATH?): {e}"));
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    if let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
        if !line.trim().is_empty() {
            return Some((child, stdin, line));
        }
    }
    let _ = Command::new("kill")
        .arg("-USR2")
        .arg(child.id().to_string())
        .status();
    std::thread::sleep(Duration::from_secs(3));
    eprintln!("oidc-provider printed no start line in 30 s; its report:");
    for entry in std::fs::read_dir(&reports).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        eprintln!("{}", text.chars().take(30_000).collect::<String>());
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// The JOSE header and the claims of a JWT (not verified: the engine is not
/// the resource server here).
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS compact serialization: {token:.40}…");
    let decode = |p: &str| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    };
    (decode(parts[0]), decode(parts[1]))
}
