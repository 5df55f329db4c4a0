//! Every README example runs: the Rust quickstart in README.md is
//! `core/examples/quickstart.rs` verbatim (its private_key_jwt variant
//! `core/examples/private_key_jwt.rs`), and here each runs against the dev
//! server the way a user runs it against their tenant.

mod common;

use std::process::Command;

use common::*;

/// The built example `name`: `cargo test` builds examples next to the
/// test binaries' directory.
fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

/// Runs client example `name` against `env`'s dev server the way a user
/// runs it against their tenant (AUTH0_DOMAIN, API_AUDIENCE, API_URL, the
/// client id and, unless `creds` replaces them, the secret); asserts it
/// succeeded and returns what it printed.
fn run_client_example(name: &str, env: &Env, creds: &[(&str, String)]) -> String {
    let bin = example(name);
    let mut c = Command::new(&bin);
    c.env("AUTH0_DOMAIN", env.server.url()) // http:// is allowed for loopback only
        .env("AUTH0_CLIENT_ID", &env.client_id)
        .env("AUTH0_CLIENT_SECRET", &env.secret)
        .env("API_AUDIENCE", "https://quickstarts/api")
        .env("API_URL", env.server.api_url())
        .env("NO_PROXY", "127.0.0.1");
    for (k, v) in creds {
        c.env(k, v);
    }
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn readme_quotes_its_rust_examples_verbatim() {
    let readme = include_str!("../../README.md");
    for (file, text) in [
        ("quickstart.rs", include_str!("../examples/quickstart.rs")),
        ("verify.rs", include_str!("../examples/verify.rs")),
        (
            "private_key_jwt.rs",
            include_str!("../examples/private_key_jwt.rs"),
        ),
        ("dpop.rs", include_str!("../examples/dpop.rs")),
    ] {
        assert!(
            readme.contains(text.trim()),
            "README.md must quote core/examples/{file} verbatim"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_gets_a_token_and_calls_the_api() {
    let env = env().await;
    let stdout = run_client_example("quickstart", &env, &[]);
    assert!(stdout.contains("Bearer token, expires in"), "{stdout}");
    assert!(stdout.contains("API answered 200"), "{stdout}");
    assert!(
        stdout.contains("\"aud\":\"https://quickstarts/api\""),
        "{stdout}"
    );
    assert!(!stdout.contains(&env.secret));
}

/// The private_key_jwt quickstart: the client's public key registered with
/// the server (as one uploads it to the Auth0 dashboard), the private key
/// from a file, no secret anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_private_key_jwt_quickstart_gets_a_token_and_calls_the_api() {
    let env = env().await;
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/verify_keys");
    let public: serde_json::Value =
        serde_json::from_str(include_str!("verify_keys/public_jwks.json")).unwrap();
    let mut jwk = public["rsa2048"].clone();
    jwk["kid"] = "rsa-1".into();
    let jwks = serde_json::json!({ "keys": [jwk] });
    env.server
        .add_client(ClientConfig::private_key_jwt("demo-pk-client", jwks));
    let stdout = run_client_example(
        "private_key_jwt",
        &env,
        &[
            ("AUTH0_CLIENT_ID", "demo-pk-client".into()),
            ("AUTH0_CLIENT_SECRET", String::new()),
            ("AUTH0_PRIVATE_KEY_FILE", format!("{keys}/rsa2048.pem")),
            ("AUTH0_KEY_ID", "rsa-1".into()),
        ],
    );
    assert!(stdout.contains("Bearer token, expires in"), "{stdout}");
    assert!(stdout.contains("API answered 200"), "{stdout}");
    assert!(stdout.contains("\"sub\":\"demo-pk-client\""), "{stdout}");
    // One token request, authenticated by an assertion alone.
    let requests = env.server.requests();
    assert_eq!(requests.len(), 1);
    assert!(field(&requests[0].body, "client_assertion").is_some());
    assert_eq!(field(&requests[0].body, "client_secret"), None);
}

/// The DPoP quickstart, against a dev server whose token endpoint and
/// `/api` both demand nonces: a DPoP token after one nonce demand, and the
/// API (which checks the proof, its `ath` and the key) answers 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpop_quickstart_gets_a_bound_token_and_calls_the_api() {
    let env = env().await;
    env.server.set_dpop_nonce(true, true);
    let stdout = run_client_example("dpop", &env, &[]);
    assert!(stdout.contains("DPoP token bound to key"), "{stdout}");
    assert!(stdout.contains("API answered 200"), "{stdout}");
    let s = env.server.stats();
    assert_eq!((s.dpop_token_requests, s.dpop_nonce_token_requests), (2, 1));
    // The API shares the token endpoint's origin (and the dev server its
    // nonce): the nonce learned there is sent at once.
    assert_eq!(s.dpop_api_requests, 1);
}

/// The API-side example: a token with the scope passes (200), one without
/// it is refused (403), no header asks for one (401).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_example_answers_200_403_and_401() {
    let env = env().await;
    let bin = example("verify");
    let audience = "https://quickstarts/api";
    let token_with = |scope: &'static str| {
        let client = env.client();
        async move {
            let request = m2m_auth::TokenRequest::default()
                .audience(audience)
                .scope([scope]);
            client.get_token(&request).await.unwrap()
        }
    };
    let with_scope = token_with("read:messages").await;
    let without = token_with("write:messages").await;
    let run = |authorization: Option<String>| {
        let mut c = Command::new(&bin);
        c.env("AUTH0_ISSUER", env.server.url())
            .env("API_AUDIENCE", audience)
            .env("NO_PROXY", "127.0.0.1")
            .env_remove("AUTHORIZATION");
        if let Some(a) = authorization {
            c.env("AUTHORIZATION", a);
        }
        let out = c
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ok = run(Some(with_scope.authorization_header().to_string()));
    assert!(ok.starts_with("200: client "), "{ok}");
    let refused = run(Some(without.authorization_header().to_string()));
    assert!(
        refused.starts_with("403: WWW-Authenticate: Bearer error=\"insufficient_scope\""),
        "{refused}"
    );
    let missing = run(None);
    assert_eq!(missing.trim(), "401: WWW-Authenticate: Bearer");
}
