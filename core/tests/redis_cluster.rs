//! docs/design.md §4 "Shared cache" with Redis Cluster (issue #16): a real
//! 3-master, 3-replica cluster started for this binary. A herd of processes
//! makes one token request; the master owning the lease's slot killed
//! mid-herd loses no caller; after the promotion sharing resumes.

mod common;
mod redis_topology;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use redis_topology::{scenario, wait_for, RedisCluster};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_herd_and_failover() {
    let cluster = Arc::new(Mutex::new(
        tokio::task::spawn_blocking(RedisCluster::start)
            .await
            .unwrap(),
    ));
    let url = cluster.lock().unwrap().url();
    scenario::herd("cluster", &url).await;

    let c = cluster.clone();
    let kill = move || {
        let mut owner = None;
        wait_for(Duration::from_secs(10), "a lease key", || {
            owner = c.lock().unwrap().master_with("m2m-auth:*:lease");
            owner.is_some()
        });
        c.lock().unwrap().nodes[owner.unwrap()].kill();
    };
    let c = cluster.clone();
    let promoted = move || c.lock().unwrap().wait_promoted(Duration::from_secs(20));
    scenario::failover("cluster", &url, kill, promoted).await;
}

/// A cluster URL builds (no connection yet); a malformed one is a `config`
/// error that never shows the password.
#[tokio::test]
async fn cluster_urls_are_accepted_and_malformed_ones_are_config_errors() {
    let env = env().await;
    for url in [
        "redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
        "rediss+cluster://u:p%40w@h1:7000,[::1]:7001",
        "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster/0",
        "rediss+sentinel://:pw@h:26379/mymaster",
    ] {
        env.builder()
            .cache(url)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    for url in [
        "redis+cluster://u:hunter2@h1:7000,,h2:7001",
        "redis+cluster://u:hunter2@h1:notaport",
        "redis+sentinel://u:hunter2@h1:26379",
        "redis+sentinel://u:hunter2@h1:26379/m/notadb",
        "redis+cluster://u:hunter2/x@h1:1",
    ] {
        let e = env
            .builder()
            .cache(url)
            .build()
            .err()
            .unwrap_or_else(|| panic!("{url} built"));
        assert_eq!(e.code(), "config", "{url}: {e}");
        assert!(!e.to_string().contains("hunter2"), "{url}: {e}");
        assert!(!format!("{e:?}").contains("hunter2"), "{url}: {e:?}");
    }
}

/// With the cluster or the sentinels unreachable, calls still get tokens
/// (the store degrades), and the logs, at every level and from every
/// crate, name the nodes and the master but never the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_topologies_degrade_and_logs_never_show_the_password() {
    let logs = TraceCapture::install();
    let env = env().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for cache in [
        format!("redis+cluster://u:hunter2@127.0.0.1:{port}"),
        format!("redis+sentinel://u:hunter2@127.0.0.1:{port}/m2m-master"),
    ] {
        let client = scenario::process_like(&env, &cache);
        client
            .get_token(&m2m_auth::TokenRequest::default())
            .await
            .unwrap_or_else(|e| panic!("{cache}: {e}"));
        assert!(client.stats().store_errors > 0, "{cache}");
    }
    let text = logs.text();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("m2m-master"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
