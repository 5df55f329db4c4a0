//! Which cache slot a request uses (docs/design.md §4): the client's key
//! base plus the normalized request. The key base and the default request's
//! slot are made at build; a client with `dpop_key_file` moves to another
//! pair when its key changes (`dpop/rotation.rs`).

use std::sync::Arc;

use crate::cache::{CacheEpoch, Slot};
use crate::client::Inner;
use crate::error::Result;
use crate::key::{CacheKey, KeyBase};
use crate::request::{Resolved, TokenRequest};

impl Inner {
    /// The slot of `request` now.
    pub(crate) fn slot_for(&self, request: &TokenRequest) -> Result<Arc<Slot>> {
        self.with_keys(|key_base, default_slot| self.slot_in_keys(key_base, default_slot, request))
    }

    /// Runs `f` with the key base and default slot in use now: those made
    /// at build or, with `dpop_key_file`, those of its current key. Without
    /// a key file this is a branch on a field: the cached path stays free
    /// of locks and shared writes.
    #[inline]
    pub(crate) fn with_keys<R>(&self, f: impl FnOnce(&Arc<KeyBase>, &Arc<Slot>) -> R) -> R {
        match &self.dpop_keys {
            None => f(&self.key_base, &self.default_slot),
            Some(keys) => {
                let now = keys.current();
                f(&now.key_base, &now.default_slot)
            }
        }
    }

    /// The slot of `request` under `key_base` and its `default_slot`.
    pub(crate) fn slot_in_keys(
        &self,
        key_base: &Arc<KeyBase>,
        default_slot: &Arc<Slot>,
        request: &TokenRequest,
    ) -> Result<Arc<Slot>> {
        if request.is_default() {
            return Ok(default_slot.clone());
        }
        let resolved = self.defaults.merge(request)?;
        Ok(self.slot_in(key_base, default_slot, resolved))
    }

    /// The slot of `request` under `key_base` (`default_slot` for the
    /// client's default request).
    pub(crate) fn slot_in(
        &self,
        key_base: &Arc<KeyBase>,
        default_slot: &Arc<Slot>,
        request: Resolved,
    ) -> Arc<Slot> {
        if request == self.defaults {
            return default_slot.clone();
        }
        self.cache.slot(CacheKey::new(key_base.clone(), request))
    }

    /// The epoch of `request`'s slot. A client with `dpop_key_file` gets,
    /// for its default request, a word of its own that follows its
    /// default slot from key to key.
    pub(crate) fn epoch_for(&self, request: &TokenRequest) -> Result<CacheEpoch> {
        let slot = self.slot_for(request)?;
        if let Some(keys) = &self.dpop_keys {
            if Arc::ptr_eq(&slot, &keys.current().default_slot) {
                return Ok(keys.epoch());
            }
        }
        Ok(CacheEpoch::new(slot))
    }
}
