//! `m2m_client`: the token client (docs/design.md §2–§5, all in the core).

use std::sync::Mutex;

use m2m_core::{TokenClient, TokenClientBuilder, TokenRequest};

use crate::error::{m2m_error, m2m_result, Failure};
use crate::ffi::{guard, guard_void, out_arg, ref_arg, write_out};
use crate::options::m2m_client_options;
use crate::request::{m2m_request, DEFAULT_REQUEST};
use crate::runtime::block_on;
use crate::token::{handle, hot_handle, m2m_token};

/// A token client. Thread-safe: share one handle between threads. Clients
/// built with the same endpoint, credentials and parameters share cached
/// tokens and in-flight requests process-wide. Calls that need the network
/// block the calling thread. Free with `m2m_client_free` once no call is
/// using it. Usable in a child after `fork()`: the child's network calls go
/// through connections of its own.
pub struct m2m_client {
    client: TokenClient,
    pid: u32,
    /// To build the client anew in a forked child (holds the secret, zeroed
    /// when dropped).
    builder: TokenClientBuilder,
    forked: Mutex<Option<(u32, TokenClient)>>,
}

impl m2m_client {
    fn new(builder: TokenClientBuilder) -> Result<m2m_client, Failure> {
        Ok(m2m_client {
            client: builder.clone().build()?,
            pid: std::process::id(),
            builder,
            forked: Mutex::new(None),
        })
    }

    /// The client for a call that may do I/O. In a forked child, one built
    /// anew there: the parent's pooled connections belong to the parent's
    /// runtime, which does not run in the child. (The fast path needs no I/O
    /// and uses `self.client` everywhere.)
    pub(crate) fn for_io(&self) -> Result<TokenClient, Failure> {
        let pid = std::process::id();
        if pid == self.pid {
            return Ok(self.client.clone());
        }
        let mut forked = self.forked.lock().unwrap_or_else(|p| p.into_inner());
        match &*forked {
            Some((owner, c)) if *owner == pid => Ok(c.clone()),
            _ => {
                let c = self.builder.clone().build()?;
                *forked = Some((pid, c.clone()));
                Ok(c)
            }
        }
    }
}

/// A client's counters (`m2m_client_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct m2m_stats {
    /// Calls answered from the cache (fresh, or usable while refreshing).
    pub hits: u64,
    /// Calls that waited for a token request (their own or a shared one).
    pub misses: u64,
    /// Token requests this client made (each may take several attempts).
    pub fetches: u64,
    /// Of those, background refreshes of a still-usable token.
    pub refreshes: u64,
    /// Token requests that ended in an error.
    pub failures: u64,
}

fn new_client(
    builder: TokenClientBuilder,
    client_out: *mut *mut m2m_client,
) -> Result<(), Failure> {
    let client = m2m_client::new(builder)?;
    write_out(client_out, Box::into_raw(Box::new(client)));
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
        let o = unsafe { ref_arg(options, "options") }?;
        out_arg(client_out, "client_out")?;
        new_client(o.builder(), client_out)
    })
}

/// Builds a client from the `M2M_AUTH_*` environment variables (see
/// `m2m_client_options_load_env`).
#[no_mangle]
pub extern "C" fn m2m_client_from_env(
    client_out: *mut *mut m2m_client,
    err_out: *mut *mut m2m_error,
) -> m2m_result {
    guard(err_out, || {
        out_arg(client_out, "client_out")?;
        new_client(
            TokenClientBuilder::default().from_env().binding("c"),
            client_out,
        )
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
        Some(r) => f(&r.read()),
    }
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
        let r = with_request(request, TokenRequest::clone);
        let token = block_on(c.for_io()?.get_token(&r))??;
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
        let r = with_request(request, TokenRequest::clone);
        let token = block_on(c.for_io()?.fetch_token(&r))??;
        write_out(token_out, handle(token));
        Ok(())
    })
}

/// Drops the cached token for `request` (NULL: the client's defaults), e.g.
/// after an API answered 401 with it; the next call fetches a new one.
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
        if let Some((_, child)) = &*c.forked.lock().unwrap_or_else(|p| p.into_inner()) {
            with_request(request, |r| child.invalidate(r))?;
        }
        Ok(())
    })
}

/// This client's counters.
#[no_mangle]
pub extern "C" fn m2m_client_stats(
    client: *const m2m_client,
    stats_out: *mut m2m_stats,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let c = unsafe { ref_arg(client, "client") }?;
        out_arg(stats_out, "stats_out")?;
        let s = c.for_io()?.stats();
        write_out(
            stats_out,
            m2m_stats {
                hits: s.hits,
                misses: s.misses,
                fetches: s.fetches,
                refreshes: s.refreshes,
                failures: s.failures,
            },
        );
        Ok(())
    })
}
