//! Engine values on their way to JS, converted on the JS thread: tokens,
//! stats, quota buckets, API responses. Durations and instants in milliseconds.

use std::time::{SystemTime, UNIX_EPOCH};

use m2m_auth::surface::camel_case;
use m2m_auth::{ApiResponse, QuotaBucket, Stats, Token};
use napi::bindgen_prelude::*;
use napi::sys;

/// Milliseconds since the epoch, rounded down (so a deadline compared with
/// `Date.now()` is never passed late).
pub(crate) fn epoch_ms(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// An engine token: `node/lib/token.js` wraps it in a `Token`. An array
/// `[accessToken, authorizationHeader, tokenType, expiresAt, refreshAt,
/// scope, extra, fingerprint]`, the slots `Token`'s constructor reads:
/// building an object property by property hashed and interned each name
/// and moved the object through a map per property, ~60 % of the
/// conversion (issue #17). `extra` is `null` when the response had no other
/// field.
pub struct TokenOut(pub(crate) Token);

impl ToNapiValue for TokenOut {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let t = &val.0;
        let mut out = env.create_array(8)?;
        out.set(0, t.access_token())?;
        out.set(1, t.authorization_header())?;
        out.set(2, t.token_type())?;
        out.set(3, epoch_ms(t.expires_at()))?;
        out.set(4, epoch_ms(t.refresh_at()))?;
        out.set(5, t.scope())?;
        let extra = t.extra();
        if extra.is_empty() {
            out.set(6, Null)?;
        } else {
            out.set(6, serde_json::Value::Object(extra.clone()))?;
        }
        out.set(7, t.fingerprint())?;
        Ok(out.raw())
    }
}

/// A client's counters: every `surface::STATS` item by its JS name.
pub struct StatsOut(pub(crate) Stats);

impl ToNapiValue for StatsOut {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let mut obj = Object::new(&env)?;
        for (name, n) in val.0.fields() {
            // An absent reading (quotaRemaining) is null.
            obj.set(camel_case(name), n.map(|n| n as f64))?;
        }
        Ok(obj.raw())
    }
}

/// A client's token quota: `[{ scope, bucket, quota, remaining, resetAt }]`
/// (`resetAt` in ms since the epoch, as a token's instants).
pub struct QuotaOut(pub(crate) Vec<QuotaBucket>);

impl ToNapiValue for QuotaOut {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let mut list = env.create_array(val.0.len() as u32)?;
        for (i, b) in val.0.iter().enumerate() {
            let mut obj = Object::new(&env)?;
            obj.set("scope", b.scope)?;
            obj.set("bucket", b.bucket)?;
            obj.set("quota", b.quota as f64)?;
            obj.set("remaining", b.remaining as f64)?;
            obj.set("resetAt", epoch_ms(b.reset_at))?;
            list.set(i as u32, obj)?;
        }
        Ok(list.coerce_to_object()?.raw())
    }
}

/// An API's answer: `[status, [name, value, name, value, ...], body]`,
/// which `node/lib/api.js` makes an `ApiResponse` of (an array for the
/// token's reason, TokenOut). The body is copied into a V8 buffer below
/// 64 KiB (an external one costs a finalizer per response), handed over
/// above.
pub struct ApiOut(pub(crate) ApiResponse);

/// Bodies up to this size are copied into JS memory rather than lent.
const COPY_BODY_BELOW: usize = 64 * 1024;

impl ToNapiValue for ApiOut {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let r = val.0;
        let mut out = env.create_array(3)?;
        out.set(0, r.status)?;
        let mut pairs = env.create_array((r.headers.len() * 2) as u32)?;
        for (i, (name, value)) in r.headers.into_iter().enumerate() {
            pairs.set((2 * i) as u32, name)?;
            pairs.set((2 * i + 1) as u32, value)?;
        }
        out.set(1, pairs)?;
        if r.body.len() < COPY_BODY_BELOW {
            out.set(2, BufferSlice::copy_from(&env, &r.body)?)?;
        } else {
            out.set(2, Buffer::from(r.body))?;
        }
        Ok(out.raw())
    }
}
