//! What the CLI's test files share: the binary, a dev server with one
//! client, and running the binary as a user runs it.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use m2m_auth_devserver::{ClientConfig, DevServer, ServerConfig};

/// The `m2m-auth` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_m2m-auth");
/// The secret of the dev server's client `cli-client`.
pub const SECRET: &str = "cli-s3cret:%+/=";

/// The private_key_jwt client of [`server`], and its private key.
pub const JWT_CLIENT: &str = "cli-jwt-client";
/// The private key of [`JWT_CLIENT`] (PEM, PKCS#8).
pub const JWT_KEY: &str = include_str!("../../../core/tests/verify_keys/rsa2048.pem");

/// A dev server with the client `cli-client` (tokens for an hour).
pub async fn server() -> DevServer {
    let mut c = ClientConfig::new("cli-client", SECRET);
    c.token_lifetime = Some(3600);
    // A private_key_jwt client whose key is core's RSA test key.
    let public: serde_json::Value = serde_json::from_str(include_str!(
        "../../../core/tests/verify_keys/public_jwks.json"
    ))
    .unwrap();
    let jwks = serde_json::json!({ "keys": [public["rsa2048"]] });
    let jwt = ClientConfig::private_key_jwt(JWT_CLIENT, jwks);
    DevServer::start(ServerConfig::with_clients(vec![c, jwt]))
        .await
        .unwrap()
}

/// A command with a clean environment: no M2M_AUTH_* or proxy variables
/// from the developer's shell.
pub fn cmd<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("M2M_AUTH_") || k.to_ascii_lowercase().ends_with("_proxy") {
            c.env_remove(k);
        }
    }
    c.env("NO_PROXY", "127.0.0.1,localhost");
    c
}

/// Runs `c` off the runtime's threads (the dev server lives on them), with
/// `stdin` as standard input.
pub async fn run(mut c: Command, stdin: &str) -> Output {
    let stdin = stdin.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A command may exit before it reads its input (a usage or config
        // error): its closed pipe is not the test's failure.
        match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            r => r.unwrap(),
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

/// Bytes as text (lossy).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The first value of the field `name` in a form body.
pub fn form_field(body: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A token of the dev server, from its public token endpoint.
pub async fn dev_token(token_url: &str) -> String {
    let mut c = cmd(&[
        "token",
        "--raw",
        "--token-url",
        token_url,
        "--client-id",
        "cli-client",
        "--audience",
        "https://api.example.com",
        "--scope",
        "read:data",
    ]);
    c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
    let out = run(c, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}
