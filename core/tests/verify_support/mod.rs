//! Shared set-up of the verifier tests: fixed test keys (tests/verify_keys),
//! tokens signed by an independent JOSE library (`jsonwebtoken`), and a tiny
//! real HTTP server for JWKS behaviour the dev server cannot show.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use m2m_auth::{Error, Verifier, VerifierBuilder};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const ISS: &str = "https://issuer.example";
pub const AUD: &str = "https://api.example";

pub fn key_file(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/verify_keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).expect("test key file")
}

/// The public JWK of a test key, with `kid` and any extra members.
pub fn jwk(name: &str, kid: &str, extra: Value) -> Value {
    let all: Value = serde_json::from_slice(&key_file("public_jwks.json")).unwrap();
    let mut k = all[name].clone();
    k["kid"] = kid.into();
    if let Value::Object(m) = extra {
        for (n, v) in m {
            k[n] = v;
        }
    }
    k
}

pub fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

/// The usual test JWKS: rsa2048 as `rsa`, p256 as `ec`, p384 as `ec384`,
/// ed25519 as `ed`, rsa1024 as `weak`.
pub fn standard_jwks() -> String {
    jwks(&[
        jwk("rsa2048", "rsa", json!({})),
        jwk("p256", "ec", json!({})),
        jwk("p384", "ec384", json!({})),
        jwk("ed25519", "ed", json!({})),
        jwk("rsa1024", "weak", json!({})),
    ])
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Valid RFC 9068 claims for ISS/AUD, 10 minutes left.
pub fn claims() -> Value {
    let now = now();
    json!({
        "iss": ISS, "aud": AUD, "sub": "svc", "client_id": "svc",
        "iat": now, "exp": now + 600, "jti": "j1", "scope": "read write",
    })
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The private test key `key` (`<key>.pem`) for `alg`.
pub fn encoding_key(alg: Algorithm, key: &str) -> EncodingKey {
    let pem = key_file(&format!("{key}.pem"));
    match alg {
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 => {
            EncodingKey::from_rsa_pem(&pem).unwrap()
        }
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(&pem).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem).unwrap(),
        _ => panic!("not an asymmetric algorithm"),
    }
}

/// A token with exactly this header and these claims, signed by
/// `jsonwebtoken` with test key `key` (the header's `alg` is not checked:
/// tests lie in it on purpose).
pub fn sign_raw(header: &Value, claims: &Value, alg: Algorithm, key: &EncodingKey) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap();
    format!("{input}.{sig}")
}

/// A token for `alg` signed with test key `key`, header `{alg, typ: at+jwt, kid}`.
pub fn token(alg: Algorithm, key: &str, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": format!("{alg:?}"), "typ": "at+jwt", "kid": kid});
    sign_raw(&header, claims, alg, &encoding_key(alg, key))
}

/// An RS256 token with the `rsa` key and the usual header.
pub fn rs256(claims: &Value) -> String {
    token(Algorithm::RS256, "rsa2048", "rsa", claims)
}

/// A token whose header is `header` (any JSON), RS256-signed by `rsa`.
pub fn with_header(header: Value, claims: &Value) -> String {
    sign_raw(
        &header,
        claims,
        Algorithm::RS256,
        &encoding_key(Algorithm::RS256, "rsa2048"),
    )
}

pub fn builder(jwks: String) -> VerifierBuilder {
    Verifier::builder().issuer(ISS).audience(AUD).jwks(jwks)
}

pub fn verifier() -> Verifier {
    builder(standard_jwks()).build().unwrap()
}

/// The `reason` of an `invalid_token` error.
pub fn reason(e: &Error) -> String {
    assert_eq!(e.code(), "invalid_token", "{e}");
    match e.field("reason") {
        Some(m2m_auth::FieldValue::Text(r)) => r.to_string(),
        other => panic!("no reason: {other:?}"),
    }
}

/// Verifies with a fresh verifier of the standard JWKS and returns the
/// failure's reason.
pub async fn refused(v: &Verifier, token: &str) -> String {
    let e = v
        .verify(token)
        .await
        .expect_err("the token must be refused");
    // No part of the token beyond the header's scrubbed values is ever shown.
    let shown = e.to_string();
    for part in token.split('.').skip(1).filter(|p| p.len() > 8) {
        assert!(!shown.contains(part), "error shows the token: {shown}");
    }
    reason(&e)
}

/// What the tiny server answers.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(body: String) -> Answer {
        Answer {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into_bytes(),
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A real HTTP/1.1 server on 127.0.0.1 answering every request with the
/// current [`Answer`] and counting requests (`Connection: close`).
pub struct TinyServer {
    pub url: String,
    pub answer: Arc<Mutex<Answer>>,
    pub requests: Arc<AtomicU64>,
    /// How long each answer waits before it is sent.
    pub delay: Arc<Mutex<std::time::Duration>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TinyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TinyServer {
    pub async fn start(answer: Answer) -> TinyServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(answer));
        let requests = Arc::new(AtomicU64::new(0));
        let delay = Arc::new(Mutex::new(std::time::Duration::ZERO));
        let (a, r, d) = (answer.clone(), requests.clone(), delay.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (a, r, d) = (a.clone(), r.clone(), d.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    r.fetch_add(1, Ordering::SeqCst);
                    let wait = *d.lock();
                    tokio::time::sleep(wait).await;
                    let ans = a.lock().clone();
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                        ans.status,
                        ans.body.len()
                    );
                    for (k, v) in &ans.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(&ans.body).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        TinyServer {
            url,
            answer,
            requests,
            delay,
            task,
        }
    }

    pub fn set(&self, answer: Answer) {
        *self.answer.lock() = answer;
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}
