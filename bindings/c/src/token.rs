//! `m2m_token`: an access token and its metadata, with C strings made once.
//!
//! The hot path (`m2m_client_get_token` on a fresh cached token) must not
//! build C strings on every call: each thread keeps the handles it handed
//! out recently, keyed by the identity of the core's token (the core gives
//! each thread its own copy of a cached token, so the identity is stable per
//! thread), and a call on a fresh token only bumps a reference count.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use m2m_core::Token;
use zeroize::Zeroize;

use crate::ffi::{guard, guard_void, out_arg, ref_arg, write_out};
use crate::result::{m2m_result, Failure};

/// A NUL-terminated copy of a secret, zeroed when dropped.
pub(crate) struct SecretCString(Box<[u8]>);

impl SecretCString {
    /// None when `s` holds a NUL byte.
    pub(crate) fn new(s: &str) -> Option<SecretCString> {
        if s.as_bytes().contains(&0) {
            return None;
        }
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        Some(SecretCString(v.into_boxed_slice()))
    }

    pub(crate) fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
}

impl Drop for SecretCString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// An access token. Get one from `m2m_client_get_token` or
/// `m2m_client_fetch_token`; read it with the `m2m_token_*` getters; free it
/// with `m2m_token_free`. Every string a getter returns is borrowed from the
/// token and lives until `m2m_token_free`. Thread-safe and immutable.
pub struct m2m_token {
    token: Token,
    access_token: Option<SecretCString>,
    authorization_header: Option<SecretCString>,
    token_type: Option<CString>,
    scope: Option<Option<CString>>,
    /// Made when first asked for: hashing the access token when the handle
    /// is made cost each C token request ~32k instructions (23 %; callgrind,
    /// scripts/cold-instructions.sh), and few callers read it.
    fingerprint: OnceLock<CString>,
    extra_json: OnceLock<CString>,
}

impl m2m_token {
    /// The engine's token this handle holds.
    pub(crate) fn engine_token(&self) -> &Token {
        &self.token
    }

    fn new(token: Token) -> m2m_token {
        m2m_token {
            access_token: SecretCString::new(token.access_token()),
            authorization_header: SecretCString::new(token.authorization_header()),
            token_type: CString::new(token.token_type()).ok(),
            scope: match token.scope() {
                None => Some(None),
                Some(s) => CString::new(s).ok().map(Some),
            },
            fingerprint: OnceLock::new(),
            extra_json: OnceLock::new(),
            token,
        }
    }

    /// The same token's identity: its access token's buffer (each core
    /// token owns its own, and a handle keeps it alive).
    fn is(&self, t: &Token) -> bool {
        let (a, b) = (self.token.access_token(), t.access_token());
        a.as_ptr() == b.as_ptr() && a.len() == b.len()
    }
}

const HOT_HANDLES: usize = 4;

struct Hot {
    entries: [Option<Arc<m2m_token>>; HOT_HANDLES],
    last: usize,
    next: usize,
}

thread_local! {
    static HOT: RefCell<Hot> = const {
        RefCell::new(Hot {
            entries: [const { None }; HOT_HANDLES],
            last: 0,
            next: 0,
        })
    };
}

/// A handle for a token from the cache's fast path: this thread's handle for
/// it if it made one, else a new one it remembers.
pub(crate) fn hot_handle(t: Token) -> *mut m2m_token {
    let handle = HOT
        .try_with(|hot| {
            let mut hot = hot.try_borrow_mut().ok()?;
            let last = hot.last;
            if let Some(h) = &hot.entries[last] {
                if h.is(&t) {
                    return Some(h.clone());
                }
            }
            if let Some(i) = hot
                .entries
                .iter()
                .position(|e| e.as_ref().is_some_and(|h| h.is(&t)))
            {
                hot.last = i;
                return hot.entries[i].clone();
            }
            let h = Arc::new(m2m_token::new(t.clone()));
            let i = hot.next;
            hot.next = (i + 1) % HOT_HANDLES;
            hot.last = i;
            hot.entries[i] = Some(h.clone());
            Some(h)
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| Arc::new(m2m_token::new(t)));
    Arc::into_raw(handle).cast_mut()
}

/// A handle for a token from the slow path (not remembered).
pub(crate) fn handle(t: Token) -> *mut m2m_token {
    Arc::into_raw(Arc::new(m2m_token::new(t))).cast_mut()
}

/// Frees a token handle (its strings are zeroed once no handle uses them).
/// NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_token_free(token: *mut m2m_token) {
    guard_void(|| {
        if !token.is_null() {
            // SAFETY: a handle from `hot_handle`/`handle`, freed once.
            drop(unsafe { Arc::from_raw(token.cast_const()) });
        }
    })
}

/// A getter writing one value.
fn get<T>(
    token: *const m2m_token,
    out: *mut T,
    out_name: &str,
    f: impl FnOnce(&m2m_token) -> Result<T, Failure>,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let t = unsafe { ref_arg(token, "token") }?;
        out_arg(out, out_name)?;
        let v = f(t)?;
        write_out(out, v);
        Ok(())
    })
}

fn nul(what: &str) -> Failure {
    Failure::new(
        m2m_result::M2M_INTERIOR_NUL,
        format!("the token's {what} holds a NUL byte"),
    )
}

/// The access token, to send as a bearer credential. Borrowed from `token`.
/// `M2M_INTERIOR_NUL` if it holds a NUL byte.
#[no_mangle]
pub extern "C" fn m2m_token_access_token(
    token: *const m2m_token,
    access_token_out: *mut *const c_char,
) -> m2m_result {
    get(token, access_token_out, "access_token_out", |t| {
        t.access_token
            .as_ref()
            .map(SecretCString::as_ptr)
            .ok_or_else(|| nul("access token"))
    })
}

/// The token type: `"Bearer"`, or `"DPoP"` for a token bound to the
/// client's DPoP key (normalized from any case). Borrowed from `token`.
#[no_mangle]
pub extern "C" fn m2m_token_token_type(
    token: *const m2m_token,
    token_type_out: *mut *const c_char,
) -> m2m_result {
    get(token, token_type_out, "token_type_out", |t| {
        t.token_type
            .as_ref()
            .map(|s| s.as_ptr())
            .ok_or_else(|| nul("token type"))
    })
}

/// The value for an HTTP `Authorization` header: `"Bearer <token>"`, or
/// `"DPoP <token>"` for a DPoP token (send it with a proof from
/// `m2m_client_dpop_proof`). Borrowed from `token`.
#[no_mangle]
pub extern "C" fn m2m_token_authorization_header(
    token: *const m2m_token,
    header_out: *mut *const c_char,
) -> m2m_result {
    get(token, header_out, "header_out", |t| {
        t.authorization_header
            .as_ref()
            .map(SecretCString::as_ptr)
            .ok_or_else(|| nul("authorization header"))
    })
}

/// Milliseconds since the Unix epoch (negative before it).
fn epoch_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Milliseconds until the token expires (0 once expired).
#[no_mangle]
pub extern "C" fn m2m_token_expires_in(
    token: *const m2m_token,
    milliseconds_out: *mut u64,
) -> m2m_result {
    get(token, milliseconds_out, "milliseconds_out", |t| {
        Ok(u64::try_from(t.token.expires_in().as_millis()).unwrap_or(u64::MAX))
    })
}

/// When the token expires, in milliseconds since the Unix epoch.
#[no_mangle]
pub extern "C" fn m2m_token_expires_at(
    token: *const m2m_token,
    unix_ms_out: *mut i64,
) -> m2m_result {
    get(token, unix_ms_out, "unix_ms_out", |t| {
        Ok(epoch_ms(t.token.expires_at()))
    })
}

/// When the engine starts refreshing the token in the background (its
/// refresh point: `refresh_ratio` of its lifetime), in milliseconds since
/// the Unix epoch. Until then `m2m_client_get_token` returns it without any
/// request; after, it is still returned while one request renews it.
#[no_mangle]
pub extern "C" fn m2m_token_refresh_at(
    token: *const m2m_token,
    unix_ms_out: *mut i64,
) -> m2m_result {
    get(token, unix_ms_out, "unix_ms_out", |t| {
        Ok(epoch_ms(t.token.refresh_at()))
    })
}

/// The granted scope (space-separated): the server's `scope`, or the
/// requested scopes when the server left it out. Writes NULL when there is
/// none. Borrowed from `token`.
#[no_mangle]
pub extern "C" fn m2m_token_scope(
    token: *const m2m_token,
    scope_out: *mut *const c_char,
) -> m2m_result {
    get(token, scope_out, "scope_out", |t| match &t.scope {
        Some(s) => Ok(s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())),
        None => Err(nul("scope")),
    })
}

/// A short SHA-256 fingerprint of the access token, safe to log. Borrowed
/// from `token`.
#[no_mangle]
pub extern "C" fn m2m_token_fingerprint(
    token: *const m2m_token,
    fingerprint_out: *mut *const c_char,
) -> m2m_result {
    get(token, fingerprint_out, "fingerprint_out", |t| {
        let f = t
            .fingerprint
            .get_or_init(|| CString::new(t.token.fingerprint()).unwrap_or_default());
        Ok(f.as_ptr())
    })
}

/// Every other field of the token response, as one JSON object (e.g.
/// `{"id_token":"..."}`, or `{}`). Borrowed from `token`.
#[no_mangle]
pub extern "C" fn m2m_token_extra(
    token: *const m2m_token,
    json_out: *mut *const c_char,
) -> m2m_result {
    get(token, json_out, "json_out", |t| {
        let json = t.extra_json.get_or_init(|| {
            // JSON text escapes NUL, so the conversion cannot fail.
            let s = serde_json::to_string(t.token.extra()).unwrap_or_else(|_| "{}".into());
            CString::new(s).unwrap_or_default()
        });
        Ok(CStr::as_ptr(json))
    })
}
