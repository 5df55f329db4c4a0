//! Options and request parameters by name (docs/design.md §9): one generic
//! extractor each, driven by the table the engine declares
//! ([`m2m_auth::surface`]), never by a list of its own.
//!
//! A keyword names an item of `surface::CLIENT_OPTIONS` (client constructor),
//! `surface::VERIFIER_OPTIONS` (verifier constructor) or
//! `surface::REQUEST_PARAMETERS` (per call); its value is converted by the
//! item's [`ValueType`] (Python's units: durations in seconds) and handed to
//! the engine's `set`, which decides what it means. An unknown keyword is a
//! `TypeError` naming it (Python's convention); a value of the wrong shape is
//! a `ConfigError` naming the option, never showing the value.

use std::collections::BTreeMap;

use m2m_auth::surface::{self, Item, ValueType};
use m2m_auth::{
    duration_from_secs, OptionValue, Secret, TokenClientBuilder, TokenRequest, VerifierBuilder,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};

use crate::errors;

/// The builder of a client for `TokenClient(**options)`, over `base` (a
/// fresh builder, or one that read the environment).
pub(crate) fn client_builder(
    py: Python<'_>,
    base: TokenClientBuilder,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<TokenClientBuilder> {
    let mut builder = base.binding("python");
    for (item, value) in named(py, "TokenClient", surface::CLIENT_OPTIONS, options)? {
        builder
            .set(item.name, value)
            .map_err(|e| errors::to_py(py, &e))?;
    }
    Ok(builder)
}

/// The builder of a verifier for `Verifier(**options)`: the same extractor
/// over `surface::VERIFIER_OPTIONS`.
pub(crate) fn verifier_builder(
    py: Python<'_>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<VerifierBuilder> {
    let mut builder = m2m_auth::Verifier::builder().user_agent_language("python");
    for (item, value) in named(py, "Verifier", surface::VERIFIER_OPTIONS, options)? {
        builder
            .set(item.name, value)
            .map_err(|e| errors::to_py(py, &e))?;
    }
    Ok(builder)
}

/// The engine's request for a call's `**params` (`method` names the call in
/// a `TypeError`). No parameters, or only `None`s: the default request.
pub(crate) fn request(
    py: Python<'_>,
    method: &str,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<TokenRequest> {
    let mut request = TokenRequest::new();
    for (item, value) in named(py, method, surface::REQUEST_PARAMETERS, params)? {
        request
            .set(item.name, value)
            .map_err(|e| errors::to_py(py, &e))?;
    }
    Ok(request)
}

/// Each keyword of `given` with its item of `items` and its value; `None`
/// values count as not given.
fn named(
    py: Python<'_>,
    callable: &str,
    items: &'static [Item],
    given: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<(&'static Item, OptionValue)>> {
    let Some(given) = given else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(given.len());
    for (key, value) in given.iter() {
        let key = key.cast_into::<PyString>()?;
        let key = key.to_cow()?;
        let Some(item) = items.iter().find(|i| i.name == key) else {
            return Err(PyTypeError::new_err(format!(
                "{callable}() got an unexpected keyword argument '{key}'"
            )));
        };
        if !value.is_none() {
            out.push((item, convert(py, item, &value)?));
        }
    }
    Ok(out)
}

/// A Python value as the engine's value of `item`'s type.
fn convert(py: Python<'_>, item: &Item, v: &Bound<'_, PyAny>) -> PyResult<OptionValue> {
    let name = item.name;
    let bad = |what: &str| errors::config(py, format!("{name} must be {what}"));
    let number = |v: &Bound<'_, PyAny>| -> Option<f64> {
        let numeric = v.is_instance_of::<PyFloat>() || v.is_instance_of::<PyInt>();
        if v.is_instance_of::<PyBool>() || !numeric {
            return None;
        }
        v.extract().ok()
    };
    Ok(match item.ty {
        ValueType::Text => OptionValue::Text(text(v).ok_or_else(|| bad("a str"))?),
        ValueType::Secret => OptionValue::Secret(Secret::new(text(v).ok_or_else(|| bad("a str"))?)),
        ValueType::Flag => match v.cast::<PyBool>() {
            Ok(b) => OptionValue::Flag(b.is_true()),
            Err(_) => return Err(bad("a bool")),
        },
        ValueType::Count => {
            let n = (v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>())
                .then(|| v.extract::<u64>().ok())
                .flatten();
            OptionValue::Count(n.ok_or_else(|| bad("a non-negative int"))?)
        }
        ValueType::Duration => {
            // Seconds; a `datetime.timedelta` says its unit itself.
            let secs = if v.hasattr("total_seconds")? {
                v.call_method0("total_seconds")?.extract().ok()
            } else {
                number(v)
            };
            let secs = secs.ok_or_else(|| bad("a number of seconds or a timedelta"))?;
            OptionValue::Duration(
                duration_from_secs(name, secs).map_err(|e| errors::to_py(py, &e))?,
            )
        }
        ValueType::Fraction => OptionValue::Fraction(number(v).ok_or_else(|| bad("a number"))?),
        ValueType::List => match text(v) {
            Some(s) => OptionValue::List(vec![s]),
            None => OptionValue::List(
                sequence(v, text).ok_or_else(|| bad("a str or a sequence of str"))?,
            ),
        },
        ValueType::Map => OptionValue::Map(map(v).ok_or_else(|| bad("a dict of str to str"))?),
        ValueType::Pem => match pem(v) {
            Some(s) => OptionValue::Text(s),
            None => OptionValue::List(
                sequence(v, pem).ok_or_else(|| bad("PEM text (str or bytes) or a list of them"))?,
            ),
        },
        ValueType::Instant => return Err(bad("set by the engine")),
        ValueType::Callback => OptionValue::Provider(crate::provider::provider(py, v)?),
    })
}

fn text(v: &Bound<'_, PyAny>) -> Option<String> {
    Some(v.cast::<PyString>().ok()?.to_cow().ok()?.into_owned())
}

/// `str`, or `bytes` holding UTF-8 (PEM is ASCII).
fn pem(v: &Bound<'_, PyAny>) -> Option<String> {
    match v.cast::<PyBytes>() {
        Ok(b) => String::from_utf8(b.as_bytes().to_vec()).ok(),
        Err(_) => text(v),
    }
}

/// The items of a sequence (not a `str`, `bytes` or mapping), each by `one`.
fn sequence(
    v: &Bound<'_, PyAny>,
    one: fn(&Bound<'_, PyAny>) -> Option<String>,
) -> Option<Vec<String>> {
    if v.is_instance_of::<PyDict>() || v.is_instance_of::<PyString>() {
        return None;
    }
    v.try_iter().ok()?.map(|i| one(&i.ok()?)).collect()
}

/// A mapping of `str` to `str`.
pub(crate) fn map(v: &Bound<'_, PyAny>) -> Option<BTreeMap<String, String>> {
    if v.is_instance_of::<PyString>() || v.is_instance_of::<PyList>() {
        return None;
    }
    let items = v.call_method0("items").ok()?;
    let mut out = BTreeMap::new();
    for pair in items.try_iter().ok()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair.ok()?.extract().ok()?;
        out.insert(text(&k)?, text(&v)?);
    }
    Some(out)
}

/// A builder that read the `M2M_AUTH_*` variables of `environ` (a
/// mapping) the engine's way (`TokenClientBuilder::from_vars`).
pub(crate) fn from_environ(environ: &Bound<'_, PyAny>) -> TokenClientBuilder {
    m2m_auth::TokenClient::builder().from_vars(|name| {
        let value = environ.call_method1("get", (name,)).ok()?;
        value.extract::<String>().ok()
    })
}
