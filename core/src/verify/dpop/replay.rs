//! The proofs seen lately (RFC 9449 §11.1): a proof's `jti` is accepted
//! once per key while its `iat` is in the accepted window. Bounded: entries
//! leave when their window ends, and when the memory is full the oldest
//! leaves first (a proof older than every remembered one could then be
//! replayed within its window; the bound is an option).

use std::collections::{HashMap, VecDeque};

use crate::process::Mutex;

/// SHA-256 of key thumbprint and `jti`, truncated: a fixed size per entry
/// whatever the client sent.
type Id = [u8; 16];

/// The memory of accepted proofs.
pub(crate) struct ReplayCache {
    capacity: usize,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    /// Id → until when (seconds since the epoch) it is remembered.
    until: HashMap<Id, f64>,
    /// Insertion order, for expiry and eviction.
    order: VecDeque<(Id, f64)>,
}

fn id(jkt: &str, jti: &str) -> Id {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(jkt.as_bytes());
    ctx.update(&[0]);
    ctx.update(jti.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&ctx.finish().as_ref()[..16]);
    out
}

impl ReplayCache {
    pub(crate) fn new(capacity: usize) -> Self {
        ReplayCache {
            capacity: capacity.max(1),
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Remembers `jti` of key `jkt` until `until`; false when it was seen
    /// before and is still remembered (a replay).
    pub(crate) fn first_use(&self, jkt: &str, jti: &str, until: f64, now: f64) -> bool {
        let id = id(jkt, jti);
        let mut s = self.seen.lock();
        if s.until.get(&id).is_some_and(|t| *t >= now) {
            return false;
        }
        // Room: the entries whose window ended, then the oldest if full.
        while let Some(&(old, t)) = s.order.front() {
            if t >= now && s.until.len() < self.capacity {
                break;
            }
            s.order.pop_front();
            if s.until.get(&old) == Some(&t) {
                s.until.remove(&old);
            }
        }
        s.until.insert(id, until);
        s.order.push_back((id, until));
        true
    }

    /// How many proofs are remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.seen.lock().until.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_accepted_once_per_key_while_remembered() {
        let c = ReplayCache::new(10);
        assert!(c.first_use("k1", "a", 100.0, 0.0));
        assert!(!c.first_use("k1", "a", 100.0, 50.0));
        assert!(c.first_use("k2", "a", 100.0, 50.0));
        // Past its window the entry is gone (and the proof's iat would be
        // refused anyway).
        assert!(c.first_use("k1", "a", 300.0, 150.0));
    }

    #[test]
    fn the_memory_is_bounded_oldest_first() {
        let c = ReplayCache::new(3);
        for jti in ["a", "b", "c", "d"] {
            assert!(c.first_use("k", jti, 100.0, 0.0));
        }
        assert_eq!(c.len(), 3);
        assert!(!c.first_use("k", "d", 100.0, 0.0));
        assert!(c.first_use("k", "a", 100.0, 0.0), "the oldest left first");
    }
}
