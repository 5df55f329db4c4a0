//! Client certificate and key parsing: chains, key formats, mismatches,
//! garbage; no message or Debug output holds key text.

use super::*;
use crate::secret::Secret;

const RSA_PKCS8: &str = include_str!("../../tests/verify_keys/rsa2048.pem");
const RSA_PKCS1: &str = include_str!("../../tests/assertion_keys/rsa2048.pkcs1.pem");
const P256_PKCS8: &str = include_str!("../../tests/verify_keys/p256.pem");
const P256_SEC1: &str = include_str!("../../tests/assertion_keys/p256.sec1.pem");
const ED25519_PKCS8: &str = include_str!("../../tests/verify_keys/ed25519.pem");

/// A self-signed certificate for the PKCS#8 key `pem`.
fn cert_for(pem: &str) -> String {
    let key = rcgen::KeyPair::from_pem(pem).unwrap();
    rcgen::CertificateParams::new(vec!["client.example".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem()
}

fn options(cert: &str, key: &str) -> TlsOptions {
    TlsOptions {
        client_certificate: Some(cert.to_string()),
        client_key: Some(Secret::new(key)),
        ..TlsOptions::default()
    }
}

fn config_error(o: &TlsOptions) -> String {
    let err = ClientIdentity::load(o).unwrap_err();
    assert_eq!(err.code(), "config", "{err}");
    err.to_string()
}

/// The body lines of a PEM text: what no message may quote.
fn body_lines(pem: &str) -> Vec<&str> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .collect()
}

#[test]
fn every_key_format_loads_and_matches() {
    let cases = [
        (RSA_PKCS8, RSA_PKCS8),
        (RSA_PKCS8, RSA_PKCS1),
        (P256_PKCS8, P256_PKCS8),
        (P256_PKCS8, P256_SEC1),
        (ED25519_PKCS8, ED25519_PKCS8),
    ];
    for (pkcs8, key) in cases {
        let cert = cert_for(pkcs8);
        let id = ClientIdentity::load(&options(&cert, key))
            .unwrap()
            .expect("an identity");
        let der = CertificateDer::from_pem_slice(cert.as_bytes()).unwrap();
        assert_eq!(id.leaf_sha256, sha256_parts([der.as_ref()]));
        assert_eq!(id.certified.cert.len(), 1);
    }
}

#[test]
fn the_seal_comes_from_the_key_and_the_same_key_in_any_format_gives_the_same_digest() {
    let cert = cert_for(RSA_PKCS8);
    let a = ClientIdentity::load(&options(&cert, RSA_PKCS8))
        .unwrap()
        .unwrap();
    let b = ClientIdentity::load(&options(&cert, RSA_PKCS8))
        .unwrap()
        .unwrap();
    assert_eq!(*a.seal, *b.seal);
    let ec = cert_for(P256_PKCS8);
    let c = ClientIdentity::load(&options(&ec, P256_PKCS8))
        .unwrap()
        .unwrap();
    assert_ne!(*a.seal, *c.seal);
    assert_ne!(&a.seal[..], &a.leaf_sha256[..]);
}

#[test]
fn a_chain_is_kept_leaf_first() {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["client.example".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let chain = format!("{}{}", leaf.pem(), ca.pem());
    let id = ClientIdentity::load(&options(&chain, &leaf_key.serialize_pem()))
        .unwrap()
        .unwrap();
    assert_eq!(id.certified.cert.len(), 2);
    assert_eq!(id.leaf_sha256, sha256_parts([leaf.der().as_ref()]));
    // The CA first: its key is not the leaf's.
    let wrong = format!("{}{}", ca.pem(), leaf.pem());
    let message = config_error(&options(&wrong, &leaf_key.serialize_pem()));
    assert!(message.contains("does not match"), "{message}");
}

#[test]
fn a_key_of_another_certificate_is_refused_without_quoting_it() {
    let cert = cert_for(RSA_PKCS8);
    for key in [P256_PKCS8, P256_SEC1, ED25519_PKCS8] {
        let message = config_error(&options(&cert, key));
        assert!(message.contains("client_key does not match"), "{message}");
        for line in body_lines(key) {
            assert!(!message.contains(line), "{message}");
        }
    }
}

#[test]
fn garbage_is_refused_and_never_quoted() {
    let cert = cert_for(P256_PKCS8);
    let truncated_key = &P256_PKCS8[..P256_PKCS8.len() - 40];
    let bad_base64 = P256_PKCS8.replacen("MI", "M!", 1);
    let wrong_der = "-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n";
    for key in [
        "not a key",
        truncated_key,
        &bad_base64,
        wrong_der,
        RSA_PKCS8.trim_start_matches("-----BEGIN PRIVATE KEY-----"),
    ] {
        let message = config_error(&options(&cert, key));
        assert!(message.contains("client_key"), "{message}");
        for line in body_lines(key) {
            assert!(!message.contains(line), "{message}");
        }
    }
    for bad_cert in ["", "not a certificate", P256_PKCS8] {
        let message = config_error(&options(bad_cert, P256_PKCS8));
        assert!(message.contains("client_certificate"), "{message}");
        for line in body_lines(P256_PKCS8) {
            assert!(!message.contains(line), "{message}");
        }
    }
    let not_der = "-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n";
    let message = config_error(&options(not_der, P256_PKCS8));
    assert!(message.contains("not a valid X.509"), "{message}");
}

#[test]
fn half_a_pair_or_both_forms_are_config_errors() {
    let cert = cert_for(P256_PKCS8);
    let only_cert = TlsOptions {
        client_certificate: Some(cert.clone()),
        ..TlsOptions::default()
    };
    assert!(config_error(&only_cert).contains("client_key"));
    let only_key = TlsOptions {
        client_key: Some(Secret::new(P256_PKCS8)),
        ..TlsOptions::default()
    };
    assert!(config_error(&only_key).contains("client_certificate"));
    let mut both = options(&cert, P256_PKCS8);
    both.client_key_file = Some("/nonexistent".into());
    assert!(config_error(&both).contains("not both"));
    let missing = TlsOptions {
        client_certificate_file: Some("/nonexistent/cert.pem".into()),
        client_key: Some(Secret::new(P256_PKCS8)),
        ..TlsOptions::default()
    };
    assert!(config_error(&missing).contains("cannot read"));
    assert!(ClientIdentity::load(&TlsOptions::default())
        .unwrap()
        .is_none());
}

#[test]
fn files_are_read() {
    let dir = std::env::temp_dir().join(format!("m2m-mtls-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert_for(P256_PKCS8)).unwrap();
    std::fs::write(&key_path, P256_SEC1).unwrap();
    let o = TlsOptions {
        client_certificate_file: Some(cert_path.display().to_string()),
        client_key_file: Some(key_path.display().to_string()),
        ..TlsOptions::default()
    };
    assert!(ClientIdentity::load(&o).unwrap().is_some());
    std::fs::write(&key_path, RSA_PKCS1).unwrap();
    let message = config_error(&o);
    assert!(message.contains("client_key_file"), "{message}");
    for line in body_lines(RSA_PKCS1) {
        assert!(!message.contains(line), "{message}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn debug_never_shows_the_key() {
    let cert = cert_for(P256_PKCS8);
    let o = options(&cert, P256_PKCS8);
    let id = ClientIdentity::load(&o).unwrap().unwrap();
    for text in [format!("{o:?}"), format!("{id:?}")] {
        assert!(text.contains("***"), "{text}");
        for line in body_lines(P256_PKCS8) {
            assert!(!text.contains(line), "{text}");
        }
    }
    let builder = crate::TokenClient::builder()
        .client_certificate(cert)
        .client_key(P256_PKCS8);
    let text = format!("{builder:?}");
    for line in body_lines(P256_PKCS8) {
        assert!(!text.contains(line), "{text}");
    }
}
