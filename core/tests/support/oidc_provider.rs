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
    let mut child = Command::new("node")
        .arg("server.mjs")
        .arg("--exit-on-stdin-eof")
        .current_dir(&dir)
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
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("oidc-provider did not print its issuer within 30 s");
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
