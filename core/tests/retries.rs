//! docs/design.md §5: what is retried, backoff inside the deadline, Retry-After and
//! throttling per key.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::*;
use m2m_auth::{ErrorDetail, ErrorKind, TokenRequest, TransportKind};
use serde_json::json;

#[tokio::test]
async fn two_503s_then_200_is_three_requests_and_a_token() {
    let env = env().await;
    env.faults(json!([{"status": 503, "count": 2}]), false);
    env.client()
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    assert_eq!(env.requests(), 3);
}

#[tokio::test]
async fn endless_503_fails_after_three_and_throttles_only_that_key() {
    let env = env().await;
    env.faults(json!([{"status": 503, "body": "down"}]), true);
    let client = env.client();
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err.detail(), ErrorDetail::Http { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(env.requests(), 3);
    // Throttled for 5 s: no I/O.
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    match err.into_detail() {
        ErrorDetail::Throttled { retry_after } => assert!(retry_after <= Duration::from_secs(5)),
        e => panic!("expected throttled, got {e:?}"),
    }
    assert_eq!(env.requests(), 3);
    // Another key is not throttled.
    env.server.clear_faults(Target::Token);
    client
        .get_token(&TokenRequest::new().audience("https://other"))
        .await
        .unwrap();
    assert_eq!(env.requests(), 4);
}

#[tokio::test]
async fn every_retryable_class_is_retried() {
    for step in [
        json!({"status": 408}),
        json!({"status": 429}),
        json!({"status": 500}),
        json!({"status": 502}),
        json!({"status": 504}),
        json!({"status": 400, "json": {"error": "temporarily_unavailable"}}),
        json!({"status": 400, "json": {"error": "server_error"}}),
        json!({"reset": true}),
    ] {
        let env = env().await;
        env.faults(json!([step.clone()]), false);
        env.client()
            .get_token(&TokenRequest::default())
            .await
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        assert_eq!(env.requests(), 2, "{step}");
    }
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for (step, code) in [
        (
            json!({"status": 400, "json": {"error": "invalid_request"}}),
            ErrorKind::OAuth,
        ),
        (
            json!({"status": 401, "json": {"error": "unauthorized_client"}}),
            ErrorKind::OAuth,
        ),
        (
            json!({"status": 400, "json": {"error": "invalid_scope"}}),
            ErrorKind::OAuth,
        ),
        (json!({"status": 403, "body": "forbidden"}), ErrorKind::Http),
        (json!({"status": 404}), ErrorKind::Http),
        (
            json!({"status": 200, "body": "not json"}),
            ErrorKind::InvalidResponse,
        ),
    ] {
        let env = env().await;
        env.faults(json!([step.clone()]), true);
        let err = env
            .client()
            .get_token(&TokenRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), code, "{step}");
        assert_eq!(env.requests(), 1, "{step}");
    }
}

#[tokio::test]
async fn invalid_client_is_one_request_and_an_oauth_error_with_its_fields() {
    let env = env().await;
    env.faults(
        json!([{"status": 400, "json": {"error": "invalid_client",
            "error_description": "Client authentication failed", "error_uri": "https://err.example/ic"}}]),
        false,
    );
    let err = env
        .client()
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        *err.detail(),
        ErrorDetail::OAuth {
            error: "invalid_client".into(),
            error_description: Some("Client authentication failed".into()),
            error_uri: Some("https://err.example/ic".into()),
            status: 400,
        }
    );
    assert_eq!(err.code(), "oauth");
    assert_eq!(env.requests(), 1);
    // The real server's answer to a wrong secret.
    let wrong = env.builder().client_secret("nope").build().unwrap();
    let err = wrong.get_token(&TokenRequest::default()).await.unwrap_err();
    assert!(
        matches!(err.detail(), ErrorDetail::OAuth { error, status: 401, .. } if error == "invalid_client"),
        "{err:?}"
    );
}

#[tokio::test]
async fn short_retry_after_is_honoured() {
    let env = env().await;
    env.faults(
        json!([{"status": 429, "headers": {"Retry-After": "1"}}]),
        false,
    );
    let started = Instant::now();
    env.client()
        .get_token(&TokenRequest::default())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(env.requests(), 2);
}

#[tokio::test]
async fn long_retry_after_throttles_the_key_capped_at_an_hour() {
    let env = env().await;
    env.faults(
        json!([{"status": 429, "headers": {"Retry-After": "999999"}}]),
        false,
    );
    let client = env.client();
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err.detail(), ErrorDetail::Http { status: 429, .. }),
        "{err:?}"
    );
    match client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err()
        .into_detail()
    {
        ErrorDetail::Throttled { retry_after } => {
            assert!(
                retry_after <= Duration::from_secs(3600) && retry_after > Duration::from_secs(3590)
            )
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(env.requests(), 1);
    client
        .get_token(&TokenRequest::new().scope(["other"]))
        .await
        .unwrap();
    assert_eq!(env.requests(), 2, "other keys are unaffected");
}

#[tokio::test]
async fn retry_after_as_an_http_date() {
    let env = env().await;
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
    env.faults(
        json!([{"status": 503, "headers": {"Retry-After": date}}]),
        false,
    );
    let client = env.client();
    client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    match client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err()
        .into_detail()
    {
        ErrorDetail::Throttled { retry_after } => {
            assert!(
                retry_after > Duration::from_secs(100) && retry_after <= Duration::from_secs(121)
            )
        }
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn throttled_key_keeps_serving_its_usable_token() {
    let env = env_with(4, None, None).await;
    let client = env
        .builder()
        .leeway(Duration::from_secs(1))
        .refresh_ratio(0.25)
        .build()
        .unwrap();
    let first = client.get_token(&TokenRequest::default()).await.unwrap();
    env.faults(
        json!([{"status": 429, "headers": {"Retry-After": "600"}}]),
        true,
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..20 {
        let t = client.get_token(&TokenRequest::default()).await.unwrap();
        assert_eq!(t.access_token(), first.access_token());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(env.requests(), 2, "one refresh attempt, then throttled");
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    let env = env().await;
    env.faults(json!([{"delay_ms": 5000}]), true);
    let client = env
        .builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.detail(),
            ErrorDetail::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(1500));
    // A stall in the middle of the body too.
    env.faults(json!([{"stall_after_bytes": 10, "stall_ms": 5000}]), true);
    let err = client
        .get_token(&TokenRequest::new().audience("https://x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.detail(),
            ErrorDetail::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn backoff_stays_inside_the_deadline() {
    let env = env().await;
    env.faults(json!([{"status": 503}]), true);
    let client = env
        .builder()
        .timeout(Duration::from_millis(700))
        .retry_policy(m2m_auth::RetryPolicy {
            base_delay: Duration::from_millis(500),
            max_attempts: 5,
            ..Default::default()
        })
        .build()
        .unwrap();
    let started = Instant::now();
    client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(env.requests(), 2, "the third attempt would not fit");
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_the_attempts() {
    let client = m2m_auth::TokenClient::builder()
        .token_url("http://127.0.0.1:9/oauth/token")
        .client_id("x")
        .client_secret("y")
        .no_proxy()
        .retry_policy(fast_retry())
        .build()
        .unwrap();
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.detail(),
            ErrorDetail::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(client.stats().failures, 1);
}
