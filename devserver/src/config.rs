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
/// Every authentication method the token endpoint knows.
pub const AUTH_METHODS: [&str; 4] = [
    CLIENT_SECRET_POST,
    CLIENT_SECRET_BASIC,
    CLIENT_SECRET_JWT,
    PRIVATE_KEY_JWT,
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
            jwks: None,
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

    /// Checks the registration: a non-empty `client_id`, only known
    /// `auth_methods`, a usable `jwks` if there is one (and one if
    /// `private_key_jwt` is listed), a secret if `client_secret_jwt` is
    /// listed. Messages name the client, never key material.
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
    /// `auth_methods`: the three secret methods, and `private_key_jwt` when
    /// `jwks` is set.
    pub fn allows_method(&self, method: &str) -> bool {
        match &self.auth_methods {
            None => match method {
                CLIENT_SECRET_POST | CLIENT_SECRET_BASIC | CLIENT_SECRET_JWT => true,
                PRIVATE_KEY_JWT => self.jwks.is_some(),
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
}

impl Default for ServerConfig {
    /// The demo client only ([`ClientConfig::demo`]), expensive tokens, OS-chosen port.
    fn default() -> Self {
        ServerConfig {
            clients: vec![ClientConfig::demo()],
            cheap_tokens: false,
            port: 0,
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
