//! Deferred delivery: records made inside the engine (log events, token
//! request records) reach a binding's sink later, from a thread that holds
//! no engine lock. The engine may make a record while it holds a cache lock,
//! and a foreign-language callback run there (Python taking the GIL, a C
//! callback calling back into the library) could deadlock.
//!
//! The rules, the same for every kind of record:
//! - a record is queued where it is made; it is delivered at the end of the
//!   binding call that caused it ([`Deferred::flush`]), or by the queue's
//!   forwarder thread about 50 ms after it was queued (background work);
//! - at most 10,000 wait; further ones are dropped and counted, and the next
//!   delivery may end with a record saying how many (the queue's `on_drops`);
//! - with no sink set nothing is queued;
//! - a panic in the sink is caught and its batch dropped;
//! - after `fork()` the child forgets the parent's queued records (the parent
//!   delivers them) and its forwarder (a thread it does not have), and starts
//!   its own forwarder when it first queues a record. The queue's lock is an
//!   engine lock (`process::Mutex`), so no fork leaves it held.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::Thread;
use std::time::Duration;

use crate::process::{self, Mutex, MutexGuard};

/// How long the forwarder leaves records to the call that caused them.
const FORWARD_DELAY: Duration = Duration::from_millis(50);

/// Records waiting beyond this many are dropped (and counted).
const MAX_QUEUED: usize = 10_000;

/// Receives records in batches (a binding takes its interpreter lock once
/// per batch), on a thread that holds no engine lock.
pub(crate) type Sink<T> = Arc<dyn Fn(&[T]) + Send + Sync>;

/// A process-wide queue of records of one kind (a `static`).
pub(crate) struct Deferred<T: 'static> {
    state: Mutex<State<T>>,
    /// A sink is set: read without the lock, so that making no record costs
    /// one atomic load.
    has_sink: AtomicBool,
    /// Records dropped since the process started.
    dropped: AtomicU64,
    /// The forwarder thread's name.
    thread_name: &'static str,
    /// The record that reports `n` drops at the end of a delivery, if any.
    on_drops: fn(u64) -> Option<T>,
}

struct State<T> {
    /// The fork generation these records and this forwarder belong to.
    generation: u64,
    records: VecDeque<T>,
    /// Drops not yet reported through `on_drops`.
    pending_drops: u64,
    sink: Option<Sink<T>>,
    /// This process's forwarder thread, once started.
    forwarder: Option<Thread>,
}

impl<T: Send + 'static> Deferred<T> {
    /// An empty queue whose forwarder thread is called `thread_name`.
    pub(crate) const fn new(thread_name: &'static str, on_drops: fn(u64) -> Option<T>) -> Self {
        Deferred {
            state: Mutex::new(State {
                generation: 0,
                records: VecDeque::new(),
                pending_drops: 0,
                sink: None,
                forwarder: None,
            }),
            has_sink: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
            thread_name,
            on_drops,
        }
    }

    /// The state, as this process's: a forked child's first lock forgets
    /// what the parent had queued and the parent's forwarder.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        let mut s = self.state.lock();
        let generation = process::generation();
        if s.generation != generation {
            s.generation = generation;
            s.records.clear();
            s.pending_drops = 0;
            s.forwarder = None;
        }
        s
    }

    /// Sets where records go (`None`: none are queued, and those waiting
    /// are discarded).
    pub(crate) fn set_sink(&self, sink: Option<Sink<T>>) {
        // The queue's lock must never be inherited held by a child.
        process::install_fork_hooks();
        let old = {
            let mut s = self.lock();
            self.has_sink.store(sink.is_some(), Relaxed);
            if sink.is_none() {
                s.records.clear();
                s.pending_drops = 0;
            }
            std::mem::replace(&mut s.sink, sink)
        };
        // Dropped outside the lock: a binding's sink may take its own lock
        // to drop.
        drop(old);
    }

    /// Whether a sink is set (one atomic load).
    pub(crate) fn has_sink(&self) -> bool {
        self.has_sink.load(Relaxed)
    }

    /// How many records were dropped since the process started because
    /// 10,000 were already waiting.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Relaxed)
    }

    /// Delivers every queued record to the sink now, on the calling thread.
    /// Never call it holding an engine lock: the sink runs here.
    pub(crate) fn flush(&self) {
        if !self.has_sink() {
            return;
        }
        let (records, drops, sink) = {
            let mut s = self.lock();
            if s.records.is_empty() && s.pending_drops == 0 {
                return;
            }
            let drops = std::mem::take(&mut s.pending_drops);
            (std::mem::take(&mut s.records), drops, s.sink.clone())
        };
        let Some(sink) = sink else { return };
        let mut batch = Vec::from(records);
        if drops > 0 {
            batch.extend((self.on_drops)(drops));
        }
        if !batch.is_empty() {
            let _ = catch_unwind(AssertUnwindSafe(|| sink(&batch)));
        }
    }

    /// Queues a record (nothing without a sink), starting this process's
    /// forwarder if it has none.
    pub(crate) fn push(&'static self, record: T) {
        if !self.has_sink() {
            return;
        }
        let mut s = self.lock();
        if s.sink.is_none() {
            return;
        }
        if s.records.len() >= MAX_QUEUED {
            s.pending_drops += 1;
            self.dropped.fetch_add(1, Relaxed);
            return;
        }
        let was_empty = s.records.is_empty();
        s.records.push_back(record);
        if s.forwarder.is_none() {
            let thread = std::thread::Builder::new().name(self.thread_name.into());
            s.forwarder = thread
                .spawn(move || self.forward())
                .ok()
                .map(|handle| handle.thread().clone());
        }
        // The forwarder parks while the queue is empty; a record in a
        // non-empty queue is delivered by the wake-up already due.
        let wake = if was_empty { s.forwarder.clone() } else { None };
        drop(s);
        if let Some(forwarder) = wake {
            forwarder.unpark();
        }
    }

    /// The forwarder thread: delivers the records of background work. An
    /// `unpark` before the `park` is not lost (the thread's token keeps it),
    /// and a spurious wake-up only delivers early.
    fn forward(&'static self) {
        loop {
            std::thread::park();
            // Most records come from a call that delivers them itself when
            // it returns: leave it the time to.
            std::thread::sleep(FORWARD_DELAY);
            self.flush();
        }
    }
}
