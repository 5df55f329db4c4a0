//! A client whose `dpop_key_file` changes (docs/design.md §11, "Key"): its
//! cache keys follow the key. Tokens are bound to the key (`cnf.jkt`), and
//! the cache key holds the key's thumbprint, so a new key means a new
//! cache key (here and in a shared store, whose names derive from it): the
//! tokens bound to the old key are no longer handed out.
//!
//! The file is looked at on the slow path only (what may start a token
//! request: a missing, stale, invalidated or forced token), never on the
//! cached path: a new key is only of use with a new token, and the token
//! in the cache is bound to the key it was requested with.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};
use tracing::info;

use crate::process::Mutex;

use super::DpopKey;
use crate::cache::{CacheEpoch, Slot};
use crate::client::Inner;
use crate::error::Result;
use crate::key::{CacheKey, KeyBase};
use crate::redact::sha256_parts;

/// The credentials digest of a DPoP client: the client's own `credentials`
/// with the key's thumbprint mixed in.
pub(crate) fn credentials(credentials: &[u8; 32], thumbprint: &str) -> [u8; 32] {
    sha256_parts([
        b"m2m-auth/credentials/dpop/v1".as_slice(),
        credentials,
        thumbprint.as_bytes(),
    ])
}

/// One key's cache keys: the key base and the default request's slot.
pub(crate) struct Generation {
    pub(crate) key: Arc<DpopKey>,
    pub(crate) key_base: Arc<KeyBase>,
    pub(crate) default_slot: Arc<Slot>,
}

/// The cache keys of a client with `dpop_key_file`, following its key.
pub(crate) struct KeyFileKeys {
    /// The client's credentials digest before the DPoP key is mixed in.
    credentials: [u8; 32],
    /// Read on the cached path: lock-free, no shared write.
    current: ArcSwap<Generation>,
    /// Held while the key file is looked at: one rotation at a time.
    rotating: Mutex<()>,
    /// The epoch bindings watch for the default request
    /// ([`CacheEpoch`]): bumped whenever the current default slot's token
    /// changes and on every new key, so a copy never outlives a rotation.
    epoch: Arc<AtomicU32>,
}

impl KeyFileKeys {
    /// Starts from the key read at build (`first`, whose key base and
    /// default slot the client already made).
    pub(crate) fn new(credentials: [u8; 32], first: Generation) -> KeyFileKeys {
        let epoch = Arc::new(AtomicU32::new(0));
        first.default_slot.add_mirror(&epoch);
        KeyFileKeys {
            credentials,
            current: ArcSwap::from_pointee(first),
            rotating: Mutex::new(()),
            epoch,
        }
    }

    /// The cache keys in use now.
    #[inline]
    pub(crate) fn current(&self) -> Guard<Arc<Generation>> {
        self.current.load()
    }

    /// The default request's epoch, for bindings' own copies.
    pub(crate) fn epoch(&self) -> CacheEpoch {
        CacheEpoch::mirror(self.epoch.clone())
    }
}

/// The key a token request signs its proofs with: `Ok(None)` without DPoP;
/// an `Err` when the key file cannot be used now (that request fails).
pub(crate) type RequestKey = Result<Option<Arc<DpopKey>>>;

impl Inner {
    /// On the slow path, before `slot` is consulted: looks at the key file
    /// (one `stat`; a read only when it changed) and moves to the new key's
    /// cache keys if it holds another key. Returns the slot to use (the
    /// current key's for `slot`'s request) and the key its token request
    /// signs with. A file that cannot be used now keeps the old key and
    /// makes that token request fail with the `config` error.
    pub(crate) fn follow_key_file(&self, slot: Arc<Slot>) -> (Arc<Slot>, RequestKey) {
        let (Some(dpop), Some(keys)) = (&self.dpop, &self.dpop_keys) else {
            return (slot, Ok(self.dpop.as_ref().map(|d| d.key())));
        };
        let file = dpop.file().expect("dpop_keys come with a key file");
        let rotating = keys.rotating.lock();
        let mut current = keys.current.load_full();
        let read = file.current();
        if let Ok(new) = &read {
            if new.thumbprint != current.key.thumbprint {
                let old = current.key.thumbprint.clone();
                current.default_slot.remove_mirror(&keys.epoch);
                current = Arc::new(self.generation(keys, new.clone()));
                current.default_slot.add_mirror(&keys.epoch);
                keys.current.store(current.clone());
                keys.epoch.fetch_add(1, Ordering::Release);
                dpop.set_key(new.clone());
                info!(
                    target: "m2m_auth",
                    client_id = %self.client_id,
                    file = %file.path().display(),
                    old_thumbprint = %old,
                    new_thumbprint = %new.thumbprint,
                    "dpop_key_file holds a new key: tokens follow it"
                );
            }
        }
        drop(rotating);
        let generation = current;
        // By value: a slot may have been made by another client with the
        // same key.
        let slot = if slot.key.base().credentials == generation.key_base.credentials {
            slot
        } else {
            self.slot_in(
                &generation.key_base,
                &generation.default_slot,
                slot.key.request().clone(),
            )
        };
        (slot, read.map(|_| Some(generation.key.clone())))
    }

    /// The cache keys of `key`.
    fn generation(&self, keys: &KeyFileKeys, key: Arc<DpopKey>) -> Generation {
        let old = &self.key_base;
        let key_base = Arc::new(KeyBase {
            endpoint: old.endpoint.clone(),
            client_id: old.client_id.clone(),
            auth_method: old.auth_method,
            credentials: credentials(&keys.credentials, &key.thumbprint),
        });
        let default_slot = self
            .cache
            .slot(CacheKey::new(key_base.clone(), self.defaults.clone()));
        Generation {
            key,
            key_base,
            default_slot,
        }
    }
}
