//! Mutual TLS (RFC 8705) against the dev server's https listener
//! (devserver/PROTOCOL.md, "Mutual TLS"): tls_client_auth with a
//! certificate from a client CA, self_signed_tls_client_auth with a
//! registered digest, refusals, a certificate with a secret method,
//! mtls_endpoint_aliases through discovery, and call_api presenting the
//! certificate a token is bound to. Certificates are made here with rcgen.

mod common;
#[path = "support/raw_https.rs"]
mod raw_https;

use common::*;
use m2m_auth::{AuthMethod, ErrorDetail, ErrorKind, TokenClient, TokenClientBuilder, TokenRequest};
use raw_https::raw_https;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::Value;

const DN: &str = "CN=mtls-client,O=m2m-auth tests";

/// A certificate (PEM), its key (PKCS#8 PEM) and its DER's SHA-256 (hex).
struct Cert {
    pem: String,
    key: String,
    sha256: String,
}

fn sha256_hex(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(vec![format!("{cn}.example")]).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "m2m-auth tests");
    p
}

fn self_signed(cn: &str) -> Cert {
    let key = KeyPair::generate().unwrap();
    let cert = params(cn).self_signed(&key).unwrap();
    Cert {
        pem: cert.pem(),
        key: key.serialize_pem(),
        sha256: sha256_hex(cert.der()),
    }
}

/// A client CA: its PEM and an issuer of client certificates.
fn client_ca() -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(DnType::CommonName, "m2m-auth test client CA");
    let pem = p.self_signed(&key).unwrap().pem();
    (pem, Issuer::new(p, key))
}

fn issued(issuer: &Issuer<'static, KeyPair>, cn: &str) -> Cert {
    let key = KeyPair::generate().unwrap();
    let cert = params(cn).signed_by(&key, issuer).unwrap();
    Cert {
        pem: cert.pem(),
        key: key.serialize_pem(),
        sha256: sha256_hex(cert.der()),
    }
}

/// A dev server with TLS, the client CA, and these clients.
async fn server(ca_pem: &str, clients: Vec<ClientConfig>) -> DevServer {
    let mut config = ServerConfig::with_clients(clients);
    config.tls = true;
    config.client_ca = Some(ca_pem.to_string());
    DevServer::start(config).await.unwrap()
}

/// A client of `server`'s mTLS token endpoint presenting `cert`.
fn builder(server: &DevServer, id: &str, cert: &Cert) -> TokenClientBuilder {
    TokenClient::builder()
        .token_url(server.mtls_token_url().unwrap())
        .client_id(id)
        .ca_certs(server.tls_ca_pem().unwrap().as_bytes().to_vec())
        .client_certificate(cert.pem.clone())
        .client_key(cert.key.clone())
        .no_proxy()
}

fn oauth_error(err: &m2m_auth::Error) -> (String, String) {
    match err.detail() {
        ErrorDetail::OAuth {
            error,
            error_description,
            ..
        } => (error.clone(), error_description.clone().unwrap_or_default()),
        other => panic!("an oauth error, not {other:?}"),
    }
}

/// The claims of a JWT, unverified.
fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn tls_client_auth_with_a_certificate_from_the_client_ca() {
    let (ca, issuer) = client_ca();
    let cert = issued(&issuer, "mtls-client");
    let srv = server(&ca, vec![ClientConfig::tls_client_auth("pki", DN)]).await;
    let client = builder(&srv, "pki", &cert).build().unwrap();
    assert_eq!(client.auth_method(), AuthMethod::TlsClientAuth);
    let token = client.get_token(&TokenRequest::default()).await.unwrap();
    let cnf = &claims(token.access_token())["cnf"]["x5t#S256"];
    assert!(cnf.is_string(), "a certificate-bound token");
    let requests = srv.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert!(r.tls, "the https listener");
    assert_eq!(r.client_certificate_sha256.as_deref(), Some(&*cert.sha256));
    assert_eq!(field(&r.body, "client_id").as_deref(), Some("pki"));
    assert!(field(&r.body, "client_secret").is_none());
    assert!(!format!("{requests:?}").contains("BEGIN"));
}

#[tokio::test]
async fn self_signed_tls_client_auth_with_a_registered_digest() {
    let cert = self_signed("self-signed");
    let (ca, _) = client_ca();
    let c = ClientConfig::self_signed_tls_client_auth("ss", cert.sha256.to_uppercase());
    let srv = server(&ca, vec![c]).await;
    let client = builder(&srv, "ss", &cert)
        .auth_method(AuthMethod::SelfSignedTlsClientAuth)
        .build()
        .unwrap();
    client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(srv.stats().token_requests, 1);
}

#[tokio::test]
async fn wrong_or_missing_certificates_are_invalid_client() {
    let (ca, issuer) = client_ca();
    let registered = self_signed("registered");
    let srv = server(
        &ca,
        vec![
            ClientConfig::tls_client_auth("pki", DN),
            ClientConfig::self_signed_tls_client_auth("ss", registered.sha256.clone()),
        ],
    )
    .await;
    let other_dn = issued(&issuer, "someone-else");
    let (_, foreign_issuer) = client_ca();
    let foreign = issued(&foreign_issuer, "mtls-client");
    let unregistered = self_signed("unregistered");
    let cases = [
        ("pki", &other_dn, "subject does not match"),
        ("pki", &foreign, "does not chain to the client CA"),
        ("ss", &unregistered, "not registered for this client"),
        ("nobody", &registered, "unknown client"),
    ];
    for (id, cert, want) in cases {
        let err = builder(&srv, id, cert)
            .build()
            .unwrap()
            .fetch_token(&TokenRequest::default())
            .await
            .unwrap_err();
        let (error, description) = oauth_error(&err);
        assert_eq!(error, "invalid_client", "{id}");
        assert!(description.contains(want), "{id}: {description}");
        assert!(!err.to_string().contains("PRIVATE"), "{err}");
    }
    // Over plain http no certificate can be presented.
    let err = builder(&srv, "ss", &registered)
        .token_url(srv.token_url())
        .build()
        .unwrap()
        .fetch_token(&TokenRequest::default())
        .await
        .unwrap_err();
    let (error, description) = oauth_error(&err);
    assert_eq!(error, "invalid_client");
    assert!(
        description.contains("certificate required"),
        "{description}"
    );
    // On https without a certificate (a raw request: the engine refuses a
    // TLS method without one at build).
    let (status, body) = raw_https(
        &srv,
        "POST /oauth/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        "grant_type=client_credentials&client_id=ss",
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("none was presented"), "{body}");
}

#[tokio::test]
async fn a_certificate_with_client_secret_post_gets_a_bound_token() {
    let cert = self_signed("secret-client");
    let (ca, _) = client_ca();
    let srv = server(&ca, vec![ClientConfig::new("sp", "sp-secret")]).await;
    let client = builder(&srv, "sp", &cert)
        .client_secret("sp-secret")
        .build()
        .unwrap();
    assert_eq!(client.auth_method(), AuthMethod::ClientSecretPost);
    let token = client.get_token(&TokenRequest::default()).await.unwrap();
    assert!(claims(token.access_token())["cnf"]["x5t#S256"].is_string());
    let r = &srv.requests()[0];
    assert_eq!(r.client_certificate_sha256.as_deref(), Some(&*cert.sha256));
    assert!(field(&r.body, "client_secret").is_some());
}

#[tokio::test]
async fn discovery_sends_a_certificate_client_to_the_mtls_alias() {
    let cert = self_signed("discovered");
    let (ca, _) = client_ca();
    let mut plain = ClientConfig::new("plain", "plain-secret");
    plain.tls_client_certificate_sha256 = Some(vec![cert.sha256.clone()]);
    let srv = server(&ca, vec![plain]).await;
    let with_cert = TokenClient::builder()
        .issuer(srv.issuer())
        .client_id("plain")
        .ca_certs(srv.tls_ca_pem().unwrap().as_bytes().to_vec())
        .client_certificate(cert.pem.clone())
        .client_key(cert.key.clone())
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(with_cert.auth_method(), AuthMethod::TlsClientAuth);
    let without = TokenClient::builder()
        .issuer(srv.issuer())
        .client_id("plain")
        .client_secret("plain-secret")
        .no_proxy()
        .build()
        .unwrap();
    // tls_client_auth by default; this client registered a digest only, so
    // the server accepts it as self-signed.
    with_cert.get_token(&TokenRequest::default()).await.unwrap();
    without.get_token(&TokenRequest::default()).await.unwrap();
    let requests = srv.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].tls, "the mtls_endpoint_aliases token endpoint");
    assert!(!requests[1].tls, "the plain token_endpoint");
}

#[tokio::test]
async fn call_api_presents_the_certificate_the_token_is_bound_to() {
    let (ca, issuer) = client_ca();
    let cert = issued(&issuer, "mtls-client");
    let srv = server(&ca, vec![ClientConfig::tls_client_auth("pki", DN)]).await;
    let client = builder(&srv, "pki", &cert).build().unwrap();
    let api = format!("{}/api", srv.https_url().unwrap());
    let answer = client
        .call_api(&TokenRequest::default(), "GET", &api, &[], None)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(answer.status, 200, "{body}");
    assert_eq!(body["client_certificate_sha256"], cert.sha256.as_str());
    // The same token without the certificate is refused.
    let token = client.get_token(&TokenRequest::default()).await.unwrap();
    let bearer = format!("Bearer {}", token.access_token());
    let (status, text) = raw_https(&srv, "GET /api", &[("authorization", &bearer)], "").await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("not presented"), "{text}");
}

#[tokio::test]
async fn a_shared_file_cache_seals_with_the_client_key() {
    let cert = self_signed("cached");
    let (ca, _) = client_ca();
    let srv = server(
        &ca,
        vec![ClientConfig::self_signed_tls_client_auth(
            "ss",
            cert.sha256.clone(),
        )],
    )
    .await;
    let dir = std::env::temp_dir().join(format!("m2m-mtls-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = format!("file:{}", dir.display());
    let a = builder(&srv, "ss", &cert)
        .cache(spec.clone())
        .build()
        .unwrap();
    let b = builder(&srv, "ss", &cert)
        .cache(spec)
        .memory_cache(m2m_auth::MemoryCache::new(10))
        .build()
        .unwrap();
    let first = a.get_token(&TokenRequest::default()).await.unwrap();
    let second = b.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(first.access_token(), second.access_token());
    assert_eq!(srv.stats().token_requests, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_configurations_are_config_errors_without_key_text() {
    let cert = self_signed("config");
    let other = self_signed("other");
    let base = || {
        TokenClient::builder()
            .token_url("https://127.0.0.1:1/oauth/token")
            .client_id("id")
    };
    let cases = [
        (
            base().auth_method_name("tls_client_auth"),
            "needs client_certificate",
        ),
        (base().client_certificate(cert.pem.clone()), "client_key"),
        (base().client_key(cert.key.clone()), "client_certificate"),
        (
            base()
                .client_certificate(cert.pem.clone())
                .client_key(other.key.clone()),
            "does not match",
        ),
        (
            base().client_certificate(cert.pem.clone()).client_key(
                "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
            ),
            "client_key",
        ),
        (
            base()
                .client_certificate(cert.pem.clone())
                .client_key(cert.key.clone())
                .private_key(cert.key.clone())
                .auth_method(AuthMethod::TlsClientAuth),
            "private_key is for",
        ),
    ];
    for (b, want) in cases {
        let err = b.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
        let text = err.to_string();
        assert!(text.contains(want), "{text} should say {want:?}");
        for line in other
            .key
            .lines()
            .chain(cert.key.lines())
            .filter(|l| l.len() > 20)
        {
            assert!(!text.contains(line), "{text}");
        }
    }
}
