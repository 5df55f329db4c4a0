//! `m2m_result`, what every fallible call returns, and `Failure`, a failed
//! call before it becomes an `m2m_error` (docs/design.md §6).

use std::ffi::{c_char, CStr};

use m2m_core::{Error, ErrorKind};

use crate::ffi::guard_value;

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
    /// `invalid_token`: (verifier) a token failed validation; the error
    /// carries the reason code.
    M2M_INVALID_TOKEN = 8,
    /// `insufficient_scope`: (verifier) a valid token lacks a required
    /// scope; the error carries the required scope.
    M2M_INSUFFICIENT_SCOPE = 9,
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
            M2M_INSUFFICIENT_SCOPE => c"insufficient_scope",
            M2M_NULL_ARGUMENT => c"null_argument",
            M2M_INVALID_UTF8 => c"invalid_utf8",
            M2M_INVALID_ARGUMENT => c"invalid_argument",
            M2M_PANIC => c"panic",
            M2M_NOT_FOUND => c"not_found",
            M2M_INTERIOR_NUL => c"interior_nul",
            M2M_OTHER_ERROR => c"other_error",
        }
    }

    const ALL: [m2m_result; 17] = {
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
            M2M_INSUFFICIENT_SCOPE,
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
        ErrorKind::InsufficientScope => m2m_result::M2M_INSUFFICIENT_SCOPE,
        _ => m2m_result::M2M_OTHER_ERROR,
    }
}

/// A failed call, before it becomes an `m2m_error` handle.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) code: m2m_result,
    pub(crate) message: String,
    pub(crate) core: Option<Error>,
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

    pub(crate) fn config(message: impl Into<String>) -> Failure {
        Failure::new(
            m2m_result::M2M_CONFIG,
            format!("config: {}", message.into()),
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

/// The stable lower-case name of a result code: `"ok"`, the docs/design.md §6 code
/// (`"config"`, `"oauth"`, `"http"`, `"transport"`, `"invalid_response"`,
/// `"throttled"`, `"cache"`, `"invalid_token"`, `"insufficient_scope"`), or
/// the C library's own
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
            (M2M_INSUFFICIENT_SCOPE, 9),
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
            (ErrorKind::InsufficientScope, "insufficient_scope"),
        ] {
            assert_eq!(kind.code(), code);
            assert_eq!(kind_result(kind).name().to_str().unwrap(), code);
        }
    }
}
