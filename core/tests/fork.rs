//! docs/design.md §8: a child made by `fork()` gets tokens without any
//! rebuilding by its caller — with the parent's cached token, and with a
//! request in flight in the parent at the instant of the fork — and each
//! process's stats stay consistent. One test in this binary: the fork must
//! not race other tests' threads.
#![cfg(unix)]

mod common;

use std::time::Duration;

use common::*;
use m2m_auth::{runtime, Stats, TokenRequest};
use serde_json::json;

/// Runs `child` in a forked child; its exit status (0: passed).
fn in_child(child: impl FnOnce() -> bool) -> i32 {
    // SAFETY: the child only runs engine code (whose locks the fork hooks
    // keep consistent) and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(false);
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    }
}

fn plus(a: Stats, fetches: u64, hits: u64) -> (u64, u64) {
    (a.fetches + fetches, a.hits + hits)
}

#[test]
fn a_forked_child_gets_tokens_and_keeps_its_own_stats() {
    // The server runs on a runtime of its own, in this (the parent) process;
    // the child reaches it over TCP like any other client.
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let env = server_rt.block_on(env());
    let client = env.client();
    let rt = runtime().unwrap();
    let default = TokenRequest::default();
    let parent_token = rt.block_on(client.get_token(&default)).unwrap();
    assert_eq!(env.requests(), 1);
    let at_fork = client.stats();

    // 1. Forked while the parent holds a cached token.
    let c = client.clone();
    let cached = parent_token.access_token().to_string();
    let status = in_child(move || {
        let rt = runtime().unwrap();
        let hit = rt.block_on(c.get_token(&default)).unwrap();
        let fresh = rt.block_on(c.fetch_token(&default)).unwrap();
        let s = c.stats();
        hit.access_token() == cached
            && fresh.access_token() != cached
            && (s.fetches, s.hits) == plus(at_fork, 1, 1)
    });
    assert_eq!(status, 0, "child with a cached token");
    assert_eq!(env.requests(), 2, "the child's fetch reached the server");
    assert_eq!(
        client.stats(),
        at_fork,
        "the child's calls are not counted here"
    );

    // 2. Forked while a request is in flight in the parent.
    env.faults(json!([{"delay_ms": 600}]), false);
    let other = TokenRequest::new().audience("https://in-flight.example");
    let (c, r) = (client.clone(), other.clone());
    let pending = rt.spawn(async move { c.get_token(&r).await });
    std::thread::sleep(Duration::from_millis(150));
    let before = client.stats();
    let (c, r) = (client.clone(), other.clone());
    let status = in_child(move || {
        let rt = runtime().unwrap();
        // The inherited request has no task in the child: a new one is made.
        let got = rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), c.get_token(&r)).await
        });
        matches!(got, Ok(Ok(_))) && c.stats().fetches == before.fetches + 1
    });
    assert_eq!(status, 0, "child forked with a request in flight");
    let token = rt.block_on(pending).unwrap().unwrap();
    assert!(!token.access_token().is_empty());
    let after = client.stats();
    assert_eq!(
        after.fetches, before.fetches,
        "the parent made no extra request"
    );
    assert_eq!(after.failures, 0);
    drop(server_rt);
}
