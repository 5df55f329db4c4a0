//! `m2m_stats`: a snapshot of a client's counters, behind an opaque handle
//! so that a counter added to the engine is one more getter, never a
//! change of layout. One getter per stat of the surface's declaration
//! (`m2m_auth::surface::STATS`), each a call into [`stat`].

use m2m_core::Stats;

use crate::client::m2m_client;
use crate::ffi::{guard, guard_value, guard_void, out_arg, ref_arg, write_out};
use crate::result::m2m_result;

/// A snapshot of a client's counters, from `m2m_client_stats`; read with
/// the `m2m_stats_<name>` getters, free with `m2m_stats_free`. Immutable.
/// The counters are the client's over its whole life; in a child made by
/// `fork()`, the parent's counters at the fork plus the child's own.
pub struct m2m_stats {
    stats: Stats,
}

/// Takes a snapshot of `client`'s counters.
#[no_mangle]
pub extern "C" fn m2m_client_stats(
    client: *const m2m_client,
    stats_out: *mut *mut m2m_stats,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let c = unsafe { ref_arg(client, "client") }?;
        out_arg(stats_out, "stats_out")?;
        let stats = c.engine().stats();
        write_out(stats_out, Box::into_raw(Box::new(m2m_stats { stats })));
        Ok(())
    })
}

/// The counter `name` of `stats`; 0 for NULL.
fn stat(stats: *const m2m_stats, name: &str) -> u64 {
    guard_value(0, || {
        // SAFETY: NULL or a live handle.
        unsafe { stats.as_ref() }
            .and_then(|s| s.stats.get(name))
            .unwrap_or(0)
    })
}

/// Calls answered from the cache (fresh, or usable while refreshing).
#[no_mangle]
pub extern "C" fn m2m_stats_hits(stats: *const m2m_stats) -> u64 {
    stat(stats, "hits")
}

/// Calls that waited for a token request (their own or a shared one).
#[no_mangle]
pub extern "C" fn m2m_stats_misses(stats: *const m2m_stats) -> u64 {
    stat(stats, "misses")
}

/// Token requests this client made (each may take several attempts).
#[no_mangle]
pub extern "C" fn m2m_stats_fetches(stats: *const m2m_stats) -> u64 {
    stat(stats, "fetches")
}

/// Of those, background refreshes of a still-usable token.
#[no_mangle]
pub extern "C" fn m2m_stats_refreshes(stats: *const m2m_stats) -> u64 {
    stat(stats, "refreshes")
}

/// Token requests that ended in an error.
#[no_mangle]
pub extern "C" fn m2m_stats_failures(stats: *const m2m_stats) -> u64 {
    stat(stats, "failures")
}

/// Tokens taken from the shared cache (another process fetched them).
#[no_mangle]
pub extern "C" fn m2m_stats_shared_hits(stats: *const m2m_stats) -> u64 {
    stat(stats, "shared_hits")
}

/// Shared cache operations that failed (the call went on without it).
#[no_mangle]
pub extern "C" fn m2m_stats_store_errors(stats: *const m2m_stats) -> u64 {
    stat(stats, "store_errors")
}

/// Calls refused as throttled without a request (`Retry-After`, rate limit
/// or exhausted quota).
#[no_mangle]
pub extern "C" fn m2m_stats_throttles(stats: *const m2m_stats) -> u64 {
    stat(stats, "throttles")
}

/// The lowest remaining token quota over the current buckets; `UINT64_MAX`
/// when the server reports none (or for NULL).
#[no_mangle]
pub extern "C" fn m2m_stats_quota_remaining(stats: *const m2m_stats) -> u64 {
    guard_value(u64::MAX, || {
        // SAFETY: NULL or a live handle.
        unsafe { stats.as_ref() }
            .and_then(|s| s.stats.quota_remaining)
            .unwrap_or(u64::MAX)
    })
}

/// Frees a stats snapshot. NULL does nothing.
#[no_mangle]
pub extern "C" fn m2m_stats_free(stats: *mut m2m_stats) {
    guard_void(|| {
        if !stats.is_null() {
            // SAFETY: a handle from `m2m_client_stats`, freed once.
            drop(unsafe { Box::from_raw(stats) });
        }
    })
}
