//! The answer to a failed verification, from the engine: the free
//! `challenge(error, realm)` (RFC 6750, Bearer only) and the error it and
//! `Verifier.challenge` take back from a Python exception.

use m2m_auth::ErrorDetail;
use pyo3::prelude::*;
use pyo3::types::PyString;

/// The engine's error again from the exception's fields (an exception may
/// have been pickled, or raised by Python code): only the code and its
/// field decide the answer, so no message (and no token) is carried over.
pub(crate) fn engine_error(error: &Bound<'_, PyAny>) -> PyResult<m2m_auth::Error> {
    let field = |name: &str| -> PyResult<Option<String>> {
        match error.getattr(name) {
            Ok(v) if !v.is_none() => Ok(v.cast::<PyString>().ok().map(|s| s.to_string())),
            _ => Ok(None),
        }
    };
    let detail = match field("code")?.as_deref() {
        Some("invalid_token") => ErrorDetail::InvalidToken {
            reason: field("reason")?.unwrap_or_default(),
            message: String::new(),
        },
        Some("insufficient_scope") => ErrorDetail::InsufficientScope {
            required_scope: field("required_scope")?.unwrap_or_default(),
        },
        _ => ErrorDetail::Config {
            message: String::new(),
        },
    };
    Ok(detail.into())
}

/// The RFC 6750 answer to a failed verification, from the engine
/// (`m2m_auth::challenge`): `(status, www_authenticate)`: 401 with
/// `Bearer error="invalid_token", error_description="<reason>"` (a bare
/// `Bearer` when no token was sent), 403 with `error="insufficient_scope",
/// scope="..."`, or 503 without a header for anything else (the issuer's keys
/// unreachable, ...). `realm`, when given, comes first. Never the token.
/// A verifier that takes DPoP answers with `Verifier.challenge`.
#[pyfunction]
#[pyo3(signature = (error, realm=None))]
pub(crate) fn challenge(
    error: &Bound<'_, PyAny>,
    realm: Option<String>,
) -> PyResult<(u16, Option<String>)> {
    let c = m2m_auth::challenge(&engine_error(error)?, realm.as_deref());
    Ok((c.status, c.www_authenticate))
}
