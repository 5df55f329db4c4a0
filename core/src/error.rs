//! One error taxonomy for every language (docs/design.md §6).

use std::fmt;
use std::time::Duration;

/// The code of an [`Error`], identical in every binding (`config`, `oauth`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A bad or missing option.
    Config,
    /// The authorization server refused the request (RFC 6749 §5.2).
    OAuth,
    /// A non-OAuth HTTP failure.
    Http,
    /// Could not talk to the server: connect, timeout, TLS, I/O.
    Transport,
    /// A 200 response that is not a valid token response.
    InvalidResponse,
    /// Refused locally until `retry_after` has passed.
    Throttled,
    /// A shared cache is unreachable or corrupt.
    Cache,
    /// (Verifier) a token failed validation.
    InvalidToken,
    /// (Verifier) a valid token lacks a scope the request requires.
    InsufficientScope,
}

impl ErrorKind {
    /// The stable code string of this kind, as used by every binding.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::OAuth => "oauth",
            ErrorKind::Http => "http",
            ErrorKind::Transport => "transport",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Cache => "cache",
            ErrorKind::InvalidToken => "invalid_token",
            ErrorKind::InsufficientScope => "insufficient_scope",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a transport failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The TCP connection could not be made.
    Connect,
    /// The request's deadline passed.
    Timeout,
    /// The connection was closed or reset mid-exchange.
    Reset,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// Any other I/O failure.
    Io,
}

impl TransportKind {
    /// The stable name of this kind (`connect`, `timeout`, `reset`, `tls`, `io`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Connect => "connect",
            TransportKind::Timeout => "timeout",
            TransportKind::Reset => "reset",
            TransportKind::Tls => "tls",
            TransportKind::Io => "io",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every failure m2m-auth reports: a code ([`Error::kind`]) and its fields
/// ([`Error::detail`]).
///
/// One pointer wide, so `Result<Token, Error>` stays small on the hot path.
/// Cloneable, because one token request's outcome is shared by every caller
/// waiting on it (single flight). No error ever holds a secret: text that came
/// from the server is scrubbed of the client's credentials before it is
/// stored here.
#[derive(Clone)]
pub struct Error(Box<Repr>);

/// An error's fields and, for a failure of user code the engine called (a
/// `client_assertion_provider`), that code's own error: reachable through
/// [`std::error::Error::source`] (so a binding can chain the original
/// exception), never part of the message.
#[derive(Clone)]
struct Repr {
    detail: ErrorDetail,
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl PartialEq for Error {
    /// Errors are equal when their fields are (the source is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.0.detail == other.0.detail
    }
}

impl Eq for Error {}

/// The fields of an [`Error`], one variant per code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorDetail {
    /// A bad or missing option.
    #[error("config: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// The authorization server refused (RFC 6749 §5.2).
    #[error("oauth: {error}{} (status {status})", describe(.error_description))]
    OAuth {
        /// The `error` code, e.g. `invalid_client`.
        error: String,
        /// The server's `error_description`, if any.
        error_description: Option<String>,
        /// The server's `error_uri`, if any.
        error_uri: Option<String>,
        /// The HTTP status it came with.
        status: u16,
    },
    /// A non-OAuth HTTP failure.
    #[error("http: status {status}{}", excerpt(.body))]
    Http {
        /// The HTTP status.
        status: u16,
        /// The first bytes of the body (at most 512), lossily decoded.
        body: String,
    },
    /// Could not talk to the server.
    #[error("transport ({kind}): {message}")]
    Transport {
        /// What failed.
        kind: TransportKind,
        /// Detail, for people.
        message: String,
    },
    /// A 200 that is not a valid token response.
    #[error("invalid_response: {reason}")]
    InvalidResponse {
        /// What is wrong with it.
        reason: String,
    },
    /// Refused locally: the server asked us to wait, or kept failing.
    #[error("throttled: token requests for this key are paused for {:.3} s", .retry_after.as_secs_f64())]
    Throttled {
        /// How long until a request may be sent again.
        retry_after: Duration,
    },
    /// A shared cache is unreachable or corrupt.
    #[error("cache: {message}")]
    Cache {
        /// Detail.
        message: String,
    },
    /// (Verifier) a token failed validation.
    #[error("invalid_token ({reason}): {message}")]
    InvalidToken {
        /// Why, as a stable reason code (`expired`, `bad_signature`, ...;
        /// docs/design.md §10).
        reason: String,
        /// Detail for people: never the token or its parts, only the
        /// header's scrubbed `alg`/`kid`/`typ`.
        message: String,
    },
    /// (Verifier) the token is valid but lacks a required scope.
    #[error("insufficient_scope: the request requires scope {required_scope:?}")]
    InsufficientScope {
        /// Every scope the request requires, space-separated.
        required_scope: String,
    },
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!(": {d}"),
        _ => String::new(),
    }
}

fn excerpt(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

impl ErrorDetail {
    /// The taxonomy code of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ErrorDetail::Config { .. } => ErrorKind::Config,
            ErrorDetail::OAuth { .. } => ErrorKind::OAuth,
            ErrorDetail::Http { .. } => ErrorKind::Http,
            ErrorDetail::Transport { .. } => ErrorKind::Transport,
            ErrorDetail::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            ErrorDetail::Throttled { .. } => ErrorKind::Throttled,
            ErrorDetail::Cache { .. } => ErrorKind::Cache,
            ErrorDetail::InvalidToken { .. } => ErrorKind::InvalidToken,
            ErrorDetail::InsufficientScope { .. } => ErrorKind::InsufficientScope,
        }
    }
}

impl From<ErrorDetail> for Error {
    fn from(detail: ErrorDetail) -> Self {
        Error(Box::new(Repr {
            detail,
            source: None,
        }))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.detail, f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.detail, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl Error {
    /// The taxonomy code of this error.
    pub fn kind(&self) -> ErrorKind {
        self.0.detail.kind()
    }

    /// Shorthand for [`ErrorKind::code`] of [`Error::kind`].
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// The fields of this error.
    pub fn detail(&self) -> &ErrorDetail {
        &self.0.detail
    }

    /// The fields of this error, owned.
    pub fn into_detail(self) -> ErrorDetail {
        self.0.detail
    }

    /// This error with `source` as its [`std::error::Error::source`]: the
    /// error of user code the engine called (never shown in the message).
    pub(crate) fn with_source(
        mut self,
        source: std::sync::Arc<dyn std::error::Error + Send + Sync>,
    ) -> Self {
        self.0.source = Some(source);
        self
    }

    /// The HTTP status, for `oauth` and `http` errors.
    pub fn status(&self) -> Option<u16> {
        match &self.0.detail {
            ErrorDetail::OAuth { status, .. } | ErrorDetail::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// For `throttled` errors: how long until a request may be sent again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.0.detail {
            ErrorDetail::Throttled { retry_after } => Some(retry_after),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        ErrorDetail::Config {
            message: strip_userinfo(&message.into()),
        }
        .into()
    }

    pub(crate) fn invalid_response(reason: impl Into<String>) -> Self {
        ErrorDetail::InvalidResponse {
            reason: reason.into(),
        }
        .into()
    }

    pub(crate) fn invalid_token(reason: &str, message: impl Into<String>) -> Self {
        ErrorDetail::InvalidToken {
            reason: reason.to_string(),
            message: message.into(),
        }
        .into()
    }

    pub(crate) fn transport(kind: TransportKind, message: impl Into<String>) -> Self {
        ErrorDetail::Transport {
            kind,
            message: message.into(),
        }
        .into()
    }

    /// Applies `f` to every free-text field (used to scrub secrets).
    pub(crate) fn map_text(self, f: impl Fn(String) -> String) -> Self {
        use ErrorDetail as E;
        let source = self.0.source.clone();
        let detail = match self.into_detail() {
            E::Config { message } => E::Config {
                message: f(message),
            },
            E::OAuth {
                error,
                error_description,
                error_uri,
                status,
            } => E::OAuth {
                error: f(error),
                error_description: error_description.map(&f),
                error_uri: error_uri.map(&f),
                status,
            },
            E::Http { status, body } => E::Http {
                status,
                body: f(body),
            },
            E::Transport { kind, message } => E::Transport {
                kind,
                message: f(message),
            },
            E::InvalidResponse { reason } => E::InvalidResponse { reason: f(reason) },
            E::Cache { message } => E::Cache {
                message: f(message),
            },
            E::InvalidToken { reason, message } => E::InvalidToken {
                reason,
                message: f(message),
            },
            e @ (E::Throttled { .. } | E::InsufficientScope { .. }) => e,
        };
        let mut error: Error = detail.into();
        error.0.source = source;
        error
    }
}

/// `text` with the user info of every URL in it (`scheme://user:pass@host`)
/// replaced by `***`: configuration errors quote the URLs they refuse, and
/// a cache, proxy or endpoint URL may carry a password.
pub(crate) fn strip_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends at the first of these; user info ends at its
        // last `@`.
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | ' ' | '\\') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// `Result` with m2m-auth's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_never_quote_a_url_s_user_info() {
        for (given, shown) in [
            (
                "unknown cache \"valkey://:hunter2@h:6379/0\"",
                "unknown cache \"valkey://***@h:6379/0\"",
            ),
            (
                "proxy \"http://u:hunter2@[bad\" is not valid",
                "proxy \"http://***@[bad\" is not valid",
            ),
            ("a://x@y/p?q=b://c:hunter2@d e", "a://***@y/p?q=b://***@d e"),
            ("no url here", "no url here"),
            ("https://host/path@x", "https://host/path@x"),
        ] {
            assert_eq!(Error::config(given).to_string(), format!("config: {shown}"));
        }
    }
}
