//! The answer to a failed verification, the same in every middleware
//! (docs/design.md §10, §11): RFC 6750 §3 for Bearer, RFC 9449 §7.1 for
//! DPoP.

use super::dpop::DpopMode;
use super::reason;
use crate::error::{Error, ErrorDetail};

/// What a middleware answers: a status and, when one is due, the
/// `WWW-Authenticate` header value (and the `DPoP-Nonce` to send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// 401, 403 or 503.
    pub status: u16,
    /// The `WWW-Authenticate` value, if any.
    pub www_authenticate: Option<String>,
    /// The `DPoP-Nonce` header value, for a verifier in DPoP nonce mode.
    pub dpop_nonce: Option<String>,
}

/// The answer for `error`: `invalid_token` → 401 with
/// `Bearer error="invalid_token", error_description="<reason>"`; a missing
/// token → 401 with a bare `Bearer` (RFC 6750 §3.1); `insufficient_scope` →
/// 403 with the required scope; anything else (the JWKS unreachable, ...) →
/// 503 without a header. `realm`, when given, comes first. Never echoes the
/// token: only the reason code and the configured scope are quoted. For a
/// verifier that takes DPoP, [`crate::Verifier::challenge`] answers too.
pub fn challenge(error: &Error, realm: Option<&str>) -> Challenge {
    answer(error, realm, &Schemes::bearer())
}

/// The schemes an answer may name.
pub(crate) struct Schemes<'a> {
    /// The request presented its token as `DPoP`.
    pub presented_dpop: bool,
    pub mode: DpopMode,
    /// `algs` of DPoP challenges.
    pub algs: &'a str,
    pub nonce: Option<String>,
}

impl Schemes<'_> {
    fn bearer() -> Self {
        Schemes {
            presented_dpop: false,
            mode: DpopMode::Off,
            algs: "",
            nonce: None,
        }
    }
}

fn is_dpop_reason(r: &str) -> bool {
    [
        reason::DPOP_PROOF,
        reason::DPOP_REPLAY,
        reason::DPOP_NONCE,
        reason::DPOP_BOUND,
    ]
    .contains(&r)
}

pub(crate) fn answer(error: &Error, realm: Option<&str>, s: &Schemes<'_>) -> Challenge {
    let mut params: Vec<String> = Vec::new();
    if let Some(r) = realm {
        params.push(format!("realm=\"{}\"", quote(r)));
    }
    let mut dpop = s.presented_dpop && s.mode != DpopMode::Off;
    let (status, missing) = match error.detail() {
        ErrorDetail::InvalidToken { reason, .. } if reason == reason::MISSING => (401, true),
        ErrorDetail::InvalidToken { reason, .. } => {
            let error = match reason.as_str() {
                reason::DPOP_PROOF | reason::DPOP_REPLAY => "invalid_dpop_proof",
                reason::DPOP_NONCE => "use_dpop_nonce",
                _ => "invalid_token",
            };
            dpop |= is_dpop_reason(reason);
            params.push(format!("error=\"{error}\""));
            params.push(format!("error_description=\"{}\"", quote(reason)));
            (401, false)
        }
        ErrorDetail::InsufficientScope { required_scope } => {
            params.push("error=\"insufficient_scope\"".into());
            params.push(format!("scope=\"{}\"", quote(required_scope)));
            (403, false)
        }
        _ => {
            return Challenge {
                status: 503,
                www_authenticate: None,
                dpop_nonce: None,
            }
        }
    };
    let dpop_params = |mut p: Vec<String>| {
        p.push(format!("algs=\"{}\"", s.algs));
        p.join(", ")
    };
    let header = if missing {
        // No token: offer every scheme this API takes (RFC 9449 §7.1).
        let bearer = if params.is_empty() {
            "Bearer".to_string()
        } else {
            format!("Bearer {}", params.join(", "))
        };
        let dpop = format!("DPoP {}", dpop_params(params));
        match s.mode {
            DpopMode::Off => bearer,
            DpopMode::Allowed => format!("{bearer}, {dpop}"),
            DpopMode::Required => dpop,
        }
    } else if dpop || s.mode == DpopMode::Required {
        format!("DPoP {}", dpop_params(params))
    } else {
        format!("Bearer {}", params.join(", "))
    };
    Challenge {
        status,
        www_authenticate: Some(header),
        dpop_nonce: s.nonce.clone().filter(|_| status == 401),
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
