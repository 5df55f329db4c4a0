//! The cache epoch of a client's default request as shared memory: a
//! `Uint32Array` of length 1 over the engine's epoch word
//! (`CacheEpoch::as_atomic`), which the JS fast path reads
//! (`node/lib/client.js`). The array's backing store is an
//! external `ArrayBuffer` whose finalizer drops the `CacheEpoch`, so the
//! word lives exactly as long as JS can read it.

use m2m_auth::CacheEpoch;
use napi::bindgen_prelude::*;
use napi::sys;

/// A raw JS value.
pub struct Raw(sys::napi_value);

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// Drops the `CacheEpoch` an external `ArrayBuffer` was created over.
unsafe extern "C" fn release(
    _env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    // SAFETY: `hint` is the `Box<CacheEpoch>` leaked by `shared_epoch`, and
    // N-API calls this finalizer once.
    drop(unsafe { Box::from_raw(hint.cast::<CacheEpoch>()) });
}

/// A `Uint32Array` over `epoch`'s word, or `None` where the runtime allows
/// no external buffers (the JS side then keeps no copy of tokens).
pub(crate) fn shared_epoch(env: &Env, epoch: CacheEpoch) -> Option<Raw> {
    let boxed = Box::new(epoch);
    let word = boxed.as_atomic().as_ptr();
    let hint = Box::into_raw(boxed);
    let mut buffer = std::ptr::null_mut();
    // SAFETY: `word` is 4 bytes, 4-aligned, and valid while the boxed
    // CacheEpoch (`hint`) lives; the finalizer frees it with the buffer.
    // JS only reads the word.
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            env.raw(),
            word.cast(),
            std::mem::size_of::<u32>(),
            Some(release),
            hint.cast(),
            &mut buffer,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: no buffer took ownership of the box.
        drop(unsafe { Box::from_raw(hint) });
        return None;
    }
    let mut array = std::ptr::null_mut();
    // SAFETY: `buffer` is the 4-byte array buffer just created.
    let status = unsafe {
        sys::napi_create_typedarray(
            env.raw(),
            sys::TypedarrayType::uint32_array,
            1,
            buffer,
            0,
            &mut array,
        )
    };
    (status == sys::Status::napi_ok).then_some(Raw(array))
}
