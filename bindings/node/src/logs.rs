//! Engine logs in Node: core's `m2m_auth::logs` sink feeds one process-wide
//! JS function (installed by `setLogger` in `node/lib/logger.js`) through a
//! napi threadsafe function (`deliver.rs`: non-blocking, unref'd). Records
//! carry no secrets (core's rule).

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use m2m_auth::logs::{self, LogLevel, LogRecord};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::deliver::js_sink;
use crate::errors::config_error;

/// A sink is installed: binding calls flush the queue when they end.
static ON: AtomicBool = AtomicBool::new(false);

/// Delivers the records queued so far (if a logger is set), so that a
/// caller's records are on their way before its call settles.
pub(crate) fn flush() {
    if ON.load(Ordering::Relaxed) {
        logs::flush();
    }
    // Token request records follow the same rule (telemetry.rs); a no-op
    // without a sink.
    m2m_auth::telemetry::flush();
}

/// A batch of records on its way to JS: an array of
/// `{ level, target, message, file, line }`.
pub struct Batch(Vec<LogRecord>);

impl ToNapiValue for Batch {
    unsafe fn to_napi_value(raw_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let mut list = env.create_array(val.0.len() as u32)?;
        for (i, r) in val.0.into_iter().enumerate() {
            let mut obj = Object::new(&env)?;
            obj.set("level", r.level.as_str())?;
            obj.set("target", r.target)?;
            obj.set("message", r.message)?;
            obj.set("file", r.file)?;
            obj.set("line", r.line)?;
            list.set(i as u32, obj)?;
        }
        // SAFETY: the array was created in this environment.
        unsafe { Array::to_napi_value(raw_env, list) }
    }
}

/// Sends every engine record at `level` or above to `dispatch` (a JS
/// function taking an array of records), or none when `dispatch` is
/// `null`. Process-wide: the last call, from any thread, wins.
#[napi(skip_typescript)]
pub fn logs_set(
    dispatch: Option<Function<'_, Batch, Unknown<'static>>>,
    level: Option<String>,
) -> Result<()> {
    let level = match level {
        None => LogLevel::Warn,
        Some(l) => LogLevel::from_str(&l).map_err(config_error)?,
    };
    let Some(dispatch) = dispatch else {
        ON.store(false, Ordering::Relaxed);
        logs::set_sink(None);
        return Ok(());
    };
    let sink = js_sink(dispatch, Batch)?;
    logs::set_level(Some(level));
    logs::set_sink(Some(sink));
    ON.store(true, Ordering::Relaxed);
    Ok(())
}
