//! A cache key's epoch (docs/design.md §8, Node's fast path): a word that
//! changes whenever the key's cached token does, for bindings that keep
//! their own copy of a token.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::cache::{Slot, SlotState};

/// A cache key's epoch: a number that changes whenever the key's cached
/// token does (a new token, a refresh, an invalidation, a 401 renewal).
///
/// For a binding that keeps its own copy of a token on a fast path (Node
/// keeps one in JS): the copy is good while the epoch read *before* taking
/// it is unchanged and its `refresh_at` has not passed. The word lives as
/// long as this handle, so a binding may expose it as shared memory.
#[derive(Clone)]
pub struct CacheEpoch(EpochWord);

/// Where an epoch lives.
#[derive(Clone)]
enum EpochWord {
    /// A slot's own.
    Slot(Arc<Slot>),
    /// A client's own, following its current default slot
    /// (`dpop/rotation.rs`).
    Mirror(Arc<AtomicU32>),
}

impl CacheEpoch {
    pub(crate) fn new(slot: Arc<Slot>) -> CacheEpoch {
        CacheEpoch(EpochWord::Slot(slot))
    }

    pub(crate) fn mirror(word: Arc<AtomicU32>) -> CacheEpoch {
        CacheEpoch(EpochWord::Mirror(word))
    }

    /// The current epoch.
    pub fn get(&self) -> u32 {
        self.as_atomic().load(Ordering::Acquire)
    }

    /// The epoch's word itself (4 bytes, native endian, updated with
    /// release ordering), valid while this handle lives.
    pub fn as_atomic(&self) -> &AtomicU32 {
        match &self.0 {
            EpochWord::Slot(slot) => &slot.epoch,
            EpochWord::Mirror(word) => word,
        }
    }
}

impl std::fmt::Debug for CacheEpoch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CacheEpoch({})", self.get())
    }
}

impl SlotState {
    /// Bumps the words of clients whose default slot this is (and forgets
    /// the words of clients that are gone): with every change of `cached`.
    pub(crate) fn bump_mirrors(&mut self) {
        self.mirrors.retain(|w| {
            w.upgrade()
                .map(|word| word.fetch_add(1, Ordering::Release))
                .is_some()
        });
    }
}

impl Slot {
    /// Bumps `word` with this slot's epoch from now on (and forgets the
    /// words of clients that are gone).
    pub(crate) fn add_mirror(&self, word: &Arc<AtomicU32>) {
        let mut st = self.state.lock();
        st.mirrors.retain(|w| w.strong_count() > 0);
        st.mirrors.push(Arc::downgrade(word));
    }

    /// Stops bumping `word` (its client moved to another default slot).
    pub(crate) fn remove_mirror(&self, word: &Arc<AtomicU32>) {
        let word = Arc::downgrade(word);
        self.state
            .lock()
            .mirrors
            .retain(|w| w.strong_count() > 0 && !w.ptr_eq(&word));
    }
}
