//! `Verifier`: the engine's access-token verifier for Python (the API side).
//!
//! Options come through the same generic extractor as the client's
//! (`options.rs`, table `surface::VERIFIER_OPTIONS`). A verification runs the
//! engine's synchronous `verify_now` with the GIL released (a signature check
//! is tens of µs that other threads can use); only when the engine needs a
//! JWKS fetch first does the call wait on the engine's runtime (sync) or
//! hand the rest to the event loop (async, `aio.rs`).

use m2m_auth::ErrorDetail;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::aio::{self, Completion};
use crate::claims::{Claims, VerifierStats};
use crate::runtime::block_on;
use crate::{errors, options};

/// Verifies RFC 9068 access tokens (JWTs) against an issuer's keys.
///
/// Takes every verifier option as a keyword (`issuer` and `audience` are
/// required; keys come from `jwks_uri`, a static `jwks`, or the issuer's
/// metadata). Thread-safe; usable from any number of threads and event loops
/// at once. Verified tokens are cached (keyed by their SHA-256), so a repeated
/// token costs a lookup; `exp`/`nbf` are checked against the clock each time.
#[pyclass(
    frozen,
    subclass,
    weakref,
    module = "m2m_auth._native",
    name = "Verifier"
)]
pub(crate) struct Verifier {
    verifier: m2m_auth::Verifier,
}

/// A call's verification: a bare token, or a request's header and scopes.
#[derive(Clone)]
enum Call {
    Token(String),
    Request(Option<String>, Vec<String>),
}

impl Call {
    /// The engine's answer without awaiting; `None`: a JWKS fetch is due.
    fn now(&self, v: &m2m_auth::Verifier) -> Option<m2m_auth::Result<m2m_auth::Claims>> {
        match self {
            Call::Token(t) => v.verify_now(t),
            Call::Request(h, s) => {
                let scopes: Vec<&str> = s.iter().map(String::as_str).collect();
                v.verify_request_now(h.as_deref(), &scopes)
            }
        }
    }

    /// The engine's answer, fetching keys as needed.
    async fn run(self, v: m2m_auth::Verifier) -> m2m_auth::Result<m2m_auth::Claims> {
        match self {
            Call::Token(t) => v.verify(&t).await,
            Call::Request(h, s) => {
                let scopes: Vec<&str> = s.iter().map(String::as_str).collect();
                v.verify_request(h.as_deref(), &scopes).await
            }
        }
    }
}

fn text(v: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    match v.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(PyTypeError::new_err(format!("{what} must be a str"))),
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

fn request(
    authorization: Option<&Bound<'_, PyAny>>,
    required: Option<&Bound<'_, PyAny>>,
) -> PyResult<Call> {
    let header = match authorization.filter(|a| !a.is_none()) {
        Some(a) => Some(text(a, "authorization")?),
        None => None,
    };
    Ok(Call::Request(header, scopes(required)?))
}

impl Verifier {
    /// Sync: the fast path with the GIL released, else a wait on the runtime.
    fn sync(&self, py: Python<'_>, call: Call) -> PyResult<Claims> {
        let v = &self.verifier;
        let result = match py.detach(|| call.now(v)) {
            Some(r) => r,
            None => block_on(py, call.run(v.clone()))?,
        };
        result.map(Claims::new).map_err(|e| errors::to_py(py, &e))
    }

    /// Async: the claims at once when no fetch is needed, else a future.
    fn start(&self, py: Python<'_>, call: Call) -> PyResult<Py<PyAny>> {
        let v = &self.verifier;
        if let Some(r) = py.detach(|| call.now(v)) {
            return match r {
                Ok(c) => Ok(Py::new(py, Claims::new(c))?.into_any()),
                Err(e) => Err(errors::to_py(py, &e)),
            };
        }
        let v = v.clone();
        aio::spawn(py, async move {
            let result = call.run(v).await;
            Box::new(move |py: Python<'_>| match result {
                Ok(c) => Ok(Py::new(py, Claims::new(c))?.into_any()),
                Err(e) => Err(errors::to_py(py, &e)),
            }) as Completion
        })
    }
}

#[pymethods]
impl Verifier {
    /// Every verifier option the engine declares, as a keyword (an unknown
    /// one is a `TypeError`, a value of the wrong shape or a bad combination
    /// a `ConfigError`). Builds without I/O.
    #[new]
    #[pyo3(signature = (**options))]
    fn py_new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let builder = options::verifier_builder(py, options)?;
        let verifier = builder.build().map_err(|e| errors::to_py(py, &e))?;
        Ok(Verifier { verifier })
    }

    /// Verifies a bare access token (the compact JWS) and returns its
    /// claims; raises `InvalidTokenError` (`.reason`) when it is not valid.
    /// Releases the GIL while it verifies or waits for the issuer's keys.
    fn verify(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<Claims> {
        let call = Call::Token(text(token, "token")?);
        self.sync(py, call)
    }

    /// Verifies the `Authorization` header as it arrived (`Bearer <token>`;
    /// `None` when the request had none), then requires every scope of
    /// `scopes` (a `str`, space-separated, or a sequence of `str`): a missing
    /// token is `InvalidTokenError` with reason `missing`, a missing scope
    /// `InsufficientScopeError` (`.required_scope`).
    #[pyo3(signature = (authorization, scopes=None))]
    fn verify_request(
        &self,
        py: Python<'_>,
        authorization: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Claims> {
        let call = request(authorization, scopes)?;
        self.sync(py, call)
    }

    /// `verify()` for asyncio: the claims at once when no key fetch is
    /// needed, else an `asyncio.Future` of this loop. Use `verify_async()`.
    fn _verify_async(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let call = Call::Token(text(token, "token")?);
        self.start(py, call)
    }

    /// `verify_request()` for asyncio, as `_verify_async`. Use
    /// `verify_request_async()`.
    #[pyo3(signature = (authorization, scopes=None))]
    fn _verify_request_async(
        &self,
        py: Python<'_>,
        authorization: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let call = request(authorization, scopes)?;
        self.start(py, call)
    }

    /// This verifier's counters.
    fn stats(&self) -> VerifierStats {
        VerifierStats(self.verifier.stats())
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.verifier)
    }
}

/// The RFC 6750 answer to a failed verification, from the engine
/// (`m2m_auth::challenge`): `(status, www_authenticate)`: 401 with
/// `Bearer error="invalid_token", error_description="<reason>"` (a bare
/// `Bearer` when no token was sent), 403 with `error="insufficient_scope",
/// scope="..."`, or 503 without a header for anything else (the issuer's keys
/// unreachable, ...). `realm`, when given, comes first. Never the token.
#[pyfunction]
#[pyo3(signature = (error, realm=None))]
pub(crate) fn challenge(
    error: &Bound<'_, PyAny>,
    realm: Option<String>,
) -> PyResult<(u16, Option<String>)> {
    // The engine's error again from the exception's fields (an exception may
    // have been pickled, or raised by Python code): only the code and its
    // field decide the answer.
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
    let c = m2m_auth::challenge(&detail.into(), realm.as_deref());
    Ok((c.status, c.www_authenticate))
}
