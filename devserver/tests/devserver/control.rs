//! The control API over HTTP: clients, faults per target, stats, recorded
//! requests, reset, and the token endpoint's body limit.

use serde_json::json;

use m2m_auth_devserver::secret_fingerprint;

use crate::support::{control, demo_token, http, post_form, start, FORM};

#[tokio::test]
async fn control_api_over_http() {
    let srv = start().await;
    let addr = srv.local_addr();
    let srv = &srv;
    let ctl = |m: &'static str, p: &'static str, b: &'static str| control(srv, m, p, b);
    assert_eq!(
        ctl(
            "POST",
            "/_control/clients",
            r#"{"client_id":"c2","client_secret":"s2","token_lifetime":60}"#
        )
        .await
        .status,
        200
    );
    let r = post_form(
        addr,
        "grant_type=client_credentials&client_id=c2&client_secret=s2",
    )
    .await;
    assert_eq!(r.json()["expires_in"], 60);

    let r = ctl(
        "POST",
        "/_control/faults?target=api",
        r#"{"steps":[{"status":500,"headers":{"Retry-After":1}}],"repeat_last":true}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        http(addr, "GET", "/api", &[], b"").await.unwrap().status,
        500
    );
    assert_eq!(
        http(addr, "GET", "/api", &[], b"")
            .await
            .unwrap()
            .header("retry-after"),
        Some("1")
    );
    assert_eq!(
        demo_token(addr).await.status,
        200,
        "token endpoint unaffected"
    );
    assert_eq!(
        ctl("DELETE", "/_control/faults?target=api", "")
            .await
            .status,
        200
    );
    assert_eq!(
        http(addr, "GET", "/api", &[], b"").await.unwrap().status,
        401
    );

    assert_eq!(
        ctl("POST", "/_control/faults", r#"{"steps":[{"stauts":500}]}"#)
            .await
            .status,
        400
    );
    assert_eq!(
        ctl("POST", "/_control/faults?target=nope", r#"{"steps":[]}"#)
            .await
            .status,
        400
    );
    assert_eq!(
        ctl("POST", "/_control/faults", r#"{"steps":[{"status":503}]}"#)
            .await
            .status,
        200
    );
    assert_eq!(demo_token(addr).await.status, 503);

    let stats = ctl("GET", "/_control/stats", "").await.json();
    assert_eq!(
        stats,
        json!({"token_requests": 3, "api_requests": 3, "discovery_requests": 0, "jwks_requests": 0,
            "dpop_token_requests": 0, "dpop_nonce_token_requests": 0, "dpop_api_requests": 0})
    );
    let reqs = ctl("GET", "/_control/requests", "").await.json();
    let reqs = reqs.as_array().unwrap();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0]["method"], "POST");
    assert_eq!(reqs[0]["path"], "/oauth/token");
    assert_eq!(
        reqs[0]["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        reqs[0]["body"],
        format!(
            "grant_type=client_credentials&client_id=c2&client_secret={}",
            secret_fingerprint("s2")
        )
    );
    assert_eq!(srv.requests().len(), 3);

    assert_eq!(ctl("POST", "/_control/reset", "").await.status, 200);
    assert_eq!(srv.stats(), Default::default());
    assert!(srv.requests().is_empty());
    assert_eq!(demo_token(addr).await.status, 200, "faults cleared");
    let r = post_form(
        addr,
        "grant_type=client_credentials&client_id=c2&client_secret=s2",
    )
    .await;
    assert_eq!(r.status, 200, "clients survive reset");

    // Oversized token request → 413 (still counted).
    let big = vec![b'a'; (1 << 20) + 1];
    let r = http(addr, "POST", "/oauth/token", &[FORM], &big)
        .await
        .unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(srv.stats().token_requests, 3);
}
