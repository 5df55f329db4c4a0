//! docs/design.md §8, issue #11 item 5: a child forked while the parent holds
//! a `file:` lease does not keep it locked. The lock belongs to the open file
//! description the child inherits; a child that lives on must not hold the
//! parent's lease after the parent released it. One test in this binary:
//! the fork must not race other tests' threads.
#![cfg(unix)]

mod common;

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use common::*;
use m2m_auth::{runtime, MemoryCache, TokenRequest};
use serde_json::json;

const LEASE: Duration = Duration::from_secs(4);

#[test]
fn a_forked_child_does_not_keep_the_file_lease() {
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let env = server_rt.block_on(env());
    let dir = std::env::temp_dir().join(format!(
        "m2m-auth-fork-lease-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    let cache = format!("file:{}", dir.display());
    let client = |memory: usize| {
        env.builder()
            .cache(cache.clone())
            .lease_ttl(LEASE)
            .memory_cache(MemoryCache::new(memory))
            .build()
            .unwrap()
    };
    let rt = runtime().unwrap();

    // The parent takes the lease and fetches from a slow server...
    env.faults(json!([{"delay_ms": 800}]), false);
    let parent = client(4);
    let pending = rt.spawn(async move { parent.get_token(&TokenRequest::default()).await });
    let until = Instant::now() + Duration::from_secs(5);
    while env.requests() == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(env.requests(), 1, "the parent is fetching under the lease");

    // ...and forks a child that lives on (it only sleeps).
    // SAFETY: the child calls only async-signal-safe functions and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        unsafe {
            libc::sleep(30);
            libc::_exit(0);
        }
    }
    let token = rt.block_on(pending).unwrap().unwrap();

    // The parent released its lease: the lock is free although the child lives.
    let lock = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "lock"))
        .expect("a lock file");
    let f = std::fs::File::open(&lock).unwrap();
    // SAFETY: a valid descriptor; LOCK_NB never waits.
    let free = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    drop(f);

    // A forced renewal elsewhere takes the lease at once, not after LEASE.
    env.faults(json!([]), false);
    let other = client(8);
    let started = Instant::now();
    let renewed = rt.block_on(async {
        other.get_token(&TokenRequest::default()).await.unwrap();
        other.fetch_token(&TokenRequest::default()).await.unwrap()
    });
    let took = started.elapsed();

    // SAFETY: our own child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
    assert!(free, "the forked child keeps the released lease locked");
    assert_ne!(renewed.access_token(), token.access_token());
    assert!(
        took < LEASE / 2,
        "the renewal waited {took:?} for the lease"
    );
    drop(server_rt);
}
