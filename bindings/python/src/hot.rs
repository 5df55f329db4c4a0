//! The hot path: `TokenClient.get_token()` on a fresh cached token.
//!
//! It calls the engine's synchronous `cached_token` (no runtime, no I/O, the
//! GIL kept) and returns the Python `Token` it returned last time if the
//! engine's token is the same one ([`Memo`]), so the call allocates nothing.
//! `get_token` is a method of the C calling convention installed by
//! [`install_get_token`], because pyo3's method machinery costs more than the
//! engine's whole cache read.

use std::cell::UnsafeCell;
use std::ffi::CString;
use std::sync::atomic::Ordering;

use m2m_auth::surface::REQUEST_PARAMETERS;
use m2m_auth::TokenRequest;
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};
use pyo3::Borrowed;

use crate::client::TokenClient;
use crate::options;
use crate::types::Token;

/// The Python `Token` last handed out for the default request, and the engine
/// token it wraps.
///
/// Guarded by the GIL rather than a lock (a lock's two atomic operations would
/// be a tenth of the hot path): only touched by methods that take a
/// `Python<'_>`, never across a call that may run Python code (so never
/// re-entered), and this abi3 module only runs with a GIL (free-threaded
/// interpreters do not load abi3 modules, and `_native` refuses to import if
/// the GIL is off).
#[derive(Default)]
pub(crate) struct Memo(UnsafeCell<Option<(m2m_auth::Token, Py<Token>)>>);

// SAFETY: see above: every access holds the GIL and ends before any Python
// code can run, so one thread at a time and never re-entrant.
unsafe impl Sync for Memo {}

impl Memo {
    /// The Python object for `token`: the memoized one if `token` is the token
    /// it wraps, else a new one (then memoized).
    #[inline]
    pub(crate) fn wrap(&self, py: Python<'_>, token: m2m_auth::Token) -> PyResult<Py<Token>> {
        // SAFETY: the GIL is held (`py`); the reference ends before any call
        // that could run Python code (`clone_ref` only counts a reference).
        if let Some((known, object)) = unsafe { &mut *self.0.get() } {
            if same_allocation(known, &token) {
                return Ok(object.clone_ref(py));
            }
            if same_token(known, &token) {
                // Another copy of the same token (the engine hands each
                // thread its own): keep this one, so that the next call from
                // this thread matches on the address alone.
                let object = object.clone_ref(py);
                drop(std::mem::replace(known, token));
                return Ok(object);
            }
        }
        // May run Python code (a garbage collection): no reference is held.
        let object = Py::new(py, Token::new(token.clone()))?;
        // SAFETY: as above.
        let previous = unsafe { (*self.0.get()).replace((token, object.clone_ref(py))) };
        drop(previous);
        Ok(object)
    }

    pub(crate) fn clear(&self, _py: Python<'_>) {
        // SAFETY: as in `wrap`; the value is dropped after the access ends.
        let previous = unsafe { (*self.0.get()).take() };
        drop(previous);
    }
}

/// Whether two engine tokens are one copy: the same allocation (the memo
/// keeps the one it holds alive, so the address cannot be reused).
#[inline]
fn same_allocation(a: &m2m_auth::Token, b: &m2m_auth::Token) -> bool {
    std::ptr::eq(a.access_token().as_ptr(), b.access_token().as_ptr())
}

/// Whether two engine tokens are the same token (each thread reads its own
/// copy from the engine).
fn same_token(a: &m2m_auth::Token, b: &m2m_auth::Token) -> bool {
    a.access_token() == b.access_token() && a.expires_at() == b.expires_at()
}

/// The request of a call that overrides nothing.
pub(crate) static DEFAULT_REQUEST: TokenRequest = TokenRequest {
    audience: None,
    scope: None,
    organization: None,
    resource: None,
    extra: None,
};

/// `get_token`'s docstring: its signature first (CPython reads
/// `__text_signature__` from it), then the request parameters the engine
/// declares, each with its doc line.
fn get_token_doc() -> CString {
    let mut doc = String::from(
        "get_token($self, /, **params)\n--\n\n\
         A usable token: from the cache when it holds one, else from the token\n\
         endpoint (one request per key however many callers wait). A token past\n\
         its refresh point is returned at once while one background request\n\
         renews it. Each keyword given overrides the client's default for this\n\
         call (each distinct request is cached under its own key). Releases the\n\
         GIL while it waits.\n\nKeywords:\n",
    );
    for p in REQUEST_PARAMETERS {
        doc.push_str(&format!("    {}: {}\n", p.name, p.doc));
    }
    CString::new(doc).unwrap_or_default()
}

/// Installs `TokenClient.get_token`.
///
/// A method of the C calling convention (`METH_VARARGS | METH_KEYWORDS`,
/// which CPython calls with an empty tuple and no dict when there are no
/// arguments) written against the FFI rather than through pyo3's method
/// machinery (argument table, borrow bookkeeping). A call without arguments
/// on a fresh token is two size checks, `cached_token`, and the memoized
/// `Token`; anything else goes through the same code as the other methods.
pub(crate) fn install_get_token(ty: &Bound<'_, PyType>) -> PyResult<()> {
    let doc: &'static CString = Box::leak(Box::new(get_token_doc()));
    let def: &'static mut ffi::PyMethodDef = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: c"get_token".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionWithKeywords: get_token_ffi,
        },
        ml_flags: ffi::METH_VARARGS | ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    }));
    // SAFETY: `ty` is a type object and `def` lives for the whole process.
    let descr = unsafe {
        Bound::from_owned_ptr_or_err(ty.py(), ffi::PyDescr_NewMethod(ty.as_type_ptr(), def))?
    };
    ty.setattr("get_token", descr)
}

unsafe extern "C" fn get_token_ffi(
    slf: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls a method with the GIL held (abi3: never a
    // free-threaded build).
    let py = unsafe { Python::assume_attached() };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: a method descriptor calls its function only with an
        // instance of its type (checked by CPython), a tuple, and a dict or
        // NULL.
        unsafe { get_token_impl(py, slf, args, kwargs) }
    }));
    match outcome {
        Ok(Ok(object)) => object.into_ptr(),
        Ok(Err(e)) => {
            e.restore(py);
            std::ptr::null_mut()
        }
        Err(_) => {
            pyo3::panic::PanicException::new_err("m2m_auth: get_token panicked").restore(py);
            std::ptr::null_mut()
        }
    }
}

/// # Safety
/// `slf` is a `TokenClient`, `args` a tuple, `kwargs` a dict or NULL.
#[inline]
unsafe fn get_token_impl(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> PyResult<Py<PyAny>> {
    let slf = unsafe { Borrowed::from_ptr(py, slf).cast_unchecked::<TokenClient>() };
    let this = slf.get();
    let no_args = unsafe { ffi::PyTuple_Size(args) } == 0
        && (kwargs.is_null() || unsafe { ffi::PyDict_Size(kwargs) } == 0);
    if no_args && !this.closed.load(Ordering::Relaxed) {
        if let Some(t) = this.client.cached_token(&DEFAULT_REQUEST) {
            return Ok(this.memo.wrap(py, t)?.into_any());
        }
    }
    // Everything else runs as any pyo3 method does (attached through pyo3,
    // which keeps its own bookkeeping of the thread's state).
    Python::attach(|py| unsafe { get_token_slow(py, this, args, kwargs) })
}

/// # Safety
/// `args` is a tuple, `kwargs` a dict or NULL.
unsafe fn get_token_slow(
    py: Python<'_>,
    this: &TokenClient,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> PyResult<Py<PyAny>> {
    let args = unsafe { Borrowed::from_ptr(py, args).cast_unchecked::<PyTuple>() };
    if !args.is_empty() {
        return Err(PyTypeError::new_err(format!(
            "get_token() takes no positional arguments ({} given): the request \
             parameters are keywords",
            args.len()
        )));
    }
    let kwargs = (!kwargs.is_null())
        .then(|| unsafe { Borrowed::from_ptr(py, kwargs).cast_unchecked::<PyDict>() });
    let request = options::request(py, "get_token", kwargs.as_deref())?;
    Ok(this.token(py, request, false)?.into_any())
}
