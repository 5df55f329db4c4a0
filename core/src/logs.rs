//! Delivery of the engine's `tracing` events to a binding's logging, with
//! the same rules for every binding.
//!
//! [`set_sink`] installs a subscriber that accepts only events whose target is
//! `m2m_auth` or `m2m_auth::*`. Each event at or above the threshold
//! ([`set_level`]; a single atomic read, so a disabled level is never
//! formatted) is formatted where it happens into a [`LogRecord`] and queued;
//! it reaches the [`LogSink`] later, from a thread that holds no engine lock:
//! at the end of the binding call that caused it ([`flush`]), or from a
//! forwarder thread about 50 ms after it was queued (for background work).
//! The reason: the engine may log while holding a cache lock, and a
//! foreign-language callback (Python taking the GIL, a C callback calling
//! back into the library) run from inside the event could deadlock.
//!
//! At most 10,000 records wait; further ones are dropped and counted
//! ([`dropped`]), and the next delivery ends with a warning saying how many.
//! Records delivered by the forwarder and by a concurrent [`flush`] may reach
//! the sink in two batches in either order.
//!
//! Records never contain secrets: the engine's own events carry none (ids,
//! fingerprints, scrubbed errors), and events of other targets (other crates,
//! the application) are never accepted.
//!
//! After `fork()` the child forgets the parent's queued records (the parent
//! delivers them) and starts its own forwarder when it first queues one; the
//! queue's lock is held across `fork()` so that a child never inherits it
//! held by a thread it does not have.

use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once, PoisonError};
use std::time::Duration;

use tracing_core::field::{Field, Visit};
use tracing_core::{span, Dispatch, Event, Interest, Level, LevelFilter, Metadata, Subscriber};

/// How long the forwarder leaves records to the call that caused them.
const FORWARD_DELAY: Duration = Duration::from_millis(50);

/// Records waiting to be delivered beyond this many are dropped (and counted).
const MAX_QUEUED: usize = 10_000;

/// The severity of a record, most severe first (`Error < Trace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// A failure the caller sees.
    Error = 1,
    /// Something wrong the engine worked around.
    Warn,
    /// A notable step (a token fetched, a refresh).
    Info,
    /// Details of the engine's decisions.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The level's name in lower case: `"error"`, `"warn"`, `"info"`,
    /// `"debug"` or `"trace"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }
}

impl FromStr for LogLevel {
    /// A message naming the unknown level.
    type Err = String;

    /// Parses a level name, in any case (`"warning"` is accepted for `Warn`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "error" => LogLevel::Error,
            "warn" | "warning" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            "trace" => LogLevel::Trace,
            _ => {
                return Err(format!(
                    "unknown log level {s:?}: expected error, warn, info, debug or trace"
                ))
            }
        })
    }
}

/// One engine event, formatted.
#[derive(Debug, Clone)]
pub struct LogRecord {
    /// The event's level.
    pub level: LogLevel,
    /// Where it comes from: `"m2m_auth"` or `"m2m_auth::<part>"`.
    pub target: String,
    /// The event's message, then ` name=value` for each of its fields.
    pub message: String,
    /// The source file of the event, if known.
    pub file: Option<&'static str>,
    /// The source line of the event, if known.
    pub line: Option<u32>,
}

/// Receives records in batches (so that a binding can take its interpreter
/// lock once per batch), on a thread that holds no engine lock. A panic in
/// it is caught and its batch dropped.
pub type LogSink = Arc<dyn Fn(&[LogRecord]) + Send + Sync>;

struct Queue {
    records: VecDeque<LogRecord>,
    /// Drops not yet reported to the sink.
    pending_drops: u64,
    sink: Option<LogSink>,
    /// This process has a forwarder thread.
    forwarder: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    records: VecDeque::new(),
    pending_drops: 0,
    sink: None,
    forwarder: false,
});
static WAKE: Condvar = Condvar::new();
/// The most verbose level accepted (0: none).
static THRESHOLD: AtomicU8 = AtomicU8::new(LogLevel::Warn as u8);
static HAS_SINK: AtomicBool = AtomicBool::new(false);
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// The queue's lock, poisoning ignored (every critical section leaves the
/// queue consistent).
fn lock() -> MutexGuard<'static, Queue> {
    QUEUE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sets where records go (`None`: records are no longer queued, and those
/// waiting are discarded).
///
/// The first call installs the forwarding subscriber as the process's global
/// default `tracing` dispatcher. If something else (an application's
/// `tracing-subscriber`, say) was installed first, that one stays and nothing
/// is delivered to the sink.
pub fn set_sink(sink: Option<LogSink>) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        #[cfg(unix)]
        fork::register();
        let _ = tracing_core::dispatcher::set_global_default(Dispatch::new(Forward));
    });
    let old = {
        let mut q = lock();
        HAS_SINK.store(sink.is_some(), Relaxed);
        if sink.is_none() {
            q.records.clear();
            q.pending_drops = 0;
        }
        std::mem::replace(&mut q.sink, sink)
    };
    // Dropped outside the lock: a binding's sink may take its own lock to drop.
    drop(old);
}

/// Sets the threshold: events less severe than `level` are not even
/// formatted (`None`: none are accepted). The default is [`LogLevel::Warn`].
pub fn set_level(level: Option<LogLevel>) {
    THRESHOLD.store(level.map_or(0, |l| l as u8), Relaxed);
}

/// How many records were dropped, since the process started, because
/// 10,000 were already waiting.
pub fn dropped() -> u64 {
    DROPPED.load(Relaxed)
}

/// Delivers every queued record to the sink now, on the calling thread.
///
/// Bindings call it at the end of each call, so that a caller sees the
/// records of its call before the call returns. Never call it while holding
/// an engine lock (or a lock the sink takes): the sink runs here.
pub fn flush() {
    let (records, drops, sink) = {
        let mut q = lock();
        if q.records.is_empty() && q.pending_drops == 0 {
            return;
        }
        let drops = std::mem::take(&mut q.pending_drops);
        (std::mem::take(&mut q.records), drops, q.sink.clone())
    };
    let Some(sink) = sink else { return };
    let mut batch = Vec::from(records);
    if drops > 0 && THRESHOLD.load(Relaxed) >= LogLevel::Warn as u8 {
        batch.push(LogRecord {
            level: LogLevel::Warn,
            target: "m2m_auth".into(),
            message: format!("{drops} log records dropped: the log sink fell behind"),
            file: None,
            line: None,
        });
    }
    if !batch.is_empty() {
        let _ = catch_unwind(AssertUnwindSafe(|| sink(&batch)));
    }
}

fn push(record: LogRecord) {
    let mut q = lock();
    if q.sink.is_none() {
        return;
    }
    if q.records.len() >= MAX_QUEUED {
        q.pending_drops += 1;
        DROPPED.fetch_add(1, Relaxed);
        return;
    }
    let was_empty = q.records.is_empty();
    q.records.push_back(record);
    if !q.forwarder {
        let thread = std::thread::Builder::new().name("m2m-auth-log".into());
        q.forwarder = thread.spawn(forward).is_ok();
    }
    drop(q);
    if was_empty {
        // The forwarder waits only while the queue is empty.
        WAKE.notify_one();
    }
}

/// The forwarder thread: delivers the records of background work.
fn forward() {
    loop {
        {
            let mut q = lock();
            while q.records.is_empty() && q.pending_drops == 0 {
                q = WAKE.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        }
        // Most records come from a call that delivers them itself when it
        // returns: leave it the time to.
        std::thread::sleep(FORWARD_DELAY);
        flush();
    }
}

struct Forward;

fn ours(m: &Metadata<'_>) -> bool {
    m.is_event() && (m.target() == "m2m_auth" || m.target().starts_with("m2m_auth::"))
}

impl Subscriber for Forward {
    fn register_callsite(&self, m: &'static Metadata<'static>) -> Interest {
        if ours(m) {
            Interest::sometimes() // the threshold is read per event
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, m: &Metadata<'_>) -> bool {
        ours(m)
            && LogLevel::of(m.level()) as u8 <= THRESHOLD.load(Relaxed)
            && HAS_SINK.load(Relaxed)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        // A field whose formatting panics must not unwind into the engine.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            let m = event.metadata();
            let mut text = Text::default();
            event.record(&mut text);
            let mut message = text.message;
            message.push_str(&text.fields);
            push(LogRecord {
                level: LogLevel::of(m.level()),
                target: m.target().to_owned(),
                message,
                file: m.file(),
                line: m.line(),
            });
        }));
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// An event as text: its message, then ` name=value` for each field.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = match field.name() {
            "message" => write!(self.message, "{value:?}"),
            name => write!(self.fields, " {name}={value:?}"),
        };
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message.push_str(value),
            _ => self.record_debug(field, &value),
        }
    }
}

/// `pthread_atfork` handlers: the forking thread holds the queue's lock
/// across `fork()`; the child then forgets the parent's records and forwarder.
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
        // If this thread's locals are gone, the guard is dropped unheld.
        let _ = HELD.try_with(move |h| h.set(Some(q)));
    }

    extern "C" fn parent() {
        let _ = HELD.try_with(Cell::take);
    }

    extern "C" fn child() {
        let held = HELD.try_with(Cell::take).ok().flatten();
        let mut q = held.unwrap_or_else(lock);
        q.records.clear();
        q.pending_drops = 0;
        q.forwarder = false;
    }

    pub(super) fn register() {
        // SAFETY: the handlers are functions of this library that never
        // unwind; registering them has no other precondition.
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    }
}
