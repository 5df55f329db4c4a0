//! docs/design.md §7, issue #12's canary: a private key (PEM or JWK), a
//! mutual-TLS client key (text or file) and a client assertion (ready, from
//! a file, or signed by the engine) never show
//! in the Debug of a builder, client, token or error, in an error's
//! Display, or in any log line at TRACE (ours and our dependencies'): with
//! tokens served, with a key the server refuses, with failing fetches (a
//! fault script, a server echoing the assertion), with keys that do not
//! parse and key files that vanish. secrets.rs is the same canary for the
//! client secret; each file installs its own global subscriber.

mod common;

use std::path::PathBuf;

use common::*;
use m2m_auth::{TokenClient, TokenClientBuilder, TokenRequest};
use serde_json::{json, Value};

const RSA_PEM: &str = include_str!("verify_keys/rsa2048.pem");
const P256_PEM: &str = include_str!("verify_keys/p256.pem");
const RSA_JWK: &str = include_str!("assertion_keys/rsa2048.jwk.json");
const ID: &str = "canary-jwt-client";
/// A client whose only key is Ed25519: the server refuses the others.
const REFUSING_ID: &str = "canary-refusing-client";
/// A mutual-TLS client (tls_client_auth) and its certificate and key.
const TLS_ID: &str = "canary-tls-client";
const TLS_CERT: &str = include_str!("mtls_keys/client.pem");
const TLS_KEY: &str = include_str!("mtls_keys/client.key");
const TLS_OTHER_KEY: &str = include_str!("mtls_keys/other.key");

/// The distinctive slices of the test keys: the PEMs' base64 body lines and
/// the JWK's private members.
fn key_slices() -> Vec<String> {
    let mut out: Vec<String> = [RSA_PEM, P256_PEM, TLS_KEY, TLS_OTHER_KEY]
        .iter()
        .flat_map(|pem| pem.lines())
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .map(str::to_string)
        .collect();
    let jwk: Value = serde_json::from_str(RSA_JWK).unwrap();
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        out.push(jwk[member].as_str().unwrap().to_string());
    }
    out
}

/// An assertion for `ID` signed elsewhere (jsonwebtoken), as a platform
/// issues one, and its signature part.
fn external_assertion(server: &DevServer, jti: &str) -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"iss": ID, "sub": ID, "aud": server.token_url(),
        "iat": now, "exp": now + 120, "jti": jti});
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("ec-256".into());
    let key = jsonwebtoken::EncodingKey::from_ec_pem(P256_PEM.as_bytes()).unwrap();
    let jwt = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let signature = jwt.rsplit('.').next().unwrap().to_string();
    (jwt, signature)
}

/// Whether `text` holds something shaped like a JWS: `eyJ` (the base64url
/// of `{"`, which starts every JWS header) and at least 16 more base64url
/// characters, then a dot.
fn has_jwt(text: &str) -> bool {
    text.match_indices("eyJ").any(|(i, _)| {
        let rest = &text[i..];
        let run = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        run >= 19 && rest[run..].starts_with('.')
    })
}

/// Fails if `text` holds a key slice, a needle, or anything shaped like a
/// JWT: the engine's own assertions are signed inside it, so no test can
/// know them, and the access tokens print as fingerprints only.
fn assert_clean(what: &str, text: &str, needles: &[String]) {
    for s in key_slices().iter().chain(needles) {
        assert!(!text.contains(s.as_str()), "{what} shows {s:?}:\n{text}");
    }
    assert!(!has_jwt(text), "{what} shows a JWT:\n{text}");
}

async fn server() -> DevServer {
    let public: Value = serde_json::from_str(include_str!("verify_keys/public_jwks.json")).unwrap();
    let with_kid = |name: &str, kid: &str| {
        let mut k = public[name].clone();
        k["kid"] = json!(kid);
        k
    };
    let keys = json!({"keys": [with_kid("rsa2048", "rsa-1"), with_kid("p256", "ec-256")]});
    let refusing = json!({"keys": [with_kid("ed25519", "ed-1")]});
    let mut config = ServerConfig::with_clients(vec![
        ClientConfig::private_key_jwt(ID, keys),
        ClientConfig::private_key_jwt(REFUSING_ID, refusing),
        ClientConfig::tls_client_auth(TLS_ID, "CN=mtls-client,O=m2m-auth tests"),
    ]);
    config.client_ca = Some(include_str!("mtls_keys/client-ca.pem").into());
    DevServer::start(config).await.expect("dev server starts")
}

fn builder(server: &DevServer, n: usize) -> TokenClientBuilder {
    TokenClient::builder()
        .token_url(server.token_url())
        .client_id(ID)
        .no_proxy()
        .retry_policy(fast_retry())
        // An audience of its own per client: no cache key is shared.
        .audience(format!("https://canary/{n}"))
}

/// A mutual-TLS client of the server's https listener.
fn tls_builder(server: &DevServer, n: usize) -> TokenClientBuilder {
    TokenClient::builder()
        .token_url(server.mtls_token_url().unwrap())
        .ca_certs(server.tls_ca_pem().unwrap())
        .client_id(TLS_ID)
        .no_proxy()
        .retry_policy(fast_retry())
        .audience(format!("https://canary/{n}"))
}

fn keys_dir() -> String {
    format!("{}/tests/mtls_keys", env!("CARGO_MANIFEST_DIR"))
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("m2m-key-canary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_assertions_never_appear_in_debug_errors_or_trace_logs() {
    let captured = TraceCapture::install();

    assert!(has_jwt("x eyJhbGciOiJFUzI1NiJ9.eyJ.sig") && !has_jwt("PrivateKeyJwt eyJ."));
    let server = server().await;
    let dir = temp_dir();
    let key_file = dir.join("key.pem");
    std::fs::write(&key_file, RSA_PEM).unwrap();
    let (ready, ready_signature) = external_assertion(&server, "canary-ready");
    let (filed, filed_signature) = external_assertion(&server, "canary-filed");
    let assertion_file = dir.join("assertion.jwt");
    std::fs::write(&assertion_file, &filed).unwrap();
    let needles = [
        ready.clone(),
        ready_signature,
        filed.clone(),
        filed_signature,
    ];

    // Every credential source, as a builder.
    let n = std::sync::atomic::AtomicUsize::new(0);
    let next = || n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Every credential source, as a builder, with the assertion it sends
    // when a test can know it (the engine's own are signed inside it).
    let sources: Vec<(TokenClientBuilder, Option<&str>)> = vec![
        (
            builder(&server, next())
                .private_key(RSA_PEM)
                .key_id("rsa-1"),
            None,
        ),
        (
            builder(&server, next())
                .private_key(P256_PEM)
                .key_id("ec-256"),
            None,
        ),
        (
            builder(&server, next())
                .private_key(RSA_JWK)
                .key_id("rsa-1"),
            None,
        ),
        (
            builder(&server, next())
                .private_key_file(key_file.to_str().unwrap())
                .key_id("rsa-1"),
            None,
        ),
        (
            builder(&server, next()).client_assertion(ready.clone()),
            Some(&ready),
        ),
        (
            builder(&server, next()).client_assertion_file(assertion_file.to_str().unwrap()),
            Some(&filed),
        ),
        // Mutual TLS: the client key as PEM text and as a file.
        (
            tls_builder(&server, next())
                .client_certificate(TLS_CERT)
                .client_key(TLS_KEY),
            None,
        ),
        (
            tls_builder(&server, next())
                .client_certificate_file(format!("{}/client.pem", keys_dir()))
                .client_key_file(format!("{}/client.key", keys_dir())),
            None,
        ),
    ];
    let mut texts = Vec::new();
    for (b, sent) in &sources {
        // Served: the builder, the client and the token.
        let client = b.clone().build().unwrap();
        let token = client.fetch_token(&TokenRequest::default()).await;
        texts.push(format!("{b:?} {client:?} {token:?}"));
        assert!(token.is_ok(), "{token:?}");
        // Failing fetches: a server echoing the assertion it got (when the
        // test knows it), then 503s until the attempts run out.
        let echo = sent.unwrap_or("nothing");
        server.set_faults(
            Target::Token,
            serde_json::from_value(json!([
                {"status": 400, "json": {"error": "invalid_client", "error_description": format!("bad assertion {echo}")}},
                {"status": 500, "body": format!("echo: {echo}")},
                {"status": 503},
            ]))
            .unwrap(),
            true,
        );
        for _ in 0..3 {
            let err = client
                .fetch_token(&TokenRequest::default())
                .await
                .unwrap_err();
            texts.push(format!("{err} {err:?}"));
        }
        server.clear_faults(Target::Token);
    }
    // A key the server refuses: an oauth error.
    let refused = builder(&server, next())
        .client_id(REFUSING_ID)
        .private_key(RSA_PEM)
        .build()
        .unwrap();
    let err = refused
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "oauth", "{err:?}");
    texts.push(format!("{refused:?} {err} {err:?}"));
    // Keys that do not parse or fit: config errors at build.
    let broken: String = RSA_PEM
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let truncated_jwk = RSA_JWK.replace("\"kty\"", "\"kty_\"");
    for b in [
        builder(&server, next()).private_key(broken),
        builder(&server, next()).private_key(truncated_jwk),
        builder(&server, next())
            .private_key(RSA_PEM)
            .signing_alg("ES256"),
        builder(&server, next())
            .private_key(RSA_PEM)
            .client_assertion(ready.clone()),
        // A client key that is not the certificate's.
        tls_builder(&server, next())
            .client_certificate(TLS_CERT)
            .client_key(TLS_OTHER_KEY),
    ] {
        let err = b.clone().build().unwrap_err();
        assert_eq!(err.code(), "config", "{err:?}");
        texts.push(format!("{b:?} {err} {err:?}"));
    }
    // Files that change under the client: a key file that no longer parses,
    // then vanishes; an assertion file that vanishes.
    let client = sources[3].0.clone().build().unwrap();
    std::fs::write(&key_file, &RSA_PEM[..RSA_PEM.len() / 2]).unwrap();
    let err = client
        .fetch_token(&TokenRequest::default())
        .await
        .unwrap_err();
    texts.push(format!("{err} {err:?}"));
    std::fs::remove_dir_all(&dir).unwrap();
    for (b, _) in [&sources[3], &sources[5]] {
        // Refused at build, or at the first fetch: a config error either way.
        let err = match b.clone().build() {
            Ok(c) => c.fetch_token(&TokenRequest::default()).await.unwrap_err(),
            Err(e) => e,
        };
        assert_eq!(err.code(), "config", "{err:?}");
        texts.push(format!("{err} {err:?}"));
    }

    for t in &texts {
        assert_clean("a Debug or an error", t, &needles);
    }
    // The echoes were scrubbed, not missed (both assertion sources).
    let scrubbed = texts.iter().filter(|t| t.contains("bad assertion ***"));
    assert_eq!(scrubbed.count(), 2);
    let logs = captured.text();
    assert!(
        logs.contains("token received"),
        "TRACE logging was captured"
    );
    assert!(logs.contains("TRACE"), "TRACE records were captured");
    assert_clean("the TRACE log", &logs, &needles);
    std::io::Write::flush(&mut std::io::stderr()).ok();
}
