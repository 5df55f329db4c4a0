//! The one Tokio runtime of the process (docs/design.md §8): started on first use
//! (importing the package starts no thread), and replaced in a forked child,
//! whose copy of the parent's runtime has no threads left.

use std::future::Future;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::sync::{self, Lock};
use crate::{aio, logs};

/// The runtime and the process it was started in. A runtime is never dropped:
/// a forked child's copy has no threads to join, so it is left as it is.
static RUNTIME: Lock<Option<(u32, &'static Runtime)>> = Lock::new(None);

/// How often a blocked synchronous call looks for Python signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// This process's runtime, started if need be.
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    let pid = std::process::id();
    let mut rt = RUNTIME.lock();
    if let Some((owner, r)) = *rt {
        if owner == pid {
            return Ok(r);
        }
    }
    let r = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .thread_name("m2m-auth")
        .enable_all()
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("m2m_auth: cannot start its runtime: {e}")))?;
    let r: &'static Runtime = Box::leak(Box::new(r));
    *rt = Some((pid, r));
    Ok(r)
}

/// Runs `fut` to completion as a task of the runtime while the calling
/// thread waits with the GIL released, checking for signals (so Ctrl-C
/// interrupts the wait; the engine's request goes on and is cached). Engine
/// log records are delivered before returning.
///
/// A task rather than `block_on(fut)`: the request then runs on one runtime
/// thread next to its connection, and the caller is woken once at the end,
/// instead of every exchange between the caller's future and the connection
/// crossing threads (each crossing costs tens of µs on a VM).
pub(crate) fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let rt = runtime()?;
    logs::refresh_level(py);
    let out = py.detach(move || {
        let mut task = rt.spawn(fut);
        rt.block_on(async move {
            loop {
                match tokio::time::timeout(SIGNAL_POLL, &mut task).await {
                    Ok(Ok(v)) => return Ok(v),
                    Ok(Err(e)) => {
                        return Err(PyRuntimeError::new_err(format!(
                            "m2m_auth: the call's task failed: {e}"
                        )))
                    }
                    Err(_) => {
                        if let Some(Err(e)) = Python::try_attach(|py| py.check_signals()) {
                            return Err(e);
                        }
                    }
                }
            }
        })
    });
    logs::flush(py);
    out
}

/// `os.register_at_fork(before=...)`: holds the binding's locks across
/// `fork()` so that the child never inherits one held by a vanished thread.
#[pyfunction]
pub(crate) fn _before_fork() {
    sync::hold(&RUNTIME);
    sync::hold(&aio::LOOPS);
    sync::hold(&logs::QUEUE);
}

/// `os.register_at_fork(after_in_parent=...)`: releases what `_before_fork` held.
#[pyfunction]
pub(crate) fn _after_fork_parent() {
    sync::release_all();
}

/// `os.register_at_fork(after_in_child=...)`: releases the locks and forgets
/// the parent's runtime, event-loop deliveries and pending log records; the
/// child starts its own runtime on first use.
#[pyfunction]
pub(crate) fn _after_fork_child() {
    sync::release_all();
    logs::after_fork_child();
    aio::after_fork_child();
    *RUNTIME.lock() = None;
}
