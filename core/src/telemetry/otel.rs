//! The `opentelemetry` cargo feature: token requests as spans and metrics
//! through the OpenTelemetry API's global providers (docs/design.md §12).
//! The library brings no SDK: without one installed by the application,
//! every call here is a no-op of the API.
//!
//! The instruments are made once per process, from the global meter
//! provider of the moment the first client is built (install the
//! application's provider before building clients). Cache, store, throttle
//! and quota figures are observable instruments read from each live
//! client's stats when the SDK collects, so the cached path does nothing
//! more.

use std::sync::OnceLock;

use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::trace::{Span, SpanKind, Status, Tracer};
use opentelemetry::{global, KeyValue};
use url::Url;

use super::names::*;
use super::TokenRequestRecord;
use crate::stats::Stats;

struct Instruments {
    requests: Counter<u64>,
    duration: Histogram<f64>,
}

static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();

/// Reads one stat of every live client, by client id.
fn observe(stat: fn(&Stats) -> Option<u64>) -> Vec<(u64, [KeyValue; 1])> {
    super::live_stats()
        .into_iter()
        .filter_map(|(id, s)| Some((stat(&s)?, [KeyValue::new(ATTR_CLIENT_ID, id)])))
        .collect()
}

fn observable_counter(
    meter: &Meter,
    name: &'static str,
    doc: &'static str,
    stat: fn(&Stats) -> Option<u64>,
) {
    meter
        .u64_observable_counter(name)
        .with_description(doc)
        .with_callback(move |o| {
            for (v, attrs) in observe(stat) {
                o.observe(v, &attrs);
            }
        })
        .build();
}

fn instruments() -> &'static Instruments {
    INSTRUMENTS.get_or_init(|| {
        let meter = global::meter(SCOPE);
        observable_counter(&meter, CACHE_HITS, "Calls answered from the cache.", |s| {
            Some(s.hits)
        });
        observable_counter(
            &meter,
            CACHE_MISSES,
            "Calls that waited for a token request.",
            |s| Some(s.misses),
        );
        observable_counter(
            &meter,
            STORE_ERRORS,
            "Shared cache operations that failed.",
            |s| Some(s.store_errors),
        );
        observable_counter(&meter, THROTTLES, "Calls refused as throttled.", |s| {
            Some(s.throttles)
        });
        meter
            .u64_observable_gauge(QUOTA_REMAINING)
            .with_description("The lowest remaining token quota.")
            .with_callback(|o| {
                for (v, attrs) in observe(|s| s.quota_remaining) {
                    o.observe(v, &attrs);
                }
            })
            .build();
        Instruments {
            requests: meter
                .u64_counter(TOKEN_REQUESTS)
                .with_description("Token requests, by outcome.")
                .build(),
            duration: meter
                .f64_histogram(DURATION)
                .with_unit("s")
                .with_description("Token request duration, attempts and backoff included.")
                .build(),
        }
    })
}

/// A client was built: the instruments are made now if not yet (from the
/// global meter provider of this moment).
pub(crate) fn init() {
    instruments();
}

/// A token request ended: its span, and its count and duration.
pub(crate) fn record(r: &TokenRequestRecord) {
    let m = instruments();
    let outcome = [KeyValue::new(ATTR_OUTCOME, r.outcome)];
    m.requests.add(1, &outcome);
    m.duration.record(r.duration.as_secs_f64(), &outcome);

    let tracer = global::tracer(SCOPE);
    let mut attributes = vec![
        KeyValue::new(ATTR_URL, r.endpoint.clone()),
        KeyValue::new(ATTR_CLIENT_ID, r.client_id.clone()),
        KeyValue::new(ATTR_KEY_FINGERPRINT, r.key_fingerprint.clone()),
        KeyValue::new(ATTR_ATTEMPT, i64::from(r.attempts)),
        KeyValue::new(ATTR_OUTCOME, r.outcome),
        KeyValue::new(ATTR_BACKGROUND, r.background),
    ];
    if let Some(host) = Url::parse(&r.endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
    {
        attributes.push(KeyValue::new(ATTR_SERVER_ADDRESS, host));
    }
    if let Some(status) = r.status {
        attributes.push(KeyValue::new(ATTR_STATUS, i64::from(status)));
    }
    let mut span = tracer
        .span_builder(SPAN)
        .with_kind(SpanKind::Client)
        .with_start_time(r.started_at)
        .with_attributes(attributes)
        .start(&tracer);
    if r.outcome != "ok" {
        span.set_status(Status::error(r.outcome));
    }
    span.end_with_timestamp(r.started_at + r.duration);
}
