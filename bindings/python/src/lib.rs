//! `m2m_auth._native`: the pyo3 glue of the Python package (`python/`).
//!
//! A binding translates and holds no policy: every behaviour (cache, single
//! flight, refresh, retries, throttling, redaction, `fork()`) is the core's.
//! This crate only maps types, errors and async between Rust and Python,
//! with the GIL released whenever a call waits, and takes the public surface
//! from the engine's declaration of it (`m2m_auth::surface`).
//!
//! - [`client`]: `TokenClient`'s methods.
//! - [`hot`]: the hot path (a fresh cached token): `get_token` goes through
//!   the engine's synchronous `cached_token`, without the runtime and without
//!   releasing the GIL, and hands back the same Python `Token` object for as
//!   long as the engine hands back the same token.
//! - [`verifier`], [`claims`]: `Verifier` (the API side: access-token
//!   verification) and its `Claims`, `VerifierStats` and `challenge`.
//! - [`options`]: client and verifier options and request parameters, by
//!   name and type.
//! - [`types`], [`errors`], [`convert`]: values, exceptions, conversions.
//! - [`runtime`]: waiting on the engine's runtime from a synchronous call.
//! - [`aio`]: asyncio integration: the engine's future runs on the runtime and
//!   its outcome is delivered to the event loop in batches with
//!   `loop.call_soon_threadsafe`, so the loop never blocks.
//! - [`logs`]: the engine's log records, delivered to Python `logging` under
//!   the logger `m2m_auth`.
//! - [`sync`]: the binding's own state across `fork()` (`os.register_at_fork`).

// This crate's documentation is for its maintainers: it links to its
// private modules (`cargo doc --document-private-items`).
#![allow(rustdoc::private_intra_doc_links)]

use pyo3::prelude::*;

mod aio;
mod challenge;
mod claims;
mod client;
mod convert;
mod errors;
mod hot;
mod logs;
mod options;
mod provider;
mod runtime;
mod sync;
mod telemetry;
mod types;
mod verifier;
mod verify_call;

/// The package version (the engine's).
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Raises `ConfigError` unless `url` may carry a token: `https://`, or
/// `http://` to a loopback host only (docs/design.md §1). For the HTTP client adapters.
#[pyfunction]
fn _check_url(py: Python<'_>, url: &str) -> PyResult<()> {
    m2m_auth::check_url(url).map_err(|e| errors::to_py(py, &e))
}

/// Whether a redirect from `first` to `next` may carry the token's headers:
/// same origin only (the engine's rule, docs/design.md §4). For the HTTP
/// client adapters.
#[pyfunction]
fn _same_origin(first: &str, next: &str) -> bool {
    m2m_auth::same_origin(first, next)
}

/// Native part of m2m_auth: the engine's types, errors and async for Python.
/// Use the `m2m_auth` package, not this module.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The binding relies on the GIL (see `hot::Memo`); abi3 modules are not
    // loaded by free-threaded interpreters, but refuse anyway if it is off.
    let sys = m.py().import("sys")?;
    if let Ok(gil_enabled) = sys.getattr("_is_gil_enabled") {
        if !gil_enabled.call0()?.is_truthy()? {
            return Err(pyo3::exceptions::PyImportError::new_err(
                "m2m_auth needs the GIL (run without PYTHON_GIL=0)",
            ));
        }
    }
    logs::install();
    m.add("__version__", VERSION)?;
    m.add_class::<client::TokenClient>()?;
    hot::install_get_token(&m.py().get_type::<client::TokenClient>())?;
    m.add_class::<types::Token>()?;
    m.add_class::<types::Stats>()?;
    m.add_class::<types::QuotaBucket>()?;
    types::install_stats(&m.py().get_type::<types::Stats>())?;
    m.add_class::<types::ApiResponse>()?;
    m.add_class::<verifier::Verifier>()?;
    m.add_class::<claims::Claims>()?;
    m.add_class::<claims::VerifierStats>()?;
    m.add_function(wrap_pyfunction!(challenge::challenge, m)?)?;
    m.add_function(wrap_pyfunction!(sync::_before_fork, m)?)?;
    m.add_function(wrap_pyfunction!(sync::_after_fork_parent, m)?)?;
    m.add_function(wrap_pyfunction!(sync::_after_fork_child, m)?)?;
    m.add_function(wrap_pyfunction!(logs::_flush_logs, m)?)?;
    m.add_function(wrap_pyfunction!(telemetry::_set_telemetry_sink, m)?)?;
    m.add_function(wrap_pyfunction!(telemetry::_live_stats, m)?)?;
    m.add_function(wrap_pyfunction!(telemetry::_telemetry_names, m)?)?;
    m.add_function(wrap_pyfunction!(_check_url, m)?)?;
    m.add_function(wrap_pyfunction!(_same_origin, m)?)?;
    Ok(())
}
