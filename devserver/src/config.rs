//! Client registrations and server configuration.

use serde::{Deserialize, Serialize};

/// `client_secret_post`: credentials in the form body.
pub const CLIENT_SECRET_POST: &str = "client_secret_post";
/// `client_secret_basic`: credentials in an HTTP Basic `Authorization` header.
pub const CLIENT_SECRET_BASIC: &str = "client_secret_basic";
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
    /// The client secret.
    pub client_secret: String,
    /// Allowed authentication methods (`client_secret_post`,
    /// `client_secret_basic`); `None` allows both.
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
}

impl ClientConfig {
    /// A client with this id and secret and every other field at its default
    /// (both auth methods, any audience, any scope, 86400 s tokens).
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
        }
    }

    /// Checks the registration: a non-empty `client_id` and only known
    /// `auth_methods`.
    pub fn validate(&self) -> Result<(), String> {
        if self.client_id.is_empty() {
            return Err("client_id must not be empty".into());
        }
        if let Some(methods) = &self.auth_methods {
            for m in methods {
                if m != CLIENT_SECRET_POST && m != CLIENT_SECRET_BASIC {
                    return Err(format!(
                        "client {:?}: unknown auth method {m:?} (expected {CLIENT_SECRET_POST} or {CLIENT_SECRET_BASIC})",
                        self.client_id
                    ));
                }
            }
        }
        Ok(())
    }

    /// The token lifetime in seconds ([`DEFAULT_TOKEN_LIFETIME`] when unset).
    pub fn lifetime(&self) -> u64 {
        self.token_lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME)
    }

    /// Whether this client may authenticate with `method`.
    pub fn allows_method(&self, method: &str) -> bool {
        match &self.auth_methods {
            None => true,
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
