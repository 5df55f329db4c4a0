//! `m2m_claims`: the claims of a verified token (docs/design.md §10). One
//! getter per field of the surface's declaration
//! (`m2m_auth::surface::CLAIMS_FIELDS`), plus every claim as JSON.
//!
//! A verification on the hot path (a verified-token cache hit) must not
//! build C strings it may never hand out: the handle holds the engine's
//! claims (a reference count) and makes each C string on first use.

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use m2m_core::Claims;

use crate::error::text;
use crate::ffi::{guard_value, guard_void};

/// The claims of a verified token, from `m2m_verifier_verify` or
/// `m2m_verifier_verify_request`. Read with the `m2m_claims_*` getters;
/// every string a getter returns is borrowed from the claims and lives until
/// `m2m_claims_free`. Thread-safe and immutable; independent of the verifier
/// (it may be freed first).
pub struct m2m_claims {
    claims: Claims,
    issuer: OnceLock<CString>,
    subject: OnceLock<Option<CString>>,
    client_id: OnceLock<Option<CString>>,
    jwt_id: OnceLock<Option<CString>>,
    audience: OnceLock<Vec<CString>>,
    scopes: OnceLock<Vec<CString>>,
    json: OnceLock<CString>,
}

impl m2m_claims {
    /// A new handle for `claims`, owned by the caller.
    pub(crate) fn boxed(claims: Claims) -> *mut m2m_claims {
        Box::into_raw(Box::new(m2m_claims {
            claims,
            issuer: OnceLock::new(),
            subject: OnceLock::new(),
            client_id: OnceLock::new(),
            jwt_id: OnceLock::new(),
            audience: OnceLock::new(),
            scopes: OnceLock::new(),
            json: OnceLock::new(),
        }))
    }
}

/// A C string of a claim's text. A NUL byte (JSON allows `\u0000`) becomes
/// U+FFFD; `m2m_claims_json` has the exact value.
fn c_text(s: &str) -> CString {
    text(s)
}

/// `f` of the claims; `fallback` for NULL.
fn read<T: Copy>(claims: *const m2m_claims, fallback: T, f: impl FnOnce(&m2m_claims) -> T) -> T {
    guard_value(fallback, || {
        // SAFETY: NULL or a live handle.
        match unsafe { claims.as_ref() } {
            Some(c) => f(c),
            None => fallback,
        }
    })
}

/// An optional text claim, made once.
fn optional(
    claims: *const m2m_claims,
    cell: impl FnOnce(&m2m_claims) -> (&OnceLock<Option<CString>>, Option<&str>),
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live handle.
        let Some(c) = (unsafe { claims.as_ref() }) else {
            return std::ptr::null();
        };
        let (cell, value) = cell(c);
        cell.get_or_init(|| value.map(c_text))
            .as_ref()
            .map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// Entry `index` of a list claim, made once; NULL past the end.
fn entry(
    claims: *const m2m_claims,
    index: usize,
    cell: impl FnOnce(&m2m_claims) -> (&OnceLock<Vec<CString>>, &[String]),
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live handle.
        let Some(c) = (unsafe { claims.as_ref() }) else {
            return std::ptr::null();
        };
        let (cell, values) = cell(c);
        cell.get_or_init(|| values.iter().map(|s| c_text(s)).collect())
            .get(index)
            .map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// Milliseconds since the Unix epoch; 0 for None (and for the epoch
/// itself, which no token in use carries).
fn epoch_ms(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `iss`: the issuer (equal to the configured one). Never NULL for a
/// claims handle; NULL when `claims` is NULL. Borrowed from `claims`.
#[no_mangle]
pub extern "C" fn m2m_claims_issuer(claims: *const m2m_claims) -> *const c_char {
    read(claims, std::ptr::null(), |c| {
        c.issuer.get_or_init(|| c_text(c.claims.issuer())).as_ptr()
    })
}

/// `sub`, or NULL when the token has none. Borrowed from `claims`.
#[no_mangle]
pub extern "C" fn m2m_claims_subject(claims: *const m2m_claims) -> *const c_char {
    optional(claims, |c| (&c.subject, c.claims.subject()))
}

/// `client_id`, or NULL when the token has none. Borrowed from `claims`.
#[no_mangle]
pub extern "C" fn m2m_claims_client_id(claims: *const m2m_claims) -> *const c_char {
    optional(claims, |c| (&c.client_id, c.claims.client_id()))
}

/// `jti`, or NULL when the token has none. Borrowed from `claims`.
#[no_mangle]
pub extern "C" fn m2m_claims_jwt_id(claims: *const m2m_claims) -> *const c_char {
    optional(claims, |c| (&c.jwt_id, c.claims.jwt_id()))
}

/// How many audiences `aud` names (a string `aud` is one); 0 for NULL.
#[no_mangle]
pub extern "C" fn m2m_claims_audience_count(claims: *const m2m_claims) -> usize {
    read(claims, 0, |c| c.claims.audience().len())
}

/// Audience `index` (from 0) of `aud`; NULL when `index` is not below
/// `m2m_claims_audience_count`. Borrowed from `claims`.
#[no_mangle]
pub extern "C" fn m2m_claims_audience(claims: *const m2m_claims, index: usize) -> *const c_char {
    entry(claims, index, |c| (&c.audience, c.claims.audience()))
}

/// How many scopes the token grants (`scope` split on spaces, or the `scp`
/// array); 0 for NULL.
#[no_mangle]
pub extern "C" fn m2m_claims_scopes_count(claims: *const m2m_claims) -> usize {
    read(claims, 0, |c| c.claims.scopes().len())
}

/// Scope `index` (from 0); NULL when `index` is not below
/// `m2m_claims_scopes_count`. Borrowed from `claims`.
#[no_mangle]
pub extern "C" fn m2m_claims_scopes(claims: *const m2m_claims, index: usize) -> *const c_char {
    entry(claims, index, |c| (&c.scopes, c.claims.scopes()))
}

/// Whether the token grants `scope` (one scope, compared exactly). False
/// when either argument is NULL or `scope` is not UTF-8. `scope` stays the
/// caller's.
#[no_mangle]
pub extern "C" fn m2m_claims_has_scope(claims: *const m2m_claims, scope: *const c_char) -> bool {
    read(claims, false, |c| {
        if scope.is_null() {
            return false;
        }
        // SAFETY: non-NULL; the caller passes a NUL-terminated string.
        match unsafe { CStr::from_ptr(scope) }.to_str() {
            Ok(s) => c.claims.has_scope(s),
            Err(_) => false,
        }
    })
}

/// `exp`: when the token expires, in milliseconds since the Unix epoch; 0
/// for NULL.
#[no_mangle]
pub extern "C" fn m2m_claims_expires_at(claims: *const m2m_claims) -> i64 {
    read(claims, 0, |c| epoch_ms(Some(c.claims.expires_at())))
}

/// `iat`: when the token was issued, in milliseconds since the Unix epoch;
/// 0 when the token has none (or for NULL).
#[no_mangle]
pub extern "C" fn m2m_claims_issued_at(claims: *const m2m_claims) -> i64 {
    read(claims, 0, |c| epoch_ms(c.claims.issued_at()))
}

/// `nbf`: when the token becomes valid, in milliseconds since the Unix
/// epoch; 0 when the token has none (or for NULL).
#[no_mangle]
pub extern "C" fn m2m_claims_not_before(claims: *const m2m_claims) -> i64 {
    read(claims, 0, |c| epoch_ms(c.claims.not_before()))
}

/// Every claim of the token as one JSON object (e.g.
/// `{"iss":"...","sub":"...",...}`), for claims without a getter (`gty`,
/// `org_id`, your own). Borrowed from `claims`; NULL when `claims` is NULL.
#[no_mangle]
pub extern "C" fn m2m_claims_json(claims: *const m2m_claims) -> *const c_char {
    read(claims, std::ptr::null(), |c| {
        // JSON text escapes NUL, so the conversion cannot fail.
        c.json
            .get_or_init(|| CString::new(c.claims.to_json()).unwrap_or_default())
            .as_ptr()
    })
}

/// Frees claims and every string borrowed from them. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_claims_free(claims: *mut m2m_claims) {
    guard_void(|| {
        if !claims.is_null() {
            // SAFETY: a handle from `m2m_claims::boxed`, freed once.
            drop(unsafe { Box::from_raw(claims) });
        }
    })
}
