//! private_key_jwt and client_secret_jwt against the dev server, which
//! verifies assertions as a strict server does (devserver/PROTOCOL.md):
//! every algorithm, a new jti per request and per retried attempt, rotating
//! assertion files, key files that vanish, and no key in any Debug output.

mod common;

use std::path::PathBuf;

use common::*;
use m2m_auth::{AuthMethod, ErrorKind, TokenClient, TokenClientBuilder, TokenRequest};
use m2m_auth_devserver::secret_fingerprint;
use serde_json::{json, Value};

macro_rules! key {
    ($dir:literal, $name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/",
            $dir,
            "/",
            $name
        ))
    };
}

const RSA: &str = key!("verify_keys", "rsa2048.pem");
const P256: &str = key!("verify_keys", "p256.pem");
const P384: &str = key!("verify_keys", "p384.pem");
const ED25519: &str = key!("verify_keys", "ed25519.pem");
const RSA_PKCS1: &str = key!("assertion_keys", "rsa2048.pkcs1.pem");
const P256_SEC1: &str = key!("assertion_keys", "p256.sec1.pem");
const ED25519_JWK: &str = key!("assertion_keys", "ed25519.jwk.json");

const ID: &str = "jwt-client";
const HMAC_ID: &str = "hmac-client";
const HMAC_SECRET: &str = "a long shared secret for client_secret_jwt";

/// The public halves of the test keys, each with a kid.
fn jwks() -> Value {
    let public: Value = serde_json::from_str(key!("verify_keys", "public_jwks.json")).unwrap();
    let keys: Vec<Value> = [
        ("rsa2048", "rsa-1"),
        ("p256", "ec-256"),
        ("p384", "ec-384"),
        ("ed25519", "ed-1"),
    ]
    .iter()
    .map(|(name, kid)| {
        let mut k = public[name].clone();
        k["kid"] = json!(kid);
        k
    })
    .collect();
    json!({ "keys": keys })
}

/// A server knowing a private_key_jwt client and a client_secret_jwt one.
async fn server() -> DevServer {
    let mut hmac = ClientConfig::new(HMAC_ID, HMAC_SECRET);
    hmac.auth_methods = Some(vec!["client_secret_jwt".into()]);
    DevServer::start(ServerConfig::with_clients(vec![
        ClientConfig::private_key_jwt(ID, jwks()),
        hmac,
    ]))
    .await
    .expect("dev server starts")
}

fn builder(server: &DevServer) -> TokenClientBuilder {
    builder_for(server, ID)
}

/// The client_assertion fingerprints the server recorded, in order.
fn recorded_assertions(server: &DevServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter_map(|r| {
            assert_eq!(
                field(&r.body, "client_assertion_type").as_deref(),
                Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            );
            assert_eq!(field(&r.body, "client_secret"), None);
            field(&r.body, "client_assertion")
        })
        .collect()
}

#[tokio::test]
async fn private_key_jwt_with_each_algorithm_and_key_format() {
    let server = server().await;
    let cases = [
        (RSA, "rsa-1", None),
        (RSA, "rsa-1", Some("PS256")),
        (RSA_PKCS1, "rsa-1", Some("RS512")),
        (P256, "ec-256", None),
        (P256_SEC1, "ec-256", Some("ES256")),
        (P384, "ec-384", None),
        (ED25519, "ed-1", None),
        // The JWK's own kid is "ed25519-jwk": key_id names the registered one.
        (ED25519_JWK, "ed-1", Some("EdDSA")),
    ];
    for (key, kid, alg) in cases {
        let mut b = builder(&server).private_key(key).key_id(kid);
        if let Some(alg) = alg {
            b = b.signing_alg(alg);
        }
        let client = b.build().expect("client builds");
        assert_eq!(client.auth_method(), AuthMethod::PrivateKeyJwt);
        let token = client.fetch_token(&TokenRequest::default()).await;
        assert!(token.is_ok(), "{kid} {alg:?}: {token:?}");
    }
    assert_eq!(recorded_assertions(&server).len(), cases.len());
}

#[tokio::test]
async fn client_secret_jwt_with_each_hmac() {
    let server = server().await;
    for alg in [None, Some("HS384"), Some("HS512")] {
        let mut b = builder(&server)
            .client_id(HMAC_ID)
            .client_secret(HMAC_SECRET)
            .auth_method(AuthMethod::ClientSecretJwt);
        if let Some(alg) = alg {
            b = b.signing_alg(alg);
        }
        let client = b.build().unwrap();
        client.fetch_token(&TokenRequest::default()).await.unwrap();
    }
    let wrong = builder(&server)
        .client_id(HMAC_ID)
        .client_secret("not the secret")
        .auth_method_name("client_secret_jwt")
        .build()
        .unwrap();
    let err = wrong
        .fetch_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OAuth, "{err:?}");
}

#[tokio::test]
async fn fifty_fetches_send_fifty_different_assertions() {
    let server = server().await;
    let client = builder(&server).private_key(P256).build().unwrap();
    for i in 0..50 {
        let token = client.fetch_token(&TokenRequest::default()).await;
        assert!(token.is_ok(), "fetch {i}: {token:?}");
    }
    let mut seen = recorded_assertions(&server);
    assert_eq!(seen.len(), 50);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 50);
}

#[tokio::test]
async fn a_retried_attempt_carries_a_new_assertion() {
    let server = server().await;
    let client = builder(&server).private_key(ED25519).build().unwrap();
    let steps = serde_json::from_value(json!([{"status": 503}])).unwrap();
    server.set_faults(Target::Token, steps, false);
    client.get_token(&TokenRequest::default()).await.unwrap();
    let seen = recorded_assertions(&server);
    assert_eq!(seen.len(), 2, "a 503, then a token");
    assert_ne!(seen[0], seen[1]);
}

#[tokio::test]
async fn the_assertion_audience_is_the_issuer_when_one_is_configured() {
    let server = server().await;
    let by_issuer = TokenClient::builder()
        .issuer(server.issuer())
        .client_id(ID)
        .no_proxy()
        .private_key(P384)
        .build()
        .unwrap();
    by_issuer
        .fetch_token(&TokenRequest::default())
        .await
        .unwrap();
    // With an Auth0-style domain the audience is its issuer identifier,
    // `{url}/` (Auth0 accepts nothing else), which the dev server accepts.
    let by_domain = TokenClient::builder()
        .domain(server.url())
        .client_id(ID)
        .no_proxy()
        .private_key(P384)
        .build()
        .unwrap();
    by_domain
        .fetch_token(&TokenRequest::default())
        .await
        .unwrap();
    // Any other audience is refused by the server.
    let other = builder(&server)
        .private_key(P384)
        .assertion_audience("https://elsewhere.example")
        .build()
        .unwrap();
    let err = other
        .fetch_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OAuth, "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(text.contains("aud must contain"), "{text}");
}

/// A temporary directory of the test's own.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("m2m-assertion-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `path` by a rename, as Kubernetes swaps projected files.
fn replace(path: &PathBuf, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// An assertion for `ID` signed elsewhere (by jsonwebtoken), as a platform
/// would issue it.
fn external_assertion(server: &DevServer, jti: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"iss": ID, "sub": ID, "aud": server.token_url(),
        "iat": now, "exp": now + 120, "jti": jti});
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("ec-256".into());
    let key = jsonwebtoken::EncodingKey::from_ec_pem(P256.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

#[tokio::test]
async fn a_rotated_assertion_file_is_read_again() {
    let server = server().await;
    let dir = temp_dir("rotate");
    let path = dir.join("token");
    let first = external_assertion(&server, "first-jti");
    replace(&path, &first);
    let client = builder(&server)
        .client_assertion_file(path.to_str().unwrap())
        .build()
        .unwrap();
    let request = TokenRequest::default();
    client.get_token(&request).await.unwrap();
    let second = external_assertion(&server, "second-jti");
    replace(&path, &format!("{second}\n"));
    client.invalidate(&request).unwrap();
    client.get_token(&request).await.unwrap();
    assert_eq!(
        recorded_assertions(&server),
        [secret_fingerprint(&first), secret_fingerprint(&second)]
    );
    // A shared cache needs a stable secret to seal with: refused.
    let shared = builder(&server)
        .client_assertion_file(path.to_str().unwrap())
        .cache(format!("file:{}", dir.join("cache").display()))
        .build()
        .unwrap_err();
    assert_eq!(shared.kind(), ErrorKind::Config);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_key_file_that_vanishes_is_a_config_error_and_the_token_is_still_served() {
    let server = server().await;
    let dir = temp_dir("vanish");
    let path = dir.join("key.pem");
    replace(&path, RSA);
    let client = builder(&server)
        .private_key_file(path.to_str().unwrap())
        .build()
        .unwrap();
    let request = TokenRequest::default();
    let token = client.get_token(&request).await.unwrap();
    std::fs::remove_file(&path).unwrap();
    let err = client.fetch_token(&request).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert!(err.to_string().contains("private_key_file"), "{err}");
    // The cached token is still usable, so it is still served.
    let again = client.get_token(&request).await.unwrap();
    assert_eq!(again.access_token(), token.access_token());
    // A rotated key (another type) is picked up on the next request.
    replace(&path, P256);
    client.fetch_token(&request).await.unwrap();
    replace(&path, "garbage");
    let err = client.fetch_token(&request).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn no_debug_output_holds_key_material() {
    let server = server().await;
    let body: Vec<&str> = RSA.lines().filter(|l| !l.starts_with("-----")).collect();
    let b = builder(&server).private_key(RSA);
    let client = b.clone().build().unwrap();
    let token = client.fetch_token(&TokenRequest::default()).await.unwrap();
    let text = format!("{b:?} {client:?} {token:?}");
    for line in body {
        assert!(!text.contains(line), "{text}");
    }
    assert!(text.contains("***"));
}

#[tokio::test]
async fn bad_configurations_are_config_errors_at_build() {
    let server = server().await;
    let cases = [
        builder(&server).auth_method_name("private_key_jwt"),
        builder(&server).private_key(key!("verify_keys", "rsa1024.pem")),
        builder(&server).private_key(RSA).signing_alg("ES256"),
        builder(&server).private_key("not a key"),
        builder(&server).private_key(RSA).client_assertion("a.b.c"),
        builder(&server).auth_method_name("client_secret_jwt"),
        builder(&server).client_secret("s").key_id("k"),
        builder(&server).auth_method_name("tls_client_auth"),
    ];
    for b in cases {
        let err = b.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
        assert!(!err.to_string().contains("MII"), "{err}");
    }
}

#[tokio::test]
async fn a_shared_file_cache_works_with_a_private_key() {
    let server = server().await;
    let dir = temp_dir("shared");
    let cache = format!("file:{}", dir.join("cache").display());
    // Two processes' worth of clients: separate in-memory caches, one store.
    let client = |key: &str| {
        builder(&server)
            .private_key(key)
            .cache(cache.clone())
            .memory_cache(m2m_auth::MemoryCache::new(10))
            .build()
            .unwrap()
    };
    let request = TokenRequest::default();
    let first = client(P256).get_token(&request).await.unwrap();
    let second = client(P256).get_token(&request).await.unwrap();
    assert_eq!(first.access_token(), second.access_token());
    assert_eq!(server.stats().token_requests, 1);
    // Another key is another credential: another cache key, another token.
    let other = client(P384).get_token(&request).await.unwrap();
    assert_ne!(other.access_token(), first.access_token());
    assert_eq!(server.stats().token_requests, 2);
    std::fs::remove_dir_all(&dir).unwrap();
}
