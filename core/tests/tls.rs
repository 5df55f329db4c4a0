//! docs/design.md §7: TLS by rustls; certificates are verified against the OS trust
//! store, extra CAs only through the explicit option, and an untrusted
//! certificate is a `tls` transport error that is not retried.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use m2m_auth::{ErrorDetail, TokenClient, TokenRequest, TransportKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A one-route HTTPS token endpoint on 127.0.0.1 with a fresh self-signed
/// certificate for `localhost`; returns its URL, the CA PEM and a counter of
/// TLS handshakes that completed.
async fn https_token_server() -> (String, String, Arc<AtomicU32>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let pem = cert.cert.pem();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(AtomicU32::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let count = count.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let mut buf = vec![0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let body =
                    r#"{"access_token":"tls-token","token_type":"Bearer","expires_in":3600}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://localhost:{port}/oauth/token"), pem, served)
}

fn builder(url: &str) -> m2m_auth::TokenClientBuilder {
    TokenClient::builder()
        .token_url(url)
        .client_id("tls-client")
        .client_secret("tls-secret")
        .no_proxy()
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error_and_not_retried() {
    let (url, _pem, served) = https_token_server().await;
    let err = builder(&url)
        .build()
        .unwrap()
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.detail(),
            ErrorDetail::Transport {
                kind: TransportKind::Tls,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(served.load(Ordering::SeqCst), 0, "no handshake completed");
}

#[tokio::test]
async fn an_explicit_extra_ca_is_trusted() {
    let (url, pem, served) = https_token_server().await;
    let client = builder(&url).ca_certs(pem.into_bytes()).build().unwrap();
    let token = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(token.access_token(), "tls-token");
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

#[test]
fn a_bad_ca_pem_is_a_config_error() {
    let err = builder("https://localhost/t")
        .ca_certs(b"not a pem".to_vec())
        .build();
    assert_eq!(err.unwrap_err().code(), "config");
}
