//! The headers that send a token with one HTTP request, from the engine
//! (docs/design.md §11): `Authorization`, and `DPoP` for a DPoP-bound token
//! only. Which token needs which header is the engine's rule; this file
//! converts between C and Rust.

use std::ffi::c_char;

use crate::client::m2m_client;
use crate::error::m2m_error;
use crate::ffi::{guard, guard_value, guard_void, out_arg, ref_arg, str_arg, write_out};
use crate::result::{m2m_result, Failure};
use crate::token::{m2m_token, SecretCString};

/// The headers that send a token with one HTTP request, from
/// `m2m_client_request_headers`. Owned by the caller: free it with
/// `m2m_request_headers_free`; both strings its getters return are borrowed
/// from it, live until then, and are zeroed when it is freed (they are
/// credentials). Immutable; may be read from any thread.
pub struct m2m_request_headers {
    authorization: SecretCString,
    dpop: Option<SecretCString>,
}

/// The headers that send `token` with the HTTP request `method url` (e.g.
/// `"GET"`, `"https://api.example.com/orders?id=1"`): `Authorization`
/// (`"Bearer <token>"` or `"DPoP <token>"`) and, for a DPoP token only,
/// `DPoP` (a new proof of this request, with `ath` and the nonce `url`'s
/// server sent last). Make new ones for every request, retries included,
/// then hand the answer to `m2m_client_dpop_response`. `M2M_CONFIG` for a
/// URL that must not carry a token (https, or http to a loopback host; no
/// user info, no fragment), and for a DPoP token when `dpop` is off or
/// `method` is not an HTTP method. Free `*headers_out` with
/// `m2m_request_headers_free`.
#[no_mangle]
pub extern "C" fn m2m_client_request_headers(
    client: *const m2m_client,
    method: *const c_char,
    url: *const c_char,
    token: *const m2m_token,
    headers_out: *mut *mut m2m_request_headers,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or live handles / NUL-terminated strings.
        let c = unsafe { ref_arg(client, "client") }?;
        let method = unsafe { str_arg(method, "method") }?;
        let url = unsafe { str_arg(url, "url") }?;
        let t = unsafe { ref_arg(token, "token") }?;
        out_arg(headers_out, "headers_out")?;
        let h = c.engine().request_headers(method, url, t.engine_token())?;
        let nul = || Failure::new(m2m_result::M2M_INTERIOR_NUL, "a NUL byte in a header");
        let authorization = SecretCString::new(&h.authorization).ok_or_else(nul)?;
        let dpop = match h.dpop.as_deref() {
            // A compact JWS is base64url and dots: never a NUL byte.
            Some(p) => Some(SecretCString::new(p).ok_or_else(nul)?),
            None => None,
        };
        write_out(
            headers_out,
            Box::into_raw(Box::new(m2m_request_headers {
                authorization,
                dpop,
            })),
        );
        Ok(())
    })
}

/// The `Authorization` value (`"Bearer <token>"` or `"DPoP <token>"`).
/// Borrowed from `headers`; NULL when `headers` is NULL.
#[no_mangle]
pub extern "C" fn m2m_request_headers_authorization(
    headers: *const m2m_request_headers,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live handle.
        unsafe { headers.as_ref() }.map_or(std::ptr::null(), |h| h.authorization.as_ptr())
    })
}

/// The `DPoP` value (a proof of the request) for a DPoP token; NULL for a
/// Bearer token (send no `DPoP` header then) or when `headers` is NULL.
/// Borrowed from `headers`.
#[no_mangle]
pub extern "C" fn m2m_request_headers_dpop(headers: *const m2m_request_headers) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live handle.
        unsafe { headers.as_ref() }
            .and_then(|h| h.dpop.as_ref())
            .map_or(std::ptr::null(), SecretCString::as_ptr)
    })
}

/// Frees headers from `m2m_client_request_headers` (their strings are
/// zeroed). NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_request_headers_free(headers: *mut m2m_request_headers) {
    guard_void(|| {
        if !headers.is_null() {
            // SAFETY: a handle from `m2m_client_request_headers`, freed once.
            drop(unsafe { Box::from_raw(headers) });
        }
    })
}
