//! Mutual TLS (RFC 8705) interop with a real authorization server:
//! oidc-provider's https listener (`tests/interop/README.md`, "The https
//! listener"), with the certificates of `tests/mtls/` named in
//! `tests/interop/clients.json` (`mtls_clients`,
//! `mtls_refused_certificates`). Every client starts from the http issuer:
//! the engine must find `mtls_endpoint_aliases.token_endpoint` through
//! discovery and trust the server CA (`ca_file`). The plain http token
//! endpoint refuses these clients (they are registered with bound tokens,
//! and no certificate reaches it), so a token proves the alias was used.
//!
//! `#[ignore]`d like `interop.rs` (Node.js and `tests/interop/node_modules`
//! needed); `scripts/test-interop.sh` runs both with `--include-ignored`.

#[path = "support/oidc_provider.rs"]
mod oidc_provider;

use std::future::Future;
use std::sync::OnceLock;

use base64::Engine as _;
use m2m_auth::{
    ErrorDetail, ErrorKind, MemoryCache, TokenClient, TokenClientBuilder, TokenRequest,
};
use oidc_provider::{config, jwt_parts, provider};
use serde_json::Value;

/// Runs a test on the one runtime of this binary. Not `#[tokio::test]` (a
/// runtime per test): clients with the same transport settings share the
/// process's connection pool, and a connection opened on a test's runtime
/// dies with it ("dispatch task is gone") while still pooled for the next
/// test's client.
fn run<F: Future>(test: F) -> F::Output {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
    .block_on(test)
}

/// The `mtls_clients` entry whose method is `method`.
fn mtls_client(method: &str) -> Value {
    config()["mtls_clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["token_endpoint_auth_method"] == method)
        .unwrap_or_else(|| panic!("clients.json has no {method} client"))
        .clone()
}

/// A fixture of `certs_dir` by its clients.json name.
fn fixture(name: &str) -> String {
    provider().certs_dir.join(name).display().to_string()
}

/// A client of `id` with `method`, from the http issuer through discovery,
/// presenting the certificate (chain) file `cert` with the key file `key`.
fn tls_client(id: &str, method: &str, cert: &str, key: &str) -> TokenClient {
    tls_builder(id, method, cert, key)
        .build()
        .unwrap_or_else(|e| panic!("{id} with {cert} + {key}: {e}"))
}

fn tls_builder(id: &str, method: &str, cert: &str, key: &str) -> TokenClientBuilder {
    let p = provider();
    let ca = std::fs::read(&p.ca_file)
        .unwrap_or_else(|e| panic!("server CA {}: {e}", p.ca_file.display()));
    TokenClient::builder()
        .issuer(p.issuer.clone())
        .client_id(id)
        .auth_method_name(method)
        .ca_certs(ca)
        .client_certificate_file(fixture(cert))
        .client_key_file(fixture(key))
        .resource([config()["resource"].as_str().unwrap().to_string()])
        .no_proxy()
}

/// The base64url SHA-256 of the DER of the first certificate of a PEM file
/// (the leaf of a chain): RFC 8705's `x5t#S256`, computed here with ring.
fn leaf_thumbprint(pem_file: &str) -> String {
    let pem = std::fs::read_to_string(fixture(pem_file)).unwrap();
    let body: String = pem
        .lines()
        .skip_while(|l| *l != "-----BEGIN CERTIFICATE-----")
        .skip(1)
        .take_while(|l| *l != "-----END CERTIFICATE-----")
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM base64");
    let digest = ring::digest::digest(&ring::digest::SHA256, &der);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// `client` gets a token for `what` bound to the leaf of `cert`; its `jti`.
async fn assert_bound_token(client: &TokenClient, cert: &str, what: &str) -> Value {
    let token = client
        .fetch_token(&TokenRequest::default())
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let (_, claims) = jwt_parts(token.access_token());
    assert_eq!(claims["aud"], config()["resource"], "{what}");
    assert_eq!(claims["iss"], provider().issuer.as_str(), "{what}");
    assert_eq!(
        claims["cnf"]["x5t#S256"].as_str(),
        Some(leaf_thumbprint(cert).as_str()),
        "{what}: the token is bound to the certificate presented"
    );
    claims["jti"].clone()
}

/// Each key file and the chain of `method`'s client get certificate-bound
/// tokens through discovery.
async fn every_key_and_chain_gets_bound_tokens(method: &str) {
    let c = mtls_client(method);
    let s = |k: &str| c[k].as_str().map(str::to_string);
    let id = s("client_id").unwrap();
    let cert = s("certificate_file").unwrap();
    let mut pairs = vec![
        (cert.clone(), s("key_file").unwrap()),
        (cert.clone(), s("legacy_key_file").unwrap()),
    ];
    pairs.extend(s("chain_file").map(|chain| (chain, s("key_file").unwrap())));
    for (cert, key) in pairs {
        let what = format!("{id} ({method}) with {cert} + {key}");
        let client = tls_client(&id, method, &cert, &key);
        assert_eq!(client.auth_method().as_str(), method, "{what}");
        assert_bound_token(&client, &cert, &what).await;
    }
}

#[test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
fn tls_client_auth_with_pkcs8_and_pkcs1_keys_and_a_chain_through_discovery() {
    run(async {
        every_key_and_chain_gets_bound_tokens("tls_client_auth").await;
    })
}

#[test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
fn self_signed_tls_client_auth_with_pkcs8_and_sec1_keys_through_discovery() {
    run(async {
        every_key_and_chain_gets_bound_tokens("self_signed_tls_client_auth").await;
    })
}

/// Every refused certificate, for every mTLS client: oidc-provider's 401
/// `invalid_client`, the engine's `oauth` error, never retried.
#[test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
fn refused_certificates_are_oauth_invalid_client() {
    run(async {
        let cfg = config();
        let refused = cfg["mtls_refused_certificates"].as_array().unwrap();
        assert!(
            refused.len() >= 2,
            "clients.json lists refused certificates"
        );
        for c in cfg["mtls_clients"].as_array().unwrap() {
            let id = c["client_id"].as_str().unwrap();
            let method = c["token_endpoint_auth_method"].as_str().unwrap();
            for r in refused {
                let cert = r["certificate_file"].as_str().unwrap();
                let key = r["key_file"].as_str().unwrap();
                let what = format!("{id} ({method}) with {cert} ({})", r["why"]);
                let client = tls_client(id, method, cert, key);
                let err = client
                    .fetch_token(&TokenRequest::default())
                    .await
                    .expect_err(&what);
                assert_eq!(err.kind(), ErrorKind::OAuth, "{what}: {err}");
                match err.detail() {
                    ErrorDetail::OAuth { error, status, .. } => {
                        assert_eq!(error, "invalid_client", "{what}");
                        assert_eq!(*status, 401, "{what}");
                    }
                    other => panic!("{what}: {other:?}"),
                }
                assert_eq!(client.stats().fetches, 1, "{what}: never retried");
            }
        }
    })
}

/// Three token requests in a row on one client: the TLS connection (or a
/// resumed session) still authenticates the client each time. Its own
/// memory cache: with the process-wide one, it would join a request of the
/// other tests for the same client and certificate (the same cache key).
#[test]
#[ignore = "needs Node.js and tests/interop/node_modules: run scripts/test-interop.sh"]
fn three_fetches_in_a_row_on_one_tls_client() {
    run(async {
        let c = mtls_client("tls_client_auth");
        let s = |k: &str| c[k].as_str().unwrap().to_string();
        let (id, cert) = (s("client_id"), s("certificate_file"));
        let client = tls_builder(&id, "tls_client_auth", &cert, &s("key_file"))
            .memory_cache(MemoryCache::new(10))
            .build()
            .unwrap();
        let mut ids = Vec::new();
        for n in 1..=3 {
            ids.push(assert_bound_token(&client, &cert, &format!("{id}: request {n}")).await);
        }
        let stats = client.stats();
        assert_eq!((stats.fetches, stats.failures), (3, 0), "{stats:?}");
        ids.dedup();
        assert_eq!(ids.len(), 3, "three tokens, three jti: {ids:?}");
    })
}
