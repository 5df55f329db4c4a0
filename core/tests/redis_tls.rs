//! docs/design.md §4 "Shared cache" over TLS (issue #16): real TLS-only
//! `redis-server` processes started for this binary, each with a CA of its
//! own made for the run, reached through `rediss://`, `rediss+cluster://`
//! (3 masters, 3 replicas, TLS cluster bus) and `rediss+sentinel://` (TLS
//! sentinels and replication), trusting that CA through `ca_certs`: two
//! clients with memory caches of their own make one token request. Without
//! `ca_certs` the server's certificate is not trusted: the store fails with
//! a clear `cache` error (no password in it or in any log line) and callers
//! still get tokens from the token endpoint.

mod common;
mod redis_topology;

use std::time::Duration;

use common::*;
use m2m_auth::{MemoryCache, TokenClient, TokenRequest};
use redis_topology::tls::TlsRedis;
use redis_topology::{RedisCluster, SentinelSet};

/// A client that behaves like another process (its own memory cache),
/// trusting `ca_pem` if given. The store's deadline is generous: this is
/// about TLS, and a cluster's first connect makes six handshakes.
fn client(env: &Env, cache: &str, ca_pem: Option<&str>) -> TokenClient {
    let mut b = env
        .builder()
        .cache(cache)
        .memory_cache(MemoryCache::new(16))
        .store_timeout(Duration::from_secs(5));
    if let Some(pem) = ca_pem {
        b = b.ca_certs(pem);
    }
    b.build().unwrap()
}

/// Two clients, one after the other, on a cold key: the second takes the
/// first one's token from the store. Returns the token requests made.
async fn two_clients_share_one_token(name: &str, cache: &str, ca_pem: &str) -> u64 {
    let env = env().await;
    let (a, b) = (
        client(&env, cache, Some(ca_pem)),
        client(&env, cache, Some(ca_pem)),
    );
    let first = a.get_token(&TokenRequest::default()).await.unwrap();
    let second = b.get_token(&TokenRequest::default()).await.unwrap();
    let requests = env.requests();
    println!(
        "{name}: 2 clients with their own memory caches -> {requests} token request(s), \
         shared hits {}, store errors {}",
        b.stats().shared_hits,
        a.stats().store_errors + b.stats().store_errors
    );
    assert_eq!(a.stats().store_errors + b.stats().store_errors, 0);
    assert_eq!(b.stats().shared_hits, 1);
    assert_eq!(requests, 1);
    assert_eq!(first.access_token(), second.access_token());
    requests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_one_server_shares_one_token() {
    let redis = tokio::task::spawn_blocking(|| TlsRedis::start(&[]))
        .await
        .unwrap();
    two_clients_share_one_token("rediss://", &redis.url(), &redis.tls.ca_pem).await;
    // The token went to this server, over TLS (its only port).
    let keys = redis.node.cli(&["--raw", "KEYS", "m2m-auth:*"]);
    assert!(!keys.is_empty(), "no key stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_cluster_shares_one_token() {
    let cluster = tokio::task::spawn_blocking(RedisCluster::start_tls)
        .await
        .unwrap();
    let url = cluster.url();
    assert!(url.starts_with("rediss+cluster://"), "{url}");
    let ca = cluster.tls.as_ref().unwrap().ca_pem.clone();
    two_clients_share_one_token("rediss+cluster://", &url, &ca).await;
    assert!(cluster.master_with("m2m-auth:*").is_some(), "no key stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_sentinel_shares_one_token() {
    let set = tokio::task::spawn_blocking(SentinelSet::start_tls)
        .await
        .unwrap();
    let url = set.url();
    assert!(url.starts_with("rediss+sentinel://"), "{url}");
    let ca = set.tls.as_ref().unwrap().ca_pem.clone();
    two_clients_share_one_token("rediss+sentinel://", &url, &ca).await;
    let keys = set.master.cli(&["--raw", "KEYS", "m2m-auth:*"]);
    assert!(!keys.is_empty(), "no key on the master");
}

/// No `ca_certs`: the OS store does not know the run's CA. A strict client
/// fails with a `cache` error naming the certificate problem; a default
/// one degrades to its memory cache and gets tokens; no message or log line
/// shows the password of the URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_server_certificate_is_a_store_error_and_callers_still_get_tokens() {
    let logs = TraceCapture::install();
    let redis = tokio::task::spawn_blocking(|| TlsRedis::start(&["--requirepass", "hunter2"]))
        .await
        .unwrap();
    let cache = format!("rediss://:hunter2@127.0.0.1:{}/0", redis.node.port);
    let env = env().await;

    let strict = env
        .builder()
        .cache(&cache)
        .cache_strict(true)
        .memory_cache(MemoryCache::new(16))
        // Room for a loaded machine: the error must be the certificate's,
        // not a timeout's.
        .store_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let e = strict
        .get_token(&TokenRequest::default())
        .await
        .expect_err("a strict client fails");
    let message = e.to_string();
    println!("untrusted certificate, strict: {message}");
    assert_eq!(e.code(), "cache", "{message}");
    assert!(message.contains("certificate"), "{message}");
    assert!(message.contains("ca_certs"), "{message}");
    assert!(message.contains(&format!("127.0.0.1:{}", redis.node.port)));
    assert!(!message.contains("hunter2") && !format!("{e:?}").contains("hunter2"));

    let (a, b) = (client(&env, &cache, None), client(&env, &cache, None));
    let t1 = a.get_token(&TokenRequest::default()).await.unwrap();
    let t2 = b.get_token(&TokenRequest::default()).await.unwrap();
    assert!(!t1.access_token().is_empty() && !t2.access_token().is_empty());
    let errors = a.stats().store_errors + b.stats().store_errors;
    println!(
        "untrusted certificate, default: 2 callers got tokens, {} token request(s), \
         {errors} store error(s)",
        env.requests()
    );
    assert!(a.stats().store_errors > 0 && b.stats().store_errors > 0);
    assert_eq!(b.stats().shared_hits, 0);
    assert!(
        redis
            .node
            .cli(&["-a", "hunter2", "--no-auth-warning", "DBSIZE"])
            == "0"
    );
    let text = logs.text();
    assert!(text.contains("certificate"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

/// `#insecure` would turn verification off: refused at build, and the
/// message quotes no part of the URL.
#[tokio::test]
async fn rediss_insecure_is_a_config_error() {
    let env = env().await;
    let e = env
        .builder()
        .cache("rediss://:hunter2@127.0.0.1:6380/0#insecure")
        .build()
        .expect_err("#insecure is refused");
    assert_eq!(e.code(), "config", "{e}");
    assert!(e.to_string().contains("#insecure"), "{e}");
    assert!(!e.to_string().contains("hunter2"), "{e}");
}
