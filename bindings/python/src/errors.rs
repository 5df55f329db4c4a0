//! Engine errors as Python exceptions: one class per docs/design.md §6 code, defined
//! in `m2m_auth/_errors.py` (picklable, `.code`), carrying the error's fields.
//! The message is the engine's, already scrubbed of every credential.

use m2m_auth::{Error, ErrorDetail};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    Ok(ERRORS
        .get_or_try_init(py, || {
            PyModule::import(py, "m2m_auth._errors").map(Bound::unbind)
        })?
        .bind(py))
}

/// The exception for an engine error.
pub(crate) fn to_py(py: Python<'_>, err: &Error) -> PyErr {
    build(py, err).unwrap_or_else(|e| e)
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let m = module(py)?;
    let fields = PyDict::new(py);
    let class = match err.detail() {
        ErrorDetail::Config { .. } => "ConfigError",
        ErrorDetail::OAuth {
            error,
            error_description,
            error_uri,
            status,
        } => {
            fields.set_item("error", error)?;
            fields.set_item("error_description", error_description)?;
            fields.set_item("error_uri", error_uri)?;
            fields.set_item("status", status)?;
            "OAuthError"
        }
        ErrorDetail::Http { status, body } => {
            fields.set_item("status", status)?;
            fields.set_item("body", body)?;
            "HTTPError"
        }
        ErrorDetail::Transport { kind, .. } => {
            fields.set_item("kind", kind.as_str())?;
            "TransportError"
        }
        ErrorDetail::InvalidResponse { reason } => {
            fields.set_item("reason", reason)?;
            "InvalidResponseError"
        }
        ErrorDetail::Throttled { retry_after } => {
            fields.set_item("retry_after", retry_after.as_secs_f64())?;
            "ThrottledError"
        }
        ErrorDetail::Cache { .. } => "CacheError",
        ErrorDetail::InvalidToken { reason } => {
            fields.set_item("reason", reason)?;
            "InvalidTokenError"
        }
        // A code this binding does not know yet: the base class, with the code.
        _ => {
            fields.set_item("code", err.code())?;
            "M2MAuthError"
        }
    };
    let exc = m.getattr(class)?.call((err.to_string(),), Some(&fields))?;
    Ok(PyErr::from_value(exc))
}

/// A `ConfigError` raised by the binding itself (an option of the wrong
/// shape, a closed client). The message never holds an option's value.
pub(crate) fn config(py: Python<'_>, message: impl Into<String>) -> PyErr {
    let detail = ErrorDetail::Config {
        message: message.into(),
    };
    to_py(py, &Error::from(detail))
}
