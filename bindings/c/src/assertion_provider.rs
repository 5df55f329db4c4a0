//! `m2m_client_options_set_client_assertion_provider`: a C callback that
//! supplies the client assertion of `private_key_jwt` (docs/design.md §1),
//! asked for every token request attempt, retries included. It hands the
//! assertion back through `m2m_assertion_sink_set` on a sink the library
//! owns (so no buffer size to guess, and the copy is the library's, in
//! memory that is zeroed when dropped).

use std::ffi::{c_char, c_int, c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use m2m_core::{AssertionProvider, AssertionRequest, ProviderError, Secret};
use m2m_core::{OptionValue, MAX_PROVIDED_ASSERTION_BYTES};

use crate::ffi::{guard, ref_arg};
use crate::options::m2m_client_options;
use crate::result::{m2m_result, Failure};

/// Where a `m2m_assertion_provider` puts the assertion: valid only during
/// the callback that received it; owned by the library.
pub struct m2m_assertion_sink {
    value: Option<Secret>,
}

/// Supplies a client assertion: `user_data` as given to
/// `m2m_client_options_set_client_assertion_provider`; `client_id`,
/// `audience` and `token_endpoint` (NUL-terminated, borrowed for the call)
/// are what the assertion must carry (`iss` = `sub` = `client_id`, `aud` =
/// `audience`; it is sent to `token_endpoint`). On success it calls
/// `m2m_assertion_sink_set(sink, ...)` and returns 0; any other value is a
/// failure (`M2M_CONFIG`, "client_assertion_provider failed: callback
/// returned N"), and no token request is sent.
pub type m2m_assertion_provider = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        client_id: *const c_char,
        audience: *const c_char,
        token_endpoint: *const c_char,
        sink: *mut m2m_assertion_sink,
    ) -> c_int,
>;

/// Frees a callback's `user_data` when the library no longer needs it.
pub type m2m_free_user_data = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The caller's `user_data` and its destructor, run once, when the last
/// options or client holding the provider is freed.
struct UserData {
    data: *mut c_void,
    free: m2m_free_user_data,
}

// SAFETY: the callback's contract: `user_data` may be used from any thread.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the caller's destructor for its own pointer; a panic
            // cannot cross it (it is C).
            unsafe { free(self.data) };
        }
    }
}

/// Sets `provider` as the source of client assertions (`private_key_jwt`,
/// which it makes the default `auth_method`; exactly one of a key, a ready
/// assertion, an assertion file or a provider). NULL `provider` is
/// `M2M_NULL_ARGUMENT`.
///
/// Threads: `provider` is called on a worker thread of the library's
/// blocking pool (never on the caller's thread, never holding a library
/// lock), for each attempt of each token request, possibly from several
/// threads at once: it and `user_data` must be thread-safe. It may block
/// (a KMS, an HSM, a vault); the request's `timeout` still bounds the
/// caller's wait. `free_user_data` (may be NULL) is called once with
/// `user_data` when these options and every client built from them are
/// freed, or when another provider replaces it; if this call fails, at
/// once.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_assertion_provider(
    options: *mut m2m_client_options,
    provider: m2m_assertion_provider,
    user_data: *mut c_void,
    free_user_data: m2m_free_user_data,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // Owned first, so the destructor runs on every failure path.
        let data = Arc::new(UserData {
            data: user_data,
            free: free_user_data,
        });
        // SAFETY: NULL or a live handle.
        let o = unsafe { ref_arg(options, "options") }?;
        let cb = provider.ok_or_else(|| Failure::null("provider"))?;
        let p = AssertionProvider::from_fn(move |request| {
            let data = data.clone();
            Box::pin(async move {
                let ask = move || catch_unwind(AssertUnwindSafe(|| ask(cb, &data, request)));
                match tokio::task::spawn_blocking(ask).await {
                    Ok(Ok(r)) => r,
                    _ => Err(ProviderError::invalid("panic")),
                }
            })
        });
        o.set_value("client_assertion_provider", OptionValue::Provider(p))
    })
}

type Callback = unsafe extern "C" fn(
    *mut c_void,
    *const c_char,
    *const c_char,
    *const c_char,
    *mut m2m_assertion_sink,
) -> c_int;

/// One call of the callback.
fn ask(cb: Callback, data: &UserData, r: AssertionRequest) -> Result<Secret, ProviderError> {
    let c = |s: String| CString::new(s).unwrap_or_default();
    let (id, aud, url) = (c(r.client_id), c(r.audience), c(r.token_endpoint));
    let mut sink = m2m_assertion_sink { value: None };
    // SAFETY: the caller's callback, with strings and a sink that live until
    // it returns.
    let code = unsafe {
        cb(
            data.data,
            id.as_ptr(),
            aud.as_ptr(),
            url.as_ptr(),
            &mut sink,
        )
    };
    match (code, sink.value) {
        (0, Some(v)) => Ok(v),
        (0, None) => Err(ProviderError::invalid(
            "the callback returned 0 without m2m_assertion_sink_set",
        )),
        (n, _) => Err(ProviderError::invalid(format!("callback returned {n}"))),
    }
}

/// Hands back the assertion from inside a `m2m_assertion_provider`: `len`
/// bytes at `assertion` (UTF-8; no NUL needed), copied (the caller keeps
/// ownership of its buffer). At most 16 KiB: longer is
/// `M2M_INVALID_ARGUMENT`. A second call replaces the first.
#[no_mangle]
pub extern "C" fn m2m_assertion_sink_set(
    sink: *mut m2m_assertion_sink,
    assertion: *const c_char,
    len: usize,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        if sink.is_null() {
            return Err(Failure::null("sink"));
        }
        if assertion.is_null() {
            return Err(Failure::null("assertion"));
        }
        if len > MAX_PROVIDED_ASSERTION_BYTES {
            return Err(Failure::invalid(format!(
                "an assertion of more than {MAX_PROVIDED_ASSERTION_BYTES} bytes"
            )));
        }
        // SAFETY: `len` readable bytes at `assertion`, per the contract.
        let bytes = unsafe { std::slice::from_raw_parts(assertion.cast::<u8>(), len) };
        let text = std::str::from_utf8(bytes).map_err(|_| Failure::utf8("assertion"))?;
        // SAFETY: a sink handed to the running callback (checked non-NULL).
        unsafe { (*sink).value = Some(Secret::new(text)) };
        Ok(())
    })
}
