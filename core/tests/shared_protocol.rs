//! docs/design.md §4 "Shared cache" and §5, the protocol between processes
//! (issue #11 items 3, 4, 9): leases that outlive the request they guard,
//! waits inside the caller's deadline, stale leases taken over,
//! compare-and-set writes, the store's expiry bounding what readers grant,
//! and throttles shared. Clients with in-process caches of their own stand
//! for processes; the store is a real `redis-server` or a real directory,
//! the server the dev server with its fault scripts.

mod common;
mod redis_server;

use std::time::{Duration, Instant, SystemTime};

use common::*;
use m2m_auth::{MemoryCache, TokenClient, TokenClientBuilder, TokenRequest};
use redis_server::RedisServer;
use serde_json::json;

/// A client that behaves like another process: its own in-process cache.
fn process_like(env: &Env, cache: &str) -> TokenClientBuilder {
    env.builder()
        .cache(cache)
        .memory_cache(MemoryCache::new(16))
}

fn tempdir(tag: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "m2m-auth-protocol-{tag}-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.to_string_lossy().into_owned()
}

async fn until_requests(env: &Env, n: u64) {
    let until = Instant::now() + Duration::from_secs(5);
    while env.requests() < n && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(env.requests(), n, "the server saw the request");
}

fn default() -> TokenRequest {
    TokenRequest::default()
}

/// Item 4: the server answers after 1.5 s, five times the lease: the holder
/// renews its lease while it waits, so the other process waits for its
/// token instead of sending a second request.
async fn slow_server_one_request(env: &Env, cache: &str) {
    env.faults(json!([{"delay_ms": 1500}]), false);
    let lease = Duration::from_millis(300);
    let a = process_like(env, cache).lease_ttl(lease).build().unwrap();
    let b = process_like(env, cache).lease_ttl(lease).build().unwrap();
    let first = tokio::spawn(async move { a.get_token(&default()).await });
    until_requests(env, 1).await;
    let tb = b.get_token(&default()).await.unwrap();
    let ta = first.await.unwrap().unwrap();
    println!(
        "{cache}: slow server, 2 processes -> {} request(s)",
        env.requests()
    );
    assert_eq!(env.requests(), 1, "one request for both processes");
    assert_eq!(ta.access_token(), tb.access_token());
    assert_eq!(b.stats().shared_hits, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_lease_outlives_a_slow_request() {
    let redis = RedisServer::start();
    slow_server_one_request(&env().await, &redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_lease_outlives_a_slow_request() {
    slow_server_one_request(&env().await, &format!("file:{}", tempdir("slow"))).await;
}

/// Item 4: waiting for another process's lease counts inside the caller's
/// `timeout`: a caller with 1 s fails after about 1 s, not after the lease
/// time plus a request of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_a_lease_counts_inside_the_deadline() {
    let redis = RedisServer::start();
    let env = env().await;
    let url = redis.url();
    env.faults(json!([{"delay_ms": 3000}]), false);
    let a = process_like(&env, &url).build().unwrap();
    let first = tokio::spawn(async move { a.get_token(&default()).await });
    until_requests(&env, 1).await;
    let b = process_like(&env, &url)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = b.get_token(&default()).await.unwrap_err();
    let took = started.elapsed();
    println!("waited {took:?} for a 1 s deadline: {err}");
    assert!(took < Duration::from_millis(1600), "{took:?}");
    assert_eq!(err.code(), "transport", "{err}");
    first.await.unwrap().unwrap();
    assert_eq!(env.requests(), 1, "the waiter sent nothing");
}

/// The value key the engine wrote (not a lease, not a throttle).
fn value_key(redis: &RedisServer) -> String {
    let keys: Vec<String> = redis
        .keys("m2m-auth:v1:*")
        .into_iter()
        .filter(|k| !k.ends_with(":lease") && !k.ends_with(":throttle"))
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    keys[0].clone()
}

/// Item 4: `SET key:lease x` (no expiry, by anyone with write access) is a
/// stale lease: taken over at once, and sharing goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_without_expiry_is_stale() {
    let redis = RedisServer::start();
    let env = env().await;
    let url = redis.url();
    let lease = Duration::from_secs(3);
    process_like(&env, &url)
        .lease_ttl(lease)
        .build()
        .unwrap()
        .get_token(&default())
        .await
        .unwrap();
    let key = value_key(&redis);
    redis.cli(&["DEL", &key]);
    assert_eq!(redis.cli(&["SET", &format!("{key}:lease"), "x"]), "OK");
    let b = process_like(&env, &url).lease_ttl(lease).build().unwrap();
    let started = Instant::now();
    let tb = b.get_token(&default()).await.unwrap();
    let took = started.elapsed();
    println!("took over a lease without expiry in {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(env.requests(), 2);
    let c = process_like(&env, &url).lease_ttl(lease).build().unwrap();
    let tc = c.get_token(&default()).await.unwrap();
    assert_eq!(tc.access_token(), tb.access_token(), "shared again");
    assert_eq!(env.requests(), 2);
}

/// Item 4: a holder whose lease was lost (here deleted) while its request
/// ran still stores its result, but by compare-and-set: the newer token
/// another process stored meanwhile is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_result_does_not_overwrite_a_newer_one() {
    let redis = RedisServer::start();
    let env = env().await;
    let url = redis.url();
    env.faults(json!([{"delay_ms": 2000}]), false);
    let a = process_like(&env, &url).build().unwrap();
    let first = tokio::spawn(async move { a.get_token(&default()).await });
    until_requests(&env, 1).await;
    let leases = redis.keys("m2m-auth:v1:*:lease");
    assert_eq!(leases.len(), 1, "{leases:?}");
    redis.cli(&["DEL", &leases[0]]);
    let newer = process_like(&env, &url)
        .build()
        .unwrap()
        .get_token(&default())
        .await
        .unwrap();
    let older = first.await.unwrap().unwrap();
    assert_ne!(older.access_token(), newer.access_token());
    assert_eq!(env.requests(), 2);
    let c = process_like(&env, &url).build().unwrap();
    let tc = c.get_token(&default()).await.unwrap();
    assert_eq!(
        tc.access_token(),
        newer.access_token(),
        "the store kept the token requested later"
    );
    assert_eq!(env.requests(), 2);
}

/// Item 3: the store's own expiry bounds what a reader grants: a token the
/// store drops in 2 s (or, for a file, whose mtime has passed) is not fresh,
/// whatever its stamp says.
async fn store_expiry_bounds_the_token(env: &Env, cache: &str, shorten: impl FnOnce()) {
    let a = process_like(env, cache).build().unwrap();
    let ta = a.get_token(&default()).await.unwrap();
    shorten();
    let b = process_like(env, cache).build().unwrap();
    let tb = b.get_token(&default()).await.unwrap();
    assert_eq!(
        env.requests(),
        2,
        "a token about to leave the store is a miss"
    );
    assert_ne!(ta.access_token(), tb.access_token());
    assert_eq!(b.stats().shared_hits, 0);
    // The replacement is stored over it, and shared.
    let c = process_like(env, cache).build().unwrap();
    let tc = c.get_token(&default()).await.unwrap();
    assert_eq!(tc.access_token(), tb.access_token());
    assert_eq!(env.requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_pttl_bounds_a_shared_token() {
    let redis = RedisServer::start();
    let env = env().await;
    store_expiry_bounds_the_token(&env, &redis.url(), || {
        let key = value_key(&redis);
        assert_eq!(redis.cli(&["PEXPIRE", &key, "2000"]), "1");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_mtime_bounds_a_shared_token() {
    let env = env().await;
    let dir = tempdir("mtime");
    store_expiry_bounds_the_token(&env, &format!("file:{dir}"), || {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tok") {
                let f = std::fs::File::options().write(true).open(&path).unwrap();
                f.set_modified(SystemTime::now() - Duration::from_secs(1))
                    .unwrap();
            }
        }
    })
    .await;
}

/// Item 9: a throttle met by one process is shared: the others fail the
/// same way (`throttled`, with the time left) without a request.
async fn throttle_is_shared(env: &Env, cache: &str) {
    env.faults(
        json!([{"status": 429, "headers": {"Retry-After": "60"}, "json": {"error": "slow_down"}}]),
        true,
    );
    let a = process_like(env, cache).build().unwrap();
    let err = a.get_token(&default()).await.unwrap_err();
    assert_eq!(err.status(), Some(429), "{err}");
    assert_eq!(env.requests(), 1);
    for _ in 0..3 {
        let b = process_like(env, cache).build().unwrap();
        let err = b.get_token(&default()).await.unwrap_err();
        assert_eq!(err.code(), "throttled", "{err}");
        let left = err.retry_after().unwrap();
        assert!(
            left > Duration::from_secs(55) && left <= Duration::from_secs(60),
            "{left:?}"
        );
        // And this process now stops asking too: no request.
        let again = b.get_token(&default()).await.unwrap_err();
        assert_eq!(again.code(), "throttled");
    }
    println!(
        "{cache}: 429 + Retry-After 60, 4 processes -> {} request(s)",
        env.requests()
    );
    assert_eq!(env.requests(), 1, "one request for four processes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_shares_a_throttle() {
    let redis = RedisServer::start();
    throttle_is_shared(&env().await, &redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_store_shares_a_throttle() {
    throttle_is_shared(&env().await, &format!("file:{}", tempdir("throttle"))).await;
}

/// The chaos finding (scripts/chaos.sh, server-429): a process holding a key
/// throttled on its own (the store lost the shared throttle: Redis
/// restarted) still takes the token another process then put in the store,
/// instead of failing while a usable token exists; and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_process_takes_a_token_another_put_in_the_store() {
    let redis = RedisServer::start();
    let env = env().await;
    let url = redis.url();
    env.faults(
        json!([{"status": 429, "headers": {"Retry-After": "30"}, "json": {"error": "slow_down"}}]),
        false,
    );
    let b = process_like(&env, &url).build().unwrap();
    let err = b.get_token(&default()).await.unwrap_err();
    assert_eq!(err.status(), Some(429), "{err}");
    redis.cli(&["FLUSHALL"]);
    let a = process_like(&env, &url).build().unwrap();
    let token = a.get_token(&default()).await.unwrap();
    assert_eq!(env.requests(), 2);
    // Within the 25 ms between two looks, the call may still fail fast.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let got = b
        .get_token(&default())
        .await
        .expect("the stored token is served");
    assert_eq!(got.access_token(), token.access_token());
    assert_eq!(env.requests(), 2, "nothing sent by the throttled process");
    // Served from its own cache now; its throttle still holds for requests.
    assert_eq!(
        b.get_token(&default()).await.unwrap().access_token(),
        token.access_token()
    );
    assert!(b.stats().throttles == 0, "{:?}", b.stats());
    let forced = b.fetch_token(&default()).await.unwrap_err();
    assert_eq!(forced.code(), "throttled", "{forced}");
    assert_eq!(env.requests(), 2);
}

/// Item 9: under 503 without `Retry-After`, a process spends its attempts
/// and throttles the key for `default_throttle`; one waiting for its lease
/// meanwhile meets that throttle instead of sending its own three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_throttle_is_shared_with_a_waiting_process() {
    let redis = RedisServer::start();
    let env = env().await;
    let url = redis.url();
    env.faults(json!([{"status": 503, "delay_ms": 100}]), true);
    let a = process_like(&env, &url).build().unwrap();
    let first = tokio::spawn(async move { a.get_token(&default()).await });
    until_requests(&env, 1).await;
    let b: TokenClient = process_like(&env, &url).build().unwrap();
    let err = b.get_token(&default()).await.unwrap_err();
    assert_eq!(err.code(), "throttled", "{err}");
    assert!(err.retry_after().unwrap() <= Duration::from_secs(5));
    let first = first.await.unwrap().unwrap_err();
    assert_eq!(first.status(), Some(503), "{first}");
    println!("503, 2 processes -> {} request(s)", env.requests());
    assert_eq!(env.requests(), 3, "three attempts in all, by one process");
}
