//! The engine's locks: parking_lot's, each also holding a shared fork guard
//! (docs/design.md §8), so that no `fork()` happens while another thread
//! holds one and a child never inherits a lock held for ever.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use parking_lot::RwLockReadGuard;

use super::FORK_GUARD;

/// A mutex that no fork can leave locked (see the module doc).
pub(crate) struct Mutex<T> {
    inner: parking_lot::Mutex<T>,
}

/// The guard of a [`Mutex`]; derefs to the value.
pub(crate) struct MutexGuard<'a, T> {
    // Dropped first (fields drop in order): the value, then the fork guard.
    value: parking_lot::MutexGuard<'a, T>,
    _fork: RwLockReadGuard<'static, ()>,
}

impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Mutex<T> {
        Mutex {
            inner: parking_lot::Mutex::new(value),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        // Recursive: a thread already inside a critical section may take
        // another engine lock even while a fork is waiting.
        let fork = FORK_GUARD.read_recursive();
        MutexGuard {
            value: self.inner.lock(),
            _fork: fork,
        }
    }

    pub(crate) fn try_lock_for(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        let fork = FORK_GUARD.try_read_recursive_for(timeout)?;
        Some(MutexGuard {
            value: self.inner.try_lock_for(timeout)?,
            _fork: fork,
        })
    }
}

/// Never shows the value: a lock may hold nonces, keys or claims.
impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Mutex(..)")
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

/// A reader-writer lock that no fork can leave locked (see [`Mutex`]).
pub(crate) struct RwLock<T> {
    inner: parking_lot::RwLock<T>,
}

/// A shared guard of a [`RwLock`]; derefs to the value.
pub(crate) struct ReadGuard<'a, T> {
    value: parking_lot::RwLockReadGuard<'a, T>,
    _fork: RwLockReadGuard<'static, ()>,
}

/// The exclusive guard of a [`RwLock`]; derefs to the value.
pub(crate) struct WriteGuard<'a, T> {
    value: parking_lot::RwLockWriteGuard<'a, T>,
    _fork: RwLockReadGuard<'static, ()>,
}

impl<T> RwLock<T> {
    pub(crate) const fn new(value: T) -> RwLock<T> {
        RwLock {
            inner: parking_lot::RwLock::new(value),
        }
    }

    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        let fork = FORK_GUARD.read_recursive();
        ReadGuard {
            value: self.inner.read(),
            _fork: fork,
        }
    }

    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        let fork = FORK_GUARD.read_recursive();
        WriteGuard {
            value: self.inner.write(),
            _fork: fork,
        }
    }
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}
