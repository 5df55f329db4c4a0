//! `m2m_challenge`: the HTTP answer to a failed verification (RFC 6750 §3),
//! the engine's `challenge`, so that a C server answers exactly as every
//! middleware does.

use std::ffi::c_char;

use m2m_core::challenge;

use crate::error::m2m_error;
use crate::ffi::{guard, out_arg, ref_arg, str_arg, write_out};
use crate::result::m2m_result;

/// The status and `WWW-Authenticate` header to answer a request whose
/// verification failed with `err`:
/// - `M2M_INVALID_TOKEN`: 401, `Bearer error="invalid_token",
///   error_description="<reason>"`; reason `missing` (no token sent): 401,
///   `Bearer` alone (RFC 6750 §3.1);
/// - `M2M_INSUFFICIENT_SCOPE`: 403, `Bearer error="insufficient_scope",
///   scope="<required scopes>"`;
/// - an engine error of another code (the JWKS unreachable, ...): 503 and
///   no header (`*www_authenticate_out` is NULL);
/// - an error of the C library itself (100 and up: a NULL or non-UTF-8
///   argument, a bug): 500 and no header.
///
/// `realm` (NULL for none) comes first when given: `Bearer realm="api",
/// error=...`. The header never holds the token. The header is borrowed
/// from `err` and lives until `m2m_error_free`; `realm` stays the caller's.
#[no_mangle]
pub extern "C" fn m2m_challenge(
    err: *const m2m_error,
    realm: *const c_char,
    status_out: *mut u16,
    www_authenticate_out: *mut *const c_char,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle / NUL-terminated string.
        let e = unsafe { ref_arg(err, "err") }?;
        let realm = match realm.is_null() {
            true => None,
            false => Some(unsafe { str_arg(realm, "realm") }?),
        };
        out_arg(status_out, "status_out")?;
        out_arg(www_authenticate_out, "www_authenticate_out")?;
        let Some(core) = &e.core else {
            write_out(status_out, 500);
            write_out(www_authenticate_out, std::ptr::null());
            return Ok(());
        };
        let c = challenge(core, realm);
        write_out(status_out, c.status);
        let header = c.www_authenticate.map_or(std::ptr::null(), |h| e.keep(&h));
        write_out(www_authenticate_out, header);
        Ok(())
    })
}
