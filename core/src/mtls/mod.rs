//! Mutual TLS client authentication (RFC 8705): the client certificate and
//! key, checked when the client is built and presented in every TLS
//! handshake of the client's one HTTP client (token requests, discovery,
//! `call_api`), so that certificate-bound tokens work.
//!
//! The key is parsed once into the TLS stack's signing key; the PEM and DER
//! this module reads live in zeroizing memory. Messages name the option or
//! file that is wrong, never its content.

mod files;
mod options;

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::redact::sha256_parts;
pub(crate) use files::IdentityFiles;
pub(crate) use options::TlsOptions;

/// A checked client certificate chain and its key.
pub(crate) struct ClientIdentity {
    /// The chain (leaf first) and the parsed signing key.
    pub(crate) certified: Arc<CertifiedKey>,
    /// SHA-256 of the leaf certificate's DER (RFC 8705 `x5t#S256`): what
    /// identifies the credential in cache keys.
    pub(crate) leaf_sha256: [u8; 32],
    /// SHA-256 over the whole chain: which connection pool this identity
    /// may share.
    pub(crate) chain_sha256: [u8; 32],
    /// Derived from the private key's DER: the key a shared cache seals a
    /// TLS client's tokens with (it has no client secret), as unguessable
    /// as the key itself.
    pub(crate) seal: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The leaf's digest is public (it is in every token bound to it).
        f.debug_struct("ClientIdentity")
            .field("leaf_sha256", &hex(&self.leaf_sha256))
            .field("key", &"***")
            .finish()
    }
}

impl ClientIdentity {
    /// Reads and checks the options: `None` when no certificate and no key
    /// is given; a `config` error for half a pair, both a value and its
    /// file, unreadable files, bad PEM, or a key that does not match the
    /// leaf certificate.
    pub(crate) fn load(o: &TlsOptions) -> Result<Option<Arc<ClientIdentity>>> {
        if o.client_certificate.is_some() && o.client_certificate_file.is_some() {
            return Err(Error::config(
                "set client_certificate or client_certificate_file, not both",
            ));
        }
        if o.client_key.is_some() && o.client_key_file.is_some() {
            return Err(Error::config("set client_key or client_key_file, not both"));
        }
        let has_cert = o.has_certificate();
        let has_key = o.client_key.is_some() || o.client_key_file.is_some();
        match (has_cert, has_key) {
            (false, false) => return Ok(None),
            (true, false) => {
                return Err(Error::config(
                    "client_certificate needs its private key: set client_key or client_key_file",
                ))
            }
            (false, true) => {
                return Err(Error::config(
                    "client_key needs its certificate: set client_certificate or \
                     client_certificate_file",
                ))
            }
            (true, true) => {}
        }
        let (cert_pem, cert_what) = match (&o.client_certificate, &o.client_certificate_file) {
            (Some(text), _) => (text.as_bytes().to_vec(), "client_certificate".to_string()),
            (None, Some(path)) => {
                let what = format!("client_certificate_file {path:?}");
                let bytes = std::fs::read(path)
                    .map_err(|e| Error::config(format!("{what}: cannot read: {e}")))?;
                (bytes, what)
            }
            (None, None) => unreachable!("checked above"),
        };
        let (key_pem, key_what) = match (&o.client_key, &o.client_key_file) {
            (Some(secret), _) => (
                Zeroizing::new(secret.expose().as_bytes().to_vec()),
                "client_key".to_string(),
            ),
            (None, Some(path)) => {
                let what = format!("client_key_file {path:?}");
                let bytes = std::fs::read(path)
                    .map_err(|e| Error::config(format!("{what}: cannot read: {e}")))?;
                (Zeroizing::new(bytes), what)
            }
            (None, None) => unreachable!("checked above"),
        };
        let chain = parse_chain(&cert_pem, &cert_what)?;
        let key = parse_key(&key_pem, &key_what)?;
        Ok(Some(Arc::new(identity(chain, key, &cert_what, &key_what)?)))
    }
}

/// The files to watch for a rotated certificate: both the certificate and
/// the key come from files (a certificate or key given as text never
/// changes).
pub(crate) fn watch(
    o: &TlsOptions,
    identity: Option<&Arc<ClientIdentity>>,
) -> Result<Option<IdentityFiles>> {
    match (&o.client_certificate_file, &o.client_key_file, identity) {
        (Some(cert), Some(key), Some(id)) => Ok(Some(IdentityFiles::new(cert, key, id.clone())?)),
        _ => Ok(None),
    }
}

/// The certificates of a PEM text, leaf first: at least one, each valid
/// PEM (a certificate is public: its parser's message may be quoted).
pub(crate) fn parse_chain(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::config(format!("{what}: bad certificate PEM: {e}")))?;
    if chain.is_empty() {
        return Err(Error::config(format!(
            "{what} holds no certificate (PEM BEGIN CERTIFICATE)"
        )));
    }
    Ok(chain)
}

/// The private key of a PEM text: PKCS#8, PKCS#1 RSA or SEC1 EC. The
/// parser's own message is never used: some quote the offending line.
pub(crate) fn parse_key(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
        Error::config(match e {
            pem::Error::NoItemsFound => format!(
                "{what} holds no private key PEM (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or \
                 BEGIN EC PRIVATE KEY; an encrypted key must be decrypted first)"
            ),
            _ => format!("{what} is not valid private key PEM"),
        })
    })
}

/// The chain and key as the TLS stack uses them, after checking that the
/// key is one it can sign with and that it matches the leaf certificate.
fn identity(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_what: &str,
    key_what: &str,
) -> Result<ClientIdentity> {
    let mut key = Zeroizing::new(key);
    let seal = Zeroizing::new(sha256_parts([
        b"m2m-auth/seal/tls-client-key/v1".as_slice(),
        key.secret_der(),
    ]));
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|_| {
            Error::config(format!(
                "{key_what} is not a usable private key (RSA, ECDSA P-256/P-384 or Ed25519)"
            ))
        })?;
    key.zeroize();
    let leaf_sha256 = sha256_parts([chain[0].as_ref()]);
    let chain_sha256 = sha256_parts(chain.iter().map(|c| c.as_ref()));
    let certified = CertifiedKey::new(chain, signing);
    match certified.keys_match() {
        Ok(()) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            return Err(Error::config(format!(
                "{key_what} does not match the first (leaf) certificate of {cert_what}"
            )))
        }
        // The key cannot tell its public half: the handshake will.
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(_) => {
            return Err(Error::config(format!(
                "{cert_what}: the first certificate is not a valid X.509 certificate"
            )))
        }
    }
    Ok(ClientIdentity {
        certified: Arc::new(certified),
        leaf_sha256,
        chain_sha256,
        seal,
    })
}

/// Lower-case hex (without a `format!` per byte: token fingerprints are
/// made on the cold path).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests;
