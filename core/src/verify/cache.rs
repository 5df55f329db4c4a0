//! The verified-token cache (docs/design.md §10): a bounded LRU of tokens
//! that verified, entries dropped at `exp`, and every hit re-checks
//! `exp`/`nbf` against the clock.
//!
//! Why it keys on the token itself, not a digest of it: a hit must cost a
//! lookup, not a hash of the whole token (SHA-256 of a 1 KiB token is most
//! of a microsecond). The table hashes only the token's last bytes (its
//! signature: random for every token an issuer signs) and then compares the
//! whole token exactly, so no crafted token can match another's entry.
//! Only tokens that verified are ever inserted, so a crafted token can at
//! most probe, never fill, a bucket. The tokens kept are wiped when their
//! entry goes.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;

use crate::process::Mutex;
use zeroize::Zeroize;

use super::claims::Claims;
use crate::error::Result;

/// How many trailing bytes of a token feed the table's hash.
const HASHED_TAIL: usize = 32;

/// Longer tokens are verified every time, never kept: this bounds the
/// cache's memory at about `cache_size` × 4 KiB (RFC 9068 tokens are
/// typically under 1 KiB).
const MAX_CACHED_TOKEN_BYTES: usize = 4096;

/// A token as the table sees it: hashed by its tail, compared whole.
#[repr(transparent)]
#[derive(PartialEq, Eq)]
struct TokenRef(str);

impl TokenRef {
    fn new(token: &str) -> &TokenRef {
        // SAFETY: `TokenRef` is a `repr(transparent)` wrapper of `str`.
        unsafe { &*(token as *const str as *const TokenRef) }
    }
}

impl Hash for TokenRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let b = self.0.as_bytes();
        b[b.len().saturating_sub(HASHED_TAIL)..].hash(state);
        b.len().hash(state);
    }
}

/// A cached token, wiped when dropped.
struct TokenKey(String);

impl Borrow<TokenRef> for TokenKey {
    fn borrow(&self) -> &TokenRef {
        TokenRef::new(&self.0)
    }
}

impl Hash for TokenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        TokenRef::new(&self.0).hash(state);
    }
}

impl PartialEq for TokenKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for TokenKey {}

impl Drop for TokenKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The cache; `None` inside when `cache_size` is 0.
pub(crate) struct TokenCache(Option<Mutex<lru::LruCache<TokenKey, Claims>>>);

impl TokenCache {
    /// A cache of at most `size` tokens.
    pub(crate) fn new(size: usize) -> Self {
        TokenCache(NonZeroUsize::new(size).map(|n| Mutex::new(lru::LruCache::new(n))))
    }

    /// The cached verification of `token`, its time rules checked at `now`;
    /// an entry past its `exp` is dropped.
    #[inline]
    pub(crate) fn get(&self, token: &str, now: f64, leeway: f64) -> Option<Result<Claims>> {
        let mut lru = self.0.as_ref()?.lock();
        let key = TokenRef::new(token);
        let claims = lru.get(key)?.clone();
        let checked = claims.check_time(now, leeway);
        if checked.is_err() && now >= claims.exp_secs() {
            lru.pop(key);
        }
        Some(checked.map(|()| claims))
    }

    /// Remembers a verified token.
    pub(crate) fn put(&self, token: &str, claims: &Claims) {
        if token.len() > MAX_CACHED_TOKEN_BYTES {
            return;
        }
        if let Some(lru) = &self.0 {
            lru.lock().put(TokenKey(token.to_owned()), claims.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_sharing_a_tail_are_told_apart() {
        let cache = TokenCache::new(4);
        let audience = ["a".to_string()];
        let rules = super::super::claims::ClaimRules {
            issuer: "i",
            audience: &audience,
            leeway: 0.0,
        };
        let payload = br#"{"iss":"i","aud":"a","exp":4102444800}"#.to_vec();
        let claims = super::super::claims::validate(payload, &rules, 0.0).unwrap();
        cache.put("aaaa.bbbb.SAME-SIGNATURE", &claims);
        assert!(cache.get("aaaa.bbbb.SAME-SIGNATURE", 0.0, 0.0).is_some());
        assert!(cache.get("aaaa.XXXX.SAME-SIGNATURE", 0.0, 0.0).is_none());
        assert!(cache.get("aaaa.bbbb.SAME-SIGNATUR", 0.0, 0.0).is_none());
    }
}
