//! One setter per client option of the surface's declaration
//! (`m2m_auth::surface::CLIENT_OPTIONS`, exported as `tests/surface.json`;
//! `tests/c/check_parity.py` fails if one is missing). Each is one call
//! into [`set_option`], which converts by the option's type: text, secrets
//! and PEM as `const char *`, flags as `bool`, counts as `uint64_t`,
//! durations as `uint64_t` milliseconds, fractions as `double`; lists and
//! maps take one entry per `add_<name>` call. Defaults are in brackets.
//!
//! The setters only store values (failing only on a NULL or non-UTF-8
//! argument); `m2m_client_new` checks them all.

use std::ffi::c_char;

use crate::options::{m2m_client_options, set_option};
use crate::result::m2m_result;
use crate::value::CValue;

/// The token endpoint URL, e.g. `"https://tenant.auth0.com/oauth/token"`.
/// Exactly one of token_url, domain and issuer must be set.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_token_url(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "token_url", CValue::Str(value))
}

/// An Auth0-style domain: the token endpoint is
/// `https://{domain}/oauth/token`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_domain(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "domain", CValue::Str(value))
}

/// An issuer: the token endpoint is discovered from its metadata (OpenID
/// Connect Discovery, then RFC 8414), once, on first use.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_issuer(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "issuer", CValue::Str(value))
}

/// The client id (required).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_id(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "client_id", CValue::Str(value))
}

/// The client secret (required, except for `private_key_jwt`). Copied into memory that is zeroed when
/// the options and the client are freed; it never appears in any error
/// message or log record.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_secret(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "client_secret", CValue::Str(value))
}

/// How the client authenticates: `"client_secret_post"` (the default),
/// `"client_secret_basic"`, `"client_secret_jwt"` or `"private_key_jwt"`
/// (the default when a key or assertion is set; its options are in
/// `assertion_setters.rs`). Another name fails at `m2m_client_new`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_auth_method(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "auth_method", CValue::Str(value))
}

/// The default audience (the identifier of the API the token is for).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_audience(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "audience", CValue::Str(value))
}

/// Adds default scopes: one per call, or several space-separated
/// (e.g. `"read:data write:data"`).
#[no_mangle]
pub extern "C" fn m2m_client_options_add_scope(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "scope", CValue::Entry(value))
}

/// The default Auth0 organization (id or name).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_organization(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "organization", CValue::Str(value))
}

/// Adds a default RFC 8707 resource indicator (an absolute URI).
#[no_mangle]
pub extern "C" fn m2m_client_options_add_resource(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "resource", CValue::Entry(value))
}

/// Adds a default extra form parameter sent with every token request.
#[no_mangle]
pub extern "C" fn m2m_client_options_add_extra(
    options: *mut m2m_client_options,
    name: *const c_char,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "extra", CValue::Pair(name, value))
}

/// Deadline of one token request, retries included [30000 ms]; 0 fails at
/// `m2m_client_new`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_timeout(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "timeout", CValue::Millis(milliseconds))
}

/// Deadline of one connection attempt [10000 ms]; 0 fails at
/// `m2m_client_new`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_connect_timeout(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "connect_timeout", CValue::Millis(milliseconds))
}

/// Largest token response body read, in bytes [1048576; at least 1024].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_max_response_bytes(
    options: *mut m2m_client_options,
    value: u64,
) -> m2m_result {
    set_option(options, "max_response_bytes", CValue::Count(value))
}

/// Trusts the PEM certificates in `value` (one or more) in addition to
/// the OS trust store. Each call adds to the earlier ones.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_ca_certs(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "ca_certs", CValue::Str(value))
}

/// Sends https requests to non-loopback hosts through this proxy URL
/// instead of the one the environment names (`HTTPS_PROXY`, `ALL_PROXY`,
/// `NO_PROXY`); `http://` and loopback targets never use a proxy.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_proxy(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "proxy", CValue::Str(value))
}

/// `true`: uses no proxy, whatever the environment says [false].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_no_proxy(
    options: *mut m2m_client_options,
    value: bool,
) -> m2m_result {
    set_option(options, "no_proxy", CValue::Flag(value))
}

/// A token is usable until its expiry minus this leeway [60000 ms; never
/// more than half the token's lifetime].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_leeway(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "leeway", CValue::Millis(milliseconds))
}

/// The fraction of a token's lifetime after which it is refreshed in the
/// background [0.75]; must be in (0, 1].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_refresh_ratio(
    options: *mut m2m_client_options,
    value: f64,
) -> m2m_result {
    set_option(options, "refresh_ratio", CValue::Fraction(value))
}

/// Spreads a fleet's refreshes: up to this fraction of a token's lifetime,
/// at random per token, is taken off its refresh point [0]; must be in
/// [0, 1].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_refresh_jitter(
    options: *mut m2m_client_options,
    value: f64,
) -> m2m_result {
    set_option(options, "refresh_jitter", CValue::Fraction(value))
}

/// Lifetime assumed when a token response has no `expires_in`
/// [600000 ms].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_default_expires_in(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "default_expires_in", CValue::Millis(milliseconds))
}

/// Attempts per token request, the first included [3]; 0 fails at
/// `m2m_client_new`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_max_attempts(
    options: *mut m2m_client_options,
    value: u64,
) -> m2m_result {
    set_option(options, "max_attempts", CValue::Count(value))
}

/// Backoff before the second attempt, doubled for each later one
/// [1000 ms].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_retry_base_delay(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "retry_base_delay", CValue::Millis(milliseconds))
}

/// Longest backoff between two attempts [30000 ms].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_retry_max_delay(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "retry_max_delay", CValue::Millis(milliseconds))
}

/// Random spread of each backoff, as a fraction of it [0.1].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_retry_jitter(
    options: *mut m2m_client_options,
    value: f64,
) -> m2m_result {
    set_option(options, "retry_jitter", CValue::Fraction(value))
}

/// How long a key is throttled after a 429/5xx without `Retry-After`
/// once the attempts are spent [5000 ms].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_default_throttle(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "default_throttle", CValue::Millis(milliseconds))
}

/// Cap on any `Retry-After` the server asks for [3600000 ms].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_max_retry_after(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "max_retry_after", CValue::Millis(milliseconds))
}

/// The token cache: `"memory"` (the default, process-wide), or a shared
/// store spelled as in every language (`"file:/dir"`,
/// `"redis://host:port/db"`, `"redis+cluster://h1:p1,h2:p2"`,
/// `"redis+sentinel://h1:p1,h2:p2/master-name"`, `"rediss..."`). One this
/// engine does not
/// support fails at `m2m_client_new` with `M2M_CONFIG`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_cache(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "cache", CValue::Str(value))
}

/// With a shared cache: `true` fails with `M2M_CACHE` when the store is
/// unreachable instead of going on with the in-process cache [false].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_cache_strict(
    options: *mut m2m_client_options,
    value: bool,
) -> m2m_result {
    set_option(options, "cache_strict", CValue::Flag(value))
}

/// With a shared cache: how long a key's fetch lease outlives a holder
/// that died (a live holder renews it while its request runs) [10000 ms].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_lease_ttl(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "lease_ttl", CValue::Millis(milliseconds))
}

/// With a shared cache: deadline of one store operation [500 ms].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_store_timeout(
    options: *mut m2m_client_options,
    milliseconds: u64,
) -> m2m_result {
    set_option(options, "store_timeout", CValue::Millis(milliseconds))
}

/// Bound of the in-memory cache, in keys [10000]; a client with another
/// bound gets a cache of its own.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_max_cache_keys(
    options: *mut m2m_client_options,
    value: u64,
) -> m2m_result {
    set_option(options, "max_cache_keys", CValue::Count(value))
}
