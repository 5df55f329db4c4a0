//! What the Redis store's TLS connections (`rediss://`, `rediss+cluster://`,
//! `rediss+sentinel://`) trust (docs/design.md §4): the OS trust store, plus
//! the client's `ca_certs`, as its token requests do. Handed to the redis
//! crate through its own API (`TlsCertificates`); the crate does the TLS.
//! No client certificate is presented to Redis: the client's mutual-TLS
//! identity is the one its authorization server knows, not Redis's.

use base64::Engine as _;
use redis::TlsCertificates;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

use crate::error::{Error, Result};

/// The certificates for the crate: `None` without `ca_certs` (the crate then
/// trusts the OS store itself); else the `ca_certs` and the OS store's
/// roots as one PEM bundle, since the crate trusts only the bundle it is
/// given. A `ca_certs` entry no TLS stack can trust is a `config` error.
pub(crate) fn certificates(ca_certs: &[Vec<u8>]) -> Result<Option<TlsCertificates>> {
    if ca_certs.is_empty() {
        return Ok(None);
    }
    let mut bundle = Vec::new();
    // Parsed as the token transport parses them (the same errors).
    for cert in crate::http::extra_roots(ca_certs)? {
        if RootCertStore::empty().add(cert.clone()).is_err() {
            return Err(Error::config(
                "a CA certificate of ca_certs cannot be a trust anchor",
            ));
        }
        push_pem(&mut bundle, &cert);
    }
    // The OS roots the crate would have used (the same loader). One it
    // could not take as an anchor would fail every connect: left out.
    for cert in rustls_native_certs::load_native_certs().certs {
        if RootCertStore::empty().add(cert.clone()).is_ok() {
            push_pem(&mut bundle, &cert);
        }
    }
    Ok(Some(TlsCertificates {
        client_tls: None,
        root_cert: Some(bundle),
    }))
}

/// Appends `cert` to `out` as a PEM `CERTIFICATE` block.
fn push_pem(out: &mut Vec<u8>, cert: &CertificateDer<'_>) {
    let body = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(b"-----END CERTIFICATE-----\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;

    fn ca_pem() -> String {
        // A real certificate (the tests' mutual-TLS client CA).
        include_str!("../../tests/mtls_keys/client-ca.pem").to_string()
    }

    #[test]
    fn no_ca_certs_leaves_the_crate_its_os_roots() {
        assert!(certificates(&[]).unwrap().is_none());
    }

    #[test]
    fn ca_certs_come_first_in_the_bundle_and_round_trip() {
        let pem = ca_pem();
        let certs = certificates(&[pem.clone().into_bytes()]).unwrap().unwrap();
        let bundle = certs.root_cert.unwrap();
        let first = CertificateDer::pem_slice_iter(&bundle)
            .next()
            .unwrap()
            .unwrap();
        let given = CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(first, given);
        assert!(certs.client_tls.is_none());
    }

    #[test]
    fn a_pem_without_a_certificate_is_a_config_error() {
        let e = certificates(&[b"not a pem".to_vec()]).err().unwrap();
        assert_eq!(e.code(), "config");
    }
}
