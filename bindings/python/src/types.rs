//! The engine's value types as Python classes: `Token`, `Stats`,
//! `RetryPolicy`, `ApiResponse`.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString};

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

    /// The token type: `Bearer` (normalized from any case).
    #[getter]
    fn token_type(&self) -> &str {
        self.token.token_type()
    }

    /// Seconds left until `expires_at` (0.0 once passed).
    #[getter]
    fn expires_in(&self) -> f64 {
        self.token.expires_in().as_secs_f64()
    }

    /// When the token expires: an aware UTC `datetime` (from `expires_in`,
    /// counted from when the request was sent).
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::datetime(py, self.token.expires_at())
    }

    /// When the engine stops serving this token as fresh and renews it in the
    /// background: an aware UTC `datetime`.
    #[getter]
    fn refresh_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::datetime(py, self.token.refresh_at())
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

    /// The value for an HTTP `Authorization` header: `Bearer <token>`.
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

/// A snapshot of a client's counters.
#[pyclass(frozen, eq, get_all, module = "m2m_auth._native", name = "Stats")]
#[derive(PartialEq, Eq)]
pub(crate) struct Stats {
    /// Calls answered from the cache (fresh, or usable while refreshing).
    pub hits: u64,
    /// Calls that waited for a token request (their own or a shared one).
    pub misses: u64,
    /// Token requests this client made (each may take several attempts).
    pub fetches: u64,
    /// Of those, background refreshes of a still-usable token.
    pub refreshes: u64,
    /// Token requests that ended in an error.
    pub failures: u64,
}

impl From<m2m_auth::Stats> for Stats {
    fn from(s: m2m_auth::Stats) -> Self {
        Stats {
            hits: s.hits,
            misses: s.misses,
            fetches: s.fetches,
            refreshes: s.refreshes,
            failures: s.failures,
        }
    }
}

#[pymethods]
impl Stats {
    fn __repr__(&self) -> String {
        format!(
            "Stats(hits={}, misses={}, fetches={}, refreshes={}, failures={})",
            self.hits, self.misses, self.fetches, self.refreshes, self.failures
        )
    }
}

/// How token requests are retried and throttled (docs/design.md §5). Every argument
/// left out keeps the engine's default; durations are in seconds.
#[pyclass(frozen, module = "m2m_auth._native", name = "RetryPolicy")]
pub(crate) struct RetryPolicy {
    pub(crate) policy: m2m_auth::RetryPolicy,
}

fn seconds(
    py: Python<'_>,
    v: Option<&Bound<'_, PyAny>>,
    name: &str,
    into: &mut Duration,
) -> PyResult<()> {
    if let Some(v) = v {
        *into = convert::duration(py, v, name)?;
    }
    Ok(())
}

#[pymethods]
impl RetryPolicy {
    #[new]
    #[pyo3(signature = (*, max_attempts=None, base_delay=None, max_delay=None, jitter=None, default_throttle=None, max_retry_after=None))]
    fn py_new(
        py: Python<'_>,
        max_attempts: Option<u32>,
        base_delay: Option<&Bound<'_, PyAny>>,
        max_delay: Option<&Bound<'_, PyAny>>,
        jitter: Option<f64>,
        default_throttle: Option<&Bound<'_, PyAny>>,
        max_retry_after: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut p = m2m_auth::RetryPolicy::default();
        if let Some(n) = max_attempts {
            p.max_attempts = n;
        }
        seconds(py, base_delay, "base_delay", &mut p.base_delay)?;
        seconds(py, max_delay, "max_delay", &mut p.max_delay)?;
        if let Some(j) = jitter {
            p.jitter = j;
        }
        seconds(
            py,
            default_throttle,
            "default_throttle",
            &mut p.default_throttle,
        )?;
        seconds(
            py,
            max_retry_after,
            "max_retry_after",
            &mut p.max_retry_after,
        )?;
        Ok(RetryPolicy { policy: p })
    }

    /// Attempts in all, the first included.
    #[getter]
    fn max_attempts(&self) -> u32 {
        self.policy.max_attempts
    }

    /// Backoff before the second attempt, doubled for each later one (seconds).
    #[getter]
    fn base_delay(&self) -> f64 {
        self.policy.base_delay.as_secs_f64()
    }

    /// Longest backoff between two attempts (seconds).
    #[getter]
    fn max_delay(&self) -> f64 {
        self.policy.max_delay.as_secs_f64()
    }

    /// Random spread of each backoff, as a fraction (0.1 = ±10 %).
    #[getter]
    fn jitter(&self) -> f64 {
        self.policy.jitter
    }

    /// How long a key is throttled after a 429/5xx without `Retry-After`,
    /// once the attempts are spent (seconds).
    #[getter]
    fn default_throttle(&self) -> f64 {
        self.policy.default_throttle.as_secs_f64()
    }

    /// Cap on any `Retry-After` the server asks for (seconds).
    #[getter]
    fn max_retry_after(&self) -> f64 {
        self.policy.max_retry_after.as_secs_f64()
    }

    fn __repr__(&self) -> String {
        let p = &self.policy;
        format!(
            "RetryPolicy(max_attempts={}, base_delay={}, max_delay={}, jitter={}, default_throttle={}, max_retry_after={})",
            p.max_attempts,
            p.base_delay.as_secs_f64(),
            p.max_delay.as_secs_f64(),
            p.jitter,
            p.default_throttle.as_secs_f64(),
            p.max_retry_after.as_secs_f64()
        )
    }
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
