//! asyncio integration.
//!
//! An async call returns an `asyncio.Future` of the running loop at once; the
//! engine's future runs as a task on the engine's Tokio runtime. Its outcome,
//! still a Rust value, is queued for that loop, and the loop is woken with one
//! `loop.call_soon_threadsafe(drain)` per batch: the first outcome queued
//! schedules a drain, the rest ride along. The drain runs on the loop's own
//! thread, builds the Python values and resolves the futures. So the loop
//! never blocks, and a thousand callers sharing one token request cost one
//! wake-up and one GIL hand-off from the runtime, not a thousand.
//!
//! Why not pyo3-async-runtimes: it brings a runtime of its own (the engine
//! has one per process, replaced in a forked child), and it resolves each
//! future with a GIL acquisition of its own.

use std::future::Future;
use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::sync::Lock;
use crate::{logs, runtime};

/// Builds a call's Python result on the loop's thread.
pub(crate) type Completion = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// One event loop's deliveries.
pub(crate) struct LoopQueue {
    event_loop: Py<PyAny>,
    state: Lock<LoopState>,
}

#[derive(Default)]
struct LoopState {
    /// Calls started and not yet drained.
    outstanding: usize,
    /// Outcomes waiting for the drain (`None`: the task was dropped).
    done: Vec<(Py<PyAny>, Option<Completion>)>,
    /// A drain is scheduled and has not started.
    scheduled: bool,
}

/// Loops with calls outstanding (an entry holds its loop until then).
pub(crate) static LOOPS: Lock<Vec<Arc<LoopQueue>>> = Lock::new(Vec::new());

/// Runs `fut` on the runtime; returns a future of the running loop that gets
/// its outcome.
pub(crate) fn spawn<F>(py: Python<'_>, fut: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = Completion> + Send + 'static,
{
    let event_loop = running_loop(py)?;
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let rt = runtime::runtime(py)?;
    logs::refresh_level(py);
    let queue = queue_for(&event_loop);
    let mut pending = Pending {
        queue,
        future: Some(future.clone().unbind()),
    };
    rt.spawn(async move {
        let completion = fut.await;
        pending.complete(Some(completion));
    });
    Ok(future.unbind())
}

fn running_loop<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .get_or_try_init(py, || -> PyResult<_> {
            Ok(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?
        .bind(py)
        .call0()
}

fn queue_for(event_loop: &Bound<'_, PyAny>) -> Arc<LoopQueue> {
    let mut loops = LOOPS.lock();
    let queue = match loops
        .iter()
        .find(|q| q.event_loop.as_ptr() == event_loop.as_ptr())
    {
        Some(q) => q.clone(),
        None => {
            let q = Arc::new(LoopQueue {
                event_loop: event_loop.clone().unbind(),
                state: Lock::new(LoopState::default()),
            });
            loops.push(q.clone());
            q
        }
    };
    queue.state.lock().outstanding += 1;
    queue
}

/// A call in flight; delivers its outcome exactly once, also if its task is
/// dropped before it completes.
struct Pending {
    queue: Arc<LoopQueue>,
    future: Option<Py<PyAny>>,
}

impl Pending {
    fn complete(&mut self, completion: Option<Completion>) {
        let Some(future) = self.future.take() else {
            return;
        };
        let schedule = {
            let mut st = self.queue.state.lock();
            st.done.push((future, completion));
            !std::mem::replace(&mut st.scheduled, true)
        };
        if schedule {
            schedule_drain(&self.queue);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.complete(None);
    }
}

/// Wakes the loop to drain its queue; if the loop is closed (or Python is
/// finalizing), its deliveries are dropped.
fn schedule_drain(queue: &Arc<LoopQueue>) {
    let scheduled = Python::try_attach(|py| {
        let Ok(drain) = Py::new(
            py,
            Drain {
                queue: queue.clone(),
            },
        ) else {
            return false;
        };
        queue
            .event_loop
            .bind(py)
            .call_method1(pyo3::intern!(py, "call_soon_threadsafe"), (drain,))
            .is_ok()
    })
    .unwrap_or(false);
    if !scheduled {
        let dropped = take_done(queue);
        drop(dropped);
    }
}

/// Takes the queued outcomes; forgets the loop once nothing is outstanding.
fn take_done(queue: &Arc<LoopQueue>) -> Vec<(Py<PyAny>, Option<Completion>)> {
    let mut loops = LOOPS.lock();
    let mut st = queue.state.lock();
    st.scheduled = false;
    let done = std::mem::take(&mut st.done);
    st.outstanding = st.outstanding.saturating_sub(done.len());
    if st.outstanding == 0 {
        loops.retain(|q| !Arc::ptr_eq(q, queue));
    }
    done
}

/// Resolves the futures of one loop's queued outcomes (called by the loop).
#[pyclass(frozen, module = "m2m_auth._native")]
pub(crate) struct Drain {
    queue: Arc<LoopQueue>,
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        for (future, completion) in take_done(&self.queue) {
            let future = future.bind(py);
            // A cancelled caller's future is already done.
            if future
                .call_method0(pyo3::intern!(py, "done"))
                .and_then(|d| d.is_truthy())
                .unwrap_or(true)
            {
                continue;
            }
            let outcome = match completion {
                Some(c) => c(py),
                None => Err(PyRuntimeError::new_err(
                    "m2m_auth: the call was abandoned by its runtime",
                )),
            };
            let _ = match outcome {
                Ok(v) => future.call_method1(pyo3::intern!(py, "set_result"), (v,)),
                Err(e) => future.call_method1(pyo3::intern!(py, "set_exception"), (e.value(py),)),
            };
        }
        logs::flush();
    }
}

/// A running event loop with an asyncio call waiting for the engine, if
/// any: where an `async def` assertion provider runs.
pub(crate) fn waiting_loop(py: Python<'_>) -> Option<Py<PyAny>> {
    LOOPS
        .lock()
        .iter()
        .find(|q| q.state.lock().outstanding > 0)
        .map(|q| q.event_loop.clone_ref(py))
}

/// In a forked child: the parent's calls run on the parent's runtime, not in
/// this process; forget them.
pub(crate) fn after_fork_child() {
    let parents = std::mem::take(&mut *LOOPS.lock());
    drop(parents);
}
