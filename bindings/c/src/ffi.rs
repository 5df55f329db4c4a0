//! The panic boundary and argument checks every `extern "C"` function uses.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::m2m_error;
use crate::result::{m2m_result, Failure};

/// Runs `f` inside a panic boundary. On failure, writes a new error to
/// `*err_out` (when `err_out` is not NULL) and returns its code.
pub(crate) fn guard(
    err_out: *mut *mut m2m_error,
    f: impl FnOnce() -> Result<(), Failure>,
) -> m2m_result {
    let failure = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return m2m_result::M2M_OK,
        Ok(Err(failure)) => failure,
        Err(_) => Failure::panic(),
    };
    let code = failure.code;
    if !err_out.is_null() {
        if let Ok(e) = catch_unwind(AssertUnwindSafe(|| m2m_error::boxed(failure))) {
            // SAFETY: checked non-NULL; the caller passes a writable pointer.
            unsafe { err_out.write(e) };
        }
    }
    code
}

/// A panic boundary for functions without a result (`_free`).
pub(crate) fn guard_void(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

/// A panic boundary for functions that return a value directly (getters
/// that cannot fail); `fallback` if `f` panics.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// A borrowed, NUL-terminated UTF-8 argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract above.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| Failure::utf8(name))
}

/// A borrowed handle argument.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` created by this library.
pub(crate) unsafe fn ref_arg<'a, T>(p: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: per the contract above.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// Checks that an out-parameter is writable (non-NULL) before any work.
pub(crate) fn out_arg<T>(p: *mut T, name: &str) -> Result<(), Failure> {
    if p.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(())
    }
}

/// Writes an out-parameter checked by [`out_arg`].
pub(crate) fn write_out<T>(p: *mut T, value: T) {
    // SAFETY: checked non-NULL by `out_arg`; the caller passes a writable pointer.
    unsafe { p.write(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_m2m_panic_with_an_error() {
        let mut err: *mut m2m_error = std::ptr::null_mut();
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = guard(&mut err, || panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(r, m2m_result::M2M_PANIC);
        assert!(!err.is_null());
        let e = unsafe { &*err };
        assert_eq!(crate::m2m_error_code(e), m2m_result::M2M_PANIC);
        let msg = unsafe { CStr::from_ptr(crate::m2m_error_message(e)) };
        assert!(msg.to_str().unwrap().contains("panic"));
        crate::m2m_error_free(err);
    }

    #[test]
    fn a_panic_in_a_getter_returns_the_fallback() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let v = guard_value(7u32, || panic!("boom"));
        guard_void(|| panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(v, 7);
    }

    #[test]
    fn null_and_invalid_utf8_arguments_are_errors() {
        let e = unsafe { str_arg(std::ptr::null(), "x") }.unwrap_err();
        assert_eq!(e.code, m2m_result::M2M_NULL_ARGUMENT);
        let bad = b"\xff\xfe\0";
        let e = unsafe { str_arg(bad.as_ptr().cast(), "x") }.unwrap_err();
        assert_eq!(e.code, m2m_result::M2M_INVALID_UTF8);
        let ok = b"fine\0";
        assert_eq!(unsafe { str_arg(ok.as_ptr().cast(), "x") }.unwrap(), "fine");
    }
}
