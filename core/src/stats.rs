//! Per-client counters. Hits are counted on the hot path, so they are
//! sharded across cache lines, one shard per thread (round robin over
//! [`SHARDS`]), and bumped with a plain load and store rather than a locked
//! read-modify-write: exact while at most `SHARDS` threads hit one client at
//! once, at worst a few hits short beyond that.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::SystemTime;

use crate::client::Inner;

/// A snapshot of a client's counters.
/// Counters only grow; `quota_remaining` is a reading, absent (`None`,
/// null in the bindings, `UINT64_MAX` in C) when there is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls answered from the cache (fresh, or usable while refreshing).
    pub hits: u64,
    /// Calls that waited for a token request (their own or a shared one).
    pub misses: u64,
    /// Token requests this client made (each may take several attempts).
    pub fetches: u64,
    /// Of those, background refreshes of a still-usable token.
    pub refreshes: u64,
    /// Token requests that ended in an error.
    pub failures: u64,
    /// Tokens taken from the shared cache (another process fetched them).
    pub shared_hits: u64,
    /// Shared cache operations that failed (the call went on without it).
    pub store_errors: u64,
    /// Calls refused as `throttled` without sending anything: the key was
    /// held by a `Retry-After`, a rate limit or an exhausted quota
    /// (docs/design.md §5). Background refreshes skipped meanwhile are not
    /// counted.
    pub throttles: u64,
    /// The lowest `remaining` over the current quota buckets
    /// ([`crate::TokenClient::quota`]); `None` when the server reports none.
    pub quota_remaining: Option<u64>,
}

impl Stats {
    /// Every counter with its name, in the order of [`crate::surface::STATS`]
    /// (bindings build their stats objects from this); only
    /// `quota_remaining` can be `None`.
    pub fn fields(&self) -> [(&'static str, Option<u64>); 9] {
        [
            ("hits", Some(self.hits)),
            ("misses", Some(self.misses)),
            ("fetches", Some(self.fetches)),
            ("refreshes", Some(self.refreshes)),
            ("failures", Some(self.failures)),
            ("shared_hits", Some(self.shared_hits)),
            ("store_errors", Some(self.store_errors)),
            ("throttles", Some(self.throttles)),
            ("quota_remaining", self.quota_remaining),
        ]
    }

    /// The item called `name` (`None` for an unknown name or an absent
    /// reading).
    pub fn get(&self, name: &str) -> Option<u64> {
        self.fields()
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|f| f.1)
    }
}

pub(crate) const SHARDS: usize = 32;

/// The shard of the `n`th thread to hit: 1..SHARDS (0 is `hit_shared`'s).
pub(crate) fn thread_shard(n: usize) -> usize {
    1 + n % (SHARDS - 1)
}

#[repr(align(128))]
#[derive(Default)]
struct Padded(AtomicU64);

#[derive(Default)]
pub(crate) struct Counters {
    hits: [Padded; SHARDS],
    misses: AtomicU64,
    fetches: AtomicU64,
    refreshes: AtomicU64,
    failures: AtomicU64,
    shared_hits: AtomicU64,
    store_errors: AtomicU64,
    throttles: AtomicU64,
}

impl Counters {
    /// Counts a hit in the caller's shard (from [`thread_shard`]).
    #[inline]
    pub(crate) fn hit(&self, shard: usize) {
        let h = &self.hits[shard].0;
        h.store(h.load(Relaxed).wrapping_add(1), Relaxed);
    }
    /// Counts a hit from a path any thread may take at once (the slow path).
    pub(crate) fn hit_shared(&self) {
        self.hits[0].0.fetch_add(1, Relaxed);
    }
    pub(crate) fn miss(&self) {
        self.misses.fetch_add(1, Relaxed);
    }
    pub(crate) fn fetch(&self, background: bool) {
        self.fetches.fetch_add(1, Relaxed);
        if background {
            self.refreshes.fetch_add(1, Relaxed);
        }
    }
    pub(crate) fn failure(&self) {
        self.failures.fetch_add(1, Relaxed);
    }
    pub(crate) fn shared_hit(&self) {
        self.shared_hits.fetch_add(1, Relaxed);
    }
    pub(crate) fn store_error(&self) {
        self.store_errors.fetch_add(1, Relaxed);
    }
    pub(crate) fn throttled(&self) {
        self.throttles.fetch_add(1, Relaxed);
    }
    /// The counters (`quota_remaining` is the client's to fill in).
    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            hits: self.hits.iter().map(|h| h.0.load(Relaxed)).sum(),
            misses: self.misses.load(Relaxed),
            fetches: self.fetches.load(Relaxed),
            refreshes: self.refreshes.load(Relaxed),
            failures: self.failures.load(Relaxed),
            shared_hits: self.shared_hits.load(Relaxed),
            store_errors: self.store_errors.load(Relaxed),
            throttles: self.throttles.load(Relaxed),
            quota_remaining: None,
        }
    }
}

impl Inner {
    /// The client's stats now: its counters and its quota reading.
    pub(crate) fn stats_now(&self) -> Stats {
        let mut stats = self.stats.snapshot();
        stats.quota_remaining = self
            .quota
            .current(SystemTime::now())
            .iter()
            .map(|b| b.remaining)
            .min();
        stats
    }
}
