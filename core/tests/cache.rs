//! docs/design.md §4: caching, key separation, single flight, refresh, sharing.

mod common;

use std::time::{Duration, Instant};

use common::*;
use m2m_auth::{ErrorKind, MemoryCache, RetryPolicy, TokenClient, TokenRequest};
use serde_json::json;

#[tokio::test]
async fn fresh_token_is_requested_once_for_two_calls() {
    let env = env().await;
    let client = env.client();
    let a = client.get_token(&TokenRequest::default()).await.unwrap();
    let b = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(a.access_token(), b.access_token());
    assert_eq!(env.requests(), 1);
    let s = client.stats();
    assert_eq!((s.fetches, s.misses, s.hits), (1, 1, 1));
    assert!(a.authorization_header().starts_with("Bearer "));
    assert_eq!(a.token_type(), "Bearer");
    let left = a.expires_in().as_secs();
    assert!((3590..=3600).contains(&left), "expires_in {left}");
}

#[tokio::test]
async fn cache_key_separates_audience_scope_organization_resource_extra() {
    let env = env().await;
    let client = env.builder().audience("https://a.example").build().unwrap();
    let reqs = [
        TokenRequest::default(),
        TokenRequest::new().audience("https://b.example"),
        TokenRequest::new().scope(["read"]),
        TokenRequest::new().scope(["read write"]),
        TokenRequest::new().organization("org_1"),
        TokenRequest::new().resource(["https://r.example/x"]),
        TokenRequest::new().extra("tenant", "t1"),
    ];
    let mut tokens = Vec::new();
    for r in &reqs {
        tokens.push(
            client
                .get_token(r)
                .await
                .unwrap()
                .access_token()
                .to_string(),
        );
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), reqs.len(), "each request gets its own token");
    assert_eq!(env.requests(), reqs.len() as u64);
    // Same scopes in another order and with duplicates: the same key.
    client
        .get_token(&TokenRequest::new().scope(["write", "read read"]))
        .await
        .unwrap();
    // Overriding with the default's own value: the default key.
    client
        .get_token(&TokenRequest::new().audience("https://a.example"))
        .await
        .unwrap();
    assert_eq!(env.requests(), reqs.len() as u64);
    let recorded = env.server.requests();
    assert_eq!(
        field(&recorded[3].body, "scope").as_deref(),
        Some("read write")
    );
    assert_eq!(
        field(&recorded[4].body, "organization").as_deref(),
        Some("org_1")
    );
    assert_eq!(
        field(&recorded[5].body, "resource").as_deref(),
        Some("https://r.example/x")
    );
    assert_eq!(field(&recorded[6].body, "tenant").as_deref(), Some("t1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_callers_make_one_request() {
    let env = env().await;
    env.faults(json!([{"delay_ms": 200}]), false);
    let client = env.client();
    let mut tasks = Vec::new();
    for _ in 0..2000 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.get_token(&TokenRequest::default()).await
        }));
    }
    let mut tokens = std::collections::HashSet::new();
    for t in tasks {
        tokens.insert(t.await.unwrap().unwrap().access_token().to_string());
    }
    assert_eq!(tokens.len(), 1);
    assert_eq!(env.requests(), 1);
    assert_eq!(client.stats().fetches, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_share_one_failure_too() {
    let env = env().await;
    env.faults(
        json!([{"delay_ms": 100, "status": 400, "json": {"error": "invalid_scope"}}]),
        false,
    );
    let client = env.client();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get_token(&TokenRequest::default()).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap_err().kind(), ErrorKind::OAuth);
    }
    assert_eq!(env.requests(), 1);
    // Failures are never cached: the next call asks again and succeeds.
    client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(env.requests(), 2);
}

#[tokio::test]
async fn clients_built_separately_share_the_process_cache() {
    let env = env().await;
    let t1 = env
        .client()
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    let t2 = env
        .client()
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    assert_eq!(t1.access_token(), t2.access_token());
    assert_eq!(env.requests(), 1);
    // A different secret is a different key: never another's token.
    let other = env.builder().client_secret("wrong").build().unwrap();
    let err = other.get_token(&TokenRequest::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OAuth);
    assert_eq!(env.requests(), 2);
}

#[tokio::test]
async fn background_refresh_returns_at_once_and_refreshes_once() {
    // Lifetime 4 s, leeway 1 s, refresh at 50 %: fresh until 2 s, usable until 3 s.
    let env = env_with(4, None, None).await;
    let client = env
        .builder()
        .leeway(Duration::from_secs(1))
        .refresh_ratio(0.5)
        .build()
        .unwrap();
    let first = client.get_token(&TokenRequest::default()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    env.faults(json!([{"delay_ms": 400}]), false);
    let started = Instant::now();
    for _ in 0..100 {
        let t = client.get_token(&TokenRequest::default()).await.unwrap();
        assert_eq!(
            t.access_token(),
            first.access_token(),
            "the usable token is served while refreshing"
        );
    }
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "callers never wait: {:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let renewed = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_ne!(renewed.access_token(), first.access_token());
    assert_eq!(env.requests(), 2);
    let s = client.stats();
    assert_eq!((s.fetches, s.refreshes), (2, 1));
}

#[tokio::test]
async fn old_token_is_served_while_the_server_fails() {
    let env = env_with(4, None, None).await;
    let client = env
        .builder()
        .leeway(Duration::from_secs(1))
        .refresh_ratio(0.25)
        .build()
        .unwrap();
    let first = client.get_token(&TokenRequest::default()).await.unwrap();
    env.faults(json!([{"status": 503}]), true);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let until = Instant::now() + Duration::from_millis(1500);
    let mut calls = 0;
    while Instant::now() < until {
        let t = client
            .get_token(&TokenRequest::default())
            .await
            .expect("served while failing");
        assert_eq!(t.access_token(), first.access_token());
        calls += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let s = client.stats();
    assert!(s.failures >= 1, "the refresh failed: {s:?}");
    assert!(
        env.requests() > 1 && env.requests() < calls,
        "{} requests for {calls} calls",
        env.requests()
    );
}

#[tokio::test]
async fn expired_token_and_server_down_is_a_typed_error() {
    let env = env_with(2, None, None).await;
    let client = env
        .builder()
        .leeway(Duration::from_millis(500))
        .build()
        .unwrap();
    client.get_token(&TokenRequest::default()).await.unwrap();
    env.server.shutdown();
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
}

#[tokio::test]
async fn invalidate_and_fetch_token_renew() {
    let env = env().await;
    let client = env.client();
    let t1 = client.get_token(&TokenRequest::default()).await.unwrap();
    client.invalidate(&TokenRequest::default()).unwrap();
    let t2 = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_ne!(t1.access_token(), t2.access_token());
    let t3 = client.fetch_token(&TokenRequest::default()).await.unwrap();
    assert_ne!(t2.access_token(), t3.access_token());
    let t4 = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(
        t3.access_token(),
        t4.access_token(),
        "fetch_token stores its result"
    );
    assert_eq!(env.requests(), 3);
}

#[tokio::test]
async fn least_recently_used_keys_are_evicted() {
    let env = env().await;
    let cache = MemoryCache::new(2);
    let client = env.builder().memory_cache(cache.clone()).build().unwrap();
    for aud in ["https://1", "https://2", "https://3"] {
        client
            .get_token(&TokenRequest::new().audience(aud))
            .await
            .unwrap();
    }
    assert!(cache.len() <= 2);
    client
        .get_token(&TokenRequest::new().audience("https://3"))
        .await
        .unwrap();
    assert_eq!(env.requests(), 3, "the most recent key is kept");
    client
        .get_token(&TokenRequest::new().audience("https://1"))
        .await
        .unwrap();
    assert_eq!(env.requests(), 4, "the least recent key was evicted");
}

#[tokio::test]
async fn a_token_unusable_on_arrival_is_never_handed_out() {
    let env = env().await;
    env.faults(json!([{"token": {"expires_in": 0}}]), true);
    let client = env.client();
    for _ in 0..2 {
        let err = client
            .get_token(&TokenRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    }
    assert_eq!(env.requests(), 2, "never cached, never throttled");
}

#[tokio::test]
async fn discovery_from_the_issuer_finds_the_token_endpoint_once() {
    let env = env().await;
    let client = TokenClient::builder()
        .issuer(env.server.issuer())
        .client_id(env.client_id.clone())
        .client_secret(env.secret.clone())
        .no_proxy()
        .build()
        .unwrap();
    client.get_token(&TokenRequest::default()).await.unwrap();
    client
        .get_token(&TokenRequest::new().audience("https://other"))
        .await
        .unwrap();
    let s = env.server.stats();
    assert_eq!((s.discovery_requests, s.token_requests), (1, 2));
}

#[test]
fn outside_a_runtime_is_a_config_error_not_a_panic() {
    use futures_util::FutureExt;
    let client = TokenClient::builder()
        .token_url("http://127.0.0.1:9/oauth/token")
        .client_id("x")
        .client_secret("y")
        .build()
        .unwrap();
    let err = client
        .get_token(&TokenRequest::default())
        .now_or_never()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn a_caller_that_gives_up_still_leaves_the_token_cached() {
    let env = env().await;
    env.faults(json!([{"delay_ms": 300}]), false);
    let client = env.client();
    let gave_up = tokio::time::timeout(
        Duration::from_millis(50),
        client.get_token(&TokenRequest::default()),
    )
    .await;
    assert!(gave_up.is_err(), "the caller timed out first");
    // The fetch goes on without its caller and lands in the cache (the
    // server answers after 300 ms; allow a loaded machine much longer).
    let until = Instant::now() + Duration::from_secs(5);
    while client.cached_token(&TokenRequest::default()).is_none() {
        assert!(
            Instant::now() < until,
            "the abandoned fetch never completed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(env.requests(), 1, "served from the cache");
}

#[test]
fn a_refresh_cut_off_by_its_runtime_shutting_down_does_not_poison_the_key() {
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let env = server_rt.block_on(env_with(4, None, None));
    let client = env
        .builder()
        .leeway(Duration::from_secs(1))
        .refresh_ratio(0.25)
        .build()
        .unwrap();
    let first = tokio::runtime::Runtime::new().unwrap();
    first
        .block_on(client.get_token(&TokenRequest::default()))
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    env.faults(json!([{"delay_ms": 2000}]), false);
    // Stale: this starts a background refresh on `first`...
    first
        .block_on(client.get_token(&TokenRequest::default()))
        .unwrap();
    // ...which dies with it.
    drop(first);
    env.server.clear_faults(Target::Token);
    let second = tokio::runtime::Runtime::new().unwrap();
    let renewed = second.block_on(client.fetch_token(&TokenRequest::default()));
    assert!(
        renewed.is_ok(),
        "the key is not stuck in flight: {renewed:?}"
    );
}

/// A request in flight when its runtime shut down (its waiter gave up, the
/// runtime went away) is not joined by a caller on another runtime: that
/// would poll timers of a dead runtime (a panic). The caller makes its own.
#[test]
fn a_request_orphaned_by_its_runtime_is_not_joined_from_another() {
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let env = server_rt.block_on(env());
    // The first attempt fails at once: the request then sleeps (its backoff,
    // on the first runtime's timer) when its waiter gives up.
    env.faults(json!([{"status": 503}]), false);
    let client = env
        .builder()
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    first.block_on(async {
        let call = client.get_token(&TokenRequest::default());
        let gave_up = tokio::time::timeout(Duration::from_millis(50), call).await;
        assert!(gave_up.is_err(), "still in its backoff");
    });
    drop(first);
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = second.block_on(client.get_token(&TokenRequest::default()));
    assert!(token.is_ok(), "{token:?}");
    drop(second);
    drop(server_rt);
}

/// Issue #11 item 8: with a small bound, a key in flight is not evicted by
/// other keys, so its later callers join its request instead of sending a
/// second one.
#[tokio::test]
async fn a_key_in_flight_is_never_evicted() {
    let env = env().await;
    env.faults(json!([{"delay_ms": 300}]), true);
    let client = env.builder().max_cache_keys(1).build().unwrap();
    let a = TokenRequest::new().audience("https://a.example");
    let b = TokenRequest::new().audience("https://b.example");
    let first_a = tokio::spawn({
        let (c, r) = (client.clone(), a.clone());
        async move { c.get_token(&r).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let other = tokio::spawn({
        let (c, r) = (client.clone(), b.clone());
        async move { c.get_token(&r).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let again_a = client.get_token(&a).await.unwrap();
    let first_a = first_a.await.unwrap().unwrap();
    other.await.unwrap().unwrap();
    assert_eq!(first_a.access_token(), again_a.access_token());
    assert_eq!(env.requests(), 2, "one request per key");
}
