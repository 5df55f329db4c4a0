//! The verifier's DPoP options (RFC 9449, docs/design.md §11 "The API
//! side"), one setter each like `verifier_option_setters.rs`: each only
//! stores its value; `m2m_verifier_new` checks them all (`M2M_CONFIG`).
//! Defaults are in brackets.

use std::ffi::c_char;

use crate::result::m2m_result;
use crate::value::CValue;
use crate::verifier_options::{m2m_verifier_options, set_verifier_option};

/// Which schemes the API takes [`"allowed"`]: `"allowed"` (Bearer tokens,
/// and DPoP-bound tokens with a proof, through
/// `m2m_verifier_verify_http_request`), `"required"` (DPoP-bound tokens
/// only) or `"off"` (Bearer only; `Authorization: DPoP` is no token).
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_dpop(
    options: *mut m2m_verifier_options,
    value: *const c_char,
) -> m2m_result {
    set_verifier_option(options, "dpop", CValue::Str(value))
}

/// Adds an algorithm a DPoP proof may be signed with [ES256 ES384 EdDSA
/// RS256 PS256; the first call replaces that default]; `none` and HS* make
/// `m2m_verifier_new` fail with `M2M_CONFIG`.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_add_dpop_algorithms(
    options: *mut m2m_verifier_options,
    value: *const c_char,
) -> m2m_result {
    set_verifier_option(options, "dpop_algorithms", CValue::Entry(value))
}

/// How old a proof's `iat` may be (plus the leeway), in milliseconds
/// [60000].
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_dpop_max_age(
    options: *mut m2m_verifier_options,
    milliseconds: u64,
) -> m2m_result {
    set_verifier_option(options, "dpop_max_age", CValue::Millis(milliseconds))
}

/// The number of recent proofs remembered to refuse a replay [100000]; the
/// oldest leave first. Per verifier: processes of one API share nothing.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_dpop_replay_cache_size(
    options: *mut m2m_verifier_options,
    value: u64,
) -> m2m_result {
    set_verifier_option(options, "dpop_replay_cache_size", CValue::Count(value))
}

/// Nonce mode [false]: a proof must carry a nonce this API gave
/// (`m2m_verifier_dpop_nonce`, and the `DPoP-Nonce` of
/// `m2m_verifier_challenge`); without one the answer is 401
/// `use_dpop_nonce`.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_dpop_nonce(
    options: *mut m2m_verifier_options,
    value: bool,
) -> m2m_result {
    set_verifier_option(options, "dpop_nonce", CValue::Flag(value))
}

/// The secret nonces are made with (at least 32 bytes) [random per
/// verifier]: give every process of one API the same. Copied; never in an
/// error or log record.
#[no_mangle]
pub extern "C" fn m2m_verifier_options_set_dpop_nonce_secret(
    options: *mut m2m_verifier_options,
    value: *const c_char,
) -> m2m_result {
    set_verifier_option(options, "dpop_nonce_secret", CValue::Str(value))
}
