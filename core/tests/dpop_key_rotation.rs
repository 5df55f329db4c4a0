//! `dpop_key_file` rotated under a running client (docs/design.md §11,
//! "Key"), against the dev server, which binds tokens to the proof's key
//! and checks proofs at `/api`: tokens follow the new key (their `cnf.jkt`,
//! the cache key, a shared store's names), a token bound to the old key is
//! refused by the API and renewed, a file caught half-written fails the
//! token request with `config` and keeps the old key, and the cached path
//! never looks at the file.

mod common;
#[path = "support/thumbprint.rs"]
mod thumbprint;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use common::*;
use m2m_auth::{ErrorKind, MemoryCache, TokenClient, TokenRequest};
use serde_json::{json, Value};
use thumbprint::thumbprint;

/// A new key: its PEM (PKCS#8) and the thumbprint of its public half,
/// computed here from the raw public key.
struct Key {
    pem: String,
    jkt: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn p256() -> Key {
    let pair = rcgen::KeyPair::generate().unwrap();
    let raw = pair.public_key_raw(); // 0x04 || x || y
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&raw[1..33]), "y": b64(&raw[33..])});
    Key {
        pem: pair.serialize_pem(),
        jkt: thumbprint(&jwk),
    }
}

fn ed25519() -> Key {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key_raw())});
    Key {
        pem: pair.serialize_pem(),
        jkt: thumbprint(&jwk),
    }
}

/// A directory of this test's own.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "m2m-auth-dpop-rotation-{name}-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Replaces the file in one step, as a secret manager does (a new file
/// renamed over the old one).
fn rotate(path: &Path, text: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The `cnf.jkt` of a dev-server access token (a JWT).
fn cnf_jkt(access_token: &str) -> String {
    let payload = access_token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    claims["cnf"]["jkt"].as_str().unwrap().to_owned()
}

/// Every log line of this test binary (installed once).
fn logs() -> &'static TraceCapture {
    static LOGS: OnceLock<TraceCapture> = OnceLock::new();
    LOGS.get_or_init(TraceCapture::install)
}

fn client(env: &Env, file: &Path) -> TokenClient {
    env.builder()
        .dpop(true)
        .dpop_key_file(file.display().to_string())
        .memory_cache(MemoryCache::new(100))
        .build()
        .unwrap()
}

/// A GET of `/api` with `token` and a proof of this client's key, as the
/// HTTP adapters send it: the API's status.
async fn api_status(env: &Env, client: &TokenClient, token: &m2m_auth::Token) -> u16 {
    let url = env.server.api_url();
    let proof = client
        .dpop_proof("GET", &url, Some(token.access_token()))
        .unwrap();
    // reqwest's TLS wants a process-wide provider, even for http.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
        .get(&url)
        .header("authorization", token.authorization_header())
        .header("dpop", proof)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn tokens_and_proofs_follow_a_rotated_key() {
    let logs = logs();
    let env = env().await;
    let dir = temp_dir("follow");
    let file = dir.join("dpop.pem");
    let (first, second) = (p256(), ed25519());
    std::fs::write(&file, &first.pem).unwrap();
    let client = client(&env, &file);
    let default = TokenRequest::default();
    let epoch = client.cache_epoch(&default).unwrap();

    let old = client.get_token(&default).await.unwrap();
    assert_eq!(cnf_jkt(old.access_token()), first.jkt);
    assert_eq!(client.dpop_thumbprint(), Some(first.jkt.as_str()));
    assert_eq!(api_status(&env, &client, &old).await, 200);

    rotate(&file, &second.pem);
    // The cached path does not look at the file: same token, same key.
    let still = client.get_token(&default).await.unwrap();
    assert_eq!(still.access_token(), old.access_token());
    assert_eq!(client.dpop_thumbprint(), Some(first.jkt.as_str()));
    let seen = epoch.get();

    // A token request sees the new key: its proof, the token's binding.
    let new = client.fetch_token(&default).await.unwrap();
    assert_eq!(cnf_jkt(new.access_token()), second.jkt);
    assert_eq!(client.dpop_thumbprint(), Some(second.jkt.as_str()));
    assert_ne!(epoch.get(), seen, "a binding's copy is dropped");
    let last = env.server.requests().pop().unwrap();
    let proof = jsonwebtoken::decode_header(&last.headers["dpop"]).unwrap();
    assert_eq!(proof.alg, jsonwebtoken::Algorithm::EdDSA);

    // The token bound to the old key is no longer handed out.
    for _ in 0..3 {
        let t = client.get_token(&default).await.unwrap();
        assert_eq!(t.access_token(), new.access_token());
    }
    let scoped = TokenRequest::new().audience("https://api.example.com");
    let t = client.get_token(&scoped).await.unwrap();
    assert_eq!(cnf_jkt(t.access_token()), second.jkt);

    // A caller still holding the old token: the API refuses it with a
    // proof of the new key; the adapters' renewal on 401 recovers.
    assert_eq!(api_status(&env, &client, &old).await, 401);
    client
        .invalidate_rejected(&default, old.access_token())
        .unwrap();
    let renewed = client.get_token(&default).await.unwrap();
    assert_eq!(cnf_jkt(renewed.access_token()), second.jkt);
    assert_eq!(api_status(&env, &client, &renewed).await, 200);
    // A binding's copy (Node's) follows the new key's slot too.
    let seen = epoch.get();
    client.invalidate(&default).unwrap();
    assert_ne!(epoch.get(), seen, "the epoch follows the new key's slot");
    // call_api sends the current token with a proof of the current key.
    let r = call_get(&client, &env.server.api_url()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["cnf"]["jkt"], second.jkt);

    // One info line, with both thumbprints and no key.
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("holds a new key") && l.contains(&second.jkt))
        .expect("a rotation line");
    assert!(line.contains("INFO") && line.contains(&first.jkt), "{line}");
    assert_eq!(
        text.matches(&format!("new_thumbprint={}", second.jkt))
            .count(),
        1
    );
    for key in [&first.pem, &second.pem] {
        let body = key.lines().nth(1).unwrap();
        assert!(!text.contains(body), "key material in the logs");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_new_key_takes_effect_at_the_refresh_point_at_the_latest() {
    let env = env().await;
    let dir = temp_dir("refresh");
    let file = dir.join("dpop.pem");
    let (first, second) = (p256(), p256());
    std::fs::write(&file, &first.pem).unwrap();
    let client = env
        .builder()
        .dpop(true)
        .dpop_key_file(file.display().to_string())
        .memory_cache(MemoryCache::new(100))
        .refresh_ratio(0.0001) // fresh for 360 ms of the hour
        .build()
        .unwrap();
    let default = TokenRequest::default();
    let old = client.get_token(&default).await.unwrap();
    rotate(&file, &second.pem);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // Past the refresh point, the still-usable old token is not served:
    // the token request made there follows the new key.
    let new = client.get_token(&default).await.unwrap();
    assert_ne!(new.access_token(), old.access_token());
    assert_eq!(cnf_jkt(new.access_token()), second.jkt);
    assert_eq!(env.requests(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_unusable_file_fails_the_token_request_and_keeps_the_old_key() {
    let env = env().await;
    let dir = temp_dir("broken");
    let file = dir.join("dpop.pem");
    let (first, second) = (ed25519(), p256());
    std::fs::write(&file, &first.pem).unwrap();
    let client = client(&env, &file);
    let default = TokenRequest::default();
    let old = client.get_token(&default).await.unwrap();
    let requests = env.requests();

    let half = &second.pem[..second.pem.len() / 2];
    let oct_jwk = r#"{"kty":"oct","k":"c2VjcmV0c2VjcmV0"}"#;
    for (text, case) in [
        (half, "half-written"),
        ("", "empty"),
        (oct_jwk, "not an asymmetric key"),
    ] {
        // Written in place: a reader can catch it half done.
        std::fs::write(&file, text).unwrap();
        let e = client.fetch_token(&default).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{case}: {e}");
        let message = e.to_string();
        assert!(message.contains("dpop_key_file"), "{case}: {message}");
        assert!(
            message.contains(&*file.display().to_string()),
            "{case}: {message}"
        );
        if !text.is_empty() {
            assert!(
                !message.contains(text.lines().nth(1).unwrap_or(text)),
                "{case}: {message}"
            );
        }
        // The old key stays, and so does its still-usable token.
        assert_eq!(client.dpop_thumbprint(), Some(first.jkt.as_str()));
        let t = client.get_token(&default).await.unwrap();
        assert_eq!(t.access_token(), old.access_token(), "{case}");
        assert_eq!(api_status(&env, &client, &old).await, 200, "{case}");
    }
    std::fs::remove_file(&file).unwrap();
    let e = client.fetch_token(&default).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.to_string().contains("cannot read"), "{e}");
    assert_eq!(env.requests(), requests, "no request without a usable key");

    // A good file again: picked up by the next token request.
    std::fs::write(&file, &second.pem).unwrap();
    let new = client.fetch_token(&default).await.unwrap();
    assert_eq!(cnf_jkt(new.access_token()), second.jkt);
    assert_eq!(client.dpop_thumbprint(), Some(second.jkt.as_str()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_cached_path_never_looks_at_the_file() {
    let env = env().await;
    let dir = temp_dir("cached");
    let file = dir.join("dpop.pem");
    let key = p256();
    std::fs::write(&file, &key.pem).unwrap();
    let client = client(&env, &file);
    let default = TokenRequest::default();
    let first = client.get_token(&default).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    for _ in 0..100 {
        let t = client.get_token(&default).await.unwrap();
        assert_eq!(t.access_token(), first.access_token());
        let t = client.cached_token(&default).unwrap();
        assert_eq!(t.access_token(), first.access_token());
    }
    let r = call_get(&client, &env.server.api_url()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(client.dpop_thumbprint(), Some(key.jkt.as_str()));
    assert_eq!(env.requests(), 1);
}

#[tokio::test]
async fn a_shared_store_follows_the_key_too() {
    let env = env().await;
    let dir = temp_dir("store");
    let file = dir.join("dpop.pem");
    let store = format!("file:{}", dir.join("store").display());
    let (first, second) = (p256(), p256());
    std::fs::write(&file, &first.pem).unwrap();
    let build = |key: Option<&str>| {
        let b = env
            .builder()
            .dpop(true)
            .cache(store.clone())
            .memory_cache(MemoryCache::new(100));
        match key {
            Some(pem) => b.dpop_key(pem.to_owned()),
            None => b.dpop_key_file(file.display().to_string()),
        }
        .build()
        .unwrap()
    };
    let default = TokenRequest::default();
    let rotating = build(None);
    let old = rotating.get_token(&default).await.unwrap();
    rotate(&file, &second.pem);
    let new = rotating.fetch_token(&default).await.unwrap();
    assert_eq!(cnf_jkt(new.access_token()), second.jkt);
    assert_eq!(env.requests(), 2);

    // Another process's view (a memory cache of its own): each key finds
    // the token bound to it in the store, and no other.
    let with_old = build(Some(&first.pem));
    let t = with_old.get_token(&default).await.unwrap();
    assert_eq!(t.access_token(), old.access_token());
    let with_new = build(None);
    let t = with_new.get_token(&default).await.unwrap();
    assert_eq!(t.access_token(), new.access_token());
    assert_eq!(env.requests(), 2, "both from the store");
    std::fs::remove_dir_all(dir).unwrap();
}
