//! `m2m_request`: per-call overrides of the client's default request
//! parameters (docs/design.md §1). Each distinct request is cached under its
//! own key. One setter per request parameter of the surface's declaration
//! (`m2m_auth::surface::REQUEST_PARAMETERS`), each a call into
//! [`set_param`], which converts by the parameter's type.

use std::ffi::c_char;
use std::sync::{RwLock, RwLockReadGuard};

use m2m_core::surface::REQUEST_PARAMETERS;
use m2m_core::TokenRequest;

use crate::ffi::{guard, guard_void, out_arg, ref_arg, str_arg, write_out};
use crate::result::{m2m_result, Failure};
use crate::value::{find, CValue, Entries};

/// Per-call request parameters. Every parameter left unset takes the
/// client's default; a set one replaces it (an empty string clears it:
/// `m2m_request_set(request, "resource", "")` overrides the default
/// resources with none). Pass NULL instead of a request to use the
/// defaults. Thread-safe; may be used by many calls at once.
pub struct m2m_request {
    inner: RwLock<Request>,
}

#[derive(Default)]
pub(crate) struct Request {
    pub(crate) request: TokenRequest,
    entries: Entries,
}

/// No overrides: the client's defaults.
pub(crate) const DEFAULT_REQUEST: TokenRequest = TokenRequest {
    audience: None,
    scope: None,
    organization: None,
    resource: None,
    extra: None,
};

impl m2m_request {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Request> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the parameter `name` to `value`.
    ///
    /// # Safety
    /// As [`Entries::convert`].
    unsafe fn apply(&self, name: &str, value: CValue) -> Result<(), Failure> {
        let item = find(REQUEST_PARAMETERS, name, "request parameter")?;
        let mut r = self.inner.write().unwrap_or_else(|p| p.into_inner());
        // SAFETY: per this function's contract.
        let v = unsafe { r.entries.convert(item, value) }?;
        r.request.set(name, v)?;
        Ok(())
    }
}

/// Sets request parameter `name` from what its C setter was given: the one
/// path every `m2m_request_set_<name>` / `add_<name>` takes.
pub(crate) fn set_param(request: *mut m2m_request, name: &str, value: CValue) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle; the setters pass their callers' C
        // strings.
        unsafe { ref_arg(request, "request")?.apply(name, value) }
    })
}

/// Creates a request with no overrides.
#[no_mangle]
pub extern "C" fn m2m_request_new(request_out: *mut *mut m2m_request) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        out_arg(request_out, "request_out")?;
        let r = Box::new(m2m_request {
            inner: RwLock::new(Request::default()),
        });
        write_out(request_out, Box::into_raw(r));
        Ok(())
    })
}

/// Frees a request. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_request_free(request: *mut m2m_request) {
    guard_void(|| {
        if !request.is_null() {
            // SAFETY: a handle from `m2m_request_new`, freed once.
            drop(unsafe { Box::from_raw(request) });
        }
    })
}

/// Sets the parameter called `name` (e.g. `"scope"`) from text: lists
/// separated by spaces or commas, maps as `name=value` pairs separated by
/// `&` or commas (each replacing earlier entries); `""` overrides the
/// client's default with none. `M2M_CONFIG` for an unknown name or text
/// that does not parse (the request is unchanged).
#[no_mangle]
pub extern "C" fn m2m_request_set(
    request: *mut m2m_request,
    name: *const c_char,
    text: *const c_char,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle / NUL-terminated strings.
        let r = unsafe { ref_arg(request, "request") }?;
        let name = unsafe { str_arg(name, "name") }?;
        unsafe { r.apply(name, CValue::Text(text)) }
    })
}

/// The audience for this call (`""`: none).
#[no_mangle]
pub extern "C" fn m2m_request_set_audience(
    request: *mut m2m_request,
    value: *const c_char,
) -> m2m_result {
    set_param(request, "audience", CValue::Str(value))
}

/// Adds scopes for this call: one per call, or several space-separated;
/// the call's list replaces the client's default list.
#[no_mangle]
pub extern "C" fn m2m_request_add_scope(
    request: *mut m2m_request,
    value: *const c_char,
) -> m2m_result {
    set_param(request, "scope", CValue::Entry(value))
}

/// The organization for this call (`""`: none).
#[no_mangle]
pub extern "C" fn m2m_request_set_organization(
    request: *mut m2m_request,
    value: *const c_char,
) -> m2m_result {
    set_param(request, "organization", CValue::Str(value))
}

/// Adds an RFC 8707 resource indicator for this call; the call's list
/// replaces the client's default list.
#[no_mangle]
pub extern "C" fn m2m_request_add_resource(
    request: *mut m2m_request,
    value: *const c_char,
) -> m2m_result {
    set_param(request, "resource", CValue::Entry(value))
}

/// Adds an extra form parameter for this call; the call's parameters
/// replace the client's default ones.
#[no_mangle]
pub extern "C" fn m2m_request_add_extra(
    request: *mut m2m_request,
    name: *const c_char,
    value: *const c_char,
) -> m2m_result {
    set_param(request, "extra", CValue::Pair(name, value))
}
