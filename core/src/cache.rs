//! The in-process token cache (docs/design.md §4): one [`Slot`] per cache key, held
//! in a process-wide LRU registry so that clients with the same key share
//! tokens and single flight.
//!
//! The hot path (a fresh token) reads one atomic word and a thread-local
//! copy of the token: no lock, no allocation, no shared reference count.

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use futures_util::future::{BoxFuture, Shared, WeakShared};

use crate::clock;
use crate::error::Error;
use crate::key::CacheKey;
use crate::process::{self, Mutex};
use crate::secret::Secret;
use crate::stats::Counters;
use crate::token::Token;

/// Default bound of the process-wide cache.
pub const DEFAULT_MAX_KEYS: usize = 10_000;

/// A token request in flight; every waiter shares its outcome.
pub(crate) type Inflight = Shared<BoxFuture<'static, Result<Token, Error>>>;

/// How a slot refers to its request in flight.
pub(crate) enum InflightRecord {
    /// A background refresh: a task of its own, awaited through its join
    /// handle (safe to await from any runtime).
    Task(Inflight),
    /// A request driven by its waiters. The slot does not keep it alive:
    /// once every waiter (or the task a waiter that gave up handed it to) is
    /// gone — say, with the runtime they ran on — the request is gone too,
    /// and the next caller starts a new one on its own runtime instead of
    /// joining one whose timers and connections belong to a dead runtime.
    Driven {
        fetch: WeakShared<BoxFuture<'static, Result<Token, Error>>>,
        /// Held by the request's future: alive while the future is.
        alive: std::sync::Weak<()>,
    },
}

/// A token with the instants (monotonic ns) that govern it.
pub(crate) struct Cached {
    pub token: Token,
    pub usable_until: u64,
    pub fresh_until: u64,
}

/// Everything about one key that changes, behind the slot's lock.
#[derive(Default)]
pub(crate) struct SlotState {
    pub cached: Option<Cached>,
    /// The request in flight and its id.
    inflight: Option<(u64, InflightRecord)>,
    /// The fork generation that started `inflight`: a child after `fork()`
    /// inherits the request but not the task driving it.
    inflight_generation: u64,
    /// No token request before this instant (Retry-After, repeated 5xx).
    pub throttled_until: u64,
    /// While throttled: no look in the shared store before this instant.
    pub next_store_look: u64,
    /// Failed background refreshes in a row, for their backoff.
    pub refresh_failures: u32,
    /// No background refresh before this instant.
    pub next_refresh_at: u64,
    /// A token an API refused or a forced fetch replaces: the next fetch
    /// must not take it back from a shared store.
    pub rejected: Option<Secret>,
    /// Bumped whenever `cached` changes; mirrored in `Slot::word`.
    epoch: u64,
    /// Epoch words of clients whose default slot this is now (a client
    /// with `dpop_key_file`, whose default slot changes with its key):
    /// bumped with `epoch`.
    pub(crate) mirrors: Vec<Weak<AtomicU32>>,
}

pub use crate::epoch::CacheEpoch;

/// One cache key's state.
pub(crate) struct Slot {
    id: u64,
    pub key: CacheKey,
    /// `fresh units << EPOCH_BITS | epoch`, where fresh units are
    /// `(fresh_until - coarse_slack) >> UNIT_SHIFT`: one load and one
    /// shift of the coarse clock tell the hot path whether the token it holds
    /// a copy of is still the fresh one.
    word: AtomicU64,
    /// The low 32 bits of `SlotState::epoch`, for [`CacheEpoch`] readers.
    pub(crate) epoch: AtomicU32,
    pub state: Mutex<SlotState>,
    /// The key's fingerprint for telemetry records, made on the first
    /// request: hashing the key anew cost each token request ~16k
    /// instructions (callgrind, scripts/cold-instructions.sh).
    fingerprint: std::sync::OnceLock<String>,
}

const EPOCH_BITS: u32 = 24;
/// Deadlines are published in units of 2^20 ns (about 1 ms).
const UNIT_SHIFT: u32 = 20;
const EPOCH_MASK: u64 = (1 << EPOCH_BITS) - 1;

/// A process-unique id for a token request.
pub(crate) fn next_fetch_id() -> u64 {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

impl SlotState {
    /// Whether a token request is in flight for this key (started by this
    /// process, and still alive).
    pub(crate) fn is_inflight(&mut self) -> bool {
        let live = match &self.inflight {
            None => return false,
            Some(_) if self.inflight_generation != process::generation() => false,
            Some((_, InflightRecord::Task(_))) => true,
            Some((_, InflightRecord::Driven { alive, .. })) => alive.strong_count() > 0,
        };
        if !live {
            self.inflight = None;
        }
        live
    }

    /// The token request in flight for this key, to wait for. The clone must
    /// be dropped outside the slot's lock (it may be the last one).
    pub(crate) fn inflight(&mut self) -> Option<Inflight> {
        if !self.is_inflight() {
            return None;
        }
        let joined = match &self.inflight {
            Some((_, InflightRecord::Task(f))) => Some(f.clone()),
            Some((_, InflightRecord::Driven { fetch, .. })) => fetch.upgrade(),
            None => None,
        };
        if joined.is_none() {
            self.inflight = None;
        }
        joined
    }

    /// Records request `id` (from [`next_fetch_id`]) as in flight.
    pub(crate) fn start_inflight(&mut self, id: u64, record: InflightRecord) {
        self.inflight_generation = process::generation();
        self.inflight = Some((id, record));
    }

    /// Forgets request `id` if it is still the one in flight.
    pub(crate) fn end_inflight(&mut self, id: u64) {
        if self
            .inflight
            .as_ref()
            .is_some_and(|(current, _)| *current == id)
        {
            self.inflight = None;
        }
    }
}

impl Slot {
    fn new(key: CacheKey) -> Slot {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Slot {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            key,
            word: AtomicU64::new(0),
            epoch: AtomicU32::new(0),
            state: Mutex::new(SlotState::default()),
            fingerprint: std::sync::OnceLock::new(),
        }
    }

    /// The telemetry fingerprint of this slot's key.
    pub(crate) fn key_fingerprint(&self) -> String {
        self.fingerprint
            .get_or_init(|| crate::telemetry::key_fingerprint(&self.key.digest()))
            .clone()
    }

    /// Replaces the cached token (or clears it) and republishes the word.
    pub(crate) fn set_cached(&self, st: &mut SlotState, cached: Option<Cached>) {
        st.epoch = st.epoch.wrapping_add(1);
        // Rounded down, with the coarse clock's lag taken off: the hot path
        // sees `coarse >> UNIT_SHIFT < units` only while `precise < fresh_until`.
        let units = cached.as_ref().map_or(0, |c| {
            c.fresh_until.saturating_sub(clock::coarse_slack()) >> UNIT_SHIFT
        });
        st.cached = cached;
        self.epoch.store(st.epoch as u32, Ordering::Release);
        self.word.store(
            (units << EPOCH_BITS) | (st.epoch & EPOCH_MASK),
            Ordering::Release,
        );
        st.bump_mirrors();
    }

    /// The token if it is fresh, from this thread's own copy; counts a hit.
    /// `None` sends the caller to the slow path.
    #[inline]
    pub(crate) fn fresh(&self, stats: &Counters) -> Option<Token> {
        let word = self.word.load(Ordering::Acquire);
        if clock::coarse() >> UNIT_SHIFT >= word >> EPOCH_BITS {
            return None;
        }
        let epoch = word & EPOCH_MASK;
        HOT.with(|hot| {
            let mut hot = hot.borrow_mut();
            if let Some(t) = hot.find(self.id, epoch) {
                stats.hit(hot.shard);
                return Some(t);
            }
            // First use of this token on this thread: take a private copy.
            let st = self.state.lock();
            let c = st.cached.as_ref()?;
            if st.epoch & EPOCH_MASK != epoch {
                return None;
            }
            let copy = c.token.deep_clone();
            drop(st);
            hot.insert(self.id, epoch, copy.clone());
            stats.hit(hot.shard);
            Some(copy)
        })
    }
}

/// Each thread's copies of the tokens it was handed recently.
struct HotCache {
    entries: [Option<HotEntry>; HOT_ENTRIES],
    /// Where the last hit was found (checked first).
    last: usize,
    /// Where the next new entry goes (round robin).
    next: usize,
    /// This thread's stats shard (never 0), assigned on first insert.
    shard: usize,
}

struct HotEntry {
    slot: u64,
    epoch: u64,
    token: Token,
}

const HOT_ENTRIES: usize = 8;

impl HotCache {
    const EMPTY: HotCache = HotCache {
        entries: [const { None }; HOT_ENTRIES],
        last: 0,
        next: 0,
        shard: 0,
    };

    #[inline]
    fn find(&mut self, slot: u64, epoch: u64) -> Option<Token> {
        if let Some(e) = &self.entries[self.last] {
            if e.slot == slot && e.epoch == epoch {
                return Some(e.token.clone());
            }
        }
        let i = self.entries.iter().position(|e| {
            e.as_ref()
                .is_some_and(|e| e.slot == slot && e.epoch == epoch)
        })?;
        self.last = i;
        self.entries[i].as_ref().map(|e| e.token.clone())
    }

    fn insert(&mut self, slot: u64, epoch: u64, token: Token) {
        static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);
        if self.shard == 0 {
            self.shard = crate::stats::thread_shard(NEXT_SHARD.fetch_add(1, Ordering::Relaxed));
        }
        let entry = HotEntry { slot, epoch, token };
        let i = match self
            .entries
            .iter()
            .position(|e| e.as_ref().is_some_and(|e| e.slot == slot))
        {
            Some(i) => i,
            None => {
                let i = self.next;
                self.next = (self.next + 1) % HOT_ENTRIES;
                i
            }
        };
        self.entries[i] = Some(entry);
        self.last = i;
    }
}

thread_local! {
    static HOT: RefCell<HotCache> = const { RefCell::new(HotCache::EMPTY) };
}

/// A bounded map from cache key to slot, least recently used evicted.
///
/// One instance, [`MemoryCache::global`], is shared by every client of the
/// process; a client can be given its own for isolation.
pub struct MemoryCache {
    slots: Mutex<lru::LruCache<CacheKey, Arc<Slot>>>,
    /// The bound, enforced on insert (the map grows as keys come, rather
    /// than reserving room for the bound up front).
    max_keys: usize,
}

impl MemoryCache {
    /// A cache holding at most `max_keys` keys (at least 1).
    pub fn new(max_keys: usize) -> Arc<MemoryCache> {
        let cap = NonZeroUsize::new(max_keys.max(1)).expect("max(1) is non-zero");
        Arc::new(MemoryCache {
            slots: Mutex::new(lru::LruCache::unbounded()),
            max_keys: cap.get(),
        })
    }

    /// The process-wide cache [10 000 keys].
    pub fn global() -> Arc<MemoryCache> {
        static GLOBAL: OnceLock<Arc<MemoryCache>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| MemoryCache::new(DEFAULT_MAX_KEYS))
            .clone()
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.slots.lock().len()
    }

    /// True when it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The slot for `key`, created if absent (which may evict the least
    /// recently used one).
    pub(crate) fn slot(&self, key: CacheKey) -> Arc<Slot> {
        let mut slots = self.slots.lock();
        if let Some(s) = slots.get(&key) {
            return s.clone();
        }
        let slot = Arc::new(Slot::new(key.clone()));
        slots.push(key, slot.clone());
        self.evict(&mut slots);
        slot
    }

    /// Drops the least recently used keys beyond the bound.
    /// A slot someone else still holds (a client's default key, a call in
    /// progress, a request in flight) is never evicted: evicting it would
    /// let the next caller make a second request for a key already in
    /// flight. While every slot is held, the map may exceed its bound.
    fn evict(&self, slots: &mut lru::LruCache<CacheKey, Arc<Slot>>) {
        while slots.len() > self.max_keys {
            let victim = slots
                .iter()
                .rev() // least recently used first
                .find(|(_, slot)| Arc::strong_count(slot) == 1)
                .map(|(key, _)| key.clone());
            match victim {
                Some(key) => drop(slots.pop(&key)),
                None => break,
            }
        }
    }

    /// Marks `slot` as used (its owner reached it without a lookup); puts it
    /// back if it was evicted while a client still held it.
    pub(crate) fn touch(&self, slot: &Arc<Slot>) {
        let mut slots = self.slots.lock();
        if slots.get(&slot.key).is_none() {
            slots.push(slot.key.clone(), slot.clone());
            self.evict(&mut slots);
        }
    }
}
