//! The fleet scenarios every Redis topology must pass (docs/design.md §4):
//! a herd of processes on a cold key makes one token request; a master
//! killed mid-herd loses no caller and the requests stay bounded; after the
//! promotion a new cold key is shared again, by the same process.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use m2m_auth::{MemoryCache, TokenClient, TokenRequest};
use serde_json::{json, Value};

/// The worker example, built by `cargo test` next to the test binaries.
fn worker() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    dir.join("examples").join("shared_cache_worker")
}

fn spawn_worker(env: &Env, cache: &str, callers: usize) -> Child {
    Command::new(worker())
        .args([
            env.server.token_url(),
            env.client_id.clone(),
            cache.to_string(),
            callers.to_string(),
        ])
        .env("M2M_AUTH_CLIENT_SECRET", &env.secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "start {} ({e}): `cargo build --examples` first",
                worker().display()
            )
        })
}

/// Every worker's report; panics if one failed or saw an error.
fn reports(children: Vec<Child>) -> Vec<Value> {
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "worker failed");
            let r: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(r["errors"], json!([]), "a caller failed: {r}");
            assert!(!r["tokens"].as_array().unwrap().is_empty(), "{r}");
            r
        })
        .collect()
}

/// A client that behaves like another process: its own in-process cache,
/// the process-wide store.
pub fn process_like(env: &Env, cache: &str) -> TokenClient {
    env.builder()
        .cache(cache)
        .memory_cache(MemoryCache::new(16))
        .store_timeout(Duration::from_millis(200))
        .build()
        .unwrap()
}

/// Eight processes of sixteen callers on a cold key, the server slow to
/// answer: one token request.
pub async fn herd(name: &str, cache: &str) {
    let env = env().await;
    env.faults(json!([{"delay_ms": 300}]), false);
    let children: Vec<_> = (0..8).map(|_| spawn_worker(&env, cache, 16)).collect();
    let reports = tokio::task::spawn_blocking(move || reports(children))
        .await
        .unwrap();
    let tokens: std::collections::BTreeSet<_> = reports
        .iter()
        .flat_map(|r| {
            r["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.to_string())
        })
        .collect();
    println!(
        "{name} herd: 8 processes x 16 callers -> {} token request(s)",
        env.requests()
    );
    assert_eq!(env.requests(), 1, "{reports:?}");
    assert_eq!(tokens.len(), 1);
}

/// A herd whose lease holder's master is killed (by `kill`, once a lease
/// key `m2m-auth:*:lease` exists) while the token request is in flight;
/// `promoted` waits for the failover. Then a new cold key in this same
/// process is shared again.
pub async fn failover(
    name: &str,
    cache: &str,
    kill: impl FnOnce() + Send + 'static,
    promoted: impl FnOnce() + Send + 'static,
) {
    let slow = env().await;
    slow.faults(json!([{"delay_ms": 1500}]), false);
    // This process takes part too, so its process-wide store sees the failure.
    let here = process_like(&slow, cache);
    let local = tokio::spawn(async move { here.get_token(&TokenRequest::default()).await });
    let children: Vec<_> = (0..8).map(|_| spawn_worker(&slow, cache, 16)).collect();
    let killed_at = Instant::now();
    tokio::task::spawn_blocking(kill).await.unwrap();
    let reports = tokio::task::spawn_blocking(move || reports(children))
        .await
        .unwrap();
    local
        .await
        .unwrap()
        .expect("the in-process caller gets a token");
    let requests = slow.requests();
    println!(
        "{name} failover: master killed mid-herd, 8 processes x 16 callers + 1 in-process -> \
         every caller got a token, {requests} token request(s)"
    );
    assert_eq!(reports.len(), 8);
    assert!(
        requests <= 9,
        "one request per process at most, got {requests}"
    );
    tokio::task::spawn_blocking(promoted).await.unwrap();
    println!(
        "{name} failover: promoted {:.1} s after the kill",
        killed_at.elapsed().as_secs_f64()
    );

    // Sharing resumes in this process, without a restart: two clients with
    // their own memory cache, one cold key, one request.
    let start = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let env = env().await;
        let (a, b) = (process_like(&env, cache), process_like(&env, cache));
        a.get_token(&TokenRequest::default()).await.unwrap();
        b.get_token(&TokenRequest::default()).await.unwrap();
        if env.requests() == 1 && b.stats().shared_hits == 1 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "sharing did not resume"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{name} failover: a new cold key shared again (1 request) after {attempts} attempt(s), \
         {:.1} s after the promotion",
        start.elapsed().as_secs_f64()
    );
    herd(&format!("{name} after failover"), cache).await;
}
