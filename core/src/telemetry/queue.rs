//! The records' queue: delivered by the rules of `deferred.rs`, which log
//! records follow too (queued, delivered outside every engine lock by
//! [`flush`] or a forwarder thread, bounded, drops counted, forgotten by a
//! forked child).

use super::{TelemetrySink, TokenRequestRecord};
use crate::deferred::Deferred;

/// The forwarder thread's name (a binding may tell its deliveries apart).
pub const FORWARDER_THREAD: &str = "m2m-auth-telemetry";

/// Drops are counted ([`dropped`]), not reported by a record.
static QUEUE: Deferred<TokenRequestRecord> = Deferred::new(FORWARDER_THREAD, |_| None);

/// Sets where records go (`None`: none are queued, and those waiting are
/// discarded).
pub fn set_sink(sink: Option<TelemetrySink>) {
    QUEUE.set_sink(sink);
}

/// How many records were dropped since the process started because 10,000
/// were already waiting.
pub fn dropped() -> u64 {
    QUEUE.dropped()
}

/// Delivers every queued record to the sink now, on the calling thread.
/// Bindings call it at the end of each call; never call it holding an engine
/// lock (the sink runs here).
pub fn flush() {
    QUEUE.flush();
}

pub(super) fn push(record: TokenRequestRecord) {
    QUEUE.push(record);
}
