//! The verifier's DPoP side (RFC 9449, docs/design.md §11 "The API side"):
//! `m2m_verifier_verify_http_request` (a request as it arrived, `Bearer` or
//! `DPoP`), `m2m_verifier_challenge` (the answer to a refusal, with the
//! `DPoP-Nonce`) and `m2m_verifier_dpop_nonce`. Every rule (schemes,
//! proofs, replays, nonces, the challenge's text) is the engine's; this
//! file converts between C and Rust.

use std::ffi::{c_char, CString};

use m2m_core::HttpRequest;

use crate::claims::m2m_claims;
use crate::error::m2m_error;
use crate::ffi::{guard, guard_void, out_arg, ref_arg, str_arg, write_out};
use crate::result::{m2m_result, Failure};
use crate::verifier::{m2m_verifier, run, untrusted};

/// Verifies an HTTP request as the API received it: `method` (e.g.
/// `"GET"`), `url` (the absolute URL the client addressed, e.g.
/// `"https://api.example.com/orders?id=1"`: behind a proxy, the public one),
/// its `Authorization` header and its `DPoP` header (NULL when absent;
/// several `DPoP` headers joined with `", "`, which is refused), then
/// requires every scope of `scopes` (space-separated; NULL or `""` for
/// none). `Authorization: Bearer <token>` verifies as
/// `m2m_verifier_verify_request` does; `Authorization: DPoP <token>` (unless
/// the `dpop` option is `"off"`) needs a token bound to a key (`cnf.jkt`)
/// and one proof of this request signed by that key, recent, never used
/// before and, in nonce mode, carrying this API's nonce. A refusal is
/// `M2M_INVALID_TOKEN` with the reason in `m2m_error_reason(err)`
/// (`dpop_proof`, `dpop_replay`, `dpop_nonce`, `dpop_bound` among them) or
/// `M2M_INSUFFICIENT_SCOPE`: pass the error to `m2m_verifier_challenge` for
/// the answer. On success writes new claims to `*claims_out` (free them
/// with `m2m_claims_free`). The request's strings may hold any bytes (not
/// UTF-8: judged as malformed, a 401); `scopes` must be UTF-8. The strings
/// stay the caller's; no token or proof appears in an error.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn m2m_verifier_verify_http_request(
    verifier: *const m2m_verifier,
    method: *const c_char,
    url: *const c_char,
    authorization: *const c_char,
    dpop: *const c_char,
    scopes: *const c_char,
    claims_out: *mut *mut m2m_claims,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle / NUL-terminated strings.
        let v = unsafe { ref_arg(verifier, "verifier") }?;
        if method.is_null() {
            return Err(Failure::null("method"));
        }
        if url.is_null() {
            return Err(Failure::null("url"));
        }
        let scopes = match scopes.is_null() {
            true => "",
            false => unsafe { str_arg(scopes, "scopes") }?,
        };
        out_arg(claims_out, "claims_out")?;
        // SAFETY (every `untrusted`): non-NULL, NUL-terminated per the
        // caller's contract.
        let method = unsafe { untrusted(method) };
        let url = unsafe { untrusted(url) };
        let authorization = (!authorization.is_null()).then(|| unsafe { untrusted(authorization) });
        let dpop = (!dpop.is_null()).then(|| unsafe { untrusted(dpop) });
        let request = HttpRequest {
            method: &method,
            url: &url,
            authorization: authorization.as_deref(),
            dpop: dpop.as_deref(),
        };
        let scopes: Vec<&str> = scopes.split(' ').filter(|s| !s.is_empty()).collect();
        let v = &v.verifier;
        let claims = run(
            v,
            |v| v.verify_http_request_now(&request, &scopes),
            v.verify_http_request(&request, &scopes),
        )?;
        write_out(claims_out, m2m_claims::boxed(claims));
        Ok(())
    })
}

/// The answer to a request whose verification by `verifier` failed with
/// `err`, as `m2m_challenge` gives it plus what DPoP adds: `authorization`
/// is the request's `Authorization` header (NULL when absent), which
/// decides the scheme. A refused proof (`dpop_proof`, `dpop_replay`): 401
/// `DPoP error="invalid_dpop_proof"`; no nonce or a stale one
/// (`dpop_nonce`): 401 `DPoP error="use_dpop_nonce"`; any other refusal of
/// a `DPoP` request (or by a verifier with `dpop` `"required"`): the
/// errors of `m2m_challenge` under the `DPoP` scheme; every `DPoP`
/// challenge ends with `algs="..."`. No token: 401 offering every scheme
/// taken (`Bearer, DPoP algs="..."` with `dpop` `"allowed"`). Another
/// engine error: 503, no header; an error of the C library itself (100 and
/// up): 500, no header.
///
/// `*dpop_nonce_out` is the `DPoP-Nonce` header to send with the answer:
/// set in nonce mode on a 401, NULL otherwise. The header values are
/// borrowed from `err` and live until `m2m_error_free`; `realm` (NULL for
/// none; first in the header when given) and `authorization` stay the
/// caller's. No header holds the token.
#[no_mangle]
pub extern "C" fn m2m_verifier_challenge(
    verifier: *const m2m_verifier,
    err: *const m2m_error,
    authorization: *const c_char,
    realm: *const c_char,
    status_out: *mut u16,
    www_authenticate_out: *mut *const c_char,
    dpop_nonce_out: *mut *const c_char,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live handles / NUL-terminated strings.
        let v = unsafe { ref_arg(verifier, "verifier") }?;
        let e = unsafe { ref_arg(err, "err") }?;
        let realm = match realm.is_null() {
            true => None,
            false => Some(unsafe { str_arg(realm, "realm") }?),
        };
        out_arg(status_out, "status_out")?;
        out_arg(www_authenticate_out, "www_authenticate_out")?;
        out_arg(dpop_nonce_out, "dpop_nonce_out")?;
        let Some(core) = &e.core else {
            write_out(status_out, 500);
            write_out(www_authenticate_out, std::ptr::null());
            write_out(dpop_nonce_out, std::ptr::null());
            return Ok(());
        };
        // SAFETY: non-NULL, NUL-terminated per the caller's contract.
        let authorization = (!authorization.is_null()).then(|| unsafe { untrusted(authorization) });
        let c = v.verifier.challenge(core, authorization.as_deref(), realm);
        let keep = |s: Option<String>| s.map_or(std::ptr::null(), |s| e.keep(&s));
        write_out(status_out, c.status);
        write_out(www_authenticate_out, keep(c.www_authenticate));
        write_out(dpop_nonce_out, keep(c.dpop_nonce));
        Ok(())
    })
}

/// The DPoP nonce to send now as `DPoP-Nonce` (in nonce mode, on any
/// answer: successes too, so that clients keep a fresh one), or NULL
/// without nonce mode. Nonces change every 300 s.
///
/// Like a proof, `*nonce_out` belongs to the caller: free it with
/// `m2m_dpop_nonce_free`, never `free()`. Fails only on a NULL argument.
#[no_mangle]
pub extern "C" fn m2m_verifier_dpop_nonce(
    verifier: *const m2m_verifier,
    nonce_out: *mut *mut c_char,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let v = unsafe { ref_arg(verifier, "verifier") }?;
        out_arg(nonce_out, "nonce_out")?;
        let nonce = match v.verifier.dpop_nonce() {
            None => std::ptr::null_mut(),
            // A nonce is base64url text: never a NUL byte.
            Some(n) => CString::new(n)
                .map_err(|_| Failure::new(m2m_result::M2M_INTERIOR_NUL, "a NUL byte in the nonce"))?
                .into_raw(),
        };
        write_out(nonce_out, nonce);
        Ok(())
    })
}

/// Frees a nonce from `m2m_verifier_dpop_nonce`. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_dpop_nonce_free(nonce: *mut c_char) {
    guard_void(|| {
        if !nonce.is_null() {
            // SAFETY: a string from `m2m_verifier_dpop_nonce`, freed once.
            drop(unsafe { CString::from_raw(nonce) });
        }
    })
}
