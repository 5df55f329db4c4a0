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
//! delivers them) and starts its own forwarder when it first queues one
//! (`deferred.rs`, shared with the telemetry records).

use std::fmt::{self, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::sync::{Arc, Once};

use tracing_core::field::{Field, Visit};
use tracing_core::{span, Dispatch, Event, Interest, Level, LevelFilter, Metadata, Subscriber};

use crate::deferred::Deferred;

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

/// The records waiting for the sink (`deferred.rs`: the delivery rules).
static QUEUE: Deferred<LogRecord> = Deferred::new("m2m-auth-log", drop_warning);
/// The most verbose level accepted (0: none).
static THRESHOLD: AtomicU8 = AtomicU8::new(LogLevel::Warn as u8);

/// The record that ends a delivery after drops (when warnings are wanted).
fn drop_warning(drops: u64) -> Option<LogRecord> {
    (THRESHOLD.load(Relaxed) >= LogLevel::Warn as u8).then(|| LogRecord {
        level: LogLevel::Warn,
        target: "m2m_auth".into(),
        message: format!("{drops} log records dropped: the log sink fell behind"),
        file: None,
        line: None,
    })
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
        let _ = tracing_core::dispatcher::set_global_default(Dispatch::new(Forward));
    });
    QUEUE.set_sink(sink);
}

/// Sets the threshold: events less severe than `level` are not even
/// formatted (`None`: none are accepted). The default is [`LogLevel::Warn`].
pub fn set_level(level: Option<LogLevel>) {
    THRESHOLD.store(level.map_or(0, |l| l as u8), Relaxed);
}

/// How many records were dropped, since the process started, because
/// 10,000 were already waiting.
pub fn dropped() -> u64 {
    QUEUE.dropped()
}

/// Delivers every queued record to the sink now, on the calling thread.
///
/// Bindings call it at the end of each call, so that a caller sees the
/// records of its call before the call returns. Never call it while holding
/// an engine lock (or a lock the sink takes): the sink runs here.
pub fn flush() {
    QUEUE.flush();
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
        ours(m) && LogLevel::of(m.level()) as u8 <= THRESHOLD.load(Relaxed) && QUEUE.has_sink()
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
            QUEUE.push(LogRecord {
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
