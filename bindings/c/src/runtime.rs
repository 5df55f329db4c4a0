//! The Tokio runtime C calls block on (docs/design.md §8).
//!
//! One per process, shared by every client handle and never shut down: the
//! core's token cache is process-wide, so a token request (or background
//! refresh) that one client starts may be awaited by another client with the
//! same key. A runtime that died with its client would cancel that request
//! under the other client's feet. After `fork()` the child starts a runtime
//! of its own (the parent's worker thread does not exist there).

use std::future::Future;
use std::sync::Mutex;

use tokio::runtime::{Builder, Runtime};

use crate::error::{m2m_result, Failure};

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);
/// Runtimes of parent processes (in a forked child): never used again, but
/// kept reachable rather than leaked.
static INHERITED: Mutex<Vec<&'static Runtime>> = Mutex::new(Vec::new());

fn runtime() -> Result<&'static Runtime, Failure> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((owner, rt)) = *slot {
        if owner == pid {
            return Ok(rt);
        }
    }
    let rt = Builder::new_multi_thread()
        // Callers drive their own requests in `block_on`; the worker runs
        // spawned work: shared token requests and background refreshes.
        .worker_threads(1)
        .thread_name("m2m-auth")
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                m2m_result::M2M_TRANSPORT,
                format!("transport (io): cannot start the runtime: {e}"),
            )
        })?;
    // Never dropped (see above); after a fork the parent's is left as is.
    let rt: &'static Runtime = Box::leak(Box::new(rt));
    if let Some((_, parents)) = slot.replace((pid, rt)) {
        INHERITED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(parents);
    }
    Ok(rt)
}

/// Runs `fut` to completion on the calling thread.
pub(crate) fn block_on<F: Future>(fut: F) -> Result<F::Output, Failure> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Failure::invalid(
            "m2m-auth's C API blocks; it cannot be called from a Tokio runtime thread",
        ));
    }
    Ok(runtime()?.block_on(fut))
}
