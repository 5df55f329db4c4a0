//! The verified-token cache (docs/design.md §10): a bounded LRU keyed by the
//! SHA-256 of the token (the token itself is never kept), entries dropped at
//! `exp`, and every hit re-checks `exp`/`nbf` against the clock.

use std::num::NonZeroUsize;

use parking_lot::Mutex;

use super::claims::Claims;
use crate::error::Result;

/// SHA-256 of a token.
pub(crate) type Digest = [u8; 32];

/// The cache; `None` inside when `cache_size` is 0.
pub(crate) struct TokenCache(Option<Mutex<lru::LruCache<Digest, Claims>>>);

/// The cache key of `token`.
pub(crate) fn digest(token: &str) -> Digest {
    let d = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl TokenCache {
    /// A cache of at most `size` tokens.
    pub(crate) fn new(size: usize) -> Self {
        TokenCache(NonZeroUsize::new(size).map(|n| Mutex::new(lru::LruCache::new(n))))
    }

    /// True when caching is on.
    pub(crate) fn enabled(&self) -> bool {
        self.0.is_some()
    }

    /// The cached verification of `key`, its time rules checked at `now`;
    /// an entry past its `exp` is dropped.
    pub(crate) fn get(&self, key: &Digest, now: f64, leeway: f64) -> Option<Result<Claims>> {
        let mut lru = self.0.as_ref()?.lock();
        let claims = lru.get(key)?.clone();
        let checked = claims.check_time(now, leeway);
        if checked.is_err() && now >= claims.exp_secs() {
            lru.pop(key);
        }
        Some(checked.map(|()| claims))
    }

    /// Remembers a verified token.
    pub(crate) fn put(&self, key: Digest, claims: &Claims) {
        if let Some(lru) = &self.0 {
            lru.lock().put(key, claims.clone());
        }
    }
}
