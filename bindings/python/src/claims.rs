//! The verifier's value types as Python classes: `Claims` (a verified
//! token's claims) and `VerifierStats`. Instants are float seconds since the
//! epoch, as everywhere in Python.

use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::convert;

/// The claims of a verified access token: the registered ones as read-only
/// attributes, every claim by name (`claims["name"]`, `get()`), all of them
/// as a `dict` (`as_dict()`) or JSON text (`to_json()`). Never holds the
/// token itself.
#[pyclass(frozen, module = "m2m_auth._native", name = "Claims")]
pub(crate) struct Claims(m2m_auth::Claims);

impl Claims {
    pub(crate) fn new(claims: m2m_auth::Claims) -> Claims {
        Claims(claims)
    }
}

#[pymethods]
impl Claims {
    /// `iss`: the issuer (equal to the verifier's).
    #[getter]
    fn issuer(&self) -> &str {
        self.0.issuer()
    }

    /// `sub`, or None.
    #[getter]
    fn subject(&self) -> Option<&str> {
        self.0.subject()
    }

    /// `aud` as a list (a string `aud` gives one entry).
    #[getter]
    fn audience(&self) -> Vec<String> {
        self.0.audience().to_vec()
    }

    /// `client_id`, or None.
    #[getter]
    fn client_id(&self) -> Option<&str> {
        self.0.client_id()
    }

    /// The granted scopes: `scope` split on spaces, or the `scp` array
    /// (empty when the token has neither).
    #[getter]
    fn scopes(&self) -> Vec<String> {
        self.0.scopes().to_vec()
    }

    /// `exp`, in seconds since the epoch.
    #[getter]
    fn expires_at(&self) -> f64 {
        convert::epoch_seconds(self.0.expires_at())
    }

    /// `iat`, in seconds since the epoch, or None.
    #[getter]
    fn issued_at(&self) -> Option<f64> {
        self.0.issued_at().map(convert::epoch_seconds)
    }

    /// `nbf`, in seconds since the epoch, or None.
    #[getter]
    fn not_before(&self) -> Option<f64> {
        self.0.not_before().map(convert::epoch_seconds)
    }

    /// `jti`, or None.
    #[getter]
    fn jwt_id(&self) -> Option<&str> {
        self.0.jwt_id()
    }

    /// True when `scope` is one of `scopes`.
    fn has_scope(&self, scope: &Bound<'_, PyString>) -> PyResult<bool> {
        Ok(self.0.has_scope(&scope.to_cow()?))
    }

    /// The claim `name` as `json.loads` would give it, or `default`.
    #[pyo3(signature = (name, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.0.get(&name.to_cow()?) {
            Some(v) => convert::json(py, v),
            None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.0.get(&name.to_cow()?) {
            Some(v) => convert::json(py, v),
            None => Err(PyKeyError::new_err(name.clone().unbind())),
        }
    }

    fn __contains__(&self, name: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(match name.cast::<PyString>() {
            Ok(s) => self.0.get(&s.to_cow()?).is_some(),
            Err(_) => false,
        })
    }

    /// Every claim, as a new `dict` (as `json.loads` would give it).
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        convert::json_object(py, self.0.json())
    }

    /// Every claim as JSON text.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "Claims(issuer={:?}, subject={:?}, client_id={:?}, scopes={:?}, expires_at={:.0})",
            self.0.issuer(),
            self.0.subject(),
            self.0.client_id(),
            self.0.scopes(),
            convert::epoch_seconds(self.0.expires_at()),
        )
    }
}

/// A snapshot of a verifier's counters, and `as_dict()`.
#[pyclass(frozen, eq, module = "m2m_auth._native", name = "VerifierStats")]
#[derive(PartialEq, Eq)]
pub(crate) struct VerifierStats(pub(crate) m2m_auth::VerifierStats);

impl VerifierStats {
    fn fields(&self) -> [(&'static str, u64); 4] {
        let s = &self.0;
        [
            ("verified", s.verified),
            ("cache_hits", s.cache_hits),
            ("jwks_fetches", s.jwks_fetches),
            ("failures", s.failures),
        ]
    }
}

#[pymethods]
impl VerifierStats {
    /// Tokens that verified (cache hits included).
    #[getter]
    fn verified(&self) -> u64 {
        self.0.verified
    }

    /// Of those, answered from the verified-token cache.
    #[getter]
    fn cache_hits(&self) -> u64 {
        self.0.cache_hits
    }

    /// JWKS requests made.
    #[getter]
    fn jwks_fetches(&self) -> u64 {
        self.0.jwks_fetches
    }

    /// Verifications that failed.
    #[getter]
    fn failures(&self) -> u64 {
        self.0.failures
    }

    /// Every counter by name.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self.fields() {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let fields: Vec<String> = self
            .fields()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        format!("VerifierStats({})", fields.join(", "))
    }
}
