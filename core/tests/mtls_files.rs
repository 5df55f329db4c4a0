//! Mutual TLS with the checked-in fixtures of `core/tests/mtls_keys`
//! (made by `tests/mtls/make-certs.sh`, shared with the other languages'
//! tests): certificate and key files in every key format, a client CA given
//! to the dev server, a subject DN, a DNS name, a registered digest.

mod common;

use common::*;
use m2m_auth::{TokenClient, TokenRequest};

fn fixture(name: &str) -> String {
    format!("{}/tests/mtls_keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

#[tokio::test]
async fn fixture_certificates_authenticate_from_files() {
    let mut by_san = ClientConfig::new("by-san", "");
    by_san.auth_methods = Some(vec!["tls_client_auth".into()]);
    by_san.tls_client_auth_san_dns = Some("MTLS-client.example".into());
    let clients = vec![
        ClientConfig::tls_client_auth("by-dn", "CN=rsa-client, O=m2m-auth tests"),
        by_san,
        ClientConfig::self_signed_tls_client_auth("self", read("self-signed.sha256").trim()),
    ];
    let mut config = ServerConfig::with_clients(clients);
    config.client_ca = Some(read("client-ca.pem"));
    let srv = DevServer::start(config).await.unwrap();
    let cases = [
        ("by-dn", "rsa-client.pem", "rsa-client.pkcs1.key"),
        ("by-san", "client.pem", "client.sec1.key"),
        ("by-san", "client.pem", "client.key"),
        ("self", "self-signed.pem", "self-signed.key"),
    ];
    for (id, cert, key) in cases {
        let client = TokenClient::builder()
            .token_url(srv.mtls_token_url().unwrap())
            .client_id(id)
            .ca_certs(srv.tls_ca_pem().unwrap().as_bytes().to_vec())
            .client_certificate_file(fixture(cert))
            .client_key_file(fixture(key))
            .no_proxy()
            .build()
            .unwrap_or_else(|e| panic!("{id} {key}: {e}"));
        client
            .fetch_token(&TokenRequest::default())
            .await
            .unwrap_or_else(|e| panic!("{id} {cert}: {e}"));
    }
    let err = TokenClient::builder()
        .token_url(srv.mtls_token_url().unwrap())
        .client_id("self")
        .ca_certs(srv.tls_ca_pem().unwrap().as_bytes().to_vec())
        .client_certificate_file(fixture("other.pem"))
        .client_key_file(fixture("other.key"))
        .no_proxy()
        .build()
        .unwrap()
        .fetch_token(&TokenRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "oauth", "{err}");
    // A key file of another certificate: refused at build, the file named.
    let err = TokenClient::builder()
        .token_url(srv.mtls_token_url().unwrap())
        .client_id("self")
        .client_certificate_file(fixture("self-signed.pem"))
        .client_key_file(fixture("other.key"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("other.key"), "{err}");
}
