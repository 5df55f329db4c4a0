//! `m2m_verifier`: verifies RFC 9068 access tokens (docs/design.md §10:
//! every rule is the engine's). A verification that needs no I/O (keys
//! held, or a verified-token cache hit) runs on the calling thread without
//! the runtime; one that must fetch the JWKS blocks on the engine's runtime.

use std::borrow::Cow;
use std::ffi::{c_char, CStr};

use m2m_core::{Claims, Verifier, VerifierStats};

use crate::claims::m2m_claims;
use crate::error::m2m_error;
use crate::ffi::{guard, guard_value, guard_void, out_arg, ref_arg, str_arg, write_out};
use crate::result::{m2m_result, Failure};
use crate::runtime::block_on;
use crate::verifier_options::m2m_verifier_options;

/// A token verifier. Thread-safe: share one handle between threads (its
/// JWKS and verified-token cache are shared by every call). Free with
/// `m2m_verifier_free` once no call is using it; claims it returned stay
/// valid.
pub struct m2m_verifier {
    pub(crate) verifier: Verifier,
}

/// Builds a verifier from `options` (which stay the caller's). Every option
/// is checked before any I/O: a bad or missing one (no issuer, no audience,
/// `none` or HS* among the algorithms, a JWKS that does not parse, more
/// than one key source, a jwks_uri breaking the https rule) fails with
/// `M2M_CONFIG`. Nothing is fetched yet. Free the verifier with
/// `m2m_verifier_free`.
#[no_mangle]
pub extern "C" fn m2m_verifier_new(
    options: *const m2m_verifier_options,
    verifier_out: *mut *mut m2m_verifier,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle.
        let o = unsafe { ref_arg(options, "options") }?;
        out_arg(verifier_out, "verifier_out")?;
        let verifier = o.builder().build()?;
        write_out(
            verifier_out,
            Box::into_raw(Box::new(m2m_verifier { verifier })),
        );
        Ok(())
    })
}

/// Frees a verifier. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_verifier_free(verifier: *mut m2m_verifier) {
    guard_void(|| {
        if !verifier.is_null() {
            // SAFETY: a handle from `m2m_verifier_new`, freed once.
            drop(unsafe { Box::from_raw(verifier) });
        }
    })
}

/// Untrusted text from the network (a token, an `Authorization` header):
/// bytes that are not UTF-8 are replaced (U+FFFD), so the engine judges
/// them as any other malformed token (`M2M_INVALID_TOKEN`, reason
/// `malformed`) and the API answers 401, not a C-level error.
///
/// # Safety
/// `p` is non-NULL and points to a NUL-terminated string.
pub(crate) unsafe fn untrusted<'a>(p: *const c_char) -> Cow<'a, str> {
    // SAFETY: per this function's contract.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    // The validating check first: it runs word by word, where the lossy
    // walk goes byte by byte (half the time of a cached verification).
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Runs one verification: at once when no I/O is needed, else on the
/// engine's runtime.
pub(crate) fn run(
    v: &Verifier,
    now: impl FnOnce(&Verifier) -> Option<m2m_core::Result<Claims>>,
    later: impl std::future::Future<Output = m2m_core::Result<Claims>>,
) -> Result<Claims, Failure> {
    match now(v) {
        Some(r) => Ok(r?),
        None => Ok(block_on(later)??),
    }
}

/// Verifies `token`, a bare access token (the compact JWS, without
/// `Bearer `), by every rule of the contract: size first, then the
/// algorithm allowlist, `crit`, `typ`, the key from the JWKS (fetched,
/// or discovered from the issuer, on first use; refetched on an unknown
/// `kid` at most once per `jwks_refetch_interval`), the signature, then the
/// claims (`iss`, `aud`, `exp`, `nbf`, `iat`). On success writes new claims
/// to `*claims_out` (free them with `m2m_claims_free`). A token that fails
/// returns `M2M_INVALID_TOKEN` with the reason code in
/// `m2m_error_reason(err)`; a JWKS that cannot be fetched returns its
/// transport, http or invalid_response error. A token that is not UTF-8 is
/// `M2M_INVALID_TOKEN` (`malformed`). Without I/O (keys held, or a token
/// verified before and still in the cache) the call neither blocks nor
/// waits. `token` stays the caller's; it never appears in an error.
#[no_mangle]
pub extern "C" fn m2m_verifier_verify(
    verifier: *const m2m_verifier,
    token: *const c_char,
    claims_out: *mut *mut m2m_claims,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle.
        let v = unsafe { ref_arg(verifier, "verifier") }?;
        if token.is_null() {
            return Err(Failure::null("token"));
        }
        out_arg(claims_out, "claims_out")?;
        // SAFETY: non-NULL, NUL-terminated per the caller's contract.
        let token = unsafe { untrusted(token) };
        let v = &v.verifier;
        let claims = run(v, |v| v.verify_now(&token), v.verify(&token))?;
        write_out(claims_out, m2m_claims::boxed(claims));
        Ok(())
    })
}

/// Verifies a request's `Authorization` header as it arrived
/// (`"Bearer <token>"`, the scheme in any case), then requires every scope
/// of `scopes` (space-separated; NULL or `""` for none). `authorization` is
/// NULL when the request had no such header. No header, another scheme or
/// an empty token return `M2M_INVALID_TOKEN` with reason `missing`; an
/// invalid token as `m2m_verifier_verify`; a valid token lacking a scope
/// `M2M_INSUFFICIENT_SCOPE` with every required scope in
/// `m2m_error_required_scope(err)`. Pass the error to `m2m_challenge` for
/// the HTTP status and `WWW-Authenticate` header to answer. On success
/// writes new claims to `*claims_out` (free them with `m2m_claims_free`).
/// The strings stay the caller's.
#[no_mangle]
pub extern "C" fn m2m_verifier_verify_request(
    verifier: *const m2m_verifier,
    authorization: *const c_char,
    scopes: *const c_char,
    claims_out: *mut *mut m2m_claims,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle / NUL-terminated strings.
        let v = unsafe { ref_arg(verifier, "verifier") }?;
        let scopes = match scopes.is_null() {
            true => "",
            false => unsafe { str_arg(scopes, "scopes") }?,
        };
        out_arg(claims_out, "claims_out")?;
        let header = match authorization.is_null() {
            true => None,
            // SAFETY: non-NULL, NUL-terminated per the caller's contract.
            false => Some(unsafe { untrusted(authorization) }),
        };
        let header = header.as_deref();
        let scopes: Vec<&str> = scopes.split(' ').filter(|s| !s.is_empty()).collect();
        let v = &v.verifier;
        let claims = run(
            v,
            |v| v.verify_request_now(header, &scopes),
            v.verify_request(header, &scopes),
        )?;
        write_out(claims_out, m2m_claims::boxed(claims));
        Ok(())
    })
}

/// A snapshot of a verifier's counters, from `m2m_verifier_stats`; read
/// with the `m2m_verifier_counters_<name>` getters, free with
/// `m2m_verifier_counters_free`. Immutable.
pub struct m2m_verifier_counters {
    stats: VerifierStats,
}

/// Takes a snapshot of `verifier`'s counters (free it with
/// `m2m_verifier_counters_free`).
#[no_mangle]
pub extern "C" fn m2m_verifier_stats(
    verifier: *const m2m_verifier,
    counters_out: *mut *mut m2m_verifier_counters,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let v = unsafe { ref_arg(verifier, "verifier") }?;
        out_arg(counters_out, "counters_out")?;
        let stats = v.verifier.stats();
        write_out(
            counters_out,
            Box::into_raw(Box::new(m2m_verifier_counters { stats })),
        );
        Ok(())
    })
}

/// A counter of `counters`; 0 for NULL.
fn counter(counters: *const m2m_verifier_counters, f: fn(&VerifierStats) -> u64) -> u64 {
    guard_value(0, || {
        // SAFETY: NULL or a live handle.
        unsafe { counters.as_ref() }.map_or(0, |c| f(&c.stats))
    })
}

/// Tokens that verified (cache hits included).
#[no_mangle]
pub extern "C" fn m2m_verifier_counters_verified(counters: *const m2m_verifier_counters) -> u64 {
    counter(counters, |s| s.verified)
}

/// Of those, answered from the verified-token cache.
#[no_mangle]
pub extern "C" fn m2m_verifier_counters_cache_hits(counters: *const m2m_verifier_counters) -> u64 {
    counter(counters, |s| s.cache_hits)
}

/// JWKS requests made.
#[no_mangle]
pub extern "C" fn m2m_verifier_counters_jwks_fetches(
    counters: *const m2m_verifier_counters,
) -> u64 {
    counter(counters, |s| s.jwks_fetches)
}

/// Verifications that failed.
#[no_mangle]
pub extern "C" fn m2m_verifier_counters_failures(counters: *const m2m_verifier_counters) -> u64 {
    counter(counters, |s| s.failures)
}

/// Frees a counters snapshot. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_verifier_counters_free(counters: *mut m2m_verifier_counters) {
    guard_void(|| {
        if !counters.is_null() {
            // SAFETY: a handle from `m2m_verifier_stats`, freed once.
            drop(unsafe { Box::from_raw(counters) });
        }
    })
}
