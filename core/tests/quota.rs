//! docs/design.md §5, token quotas: Auth0's `Auth0-Client-Quota-Limit` and
//! `Auth0-Organization-Quota-Limit` headers read into `quota()`, an
//! exhausted bucket throttling the key until its reset (nothing sent, a
//! usable token still served), a low quota moving refreshes to the usable
//! point, and the dev server's own quota.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use m2m_auth::{ErrorDetail, TokenRequest};
use m2m_auth_devserver::TokenQuota;
use serde_json::json;

const CLIENT: &str = "b=per_hour;q=100;r=99;t=3000,b=per_day;q=1000;r=999;t=80000";
const ORG: &str = "b=per_hour;q=500;r=400;t=1200,b=per_day;q=5000;r=4000;t=40000";

fn headers(client: &str, org: Option<&str>) -> serde_json::Value {
    let mut h = json!({ "Auth0-Client-Quota-Limit": client });
    if let Some(o) = org {
        h["Auth0-Organization-Quota-Limit"] = json!(o);
    }
    json!([{ "headers": h }])
}

fn secs(from: SystemTime, to: SystemTime) -> f64 {
    to.duration_since(from).unwrap().as_secs_f64()
}

#[tokio::test]
async fn both_headers_are_read_into_quota_with_both_buckets() {
    let env = env().await;
    let client = env.client();
    assert!(client.quota().is_empty(), "nothing reported yet");
    env.faults(headers(CLIENT, Some(ORG)), false);
    let start = SystemTime::now();
    client.get_token(&TokenRequest::default()).await.unwrap();
    let q = client.quota();
    let got: Vec<_> = q
        .iter()
        .map(|b| (b.scope, b.bucket, b.quota, b.remaining))
        .collect();
    assert_eq!(
        got,
        [
            ("client", "per_hour", 100, 99),
            ("client", "per_day", 1000, 999),
            ("organization", "per_hour", 500, 400),
            ("organization", "per_day", 5000, 4000),
        ]
    );
    let reset = secs(start, q[0].reset_at);
    assert!((2999.0..=3001.0).contains(&reset), "{reset}");
    let reset = secs(start, q[1].reset_at);
    assert!((79_999.0..=80_001.0).contains(&reset), "{reset}");
}

#[tokio::test]
async fn malformed_headers_are_ignored_and_fail_nothing() {
    let log = TraceCapture::install();
    let env = env().await;
    let client = env
        .builder()
        .audience("https://malformed.example")
        .build()
        .unwrap();
    let long = format!("b=per_hour;q=1;r=1;t=1;x={}", "y".repeat(4000));
    for bad in [
        "garbage",
        "b=per_hour;q=ten;r=1;t=5",
        "b=per_hour;q=10",
        "b=per_hour;q=10;r=0;t=99999999999999999999",
        long.as_str(),
        ";;,,=",
    ] {
        env.faults(headers(bad, None), false);
        client.fetch_token(&TokenRequest::default()).await.unwrap();
        assert!(client.quota().is_empty(), "{bad}");
    }
    // Logged at debug once per client, never its value.
    let text = log.text();
    assert_eq!(
        text.matches("malformed token quota header").count(),
        1,
        "{text}"
    );
    assert!(!text.contains("q=ten"));
    // Unknown buckets and attributes are skipped, the known ones kept.
    env.faults(
        headers("b=per_week;q=1;r=0;t=9,b=per_day;q=10;r=5;t=60;z=1", None),
        false,
    );
    client.fetch_token(&TokenRequest::default()).await.unwrap();
    let q = client.quota();
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].bucket, q[0].remaining), ("per_day", 5));
}

#[tokio::test]
async fn exhausted_bucket_throttles_the_key_until_its_reset_and_sends_nothing() {
    // 2-minute tokens (usable 60 s), quota exhausted on the first response.
    let env = env_with(120, None, None).await;
    let client = env.client();
    env.faults(
        headers("b=per_hour;q=100;r=0;t=40,b=per_day;q=1000;r=0;t=900", None),
        false,
    );
    let first = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(env.requests(), 1);
    // A usable token keeps being served.
    let again = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(again.access_token(), first.access_token());
    // A forced fetch fails fast, until the latest reset, with no request.
    let e = client
        .fetch_token(&TokenRequest::default())
        .await
        .unwrap_err();
    match e.detail() {
        ErrorDetail::Throttled { retry_after } => {
            assert!(
                (Duration::from_secs(895)..=Duration::from_secs(900)).contains(retry_after),
                "{retry_after:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.code(), "throttled");
    assert_eq!(env.requests(), 1, "nothing sent while throttled");
    // Another key of the same client is its own key: it may still ask.
    client
        .get_token(&TokenRequest::default().audience("https://other.example"))
        .await
        .unwrap();
    assert_eq!(env.requests(), 2);
}

#[tokio::test]
async fn exhausted_throttle_is_shared_through_the_store() {
    let env = env().await;
    let dir = std::env::temp_dir().join(format!("m2m-quota-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("file://{}", dir.display());
    let one = env.builder().cache(url.clone()).build().unwrap();
    env.faults(headers("b=per_hour;q=10;r=0;t=600", None), false);
    one.get_token(&TokenRequest::default()).await.unwrap();
    // Another process (a client with its own memory cache) reads the
    // token, and a forced fetch there meets the shared throttle.
    let two = env.builder().cache(url).max_cache_keys(10).build().unwrap();
    two.get_token(&TokenRequest::default()).await.unwrap();
    let e = two.fetch_token(&TokenRequest::default()).await.unwrap_err();
    assert_eq!(e.code(), "throttled", "{e}");
    assert_eq!(env.requests(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn low_quota_refreshes_at_the_usable_point() {
    let env = env().await;
    let client = env.client();
    // 10 of 100 left: low (at most 10 %).
    env.faults(headers("b=per_hour;q=100;r=10;t=3000", None), false);
    let t = client.get_token(&TokenRequest::default()).await.unwrap();
    // Usable point: expiry minus the 60 s leeway.
    assert_eq!(
        t.refresh_at(),
        t.expires_at() - Duration::from_secs(60),
        "refresh point at the usable point"
    );
    // 11 left: not low, the ratio's point (0.75 of the hour).
    env.faults(headers("b=per_hour;q=100;r=11;t=3000", None), false);
    let t = client.fetch_token(&TokenRequest::default()).await.unwrap();
    let lifetime = t.expires_at().duration_since(t.refresh_at()).unwrap();
    assert!(
        (Duration::from_secs(899)..=Duration::from_secs(901)).contains(&lifetime),
        "{lifetime:?}"
    );
}

#[tokio::test]
async fn dev_server_counts_and_enforces_its_quota() {
    let mut c = ClientConfig::new("quota-client", "quota-secret");
    c.token_quota = Some(TokenQuota {
        per_hour: Some(2),
        per_day: Some(5),
        enforce: true,
    });
    let server = DevServer::start(ServerConfig::with_clients(vec![c]))
        .await
        .unwrap();
    let client = builder_for(&server, "quota-client")
        .client_secret("quota-secret")
        .build()
        .unwrap();
    let req = TokenRequest::default();
    client.get_token(&req).await.unwrap();
    let q = client.quota();
    let hour = q.iter().find(|b| b.bucket == "per_hour").unwrap();
    assert_eq!((hour.scope, hour.quota, hour.remaining), ("client", 2, 1));
    let day = q.iter().find(|b| b.bucket == "per_day").unwrap();
    assert_eq!((day.quota, day.remaining), (5, 4));
    // The second token spends the hour's last one: the key is throttled.
    client.fetch_token(&req).await.unwrap();
    assert_eq!(client.quota()[0].remaining, 0);
    let e = client.fetch_token(&req).await.unwrap_err();
    assert_eq!(e.code(), "throttled");
    assert_eq!(server.stats().token_requests, 2);
    // Another key asks, and the server refuses it: 429 too_many_requests,
    // the key then throttled too, without retries.
    let other = TokenRequest::default().audience("https://other.example");
    let e = client.get_token(&other).await.unwrap_err();
    assert!(
        matches!(e.detail(), ErrorDetail::OAuth { error, .. } if error == "too_many_requests"),
        "{e:?}"
    );
    assert_eq!(
        server.stats().token_requests,
        3,
        "no retry of a spent quota"
    );
    let e = client.get_token(&other).await.unwrap_err();
    assert_eq!(e.code(), "throttled");
    assert_eq!(server.stats().token_requests, 3);
}
