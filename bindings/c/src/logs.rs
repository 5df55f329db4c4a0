//! The engine's log records, delivered to a C callback through the engine's
//! `m2m_auth::logs` sink (docs/design.md §8).

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use m2m_core::logs::{self, LogLevel, LogRecord};

use crate::error::text;
use crate::ffi::guard;
use crate::result::{m2m_result, Failure};

/// The severity of a log record, and the threshold of
/// `m2m_set_log_callback`: one of the `M2M_LOG_*` values.
pub type m2m_log_level = u32;

/// No records (as a threshold).
pub const M2M_LOG_OFF: m2m_log_level = 0;
/// A failure the caller sees.
pub const M2M_LOG_ERROR: m2m_log_level = 1;
/// Something wrong the engine worked around (e.g. a failed token request).
pub const M2M_LOG_WARN: m2m_log_level = 2;
/// A notable step (a token fetched, a refresh).
pub const M2M_LOG_INFO: m2m_log_level = 3;
/// Details of the engine's decisions.
pub const M2M_LOG_DEBUG: m2m_log_level = 4;
/// Everything.
pub const M2M_LOG_TRACE: m2m_log_level = 5;

/// Receives one log record: `user_data` as given to
/// `m2m_set_log_callback`, the record's level (`M2M_LOG_ERROR` ..
/// `M2M_LOG_TRACE`), its target (`"m2m_auth"` or `"m2m_auth::<part>"`) and
/// its message (the event, then ` name=value` per field). `target` and
/// `message` are NUL-terminated and borrowed: valid only during the call.
pub type m2m_log_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: m2m_log_level,
        target: *const c_char,
        message: *const c_char,
    ),
>;

/// The caller's `user_data`, handed back to its callback from any thread
/// (the caller's promise, see `m2m_set_log_callback`).
struct UserData(*mut c_void);

impl UserData {
    fn get(&self) -> *mut c_void {
        self.0
    }
}
// SAFETY: the callback's contract: it may be called from any thread.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

fn level_of(level: m2m_log_level) -> Result<Option<LogLevel>, Failure> {
    Ok(Some(match level {
        M2M_LOG_OFF => return Ok(None),
        M2M_LOG_ERROR => LogLevel::Error,
        M2M_LOG_WARN => LogLevel::Warn,
        M2M_LOG_INFO => LogLevel::Info,
        M2M_LOG_DEBUG => LogLevel::Debug,
        M2M_LOG_TRACE => LogLevel::Trace,
        _ => return Err(Failure::invalid(format!("unknown log level {level}"))),
    }))
}

/// Sends the engine's log records at `level` or more severe (`M2M_LOG_WARN`
/// is a good default; `M2M_LOG_OFF` for none) to `cb`, with `user_data`;
/// NULL `cb` stops delivery (records waiting are discarded). Replaces any
/// earlier callback; process-wide.
///
/// `cb` runs on the thread of the call that caused the record, before that
/// call returns, or, for background work (a refresh), on an engine thread
/// about 50 ms later; never inside an engine lock, so it may call this
/// library. It must not block long (it holds up the call, or the delivery of
/// later records) and must be thread-safe, as must `user_data`. Records
/// never hold a secret. Delivery goes through a `tracing` subscriber the
/// library installs on first use; if the application installed a global
/// `tracing` subscriber of its own first, none are delivered.
/// `M2M_INVALID_ARGUMENT` for an unknown level.
#[no_mangle]
pub extern "C" fn m2m_set_log_callback(
    cb: m2m_log_callback,
    user_data: *mut c_void,
    level: m2m_log_level,
) -> m2m_result {
    guard(std::ptr::null_mut(), || {
        let level = level_of(level)?;
        let Some(cb) = cb else {
            logs::set_sink(None);
            return Ok(());
        };
        let user_data = UserData(user_data);
        let sink = move |records: &[LogRecord]| {
            for r in records {
                let target = CString::new(r.target.as_str()).unwrap_or_default();
                let message = text(&r.message);
                // SAFETY: the caller's callback, with strings that live
                // until it returns.
                unsafe {
                    cb(
                        user_data.get(),
                        r.level as u32,
                        target.as_ptr(),
                        message.as_ptr(),
                    )
                };
            }
        };
        logs::set_level(level);
        logs::set_sink(Some(Arc::new(sink)));
        Ok(())
    })
}
