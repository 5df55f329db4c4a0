//! Client registrations and server configuration.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::jwks::parse_jwks;

/// `client_secret_post`: credentials in the form body.
pub const CLIENT_SECRET_POST: &str = "client_secret_post";
/// `client_secret_basic`: credentials in an HTTP Basic `Authorization` header.
pub const CLIENT_SECRET_BASIC: &str = "client_secret_basic";
/// `client_secret_jwt` (RFC 7523, OpenID Connect Core §9): a client
/// assertion signed with HS256/384/512, keyed with the client secret.
pub const CLIENT_SECRET_JWT: &str = "client_secret_jwt";
/// `private_key_jwt` (RFC 7523, OpenID Connect Core §9): a client assertion
/// signed with a private key whose public half is in the client's `jwks`.
pub const PRIVATE_KEY_JWT: &str = "private_key_jwt";
/// `tls_client_auth` (RFC 8705 §2.1): a client certificate, presented on
/// the https listener, that chains to the server's `client_ca` and names
/// the registered subject DN or DNS name.
pub const TLS_CLIENT_AUTH: &str = "tls_client_auth";
/// `self_signed_tls_client_auth` (RFC 8705 §2.2): a client certificate
/// whose SHA-256 is registered for the client.
pub const SELF_SIGNED_TLS_CLIENT_AUTH: &str = "self_signed_tls_client_auth";
/// Every authentication method the token endpoint knows.
pub const AUTH_METHODS: [&str; 6] = [
    CLIENT_SECRET_POST,
    CLIENT_SECRET_BASIC,
    CLIENT_SECRET_JWT,
    PRIVATE_KEY_JWT,
    TLS_CLIENT_AUTH,
    SELF_SIGNED_TLS_CLIENT_AUTH,
];
/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Token lifetime (seconds) used when a client does not set `token_lifetime`.
pub const DEFAULT_TOKEN_LIFETIME: u64 = 86_400;

/// One registered OAuth client, as in the clients JSON of PROTOCOL.md.
///
/// Unknown fields are rejected when deserializing, so that a typo such as
/// `"scope"` for `"scopes"` does not silently allow every scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The client id (non-empty).
    pub client_id: String,
    /// The client secret (for `client_secret_post`, `client_secret_basic`
    /// and the HMAC key of `client_secret_jwt`). May be omitted in JSON (empty)
    /// for a client that only uses `private_key_jwt`.
    #[serde(default)]
    pub client_secret: String,
    /// Allowed authentication methods, from [`AUTH_METHODS`]. `None` allows
    /// `client_secret_post`, `client_secret_basic` and `client_secret_jwt`,
    /// plus `private_key_jwt` when `jwks` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_methods: Option<Vec<String>>,
    /// Allowed audiences / resources; `None` allows any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audiences: Option<Vec<String>>,
    /// Allowed scopes; `None` grants whatever is requested and the token
    /// response then carries no `scope` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Token lifetime in seconds; `None` means [`DEFAULT_TOKEN_LIFETIME`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime: Option<u64>,
    /// The client's public keys for `private_key_jwt`: a JWK Set
    /// `{"keys": [JWK...]}` of RSA (2048 to 8192 bits), EC P-256 / P-384 and
    /// OKP Ed25519 public keys (see PROTOCOL.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    /// `tls_client_auth`: the subject DN the client certificate must carry,
    /// RFC 4514 style (`CN=client-a,O=Example`), compared as a set of
    /// attribute=value pairs (attribute names without regard to case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_subject_dn: Option<String>,
    /// `tls_client_auth`: a DNS name the client certificate's subject
    /// alternative names must include (without regard to case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_san_dns: Option<String>,
    /// `self_signed_tls_client_auth`: the SHA-256 of each accepted client
    /// certificate's DER, in hex (64 digits, any case, `:` separators
    /// allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_certificate_sha256: Option<Vec<String>>,
    /// A token quota (as Auth0's `token_quota.client_credentials`): counted
    /// and reported in `Auth0-Client-Quota-Limit` on every token response,
    /// enforced with `enforce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_quota: Option<TokenQuota>,
}

/// A client's token quota (PROTOCOL.md, Token quota).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenQuota {
    /// Tokens per hour (windows counted from the server's start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_hour: Option<u64>,
    /// Tokens per day (windows counted from the server's start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_day: Option<u64>,
    /// Refuse token requests with 429 `too_many_requests` once a bucket is spent.
    #[serde(default)]
    pub enforce: bool,
}

impl ClientConfig {
    /// A client with this id and secret and every other field at its default
    /// (the secret auth methods, any audience, any scope, 86400 s tokens, no
    /// `jwks`).
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ClientConfig {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            ..Default::default()
        }
    }

    /// The default `demo-client` / `demo-secret` client of PROTOCOL.md.
    pub fn demo() -> Self {
        ClientConfig {
            client_id: "demo-client".into(),
            client_secret: "demo-secret".into(),
            auth_methods: Some(vec![CLIENT_SECRET_POST.into(), CLIENT_SECRET_BASIC.into()]),
            audiences: Some(vec!["https://api.example.com".into()]),
            scopes: Some(vec!["read:data".into(), "write:data".into()]),
            token_lifetime: Some(DEFAULT_TOKEN_LIFETIME),
            ..Default::default()
        }
    }

    /// A client that authenticates with `private_key_jwt` only, with these
    /// public keys (a JWK Set `{"keys": [...]}`) and no secret.
    pub fn private_key_jwt(client_id: impl Into<String>, jwks: Value) -> Self {
        ClientConfig {
            client_id: client_id.into(),
            auth_methods: Some(vec![PRIVATE_KEY_JWT.into()]),
            jwks: Some(jwks),
            ..Default::default()
        }
    }

    /// A client that authenticates with `tls_client_auth` only: a
    /// certificate from the server's `client_ca` with this subject DN.
    pub fn tls_client_auth(client_id: impl Into<String>, subject_dn: impl Into<String>) -> Self {
        ClientConfig {
            client_id: client_id.into(),
            auth_methods: Some(vec![TLS_CLIENT_AUTH.into()]),
            tls_client_auth_subject_dn: Some(subject_dn.into()),
            ..Default::default()
        }
    }

    /// A client that authenticates with `self_signed_tls_client_auth` only,
    /// with the certificate whose DER has this SHA-256 (hex).
    pub fn self_signed_tls_client_auth(
        client_id: impl Into<String>,
        certificate_sha256: impl Into<String>,
    ) -> Self {
        ClientConfig {
            client_id: client_id.into(),
            auth_methods: Some(vec![SELF_SIGNED_TLS_CLIENT_AUTH.into()]),
            tls_client_certificate_sha256: Some(vec![certificate_sha256.into()]),
            ..Default::default()
        }
    }

    /// The registered certificate digests, normalized (lower case, no `:`).
    pub(crate) fn certificate_digests(&self) -> Vec<String> {
        self.tls_client_certificate_sha256
            .iter()
            .flatten()
            .map(|d| d.replace(':', "").to_ascii_lowercase())
            .collect()
    }

    /// Checks the registration: a non-empty `client_id`, only known
    /// `auth_methods`, a usable `jwks` if there is one (and one if
    /// `private_key_jwt` is listed), a secret if `client_secret_jwt` is
    /// listed, a subject DN or DNS name if `tls_client_auth` is, and
    /// well-formed digests (one at least if `self_signed_tls_client_auth`
    /// is). Messages name the client, never key material.
    pub fn validate(&self) -> Result<(), String> {
        if self.client_id.is_empty() {
            return Err("client_id must not be empty".into());
        }
        let id = &self.client_id;
        if let Some(methods) = &self.auth_methods {
            for m in methods {
                if !AUTH_METHODS.contains(&m.as_str()) {
                    return Err(format!(
                        "client {id:?}: unknown auth method {m:?} (expected one of {})",
                        AUTH_METHODS.join(", ")
                    ));
                }
            }
            let listed = |x: &str| methods.iter().any(|m| m == x);
            if listed(PRIVATE_KEY_JWT) && self.jwks.is_none() {
                return Err(format!(
                    "client {id:?}: {PRIVATE_KEY_JWT} needs a jwks with at least one public key"
                ));
            }
            if listed(CLIENT_SECRET_JWT) && self.client_secret.is_empty() {
                return Err(format!(
                    "client {id:?}: {CLIENT_SECRET_JWT} needs a non-empty client_secret"
                ));
            }
            if listed(TLS_CLIENT_AUTH)
                && self.tls_client_auth_subject_dn.is_none()
                && self.tls_client_auth_san_dns.is_none()
            {
                return Err(format!(
                    "client {id:?}: {TLS_CLIENT_AUTH} needs tls_client_auth_subject_dn or \
                     tls_client_auth_san_dns"
                ));
            }
            if listed(SELF_SIGNED_TLS_CLIENT_AUTH) && self.certificate_digests().is_empty() {
                return Err(format!(
                    "client {id:?}: {SELF_SIGNED_TLS_CLIENT_AUTH} needs \
                     tls_client_certificate_sha256"
                ));
            }
        }
        for d in self.certificate_digests() {
            if d.len() != 64 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "client {id:?}: tls_client_certificate_sha256 entries must be 64 hex digits"
                ));
            }
        }
        if let Some(jwks) = &self.jwks {
            parse_jwks(jwks).map_err(|e| format!("client {id:?}: jwks {e}"))?;
        }
        Ok(())
    }

    /// The token lifetime in seconds ([`DEFAULT_TOKEN_LIFETIME`] when unset).
    pub fn lifetime(&self) -> u64 {
        self.token_lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME)
    }

    /// Whether this client may authenticate with `method`. Without
    /// `auth_methods`: the three secret methods, `private_key_jwt` when
    /// `jwks` is set, `tls_client_auth` when a subject DN or DNS name is,
    /// `self_signed_tls_client_auth` when a certificate digest is.
    pub fn allows_method(&self, method: &str) -> bool {
        match &self.auth_methods {
            None => match method {
                CLIENT_SECRET_POST | CLIENT_SECRET_BASIC | CLIENT_SECRET_JWT => true,
                PRIVATE_KEY_JWT => self.jwks.is_some(),
                TLS_CLIENT_AUTH => {
                    self.tls_client_auth_subject_dn.is_some()
                        || self.tls_client_auth_san_dns.is_some()
                }
                SELF_SIGNED_TLS_CLIENT_AUTH => !self.certificate_digests().is_empty(),
                _ => false,
            },
            Some(m) => m.iter().any(|x| x == method),
        }
    }
}

/// Server configuration: the clients JSON plus the command-line switches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Registered clients (more can be added at run time).
    pub clients: Vec<ClientConfig>,
    /// `--cheap-tokens`: reuse each signed token until half its lifetime has passed.
    #[serde(default)]
    pub cheap_tokens: bool,
    /// Port on 127.0.0.1; 0 lets the OS choose.
    #[serde(default)]
    pub port: u16,
    /// `--tls`: also listen for https on another OS-chosen port (mutual
    /// TLS: a client certificate is requested, not required).
    #[serde(default)]
    pub tls: bool,
    /// `--client-ca FILE`: the CA certificates (PEM) that issue
    /// `tls_client_auth` client certificates; implies `tls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<String>,
    /// `--dpop-nonce`: the token endpoint and `/api` demand a DPoP nonce
    /// from the start (RFC 9449 §8, §9).
    #[serde(default)]
    pub dpop_nonce: bool,
}

impl Default for ServerConfig {
    /// The demo client only ([`ClientConfig::demo`]), expensive tokens, OS-chosen port.
    fn default() -> Self {
        ServerConfig {
            clients: vec![ClientConfig::demo()],
            cheap_tokens: false,
            port: 0,
            tls: false,
            client_ca: None,
            dpop_nonce: false,
        }
    }
}

impl ServerConfig {
    /// A configuration with exactly these clients (no demo client), expensive
    /// tokens and an OS-chosen port.
    pub fn with_clients(clients: Vec<ClientConfig>) -> Self {
        ServerConfig {
            clients,
            cheap_tokens: false,
            port: 0,
            tls: false,
            client_ca: None,
            dpop_nonce: false,
        }
    }

    /// Parses a clients file: `{"clients": [CLIENT...]}` (optionally also
    /// `"cheap_tokens"` and `"port"`), and validates every client.
    pub fn from_json(s: &str) -> Result<Self, String> {
        let cfg: ServerConfig =
            serde_json::from_str(s).map_err(|e| format!("clients JSON: {e}"))?;
        for c in &cfg.clients {
            c.validate()?;
        }
        Ok(cfg)
    }
}
