//! docs/design.md §7: TLS by rustls; certificates are verified against the OS trust
//! store, extra CAs only through the explicit option, and an untrusted
//! certificate is a `tls` transport error that is not retried.

#[path = "support/https.rs"]
mod https;

use m2m_auth::{ErrorDetail, TokenClient, TokenRequest, TransportKind};

/// A one-route HTTPS token endpoint with a fresh self-signed certificate
/// for `localhost`: its URL, the CA PEM, and the server (for its count of
/// completed TLS handshakes).
async fn https_token_server() -> (String, String, https::HttpsServer) {
    let server = https::start().await;
    (server.url.clone(), server.ca_pem.clone(), server)
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
    assert_eq!(served.served(), 0, "no handshake completed");
}

#[tokio::test]
async fn an_explicit_extra_ca_is_trusted() {
    let (url, pem, served) = https_token_server().await;
    let client = builder(&url).ca_certs(pem.into_bytes()).build().unwrap();
    let token = client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(token.access_token(), "tls-token");
    assert_eq!(served.served(), 1);
}

#[test]
fn a_bad_ca_pem_is_a_config_error() {
    let err = builder("https://localhost/t")
        .ca_certs(b"not a pem".to_vec())
        .build();
    assert_eq!(err.unwrap_err().code(), "config");
}
