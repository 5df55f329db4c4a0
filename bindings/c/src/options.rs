//! `m2m_client_options`: what a client is built from (docs/design.md §1). The setters
//! only store values; `m2m_client_new` validates them all (in the core) and
//! reports the first problem as `M2M_CONFIG`.

use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

use m2m_core::{RetryPolicy, TokenClientBuilder};

use crate::error::{m2m_result, Failure};
use crate::ffi::{guard, guard_void, out_arg, ref_arg, str_arg, write_out};

/// Options for `m2m_client_new`. Create with `m2m_client_options_new`, fill
/// with the `m2m_client_options_set_*` functions, free with
/// `m2m_client_options_free` (the client keeps its own copy). Thread-safe.
/// The client secret is held in memory that is zeroed when freed.
pub struct m2m_client_options {
    inner: Mutex<Options>,
}

#[derive(Clone, Default)]
struct Options {
    builder: TokenClientBuilder,
    resources: Option<Vec<String>>,
    retry: Option<RetryPolicy>,
}

impl m2m_client_options {
    /// The builder of the client these options describe.
    pub(crate) fn builder(&self) -> TokenClientBuilder {
        let o = self.lock().clone();
        let mut b = o.builder.binding("c");
        if let Some(r) = o.resources {
            b = b.resource(r);
        }
        if let Some(p) = o.retry {
            b = b.retry_policy(p);
        }
        b
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Options> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with(&self, f: impl FnOnce(&mut Options)) {
        f(&mut self.lock());
    }

    fn with_builder(&self, f: impl FnOnce(TokenClientBuilder) -> TokenClientBuilder) {
        self.with(|o| o.builder = f(std::mem::take(&mut o.builder)));
    }

    fn with_retry(&self, f: impl FnOnce(&mut RetryPolicy)) {
        self.with(|o| f(o.retry.get_or_insert_with(RetryPolicy::default)));
    }
}

/// Creates empty options.
#[no_mangle]
pub extern "C" fn m2m_client_options_new(options_out: *mut *mut m2m_client_options) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        out_arg(options_out, "options_out")?;
        let o = Box::new(m2m_client_options {
            inner: Mutex::new(Options::default()),
        });
        write_out(options_out, Box::into_raw(o));
        Ok(())
    })
}

/// Frees options (zeroing the secret). NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_client_options_free(options: *mut m2m_client_options) {
    guard_void(|| {
        if !options.is_null() {
            // SAFETY: a handle from `m2m_client_options_new`, freed once.
            drop(unsafe { Box::from_raw(options) });
        }
    })
}

/// A setter taking one string.
fn set_str(
    options: *mut m2m_client_options,
    value: *const c_char,
    name: &str,
    f: impl FnOnce(&m2m_client_options, &str),
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle / NUL-terminated string.
        let o = unsafe { ref_arg(options, "options") }?;
        let v = unsafe { str_arg(value, name) }?;
        f(o, v);
        Ok(())
    })
}

/// A setter taking no pointer but the handle.
fn set_val(options: *mut m2m_client_options, f: impl FnOnce(&m2m_client_options)) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let o = unsafe { ref_arg(options, "options") }?;
        f(o);
        Ok(())
    })
}

/// The token endpoint URL, e.g. `"https://tenant.auth0.com/oauth/token"`.
/// Exactly one of token_url, domain and issuer must be set.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_token_url(
    options: *mut m2m_client_options,
    token_url: *const c_char,
) -> m2m_result {
    set_str(options, token_url, "token_url", |o, v| {
        o.with_builder(|b| b.token_url(v))
    })
}

/// An Auth0-style domain: the token endpoint is `https://{domain}/oauth/token`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_domain(
    options: *mut m2m_client_options,
    domain: *const c_char,
) -> m2m_result {
    set_str(options, domain, "domain", |o, v| {
        o.with_builder(|b| b.domain(v))
    })
}

/// An issuer: the token endpoint is discovered from its metadata (OpenID
/// Connect Discovery, then RFC 8414), once, on first use.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_issuer(
    options: *mut m2m_client_options,
    issuer: *const c_char,
) -> m2m_result {
    set_str(options, issuer, "issuer", |o, v| {
        o.with_builder(|b| b.issuer(v))
    })
}

/// The client id (required).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_id(
    options: *mut m2m_client_options,
    client_id: *const c_char,
) -> m2m_result {
    set_str(options, client_id, "client_id", |o, v| {
        o.with_builder(|b| b.client_id(v))
    })
}

/// The client secret (required). Copied into memory that is zeroed when the
/// options and the client are freed; it never appears in any error message.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_secret(
    options: *mut m2m_client_options,
    client_secret: *const c_char,
) -> m2m_result {
    set_str(options, client_secret, "client_secret", |o, v| {
        o.with_builder(|b| b.client_secret(v))
    })
}

/// The client authentication method: `"client_secret_post"` (the default)
/// or `"client_secret_basic"`. Another name fails at `m2m_client_new`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_auth_method(
    options: *mut m2m_client_options,
    auth_method: *const c_char,
) -> m2m_result {
    set_str(options, auth_method, "auth_method", |o, v| {
        o.with_builder(|b| b.auth_method_name(v))
    })
}

/// The default audience (the API's identifier).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_audience(
    options: *mut m2m_client_options,
    audience: *const c_char,
) -> m2m_result {
    set_str(options, audience, "audience", |o, v| {
        o.with_builder(|b| b.audience(v))
    })
}

/// The default scopes, space-separated (e.g. `"read:data write:data"`).
/// Replaces any earlier value.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_scope(
    options: *mut m2m_client_options,
    scope: *const c_char,
) -> m2m_result {
    set_str(options, scope, "scope", |o, v| {
        o.with_builder(|b| b.scope([v]))
    })
}

/// The default organization (Auth0 organization id or name).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_organization(
    options: *mut m2m_client_options,
    organization: *const c_char,
) -> m2m_result {
    set_str(options, organization, "organization", |o, v| {
        o.with_builder(|b| b.organization(v))
    })
}

/// Adds a default RFC 8707 resource indicator (an absolute URI).
#[no_mangle]
pub extern "C" fn m2m_client_options_add_resource(
    options: *mut m2m_client_options,
    resource: *const c_char,
) -> m2m_result {
    set_str(options, resource, "resource", |o, v| {
        o.with(|o| o.resources.get_or_insert_with(Vec::new).push(v.to_string()))
    })
}

/// Sets a default extra form parameter sent with every token request.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_extra(
    options: *mut m2m_client_options,
    name: *const c_char,
    value: *const c_char,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle / NUL-terminated strings.
        let o = unsafe { ref_arg(options, "options") }?;
        let n = unsafe { str_arg(name, "name") }?;
        let v = unsafe { str_arg(value, "value") }?;
        o.with_builder(|b| b.extra(n, v));
        Ok(())
    })
}

/// The token cache: `"memory"` (the default, process-wide), or a shared
/// store spelled as in every language (`"file:/dir"`,
/// `"redis://host:port/db"`). One this engine does not support fails at
/// `m2m_client_new` with `M2M_CONFIG`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_cache(
    options: *mut m2m_client_options,
    cache: *const c_char,
) -> m2m_result {
    set_str(options, cache, "cache", |o, v| {
        o.with_builder(|b| b.cache(v))
    })
}

/// Connection timeout in milliseconds [10000]; 0 fails at `m2m_client_new`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_connect_timeout_ms(
    options: *mut m2m_client_options,
    ms: u64,
) -> m2m_result {
    set_val(options, |o| {
        o.with_builder(|b| b.connect_timeout(Duration::from_millis(ms)))
    })
}

/// Deadline of one token request, retries included, in milliseconds
/// [30000]; 0 fails at `m2m_client_new`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_timeout_ms(
    options: *mut m2m_client_options,
    ms: u64,
) -> m2m_result {
    set_val(options, |o| {
        o.with_builder(|b| b.timeout(Duration::from_millis(ms)))
    })
}

/// A token is usable until its expiry minus this leeway, in milliseconds
/// [60000; never more than half the token's lifetime].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_leeway_ms(
    options: *mut m2m_client_options,
    ms: u64,
) -> m2m_result {
    set_val(options, |o| {
        o.with_builder(|b| b.leeway(Duration::from_millis(ms)))
    })
}

/// The fraction of a token's lifetime after which it is refreshed in the
/// background [0.75]; must be in (0, 1].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_refresh_ratio(
    options: *mut m2m_client_options,
    ratio: f64,
) -> m2m_result {
    set_val(options, |o| o.with_builder(|b| b.refresh_ratio(ratio)))
}

/// Lifetime assumed when a token response has no `expires_in`, in seconds
/// [600].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_default_expires_in_s(
    options: *mut m2m_client_options,
    seconds: u64,
) -> m2m_result {
    set_val(options, |o| {
        o.with_builder(|b| b.default_expires_in(Duration::from_secs(seconds)))
    })
}

/// Largest token response body read, in bytes [1 MiB; at least 1024].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_max_response_bytes(
    options: *mut m2m_client_options,
    bytes: usize,
) -> m2m_result {
    set_val(options, |o| o.with_builder(|b| b.max_response_bytes(bytes)))
}

/// Attempts per token request, the first included [3]; 0 fails at
/// `m2m_client_new`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_retry_max_attempts(
    options: *mut m2m_client_options,
    attempts: u32,
) -> m2m_result {
    set_val(options, |o| o.with_retry(|r| r.max_attempts = attempts))
}

/// Backoff before the second attempt, doubled for each later one, in
/// milliseconds [1000].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_retry_base_delay_ms(
    options: *mut m2m_client_options,
    ms: u64,
) -> m2m_result {
    set_val(options, |o| {
        o.with_retry(|r| r.base_delay = Duration::from_millis(ms))
    })
}

/// Longest backoff between two attempts, in milliseconds [30000].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_retry_max_delay_ms(
    options: *mut m2m_client_options,
    ms: u64,
) -> m2m_result {
    set_val(options, |o| {
        o.with_retry(|r| r.max_delay = Duration::from_millis(ms))
    })
}

/// How long a key is throttled after a 429/5xx without `Retry-After` once
/// the attempts are spent, in milliseconds [5000].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_retry_default_throttle_ms(
    options: *mut m2m_client_options,
    ms: u64,
) -> m2m_result {
    set_val(options, |o| {
        o.with_retry(|r| r.default_throttle = Duration::from_millis(ms))
    })
}

/// Cap on any `Retry-After` the server asks for, in seconds [3600].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_retry_max_retry_after_s(
    options: *mut m2m_client_options,
    seconds: u64,
) -> m2m_result {
    set_val(options, |o| {
        o.with_retry(|r| r.max_retry_after = Duration::from_secs(seconds))
    })
}

/// Trusts these PEM certificates in addition to the OS trust store.
#[no_mangle]
pub extern "C" fn m2m_client_options_add_root_certificate_pem(
    options: *mut m2m_client_options,
    pem: *const u8,
    pem_len: usize,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let o = unsafe { ref_arg(options, "options") }?;
        if pem.is_null() {
            return Err(Failure::null("pem"));
        }
        // SAFETY: `pem` points to `pem_len` readable bytes.
        let bytes = unsafe { std::slice::from_raw_parts(pem, pem_len) }.to_vec();
        o.with_builder(|b| b.add_root_certificate_pem(bytes));
        Ok(())
    })
}

/// Sends token requests through this proxy instead of the one the
/// environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_proxy(
    options: *mut m2m_client_options,
    proxy_url: *const c_char,
) -> m2m_result {
    set_str(options, proxy_url, "proxy_url", |o, v| {
        o.with_builder(|b| b.proxy(v))
    })
}

/// Uses no proxy, whatever the environment says.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_no_proxy(options: *mut m2m_client_options) -> m2m_result {
    set_val(options, |o| o.with_builder(|b| b.no_proxy()))
}

/// Bound of the in-memory cache in keys [10000]; a client with another
/// bound gets a cache of its own.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_max_cache_keys(
    options: *mut m2m_client_options,
    keys: usize,
) -> m2m_result {
    set_val(options, |o| o.with_builder(|b| b.max_cache_keys(keys)))
}

/// Sets every option that an `M2M_AUTH_*` environment variable gives
/// (`M2M_AUTH_TOKEN_URL` | `M2M_AUTH_DOMAIN` | `M2M_AUTH_ISSUER`,
/// `M2M_AUTH_CLIENT_ID`, `M2M_AUTH_CLIENT_SECRET`, `M2M_AUTH_AUTH_METHOD`,
/// `M2M_AUTH_AUDIENCE`, `M2M_AUTH_SCOPE`, `M2M_AUTH_ORGANIZATION`,
/// `M2M_AUTH_CACHE`), over what was set before.
#[no_mangle]
pub extern "C" fn m2m_client_options_load_env(options: *mut m2m_client_options) -> m2m_result {
    set_val(options, |o| o.with_builder(|b| b.from_env()))
}
