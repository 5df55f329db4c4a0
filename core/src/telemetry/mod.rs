//! Token request records for telemetry (docs/design.md §12): each token
//! request (one fetch with its attempts) ends in a [`TokenRequestRecord`],
//! delivered to a binding's [`TelemetrySink`] by the rules `logs.rs` uses for
//! log records, and (with the `opentelemetry` cargo feature) turned into an
//! OpenTelemetry span and metrics (`otel.rs`).
//!
//! Delivery: records are queued where the request ends and reach the sink
//! from a thread that holds no engine lock, at the end of the binding call
//! that caused them ([`flush`]) or from a forwarder thread about 50 ms later
//! (background refreshes). At most 10,000 wait; further ones are dropped and
//! counted ([`dropped`]). With no sink set nothing is queued.
//!
//! A record never holds a secret, token or assertion: the endpoint without
//! its query, the client id, a fingerprint of the cache key, counts, codes
//! and times.

#[cfg(feature = "opentelemetry")]
pub mod otel;
mod queue;
mod registry;

pub mod names;

use std::sync::atomic::{AtomicU16, AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use url::Url;

pub use queue::{dropped, flush, set_sink, FORWARDER_THREAD};
pub use registry::live_stats;
pub(crate) use registry::register;

/// One token request, when it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequestRecord {
    /// The token endpoint: scheme, host, port and path, no query or
    /// fragment (the issuer when discovery failed before naming one).
    pub endpoint: String,
    /// The client id.
    pub client_id: String,
    /// A short non-reversible id of the cache key (client, credentials,
    /// audience, scope...): the first 8 bytes of its SHA-256, in hex.
    pub key_fingerprint: String,
    /// Requests sent to the endpoint, a DPoP nonce retry included (0: none
    /// was sent, e.g. the shared cache answered or another process's
    /// throttle held the key).
    pub attempts: u32,
    /// `"ok"`, or the error's code (`throttled`, `http`, `oauth`,
    /// `transport`, `invalid_response`, `config`, `cache`).
    pub outcome: &'static str,
    /// The HTTP status of the last response, if one came.
    pub status: Option<u16>,
    /// When the request started.
    pub started_at: SystemTime,
    /// How long it took, attempts and backoff included.
    pub duration: Duration,
    /// Whether it was a background refresh of a still-usable token.
    pub background: bool,
}

/// Receives records in batches, on a thread holding no engine lock. A panic
/// in it is caught and its batch dropped.
pub type TelemetrySink = Arc<dyn Fn(&[TokenRequestRecord]) + Send + Sync>;

/// What the attempts of one request leave for its record: filled in by the
/// exchange, read when the fetch ends. Scoped to the fetch's future (a
/// task-local scope is entered on each poll), so whichever waiter's task
/// drives the fetch, its attempts land here.
#[derive(Default)]
pub(crate) struct Trace {
    attempts: AtomicU32,
    status: AtomicU16,
    endpoint: OnceLock<String>,
}

tokio::task_local! {
    static TRACE: Arc<Trace>;
}

impl Trace {
    /// Runs `fut` with a new trace, returning both.
    pub(crate) async fn scope<F: std::future::Future>(fut: F) -> (F::Output, Arc<Trace>) {
        let trace = Arc::new(Trace::default());
        let out = TRACE.scope(trace.clone(), fut).await;
        (out, trace)
    }

    /// An attempt is being sent to `url` (the query is dropped here).
    pub(crate) fn attempt(url: &Url) {
        let _ = TRACE.try_with(|t| {
            t.attempts.fetch_add(1, Relaxed);
            t.endpoint.get_or_init(|| without_query(url));
        });
    }

    /// A response came with `status`.
    pub(crate) fn status(status: u16) {
        let _ = TRACE.try_with(|t| t.status.store(status, Relaxed));
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.load(Relaxed)
    }

    pub(crate) fn last_status(&self) -> Option<u16> {
        Some(self.status.load(Relaxed)).filter(|s| *s != 0)
    }

    pub(crate) fn endpoint(&self) -> Option<&str> {
        self.endpoint.get().map(String::as_str)
    }
}

/// `url` without its query, fragment or user info.
pub(crate) fn without_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// The hex of the first 8 bytes of a key digest.
pub(crate) fn key_fingerprint(digest: &[u8; 32]) -> String {
    crate::mtls::hex(&digest[..8])
}

/// A request ended: the record goes to the binding's sink (queued) and, with
/// the feature, to OpenTelemetry. Called with no engine lock held.
pub(crate) fn emit(record: TokenRequestRecord) {
    #[cfg(feature = "opentelemetry")]
    otel::record(&record);
    queue::push(record);
}

impl crate::client::Inner {
    /// The endpoint to name when no request was sent: the token URL, or
    /// the issuer (discovery did not name an endpoint).
    pub(crate) fn endpoint_for_telemetry(&self) -> String {
        match &self.endpoint {
            crate::config::Endpoint::TokenUrl(u) | crate::config::Endpoint::Issuer(u) => {
                without_query(u)
            }
        }
    }
}
