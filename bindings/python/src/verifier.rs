//! `Verifier`: the engine's access-token verifier for Python (the API side).
//!
//! Options come through the same generic extractor as the client's
//! (`options.rs`, table `surface::VERIFIER_OPTIONS`). A verification runs the
//! engine's synchronous `verify_now` with the GIL released (a signature check
//! is tens of µs that other threads can use); only when the engine needs a
//! JWKS fetch first does the call wait on the engine's runtime (sync) or
//! hand the rest to the event loop (async, `aio.rs`).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::aio::{self, Completion};
use crate::challenge::engine_error;
use crate::claims::{Claims, VerifierStats};
use crate::runtime::block_on;
use crate::verify_call::{http_request, optional_text, request, text, Call};
use crate::{errors, options};

/// Verifies RFC 9068 access tokens (JWTs) against an issuer's keys.
///
/// Takes every verifier option as a keyword (`issuer` and `audience` are
/// required; keys come from `jwks_uri`, a static `jwks`, or the issuer's
/// metadata). Thread-safe; usable from any number of threads and event loops
/// at once. Verified tokens are cached (keyed by their SHA-256), so a repeated
/// token costs a lookup; `exp`/`nbf` are checked against the clock each time.
/// DPoP-bound tokens (RFC 9449) are taken with their proof through
/// `verify_http_request`, as the `dpop*` options say; the engine holds every
/// DPoP rule, this class only converts arguments.
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

    /// Verifies a request as the API received it, `Bearer` or `DPoP` (RFC
    /// 9449): `method`, the absolute `url` the client addressed (behind a
    /// proxy, the public one), the `Authorization` header and the `DPoP`
    /// header (several joined with `, `, which the engine refuses), then
    /// requires every scope of `scopes`. The `dpop` option decides which
    /// schemes are taken; a refusal is `InvalidTokenError` (DPoP reasons
    /// `dpop_proof`, `dpop_replay`, `dpop_nonce`, `dpop_bound`) or
    /// `InsufficientScopeError`, answered by `challenge()`. GIL released.
    #[pyo3(signature = (method, url, authorization, dpop=None, scopes=None))]
    fn verify_http_request(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        authorization: Option<&Bound<'_, PyAny>>,
        dpop: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Claims> {
        let call = http_request(method, url, authorization, dpop, scopes)?;
        self.sync(py, call)
    }

    /// `verify_http_request()` for asyncio, as `_verify_async`. Use
    /// `verify_http_request_async()`.
    #[pyo3(signature = (method, url, authorization, dpop=None, scopes=None))]
    fn _verify_http_request_async(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        authorization: Option<&Bound<'_, PyAny>>,
        dpop: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let call = http_request(method, url, authorization, dpop, scopes)?;
        self.start(py, call)
    }

    /// The answer to a failed verification of a request whose
    /// `Authorization` header was `authorization`, with this verifier's
    /// DPoP options (the engine's `Verifier::challenge`):
    /// `(status, www_authenticate, dpop_nonce)`, the free `challenge()`'s
    /// pair plus the `DPoP-Nonce` to send (in nonce mode, on a 401). A DPoP
    /// presentation or reason gets a `DPoP` challenge (`invalid_dpop_proof`,
    /// `use_dpop_nonce`, `invalid_token`, with `algs`); never the token.
    #[pyo3(signature = (error, authorization=None, realm=None))]
    fn challenge(
        &self,
        error: &Bound<'_, PyAny>,
        authorization: Option<&Bound<'_, PyAny>>,
        realm: Option<String>,
    ) -> PyResult<(u16, Option<String>, Option<String>)> {
        let error = engine_error(error)?;
        let authorization = optional_text(authorization, "authorization")?;
        let c = self
            .verifier
            .challenge(&error, authorization.as_deref(), realm.as_deref());
        Ok((c.status, c.www_authenticate, c.dpop_nonce))
    }

    /// The `DPoP-Nonce` to send now (with `dpop_nonce` on), else `None`.
    fn dpop_nonce(&self) -> Option<String> {
        self.verifier.dpop_nonce()
    }

    /// This verifier's counters.
    fn stats(&self) -> VerifierStats {
        VerifierStats(self.verifier.stats())
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.verifier)
    }
}
