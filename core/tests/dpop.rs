//! DPoP (RFC 9449), the client side, against the dev server (which checks
//! proofs as devserver/PROTOCOL.md says): proof contents checked with
//! `jsonwebtoken` and the proof's own `jwk`, the thumbprint recomputed here,
//! bound tokens, nonces at the token endpoint and at `/api` (through
//! `call_api`), a `Bearer` downgrade, the key in the cache key, a replayed
//! proof, every key form, configuration errors. dpop_canary.rs: no key in
//! any output. dpop_headers.rs: `request_headers` and `dpop_response`.

mod common;
#[path = "support/thumbprint.rs"]
mod thumbprint;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use common::*;
use jsonwebtoken::{DecodingKey, Validation};
use m2m_auth::{ErrorKind, MemoryCache, TokenClientBuilder, TokenRequest};
use serde_json::{json, Value};
use thumbprint::thumbprint;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const P256_PEM: &str = include_str!("verify_keys/p256.pem");
const ED25519_PEM: &str = include_str!("verify_keys/ed25519.pem");
const RSA_PEM: &str = include_str!("verify_keys/rsa2048.pem");
const P256_JWK: &str = include_str!("assertion_keys/p256.jwk.json");
const ED25519_JWK: &str = include_str!("assertion_keys/ed25519.jwk.json");
const PUBLIC_JWKS: &str = include_str!("verify_keys/public_jwks.json");

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn b64_json(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn public_jwk(name: &str) -> Value {
    serde_json::from_str::<Value>(PUBLIC_JWKS).unwrap()[name].clone()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn dpop_builder(env: &Env) -> TokenClientBuilder {
    env.builder().dpop(true).memory_cache(MemoryCache::new(100))
}

/// Checks a proof with jsonwebtoken and the proof's own jwk; returns its
/// header and claims.
fn check_proof(proof: &str, htm: &str, htu: &str) -> (Value, Value) {
    let header = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
    let jwk = header.jwk.clone().expect("a jwk header");
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    let mut v = Validation::new(header.alg);
    v.validate_exp = false;
    v.required_spec_claims.clear();
    v.validate_aud = false;
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &v)
        .expect("the proof verifies with its own jwk")
        .claims;
    let raw_header = b64_json(proof.split('.').next().unwrap());
    for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
        assert!(
            raw_header["jwk"].get(private).is_none(),
            "jwk has {private}"
        );
    }
    assert_eq!(claims["htm"], htm);
    assert_eq!(claims["htu"], htu);
    assert!(claims["iat"].as_u64().unwrap().abs_diff(now()) <= 5);
    assert!(claims["jti"].as_str().unwrap().len() >= 16);
    (raw_header, claims)
}

fn access_claims(token: &m2m_auth::Token) -> Value {
    b64_json(token.access_token().split('.').nth(1).unwrap())
}

#[tokio::test]
async fn token_requests_carry_a_proof_and_get_a_bound_token() {
    let env = env().await;
    let client = dpop_builder(&env).build().unwrap();
    let token = client.get_token(&TokenRequest::new()).await.unwrap();
    assert_eq!(token.token_type(), "DPoP");
    assert!(token.authorization_header().starts_with("DPoP "));

    let recorded = env.server.requests();
    let proof = recorded[0].headers.get("dpop").expect("a DPoP header");
    let (header, claims) = check_proof(proof, "POST", &env.server.token_url());
    assert_eq!(header["alg"], "ES256");
    assert!(claims.get("ath").is_none() && claims.get("nonce").is_none());
    let jkt = thumbprint(&header["jwk"]);
    assert_eq!(client.dpop_thumbprint(), Some(jkt.as_str()));
    assert_eq!(access_claims(&token)["cnf"]["jkt"], jkt);

    // A second request: a fresh jti, the same key.
    client.fetch_token(&TokenRequest::new()).await.unwrap();
    let second = &env.server.requests()[1].headers["dpop"];
    let (h2, c2) = check_proof(second, "POST", &env.server.token_url());
    assert_eq!(h2["jwk"], header["jwk"]);
    assert_ne!(c2["jti"], claims["jti"]);

    // dpop_proof for any request: ath of the token, htu without query.
    let p = client
        .dpop_proof(
            "PUT",
            "http://127.0.0.1:9/x?y=1#z",
            Some(token.access_token()),
        )
        .unwrap();
    let (_, c) = check_proof(&p, "PUT", "http://127.0.0.1:9/x");
    let ath =
        b64(ring::digest::digest(&ring::digest::SHA256, token.access_token().as_bytes()).as_ref());
    assert_eq!(c["ath"], ath);
}

#[tokio::test]
async fn every_key_form_binds_the_token_to_that_key() {
    let env = env().await;
    let cases = [
        ("p256 PEM", P256_PEM, "p256", "ES256"),
        ("p256 JWK", P256_JWK, "p256", "ES256"),
        ("ed25519 PEM", ED25519_PEM, "ed25519", "EdDSA"),
        ("ed25519 JWK", ED25519_JWK, "ed25519", "EdDSA"),
        ("rsa PEM", RSA_PEM, "rsa2048", "RS256"),
    ];
    for (what, key, public, alg) in cases {
        let client = dpop_builder(&env).dpop_key(key).build().unwrap();
        let token = client.get_token(&TokenRequest::new()).await.unwrap();
        let want = thumbprint(&public_jwk(public));
        assert_eq!(token.token_type(), "DPoP", "{what}");
        assert_eq!(access_claims(&token)["cnf"]["jkt"], want, "{what}");
        let proof = client
            .dpop_proof("GET", &env.server.api_url(), None)
            .unwrap();
        assert_eq!(
            b64_json(proof.split('.').next().unwrap())["alg"],
            alg,
            "{what}"
        );
    }
    // From a file too.
    let dir = std::env::temp_dir().join(format!("m2m-dpop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("key.pem");
    std::fs::write(&file, ED25519_PEM).unwrap();
    let client = dpop_builder(&env)
        .dpop_key_file(file.to_string_lossy())
        .build()
        .unwrap();
    let token = client.get_token(&TokenRequest::new()).await.unwrap();
    assert_eq!(
        access_claims(&token)["cnf"]["jkt"],
        thumbprint(&public_jwk("ed25519"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_nonce_demand_at_the_token_endpoint_costs_one_request_not_a_retry() {
    let env = env().await;
    env.server.set_dpop_nonce(true, false);
    let client = dpop_builder(&env).build().unwrap();
    let token = client.get_token(&TokenRequest::new()).await.unwrap();
    assert_eq!(token.token_type(), "DPoP");
    let s = env.server.stats();
    assert_eq!((s.token_requests, s.dpop_nonce_token_requests), (2, 1));
    let stats = client.stats();
    assert_eq!((stats.fetches, stats.failures), (1, 0));
    let reqs = env.server.requests();
    let (_, second) = check_proof(&reqs[1].headers["dpop"], "POST", &env.server.token_url());
    assert_eq!(second["nonce"], env.server.dpop_nonce());

    // The nonce is remembered: the next request needs no second try.
    client.fetch_token(&TokenRequest::new()).await.unwrap();
    assert_eq!(env.server.stats().token_requests, 3);

    // Rotated: one more round trip, again not a retry.
    env.server.rotate_dpop_nonce();
    client.fetch_token(&TokenRequest::new()).await.unwrap();
    assert_eq!(env.server.stats().token_requests, 5);
    assert_eq!(client.stats().failures, 0);

    // A server that keeps refusing gets exactly one nonce retry.
    env.faults(
        json!([{"status": 400, "json": {"error": "use_dpop_nonce"}, "headers": {"DPoP-Nonce": "n-x"}}]),
        true,
    );
    let e = client.fetch_token(&TokenRequest::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert_eq!(env.server.stats().token_requests, 7);
}

#[tokio::test]
async fn call_api_sends_the_token_with_a_proof_and_answers_a_nonce_demand() {
    let env = env().await;
    let client = dpop_builder(&env).build().unwrap();
    let r = call_get(&client, &env.server.api_url()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["cnf"]["jkt"], client.dpop_thumbprint().unwrap());
    assert_eq!(env.server.stats().api_requests, 1);

    env.server.set_dpop_nonce(false, true);
    let r = client
        .call_api(
            &TokenRequest::new(),
            "POST",
            &env.server.api_url(),
            &[],
            Some(b"x".to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let s = env.server.stats();
    assert_eq!(
        (s.api_requests, s.token_requests),
        (3, 1),
        "one nonce retry, same token"
    );
    // Remembered for that origin.
    let r = call_get(&client, &env.server.api_url()).await;
    assert_eq!(r.status, 200);
    assert_eq!(env.server.stats().api_requests, 4);
}

#[tokio::test]
async fn a_bearer_answer_is_refused_unless_accepted() {
    let env = env().await;
    env.faults(json!([{"token": {"token_type": "Bearer"}}]), true);
    let e = dpop_builder(&env)
        .build()
        .unwrap()
        .get_token(&TokenRequest::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.to_string().contains("dpop_accept_bearer"), "{e}");
    assert_eq!(env.requests(), 1, "not retried");

    let client = dpop_builder(&env).dpop_accept_bearer(true).build().unwrap();
    let token = client.get_token(&TokenRequest::new()).await.unwrap();
    assert_eq!(token.token_type(), "Bearer");

    // DPoP off: a DPoP answer stays an invalid_response.
    env.faults(json!([{"token": {"token_type": "DPoP"}}]), true);
    let e = env
        .builder()
        .memory_cache(MemoryCache::new(10))
        .build()
        .unwrap();
    let e = e.get_token(&TokenRequest::new()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
}

#[tokio::test]
async fn the_key_is_part_of_the_cache_key() {
    let env = env().await;
    let cache = MemoryCache::new(100);
    let with = |b: TokenClientBuilder| b.memory_cache(cache.clone()).build().unwrap();
    let a = with(env.builder().dpop(true));
    let b = with(env.builder().dpop(true));
    let c = with(env.builder().dpop(true).dpop_key(P256_PEM));
    let d = with(env.builder().dpop(true).dpop_key(P256_JWK));
    let plain = with(env.builder());
    for client in [&a, &b, &c, &d, &plain] {
        client.get_token(&TokenRequest::new()).await.unwrap();
    }
    // Two generated keys, one P-256 key (PEM and JWK alike), no DPoP.
    assert_eq!(env.requests(), 4);
}

/// POSTs the demo form with `proof` over a raw connection.
async fn post_with_proof(env: &Env, proof: &str) -> (u16, String) {
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        env.client_id, env.secret
    );
    let addr = env.server.local_addr();
    let req = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nDPoP: {proof}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        addr.port(),
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let status = out[9..12].parse().unwrap();
    (status, out)
}

#[tokio::test]
async fn a_replayed_proof_is_refused_by_the_server() {
    let env = env().await;
    let client = dpop_builder(&env).build().unwrap();
    let proof = client
        .dpop_proof("POST", &env.server.token_url(), None)
        .unwrap();
    let (first, _) = post_with_proof(&env, &proof).await;
    assert_eq!(first, 200);
    let (again, text) = post_with_proof(&env, &proof).await;
    assert_eq!(again, 400);
    assert!(
        text.contains("invalid_dpop_proof") && text.contains("seen before"),
        "{text}"
    );
}

#[tokio::test]
async fn configuration_errors() {
    let env = env().await;
    let oct_jwk = r#"{"kty":"oct","k":"c2VjcmV0"}"#;
    let cases: Vec<(TokenClientBuilder, &str)> = vec![
        (env.builder().dpop_key(P256_PEM), "need dpop on"),
        (env.builder().dpop_accept_bearer(true), "need dpop on"),
        (
            env.builder()
                .dpop(true)
                .dpop_key(P256_PEM)
                .dpop_key_file("/x"),
            "at most one",
        ),
        (env.builder().dpop(true).dpop_key("not a key"), "dpop_key"),
        (env.builder().dpop(true).dpop_key(oct_jwk), "unsupported"),
        (
            env.builder().dpop(true).dpop_key_file("/nonexistent/k.pem"),
            "cannot read",
        ),
        (
            env.builder()
                .dpop(true)
                .dpop_key(P256_JWK.replace("\"kty\"", "\"alg\": \"HS256\", \"kty\"")),
            "not a DPoP algorithm",
        ),
    ];
    for (b, want) in cases {
        let e = b.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{want}");
        assert!(e.to_string().contains(want), "{e} should say {want:?}");
        assert!(!e.to_string().contains("N2TBkJn_"), "the key leaks: {e}");
    }
    // By name, as every binding sets them.
    let mut b = env.builder();
    b.set_text("dpop", "true").unwrap();
    b.set_text("dpop_key", ED25519_PEM).unwrap();
    b.set_text("dpop_accept_bearer", "false").unwrap();
    let client = b.build().unwrap();
    assert!(client.dpop_thumbprint().is_some());
    let e = env
        .client()
        .dpop_proof("GET", "http://x/", None)
        .unwrap_err();
    assert!(e.to_string().contains("dpop on"), "{e}");
}
