//! Telemetry glue (docs/design.md §12): the engine's token request records
//! handed to `m2m_auth._telemetry` (which makes OpenTelemetry spans and
//! metrics of them when `opentelemetry-api` is installed), and every live
//! client's stats for its observable instruments.
//!
//! Records reach the callback by the log records' rules: at the end of the
//! binding call that caused them (`logs::flush` delivers both) or from the
//! engine's forwarder thread, never under an engine lock; one GIL
//! acquisition per batch.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use m2m_auth::telemetry::{self as engine, TokenRequestRecord};
use pyo3::prelude::*;

use crate::types::Stats;

/// One record as the tuple `_telemetry` reads: (endpoint, client_id,
/// key_fingerprint, attempts, outcome, status or None, start and end in ns
/// since the epoch, background).
type RecordTuple = (
    String,
    String,
    String,
    u32,
    &'static str,
    Option<u16>,
    u128,
    u128,
    bool,
);

fn as_tuple(r: &TokenRequestRecord) -> RecordTuple {
    let start = r
        .started_at
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    (
        r.endpoint.clone(),
        r.client_id.clone(),
        r.key_fingerprint.clone(),
        r.attempts,
        r.outcome,
        r.status,
        start,
        start + r.duration.as_nanos(),
        r.background,
    )
}

/// Sets (or with None, removes) the callable that receives each batch of
/// records as a list of tuples, and whether the engine's forwarder thread
/// delivers it. An exception it raises is printed by
/// Python's unraisable hook and the batch dropped.
#[pyfunction]
#[pyo3(signature = (callback))]
pub(crate) fn _set_telemetry_sink(callback: Option<Py<PyAny>>) {
    let Some(callback) = callback else {
        engine::set_sink(None);
        return;
    };
    let callback = Arc::new(callback);
    engine::set_sink(Some(Arc::new(move |records: &[TokenRequestRecord]| {
        let _ = Python::try_attach(|py| {
            let batch: Vec<RecordTuple> = records.iter().map(as_tuple).collect();
            // Whether this is the engine's forwarder thread (not a thread of
            // the application): `_telemetry` does no slow first-time work
            // there, which interpreter shutdown could overtake.
            let forwarder = std::thread::current().name() == Some(engine::FORWARDER_THREAD);
            if let Err(e) = callback.bind(py).call1((batch, forwarder)) {
                e.write_unraisable(py, None);
            }
        });
    })));
}

/// Every live client's stats by client id (summed over clients of one id),
/// read when an observable instrument is collected.
#[pyfunction]
pub(crate) fn _live_stats() -> Vec<(String, Stats)> {
    engine::live_stats()
        .into_iter()
        .map(|(id, s)| (id, Stats(s)))
        .collect()
}

/// The OpenTelemetry names (core's `telemetry::names::NAMES`): scope, span,
/// the span's attributes and every metric as (name, kind, stat), so that
/// `_telemetry` holds no copy of them.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub(crate) fn _telemetry_names() -> (
    &'static str,
    &'static str,
    Vec<&'static str>,
    Vec<(&'static str, &'static str, &'static str)>,
) {
    let n = &engine::names::NAMES;
    (n.scope, n.span, n.attributes.to_vec(), n.metrics.to_vec())
}
