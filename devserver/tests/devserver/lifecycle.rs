//! The server as a whole: 2,000 concurrent clients with cheap tokens, the
//! startup line and shutdown, configuration from JSON.

use std::time::{Duration, Instant};

use m2m_auth_devserver::{ClientConfig, DevServer, FaultStep, ServerConfig, Target};
use serde_json::Value;

use crate::support::{demo_token, http, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_clients_with_cheap_tokens() {
    let srv = DevServer::start(ServerConfig {
        cheap_tokens: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let addr = srv.local_addr();
    srv.set_faults(Target::Token, vec![FaultStep::delay(200)], false);
    let t = Instant::now();
    let tasks: Vec<_> = (0..2000)
        .map(|_| tokio::spawn(async move { demo_token(addr).await }))
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 200);
        tokens.insert(r.json()["access_token"].as_str().unwrap().to_owned());
    }
    assert!(
        tokens.len() <= 2,
        "cheap tokens are reused, got {}",
        tokens.len()
    );
    assert_eq!(srv.stats().token_requests, 2000);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let srv = start().await;
    let addr = srv.local_addr();
    assert_eq!(demo_token(addr).await.status, 200);
    let line: Value = serde_json::from_str(&srv.startup_line()).unwrap();
    assert_eq!(line["token_url"], srv.token_url());
    assert_eq!(line["control_url"], srv.control_url());
    drop(srv);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(http(addr, "GET", "/api", &[], b"").await.is_err());
}

#[test]
fn server_config_from_json() {
    let c = ServerConfig::from_json(
        r#"{"clients":[{"client_id":"x","client_secret":"y","scopes":["a"]}]}"#,
    )
    .unwrap();
    assert_eq!(c.clients[0].scopes, Some(vec!["a".to_owned()]));
    assert!(ServerConfig::from_json(
        r#"{"clients":[{"client_id":"x","client_secret":"y","scope":["a"]}]}"#
    )
    .is_err());
    assert!(ServerConfig::from_json(
        r#"{"clients":[{"client_id":"x","client_secret":"y","auth_methods":["private_key_jwt"]}]}"#
    )
    .is_err());
    assert_eq!(ServerConfig::default().clients, vec![ClientConfig::demo()]);
}
