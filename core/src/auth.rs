//! Client authentication (RFC 6749 §2.3). An enum, so private_key_jwt
//! (RFC 7523) and mutual TLS (RFC 8705) join as variants.

use base64::Engine as _;

use crate::config::AuthMethod;
use crate::redact::{sha256_parts, Redactor};
use crate::secret::Secret;

/// How this client proves who it is.
#[derive(Clone)]
pub(crate) enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    SecretPost { secret: Secret },
    /// HTTP Basic, each part form-encoded first (§2.3.1). The header value is
    /// computed once.
    SecretBasic { secret: Secret, header: Secret },
}

impl ClientAuth {
    pub(crate) fn new(method: AuthMethod, client_id: &str, secret: Secret) -> ClientAuth {
        match method {
            AuthMethod::ClientSecretPost => ClientAuth::SecretPost { secret },
            AuthMethod::ClientSecretBasic => {
                let id: String = form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
                let pw: String =
                    form_urlencoded::byte_serialize(secret.expose().as_bytes()).collect();
                let pair = Secret::new(format!("{id}:{pw}"));
                let b64 = base64::engine::general_purpose::STANDARD.encode(pair.expose());
                ClientAuth::SecretBasic {
                    secret,
                    header: Secret::new(format!("Basic {b64}")),
                }
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
    pub(crate) fn apply(
        &self,
        client_id: &str,
        form: &mut form_urlencoded::Serializer<'_, String>,
    ) -> Option<&Secret> {
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
