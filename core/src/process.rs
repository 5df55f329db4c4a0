//! What belongs to one process, and `fork()` (docs/design.md §8).
//!
//! A child made by `fork()` has one thread (the one that forked): the
//! parent's runtime threads, and the connections and tasks they drove, are
//! not there. The engine handles this itself, so that no binding has to:
//!
//! - `pthread_atfork` hooks (registered when the first client is built) bump
//!   a fork generation in the child; [`PerProcess`] values (a client's
//!   connection pool, the [`runtime`]) are rebuilt when they see a new one,
//!   and a request in flight that the child inherited is discarded.
//! - Every engine lock is a [`Mutex`] that also holds a shared fork guard,
//!   which the `prepare` hook takes exclusively: no engine lock is held by
//!   another thread at the instant of the fork, so none is left locked for
//!   ever in the child. Critical sections are short and never await.
//! - Descriptors that hold a lock on the parent's behalf (the file store's
//!   lease) are registered with [`withhold_from_child`]; the `child` hook
//!   points each at `/dev/null`, so the child's copy no longer shares the
//!   open file description that carries the lock (a `flock` lives as long as
//!   any process refers to it).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use parking_lot::lock_api::RawRwLock as _;
use parking_lot::RwLock as RawForkLock;

use crate::error::{Error, Result, TransportKind};

mod lock;
mod withheld;
pub(crate) use lock::{Mutex, MutexGuard, RwLock};
pub(crate) use withheld::{return_to_child, withhold_from_child};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static FORK_GUARD: RawForkLock<()> = RawForkLock::new(());

/// Registers the fork hooks (once per process; a child inherits them).
pub(crate) fn install_fork_hooks() {
    static HOOKS: Once = Once::new();
    HOOKS.call_once(|| {
        // SAFETY: the hooks are plain functions that only touch statics.
        unsafe {
            libc::pthread_atfork(Some(prepare), Some(parent), Some(child));
        }
    });
}

extern "C" fn prepare() {
    // Waits for every engine critical section to end; none starts until the
    // fork is done.
    // SAFETY: released by `parent` or `child`, which run after the fork.
    unsafe { FORK_GUARD.raw().lock_exclusive() }
}

extern "C" fn parent() {
    // SAFETY: `prepare` took the lock exclusively on this thread.
    unsafe { FORK_GUARD.force_unlock_write() }
}

extern "C" fn child() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
    withheld::detach_all();
    // SAFETY: as in `parent`: the child is the forking thread's copy.
    unsafe { FORK_GUARD.force_unlock_write() }
}

/// How many forks separate this process from the first one that loaded the
/// engine (0 there). Changes only in a forked child.
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// A value of this process only: built on first use, and built anew in a
/// forked child (a connection pool, a runtime handle).
pub(crate) struct PerProcess<T> {
    cell: Mutex<Cell<T>>,
}

struct Cell<T> {
    current: Option<(u64, T)>,
    /// Values of parent processes. Kept, never dropped: dropping them in the
    /// child could wait for threads or tasks that are not there.
    retired: Vec<T>,
}

impl<T: Clone> PerProcess<T> {
    pub(crate) const fn new() -> PerProcess<T> {
        PerProcess {
            cell: Mutex::new(Cell {
                current: None,
                retired: Vec::new(),
            }),
        }
    }

    /// This process's value, built by `make` if it has none yet. `make` runs
    /// under the cell's lock, so it is built once.
    pub(crate) fn get_or_try_init(&self, make: impl FnOnce() -> Result<T>) -> Result<T> {
        let generation = generation();
        let mut cell = self.cell.lock();
        if let Some((g, v)) = &cell.current {
            if *g == generation {
                return Ok(v.clone());
            }
        }
        let v = make()?;
        if let Some((_, parents)) = cell.current.replace((generation, v.clone())) {
            cell.retired.push(parents);
        }
        Ok(v)
    }

    /// Replaces this process's value (a transport rebuilt for a rotated
    /// client certificate). The one it replaces is dropped if this process
    /// built it, kept like the others if a parent did.
    pub(crate) fn replace(&self, v: T) {
        let generation = generation();
        let mut cell = self.cell.lock();
        if let Some((g, old)) = cell.current.replace((generation, v)) {
            if g != generation {
                cell.retired.push(old);
            }
        }
    }
}

/// The engine's runtime for callers that have none of their own (the Python
/// and C bindings): started on first use, one per process, never shut down
/// (a token request one client starts may be awaited by another client with
/// the same key). A forked child gets a new one; the parent's copy, which
/// has no threads in the child, is left as it is. One worker thread: a
/// request's tasks (the caller's, its connection's) then never hand off
/// between threads, which cost ~15 µs a request with two (docs/design.md
/// §8); blocking work (an assertion provider, file stores) has its pool.
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: PerProcess<&'static tokio::runtime::Runtime> = PerProcess::new();
    install_fork_hooks();
    RUNTIME.get_or_try_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(8)
            .thread_name("m2m-auth")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::transport(TransportKind::Io, format!("cannot start a runtime: {e}"))
            })?;
        Ok(&*Box::leak(Box::new(rt)))
    })
}
