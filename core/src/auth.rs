//! Client authentication (RFC 6749 §2.3). An enum: the secret methods, the
//! JWT client assertions (RFC 7523, `assertion/`), and mutual TLS (RFC 8705,
//! `mtls/`: the certificate itself goes into the transport's TLS setup).

use std::sync::Arc;

use base64::Engine as _;
use reqwest::header::HeaderValue;
use url::Url;

use crate::assertion::{Assertion, JWT_BEARER};
use crate::builder::TokenClientBuilder;
use crate::config::AuthMethod;
use crate::error::{Error, Result};
use crate::mtls::ClientIdentity;
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
    /// client_secret_jwt or private_key_jwt: a client assertion in the body,
    /// made anew for each attempt.
    Jwt(Arc<Assertion>),
    /// tls_client_auth or self_signed_tls_client_auth: `client_id` in the
    /// body; the certificate is presented in the TLS handshake.
    Tls {
        method: AuthMethod,
        identity: Arc<ClientIdentity>,
    },
}

impl ClientAuth {
    pub(crate) fn new(method: AuthMethod, client_id: &str, secret: Secret) -> ClientAuth {
        match method {
            AuthMethod::ClientSecretBasic => {
                let header = basic_header(client_id, &secret);
                ClientAuth::SecretBasic { secret, header }
            }
            // The assertion methods are built by `ClientAuth::Jwt` directly.
            _ => ClientAuth::SecretPost { secret },
        }
    }

    /// The method these credentials use.
    pub(crate) fn method(&self) -> AuthMethod {
        match self {
            ClientAuth::SecretPost { .. } => AuthMethod::ClientSecretPost,
            ClientAuth::SecretBasic { .. } => AuthMethod::ClientSecretBasic,
            ClientAuth::Jwt(a) => a.method(),
            ClientAuth::Tls { method, .. } => *method,
        }
    }

    /// The client assertion of one attempt to `token_url` (the assertion
    /// methods; `None` for the others). A `config` error if a key or
    /// assertion file cannot be used now, or a provider fails.
    pub(crate) async fn assertion(
        &self,
        client_id: &str,
        token_url: &Url,
    ) -> Result<Option<Secret>> {
        match self {
            ClientAuth::Jwt(a) => a.obtain(client_id, token_url).await.map(Some),
            _ => Ok(None),
        }
    }

    /// Adds the credentials of one attempt to a token request: body fields
    /// (with `assertion`, this attempt's client assertion), or the value of
    /// the `Authorization` header (returned).
    pub(crate) fn apply(
        &self,
        client_id: &str,
        assertion: Option<&Secret>,
        form: &mut SecretBytes,
    ) -> Option<&HeaderValue> {
        match self {
            ClientAuth::SecretPost { secret } => {
                form.append_pair("client_id", client_id);
                form.append_pair("client_secret", secret.expose());
                None
            }
            ClientAuth::SecretBasic { header, .. } => Some(header),
            ClientAuth::Jwt(_) => {
                form.append_pair("client_id", client_id);
                form.append_pair("client_assertion_type", JWT_BEARER);
                if let Some(assertion) = assertion {
                    form.append_pair("client_assertion", assertion.expose());
                }
                None
            }
            ClientAuth::Tls { .. } => {
                form.append_pair("client_id", client_id);
                None
            }
        }
    }

    /// The key material a shared cache seals this client's tokens with;
    /// `None` when there is no stable secret (a client assertion file):
    /// `build()` then refuses a shared cache.
    pub(crate) fn sealing_secret(&self) -> Option<&[u8]> {
        match self {
            ClientAuth::SecretPost { secret } | ClientAuth::SecretBasic { secret, .. } => {
                Some(secret.expose().as_bytes())
            }
            ClientAuth::Jwt(a) => a.sealing_secret(),
            // No client secret: a digest of the client key's material, as
            // unguessable as the key (docs/design.md §6).
            ClientAuth::Tls { identity, .. } => Some(&identity.seal[..]),
        }
    }

    /// SHA-256 over the method and credentials, for the cache key (for an
    /// assertion method: over a digest that identifies the credential).
    pub(crate) fn fingerprint(&self, client_id: &str) -> [u8; 32] {
        // The secret methods hash the secret itself (the digest every
        // existing shared cache entry was keyed with).
        let id;
        let credential: &[u8] = match self {
            ClientAuth::SecretPost { secret } | ClientAuth::SecretBasic { secret, .. } => {
                secret.expose().as_bytes()
            }
            ClientAuth::Jwt(a) => {
                id = a.credential_id();
                &id
            }
            // The leaf certificate's SHA-256, never the key.
            ClientAuth::Tls { identity, .. } => &identity.leaf_sha256,
        };
        sha256_parts([
            b"m2m-auth/credentials/v1".as_slice(),
            self.method().as_str().as_bytes(),
            client_id.as_bytes(),
            credential,
        ])
    }

    /// A scrubber for every spelling of these credentials.
    pub(crate) fn redactor(&self, client_id: &str) -> Redactor {
        match self {
            ClientAuth::SecretPost { secret } | ClientAuth::SecretBasic { secret, .. } => {
                Redactor::for_secret(client_id, secret)
            }
            ClientAuth::Jwt(a) => a.redactor(client_id),
            // Nothing secret goes on the wire.
            ClientAuth::Tls { .. } => Redactor::default(),
        }
    }
}

/// The credentials: `auth_method` (private_key_jwt by default when a key
/// or an assertion is given; else tls_client_auth when a client
/// certificate is and no secret; else client_secret_post) and what it
/// needs.
pub(crate) fn client_auth(
    b: &TokenClientBuilder,
    client_id: &str,
    identity: Option<&Arc<ClientIdentity>>,
) -> Result<ClientAuth> {
    let options = b.assertion.given();
    let has_secret = b.client_secret.as_ref().is_some_and(|s| !s.is_empty());
    let method: AuthMethod = match &b.auth_method {
        Some(m) => m.parse()?,
        None if options.has_credential() => AuthMethod::PrivateKeyJwt,
        None if identity.is_some() && !has_secret => AuthMethod::TlsClientAuth,
        None => AuthMethod::default(),
    };
    if method.is_assertion() {
        // The `aud` of assertions: the issuer, or the one an Auth0 domain
        // stands for (Auth0 accepts only that), else the token endpoint.
        let issuer = b
            .issuer
            .as_deref()
            .filter(|i| !i.trim().is_empty())
            .map(str::to_string)
            .or_else(|| b.domain_issuer());
        let assertion = Assertion::new(
            method,
            &options,
            b.client_secret.as_ref(),
            issuer.as_deref(),
        )?;
        return Ok(ClientAuth::Jwt(Arc::new(assertion)));
    }
    if let Some(option) = options.first_set() {
        return Err(Error::config(format!(
            "{option} is for auth_method private_key_jwt or client_secret_jwt, not {method}"
        )));
    }
    if method.is_tls() {
        // A client secret, if one is set, is not sent: the certificate is
        // the credential.
        let identity = identity.cloned().ok_or_else(|| {
            Error::config(format!(
                "auth_method {method} needs client_certificate or client_certificate_file, \
                 and client_key or client_key_file"
            ))
        })?;
        return Ok(ClientAuth::Tls { method, identity });
    }
    match &b.client_secret {
        Some(s) if !s.is_empty() => Ok(ClientAuth::new(method, client_id, s.clone())),
        _ => Err(Error::config(
            "client_secret is required (or M2M_AUTH_CLIENT_SECRET)",
        )),
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
