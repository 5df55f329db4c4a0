//! `m2m_client_quota_count` / `m2m_client_quota_bucket`: the token quota
//! the endpoint last reported (docs/design.md §5, "Token quotas"), one
//! bucket at a time into a plain struct of the caller's.

use std::ffi::c_char;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::client::m2m_client;
use crate::ffi::{guard, guard_value, out_arg, ref_arg, write_out};
use crate::result::{m2m_result, Failure};

/// One token quota bucket as the token endpoint last reported it, filled by
/// `m2m_client_quota_bucket`. The strings are static: never free them.
#[repr(C)]
pub struct m2m_quota_bucket {
    /// Whose quota: `"client"` or `"organization"`.
    pub scope: *const c_char,
    /// Which window: `"per_hour"` or `"per_day"`.
    pub bucket: *const c_char,
    /// Tokens allowed in the window.
    pub quota: u64,
    /// Tokens left in the window when the response came.
    pub remaining: u64,
    /// When the window resets, in milliseconds since the Unix epoch.
    pub reset_at: i64,
}

/// The engine's words as static C strings.
fn word(w: &str) -> *const c_char {
    match w {
        "client" => c"client".as_ptr(),
        "organization" => c"organization".as_ptr(),
        "per_hour" => c"per_hour".as_ptr(),
        "per_day" => c"per_day".as_ptr(),
        _ => c"".as_ptr(),
    }
}

fn epoch_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// How many quota buckets `client`'s token endpoint last reported (those
/// not yet reset; Auth0's `Auth0-Client-Quota-Limit` and
/// `Auth0-Organization-Quota-Limit` headers); 0 for none, or NULL.
#[no_mangle]
pub extern "C" fn m2m_client_quota_count(client: *const m2m_client) -> usize {
    guard_value(0, || {
        // SAFETY: NULL or a live handle.
        unsafe { client.as_ref() }.map_or(0, |c| c.engine().quota().len())
    })
}

/// Fills `*bucket_out` with quota bucket `index` (from 0, below
/// `m2m_client_quota_count`). M2M_NOT_FOUND when there is no such bucket
/// (a response since the count may have changed them).
#[no_mangle]
pub extern "C" fn m2m_client_quota_bucket(
    client: *const m2m_client,
    index: usize,
    bucket_out: *mut m2m_quota_bucket,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live handle.
        let c = unsafe { ref_arg(client, "client") }?;
        out_arg(bucket_out, "bucket_out")?;
        let buckets = c.engine().quota();
        let b = buckets
            .get(index)
            .ok_or_else(|| Failure::new(m2m_result::M2M_NOT_FOUND, "no such quota bucket"))?;
        write_out(
            bucket_out,
            m2m_quota_bucket {
                scope: word(b.scope),
                bucket: word(b.bucket),
                quota: b.quota,
                remaining: b.remaining,
                reset_at: epoch_ms(b.reset_at),
            },
        );
        Ok(())
    })
}
