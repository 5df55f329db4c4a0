//! DPoP (RFC 9449) for any HTTP client: the client's proofs, its reading of
//! an API's answer, and its key's thumbprint (docs/design.md §11). The rule
//! (which answer is a nonce challenge, which nonce a proof carries) is the
//! engine's; this file converts between C and Rust.

use std::ffi::{c_char, CString};

use crate::client::m2m_client;
use crate::error::m2m_error;
use crate::ffi::{guard, guard_value, guard_void, out_arg, ref_arg, str_arg, write_out};
use crate::result::{m2m_result, Failure};
use crate::token::m2m_token;

/// An optional string argument: NULL is `None`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
unsafe fn optional_str<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: per the contract above.
    unsafe { str_arg(p, name) }.map(Some)
}

/// A DPoP proof (RFC 9449 §4) for the HTTP request `method url` (e.g.
/// `"GET"`, `"https://api.example.com/orders?id=1"`), signed with the
/// client's DPoP key: `htu` is `url` without query and fragment, with `ath`
/// (the hash of `access_token`) when `access_token` is not NULL, and with
/// the nonce `url`'s server sent last (see `m2m_client_dpop_response`).
/// The explicit builder for any use: to send a token,
/// `m2m_client_request_headers` makes both headers. Make a new proof for
/// every request, retries included. `M2M_CONFIG` when `dpop` is off, `url` is not
/// an absolute URL or `method` is not an HTTP method.
///
/// Unlike every other string of this library, `*proof_out` belongs to the
/// caller: free it with `m2m_dpop_proof_free`, never `free()`.
#[no_mangle]
pub extern "C" fn m2m_client_dpop_proof(
    client: *const m2m_client,
    method: *const c_char,
    url: *const c_char,
    access_token: *const c_char,
    proof_out: *mut *mut c_char,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle / NUL-terminated strings.
        let c = unsafe { ref_arg(client, "client") }?;
        let method = unsafe { str_arg(method, "method") }?;
        let url = unsafe { str_arg(url, "url") }?;
        let access_token = unsafe { optional_str(access_token, "access_token") }?;
        out_arg(proof_out, "proof_out")?;
        let proof = c.engine().dpop_proof(method, url, access_token)?;
        // A compact JWS is base64url and dots: never a NUL byte.
        let proof = CString::new(proof)
            .map_err(|_| Failure::new(m2m_result::M2M_INTERIOR_NUL, "a NUL byte in the proof"))?;
        write_out(proof_out, proof.into_raw());
        Ok(())
    })
}

/// Frees a proof from `m2m_client_dpop_proof`. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_dpop_proof_free(proof: *mut c_char) {
    guard_void(|| {
        if !proof.is_null() {
            // SAFETY: a string from `m2m_client_dpop_proof`, freed once.
            drop(unsafe { CString::from_raw(proof) });
        }
    })
}

/// Reads an API's answer to a request for `url` sent with `token`: its HTTP
/// `status` and its `WWW-Authenticate` and `DPoP-Nonce` headers (NULL when
/// absent). For a DPoP token: remembers the nonce, so that the next proof
/// for that server carries it, and sets `*retry_out` to true exactly when
/// the answer is a `use_dpop_nonce` challenge (401, `WWW-Authenticate: DPoP
/// error="use_dpop_nonce"`, a non-empty `DPoP-Nonce`): then send the
/// request once more, with new headers (`m2m_client_request_headers`) and
/// the same token (not a renewal; a 401 after that is the usual renewal
/// case). Call it after every answer. `*retry_out` is false for a Bearer
/// token (nothing is remembered then) and with `dpop` off. Fails only on a
/// NULL or non-UTF-8 argument.
#[no_mangle]
pub extern "C" fn m2m_client_dpop_response(
    client: *const m2m_client,
    url: *const c_char,
    token: *const m2m_token,
    status: u16,
    www_authenticate: *const c_char,
    dpop_nonce: *const c_char,
    retry_out: *mut bool,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live handles / NUL-terminated strings.
        let c = unsafe { ref_arg(client, "client") }?;
        let url = unsafe { str_arg(url, "url") }?;
        let t = unsafe { ref_arg(token, "token") }?;
        let challenge = unsafe { optional_str(www_authenticate, "www_authenticate") }?;
        let nonce = unsafe { optional_str(dpop_nonce, "dpop_nonce") }?;
        out_arg(retry_out, "retry_out")?;
        write_out(
            retry_out,
            c.engine()
                .dpop_response(url, t.engine_token(), status, challenge, nonce),
        );
        Ok(())
    })
}

/// The RFC 7638 thumbprint of the client's DPoP key (base64url SHA-256: the
/// `cnf.jkt` of its tokens): the current key's, which changes when a
/// `dpop_key_file` holding another key is picked up. Borrowed from
/// `client` until `m2m_client_free` (an earlier key's string stays valid
/// too); NULL with `dpop` off or when `client` is NULL.
#[no_mangle]
pub extern "C" fn m2m_client_dpop_thumbprint(client: *const m2m_client) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live handle.
        let Some(c) = (unsafe { client.as_ref() }) else {
            return std::ptr::null();
        };
        c.engine()
            .dpop_thumbprint()
            .map_or(std::ptr::null(), |now| c.dpop_thumbprints.pointer_to(now))
    })
}
