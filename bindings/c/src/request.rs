//! `m2m_request`: per-call overrides of the client's default request
//! parameters (docs/design.md §1). Each distinct request is cached under its own key.

use std::ffi::c_char;
use std::sync::{RwLock, RwLockReadGuard};

use m2m_core::TokenRequest;

use crate::error::m2m_result;
use crate::ffi::{guard, guard_void, out_arg, ref_arg, str_arg, write_out};

/// Per-call request parameters. Every parameter left unset takes the
/// client's default; a set one replaces it (an empty string clears it).
/// Pass NULL instead of a request to use the defaults. Thread-safe; may be
/// used by many calls at once.
pub struct m2m_request {
    inner: RwLock<TokenRequest>,
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
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, TokenRequest> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut TokenRequest)) {
        f(&mut self.inner.write().unwrap_or_else(|p| p.into_inner()));
    }
}

/// Creates a request with no overrides.
#[no_mangle]
pub extern "C" fn m2m_request_new(request_out: *mut *mut m2m_request) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        out_arg(request_out, "request_out")?;
        let r = Box::new(m2m_request {
            inner: RwLock::new(TokenRequest::default()),
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

fn req_set(
    request: *mut m2m_request,
    value: *const c_char,
    name: &str,
    f: impl FnOnce(&mut TokenRequest, &str),
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle / NUL-terminated string.
        let r = unsafe { ref_arg(request, "request") }?;
        let v = unsafe { str_arg(value, name) }?;
        r.update(|t| f(t, v));
        Ok(())
    })
}

/// The audience for this call (`""`: none).
#[no_mangle]
pub extern "C" fn m2m_request_set_audience(
    request: *mut m2m_request,
    audience: *const c_char,
) -> m2m_result {
    req_set(request, audience, "audience", |t, v| {
        t.audience = Some(v.to_string())
    })
}

/// The scopes for this call, space-separated (`""`: none).
#[no_mangle]
pub extern "C" fn m2m_request_set_scope(
    request: *mut m2m_request,
    scope: *const c_char,
) -> m2m_result {
    req_set(request, scope, "scope", |t, v| {
        t.scope = Some(vec![v.to_string()])
    })
}

/// The organization for this call (`""`: none).
#[no_mangle]
pub extern "C" fn m2m_request_set_organization(
    request: *mut m2m_request,
    organization: *const c_char,
) -> m2m_result {
    req_set(request, organization, "organization", |t, v| {
        t.organization = Some(v.to_string())
    })
}

/// Adds an RFC 8707 resource indicator for this call; the call's list
/// replaces the client's default list.
#[no_mangle]
pub extern "C" fn m2m_request_add_resource(
    request: *mut m2m_request,
    resource: *const c_char,
) -> m2m_result {
    req_set(request, resource, "resource", |t, v| {
        t.resource.get_or_insert_with(Vec::new).push(v.to_string())
    })
}

/// Overrides the client's default resources with none (until
/// `m2m_request_add_resource` adds some).
#[no_mangle]
pub extern "C" fn m2m_request_clear_resources(request: *mut m2m_request) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let r = unsafe { ref_arg(request, "request") }?;
        r.update(|t| t.resource = Some(Vec::new()));
        Ok(())
    })
}

/// Sets an extra form parameter for this call; the call's extra parameters
/// replace the client's default ones.
#[no_mangle]
pub extern "C" fn m2m_request_set_extra(
    request: *mut m2m_request,
    name: *const c_char,
    value: *const c_char,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle / NUL-terminated strings.
        let r = unsafe { ref_arg(request, "request") }?;
        let n = unsafe { str_arg(name, "name") }?;
        let v = unsafe { str_arg(value, "value") }?;
        r.update(|t| {
            t.extra
                .get_or_insert_with(Default::default)
                .insert(n.to_string(), v.to_string());
        });
        Ok(())
    })
}

/// Overrides the client's default extra parameters with none (until
/// `m2m_request_set_extra` adds some).
#[no_mangle]
pub extern "C" fn m2m_request_clear_extra(request: *mut m2m_request) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let r = unsafe { ref_arg(request, "request") }?;
        r.update(|t| t.extra = Some(Default::default()));
        Ok(())
    })
}
