//! Mutual TLS with the checked-in fixtures of `core/tests/mtls_keys`
//! (made by `core/tests/mtls_keys/make-certs.sh`, shared with the other languages'
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

/// The SHA-256 (hex) of a PEM certificate's DER.
fn digest(pem: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    ring::digest::digest(&ring::digest::SHA256, der.as_ref())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Replaces `path` by a new file (a new inode, as a rotation does).
fn rotate(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[tokio::test]
async fn rotated_certificate_files_are_presented_from_the_next_request_on() {
    let (first, second) = (read("self-signed.pem"), read("other.pem"));
    let client = ClientConfig {
        tls_client_certificate_sha256: Some(vec![digest(&first), digest(&second)]),
        ..ClientConfig::self_signed_tls_client_auth("rot", digest(&first))
    };
    let mut config = ServerConfig::with_clients(vec![client]);
    config.tls = true;
    let srv = DevServer::start(config).await.unwrap();
    let dir = std::env::temp_dir().join(format!("m2m-mtls-rotate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    rotate(&cert, &first);
    rotate(&key, &read("self-signed.key"));
    let client = TokenClient::builder()
        .token_url(srv.mtls_token_url().unwrap())
        .client_id("rot")
        .ca_certs(srv.tls_ca_pem().unwrap().as_bytes().to_vec())
        .client_certificate_file(cert.to_str().unwrap())
        .client_key_file(key.to_str().unwrap())
        .no_proxy()
        .build()
        .unwrap();
    let request = TokenRequest::default();
    client.fetch_token(&request).await.unwrap();
    rotate(&cert, &second);
    rotate(&key, &read("other.key"));
    client.fetch_token(&request).await.unwrap();
    // Half a rotation (a certificate without its key): that request fails
    // as config, naming the file; the cached token is still served.
    rotate(&cert, &first);
    let err = client.fetch_token(&request).await.unwrap_err();
    assert_eq!(err.code(), "config", "{err}");
    assert!(err.to_string().contains("does not match"), "{err}");
    assert!(!err.to_string().contains("PRIVATE KEY"), "{err}");
    client.get_token(&request).await.unwrap();
    rotate(&key, &read("self-signed.key"));
    client.fetch_token(&request).await.unwrap();
    let seen: Vec<String> = srv
        .requests()
        .iter()
        .map(|r| r.client_certificate_sha256.clone().unwrap())
        .collect();
    assert_eq!(seen, [digest(&first), digest(&second), digest(&first)]);
    std::fs::remove_dir_all(&dir).unwrap();
}
