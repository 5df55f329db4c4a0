//! `m2m_client_call_api`: call an API with the token, renewing it once on 401
//! (docs/design.md §4; the rule lives in the core).

use std::ffi::{c_char, CString};

use m2m_core::ApiResponse;

use crate::client::{m2m_client, request_of};
use crate::error::m2m_error;
use crate::ffi::{guard, guard_void, out_arg, ref_arg, str_arg, write_out};
use crate::request::m2m_request;
use crate::result::{m2m_result, Failure};
use crate::runtime::run_task;

/// An API's answer to `m2m_client_call_api`. Free with
/// `m2m_api_response_free`; everything a getter returns is borrowed from it.
pub struct m2m_api_response {
    status: u16,
    headers: Vec<(String, CString)>,
    /// The body plus a NUL byte (not counted in its length).
    body: Vec<u8>,
}

impl m2m_api_response {
    fn new(r: ApiResponse) -> m2m_api_response {
        let mut body = r.body;
        body.push(0);
        m2m_api_response {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .filter_map(|(n, v)| Some((n, CString::new(v).ok()?)))
                .collect(),
            body,
        }
    }
}

/// Calls an API with `Authorization: <token type> <token>` for `request`
/// (NULL: the client's defaults); a DPoP token also gets a new `DPoP` proof,
/// and an API asking for a DPoP nonce (401 `use_dpop_nonce`) the call once
/// more with it, first. If the API answers 401, the token is
/// invalidated, a new one fetched and the call made once more; whatever the
/// API answers then is returned (any status is `M2M_OK`: read it with
/// `m2m_api_response_status`). `method` is e.g. `"GET"`; `url` follows the
/// token endpoint's https rule; `headers` is NULL or an array of
/// `headers_len` strings `"Name: value"`; `body` is NULL or `body_len`
/// bytes. Redirects are not followed.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn m2m_client_call_api(
    client: *const m2m_client,
    request: *const m2m_request,
    method: *const c_char,
    url: *const c_char,
    headers: *const *const c_char,
    headers_len: usize,
    body: *const u8,
    body_len: usize,
    response_out: *mut *mut m2m_api_response,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or live handles / NUL-terminated strings.
        let c = unsafe { ref_arg(client, "client") }?;
        let method = unsafe { str_arg(method, "method") }?;
        let url = unsafe { str_arg(url, "url") }?;
        out_arg(response_out, "response_out")?;
        let mut list = Vec::with_capacity(headers_len);
        if headers_len > 0 {
            if headers.is_null() {
                return Err(Failure::null("headers"));
            }
            // SAFETY: `headers` points to `headers_len` string pointers.
            let raw = unsafe { std::slice::from_raw_parts(headers, headers_len) };
            for p in raw {
                // SAFETY: each is NULL or a NUL-terminated string.
                let line = unsafe { str_arg(*p, "headers[i]") }?;
                let (n, v) = line.split_once(':').ok_or_else(|| {
                    Failure::invalid("each header must look like \"Name: value\"")
                })?;
                list.push((n.trim().to_string(), v.trim().to_string()));
            }
        }
        let body = match (body.is_null(), body_len) {
            (true, 0) => None,
            (true, _) => return Err(Failure::null("body")),
            // SAFETY: `body` points to `body_len` readable bytes.
            (false, n) => Some(unsafe { std::slice::from_raw_parts(body, n) }.to_vec()),
        };
        let request = request_of(request);
        let (client, method, url) = (c.engine().clone(), method.to_owned(), url.to_owned());
        let resp =
            run_task(async move { client.call_api(&request, &method, &url, &list, body).await })??;
        write_out(
            response_out,
            Box::into_raw(Box::new(m2m_api_response::new(resp))),
        );
        Ok(())
    })
}

/// The API's HTTP status.
#[no_mangle]
pub extern "C" fn m2m_api_response_status(
    response: *const m2m_api_response,
    status_out: *mut u16,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let r = unsafe { ref_arg(response, "response") }?;
        out_arg(status_out, "status_out")?;
        write_out(status_out, r.status);
        Ok(())
    })
}

/// The response body: `*body_out` points to `*body_len_out` bytes, followed
/// by a NUL byte (so a text body can be printed as a C string). Borrowed
/// from `response`.
#[no_mangle]
pub extern "C" fn m2m_api_response_body(
    response: *const m2m_api_response,
    body_out: *mut *const u8,
    body_len_out: *mut usize,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let r = unsafe { ref_arg(response, "response") }?;
        out_arg(body_out, "body_out")?;
        out_arg(body_len_out, "body_len_out")?;
        write_out(body_out, r.body.as_ptr());
        write_out(body_len_out, r.body.len() - 1);
        Ok(())
    })
}

/// The value of response header `name` (case-insensitive; repeated headers
/// give the first). `M2M_NOT_FOUND` when absent. Borrowed from `response`.
#[no_mangle]
pub extern "C" fn m2m_api_response_header(
    response: *const m2m_api_response,
    name: *const c_char,
    value_out: *mut *const c_char,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle / NUL-terminated string.
        let r = unsafe { ref_arg(response, "response") }?;
        let name = unsafe { str_arg(name, "name") }?;
        out_arg(value_out, "value_out")?;
        let v = r
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| Failure::new(m2m_result::M2M_NOT_FOUND, "no such header"))?;
        write_out(value_out, v.1.as_ptr());
        Ok(())
    })
}

/// Frees an API response. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_api_response_free(response: *mut m2m_api_response) {
    guard_void(|| {
        if !response.is_null() {
            // SAFETY: a handle from `m2m_client_call_api`, freed once.
            drop(unsafe { Box::from_raw(response) });
        }
    })
}
