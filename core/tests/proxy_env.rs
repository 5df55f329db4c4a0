//! docs/design.md §1 (`proxy`), §7, with the proxy named by the environment
//! (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`): loopback and `http://`
//! requests never go through it. One test in its own binary, because it sets
//! process environment variables before any other thread runs.

mod common;
#[path = "support/https.rs"]
mod https;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use m2m_auth::{ErrorKind, TokenClient, TokenRequest};

/// A proxy on 127.0.0.1 (a thread of its own) that counts connections and
/// answers each with 502.
fn counting_proxy() -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicU32::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = tcp.read(&mut buf);
            let _ = tcp.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (url, seen)
}

#[test]
fn the_environment_proxy_never_sees_loopback_or_http_requests() {
    let (proxy, seen) = counting_proxy();
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
    ] {
        std::env::set_var(name, &proxy);
    }
    for name in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
        std::env::remove_var(name);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let env = common::env().await;
        let by_ip = env.server.token_url();
        let by_name = by_ip.replace("127.0.0.1", "localhost");
        for url in [by_ip, by_name] {
            // No `no_proxy()`: the environment's proxy applies.
            let client = TokenClient::builder()
                .token_url(&url)
                .client_id(env.client_id.clone())
                .client_secret(env.secret.clone())
                .build()
                .unwrap();
            let token = client.get_token(&TokenRequest::default()).await;
            assert!(token.is_ok(), "{url}: {:?}", token.err());
            let api = common::call_get(&client, &env.server.api_url()).await;
            assert_eq!(api.status, 200);
        }
        assert_eq!(env.requests(), 2);

        let server = https::start().await;
        let client = TokenClient::builder()
            .token_url(&server.url)
            .client_id("proxy-client")
            .client_secret("proxy-secret")
            .ca_certs(server.ca_pem.clone().into_bytes())
            .build()
            .unwrap();
        client.get_token(&TokenRequest::default()).await.unwrap();
        assert_eq!(seen.load(Ordering::SeqCst), 0, "the proxy saw a request");

        // The control: the variables are read, for https to other hosts.
        let client = TokenClient::builder()
            .token_url("https://auth.example.invalid/oauth/token")
            .client_id("proxy-client")
            .client_secret("proxy-secret")
            .retry_policy(common::fast_retry())
            .build()
            .unwrap();
        let err = client
            .get_token(&TokenRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
        assert!(seen.load(Ordering::SeqCst) >= 1, "the proxy was bypassed");
    });
}
