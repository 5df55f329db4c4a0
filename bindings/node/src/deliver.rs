//! Engine records (log records, token request records) handed to one
//! process-wide JS function through a napi threadsafe function: calls are
//! non-blocking (a record never waits for the JS thread) and the function is
//! unref'd (it never keeps the event loop alive). A closing environment (a
//! worker that set the function has exited) refuses the call: the batch is
//! dropped.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

/// A batch of records of type `T` as JS sees it.
type Deliver<B> = ThreadsafeFunction<B, Unknown<'static>, B, Status, false, true>;

/// What core's `set_sink` functions take for records of type `T`.
pub(crate) type Sink<T> = Arc<dyn Fn(&[T]) + Send + Sync>;

/// A core sink that sends each batch, converted by `batch`, to `dispatch`.
pub(crate) fn js_sink<T, B>(
    dispatch: Function<'_, B, Unknown<'static>>,
    batch: fn(Vec<T>) -> B,
) -> Result<Sink<T>>
where
    T: Clone + Send + 'static,
    B: ToNapiValue + Send + 'static,
{
    let deliver: Arc<Deliver<B>> = Arc::new(
        dispatch
            .build_threadsafe_function::<B>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?,
    );
    Ok(Arc::new(move |records: &[T]| {
        deliver.call(
            batch(records.to_vec()),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }))
}
