//! The OpenTelemetry names every language uses (docs/design.md §12): one
//! table, exported to `tests/surface.json` (`telemetry`) so that the Python
//! and Node parity tests check their own against it.

use serde::Serialize;

/// The instrumentation scope (tracer and meter name).
pub const SCOPE: &str = "m2m_auth";

/// The span of one token request.
pub const SPAN: &str = "m2m_auth.token_request";

/// The span's attributes.
pub const ATTR_SERVER_ADDRESS: &str = "server.address";
/// The endpoint without its query.
pub const ATTR_URL: &str = "url.full";
/// The client id.
pub const ATTR_CLIENT_ID: &str = "m2m_auth.client_id";
/// The cache key's fingerprint.
pub const ATTR_KEY_FINGERPRINT: &str = "m2m_auth.key_fingerprint";
/// Requests sent.
pub const ATTR_ATTEMPT: &str = "m2m_auth.attempt";
/// `ok` or the error code.
pub const ATTR_OUTCOME: &str = "m2m_auth.outcome";
/// The last HTTP status.
pub const ATTR_STATUS: &str = "http.response.status_code";
/// Whether the request was a background refresh.
pub const ATTR_BACKGROUND: &str = "m2m_auth.background";

/// Counter: token requests, attribute `m2m_auth.outcome`.
pub const TOKEN_REQUESTS: &str = "m2m_auth.token_requests";
/// Histogram: token request duration, seconds.
pub const DURATION: &str = "m2m_auth.token_request.duration";
/// Observable counter: `stats.hits`.
pub const CACHE_HITS: &str = "m2m_auth.cache.hits";
/// Observable counter: `stats.misses`.
pub const CACHE_MISSES: &str = "m2m_auth.cache.misses";
/// Observable counter: `stats.store_errors`.
pub const STORE_ERRORS: &str = "m2m_auth.store.errors";
/// Observable counter: `stats.throttles`.
pub const THROTTLES: &str = "m2m_auth.throttles";
/// Gauge: `stats.quota_remaining` (not observed when absent).
pub const QUOTA_REMAINING: &str = "m2m_auth.quota.remaining";

/// The names, for `tests/surface.json`.
#[derive(Debug, Serialize)]
pub struct Names {
    /// [`SCOPE`].
    pub scope: &'static str,
    /// [`SPAN`].
    pub span: &'static str,
    /// The span's attributes, in this order: server address, URL, client
    /// id, key fingerprint, attempt, outcome, status, background. The
    /// bindings hand this table to Python and Node, which unpack it by
    /// position: keep the order.
    pub attributes: [&'static str; 8],
    /// Every metric: (name, kind, the stat it reads or "" for none).
    pub metrics: [(&'static str, &'static str, &'static str); 7],
}

/// Every name, in one value.
pub static NAMES: Names = Names {
    scope: SCOPE,
    span: SPAN,
    attributes: [
        ATTR_SERVER_ADDRESS,
        ATTR_URL,
        ATTR_CLIENT_ID,
        ATTR_KEY_FINGERPRINT,
        ATTR_ATTEMPT,
        ATTR_OUTCOME,
        ATTR_STATUS,
        ATTR_BACKGROUND,
    ],
    metrics: [
        (TOKEN_REQUESTS, "counter", ""),
        (DURATION, "histogram", ""),
        (CACHE_HITS, "observable_counter", "hits"),
        (CACHE_MISSES, "observable_counter", "misses"),
        (STORE_ERRORS, "observable_counter", "store_errors"),
        (THROTTLES, "observable_counter", "throttles"),
        (QUOTA_REMAINING, "gauge", "quota_remaining"),
    ],
};
