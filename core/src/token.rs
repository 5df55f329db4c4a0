//! An access token and what came with it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::redact::fingerprint;
use crate::secret::Secret;

/// An access token from the token endpoint (RFC 6749 §5.1).
///
/// Cheap to clone (one reference count). `Debug` shows its metadata and a
/// short fingerprint, never the token itself.
#[derive(Clone)]
pub struct Token(Arc<TokenData>);

#[derive(Clone)]
struct TokenData {
    access_token: Secret,
    authorization_header: Secret,
    token_type: String,
    expires_at: SystemTime,
    refresh_at: SystemTime,
    scope: Option<String>,
    extra: serde_json::Map<String, serde_json::Value>,
    /// Computed on first use: only logs and callers that ask need it.
    fingerprint: std::sync::OnceLock<String>,
}

impl Token {
    pub(crate) fn new(
        access_token: String,
        token_type: String,
        expires_at: SystemTime,
        refresh_at: SystemTime,
        scope: Option<String>,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Token {
        let authorization_header = Secret::new(format!("{token_type} {access_token}"));
        Token(Arc::new(TokenData {
            access_token: Secret::new(access_token),
            authorization_header,
            token_type,
            expires_at,
            refresh_at,
            scope,
            extra,
            fingerprint: std::sync::OnceLock::new(),
        }))
    }

    /// A token rebuilt from its access token and type, for a binding whose
    /// tokens cross into its language as plain values (Node) and come back
    /// for [`crate::TokenClient::request_headers`] or
    /// [`crate::TokenClient::dpop_response`]: only those two parts matter
    /// there (its expiry reads as already past).
    #[doc(hidden)]
    pub fn from_parts(access_token: String, token_type: String) -> Token {
        Token::new(
            access_token,
            token_type,
            SystemTime::UNIX_EPOCH,
            SystemTime::UNIX_EPOCH,
            None,
            serde_json::Map::new(),
        )
    }

    /// A copy that shares no memory with `self`: each thread's hot path keeps
    /// its own, so threads never contend on one reference count.
    pub(crate) fn deep_clone(&self) -> Token {
        Token(Arc::new((*self.0).clone()))
    }

    /// The access token, to send as a bearer credential.
    pub fn access_token(&self) -> &str {
        self.0.access_token.expose()
    }

    /// The token type: `Bearer` (normalized from any case).
    pub fn token_type(&self) -> &str {
        &self.0.token_type
    }

    /// When the token expires, by the wall clock (from `expires_in`, counted
    /// from when the request was sent).
    pub fn expires_at(&self) -> SystemTime {
        self.0.expires_at
    }

    /// When the engine stops serving this token as fresh and renews it in
    /// the background (the refresh point, [75 %] of its lifetime, never past
    /// the leeway). Until then every `get_token` returns it without I/O; a
    /// binding may mirror it until this instant.
    pub fn refresh_at(&self) -> SystemTime {
        self.0.refresh_at
    }

    /// Time left until [`Token::expires_at`], zero once passed.
    pub fn expires_in(&self) -> Duration {
        self.0
            .expires_at
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    }

    /// The granted scope: the response's `scope`, or the requested scopes
    /// when the server left it out (RFC 6749 §5.1).
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// Every other field of the token response, as the server sent it.
    pub fn extra(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0.extra
    }

    /// The value for an HTTP `Authorization` header: `Bearer <token>`.
    pub fn authorization_header(&self) -> &str {
        self.0.authorization_header.expose()
    }

    /// A short SHA-256 fingerprint of the token, safe to log.
    pub fn fingerprint(&self) -> &str {
        self.0
            .fingerprint
            .get_or_init(|| fingerprint(self.0.access_token.expose()))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("token_type", &self.0.token_type)
            .field("expires_in", &self.expires_in())
            .field("scope", &self.0.scope)
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}
