//! docs/design.md §4 "Shared cache" with Redis Sentinel (issue #16): a real
//! master, replica and 3 sentinels started for this binary. A herd of
//! processes makes one token request; the master killed mid-herd loses no
//! caller; after the sentinels promote the replica sharing resumes.

mod common;
mod redis_topology;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis_topology::{scenario, wait_for, SentinelSet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_sentinel_herd_and_failover() {
    let set = Arc::new(Mutex::new(
        tokio::task::spawn_blocking(SentinelSet::start)
            .await
            .unwrap(),
    ));
    let url = set.lock().unwrap().url();
    scenario::herd("sentinel", &url).await;

    let s = set.clone();
    let kill = move || {
        wait_for(Duration::from_secs(10), "a lease key", || {
            let keys = s
                .lock()
                .unwrap()
                .master
                .cli(&["--raw", "KEYS", "m2m-auth:*:lease"]);
            !keys.is_empty()
        });
        s.lock().unwrap().master.kill();
    };
    let s = set.clone();
    let promoted = move || s.lock().unwrap().wait_promoted(Duration::from_secs(30));
    scenario::failover("sentinel", &url, kill, promoted).await;
}
