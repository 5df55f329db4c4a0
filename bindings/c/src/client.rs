//! `m2m_client`: the token client (docs/design.md §2–§5, §8: all in the
//! engine, `fork()` included).

use std::ffi::{c_char, CString};

use m2m_core::{TokenClient, TokenRequest};

use crate::error::{m2m_error, text};
use crate::ffi::{guard, guard_value, guard_void, out_arg, ref_arg, str_arg, write_out};
use crate::options::m2m_client_options;
use crate::request::{m2m_request, DEFAULT_REQUEST};
use crate::result::{m2m_result, Failure};
use crate::runtime::run_task;
use crate::token::{handle, hot_handle, m2m_token};

/// A token client. Thread-safe: share one handle between threads. Clients
/// built with the same endpoint, credentials and parameters share cached
/// tokens and in-flight requests process-wide. Calls that need the network
/// block the calling thread. Free with `m2m_client_free` once no call is
/// using it. Usable in a child after `fork()` as it is: the engine gives
/// the child connections and a runtime of its own, and the client's
/// counters go on from their values at the fork.
pub struct m2m_client {
    client: TokenClient,
    client_id: CString,
    auth_method: CString,
    /// The DPoP key thumbprints handed out (`m2m_client_dpop_thumbprint`).
    pub(crate) dpop_thumbprints: Thumbprints,
}

/// Every DPoP key thumbprint handed to C, kept until the client is freed: a
/// rotated `dpop_key_file` gives a new one, and a pointer handed out
/// earlier must stay valid. (A `CString`'s bytes do not move when the list
/// grows.)
#[derive(Default)]
pub(crate) struct Thumbprints(std::sync::Mutex<Vec<CString>>);

impl Thumbprints {
    /// The C string of thumbprint `now`, made the first time it is seen.
    pub(crate) fn pointer_to(&self, now: &str) -> *const std::ffi::c_char {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = seen.iter().find(|s| s.as_bytes() == now.as_bytes()) {
            return s.as_ptr();
        }
        seen.push(text(now));
        seen.last().map_or(std::ptr::null(), |s| s.as_ptr())
    }
}

impl m2m_client {
    /// The engine's client.
    pub(crate) fn engine(&self) -> &TokenClient {
        &self.client
    }
}

fn new_client(o: &m2m_client_options, client_out: *mut *mut m2m_client) -> Result<(), Failure> {
    out_arg(client_out, "client_out")?;
    let built = o.builder().and_then(|b| Ok(b.build()?));
    m2m_core::logs::flush();
    let client = built?;
    let c = m2m_client {
        client_id: text(client.client_id()),
        auth_method: text(client.auth_method().as_str()),
        dpop_thumbprints: Thumbprints::default(),
        client,
    };
    write_out(client_out, Box::into_raw(Box::new(c)));
    Ok(())
}

/// Builds a client from `options` (which stay the caller's). Every option
/// is checked before any I/O: a bad or missing one fails with `M2M_CONFIG`.
#[no_mangle]
pub extern "C" fn m2m_client_new(
    options: *const m2m_client_options,
    client_out: *mut *mut m2m_client,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle.
        new_client(unsafe { ref_arg(options, "options") }?, client_out)
    })
}

/// Builds a client from the `M2M_AUTH_*` environment variables alone (see
/// `m2m_client_options_from_env`).
#[no_mangle]
pub extern "C" fn m2m_client_from_env(
    client_out: *mut *mut m2m_client,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        let options = m2m_client_options::default();
        options.load_env();
        new_client(&options, client_out)
    })
}

/// Frees a client. Tokens it returned stay valid until freed themselves.
/// NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_client_free(client: *mut m2m_client) {
    guard_void(|| {
        if !client.is_null() {
            // SAFETY: a handle from `m2m_client_new`/`_from_env`, freed once.
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// The request a call asks for: the client's defaults for NULL.
fn with_request<T>(request: *const m2m_request, f: impl FnOnce(&TokenRequest) -> T) -> T {
    // SAFETY: NULL or a live handle.
    match unsafe { request.as_ref() } {
        None => f(&DEFAULT_REQUEST),
        Some(r) => f(&r.read().request),
    }
}

/// The request a call asks for, as a value (for calls that wait).
pub(crate) fn request_of(request: *const m2m_request) -> TokenRequest {
    with_request(request, TokenRequest::clone)
}

/// A usable token for `request` (NULL: the client's defaults): from the
/// cache when it holds a fresh one, without I/O or waiting (with NULL, no
/// lock either), else from the token endpoint, one request per key however
/// many threads ask at once. A token past its refresh point is returned at
/// once while one background request renews it. Free the token with
/// `m2m_token_free`.
#[no_mangle]
pub extern "C" fn m2m_client_get_token(
    client: *const m2m_client,
    request: *const m2m_request,
    token_out: *mut *mut m2m_token,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle.
        let c = unsafe { ref_arg(client, "client") }?;
        out_arg(token_out, "token_out")?;
        if let Some(fresh) = with_request(request, |r| c.client.cached_token(r)) {
            write_out(token_out, hot_handle(fresh));
            return Ok(());
        }
        let (client, r) = (c.client.clone(), request_of(request));
        let token = run_task(async move { client.get_token(&r).await })??;
        write_out(token_out, handle(token));
        Ok(())
    })
}

/// A new token from the token endpoint for `request` (NULL: the client's
/// defaults), bypassing (then updating) the cache; joins a request for the
/// same key already in flight. Free the token with `m2m_token_free`.
#[no_mangle]
pub extern "C" fn m2m_client_fetch_token(
    client: *const m2m_client,
    request: *const m2m_request,
    token_out: *mut *mut m2m_token,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle.
        let c = unsafe { ref_arg(client, "client") }?;
        out_arg(token_out, "token_out")?;
        let (client, r) = (c.client.clone(), request_of(request));
        let token = run_task(async move { client.fetch_token(&r).await })??;
        write_out(token_out, handle(token));
        Ok(())
    })
}

/// Drops the cached token for `request` (NULL: the client's defaults),
/// whatever it is; the next call fetches a new one. After an API refused a
/// token, prefer `m2m_client_invalidate_rejected`.
#[no_mangle]
pub extern "C" fn m2m_client_invalidate(
    client: *const m2m_client,
    request: *const m2m_request,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle.
        let c = unsafe { ref_arg(client, "client") }?;
        with_request(request, |r| c.client.invalidate(r))?;
        Ok(())
    })
}

/// What to call when an API answered 401 to `access_token` (the token
/// string sent, from `m2m_token_access_token`): drops the cached token for
/// `request` (NULL: the client's defaults) only if it is still that one,
/// so that a token another thread already renewed is kept. The next
/// `m2m_client_get_token` returns a token other than `access_token`.
#[no_mangle]
pub extern "C" fn m2m_client_invalidate_rejected(
    client: *const m2m_client,
    request: *const m2m_request,
    access_token: *const c_char,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        // SAFETY: NULL or a live handle / NUL-terminated string.
        let c = unsafe { ref_arg(client, "client") }?;
        let rejected = unsafe { str_arg(access_token, "access_token") }?;
        with_request(request, |r| c.client.invalidate_rejected(r, rejected))?;
        Ok(())
    })
}

/// The client id. Borrowed from `client`; NULL when `client` is NULL.
#[no_mangle]
pub extern "C" fn m2m_client_client_id(client: *const m2m_client) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live handle.
        unsafe { client.as_ref() }.map_or(std::ptr::null(), |c| c.client_id.as_ptr())
    })
}

/// The client authentication method: `"client_secret_post"`,
/// `"client_secret_basic"`, `"client_secret_jwt"` or `"private_key_jwt"`. Borrowed from `client`; NULL when `client` is
/// NULL.
#[no_mangle]
pub extern "C" fn m2m_client_auth_method(client: *const m2m_client) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live handle.
        unsafe { client.as_ref() }.map_or(std::ptr::null(), |c| c.auth_method.as_ptr())
    })
}
