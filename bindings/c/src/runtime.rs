//! Blocking on the engine's per-process runtime (docs/design.md §8).
//!
//! The runtime is the engine's (`m2m_auth::runtime()`): one per process,
//! shared by every client and never shut down, and a new one in a child
//! made by `fork()`. Nothing here knows about processes.

use std::future::Future;

use crate::result::Failure;

/// Runs `fut` to completion on the calling thread, then delivers the
/// engine's log records of the call to the log callback (on this thread,
/// before the call returns).
pub(crate) fn block_on<F: Future>(fut: F) -> Result<F::Output, Failure> {
    block_on_checked()?;
    let output = m2m_core::runtime()?.block_on(fut);
    m2m_core::logs::flush();
    Ok(output)
}

/// Like [`block_on`], for a call that sends a request: `fut` runs as a task
/// of the runtime while the calling thread waits for it. The request then
/// runs on one runtime thread next to its connection's task, and the caller
/// is woken once at the end, instead of every exchange between the caller's
/// future and the connection crossing threads (half the context switches
/// per token request: scripts/cold-instructions.sh). A panic in `fut` is
/// reported as one, as `guard` reports a panic of the calling thread.
pub(crate) fn run_task<F>(fut: F) -> Result<F::Output, Failure>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    block_on_checked()?;
    let rt = m2m_core::runtime()?;
    let task = rt.spawn(fut);
    let output = rt.block_on(task);
    m2m_core::logs::flush();
    output.map_err(|_| Failure::panic())
}

/// An error on a Tokio runtime thread, where blocking is not allowed.
fn block_on_checked() -> Result<(), Failure> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Failure::invalid(
            "m2m-auth's C API blocks; it cannot be called from a Tokio runtime thread",
        ));
    }
    Ok(())
}
