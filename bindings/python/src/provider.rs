//! `client_assertion_provider=`: a Python callable (sync or `async def`) as
//! the engine's [`AssertionProvider`]. The engine asks it on a blocking
//! worker thread of its runtime (never a Tokio worker, never an event loop's
//! thread), which takes the GIL for the call; `m2m_auth/_provider.py` says
//! which loop an awaitable result runs on. An exception becomes the
//! engine's `config` error `"client_assertion_provider failed: <class>"`,
//! with the exception as the `__cause__` of the `ConfigError` raised.

use std::fmt;
use std::sync::Arc;

use m2m_auth::{AssertionProvider, AssertionRequest, Error, ProviderError, Secret};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyAnyMethods;

use crate::{aio, errors};

/// The Python exception a provider raised: the engine error's `source()`.
pub(crate) struct PyCause(Py<PyAny>);

impl fmt::Display for PyCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the class: the message could quote what the provider holds.
        let name = Python::try_attach(|py| class_name(self.0.bind(py)));
        f.write_str(name.as_deref().unwrap_or("exception"))
    }
}

impl fmt::Debug for PyCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PyCause({self})")
    }
}

impl std::error::Error for PyCause {}

fn class_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "exception".into())
}

/// The engine's provider for `callable`; a `ConfigError` if it is not
/// callable.
pub(crate) fn provider(py: Python<'_>, callable: &Bound<'_, PyAny>) -> PyResult<AssertionProvider> {
    if !callable.is_callable() {
        return Err(errors::config(
            py,
            "client_assertion_provider must be a callable (sync or async) returning a str",
        ));
    }
    let callable = Arc::new(callable.clone().unbind());
    Ok(AssertionProvider::from_fn(move |request| {
        let callable = callable.clone();
        Box::pin(async move {
            let call = move || Python::attach(|py| call(py, &callable, request));
            tokio::task::spawn_blocking(call)
                .await
                .unwrap_or_else(|_| Err(ProviderError::invalid("panic")))
        })
    }))
}

fn call(
    py: Python<'_>,
    callable: &Py<PyAny>,
    request: AssertionRequest,
) -> Result<Secret, ProviderError> {
    static CALL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let outcome = (|| -> PyResult<String> {
        let helper = CALL.get_or_try_init(py, || -> PyResult<_> {
            Ok(py.import("m2m_auth._provider")?.getattr("_call")?.unbind())
        })?;
        let event_loop = aio::waiting_loop(py);
        helper
            .bind(py)
            .call1((
                callable.bind(py),
                request.client_id,
                request.audience,
                request.token_endpoint,
                event_loop,
            ))?
            .extract::<String>()
    })();
    outcome.map(Secret::new).map_err(|e| {
        let value = e.into_value(py).into_any();
        let name = class_name(value.bind(py));
        ProviderError::new(name, Some(Arc::new(PyCause(value))))
    })
}

/// The exception to chain as `__cause__` of the one raised for `err`.
pub(crate) fn cause(py: Python<'_>, err: &Error) -> Option<Py<PyAny>> {
    let source = std::error::Error::source(err)?;
    source.downcast_ref::<PyCause>().map(|c| c.0.clone_ref(py))
}
