//! Client authentication (RFC 6749 §2.3). An enum, so private_key_jwt
//! (RFC 7523) and mutual TLS (RFC 8705) join as variants.

use base64::Engine as _;
use reqwest::header::HeaderValue;

use crate::config::AuthMethod;
use crate::redact::{sha256_parts, Redactor};
use crate::secret::{Secret, SecretBytes};

/// How this client proves who it is.
#[derive(Clone)]
pub(crate) enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    SecretPost { secret: Secret },
    /// HTTP Basic, each part form-encoded first (§2.3.1). The header value is
    /// computed once, marked sensitive, and its bytes are wiped when the
    /// last copy (ours, or one the HTTP stack holds) drops.
    SecretBasic { secret: Secret, header: HeaderValue },
}

impl ClientAuth {
    pub(crate) fn new(method: AuthMethod, client_id: &str, secret: Secret) -> ClientAuth {
        match method {
            AuthMethod::ClientSecretPost => ClientAuth::SecretPost { secret },
            AuthMethod::ClientSecretBasic => {
                let header = basic_header(client_id, &secret);
                ClientAuth::SecretBasic { secret, header }
            }
        }
    }
    pub(crate) fn method(&self) -> AuthMethod {
        match self {
            ClientAuth::SecretPost { .. } => AuthMethod::ClientSecretPost,
            ClientAuth::SecretBasic { .. } => AuthMethod::ClientSecretBasic,
        }
    }

    fn secret(&self) -> &Secret {
        match self {
            ClientAuth::SecretPost { secret } | ClientAuth::SecretBasic { secret, .. } => secret,
        }
    }

    /// Adds the credentials to a token request: body fields, or the value of
    /// the `Authorization` header (returned).
    pub(crate) fn apply(&self, client_id: &str, form: &mut SecretBytes) -> Option<&HeaderValue> {
        match self {
            ClientAuth::SecretPost { secret } => {
                form.append_pair("client_id", client_id);
                form.append_pair("client_secret", secret.expose());
                None
            }
            ClientAuth::SecretBasic { header, .. } => Some(header),
        }
    }

    /// The key material a shared cache seals this client's tokens with.
    pub(crate) fn sealing_secret(&self) -> &[u8] {
        self.secret().expose().as_bytes()
    }

    /// SHA-256 over the method and credentials, for the cache key.
    pub(crate) fn fingerprint(&self, client_id: &str) -> [u8; 32] {
        sha256_parts([
            b"m2m-auth/credentials/v1".as_slice(),
            self.method().as_str().as_bytes(),
            client_id.as_bytes(),
            self.secret().expose().as_bytes(),
        ])
    }

    /// A scrubber for every spelling of these credentials.
    pub(crate) fn redactor(&self, client_id: &str) -> Redactor {
        Redactor::for_secret(client_id, self.secret())
    }
}

/// `Basic base64(form(id) ":" form(secret))`, built in wiped buffers and
/// handed to the header without a copy (a `HeaderValue` made from `Bytes`
/// keeps them).
fn basic_header(client_id: &str, secret: &Secret) -> HeaderValue {
    let pair = basic_pair(client_id, secret);
    let engine = &base64::engine::general_purpose::STANDARD;
    let encoded = base64::encoded_len(pair.as_slice().len(), true).unwrap_or(0);
    let mut header = SecretBytes::with_capacity(6 + encoded);
    header.extend(b"Basic ");
    let tail = header.extend_zeroed(encoded);
    let written = engine.encode_slice(pair.as_slice(), tail).unwrap_or(0);
    debug_assert_eq!(written, encoded);
    // Base64 and "Basic " are visible ASCII: always a valid header value.
    let mut value = HeaderValue::from_maybe_shared(header.into_bytes())
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}

/// `form(id) ":" form(secret)`, in a wiped buffer.
pub(crate) fn basic_pair(client_id: &str, secret: &Secret) -> SecretBytes {
    // Form encoding writes at most 3 bytes per byte: no growth.
    let mut pair = SecretBytes::with_capacity(3 * (client_id.len() + secret.expose().len()) + 1);
    pair.extend_form_encoded(client_id);
    pair.extend(b":");
    pair.extend_form_encoded(secret.expose());
    pair
}
