//! Engine-log delivery (`m2m_auth::logs`): filtering, threshold, queueing,
//! the forwarder, panicking sinks and the queue bound.
//!
//! The subscriber is the process's global dispatcher and the sink is global:
//! every test takes `SERIAL` and installs its own sink.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use m2m_auth::logs::{self, LogLevel, LogRecord, LogSink};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

type Seen = Arc<Mutex<Vec<LogRecord>>>;

/// Installs a sink that collects records, after delivering what is left.
fn collect() -> Seen {
    logs::flush();
    let seen: Seen = Arc::default();
    let s = seen.clone();
    logs::set_sink(Some(Arc::new(move |batch: &[LogRecord]| {
        s.lock().unwrap().extend_from_slice(batch)
    })));
    logs::set_level(Some(LogLevel::Warn));
    seen
}

fn messages(seen: &Seen) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|r| r.message.clone())
        .collect()
}

/// Polls `ok` for up to 2 s.
fn eventually(mut ok: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    ok()
}

#[test]
fn level_names() {
    for l in [
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ] {
        assert_eq!(l.as_str().parse::<LogLevel>(), Ok(l));
    }
    assert_eq!("WARNING".parse::<LogLevel>(), Ok(LogLevel::Warn));
    assert!("loud".parse::<LogLevel>().is_err());
    assert!(LogLevel::Error < LogLevel::Trace);
}

#[test]
fn records_reach_the_sink_on_flush() {
    let _g = serial();
    let seen = collect();
    let line = line!() + 1;
    tracing::warn!(target: "m2m_auth", key = "k1", attempt = 2, "token refresh failed");
    tracing::error!(target: "m2m_auth::store", fp = %"ab12", "store down");
    logs::flush();
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].level, LogLevel::Warn);
    assert_eq!(got[0].target, "m2m_auth");
    assert_eq!(got[0].message, "token refresh failed key=\"k1\" attempt=2");
    assert_eq!(got[0].file, Some(file!()));
    assert_eq!(got[0].line, Some(line));
    assert_eq!(got[1].level, LogLevel::Error);
    assert_eq!(got[1].target, "m2m_auth::store");
    assert_eq!(got[1].message, "store down fp=ab12");
}

#[test]
fn other_targets_never_reach_the_sink() {
    let _g = serial();
    let seen = collect();
    logs::set_level(Some(LogLevel::Trace));
    tracing::error!(target: "reqwest", "other crate");
    tracing::error!(target: "m2m_authx", "lookalike");
    tracing::error!(target: "app::m2m_auth", "application");
    tracing::error!("default target");
    tracing::error!(target: "m2m_auth::cache", "ours");
    logs::flush();
    assert_eq!(messages(&seen), ["ours"]);
}

#[test]
fn threshold_filters_before_formatting() {
    struct Counted<'a>(&'a AtomicUsize);
    impl fmt::Debug for Counted<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fetch_add(1, Ordering::SeqCst);
            f.write_str("counted")
        }
    }
    let _g = serial();
    let seen = collect();
    let calls = AtomicUsize::new(0);
    tracing::info!(target: "m2m_auth", v = ?Counted(&calls), "info hidden");
    tracing::debug!(target: "m2m_auth", v = ?Counted(&calls), "debug hidden");
    tracing::warn!(target: "m2m_auth", v = ?Counted(&calls), "warn shown");
    logs::flush();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(messages(&seen), ["warn shown v=counted"]);

    logs::set_level(Some(LogLevel::Debug));
    tracing::debug!(target: "m2m_auth", "debug shown");
    tracing::trace!(target: "m2m_auth", v = ?Counted(&calls), "trace hidden");
    logs::set_level(None);
    tracing::error!(target: "m2m_auth", v = ?Counted(&calls), "off");
    logs::flush();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(messages(&seen), ["warn shown v=counted", "debug shown"]);

    // Without a sink nothing is queued, even when the level allows it.
    logs::set_level(Some(LogLevel::Trace));
    logs::set_sink(None);
    tracing::error!(target: "m2m_auth", v = ?Counted(&calls), "no sink");
    let seen = collect();
    logs::flush();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(messages(&seen).is_empty());
}

#[test]
fn forwarder_delivers_without_flush() {
    let _g = serial();
    let seen = collect();
    tracing::warn!(target: "m2m_auth", "background refresh failed");
    assert!(eventually(
        || messages(&seen) == ["background refresh failed"]
    ));
}

#[test]
fn panicking_sink_does_not_poison_delivery() {
    let _g = serial();
    logs::flush();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    logs::set_sink(Some(Arc::new(move |_: &[LogRecord]| {
        c.fetch_add(1, Ordering::SeqCst);
        panic!("sink failure");
    })));
    logs::set_level(Some(LogLevel::Warn));
    tracing::warn!(target: "m2m_auth", "lost on flush");
    logs::flush();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    tracing::warn!(target: "m2m_auth", "lost in the forwarder");
    assert!(eventually(|| calls.load(Ordering::SeqCst) == 2));

    let seen = collect();
    tracing::warn!(target: "m2m_auth", "flushed");
    logs::flush();
    tracing::warn!(target: "m2m_auth", "forwarded");
    assert!(eventually(|| messages(&seen) == ["flushed", "forwarded"]));
}

#[test]
fn queue_bound_counts_drops() {
    let _g = serial();
    logs::flush();
    let seen: Seen = Arc::default();
    let gate = Arc::new(Mutex::new(()));
    let entered = Arc::new(AtomicBool::new(false));
    let sink: LogSink = {
        let (seen, gate, entered) = (seen.clone(), gate.clone(), entered.clone());
        Arc::new(move |batch: &[LogRecord]| {
            entered.store(true, Ordering::SeqCst);
            let _open = gate.lock().unwrap_or_else(PoisonError::into_inner);
            seen.lock().unwrap().extend_from_slice(batch);
        })
    };
    logs::set_sink(Some(sink));
    logs::set_level(Some(LogLevel::Warn));

    // Hold the forwarder inside the sink, so that nothing drains the queue.
    let closed = gate.lock().unwrap();
    tracing::warn!(target: "m2m_auth", "first");
    assert!(eventually(|| entered.load(Ordering::SeqCst)));
    let before = logs::dropped();
    for i in 0..10_007 {
        tracing::warn!(target: "m2m_auth", i, "bulk");
    }
    assert_eq!(logs::dropped() - before, 7);
    drop(closed);
    logs::flush();
    // The forwarder's batch ("first") may land after the flushed one.
    assert!(eventually(|| seen.lock().unwrap().len() == 1 + 10_000 + 1));

    let got = seen.lock().unwrap().clone();
    assert_eq!(
        got.iter().filter(|r| r.message.starts_with("bulk")).count(),
        10_000
    );
    let notice = got.iter().find(|r| r.message.contains("dropped")).unwrap();
    assert_eq!(notice.level, LogLevel::Warn);
    assert_eq!(
        notice.message,
        "7 log records dropped: the log sink fell behind"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn forked_child_forgets_parent_records_and_forwards_its_own() {
    let _g = serial();
    let seen = collect();
    tracing::warn!(target: "m2m_auth", "parent's");
    // SAFETY: the child only logs, polls and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: alarm has no preconditions.
        unsafe { libc::alarm(10) }; // a deadlock kills the child
        let had = messages(&seen).len();
        logs::flush();
        let forgot = messages(&seen).len() == had;
        tracing::warn!(target: "m2m_auth", "child's");
        let forwarded =
            eventually(|| messages(&seen).last().map(String::as_str) == Some("child's"));
        // SAFETY: ends the child without running the harness's exit code.
        unsafe { libc::_exit(if forgot && forwarded { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child status {status:#x}"
    );
    logs::flush();
    assert_eq!(messages(&seen), ["parent's"]);
}
