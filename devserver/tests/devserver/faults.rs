//! Fault scripts on the token endpoint: statuses, headers, counts, repeat,
//! token overrides, redirects, delays, resets, sized and endless bodies,
//! stalls.

use std::io;
use std::time::{Duration, Instant};

use m2m_auth_devserver::{FaultStep, Target};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{demo_token, parse, raw_request, start, FORM};

#[tokio::test]
async fn fault_status_headers_count_and_repeat() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.set_faults(
        Target::Token,
        vec![
            FaultStep::status_json(503, json!({"error": "temporarily_unavailable"}))
                .header("Retry-After", "2")
                .times(2),
            FaultStep {
                status: Some(500),
                body: Some("<html>oops</html>".into()),
                ..Default::default()
            },
        ],
        false,
    );
    for _ in 0..2 {
        let r = demo_token(addr).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.header("retry-after"), Some("2"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.json()["error"], "temporarily_unavailable");
    }
    let r = demo_token(addr).await;
    assert_eq!((r.status, &r.body[..]), (500, &b"<html>oops</html>"[..]));
    assert_eq!(
        demo_token(addr).await.status,
        200,
        "script exhausted → normal"
    );

    srv.set_faults(
        Target::Token,
        vec![FaultStep::status(500), FaultStep::status(429)],
        true,
    );
    assert_eq!(demo_token(addr).await.status, 500);
    for _ in 0..3 {
        assert_eq!(demo_token(addr).await.status, 429);
    }
    srv.clear_faults(Target::Token);
    assert_eq!(demo_token(addr).await.status, 200);
    assert_eq!(srv.stats().token_requests, 9);
}

#[tokio::test]
async fn fault_token_override_remove_and_redirect() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.set_faults(
        Target::Token,
        vec![
            FaultStep::token(json!({"expires_in": "3600", "token_type": "mac"})),
            FaultStep::token(json!({"access_token": null})),
            FaultStep::remove(["expires_in"]),
            FaultStep::redirect("http://127.0.0.1:1/elsewhere"),
            FaultStep {
                redirect: Some("/x".into()),
                status: Some(307),
                ..Default::default()
            },
        ],
        false,
    );
    let j = demo_token(addr).await.json();
    assert_eq!(
        (j["expires_in"].as_str(), j["token_type"].as_str()),
        (Some("3600"), Some("mac"))
    );
    assert!(j["access_token"].is_string());
    let j = demo_token(addr).await.json();
    assert!(j["access_token"].is_null() && j.get("access_token").is_some());
    let j = demo_token(addr).await.json();
    assert!(j.get("expires_in").is_none() && j["access_token"].is_string());
    let r = demo_token(addr).await;
    assert_eq!(
        (r.status, r.header("location")),
        (302, Some("http://127.0.0.1:1/elsewhere"))
    );
    let r = demo_token(addr).await;
    assert_eq!((r.status, r.header("location")), (307, Some("/x")));
}

#[tokio::test]
async fn fault_delay_reset_body_bytes() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.set_faults(
        Target::Token,
        vec![
            FaultStep::delay(200),
            FaultStep::reset(),
            FaultStep {
                body_bytes: Some(100_000),
                ..Default::default()
            },
            FaultStep {
                body_bytes: Some(5),
                status: Some(502),
                ..Default::default()
            },
        ],
        false,
    );
    let t = Instant::now();
    assert_eq!(demo_token(addr).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));

    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&raw_request(
        "POST",
        "/oauth/token",
        &[FORM],
        b"grant_type=client_credentials",
    ))
    .await
    .unwrap();
    let mut buf = Vec::new();
    let err = s
        .read_to_end(&mut buf)
        .await
        .expect_err("reset must not look like a clean close");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert!(buf.is_empty());

    let r = demo_token(addr).await;
    assert_eq!((r.status, r.body.len()), (200, 100_000));
    assert_eq!(r.header("content-length"), Some("100000"));
    assert!(r.body.starts_with(br#"{"access_token":"aaa"#));
    let r = demo_token(addr).await;
    assert_eq!((r.status, &r.body[..]), (502, &br#"{"acc"#[..]));
    assert_eq!(srv.stats().token_requests, 4);
}

#[tokio::test]
async fn fault_endless_and_stall() {
    let srv = start().await;
    let addr = srv.local_addr();
    srv.set_faults(
        Target::Token,
        vec![
            FaultStep {
                endless: true,
                ..Default::default()
            },
            FaultStep {
                stall_after_bytes: Some(10),
                stall_ms: Some(300),
                ..Default::default()
            },
        ],
        false,
    );
    // Endless: read 4 MiB, then hang up; the server must carry on.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&raw_request("POST", "/oauth/token", &[FORM], b""))
        .await
        .unwrap();
    let mut total = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    while total < 4 << 20 {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "endless body ended");
        total += n;
    }
    drop(s);

    // Stall: headers + 10 bytes arrive at once, the rest ≥ 300 ms later.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&raw_request(
        "POST",
        "/oauth/token",
        &[FORM],
        b"grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
    ))
    .await
    .unwrap();
    let start = Instant::now();
    let mut raw = Vec::new();
    let mut first_part_at = None;
    loop {
        let n = s.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if first_part_at.is_none() {
            if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                if raw.len() - (p + 4) >= 10 {
                    first_part_at = Some(start.elapsed());
                    assert_eq!(raw.len() - (p + 4), 10, "exactly 10 bytes before the stall");
                }
            }
        }
    }
    let done = start.elapsed();
    let first = first_part_at.expect("got the first bytes");
    assert!(
        first < Duration::from_millis(250),
        "first part took {first:?}"
    );
    assert!(
        done - first >= Duration::from_millis(250),
        "stall too short: {:?}",
        done - first
    );
    let r = parse(&raw);
    assert_eq!(r.status, 200);
    assert!(r.json()["access_token"].is_string());
}
