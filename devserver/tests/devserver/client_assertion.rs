//! Client assertions the token endpoint accepts (RFC 7523): every
//! `private_key_jwt` algorithm with the checked-in test keys,
//! `client_secret_jwt` with HS256/384/512, the discovery metadata, redacted
//! recordings, and the binary with a clients file.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use jsonwebtoken::{Algorithm, EncodingKey};
use m2m_auth_devserver::{secret_fingerprint, ClientConfig, ServerConfig};
use serde_json::{json, Value};

use crate::assertion_support::{
    assert_token_for, claims, jwks, post_assertion, post_assertion_with, public_jwk, sign,
    signing_key,
};
use crate::support::{control, http, start};

/// Every test key, with the kid it is registered under.
const KEYS: [(&str, &str); 4] = [
    ("rsa2048", "rsa"),
    ("p256", "ec256"),
    ("p384", "ec384"),
    ("ed25519", "ed"),
];

#[tokio::test]
async fn private_key_jwt_accepts_every_algorithm() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.add_client(ClientConfig::private_key_jwt("pkj", jwks(&KEYS)));
    let cases = [
        (Algorithm::RS256, "rsa2048", "rsa"),
        (Algorithm::RS384, "rsa2048", "rsa"),
        (Algorithm::RS512, "rsa2048", "rsa"),
        (Algorithm::PS256, "rsa2048", "rsa"),
        (Algorithm::PS384, "rsa2048", "rsa"),
        (Algorithm::PS512, "rsa2048", "rsa"),
        (Algorithm::ES256, "p256", "ec256"),
        (Algorithm::ES384, "p384", "ec384"),
        (Algorithm::EdDSA, "ed25519", "ed"),
    ];
    for (alg, key, kid) in cases {
        let key = signing_key(key);
        // Named by kid.
        let a = sign(alg, Some(kid), &claims(&srv, "pkj"), &key);
        let r = post_assertion(addr, &a).await;
        assert_token_for(&r, "pkj");
        // Without a kid: the only registered key that fits the alg.
        let a = sign(alg, None, &claims(&srv, "pkj"), &key);
        assert_token_for(&post_assertion(addr, &a).await, "pkj");
    }
}

#[tokio::test]
async fn private_key_jwt_audiences_client_id_and_token_claims() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.add_client(ClientConfig {
        audiences: Some(vec!["https://api.example".into()]),
        scopes: Some(vec!["read".into()]),
        ..ClientConfig::private_key_jwt("pkj", jwks(&[("p256", "k1")]))
    });
    let key = signing_key("p256");
    // aud: the issuer, or an array holding the token endpoint.
    for aud in [
        json!(srv.issuer()),
        json!(["https://other.example", srv.token_url()]),
    ] {
        let mut c = claims(&srv, "pkj");
        c["aud"] = aud;
        let a = sign(Algorithm::ES256, Some("k1"), &c, &key);
        assert_token_for(&post_assertion(addr, &a).await, "pkj");
    }
    // A body client_id equal to iss/sub, and the usual token parameters.
    let a = sign(Algorithm::ES256, None, &claims(&srv, "pkj"), &key);
    let extra = [
        ("client_id", "pkj"),
        ("audience", "https://api.example"),
        ("scope", "read"),
    ];
    let r = post_assertion_with(addr, &a, &extra, &[]).await;
    assert_token_for(&r, "pkj");
    let j = r.json();
    assert_eq!(j["scope"], "read");
    let (_, c) = crate::support::jwt_parts(j["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], "https://api.example");
    // The access token works at /api.
    let auth = format!("Bearer {}", j["access_token"].as_str().unwrap());
    let api = http(addr, "GET", "/api", &[("Authorization", &auth)], b"")
        .await
        .unwrap();
    assert_eq!(api.status, 200);
    assert_eq!(api.json()["client_id"], "pkj");
}

#[tokio::test]
async fn client_secret_jwt_hs256_hs384_hs512_accepted() {
    let srv = start().await;
    let addr = srv.local_addr();
    // No auth_methods: client_secret_jwt is allowed with the secret methods.
    srv.add_client(ClientConfig::new("csj", "a shared secret of 32 bytes....."));
    let key = EncodingKey::from_secret(b"a shared secret of 32 bytes.....");
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let a = sign(alg, None, &claims(&srv, "csj"), &key);
        assert_token_for(&post_assertion(addr, &a).await, "csj");
    }
    // A kid in the header does not matter for HMAC; client_id may be sent.
    let a = sign(Algorithm::HS256, Some("x"), &claims(&srv, "csj"), &key);
    let r = post_assertion_with(addr, &a, &[("client_id", "csj")], &[]).await;
    assert_token_for(&r, "csj");
    // Listed explicitly.
    srv.add_client(ClientConfig {
        auth_methods: Some(vec!["client_secret_jwt".into()]),
        ..ClientConfig::new("csj-only", "s2")
    });
    let a = sign(
        Algorithm::HS256,
        None,
        &claims(&srv, "csj-only"),
        &EncodingKey::from_secret(b"s2"),
    );
    assert_token_for(&post_assertion(addr, &a).await, "csj-only");
}

#[tokio::test]
async fn metadata_lists_the_methods_and_signing_algs() {
    let srv = start().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let r = http(srv.local_addr(), "GET", path, &[], b"").await.unwrap();
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!(
            j["token_endpoint_auth_methods_supported"],
            json!([
                "client_secret_post",
                "client_secret_basic",
                "client_secret_jwt",
                "private_key_jwt",
                "tls_client_auth",
                "self_signed_tls_client_auth"
            ])
        );
        assert_eq!(
            j["token_endpoint_auth_signing_alg_values_supported"],
            json!([
                "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                "ES256", "ES384", "EdDSA"
            ])
        );
    }
}

#[tokio::test]
async fn recorded_requests_hold_the_assertion_fingerprint_only() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.add_client(ClientConfig::private_key_jwt(
        "pkj",
        jwks(&[("ed25519", "ed")]),
    ));
    let a = sign(
        Algorithm::EdDSA,
        None,
        &claims(&srv, "pkj"),
        &signing_key("ed25519"),
    );
    assert_token_for(&post_assertion(addr, &a).await, "pkj");
    // Refused (replayed) requests are recorded the same way.
    assert_eq!(post_assertion(addr, &a).await.status, 401);
    let r = control(&srv, "GET", "/_control/requests", "").await;
    let text = String::from_utf8_lossy(&r.body).into_owned();
    let embedded = format!("{:?}", srv.requests());
    let sig = a.rsplit('.').next().unwrap();
    for shown in [&text, &embedded] {
        assert!(!shown.contains(&a) && !shown.contains(sig), "{shown}");
    }
    let reqs: Value = r.json();
    let want = format!(
        "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={}",
        secret_fingerprint(&a)
    );
    assert_eq!(reqs[0]["body"], want);
    assert_eq!(reqs[1]["body"], want);
}

/// The binary takes jwks clients from a file, logs no assertion, and refuses
/// a file with a private key, naming the client but not the key.
#[test]
fn the_binary_with_a_jwks_clients_file() {
    let dir = std::env::temp_dir().join(format!(
        "m2m-devserver-assertion-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = ServerConfig::with_clients(vec![ClientConfig::private_key_jwt(
        "file-client",
        jwks(&[("p384", "k")]),
    )]);
    let good = dir.join("clients.json");
    std::fs::write(&good, serde_json::to_string(&cfg).unwrap()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_m2m-auth-devserver"))
        .args(["--exit-on-stdin-eof", "--clients"])
        .arg(&good)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let url = info["url"].as_str().unwrap().to_owned();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let now = crate::assertion_support::now();
    let c = json!({"iss": "file-client", "sub": "file-client", "aud": info["token_url"],
                   "iat": now, "exp": now + 30, "jti": "j-1"});
    let a = sign(Algorithm::ES384, Some("k"), &c, &signing_key("p384"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let addr = ([127, 0, 0, 1], port).into();
        assert_token_for(&post_assertion(addr, &a).await, "file-client");
        assert_eq!(post_assertion(addr, &a).await.status, 401);
    });
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains(a.rsplit('.').next().unwrap()), "{err}");

    // A private JWK (with "d") in the file: exit 2, the client named, no key.
    let mut private = public_jwk("ed25519", "k");
    let d = "9THvaw5jUlBWgUy0FTKOyBaLNSUKiHgacyjQoVjkZ8Y";
    private["d"] = d.into();
    let bad = dir.join("bad.json");
    let text = json!({"clients": [{"client_id": "leaky", "auth_methods": ["private_key_jwt"],
                                    "jwks": {"keys": [private]}}]});
    std::fs::write(&bad, text.to_string()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_m2m-auth-devserver"))
        .arg("--clients")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("\"leaky\"") && err.contains("private"),
        "{err}"
    );
    assert!(!err.contains(d) && !err.contains("LC0WrMFQ"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
