//! Python values to engine types and back, beyond options (`options.rs`):
//! JSON, bodies, headers, instants. Shapes only: what the values mean (and
//! whether they are valid) is decided by the engine.

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString};

use crate::errors;

/// A JSON value as the Python value `json.loads` would give.
pub(crate) fn json<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for item in a {
                list.append(json(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(o) => json_object(py, o)?.into_any(),
    })
}

/// A JSON object as a `dict`.
pub(crate) fn json_object<'py>(
    py: Python<'py>,
    o: &serde_json::Map<String, serde_json::Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in o {
        dict.set_item(k, json(py, v)?)?;
    }
    Ok(dict)
}

/// `str` or `bytes` as bytes.
pub(crate) fn bytes(py: Python<'_>, value: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<u8>> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    Err(errors::config(py, format!("{name} must be str or bytes")))
}

/// A mapping of `str` to `str` as `(name, value)` pairs (HTTP headers).
pub(crate) fn headers(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    crate::options::map(value)
        .map(|m| m.into_iter().collect())
        .ok_or_else(|| errors::config(py, "headers must be a mapping of str to str"))
}

/// A `Token` or a `str` as the access token it is or holds (`TypeError`
/// for anything else): what `invalidate_rejected` and `dpop_proof` take.
pub(crate) fn access_token(value: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    if let Ok(t) = value.cast::<crate::types::Token>() {
        return Ok(t.get().token.access_token().to_owned());
    }
    value
        .extract::<String>()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a Token or a str")))
}

/// A wall-clock instant as seconds since the epoch (Python's `time.time()`
/// scale; negative before 1970).
pub(crate) fn epoch_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}
