//! What one verification is, as the engine takes it: a bare token, an
//! `Authorization` header with scopes, or a whole HTTP request (method, URL,
//! `Authorization`, `DPoP`) with scopes; and the conversion of Python's
//! arguments into one. No DPoP rule lives here: the engine reads the
//! headers and checks the proof.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

/// A request as the API received it, owned (the engine's `HttpRequest`
/// borrows; an async call outlives the Python arguments).
#[derive(Clone)]
pub(crate) struct Http {
    method: String,
    url: String,
    authorization: Option<String>,
    dpop: Option<String>,
}

impl Http {
    fn borrowed(&self) -> m2m_auth::HttpRequest<'_> {
        m2m_auth::HttpRequest {
            method: &self.method,
            url: &self.url,
            authorization: self.authorization.as_deref(),
            dpop: self.dpop.as_deref(),
        }
    }
}

/// A call's verification.
#[derive(Clone)]
pub(crate) enum Call {
    /// A bare token (`verify`).
    Token(String),
    /// An `Authorization` header and scopes (`verify_request`).
    Request(Option<String>, Vec<String>),
    /// A request and scopes (`verify_http_request`).
    Http(Http, Vec<String>),
}

impl Call {
    /// The engine's answer without awaiting; `None`: a JWKS fetch is due.
    pub(crate) fn now(&self, v: &m2m_auth::Verifier) -> Option<m2m_auth::Result<m2m_auth::Claims>> {
        match self {
            Call::Token(t) => v.verify_now(t),
            Call::Request(h, s) => v.verify_request_now(h.as_deref(), &strs(s)),
            Call::Http(r, s) => v.verify_http_request_now(&r.borrowed(), &strs(s)),
        }
    }

    /// The engine's answer, fetching keys as needed.
    pub(crate) async fn run(self, v: m2m_auth::Verifier) -> m2m_auth::Result<m2m_auth::Claims> {
        match self {
            Call::Token(t) => v.verify(&t).await,
            Call::Request(h, s) => v.verify_request(h.as_deref(), &strs(&s)).await,
            Call::Http(r, s) => v.verify_http_request(&r.borrowed(), &strs(&s)).await,
        }
    }
}

fn strs(s: &[String]) -> Vec<&str> {
    s.iter().map(String::as_str).collect()
}

/// A `str` argument, or a `TypeError` naming it.
pub(crate) fn text(v: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    match v.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(PyTypeError::new_err(format!("{what} must be a str"))),
    }
}

/// An optional `str` argument (`None`: absent).
pub(crate) fn optional_text(v: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<String>> {
    match v.filter(|v| !v.is_none()) {
        Some(v) => text(v, what).map(Some),
        None => Ok(None),
    }
}

/// `scopes`: a `str` (space-separated) or an iterable of `str`.
fn scopes(v: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s
            .to_cow()?
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect());
    }
    let mut out = Vec::new();
    for item in v.try_iter()? {
        out.push(text(&item?, "each scope")?);
    }
    Ok(out)
}

/// `verify_request(authorization, scopes)`'s call.
pub(crate) fn request(
    authorization: Option<&Bound<'_, PyAny>>,
    required: Option<&Bound<'_, PyAny>>,
) -> PyResult<Call> {
    Ok(Call::Request(
        optional_text(authorization, "authorization")?,
        scopes(required)?,
    ))
}

/// `verify_http_request(method, url, authorization, dpop, scopes)`'s call.
pub(crate) fn http_request(
    method: &Bound<'_, PyAny>,
    url: &Bound<'_, PyAny>,
    authorization: Option<&Bound<'_, PyAny>>,
    dpop: Option<&Bound<'_, PyAny>>,
    required: Option<&Bound<'_, PyAny>>,
) -> PyResult<Call> {
    let http = Http {
        method: text(method, "method")?,
        url: text(url, "url")?,
        authorization: optional_text(authorization, "authorization")?,
        dpop: optional_text(dpop, "dpop")?,
    };
    Ok(Call::Http(http, scopes(required)?))
}
