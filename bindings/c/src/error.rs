//! `m2m_result` codes and `m2m_error`, the detail of a failure (docs/design.md §6).

use std::ffi::{c_char, CStr, CString};

use m2m_core::{Error, ErrorDetail, ErrorKind};

use crate::ffi::{guard_value, guard_void};

/// What a call returned. The values are part of the ABI: they are never
/// renumbered and never reused. Codes 1–99 are the docs/design.md §6 error codes
/// (the same in every language); 100 and up are the C library's own.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum m2m_result {
    /// Success.
    M2M_OK = 0,
    /// `config`: a bad or missing option (detected before any I/O).
    M2M_CONFIG = 1,
    /// `oauth`: the authorization server refused (RFC 6749 §5.2); the error
    /// carries `error`, `error_description`, `error_uri` and the status.
    M2M_OAUTH = 2,
    /// `http`: a non-OAuth HTTP failure; the error carries the status and
    /// the first bytes of the body.
    M2M_HTTP = 3,
    /// `transport`: could not talk to the server (connect, timeout, reset,
    /// TLS, I/O); the error carries the kind.
    M2M_TRANSPORT = 4,
    /// `invalid_response`: a 200 that is not a valid token response.
    M2M_INVALID_RESPONSE = 5,
    /// `throttled`: refused locally until the error's retry-after passes.
    M2M_THROTTLED = 6,
    /// `cache`: a shared cache is unreachable or corrupt.
    M2M_CACHE = 7,
    /// `invalid_token`: (verifier) a token failed validation.
    M2M_INVALID_TOKEN = 8,
    /// A required pointer argument was NULL.
    M2M_NULL_ARGUMENT = 100,
    /// A string argument was not valid UTF-8.
    M2M_INVALID_UTF8 = 101,
    /// An argument was out of range or malformed (e.g. an HTTP header
    /// without a colon).
    M2M_INVALID_ARGUMENT = 102,
    /// The library caught an internal panic (a bug); the call did nothing.
    M2M_PANIC = 103,
    /// The item asked for does not exist (e.g. a response header).
    M2M_NOT_FOUND = 104,
    /// The value holds a NUL byte and cannot be handed out as a C string.
    M2M_INTERIOR_NUL = 105,
    /// An error code this version of the C library does not know (from a
    /// newer engine); the message names it.
    M2M_OTHER_ERROR = 199,
}

impl m2m_result {
    /// The stable lower-case name: the docs/design.md §6 code for 1–99.
    fn name(self) -> &'static CStr {
        use m2m_result::*;
        match self {
            M2M_OK => c"ok",
            M2M_CONFIG => c"config",
            M2M_OAUTH => c"oauth",
            M2M_HTTP => c"http",
            M2M_TRANSPORT => c"transport",
            M2M_INVALID_RESPONSE => c"invalid_response",
            M2M_THROTTLED => c"throttled",
            M2M_CACHE => c"cache",
            M2M_INVALID_TOKEN => c"invalid_token",
            M2M_NULL_ARGUMENT => c"null_argument",
            M2M_INVALID_UTF8 => c"invalid_utf8",
            M2M_INVALID_ARGUMENT => c"invalid_argument",
            M2M_PANIC => c"panic",
            M2M_NOT_FOUND => c"not_found",
            M2M_INTERIOR_NUL => c"interior_nul",
            M2M_OTHER_ERROR => c"other_error",
        }
    }

    const ALL: [m2m_result; 16] = {
        use m2m_result::*;
        [
            M2M_OK,
            M2M_CONFIG,
            M2M_OAUTH,
            M2M_HTTP,
            M2M_TRANSPORT,
            M2M_INVALID_RESPONSE,
            M2M_THROTTLED,
            M2M_CACHE,
            M2M_INVALID_TOKEN,
            M2M_NULL_ARGUMENT,
            M2M_INVALID_UTF8,
            M2M_INVALID_ARGUMENT,
            M2M_PANIC,
            M2M_NOT_FOUND,
            M2M_INTERIOR_NUL,
            M2M_OTHER_ERROR,
        ]
    };
}

fn kind_result(kind: ErrorKind) -> m2m_result {
    match kind {
        ErrorKind::Config => m2m_result::M2M_CONFIG,
        ErrorKind::OAuth => m2m_result::M2M_OAUTH,
        ErrorKind::Http => m2m_result::M2M_HTTP,
        ErrorKind::Transport => m2m_result::M2M_TRANSPORT,
        ErrorKind::InvalidResponse => m2m_result::M2M_INVALID_RESPONSE,
        ErrorKind::Throttled => m2m_result::M2M_THROTTLED,
        ErrorKind::Cache => m2m_result::M2M_CACHE,
        ErrorKind::InvalidToken => m2m_result::M2M_INVALID_TOKEN,
        _ => m2m_result::M2M_OTHER_ERROR,
    }
}

/// A failed call, before it becomes an `m2m_error` handle.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: m2m_result,
    message: String,
    core: Option<Error>,
}

impl Failure {
    pub(crate) fn new(code: m2m_result, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            core: None,
        }
    }

    pub(crate) fn null(arg: &str) -> Failure {
        Failure::new(
            m2m_result::M2M_NULL_ARGUMENT,
            format!("argument `{arg}` is NULL"),
        )
    }

    /// Names the argument, never its value (it may be a secret).
    pub(crate) fn utf8(arg: &str) -> Failure {
        Failure::new(
            m2m_result::M2M_INVALID_UTF8,
            format!("argument `{arg}` is not valid UTF-8"),
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(m2m_result::M2M_INVALID_ARGUMENT, message)
    }

    pub(crate) fn panic() -> Failure {
        Failure::new(
            m2m_result::M2M_PANIC,
            "internal error: m2m-auth caught a panic (a bug; please report it)",
        )
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            code: kind_result(e.kind()),
            // The core scrubs every credential from its errors' text.
            message: e.to_string(),
            core: Some(e),
        }
    }
}

/// A C string from text meant for people: a NUL byte (only ever from a
/// server's text) becomes U+FFFD.
fn text(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// The detail of a failed call. Created by the library (through an
/// `err_out` argument), read with the `m2m_error_*` getters, freed with
/// `m2m_error_free`. Every string a getter returns lives until then.
pub struct m2m_error {
    code: m2m_result,
    message: CString,
    oauth_error: Option<CString>,
    oauth_error_description: Option<CString>,
    oauth_error_uri: Option<CString>,
    status: u16,
    http_body: Option<CString>,
    transport_kind: Option<&'static CStr>,
    retry_after_ms: u64,
}

impl m2m_error {
    pub(crate) fn boxed(f: Failure) -> *mut m2m_error {
        let mut e = m2m_error {
            code: f.code,
            message: text(&f.message),
            oauth_error: None,
            oauth_error_description: None,
            oauth_error_uri: None,
            status: 0,
            http_body: None,
            transport_kind: None,
            retry_after_ms: 0,
        };
        if let Some(core) = &f.core {
            e.status = core.status().unwrap_or(0);
            e.retry_after_ms = core
                .retry_after()
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            match core.detail() {
                ErrorDetail::OAuth {
                    error,
                    error_description,
                    error_uri,
                    ..
                } => {
                    e.oauth_error = Some(text(error));
                    e.oauth_error_description = error_description.as_deref().map(text);
                    e.oauth_error_uri = error_uri.as_deref().map(text);
                }
                ErrorDetail::Http { body, .. } => e.http_body = Some(text(body)),
                ErrorDetail::Transport { kind, .. } => {
                    e.transport_kind = Some(match kind.as_str() {
                        "connect" => c"connect",
                        "timeout" => c"timeout",
                        "reset" => c"reset",
                        "tls" => c"tls",
                        _ => c"io",
                    })
                }
                _ => {}
            }
        }
        Box::into_raw(Box::new(e))
    }
}

fn opt(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The stable lower-case name of a result code: `"ok"`, the docs/design.md §6 code
/// (`"config"`, `"oauth"`, `"http"`, `"transport"`, `"invalid_response"`,
/// `"throttled"`, `"cache"`, `"invalid_token"`), or the C library's own
/// (`"null_argument"`, `"invalid_utf8"`, `"invalid_argument"`, `"panic"`,
/// `"not_found"`, `"interior_nul"`, `"other_error"`); `"unknown"` for a
/// value that is no `m2m_result`. Static; never freed.
#[no_mangle]
pub extern "C" fn m2m_result_name(result: u32) -> *const c_char {
    guard_value(c"unknown".as_ptr(), || {
        m2m_result::ALL
            .iter()
            .find(|r| **r as u32 == result)
            .map_or(c"unknown", |r| r.name())
            .as_ptr()
    })
}

/// The error's code; `M2M_OK` when `err` is NULL (no error).
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
pub extern "C" fn m2m_error_oauth_error(err: *const m2m_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live error handle.
        unsafe { err.as_ref() }.map_or(std::ptr::null(), |e| opt(&e.oauth_error))
    })
}

/// For `M2M_OAUTH`: the server's `error_description`, or NULL when it sent
/// none. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_oauth_error_description(err: *const m2m_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live error handle.
        unsafe { err.as_ref() }.map_or(std::ptr::null(), |e| opt(&e.oauth_error_description))
    })
}

/// For `M2M_OAUTH`: the server's `error_uri`, or NULL when it sent none.
/// Borrowed from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_oauth_error_uri(err: *const m2m_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live error handle.
        unsafe { err.as_ref() }.map_or(std::ptr::null(), |e| opt(&e.oauth_error_uri))
    })
}

/// For `M2M_OAUTH` and `M2M_HTTP`: the HTTP status; 0 otherwise.
#[no_mangle]
pub extern "C" fn m2m_error_status(err: *const m2m_error) -> u16 {
    guard_value(0, || {
        // SAFETY: NULL or a live error handle.
        unsafe { err.as_ref() }.map_or(0, |e| e.status)
    })
}

/// For `M2M_HTTP`: the first bytes (at most 512) of the response body,
/// lossily decoded; NULL for other errors. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn m2m_error_http_body(err: *const m2m_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live error handle.
        unsafe { err.as_ref() }.map_or(std::ptr::null(), |e| opt(&e.http_body))
    })
}

/// For `M2M_TRANSPORT`: `"connect"`, `"timeout"`, `"reset"`, `"tls"` or
/// `"io"`; NULL for other errors. Static.
#[no_mangle]
pub extern "C" fn m2m_error_transport_kind(err: *const m2m_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live error handle.
        unsafe { err.as_ref() }
            .and_then(|e| e.transport_kind)
            .map_or(std::ptr::null(), CStr::as_ptr)
    })
}

/// For `M2M_THROTTLED`: milliseconds until a request may be sent again;
/// 0 otherwise.
#[no_mangle]
pub extern "C" fn m2m_error_retry_after_ms(err: *const m2m_error) -> u64 {
    guard_value(0, || {
        // SAFETY: NULL or a live error handle.
        unsafe { err.as_ref() }.map_or(0, |e| e.retry_after_ms)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_values_never_change() {
        use m2m_result::*;
        let fixed = [
            (M2M_OK, 0),
            (M2M_CONFIG, 1),
            (M2M_OAUTH, 2),
            (M2M_HTTP, 3),
            (M2M_TRANSPORT, 4),
            (M2M_INVALID_RESPONSE, 5),
            (M2M_THROTTLED, 6),
            (M2M_CACHE, 7),
            (M2M_INVALID_TOKEN, 8),
            (M2M_NULL_ARGUMENT, 100),
            (M2M_INVALID_UTF8, 101),
            (M2M_INVALID_ARGUMENT, 102),
            (M2M_PANIC, 103),
            (M2M_NOT_FOUND, 104),
            (M2M_INTERIOR_NUL, 105),
            (M2M_OTHER_ERROR, 199),
        ];
        assert_eq!(fixed.len(), m2m_result::ALL.len());
        for (r, v) in fixed {
            assert_eq!(r as u32, v);
        }
    }

    #[test]
    fn section_6_codes_keep_their_names() {
        for (kind, code) in [
            (ErrorKind::Config, "config"),
            (ErrorKind::OAuth, "oauth"),
            (ErrorKind::Http, "http"),
            (ErrorKind::Transport, "transport"),
            (ErrorKind::InvalidResponse, "invalid_response"),
            (ErrorKind::Throttled, "throttled"),
            (ErrorKind::Cache, "cache"),
            (ErrorKind::InvalidToken, "invalid_token"),
        ] {
            assert_eq!(kind.code(), code);
            assert_eq!(kind_result(kind).name().to_str().unwrap(), code);
        }
    }
}
