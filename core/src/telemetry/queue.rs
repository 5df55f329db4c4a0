//! The records' queue: the delivery rules of `logs.rs` (queued, delivered
//! outside every engine lock by [`flush`] or a forwarder thread, bounded,
//! drops counted, forgotten by a forked child).

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Condvar, Mutex, MutexGuard, Once, PoisonError};
use std::time::Duration;

use super::{TelemetrySink, TokenRequestRecord};

/// How long the forwarder leaves records to the call that caused them.
const FORWARD_DELAY: Duration = Duration::from_millis(50);

/// The forwarder thread's name (a binding may tell its deliveries apart).
pub const FORWARDER_THREAD: &str = "m2m-auth-telemetry";

/// Records waiting beyond this many are dropped (and counted).
const MAX_QUEUED: usize = 10_000;

struct Queue {
    records: VecDeque<TokenRequestRecord>,
    sink: Option<TelemetrySink>,
    forwarder: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    records: VecDeque::new(),
    sink: None,
    forwarder: false,
});
static WAKE: Condvar = Condvar::new();
static HAS_SINK: AtomicBool = AtomicBool::new(false);
static DROPPED: AtomicU64 = AtomicU64::new(0);

fn lock() -> MutexGuard<'static, Queue> {
    QUEUE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sets where records go (`None`: none are queued, and those waiting are
/// discarded).
pub fn set_sink(sink: Option<TelemetrySink>) {
    static FORK: Once = Once::new();
    FORK.call_once(|| {
        #[cfg(unix)]
        fork::register();
    });
    let old = {
        let mut q = lock();
        HAS_SINK.store(sink.is_some(), Relaxed);
        if sink.is_none() {
            q.records.clear();
        }
        std::mem::replace(&mut q.sink, sink)
    };
    // Dropped outside the lock: a binding's sink may take its own lock to drop.
    drop(old);
}

/// How many records were dropped since the process started because 10,000
/// were already waiting.
pub fn dropped() -> u64 {
    DROPPED.load(Relaxed)
}

/// Delivers every queued record to the sink now, on the calling thread.
/// Bindings call it at the end of each call; never call it holding an engine
/// lock (the sink runs here).
pub fn flush() {
    if !HAS_SINK.load(Relaxed) {
        return;
    }
    let (records, sink) = {
        let mut q = lock();
        if q.records.is_empty() {
            return;
        }
        (std::mem::take(&mut q.records), q.sink.clone())
    };
    let Some(sink) = sink else { return };
    let batch = Vec::from(records);
    let _ = catch_unwind(AssertUnwindSafe(|| sink(&batch)));
}

pub(super) fn push(record: TokenRequestRecord) {
    if !HAS_SINK.load(Relaxed) {
        return;
    }
    let mut q = lock();
    if q.sink.is_none() {
        return;
    }
    if q.records.len() >= MAX_QUEUED {
        DROPPED.fetch_add(1, Relaxed);
        return;
    }
    let was_empty = q.records.is_empty();
    q.records.push_back(record);
    if !q.forwarder {
        let thread = std::thread::Builder::new().name(FORWARDER_THREAD.into());
        q.forwarder = thread.spawn(forward).is_ok();
    }
    drop(q);
    if was_empty {
        WAKE.notify_one();
    }
}

/// The forwarder thread: delivers the records of background work.
fn forward() {
    loop {
        {
            let mut q = lock();
            while q.records.is_empty() {
                q = WAKE.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        }
        std::thread::sleep(FORWARD_DELAY);
        flush();
    }
}

/// `pthread_atfork` handlers: the forking thread holds the queue's lock
/// across `fork()`; the child forgets the parent's records and forwarder.
#[cfg(unix)]
mod fork {
    use super::{lock, Queue};
    use std::cell::Cell;
    use std::sync::MutexGuard;

    thread_local! {
        static HELD: Cell<Option<MutexGuard<'static, Queue>>> = const { Cell::new(None) };
    }

    extern "C" fn prepare() {
        let q = lock();
        let _ = HELD.try_with(move |h| h.set(Some(q)));
    }

    extern "C" fn parent() {
        let _ = HELD.try_with(Cell::take);
    }

    extern "C" fn child() {
        let held = HELD.try_with(Cell::take).ok().flatten();
        let mut q = held.unwrap_or_else(lock);
        q.records.clear();
        q.forwarder = false;
    }

    pub(super) fn register() {
        // SAFETY: the handlers are functions of this library that never
        // unwind; registering them has no other precondition.
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    }
}
