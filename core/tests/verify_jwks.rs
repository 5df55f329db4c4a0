//! The verifier's keys from a JWKS endpoint (docs/design.md §10): tokens of
//! the dev server verified through its JWKS and through discovery, the
//! refetch limit on unknown kids, Cache-Control, stale keys while the
//! endpoint fails, single flight, no redirects, the size cap. A tiny real
//! HTTP server (verify_support) stands in where the dev server cannot fault
//! its JWKS path.

mod common;
mod verify_support;

use std::time::Duration;

use jsonwebtoken::Algorithm;
use m2m_auth::{TokenRequest, Verifier};
use serde_json::json;
use verify_support::*;

const API: &str = "https://api.test";

/// A token from the dev server (RS256, `at+jwt`) for `API`.
async fn dev_token(env: &common::Env, scope: &str) -> String {
    let client = env
        .builder()
        .audience(API)
        .scope(scope.split(' '))
        .build()
        .unwrap();
    let t = client.get_token(&TokenRequest::default()).await.unwrap();
    t.access_token().to_string()
}

#[tokio::test]
async fn dev_server_tokens_verify_through_its_jwks_and_through_discovery() {
    let env = common::env().await;
    let token = dev_token(&env, "read:a write:b").await;
    let by_uri = Verifier::builder()
        .issuer(env.server.issuer())
        .audience(API)
        .jwks_uri(env.server.jwks_uri())
        .build()
        .unwrap();
    let claims = by_uri.verify(&token).await.unwrap();
    assert_eq!(claims.issuer(), env.server.issuer());
    assert_eq!(claims.client_id(), Some(env.client_id.as_str()));
    assert!(claims.has_scope("write:b"));
    let by_issuer = Verifier::builder()
        .issuer(env.server.issuer())
        .audience(API)
        .build()
        .unwrap();
    by_issuer.verify(&token).await.unwrap();
    let stats = env.server.stats();
    assert_eq!(stats.jwks_requests, 2);
    assert!(stats.discovery_requests >= 1);
    // Held keys and the verified-token cache: no further request.
    for _ in 0..10 {
        by_issuer.verify(&token).await.unwrap();
        assert!(by_issuer.verify_now(&token).unwrap().is_ok());
    }
    assert_eq!(env.server.stats().jwks_requests, 2);
    let s = by_issuer.stats();
    assert_eq!((s.jwks_fetches, s.verified, s.cache_hits), (1, 21, 20));
    // Another audience is refused.
    let other = Verifier::builder()
        .issuer(env.server.issuer())
        .audience("https://other.test")
        .jwks_uri(env.server.jwks_uri())
        .build()
        .unwrap();
    assert_eq!(refused(&other, &token).await, "wrong_audience");
}

#[tokio::test]
async fn a_thousand_unknown_kids_cause_at_most_one_fetch_per_interval() {
    let env = common::env().await;
    let v = Verifier::builder()
        .issuer(env.server.issuer())
        .audience(API)
        .jwks_uri(env.server.jwks_uri())
        .build()
        .unwrap();
    let mut c = claims();
    c["iss"] = env.server.issuer().into();
    c["aud"] = API.into();
    let tokens: Vec<String> = (0..1000)
        .map(|_| {
            let kid = format!("{:016x}", fastrand::u64(..));
            token(Algorithm::RS256, "rsa2048", &kid, &c)
        })
        .collect();
    let results = futures_util::future::join_all(tokens.iter().map(|t| v.verify(t))).await;
    for r in results {
        assert_eq!(reason(&r.unwrap_err()), "unknown_key");
    }
    // The first verification loaded the keys; the refetch interval (60 s)
    // forbids another.
    assert_eq!(env.server.stats().jwks_requests, 1);
    assert_eq!(v.stats().jwks_fetches, 1);

    // With a short interval: at most one refetch per interval.
    let short = Verifier::builder()
        .issuer(env.server.issuer())
        .audience(API)
        .jwks_uri(env.server.jwks_uri())
        .jwks_refetch_interval(Duration::from_millis(200))
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_millis(1000) {
        let _ = short.verify(&tokens[n % tokens.len()]).await;
        n += 1;
    }
    let fetches = short.stats().jwks_fetches;
    let bound = 1 + start.elapsed().as_millis() as u64 / 200 + 1;
    assert!(
        fetches >= 2 && fetches <= bound,
        "{fetches} fetches for {n} tokens"
    );
}

fn tiny_issuer_token(kid: &str) -> String {
    token(Algorithm::ES256, "p256", kid, &claims())
}

fn tiny_verifier(server: &TinyServer) -> m2m_auth::VerifierBuilder {
    Verifier::builder()
        .issuer(ISS)
        .audience(AUD)
        .jwks_uri(format!("{}/jwks", server.url))
        .cache_size(0)
}

#[tokio::test]
async fn stale_keys_are_served_while_the_endpoint_fails() {
    let set = jwks(&[jwk("p256", "ec", json!({}))]);
    let server = TinyServer::start(Answer::json(set)).await;
    let v = tiny_verifier(&server)
        .jwks_cache_ttl(Duration::from_secs(1))
        .build()
        .unwrap();
    v.verify(&tiny_issuer_token("ec")).await.unwrap();
    assert_eq!(server.requests(), 1);
    server.set(Answer {
        status: 500,
        headers: vec![],
        body: b"down".to_vec(),
    });
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The keys are due: a fetch is tried, fails, and the held keys are used.
    v.verify(&tiny_issuer_token("ec")).await.unwrap();
    assert_eq!(server.requests(), 2);
    // Failing, the endpoint is not asked again at once.
    for _ in 0..20 {
        v.verify(&tiny_issuer_token("ec")).await.unwrap();
    }
    assert_eq!(server.requests(), 2);
    // Without keys ever fetched, the failure is not invalid_token (a 503).
    let fresh = tiny_verifier(&server).build().unwrap();
    let e = fresh.verify(&tiny_issuer_token("ec")).await.unwrap_err();
    assert_eq!(e.code(), "http");
    assert_eq!(m2m_auth::challenge(&e, None).status, 503);
}

#[tokio::test]
async fn cache_control_max_age_shortens_the_cache() {
    let set = jwks(&[jwk("p256", "ec", json!({}))]);
    let server =
        TinyServer::start(Answer::json(set.clone()).header("Cache-Control", "public, max-age=1"))
            .await;
    let v = tiny_verifier(&server).build().unwrap(); // jwks_cache_ttl 300 s
    v.verify(&tiny_issuer_token("ec")).await.unwrap();
    v.verify(&tiny_issuer_token("ec")).await.unwrap();
    assert_eq!(server.requests(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    v.verify(&tiny_issuer_token("ec")).await.unwrap();
    assert_eq!(server.requests(), 2);
    // A longer max-age does not lengthen jwks_cache_ttl.
    server.set(Answer::json(set).header("Cache-Control", "max-age=600"));
    let v = tiny_verifier(&server)
        .jwks_cache_ttl(Duration::from_secs(1))
        .build()
        .unwrap();
    v.verify(&tiny_issuer_token("ec")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    v.verify(&tiny_issuer_token("ec")).await.unwrap();
    assert_eq!(server.requests(), 4);
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_after_one_refetch() {
    let server = TinyServer::start(Answer::json(jwks(&[jwk("p256", "old", json!({}))]))).await;
    let v = tiny_verifier(&server)
        .jwks_refetch_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    v.verify(&tiny_issuer_token("old")).await.unwrap();
    server.set(Answer::json(jwks(&[jwk("p256", "new", json!({}))])));
    // Within the interval, the new kid is unknown without a fetch.
    assert_eq!(refused(&v, &tiny_issuer_token("new")).await, "unknown_key");
    assert_eq!(server.requests(), 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    v.verify(&tiny_issuer_token("new")).await.unwrap();
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn concurrent_first_verifications_share_one_fetch() {
    let server = TinyServer::start(Answer::json(jwks(&[jwk("p256", "ec", json!({}))]))).await;
    let v = tiny_verifier(&server).build().unwrap();
    let t = tiny_issuer_token("ec");
    assert!(v.verify_now(&t).is_none(), "no keys yet: a fetch is due");
    let all = futures_util::future::join_all((0..50).map(|_| v.verify(&t))).await;
    assert!(all.iter().all(Result::is_ok));
    assert_eq!(server.requests(), 1);
    assert!(v.verify_now(&t).unwrap().is_ok());
}

#[tokio::test]
async fn redirects_are_not_followed_and_the_size_is_capped() {
    let server = TinyServer::start(Answer {
        status: 302,
        headers: vec![("Location".into(), "http://127.0.0.1:1/jwks".into())],
        body: vec![],
    })
    .await;
    let v = tiny_verifier(&server).build().unwrap();
    let e = v.verify(&tiny_issuer_token("ec")).await.unwrap_err();
    assert_eq!((e.code(), e.status()), ("http", Some(302)));
    let mut keys = vec![jwk("p256", "ec", json!({}))];
    keys.extend((0..3000).map(|i| jwk("rsa2048", &format!("pad{i}"), json!({}))));
    server.set(Answer::json(jwks(&keys)));
    let v = tiny_verifier(&server).build().unwrap();
    let e = v.verify(&tiny_issuer_token("ec")).await.unwrap_err();
    assert_eq!(e.code(), "invalid_response", "{e}");
}

#[tokio::test]
async fn a_slow_endpoint_is_cut_at_the_timeout() {
    // A listener that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let v = Verifier::builder()
        .issuer(ISS)
        .audience(AUD)
        .jwks_uri(url)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let e = v.verify(&tiny_issuer_token("ec")).await.unwrap_err();
    assert_eq!(e.code(), "transport", "{e}");
    assert!(start.elapsed() < Duration::from_secs(3));
    hold.abort();
}

#[tokio::test]
async fn a_slow_refresh_delays_one_caller_only() {
    let server = TinyServer::start(Answer::json(jwks(&[jwk("p256", "ec", json!({}))]))).await;
    let v = tiny_verifier(&server)
        .jwks_cache_ttl(Duration::from_secs(1))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    v.verify(&tiny_issuer_token("ec")).await.unwrap();
    *server.delay.lock() = Duration::from_millis(1500);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The keys are due: one caller fetches (slowly)...
    let first = tokio::spawn({
        let v = v.clone();
        async move { v.verify(&tiny_issuer_token("ec")).await.map(|_| ()) }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    // ...while the others are served the held keys at once.
    let start = std::time::Instant::now();
    v.verify(&tiny_issuer_token("ec")).await.unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    first.await.unwrap().unwrap();
    assert_eq!(server.requests(), 2);
}
