//! Telemetry glue (docs/design.md §12): core's token request records fed to
//! one process-wide JS function (`node/lib/telemetry.js`, which makes
//! OpenTelemetry spans and metrics of them when `@opentelemetry/api` can be
//! required) through a napi threadsafe function (`deliver.rs`, as for log
//! records: non-blocking, unref'd), delivered outside every engine lock.

use std::time::UNIX_EPOCH;

use m2m_auth::telemetry::{self, TokenRequestRecord};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::deliver::js_sink;

/// A batch of records on its way to JS: an array of `[endpoint, clientId,
/// keyFingerprint, attempts, outcome, status, startMs, endMs, background]`
/// (`status` null when no response came; times in ms since the epoch,
/// fractional). Arrays, not objects: naming nine properties per record
/// (each name hashed and interned, a map transition each) was ~17 µs of a
/// cold token request on the JS thread (issue #17).
pub struct Batch(Vec<TokenRequestRecord>);

impl ToNapiValue for Batch {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let mut list = env.create_array(val.0.len() as u32)?;
        for (i, r) in val.0.into_iter().enumerate() {
            let start = r
                .started_at
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64()
                * 1000.0;
            let mut rec = env.create_array(9)?;
            rec.set(0, r.endpoint)?;
            rec.set(1, r.client_id)?;
            rec.set(2, r.key_fingerprint)?;
            rec.set(3, r.attempts)?;
            rec.set(4, r.outcome)?;
            rec.set(5, r.status.map(u32::from))?;
            rec.set(6, start)?;
            rec.set(7, start + r.duration.as_secs_f64() * 1000.0)?;
            rec.set(8, r.background)?;
            list.set(i as u32, rec)?;
        }
        // SAFETY: the array was created in this environment.
        unsafe { Array::to_napi_value(raw_env, list) }
    }
}

/// Sends every token request record to `dispatch` (a JS function taking an
/// array of records), or none when `dispatch` is `null`. Process-wide.
#[napi(skip_typescript)]
pub fn telemetry_set(dispatch: Option<Function<'_, Batch, Unknown<'static>>>) -> Result<()> {
    let Some(dispatch) = dispatch else {
        telemetry::set_sink(None);
        return Ok(());
    };
    telemetry::set_sink(Some(js_sink(dispatch, Batch)?));
    Ok(())
}

/// The OpenTelemetry names (core's `telemetry::names::NAMES`), so that
/// `node/lib/telemetry.js` holds no copy of them: `{ scope, span,
/// attributes, metrics }`, `metrics` as `[name, kind, stat]` (the stat
/// snake_case, as core names it).
#[napi(object)]
pub struct TelemetryNames {
    /// The instrumentation scope.
    pub scope: String,
    /// The span's name.
    pub span: String,
    /// The span's attributes, in core's order.
    pub attributes: Vec<String>,
    /// Every metric as `[name, kind, stat]`.
    pub metrics: Vec<Vec<String>>,
}

/// Core's OpenTelemetry names.
#[napi(skip_typescript)]
pub fn telemetry_names() -> TelemetryNames {
    let n = &telemetry::names::NAMES;
    TelemetryNames {
        scope: n.scope.into(),
        span: n.span.into(),
        attributes: n.attributes.iter().map(|a| a.to_string()).collect(),
        metrics: n
            .metrics
            .iter()
            .map(|(name, kind, stat)| vec![name.to_string(), kind.to_string(), stat.to_string()])
            .collect(),
    }
}
