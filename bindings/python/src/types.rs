//! The engine's value types as Python classes: `Token`, `Stats`,
//! `QuotaBucket`, `ApiResponse`. Durations are seconds and instants seconds since the epoch
//! (floats), as everywhere in Python.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyCFunction, PyDict, PyString, PyTuple, PyType};

use crate::convert;

/// An access token from the token endpoint (RFC 6749 §5.1).
///
/// `repr()` shows its metadata and a short SHA-256 fingerprint, never the
/// token. Send it with `authorization_header()`.
#[pyclass(frozen, module = "m2m_auth._native", name = "Token")]
pub(crate) struct Token {
    pub(crate) token: m2m_auth::Token,
    access_token: PyOnceLock<Py<PyString>>,
    header: PyOnceLock<Py<PyString>>,
}

impl Token {
    pub(crate) fn new(token: m2m_auth::Token) -> Token {
        Token {
            token,
            access_token: PyOnceLock::new(),
            header: PyOnceLock::new(),
        }
    }
}

#[pymethods]
impl Token {
    /// The access token, to send as a bearer credential.
    #[getter]
    fn access_token(&self, py: Python<'_>) -> Py<PyString> {
        self.access_token
            .get_or_init(py, || PyString::new(py, self.token.access_token()).unbind())
            .clone_ref(py)
    }

    /// The token type: `Bearer`, or `DPoP` for a DPoP-bound token (normalized
    /// from any case).
    #[getter]
    fn token_type(&self) -> &str {
        self.token.token_type()
    }

    /// Seconds left until `expires_at` (0.0 once passed).
    #[getter]
    fn expires_in(&self) -> f64 {
        self.token.expires_in().as_secs_f64()
    }

    /// When the token expires, in seconds since the epoch (as `time.time()`;
    /// from `expires_in`, counted from when the request was sent).
    #[getter]
    fn expires_at(&self) -> f64 {
        convert::epoch_seconds(self.token.expires_at())
    }

    /// When the engine stops serving this token as fresh and renews it in the
    /// background, in seconds since the epoch.
    #[getter]
    fn refresh_at(&self) -> f64 {
        convert::epoch_seconds(self.token.refresh_at())
    }

    /// The granted scope (space-separated): the response's `scope`, or the
    /// requested scopes when the server left it out; None if neither.
    #[getter]
    fn scope(&self) -> Option<&str> {
        self.token.scope()
    }

    /// Every other field of the token response, as the server sent it (a new
    /// `dict` on each access).
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        convert::json_object(py, self.token.extra())
    }

    /// A short SHA-256 fingerprint of the token, safe to log.
    #[getter]
    fn fingerprint(&self) -> &str {
        self.token.fingerprint()
    }

    /// The value for an HTTP `Authorization` header: `Bearer <token>`, or
    /// `DPoP <token>` for a DPoP-bound token (send a `DPoP` proof with it:
    /// `TokenClient.dpop_proof()`).
    fn authorization_header(&self, py: Python<'_>) -> Py<PyString> {
        self.header
            .get_or_init(py, || {
                PyString::new(py, self.token.authorization_header()).unbind()
            })
            .clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "Token(token_type={:?}, expires_in={:.0}, scope={}, fingerprint={:?})",
            self.token.token_type(),
            self.token.expires_in().as_secs_f64(),
            match self.token.scope() {
                Some(s) => format!("{s:?}"),
                None => "None".to_string(),
            },
            self.token.fingerprint(),
        )
    }
}

/// A snapshot of a client's counters: one attribute per counter the engine
/// declares (`surface::STATS`, installed by [`install_stats`]), and
/// `as_dict()`.
#[pyclass(frozen, eq, module = "m2m_auth._native", name = "Stats")]
#[derive(PartialEq, Eq)]
pub(crate) struct Stats(pub(crate) m2m_auth::Stats);

#[pymethods]
impl Stats {
    /// Every counter by name, in the engine's order.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self.0.fields() {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let fields: Vec<String> = self
            .0
            .fields()
            .iter()
            .map(|(name, value)| match value {
                Some(v) => format!("{name}={v}"),
                None => format!("{name}=None"),
            })
            .collect();
        format!("Stats({})", fields.join(", "))
    }
}

/// Adds to `Stats` a read-only property per item of `surface::STATS`, with
/// the item's doc line.
pub(crate) fn install_stats(ty: &Bound<'_, PyType>) -> PyResult<()> {
    let py = ty.py();
    let property = py.import("builtins")?.getattr("property")?;
    for item in m2m_auth::surface::STATS {
        let name = item.name;
        let get = PyCFunction::new_closure(
            py,
            None,
            None,
            move |args: &Bound<'_, PyTuple>,
                  _: Option<&Bound<'_, PyDict>>|
                  -> PyResult<Option<u64>> {
                let stats = args.get_item(0)?;
                let stats = stats.cast::<Stats>()?;
                // Absent (None): a reading with nothing to read
                // (quota_remaining before any quota was reported).
                Ok(stats.get().0.get(name))
            },
        )?;
        ty.setattr(name, property.call1((get, py.None(), py.None(), item.doc))?)?;
    }
    Ok(())
}

/// An API's answer to `TokenClient.call_api()`.
#[pyclass(frozen, module = "m2m_auth._native", name = "ApiResponse")]
pub(crate) struct ApiResponse {
    pub(crate) response: m2m_auth::ApiResponse,
}

#[pymethods]
impl ApiResponse {
    /// The HTTP status.
    #[getter]
    fn status(&self) -> u16 {
        self.response.status
    }

    /// The response headers as `(name, value)` pairs, names in lower case.
    #[getter]
    fn headers(&self) -> Vec<(String, String)> {
        self.response.headers.clone()
    }

    /// The body.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.response.body)
    }

    /// The body as text (UTF-8, invalid bytes replaced).
    fn text(&self) -> String {
        self.response.text()
    }

    /// The body parsed as JSON.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?
            .call_method1("loads", (PyBytes::new(py, &self.response.body),))
    }

    fn __repr__(&self) -> String {
        format!(
            "ApiResponse(status={}, body=<{} bytes>)",
            self.response.status,
            self.response.body.len()
        )
    }
}

/// One token quota bucket as the token endpoint last reported it
/// (`TokenClient.quota()`; docs/design.md §5, "Token quotas").
#[pyclass(frozen, eq, module = "m2m_auth._native", name = "QuotaBucket")]
#[derive(PartialEq, Eq)]
pub(crate) struct QuotaBucket(pub(crate) m2m_auth::QuotaBucket);

#[pymethods]
impl QuotaBucket {
    /// Whose quota: `"client"` or `"organization"`.
    #[getter]
    fn scope(&self) -> &'static str {
        self.0.scope
    }

    /// Which window: `"per_hour"` or `"per_day"`.
    #[getter]
    fn bucket(&self) -> &'static str {
        self.0.bucket
    }

    /// Tokens allowed in the window.
    #[getter]
    fn quota(&self) -> u64 {
        self.0.quota
    }

    /// Tokens left in the window when the response came.
    #[getter]
    fn remaining(&self) -> u64 {
        self.0.remaining
    }

    /// When the window resets, in seconds since the epoch.
    #[getter]
    fn reset_at(&self) -> f64 {
        convert::epoch_seconds(self.0.reset_at)
    }

    fn __repr__(&self) -> String {
        format!(
            "QuotaBucket(scope={:?}, bucket={:?}, quota={}, remaining={}, reset_at={:.0})",
            self.0.scope,
            self.0.bucket,
            self.0.quota,
            self.0.remaining,
            convert::epoch_seconds(self.0.reset_at),
        )
    }
}
