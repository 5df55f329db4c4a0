//! The mutual-TLS options of the builder: their typed setters (the Rust
//! API) and how the builder holds them until `build()` checks them.

use std::fmt;

use crate::builder::TokenClientBuilder;
use crate::secret::Secret;

/// The client certificate options as given (checked by `build()`).
#[derive(Clone, Default)]
pub(crate) struct TlsOptions {
    pub(crate) client_certificate: Option<String>,
    pub(crate) client_certificate_file: Option<String>,
    pub(crate) client_key: Option<Secret>,
    pub(crate) client_key_file: Option<String>,
}

impl TlsOptions {
    /// The options with blank values dropped (an empty PEM or path is not
    /// given).
    pub(crate) fn given(&self) -> TlsOptions {
        let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        TlsOptions {
            client_certificate: text(&self.client_certificate),
            client_certificate_file: text(&self.client_certificate_file),
            client_key: self
                .client_key
                .clone()
                .filter(|s| !s.expose().trim().is_empty()),
            client_key_file: text(&self.client_key_file),
        }
    }

    /// True when a certificate is given: then `auth_method` defaults to
    /// tls_client_auth if no other credential is.
    pub(crate) fn has_certificate(&self) -> bool {
        self.client_certificate.is_some() || self.client_certificate_file.is_some()
    }
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key prints as `***`; the certificate (public) and paths as is,
        // the certificate shortened to its length.
        f.debug_struct("TlsOptions")
            .field(
                "client_certificate",
                &self
                    .client_certificate
                    .as_ref()
                    .map(|c| format!("<{} bytes of PEM>", c.len())),
            )
            .field("client_certificate_file", &self.client_certificate_file)
            .field("client_key", &self.client_key.as_ref().map(|_| "***"))
            .field("client_key_file", &self.client_key_file)
            .finish()
    }
}

impl TokenClientBuilder {
    /// The client certificate of mutual TLS (RFC 8705): a PEM chain, leaf
    /// first. Presented in every TLS handshake of this client (token
    /// requests and `call_api`); with no secret, key or assertion,
    /// `auth_method` defaults to tls_client_auth.
    pub fn client_certificate(mut self, pem: impl Into<String>) -> Self {
        self.tls.client_certificate = Some(pem.into());
        self
    }

    /// A file holding the client certificate chain (PEM, leaf first), read
    /// by `build()`; with [`client_key_file`](Self::client_key_file), both
    /// are read again when they change (checked on each token request).
    pub fn client_certificate_file(mut self, path: impl Into<String>) -> Self {
        self.tls.client_certificate_file = Some(path.into());
        self
    }

    /// The private key of the client certificate (held in zeroizing
    /// memory): PEM PKCS#8, PKCS#1 RSA or SEC1 EC.
    pub fn client_key(mut self, key: impl Into<Secret>) -> Self {
        self.tls.client_key = Some(key.into());
        self
    }

    /// A file holding the private key of the client certificate, read by
    /// `build()` and, with a certificate file, again when they change.
    pub fn client_key_file(mut self, path: impl Into<String>) -> Self {
        self.tls.client_key_file = Some(path.into());
        self
    }
}
