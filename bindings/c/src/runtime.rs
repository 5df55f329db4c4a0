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
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Failure::invalid(
            "m2m-auth's C API blocks; it cannot be called from a Tokio runtime thread",
        ));
    }
    let output = m2m_core::runtime()?.block_on(fut);
    m2m_core::logs::flush();
    Ok(output)
}
