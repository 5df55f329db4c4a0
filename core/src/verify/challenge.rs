//! The RFC 6750 §3 answer to a failed verification, the same in every
//! middleware (docs/design.md §10).

use crate::error::{Error, ErrorDetail};

/// What a middleware answers: a status and, when one is due, the
/// `WWW-Authenticate` header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// 401, 403 or 503.
    pub status: u16,
    /// The `WWW-Authenticate` value, if any.
    pub www_authenticate: Option<String>,
}

/// The answer for `error`: `invalid_token` → 401 with
/// `Bearer error="invalid_token", error_description="<reason>"`; a missing
/// token → 401 with a bare `Bearer` (RFC 6750 §3.1); `insufficient_scope` →
/// 403 with the required scope; anything else (the JWKS unreachable, ...) →
/// 503 without a header. `realm`, when given, comes first. Never echoes the
/// token: only the reason code and the configured scope are quoted.
pub fn challenge(error: &Error, realm: Option<&str>) -> Challenge {
    let mut params: Vec<String> = Vec::new();
    if let Some(r) = realm {
        params.push(format!("realm=\"{}\"", quote(r)));
    }
    let status = match error.detail() {
        ErrorDetail::InvalidToken { reason, .. } if reason == super::reason::MISSING => 401,
        ErrorDetail::InvalidToken { reason, .. } => {
            params.push("error=\"invalid_token\"".into());
            params.push(format!("error_description=\"{}\"", quote(reason)));
            401
        }
        ErrorDetail::InsufficientScope { required_scope } => {
            params.push("error=\"insufficient_scope\"".into());
            params.push(format!("scope=\"{}\"", quote(required_scope)));
            403
        }
        _ => {
            return Challenge {
                status: 503,
                www_authenticate: None,
            }
        }
    };
    let header = if params.is_empty() {
        "Bearer".to_string()
    } else {
        format!("Bearer {}", params.join(", "))
    };
    Challenge {
        status,
        www_authenticate: Some(header),
    }
}

/// A quoted-string body: printable ASCII, `"` and `\` escaped (RFC 9110
/// §5.6.4), so configured text cannot break the header.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| c.is_ascii_graphic() || *c == ' ') {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
