//! `client_assertion_provider` against the dev server (which verifies each
//! assertion and refuses a reused jti): the provider signs a fresh
//! assertion for every attempt, retries included; a provider that fails,
//! hangs or returns garbage gives a typed error and sends no request; what
//! it returns is never in an error or a Debug output.

mod common;

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use m2m_auth::{
    AssertionProvider, AssertionRequest, AuthMethod, ErrorKind, TokenClient, TokenClientBuilder,
    TokenRequest,
};
use m2m_auth_devserver::secret_fingerprint;
use serde_json::{json, Value};

const P256: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/verify_keys/p256.pem"
));
const ID: &str = "provided-client";

/// A server knowing `ID` with the P-256 test key as kid `ec-256`.
async fn server() -> DevServer {
    let public: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/verify_keys/public_jwks.json"
    )))
    .unwrap();
    let mut key = public["p256"].clone();
    key["kid"] = json!("ec-256");
    let config = ServerConfig::with_clients(vec![ClientConfig::private_key_jwt(
        ID,
        json!({ "keys": [key] }),
    )]);
    DevServer::start(config).await.expect("dev server starts")
}

fn builder(server: &DevServer) -> TokenClientBuilder {
    builder_for(server, ID)
}

/// An assertion for `r` signed by jsonwebtoken, as a KMS would sign it.
fn sign(r: &AssertionRequest) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let jti = format!("{:032x}", fastrand_u128());
    let claims = json!({"iss": r.client_id, "sub": r.client_id, "aud": r.audience,
        "iat": now, "exp": now + 60, "jti": jti});
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("ec-256".into());
    let key = jsonwebtoken::EncodingKey::from_ec_pem(P256.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// 128 bits that differ per call (nanoseconds and a counter).
fn fastrand_u128() -> u128 {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    (nanos << 20) ^ N.fetch_add(1, Ordering::Relaxed) as u128
}

/// The fingerprints of the assertions the server received, in order (it
/// records no assertion).
fn received(server: &DevServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter_map(|r| field(&r.body, "client_assertion"))
        .collect()
}

/// A provider that signs each time and remembers what it was asked and
/// what it returned.
type Log = Arc<Mutex<Vec<(AssertionRequest, String)>>>;

fn signing_provider() -> (AssertionProvider, Log) {
    let log: Log = Arc::default();
    let seen = log.clone();
    let provider = AssertionProvider::new(move |r: AssertionRequest| {
        let seen = seen.clone();
        async move {
            let jws = sign(&r);
            seen.lock().unwrap().push((r, jws.clone()));
            Ok::<_, std::io::Error>(jws)
        }
    });
    (provider, log)
}

#[tokio::test]
async fn a_provider_is_asked_for_every_request_and_every_attempt() {
    let server = server().await;
    let (provider, log) = signing_provider();
    let client = builder(&server)
        .assertion_provider(provider)
        .build()
        .unwrap();
    assert_eq!(client.auth_method(), AuthMethod::PrivateKeyJwt);
    let request = TokenRequest::default();
    for _ in 0..3 {
        client.get_token(&request).await.unwrap();
        let _ = client.invalidate(&request);
    }
    let calls = log.lock().unwrap().clone();
    assert_eq!(calls.len(), 3);
    for (r, _) in &calls {
        assert_eq!(r.client_id, ID);
        assert_eq!(r.audience, server.token_url());
        assert_eq!(r.token_endpoint, server.token_url());
    }
    let sent: Vec<String> = calls
        .iter()
        .map(|(_, jws)| secret_fingerprint(jws))
        .collect();
    assert_eq!(received(&server), sent);

    // A 503, then a token: two attempts, two calls, two assertions.
    server.set_faults(
        Target::Token,
        serde_json::from_value(json!([{"status": 503}])).unwrap(),
        false,
    );
    client.fetch_token(&request).await.unwrap();
    let calls = log.lock().unwrap().clone();
    assert_eq!(calls.len(), 5);
    assert_ne!(calls[3].1, calls[4].1);
    assert_eq!(received(&server).len(), 5);
}

#[tokio::test]
async fn a_blocking_provider_and_the_issuer_audience() {
    let server = server().await;
    let audiences = Arc::new(Mutex::new(Vec::new()));
    let seen = audiences.clone();
    let client = TokenClient::builder()
        .issuer(server.issuer())
        .client_id(ID)
        .no_proxy()
        .client_assertion_provider_fn(move |r| {
            seen.lock().unwrap().push(r.audience.clone());
            // A blocking call (a vault over a synchronous client).
            std::thread::sleep(Duration::from_millis(5));
            Ok::<_, String>(sign(&r))
        })
        .build()
        .unwrap();
    client.fetch_token(&TokenRequest::default()).await.unwrap();
    // The dev server accepted it: its aud was the issuer.
    assert_eq!(*audiences.lock().unwrap(), vec![server.issuer()]);
    assert_eq!(received(&server).len(), 1);
}

#[derive(Debug)]
struct VaultDown;

impl std::fmt::Display for VaultDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("vault is down")
    }
}

#[tokio::test]
async fn a_failing_provider_is_a_config_error_with_its_error_as_source_and_no_request() {
    let server = server().await;
    let client = builder(&server)
        .client_assertion_provider(|_| async { Err::<String, _>(VaultDown) })
        .build()
        .unwrap();
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("client_assertion_provider failed: ") && message.contains("VaultDown"),
        "{message}"
    );
    assert_eq!(err.source().unwrap().to_string(), "vault is down");
    assert_eq!(server.stats().token_requests, 0);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn empty_malformed_or_oversized_assertions_are_config_errors_never_quoted() {
    let server = server().await;
    let huge = format!("eyJh.{}.c2ln", "A".repeat(17 * 1024));
    for bad in ["", "  ", "not-a-jwt-CANARY", huge.as_str()] {
        let value = bad.to_string();
        let client = builder(&server)
            .client_assertion_provider(move |_| {
                let v = value.clone();
                async move { Ok::<_, String>(v) }
            })
            .build()
            .unwrap();
        let err = client
            .fetch_token(&TokenRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
        let text = format!("{err} {err:?}");
        assert!(text.contains("client_assertion_provider"), "{text}");
        assert!(
            !text.contains("CANARY") && !text.contains("AAAAAAAA"),
            "{text}"
        );
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_provider_that_never_answers_is_cut_off_by_the_timeout() {
    let server = server().await;
    let client = builder(&server)
        .timeout(Duration::from_millis(300))
        .client_assertion_provider(|_| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, String>(String::new())
        })
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(
        err.to_string().contains("client_assertion_provider"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn the_provided_assertion_is_in_no_debug_output() {
    let server = server().await;
    let (provider, log) = signing_provider();
    let b = builder(&server).assertion_provider(provider);
    let client = b.clone().build().unwrap();
    let token = client.fetch_token(&TokenRequest::default()).await.unwrap();
    let jws = log.lock().unwrap()[0].1.clone();
    let text = format!("{b:?} {client:?} {token:?}");
    assert!(text.contains("AssertionProvider(#"), "{text}");
    for part in jws.split('.') {
        assert!(!text.contains(part), "{text}");
    }
}

#[tokio::test]
async fn configurations_a_provider_does_not_fit_are_config_errors() {
    let server = server().await;
    let (provider, _) = signing_provider();
    let cache = m2m_auth::MemoryCache::new(10);
    let with = || {
        builder(&server)
            .assertion_provider(provider.clone())
            .memory_cache(cache.clone())
    };
    let dir = std::env::temp_dir().join(format!("m2m-provider-{}", std::process::id()));
    let cases = [
        with().auth_method(AuthMethod::ClientSecretPost),
        with()
            .client_secret("s")
            .auth_method(AuthMethod::ClientSecretJwt),
        with().client_assertion("a.b.c"),
        with().private_key(P256),
        with().signing_alg("ES256"),
        with().cache(format!("file:{}", dir.display())),
    ];
    for b in cases {
        let err = b.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    }
    // Clients sharing one provider share tokens; another provider does not.
    let request = TokenRequest::default();
    let a = with().build().unwrap().get_token(&request).await.unwrap();
    let b = with().build().unwrap().get_token(&request).await.unwrap();
    assert_eq!(a.access_token(), b.access_token());
    let (other, _) = signing_provider();
    let c = builder(&server)
        .assertion_provider(other)
        .memory_cache(cache.clone())
        .build()
        .unwrap()
        .get_token(&request)
        .await
        .unwrap();
    assert_ne!(a.access_token(), c.access_token());
    let _ = std::fs::remove_dir_all(&dir);
}
