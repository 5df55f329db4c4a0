//! The engine's log records ([`m2m_auth::logs`]), delivered to Python
//! `logging` under the logger `m2m_auth` (targets `m2m_auth::x` under
//! `m2m_auth.x`).
//!
//! The engine queues its records and hands them to this binding's sink in
//! batches, from a thread that holds no engine lock: at the end of each
//! binding call ([`flush`], so a caller sees its records before the call
//! returns), or from the engine's forwarder thread for background work. The
//! sink takes the GIL once per batch. The threshold follows the effective
//! level of the logger `m2m_auth`, read at the start of every call that may
//! log, so levels Python would drop are not even formatted. Records never
//! carry a secret (the engine's rule).

use std::sync::Arc;

use m2m_auth::logs::{self as engine, LogLevel, LogRecord};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;

/// Python's level for the WARNING default (nobody configured `logging`).
const WARNING: i64 = 30;

/// Installs the sink (at import; starts no thread).
pub(crate) fn install() {
    engine::set_sink(Some(Arc::new(deliver)));
    engine::set_level(Some(LogLevel::Warn));
}

/// Delivers every queued record now, on the calling thread (call with no
/// engine lock held; the GIL may be held: the sink takes it re-entrantly).
pub(crate) fn flush() {
    engine::flush();
    // Token request records follow the same delivery rule (telemetry.rs).
    m2m_auth::telemetry::flush();
}

/// Python's `logging` level number for an engine level.
fn levelno(level: LogLevel) -> i64 {
    match level {
        LogLevel::Error => 40,
        LogLevel::Warn => 30,
        LogLevel::Info => 20,
        LogLevel::Debug => 10,
        LogLevel::Trace => 5,
    }
}

/// Sets the engine's threshold from the effective level of the logger
/// `m2m_auth` (with `logging` not imported, nobody configured it: Python's
/// default, WARNING). `logging.disable(n)` silences levels <= n everywhere.
pub(crate) fn refresh_level(py: Python<'_>) {
    let threshold = threshold(py).unwrap_or(WARNING);
    // The most verbose engine level Python would keep.
    let level = [
        LogLevel::Trace,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
    ]
    .into_iter()
    .find(|l| levelno(*l) >= threshold);
    engine::set_level(level);
}

/// The effective level of the logger `m2m_auth`, raised by
/// `logging.disable`. The logger and logging's manager are looked up once,
/// when `logging` is first seen imported, and kept (`getLogger` gives one
/// object per name for the life of the process): looking them up on every
/// call was ~23k instructions, a sixth of a token request (issue #17).
fn threshold(py: Python<'_>) -> PyResult<i64> {
    static LOGGER: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let (logger, manager) = match LOGGER.get(py) {
        Some(found) => found,
        None => {
            let modules = py.import("sys")?.getattr("modules")?;
            let Ok(logging) = modules.get_item("logging") else {
                return Ok(WARNING);
            };
            if logging.is_none() {
                return Ok(WARNING);
            }
            let logger = logging.call_method1("getLogger", ("m2m_auth",))?;
            let manager = logging.getattr("root")?.getattr("manager")?;
            LOGGER.get_or_init(py, || (logger.unbind(), manager.unbind()))
        }
    };
    let disabled: i64 = manager
        .bind(py)
        .getattr(pyo3::intern!(py, "disable"))?
        .extract()
        .unwrap_or(0);
    let effective: i64 = logger
        .bind(py)
        .call_method0(pyo3::intern!(py, "getEffectiveLevel"))?
        .extract()?;
    Ok(effective.max(disabled + 1))
}

/// The sink: one GIL acquisition per batch. While Python is finalizing, the
/// batch is dropped.
fn deliver(records: &[LogRecord]) {
    let _ = Python::try_attach(|py| {
        for r in records {
            let _ = emit(py, r);
        }
    });
}

fn emit(py: Python<'_>, r: &LogRecord) -> PyResult<()> {
    static GET_LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let get_logger = GET_LOGGER.get_or_try_init(py, || -> PyResult<_> {
        Ok(py.import("logging")?.getattr("getLogger")?.unbind())
    })?;
    let name = r.target.replace("::", ".");
    let level = levelno(r.level);
    let logger = get_logger.bind(py).call1((name.as_str(),))?;
    if !logger
        .call_method1(pyo3::intern!(py, "isEnabledFor"), (level,))?
        .is_truthy()?
    {
        return Ok(());
    }
    let record = logger.call_method1(
        pyo3::intern!(py, "makeRecord"),
        (
            name.as_str(),
            level,
            r.file.unwrap_or("(m2m_auth)"),
            r.line.unwrap_or(0),
            r.message.as_str(),
            PyTuple::empty(py),
            py.None(),
        ),
    )?;
    logger.call_method1(pyo3::intern!(py, "handle"), (record,))?;
    Ok(())
}

/// Delivers every queued record now (for tests and for code that wants the
/// records of background refreshes before it reads its logs).
#[pyfunction]
pub(crate) fn _flush_logs() {
    flush();
}
