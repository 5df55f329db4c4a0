//! One setter per verifier option of the surface's declaration
//! (`m2m_auth::surface::VERIFIER_OPTIONS`, exported as `tests/surface.json`
//! under `verifier_options`; `tests/c/check_parity.py` fails if one is
//! missing). Each is one call into [`set_verifier_option`], which converts
//! by the option's type as the client's setters do: text and PEM as
//! `const char *`, flags as `bool`, counts as `uint64_t`, durations as
//! `uint64_t` milliseconds; lists take one entry per `add_<name>` call.
//! Defaults are in brackets. Every string is copied: it stays the
//! caller's.
//!
//! The setters only store values (failing only on a NULL or non-UTF-8
//! argument); `m2m_verifier_new` checks them all.

use std::ffi::c_char;

use crate::result::m2m_result;
use crate::value::CValue;
use crate::verifier_options::{m2m_verifier_options, set_verifier_option};

/// The issuer (required): a token's `iss` must equal it exactly (no
/// trailing-slash or prefix match). When neither jwks_uri nor jwks is set,
/// its metadata (OpenID Connect Discovery, then RFC 8414) names the
/// jwks_uri, fetched once, on first use.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_issuer(
    options: *mut m2m_verifier_options,
    value: *const c_char,
) -> m2m_result {
    set_verifier_option(options, "issuer", CValue::Str(value))
}

/// The JWKS URL (https, or http to a loopback host), e.g.
/// `"https://tenant.auth0.com/.well-known/jwks.json"`.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_jwks_uri(
    options: *mut m2m_verifier_options,
    value: *const c_char,
) -> m2m_result {
    set_verifier_option(options, "jwks_uri", CValue::Str(value))
}

/// A static JWKS (its JSON text, `{"keys": [...]}`) instead of fetching
/// one: nothing is fetched.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_jwks(
    options: *mut m2m_verifier_options,
    value: *const c_char,
) -> m2m_result {
    set_verifier_option(options, "jwks", CValue::Str(value))
}

/// Adds an accepted audience (at least one is required): a token's `aud`
/// must name one of them. A value may hold several, space-separated.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_add_audience(
    options: *mut m2m_verifier_options,
    value: *const c_char,
) -> m2m_result {
    set_verifier_option(options, "audience", CValue::Entry(value))
}

/// Adds an allowed algorithm [RS256 PS256 ES256 EdDSA; the first call
/// replaces that default]. Also RS384, RS512, PS384, PS512, ES384; `none`
/// and HS* make `m2m_verifier_new` fail with `M2M_CONFIG`.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_add_algorithms(
    options: *mut m2m_verifier_options,
    value: *const c_char,
) -> m2m_result {
    set_verifier_option(options, "algorithms", CValue::Entry(value))
}

/// Clock leeway for `exp`, `nbf` and `iat`, in milliseconds [30000].
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_leeway(
    options: *mut m2m_verifier_options,
    milliseconds: u64,
) -> m2m_result {
    set_verifier_option(options, "leeway", CValue::Millis(milliseconds))
}

/// Whether `typ` must be `at+jwt` (RFC 9068) [true]; false also accepts
/// `JWT` or no `typ` (for servers such as Auth0 that send `JWT`).
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_strict_typ(
    options: *mut m2m_verifier_options,
    value: bool,
) -> m2m_result {
    set_verifier_option(options, "strict_typ", CValue::Flag(value))
}

/// The longest token accepted, in bytes, checked before any parsing
/// [16384].
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_max_token_bytes(
    options: *mut m2m_verifier_options,
    value: u64,
) -> m2m_result {
    set_verifier_option(options, "max_token_bytes", CValue::Count(value))
}

/// How long fetched keys are used, in milliseconds [300000]; a shorter
/// `Cache-Control: max-age` from the JWKS server wins.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_jwks_cache_ttl(
    options: *mut m2m_verifier_options,
    milliseconds: u64,
) -> m2m_result {
    set_verifier_option(options, "jwks_cache_ttl", CValue::Millis(milliseconds))
}

/// The least time between two JWKS refetches caused by an unknown `kid`,
/// in milliseconds [60000].
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_jwks_refetch_interval(
    options: *mut m2m_verifier_options,
    milliseconds: u64,
) -> m2m_result {
    set_verifier_option(
        options,
        "jwks_refetch_interval",
        CValue::Millis(milliseconds),
    )
}

/// The deadline of one JWKS or discovery fetch, in milliseconds [10000].
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_timeout(
    options: *mut m2m_verifier_options,
    milliseconds: u64,
) -> m2m_result {
    set_verifier_option(options, "timeout", CValue::Millis(milliseconds))
}

/// PEM certificates trusted for JWKS and discovery fetches in addition to
/// the OS trust store. Each call adds.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_ca_certs(
    options: *mut m2m_verifier_options,
    value: *const c_char,
) -> m2m_result {
    set_verifier_option(options, "ca_certs", CValue::Str(value))
}

/// The number of verified tokens remembered [10000]; 0 disables the cache.
/// A cached token is still checked against the clock (`exp`, `nbf`) on
/// every call.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_cache_size(
    options: *mut m2m_verifier_options,
    value: u64,
) -> m2m_result {
    set_verifier_option(options, "cache_size", CValue::Count(value))
}
