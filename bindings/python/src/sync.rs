//! The binding's own process-wide state across `fork()`.
//!
//! The engine handles `fork()` itself (runtime, connection pools, its locks,
//! requests in flight, log queue). What is left is the binding's state: the
//! event loops with asyncio calls outstanding ([`crate::aio`]). Its locks are
//! `std::sync::Mutex` (a futex word, no process-wide parking table, unlike
//! parking_lot), held by the forking thread across `fork()` through the hooks
//! `m2m_auth/__init__.py` registers with `os.register_at_fork`, so that a
//! child never inherits one held, or waited for, by a thread it does not have.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::prelude::*;

use crate::aio;

/// A mutex that ignores poisoning (the state it guards stays consistent
/// across a panic: every critical section is a few plain assignments).
pub(crate) struct Lock<T>(Mutex<T>);

impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Lock(Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

thread_local! {
    /// Guards held across `fork()` by the forking thread.
    static HELD: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Takes `lock` until [`release_all`] (before `fork()`).
pub(crate) fn hold<T: 'static>(lock: &'static Lock<T>) {
    let guard = lock.lock();
    HELD.with(|h| h.borrow_mut().push(Box::new(guard)));
}

/// Releases what [`hold`] took, last first (after `fork()`, in both processes).
pub(crate) fn release_all() {
    let mut held = HELD.with(|h| std::mem::take(&mut *h.borrow_mut()));
    while let Some(guard) = held.pop() {
        drop(guard);
    }
}

/// `os.register_at_fork(before=...)`: holds the binding's locks across
/// `fork()`.
#[pyfunction]
pub(crate) fn _before_fork() {
    hold(&aio::LOOPS);
}

/// `os.register_at_fork(after_in_parent=...)`: releases what `_before_fork` held.
#[pyfunction]
pub(crate) fn _after_fork_parent() {
    release_all();
}

/// `os.register_at_fork(after_in_child=...)`: releases the locks and forgets
/// the parent's asyncio calls (they run in the parent, not here).
#[pyfunction]
pub(crate) fn _after_fork_child() {
    release_all();
    aio::after_fork_child();
}
