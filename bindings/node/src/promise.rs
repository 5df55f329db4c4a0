//! Engine futures as JS Promises, run on the addon's runtime.
//!
//! The runtime has one worker thread. Token requests are few and I/O-bound,
//! and with one worker a request's tasks (the caller's wait, the engine's
//! fetch, the socket) never hand off between threads: a cold token request
//! costs two thread wake-ups (JS to the worker and back), not more. It is
//! started by the first call that needs it, not when the addon loads
//! (`require('m2m-auth')` starts no thread), is shared by every
//! `worker_threads` environment of the process, and is never shut down
//! (the engine's cache and its in-flight requests are process-wide too). It
//! holds no JS handle: it never keeps a process alive.
//!
//! A Promise is a napi deferred: the Promise and a threadsafe function that
//! settles it on the JS thread. Until it is settled, that function keeps
//! the event loop alive (a process waiting for an answer does not exit);
//! once settled, nothing is left. When the environment goes away first (a
//! worker terminated while waiting), napi aborts the function and the
//! answer is dropped.

use std::future::Future;
use std::sync::OnceLock;

use napi::bindgen_prelude::*;
use napi::JsDeferred;
use tokio::runtime::Runtime;

use crate::errors::config_error;

/// The runtime, started by the first call (or why it could not start).
fn runtime() -> std::result::Result<&'static Runtime, &'static str> {
    static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("m2m-auth")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start a runtime: {e}"))
        })
        .as_ref()
        .map_err(String::as_str)
}

/// A deferred that settles its Promise once: with the task's answer, or,
/// if the task is dropped without one (it panicked), with an error.
struct Settle<T: ToNapiValue, R: FnOnce(Env) -> Result<T>>(Option<JsDeferred<T, R>>);

impl<T: ToNapiValue, R: FnOnce(Env) -> Result<T>> Settle<T, R> {
    fn resolve(mut self, resolver: R) {
        if let Some(d) = self.0.take() {
            d.resolve(resolver);
        }
    }

    fn reject(mut self, error: Error) {
        if let Some(d) = self.0.take() {
            d.reject(error);
        }
    }
}

impl<T: ToNapiValue, R: FnOnce(Env) -> Result<T>> Drop for Settle<T, R> {
    fn drop(&mut self) {
        if let Some(d) = self.0.take() {
            d.reject(Error::new(
                Status::GenericFailure,
                "Panic in async function",
            ));
        }
    }
}

/// What a resolved Promise gets: `value`, converted on the JS thread.
fn ready<T>(value: T) -> impl FnOnce(Env) -> Result<T> {
    move |_| Ok(value)
}

/// A Promise of what `fut` gives, run on the runtime (started now if this is
/// the first call).
pub(crate) fn spawn<T, F>(env: &Env, fut: F) -> Result<PromiseRaw<'_, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    let (deferred, promise) = env.create_deferred()?;
    let settle = Settle(Some(deferred));
    match runtime() {
        Ok(rt) => {
            rt.spawn(async move {
                match fut.await {
                    Ok(v) => settle.resolve(ready(v)),
                    Err(e) => settle.reject(e),
                }
            });
        }
        Err(why) => settle.reject(config_error(why)),
    }
    Ok(PromiseRaw::new(env.raw(), promise.raw()))
}
