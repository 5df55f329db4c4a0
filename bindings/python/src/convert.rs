//! Python values to engine types and back. Shapes only: what the values mean
//! (and whether they are valid) is decided by the engine.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use m2m_auth::TokenRequest;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString};

use crate::errors;

/// `str` (one item, which may hold several space-separated scopes) or an
/// iterable of `str`.
pub(crate) fn strings(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<Vec<String>> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(vec![s.to_cow()?.into_owned()]);
    }
    let Ok(iter) = value.try_iter() else {
        return Err(errors::config(
            py,
            format!("{name} must be a str or an iterable of str"),
        ));
    };
    let mut out = Vec::new();
    for item in iter {
        let item = item?;
        match item.cast::<PyString>() {
            Ok(s) => out.push(s.to_cow()?.into_owned()),
            Err(_) => {
                return Err(errors::config(
                    py,
                    format!("{name} must be a str or an iterable of str"),
                ))
            }
        }
    }
    Ok(out)
}

/// A mapping of `str` to `str`.
pub(crate) fn string_map(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<BTreeMap<String, String>> {
    let bad = || errors::config(py, format!("{name} must be a mapping of str to str"));
    let items = value.call_method0("items").map_err(|_| bad())?;
    let mut out = BTreeMap::new();
    for pair in items.try_iter().map_err(|_| bad())? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair?.extract().map_err(|_| bad())?;
        let (Ok(k), Ok(v)) = (k.cast::<PyString>(), v.cast::<PyString>()) else {
            return Err(bad());
        };
        out.insert(k.to_cow()?.into_owned(), v.to_cow()?.into_owned());
    }
    Ok(out)
}

/// The per-call request parameters as Python passes them.
#[derive(Default)]
pub(crate) struct RequestArgs<'a, 'py> {
    pub audience: Option<String>,
    pub scope: Option<&'a Bound<'py, PyAny>>,
    pub organization: Option<String>,
    pub resource: Option<&'a Bound<'py, PyAny>>,
    pub extra: Option<&'a Bound<'py, PyAny>>,
}

impl RequestArgs<'_, '_> {
    /// True when nothing is overridden.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.audience.is_none()
            && self.scope.is_none()
            && self.organization.is_none()
            && self.resource.is_none()
            && self.extra.is_none()
    }

    /// The engine's request.
    pub fn to_request(&self, py: Python<'_>) -> PyResult<TokenRequest> {
        let mut r = TokenRequest::new();
        r.audience = self.audience.clone();
        r.organization = self.organization.clone();
        if let Some(s) = self.scope {
            r.scope = Some(strings(py, s, "scope")?);
        }
        if let Some(s) = self.resource {
            r.resource = Some(strings(py, s, "resource")?);
        }
        if let Some(e) = self.extra {
            r.extra = Some(string_map(py, e, "extra")?);
        }
        Ok(r)
    }
}

/// Seconds (`int`/`float`) or a `datetime.timedelta`, as a `Duration`.
pub(crate) fn duration(py: Python<'_>, value: &Bound<'_, PyAny>, name: &str) -> PyResult<Duration> {
    let bad = || {
        errors::config(
            py,
            format!("{name} must be a non-negative number of seconds or a timedelta"),
        )
    };
    if value.is_instance_of::<PyBool>() {
        return Err(bad());
    }
    let secs: f64 = if value.hasattr("total_seconds")? {
        value
            .call_method0("total_seconds")?
            .extract()
            .map_err(|_| bad())?
    } else {
        value.extract().map_err(|_| bad())?
    };
    Duration::try_from_secs_f64(secs).map_err(|_| bad())
}

/// A wall-clock instant as an aware UTC `datetime`.
pub(crate) fn datetime<'py>(py: Python<'py>, t: SystemTime) -> PyResult<Bound<'py, PyAny>> {
    static FROM_TS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let from_ts = FROM_TS.get_or_try_init(py, || -> PyResult<_> {
        Ok(py
            .import("datetime")?
            .getattr("datetime")?
            .getattr("fromtimestamp")?
            .unbind())
    })?;
    let utc = UTC.get_or_try_init(py, || -> PyResult<_> {
        Ok(py
            .import("datetime")?
            .getattr("timezone")?
            .getattr("utc")?
            .unbind())
    })?;
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    };
    from_ts.bind(py).call1((secs, utc.bind(py)))
}

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
