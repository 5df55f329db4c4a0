//! docs/design.md §4, refresh points for fleets: `refresh_jitter` spreads the
//! refresh points of processes that share no cache, and a server's
//! `refresh_in` replaces the refresh ratio's point. (The conformance vector
//! refresh-in-honoured shows the refresh itself happening at `refresh_in`.)

mod common;

use std::time::SystemTime;

use common::*;
use m2m_auth::{TokenClient, TokenRequest};
use serde_json::json;

/// A client with its own cache key (tokens cached in this process are
/// shared by clients with the same key).
fn client(env: &Env, n: usize) -> TokenClient {
    env.builder()
        .audience(format!("https://refresh-in-{n}.example"))
        .build()
        .unwrap()
}

/// Seconds from `from` to the token's refresh point.
fn refresh_after(client: &TokenClient, from: SystemTime) -> f64 {
    let rt = tokio::runtime::Handle::current();
    let t = tokio::task::block_in_place(|| rt.block_on(client.get_token(&TokenRequest::default())))
        .unwrap();
    t.refresh_at().duration_since(from).unwrap().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jitter_spreads_the_refresh_points_of_clients_within_the_window() {
    // One-hour tokens: refresh point 0.75 h = 2,700 s; jitter 0.2 moves each
    // client's earlier by up to 720 s.
    let env = env().await;
    let start = SystemTime::now();
    // Clients of one process share cached tokens: one audience each gives
    // each its own token, as separate processes would have.
    let points: Vec<f64> = (0..16)
        .map(|i| {
            let client = env
                .builder()
                .audience(format!("https://api-{i}.example"))
                .refresh_jitter(0.2)
                .build()
                .unwrap();
            refresh_after(&client, start)
        })
        .collect();
    assert!(
        points.iter().all(|p| (1_975.0..=2_705.0).contains(p)),
        "{points:?}"
    );
    let (lo, hi) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(*p), hi.max(*p)));
    assert!(
        hi - lo > 100.0,
        "16 clients, spread {:.0} s: {points:?}",
        hi - lo
    );
    // Without jitter (the default), every client's point is the ratio's.
    let plain = env
        .builder()
        .audience("https://plain.example")
        .build()
        .unwrap();
    let p = refresh_after(&plain, start);
    assert!((2_695.0..=2_705.0).contains(&p), "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_in_replaces_the_ratio_and_never_passes_the_usable_point() {
    let env = env().await;
    let start = SystemTime::now();
    env.faults(json!([{"token": {"refresh_in": 600}}]), false);
    let p = refresh_after(&client(&env, 0), start);
    assert!((595.0..=605.0).contains(&p), "{p}");
    // A refresh_in past the usable point (3,600 - 60 s) stops there.
    env.faults(json!([{"token": {"refresh_in": 86_400}}]), false);
    let p = refresh_after(&client(&env, 1), start);
    assert!((3_535.0..=3_545.0).contains(&p), "{p}");
    // Not a positive number: ignored (the ratio's point).
    for (n, odd) in [json!("600"), json!(-5), json!(0), json!(null)]
        .into_iter()
        .enumerate()
    {
        env.faults(json!([{ "token": { "refresh_in": odd } }]), false);
        let p = refresh_after(&client(&env, 2 + n), start);
        assert!((2_695.0..=2_705.0).contains(&p), "{odd}: {p}");
    }
}

#[test]
fn refresh_jitter_is_checked_and_set_by_name() {
    for bad in [-0.1, 1.5, f64::NAN] {
        let e = TokenClient::builder()
            .token_url("https://auth.example.com/oauth/token")
            .client_id("x")
            .client_secret("y")
            .refresh_jitter(bad)
            .build()
            .unwrap_err();
        assert_eq!(e.code(), "config", "{bad}: {e}");
        assert!(e.to_string().contains("refresh_jitter"), "{e}");
    }
    let mut b = TokenClient::builder()
        .token_url("https://auth.example.com/oauth/token")
        .client_id("x")
        .client_secret("y");
    b.set_text("refresh_jitter", "0.25").unwrap();
    b.build().unwrap();
}
