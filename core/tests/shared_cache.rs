//! docs/design.md §4 "Shared cache" (issue #7): processes share tokens through a
//! `file:` directory or Redis, fetch under a lease, and degrade to their own
//! cache when the store is down. Real processes, a real `redis-server`.

mod common;
mod redis_server;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use m2m_auth::{MemoryCache, TokenClient, TokenRequest};
use redis_server::RedisServer;
use serde_json::{json, Value};

/// The worker example, built by `cargo test` next to the test binaries.
fn worker() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("shared_cache_worker")
}

fn spawn_worker(env: &Env, cache: &str, callers: usize, lease_ms: Option<u64>) -> Child {
    let mut cmd = Command::new(worker());
    cmd.args([
        env.server.token_url(),
        env.client_id.clone(),
        cache.to_string(),
        callers.to_string(),
    ]);
    if let Some(ms) = lease_ms {
        cmd.arg(ms.to_string());
    }
    cmd.env("M2M_AUTH_CLIENT_SECRET", &env.secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start {} ({e}): cargo test builds examples; run the whole suite or `cargo build --examples` first", worker().display()))
}

fn report(child: Child) -> Value {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "worker failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Eight processes of sixteen callers each on a cold shared cache, the server
/// slow to answer: one token request in all, one token everywhere.
async fn eight_processes_one_request(env: &Env, cache: &str) {
    env.faults(json!([{"delay_ms": 300}]), false);
    let children: Vec<_> = (0..8).map(|_| spawn_worker(env, cache, 16, None)).collect();
    let reports: Vec<Value> =
        tokio::task::spawn_blocking(move || children.into_iter().map(report).collect())
            .await
            .unwrap();
    let mut tokens = std::collections::BTreeSet::new();
    for r in &reports {
        assert_eq!(r["errors"], json!([]), "{r}");
        for t in r["tokens"].as_array().unwrap() {
            tokens.insert(t.as_str().unwrap().to_string());
        }
    }
    let shared: u64 = reports
        .iter()
        .map(|r| r["shared_hits"].as_u64().unwrap())
        .sum();
    println!(
        "{cache}: 8 processes x 16 callers -> {} token request(s), {shared} shared hits",
        env.requests()
    );
    assert_eq!(env.requests(), 1, "{reports:?}");
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        shared, 7,
        "the seven other processes took the token from the store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_store_eight_processes_make_one_request() {
    let env = env().await;
    let dir = tempdir("eight");
    eight_processes_one_request(&env, &format!("file:{dir}")).await;
    // Keys hold a hash, never the client id or secret; the value is sealed.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(name.starts_with("m2m-auth_v1_"), "{name}");
        let bytes = std::fs::read(entry.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&env.secret) && !text.contains("eyJ"),
            "{name} is not sealed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_eight_processes_make_one_request() {
    let redis = RedisServer::start();
    let env = env().await;
    eight_processes_one_request(&env, &redis.url()).await;
}

/// A client that behaves like another process: its own in-process cache.
fn process_like(env: &Env, cache: &str) -> TokenClient {
    env.builder()
        .cache(cache)
        .memory_cache(MemoryCache::new(16))
        .store_timeout(Duration::from_millis(200))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_degrades_and_sharing_resumes_after_restart() {
    let mut redis = RedisServer::start();
    let env = env().await;
    let url = redis.url();
    let a = process_like(&env, &url)
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    let b = process_like(&env, &url)
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    assert_eq!(a.access_token(), b.access_token(), "shared through Redis");
    assert_eq!(env.requests(), 1);

    redis.kill();
    let down = process_like(&env, &url);
    let started = Instant::now();
    let c = down
        .get_token(&TokenRequest::default())
        .await
        .expect("a dead store never fails a call");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_ne!(c.access_token(), a.access_token(), "fetched here");
    assert!(down.stats().store_errors >= 1);
    assert_eq!(env.requests(), 2);
    let strict = env
        .builder()
        .cache(&url)
        .cache_strict(true)
        .memory_cache(MemoryCache::new(4))
        .build()
        .unwrap();
    let err = strict
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "cache", "strict mode reports the store: {err}");

    redis.restart();
    let d = process_like(&env, &url)
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    let e = process_like(&env, &url)
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    assert_eq!(d.access_token(), e.access_token(), "sharing resumed");
    assert_eq!(env.requests(), 3);
}

#[tokio::test]
async fn a_value_that_does_not_open_is_a_miss() {
    let env = env().await;
    let dir = tempdir("corrupt");
    let cache = format!("file:{dir}");
    process_like(&env, &cache)
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tok") {
            let mut bytes = std::fs::read(&path).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 0xff;
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let client = process_like(&env, &cache);
    client
        .get_token(&TokenRequest::default())
        .await
        .expect("a corrupt value is a miss, not an error");
    assert_eq!(env.requests(), 2);
    assert_eq!(client.stats().store_errors, 0);
}

/// A process holding the lease dies mid-fetch; another takes over within the
/// lease time, without deadlock.
async fn lease_holder_crash(env: &Env, cache: &str, lease_ms: u64) {
    env.faults(json!([{"delay_ms": 5000}]), false);
    let mut holder = spawn_worker(env, cache, 1, Some(lease_ms));
    let until = Instant::now() + Duration::from_secs(5);
    while env.requests() == 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(env.requests(), 1, "the holder is fetching");
    holder.kill().unwrap();
    holder.wait().unwrap();
    let started = Instant::now();
    let client = env
        .builder()
        .cache(cache)
        .lease_ttl(Duration::from_millis(lease_ms))
        .memory_cache(MemoryCache::new(4))
        .build()
        .unwrap();
    client.get_token(&TokenRequest::default()).await.unwrap();
    let took = started.elapsed();
    println!("{cache}: took over {took:?} after the holder died (lease {lease_ms} ms)");
    assert!(took < Duration::from_millis(lease_ms + 1500), "{took:?}");
    assert_eq!(env.requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_lease_holder_crash_is_taken_over() {
    let env = env().await;
    lease_holder_crash(&env, &format!("file:{}", tempdir("crash")), 2000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_lease_holder_crash_is_taken_over() {
    let redis = RedisServer::start();
    let env = env().await;
    lease_holder_crash(&env, &redis.url(), 1000).await;
}

fn tempdir(tag: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "m2m-auth-test-{tag}-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.to_string_lossy().into_owned()
}

#[tokio::test]
async fn an_invalidated_token_is_not_taken_back_from_the_store() {
    let env = env().await;
    let cache = format!("file:{}", tempdir("invalidate"));
    let t1 = process_like(&env, &cache)
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    let b = process_like(&env, &cache);
    assert_eq!(
        b.get_token(&TokenRequest::default())
            .await
            .unwrap()
            .access_token(),
        t1.access_token()
    );
    assert_eq!(env.requests(), 1);
    // An API answered 401 with it: the next token must be new, and shared.
    b.invalidate(&TokenRequest::default()).unwrap();
    let t2 = b.get_token(&TokenRequest::default()).await.unwrap();
    assert_ne!(t2.access_token(), t1.access_token());
    assert_eq!(env.requests(), 2);
    let c = process_like(&env, &cache)
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    assert_eq!(
        c.access_token(),
        t2.access_token(),
        "the replacement is what the store serves"
    );
    // fetch_token replaces it everywhere too.
    let t3 = b.fetch_token(&TokenRequest::default()).await.unwrap();
    assert_ne!(t3.access_token(), t2.access_token());
    assert_eq!(env.requests(), 3);
}

#[test]
fn a_store_outlives_the_runtime_that_first_used_it() {
    // Stores are process-wide; C handles each own a runtime and may come and
    // go. A connection left on a dropped runtime heals on the next call.
    let redis = RedisServer::start();
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let env = server_rt.block_on(env());
    let url = redis.url();
    let first = tokio::runtime::Runtime::new().unwrap();
    first
        .block_on(process_like(&env, &url).get_token(&TokenRequest::default()))
        .unwrap();
    drop(first);
    let second = tokio::runtime::Runtime::new().unwrap();
    second
        .block_on(process_like(&env, &url).get_token(&TokenRequest::default()))
        .unwrap();
    let third = process_like(&env, &url);
    let t = second
        .block_on(third.get_token(&TokenRequest::default()))
        .unwrap();
    assert!(!t.access_token().is_empty());
    assert_eq!(
        third.stats().shared_hits,
        1,
        "sharing works on the new runtime"
    );
    assert!(env.requests() <= 2, "{}", env.requests());
}
