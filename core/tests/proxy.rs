//! docs/design.md §1 (`proxy`), §7: a proxy never sees loopback traffic nor
//! an `http://` request (it would read the client secret in clear). The
//! proxy here is the explicit option; tests/proxy_env.rs covers the
//! environment variables in a binary of its own.

mod common;
#[path = "support/https.rs"]
mod https;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use common::env;
use m2m_auth::{ErrorKind, TokenClient, TokenRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A proxy on 127.0.0.1 that counts connections and answers each with 502.
async fn counting_proxy() -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicU32::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tcp.read(&mut buf).await;
                let _ = tcp
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn token_requests_to_loopback_http_never_go_through_the_explicit_proxy() {
    let env = env().await;
    let (proxy, seen) = counting_proxy().await;
    let by_ip = env.server.token_url();
    let by_name = by_ip.replace("127.0.0.1", "localhost");
    assert_ne!(by_ip, by_name);
    for url in [by_ip, by_name] {
        let client = env.builder().token_url(&url).proxy(&proxy).build().unwrap();
        let token = client.get_token(&TokenRequest::default()).await;
        assert!(token.is_ok(), "{url}: {:?}", token.err());
    }
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the proxy saw a request");
    assert_eq!(env.requests(), 2);
}

#[tokio::test]
async fn api_calls_to_loopback_never_go_through_the_explicit_proxy() {
    let env = env().await;
    let (proxy, seen) = counting_proxy().await;
    let client = env.builder().proxy(&proxy).build().unwrap();
    let api = env.server.api_url();
    let answer = client
        .call_api(&TokenRequest::default(), "GET", &api, &[], None)
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the proxy saw a request");
}

#[tokio::test]
async fn https_to_loopback_never_goes_through_the_explicit_proxy() {
    let server = https::start().await;
    let (proxy, seen) = counting_proxy().await;
    let client = TokenClient::builder()
        .token_url(&server.url)
        .client_id("proxy-client")
        .client_secret("proxy-secret")
        .ca_certs(server.ca_pem.clone().into_bytes())
        .proxy(&proxy)
        .build()
        .unwrap();
    let token = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(token.access_token(), "tls-token");
    assert_eq!(server.served(), 1);
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the proxy saw a request");
}

/// The control: an https URL to any other host does use the proxy (it gets
/// the proxy's CONNECT refusal, and no name is looked up or reached).
#[tokio::test]
async fn https_to_another_host_goes_through_the_explicit_proxy() {
    let (proxy, seen) = counting_proxy().await;
    let client = TokenClient::builder()
        .token_url("https://auth.example.invalid/oauth/token")
        .client_id("proxy-client")
        .client_secret("proxy-secret")
        .proxy(&proxy)
        .retry_policy(common::fast_retry())
        .build()
        .unwrap();
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(seen.load(Ordering::SeqCst) >= 1, "the proxy was bypassed");
}
