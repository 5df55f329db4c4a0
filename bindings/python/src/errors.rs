//! Engine errors as Python exceptions: one class per docs/design.md §6 code,
//! defined in `m2m_auth/_errors.py` (picklable, `.code`), each carrying every
//! field the engine declares (`surface::ERROR_FIELDS`, `None` when the error
//! has no such field), filled from [`Error::field`] without a list of its own.
//! The message is the engine's, already scrubbed of every credential.

use m2m_auth::surface::ERROR_FIELDS;
use m2m_auth::{Error, ErrorDetail, FieldValue};
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
    // The class of the code; the base class for a code this package does
    // not know yet (it still carries the code).
    let class = match m.getattr("_BY_CODE")?.get_item(err.code()) {
        Ok(class) => class,
        Err(_) => m.getattr("M2MAuthError")?,
    };
    let fields = PyDict::new(py);
    for item in ERROR_FIELDS {
        let value = match (err.field(item.name), item.name) {
            (Some(FieldValue::Text(s)), _) => s.into_pyobject(py)?.into_any(),
            (Some(FieldValue::Count(n)), _) => n.into_pyobject(py)?.into_any(),
            (Some(FieldValue::Duration(d)), _) => d.as_secs_f64().into_pyobject(py)?.into_any(),
            // The message is the error's text.
            (None, "message") => err.to_string().into_pyobject(py)?.into_any(),
            (None, _) => py.None().into_bound(py),
        };
        fields.set_item(item.name, value)?;
    }
    let exc = class.call((), Some(&fields))?;
    // A provider's exception is chained, as `raise ... from exc` would.
    if let Some(cause) = crate::provider::cause(py, err) {
        exc.setattr("__cause__", cause)?;
        exc.setattr("__suppress_context__", true)?;
    }
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
