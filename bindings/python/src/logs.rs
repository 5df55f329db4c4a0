//! The engine's `tracing` events, delivered to Python `logging` under the
//! logger `m2m_auth` (targets `m2m_auth::x` under `m2m_auth.x`).
//!
//! An event is formatted where it happens and queued; it reaches Python only
//! from a thread that holds no engine lock: at the end of the binding call
//! that caused it (so a caller sees its records before the call returns), or
//! from a forwarder thread for events of background work. The engine may emit
//! an event while holding a cache lock, and a Python thread holding the GIL
//! may be waiting for that lock, so taking the GIL from inside the event (as
//! pyo3-log does) could deadlock. The engine's events carry no secret (ids,
//! fingerprints, scrubbed errors); other crates' events are not forwarded.

use std::collections::VecDeque;
use std::fmt::{self, Write as _};

use crate::sync::Lock;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Condvar, PoisonError};
use tracing_core::field::{Field, Visit};
use tracing_core::span;
use tracing_core::{Event, Interest, Level, LevelFilter, Metadata, Subscriber};

/// How long the forwarder leaves records to the call that caused them.
const FORWARD_DELAY: std::time::Duration = std::time::Duration::from_millis(50);

/// Records waiting to be delivered beyond this many are dropped (and counted).
const MAX_QUEUED: usize = 10_000;

struct Record {
    level: u8,
    logger: String,
    message: String,
    file: Option<&'static str>,
    line: Option<u32>,
}

pub(crate) struct Queue {
    records: VecDeque<Record>,
    dropped: u64,
    /// The process whose forwarder thread runs (0: none).
    forwarder_pid: u32,
}

pub(crate) static QUEUE: Lock<Queue> = Lock::new(Queue {
    records: VecDeque::new(),
    dropped: 0,
    forwarder_pid: 0,
});
static WAKE: Condvar = Condvar::new();

/// Installs the forwarding subscriber (once per process; if something else
/// already installed one, that one stays).
pub(crate) fn install() {
    let _ = tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(Forward));
}

struct Forward;

fn ours(m: &Metadata<'_>) -> bool {
    m.is_event() && (m.target() == "m2m_auth" || m.target().starts_with("m2m_auth::"))
}

impl Subscriber for Forward {
    fn register_callsite(&self, m: &'static Metadata<'static>) -> Interest {
        if ours(m) {
            // Asked per event: the threshold follows Python's configuration.
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, m: &Metadata<'_>) -> bool {
        ours(m) && levelno(m.level()) >= THRESHOLD.load(Ordering::Relaxed)
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
        let m = event.metadata();
        let mut text = Text::default();
        event.record(&mut text);
        let mut message = text.message;
        message.push_str(&text.fields);
        push(Record {
            level: levelno(m.level()),
            logger: m.target().replace("::", "."),
            message,
            file: m.file(),
            line: m.line(),
        });
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// Python's `logging` level number for a `tracing` level.
fn levelno(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// Events below this Python level are not even formatted: the effective level
/// of the logger `m2m_auth`, read again at the start of every call that may
/// log (so a configuration change applies from the next call).
static THRESHOLD: AtomicU8 = AtomicU8::new(30);

/// Reads the effective level of the logger `m2m_auth` (with `logging` not
/// imported, nobody configured it: Python's default, WARNING).
pub(crate) fn refresh_level(py: Python<'_>) {
    let level = (|| -> PyResult<u8> {
        let modules = py.import("sys")?.getattr("modules")?;
        let Some(logging) = modules.get_item("logging").ok() else {
            return Ok(30);
        };
        if logging.is_none() {
            return Ok(30);
        }
        let logger = logging.call_method1("getLogger", ("m2m_auth",))?;
        // `logging.disable(n)` silences levels <= n everywhere.
        let disabled: i64 = logging
            .getattr("root")?
            .getattr("manager")?
            .getattr("disable")?
            .extract()
            .unwrap_or(0);
        let effective: i64 = logger.call_method0("getEffectiveLevel")?.extract()?;
        Ok(effective.max(disabled + 1).clamp(0, 255) as u8)
    })()
    .unwrap_or(30);
    THRESHOLD.store(level, Ordering::Relaxed);
}

/// An event as text: its message, then ` name=value` for each field.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

fn push(record: Record) {
    let pid = std::process::id();
    let mut q = QUEUE.lock();
    if q.records.len() >= MAX_QUEUED {
        q.dropped += 1;
        return;
    }
    q.records.push_back(record);
    if q.forwarder_pid != pid {
        let started = std::thread::Builder::new()
            .name("m2m-auth-log".into())
            .spawn(forward)
            .is_ok();
        if started {
            q.forwarder_pid = pid;
        }
    }
    drop(q);
    WAKE.notify_one();
}

/// The forwarder thread: delivers records of background work.
fn forward() {
    loop {
        {
            let mut q = QUEUE.lock();
            while q.records.is_empty() && q.dropped == 0 {
                q = WAKE.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        }
        // Most records come from a call that delivers them itself when it
        // returns: give it the time to, rather than compete for the GIL.
        std::thread::sleep(FORWARD_DELAY);
        {
            let q = QUEUE.lock();
            if q.records.is_empty() && q.dropped == 0 {
                continue;
            }
        }
        if Python::try_attach(flush).is_none() {
            // Python is finalizing: stop; a later record starts a new forwarder.
            QUEUE.lock().forwarder_pid = 0;
            return;
        }
    }
}

/// Delivers every queued record (call with no engine lock held).
pub(crate) fn flush(py: Python<'_>) {
    let (records, dropped) = {
        let mut q = QUEUE.lock();
        if q.records.is_empty() && q.dropped == 0 {
            return;
        }
        (
            std::mem::take(&mut q.records),
            std::mem::take(&mut q.dropped),
        )
    };
    for r in records {
        let _ = emit(py, r);
    }
    if dropped > 0 {
        let _ = emit(
            py,
            Record {
                level: 30,
                logger: "m2m_auth".into(),
                message: format!("{dropped} log records dropped: Python logging fell behind"),
                file: None,
                line: None,
            },
        );
    }
}

fn emit(py: Python<'_>, r: Record) -> PyResult<()> {
    static GET_LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let get_logger = GET_LOGGER.get_or_try_init(py, || -> PyResult<_> {
        Ok(py.import("logging")?.getattr("getLogger")?.unbind())
    })?;
    let logger = get_logger.bind(py).call1((r.logger.as_str(),))?;
    if !logger
        .call_method1(pyo3::intern!(py, "isEnabledFor"), (r.level,))?
        .is_truthy()?
    {
        return Ok(());
    }
    let record = logger.call_method1(
        pyo3::intern!(py, "makeRecord"),
        (
            r.logger.as_str(),
            r.level,
            r.file.unwrap_or("(m2m_auth)"),
            r.line.unwrap_or(0),
            r.message,
            PyTuple::empty(py),
            py.None(),
        ),
    )?;
    logger.call_method1(pyo3::intern!(py, "handle"), (record,))?;
    Ok(())
}

/// Delivers every queued record now (for tests and for code that wants the
/// records of background refreshes before it reads its logs).
#[pyfunction]
pub(crate) fn _flush_logs(py: Python<'_>) {
    flush(py);
}

/// In a forked child: the parent delivers its own records, and this process
/// has no forwarder thread yet.
pub(crate) fn after_fork_child() {
    let mut q = QUEUE.lock();
    q.records.clear();
    q.dropped = 0;
    q.forwarder_pid = 0;
}
