//! Locks that survive `fork()`.
//!
//! `std::sync::Mutex` (a futex word, no process-wide parking table, unlike
//! parking_lot) for the binding's own process-wide state, held by the forking
//! thread across `fork()` (`os.register_at_fork`), so that a child never
//! inherits one held, or waited for, by a thread it does not have.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard, PoisonError};

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
