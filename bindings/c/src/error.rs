//! `m2m_error`, the detail of a failed call (docs/design.md §6): one getter
//! per field of the surface's declaration (`m2m_auth::surface::ERROR_FIELDS`),
//! built from the engine's `Error::field`, so that C has the same fields as
//! every other language.

use std::ffi::{c_char, CString};
use std::sync::Mutex;

use m2m_core::surface::ERROR_FIELDS;
use m2m_core::{Error, FieldValue};

use crate::ffi::{guard_value, guard_void};
use crate::result::{m2m_result, Failure};

/// A C string from text meant for people: a NUL byte (only ever from a
/// server's text) becomes U+FFFD.
pub(crate) fn text(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

enum Field {
    Text(CString),
    /// A count, or a duration in milliseconds.
    Number(u64),
}

/// The detail of a failed call. Created by the library (through an
/// `err_out` argument), read with the `m2m_error_<field>` getters (NULL or
/// 0 for a field the error does not have), freed with `m2m_error_free`.
/// Every string a getter returns lives until then.
pub struct m2m_error {
    code: m2m_result,
    message: CString,
    /// The engine's fields other than `code` and `message`, by name.
    fields: Vec<(&'static str, Field)>,
    /// The engine's error, for `m2m_challenge`.
    pub(crate) core: Option<Error>,
    /// The header values `m2m_challenge` and `m2m_verifier_challenge`
    /// handed out (each distinct text once): borrowed by the caller until
    /// `m2m_error_free`.
    challenges: Mutex<Vec<CString>>,
}

impl m2m_error {
    pub(crate) fn boxed(f: Failure) -> *mut m2m_error {
        let mut fields = Vec::new();
        if let Some(core) = &f.core {
            // `code` and `message` have getters of their own.
            let rest = ERROR_FIELDS
                .iter()
                .filter(|i| !matches!(i.name, "code" | "message"));
            for item in rest {
                let value = match core.field(item.name) {
                    None => continue,
                    Some(FieldValue::Text(s)) => Field::Text(text(s)),
                    Some(FieldValue::Count(n)) => Field::Number(n),
                    Some(FieldValue::Duration(d)) => {
                        Field::Number(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                    }
                };
                fields.push((item.name, value));
            }
        }
        Box::into_raw(Box::new(m2m_error {
            code: f.code,
            message: text(&f.message),
            fields,
            core: f.core,
            challenges: Mutex::new(Vec::new()),
        }))
    }

    /// `value` as a C string that lives as long as this error: the same
    /// pointer for the same text, so that asking again never grows it.
    pub(crate) fn keep(&self, value: &str) -> *const c_char {
        let mut kept = self.challenges.lock().unwrap_or_else(|p| p.into_inner());
        let value = text(value);
        if let Some(s) = kept.iter().find(|s| **s == value) {
            return s.as_ptr();
        }
        // A CString's bytes stay put when the list grows.
        let p = value.as_ptr();
        kept.push(value);
        p
    }

    fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, f)| f)
    }
}

/// The text field `name` of `err`; NULL when absent.
fn text_field(err: *const m2m_error, name: &str) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live error handle.
        match unsafe { err.as_ref() }.and_then(|e| e.field(name)) {
            Some(Field::Text(s)) => s.as_ptr(),
            _ => std::ptr::null(),
        }
    })
}

/// The number field `name` of `err`; 0 when absent.
fn number_field<T: TryFrom<u64> + Default>(err: *const m2m_error, name: &str) -> T {
    guard_value(T::default(), || {
        // SAFETY: NULL or a live error handle.
        match unsafe { err.as_ref() }.and_then(|e| e.field(name)) {
            Some(Field::Number(n)) => T::try_from(*n).unwrap_or_default(),
            _ => T::default(),
        }
    })
}

/// The error's code (field `code`); `M2M_OK` when `err` is NULL (no error).
/// Its name is `m2m_result_name(m2m_error_code(err))`.
#[no_mangle]
pub extern "C" fn m2m_error_code(err: *const m2m_error) -> m2m_result {
    guard_value(m2m_result::M2M_PANIC, || {
        // SAFETY: NULL or a live error handle.
        unsafe { err.as_ref() }.map_or(m2m_result::M2M_OK, |e| e.code)
    })
}

/// A one-line description for people, e.g. `"oauth: invalid_client: ...
/// (status 401)"`. Never holds a secret (server text is scrubbed of the
/// client's credentials). Never NULL: `""` when `err` is NULL. Borrowed from
/// `err`.
#[no_mangle]
pub extern "C" fn m2m_error_message(err: *const m2m_error) -> *const c_char {
    guard_value(c"".as_ptr(), || {
        // SAFETY: NULL or a live error handle.
        unsafe { err.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// For `M2M_OAUTH`: the server's `error` code (e.g. `"invalid_client"`);
/// NULL for other errors. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_error(err: *const m2m_error) -> *const c_char {
    text_field(err, "error")
}

/// For `M2M_OAUTH`: the server's `error_description`, or NULL when it sent
/// none. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_error_description(err: *const m2m_error) -> *const c_char {
    text_field(err, "error_description")
}

/// For `M2M_OAUTH`: the server's `error_uri`, or NULL when it sent none.
/// Borrowed from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_error_uri(err: *const m2m_error) -> *const c_char {
    text_field(err, "error_uri")
}

/// For `M2M_OAUTH` and `M2M_HTTP`: the HTTP status; 0 otherwise.
#[no_mangle]
pub extern "C" fn m2m_error_status(err: *const m2m_error) -> u16 {
    number_field(err, "status")
}

/// For `M2M_HTTP`: the first bytes (at most 512) of the response body,
/// lossily decoded; NULL for other errors. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_body(err: *const m2m_error) -> *const c_char {
    text_field(err, "body")
}

/// For `M2M_TRANSPORT`: `"connect"`, `"timeout"`, `"reset"`, `"tls"` or
/// `"io"`; NULL for other errors. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_kind(err: *const m2m_error) -> *const c_char {
    text_field(err, "kind")
}

/// For `M2M_INVALID_RESPONSE`: what is wrong with the response, for
/// people. For `M2M_INVALID_TOKEN`: the stable reason code (`"missing"`,
/// `"malformed"`, `"too_large"`, `"disallowed_algorithm"`, `"unknown_key"`,
/// `"weak_key"`, `"bad_signature"`, `"bad_typ"`, `"crit"`,
/// `"wrong_issuer"`, `"wrong_audience"`, `"expired"`, `"not_yet_valid"`,
/// `"missing_claim"`, `"bad_claim_type"`; DPoP: `"dpop_proof"`,
/// `"dpop_replay"`, `"dpop_nonce"`, `"dpop_bound"`). NULL for other
/// errors. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_reason(err: *const m2m_error) -> *const c_char {
    text_field(err, "reason")
}

/// For `M2M_INSUFFICIENT_SCOPE`: every scope the request requires,
/// space-separated, in the order asked; NULL for other errors. Borrowed
/// from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_required_scope(err: *const m2m_error) -> *const c_char {
    text_field(err, "required_scope")
}

/// For `M2M_THROTTLED`: milliseconds until a request may be sent again;
/// 0 otherwise.
#[no_mangle]
pub extern "C" fn m2m_error_retry_after(err: *const m2m_error) -> u64 {
    number_field(err, "retry_after")
}

/// Frees an error and every string borrowed from it. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_error_free(err: *mut m2m_error) {
    guard_void(|| {
        if !err.is_null() {
            // SAFETY: a handle from `m2m_error::boxed`, freed once.
            drop(unsafe { Box::from_raw(err) });
        }
    })
}
