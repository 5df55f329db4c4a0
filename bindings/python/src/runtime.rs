//! Waiting for the engine from a synchronous call. The runtime is the
//! engine's own ([`m2m_auth::runtime`]: started on first use, so importing
//! the package starts no thread, and one per process: a forked child gets
//! its own without the binding doing anything).

use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::{errors, logs};

/// How often a blocked synchronous call looks for Python signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// This process's runtime, started if need be.
pub(crate) fn runtime(py: Python<'_>) -> PyResult<&'static Runtime> {
    m2m_auth::runtime().map_err(|e| errors::to_py(py, &e))
}

/// Runs `fut` to completion as a task of the runtime while the calling
/// thread waits with the GIL released, checking for signals (so Ctrl-C
/// interrupts the wait; the engine's request goes on and is cached). Engine
/// log records are delivered before returning.
///
/// A task rather than `block_on(fut)`: the request then runs on one runtime
/// thread next to its connection, and the caller is woken once at the end,
/// instead of every exchange between the caller's future and the connection
/// crossing threads (each crossing costs tens of µs on a VM). The caller
/// waits on a channel with a timeout, so the wait registers no timer with
/// the runtime (not measurable in time: scripts/bench.sh gave the same
/// figures either way).
pub(crate) fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let rt = runtime(py)?;
    logs::refresh_level(py);
    let (tx, rx) = mpsc::sync_channel(1);
    rt.spawn(async move {
        // The receiver is gone only if the caller gave up (a signal).
        let _ = tx.send(fut.await);
    });
    let out = py.detach(move || loop {
        match rx.recv_timeout(SIGNAL_POLL) {
            Ok(v) => return Ok(v),
            // The task ended without sending: it panicked.
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "m2m_auth: the call's task failed (it panicked)",
                ))
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some(Err(e)) = Python::try_attach(|py| py.check_signals()) {
                    return Err(e);
                }
            }
        }
    });
    logs::flush();
    out
}
