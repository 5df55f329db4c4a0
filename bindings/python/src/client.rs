//! `TokenClient`: the engine's client for Python.
//!
//! Hot path: `get_token()` on a fresh cached token calls the engine's
//! synchronous `cached_token` (no runtime, no I/O, the GIL kept) and returns
//! the Python `Token` it returned last time if the engine's token is the same
//! one, so the call allocates nothing. Every other path waits on the engine's
//! future with the GIL released (sync) or on the asyncio loop (async).

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use m2m_auth::{TokenClientBuilder, TokenRequest};
use parking_lot::Mutex;
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyo3::Borrowed;

use crate::aio::{self, Completion};
use crate::convert::{self, RequestArgs};
use crate::errors;
use crate::runtime::block_on;
use crate::types::{ApiResponse, RetryPolicy, Stats, Token};

/// An OAuth 2.0 client credentials client with a process-wide token cache.
///
/// Exactly one of `token_url`, `domain` (Auth0: `https://{domain}/oauth/token`)
/// or `issuer` (OpenID discovery, then RFC 8414). `client_id` and
/// `client_secret` are required; `auth_method` is `client_secret_post`
/// (default) or `client_secret_basic`. `audience`, `scope` (str or list),
/// `organization`, `resource` (str or list) and `extra` (dict) are the
/// default request parameters; every call may override them. Durations are
/// seconds (or `timedelta`). `environ`: a mapping (such as `os.environ`) to
/// read the `M2M_AUTH_*` options from first; explicit arguments win.
///
/// Clients with the same endpoint, credentials and parameters share cached
/// tokens and in-flight requests process-wide. Thread-safe; usable from any
/// number of threads and event loops at once, and in a forked child.
#[pyclass(
    frozen,
    subclass,
    weakref,
    module = "m2m_auth._native",
    name = "TokenClient"
)]
pub(crate) struct TokenClient {
    /// The client of the hot path (cache reads only, no I/O).
    hot: m2m_auth::TokenClient,
    /// How `hot` was built, to build this process's own after a fork.
    builder: TokenClientBuilder,
    /// The client that does I/O in this process.
    io: Mutex<Io>,
    memo: Arc<Memo>,
    closed: AtomicBool,
}

struct Io {
    pid: u32,
    client: m2m_auth::TokenClient,
    /// True once `client` is not `hot` (a forked child built its own: the
    /// parent's connection pool belongs to the parent's runtime).
    rebuilt: bool,
}

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

    fn clear(&self, _py: Python<'_>) {
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
static DEFAULT_REQUEST: TokenRequest = TokenRequest {
    audience: None,
    scope: None,
    organization: None,
    resource: None,
    extra: None,
};

/// The parameter names of `get_token()`, in order.
const REQUEST_PARAMS: [&std::ffi::CStr; 5] = [
    c"audience",
    c"scope",
    c"organization",
    c"resource",
    c"extra",
];

impl TokenClient {
    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(errors::config(py, "this TokenClient is closed"));
        }
        Ok(())
    }

    /// The client that does I/O in this process (built anew in a forked child).
    fn io(&self, py: Python<'_>) -> PyResult<m2m_auth::TokenClient> {
        let pid = std::process::id();
        let mut io = self.io.lock();
        if io.pid != pid {
            io.client = self
                .builder
                .clone()
                .build()
                .map_err(|e| errors::to_py(py, &e))?;
            io.pid = pid;
            io.rebuilt = true;
        }
        Ok(io.client.clone())
    }

    fn wrap(&self, py: Python<'_>, token: m2m_auth::Token, default: bool) -> PyResult<Py<Token>> {
        if default {
            self.memo.wrap(py, token)
        } else {
            Py::new(py, Token::new(token))
        }
    }

    fn token(&self, py: Python<'_>, args: RequestArgs<'_, '_>, fetch: bool) -> PyResult<Py<Token>> {
        self.check_open(py)?;
        let default = args.is_empty();
        let request = if default {
            DEFAULT_REQUEST.clone()
        } else {
            args.to_request(py)?
        };
        if !fetch {
            if let Some(t) = self.hot.cached_token(&request) {
                return self.wrap(py, t, default);
            }
        }
        let client = self.io(py)?;
        let result = block_on(py, async move {
            if fetch {
                client.fetch_token(&request).await
            } else {
                client.get_token(&request).await
            }
        })?;
        match result {
            Ok(t) => self.wrap(py, t, default),
            Err(e) => Err(errors::to_py(py, &e)),
        }
    }

    fn token_async(
        &self,
        py: Python<'_>,
        args: RequestArgs<'_, '_>,
        fetch: bool,
    ) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        let default = args.is_empty();
        let request = if default {
            TokenRequest::new()
        } else {
            args.to_request(py)?
        };
        if !fetch {
            if let Some(t) = self.hot.cached_token(&request) {
                return Ok(self.wrap(py, t, default)?.into_any());
            }
        }
        let client = self.io(py)?;
        let memo = default.then(|| self.memo.clone());
        aio::spawn(py, async move {
            let result = if fetch {
                client.fetch_token(&request).await
            } else {
                client.get_token(&request).await
            };
            Box::new(move |py: Python<'_>| match result {
                Ok(t) => Ok(match memo {
                    Some(memo) => memo.wrap(py, t)?.into_any(),
                    None => Py::new(py, Token::new(t))?.into_any(),
                }),
                Err(e) => Err(errors::to_py(py, &e)),
            }) as Completion
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn build(
    py: Python<'_>,
    token_url: Option<String>,
    domain: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    auth_method: Option<String>,
    audience: Option<String>,
    scope: Option<&Bound<'_, PyAny>>,
    organization: Option<String>,
    resource: Option<&Bound<'_, PyAny>>,
    extra: Option<&Bound<'_, PyAny>>,
    timeout: Option<&Bound<'_, PyAny>>,
    connect_timeout: Option<&Bound<'_, PyAny>>,
    leeway: Option<&Bound<'_, PyAny>>,
    refresh_ratio: Option<f64>,
    retry: Option<PyRef<'_, RetryPolicy>>,
    max_response_bytes: Option<usize>,
    default_expires_in: Option<&Bound<'_, PyAny>>,
    ca_certs: Option<&Bound<'_, PyAny>>,
    proxy: Option<String>,
    no_proxy: bool,
    cache: Option<String>,
    max_cache_keys: Option<usize>,
    environ: Option<&Bound<'_, PyAny>>,
) -> PyResult<TokenClientBuilder> {
    let mut b = m2m_auth::TokenClient::builder().binding("python");
    if let Some(env) = environ {
        b = b.from_vars(|name| {
            let v = env.call_method1("get", (name,)).ok()?;
            v.cast::<PyString>()
                .ok()?
                .to_cow()
                .ok()
                .map(|s| s.into_owned())
        });
    }
    if let Some(v) = token_url {
        b = b.token_url(v);
    }
    if let Some(v) = domain {
        b = b.domain(v);
    }
    if let Some(v) = issuer {
        b = b.issuer(v);
    }
    if let Some(v) = client_id {
        b = b.client_id(v);
    }
    if let Some(v) = client_secret {
        b = b.client_secret(v);
    }
    if let Some(v) = auth_method {
        b = b.auth_method_name(v);
    }
    if let Some(v) = audience {
        b = b.audience(v);
    }
    if let Some(v) = scope {
        b = b.scope(convert::strings(py, v, "scope")?);
    }
    if let Some(v) = organization {
        b = b.organization(v);
    }
    if let Some(v) = resource {
        b = b.resource(convert::strings(py, v, "resource")?);
    }
    if let Some(v) = extra {
        for (k, v) in convert::string_map(py, v, "extra")? {
            b = b.extra(k, v);
        }
    }
    if let Some(v) = timeout {
        b = b.timeout(convert::duration(py, v, "timeout")?);
    }
    if let Some(v) = connect_timeout {
        b = b.connect_timeout(convert::duration(py, v, "connect_timeout")?);
    }
    if let Some(v) = leeway {
        b = b.leeway(convert::duration(py, v, "leeway")?);
    }
    if let Some(v) = refresh_ratio {
        b = b.refresh_ratio(v);
    }
    if let Some(v) = retry {
        b = b.retry_policy(v.policy.clone());
    }
    if let Some(v) = max_response_bytes {
        b = b.max_response_bytes(v);
    }
    if let Some(v) = default_expires_in {
        b = b.default_expires_in(convert::duration(py, v, "default_expires_in")?);
    }
    if let Some(v) = ca_certs {
        let pems = if v.is_instance_of::<PyString>() || v.is_instance_of::<pyo3::types::PyBytes>() {
            vec![convert::bytes(py, v, "ca_certs")?]
        } else {
            let mut out = Vec::new();
            for item in v.try_iter()? {
                out.push(convert::bytes(py, &item?, "ca_certs")?);
            }
            out
        };
        for pem in pems {
            b = b.add_root_certificate_pem(pem);
        }
    }
    if let Some(v) = proxy {
        b = b.proxy(v);
    }
    if no_proxy {
        b = b.no_proxy();
    }
    if let Some(v) = cache {
        b = b.cache(v);
    }
    if let Some(v) = max_cache_keys {
        b = b.max_cache_keys(v);
    }
    Ok(b)
}

#[pymethods]
impl TokenClient {
    #[new]
    #[pyo3(signature = (*, token_url=None, domain=None, issuer=None, client_id=None, client_secret=None, auth_method=None, audience=None, scope=None, organization=None, resource=None, extra=None, timeout=None, connect_timeout=None, leeway=None, refresh_ratio=None, retry=None, max_response_bytes=None, default_expires_in=None, ca_certs=None, proxy=None, no_proxy=false, cache=None, max_cache_keys=None, environ=None))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        token_url: Option<String>,
        domain: Option<String>,
        issuer: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        auth_method: Option<String>,
        audience: Option<String>,
        scope: Option<&Bound<'_, PyAny>>,
        organization: Option<String>,
        resource: Option<&Bound<'_, PyAny>>,
        extra: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        leeway: Option<&Bound<'_, PyAny>>,
        refresh_ratio: Option<f64>,
        retry: Option<PyRef<'_, RetryPolicy>>,
        max_response_bytes: Option<usize>,
        default_expires_in: Option<&Bound<'_, PyAny>>,
        ca_certs: Option<&Bound<'_, PyAny>>,
        proxy: Option<String>,
        no_proxy: bool,
        cache: Option<String>,
        max_cache_keys: Option<usize>,
        environ: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let builder = build(
            py,
            token_url,
            domain,
            issuer,
            client_id,
            client_secret,
            auth_method,
            audience,
            scope,
            organization,
            resource,
            extra,
            timeout,
            connect_timeout,
            leeway,
            refresh_ratio,
            retry,
            max_response_bytes,
            default_expires_in,
            ca_certs,
            proxy,
            no_proxy,
            cache,
            max_cache_keys,
            environ,
        )?;
        let client = builder.clone().build().map_err(|e| errors::to_py(py, &e))?;
        Ok(TokenClient {
            hot: client.clone(),
            builder,
            io: Mutex::new(Io {
                pid: std::process::id(),
                client,
                rebuilt: false,
            }),
            memo: Arc::default(),
            closed: AtomicBool::new(false),
        })
    }

    /// A new token from the token endpoint, bypassing (and then updating) the
    /// cache. Joins a request for the same key already in flight. Releases
    /// the GIL while it waits.
    #[pyo3(signature = (audience=None, scope=None, organization=None, resource=None, extra=None))]
    fn fetch_token<'py>(
        &self,
        py: Python<'py>,
        audience: Option<String>,
        scope: Option<&Bound<'py, PyAny>>,
        organization: Option<String>,
        resource: Option<&Bound<'py, PyAny>>,
        extra: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Py<Token>> {
        let args = RequestArgs {
            audience,
            scope,
            organization,
            resource,
            extra,
        };
        self.token(py, args, true)
    }

    /// Drops the cached token for this request, e.g. after an API answered
    /// 401 with it. The next call fetches a new one.
    #[pyo3(signature = (audience=None, scope=None, organization=None, resource=None, extra=None))]
    fn invalidate<'py>(
        &self,
        py: Python<'py>,
        audience: Option<String>,
        scope: Option<&Bound<'py, PyAny>>,
        organization: Option<String>,
        resource: Option<&Bound<'py, PyAny>>,
        extra: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        self.check_open(py)?;
        let args = RequestArgs {
            audience,
            scope,
            organization,
            resource,
            extra,
        };
        let request = args.to_request(py)?;
        crate::logs::refresh_level(py);
        let result = self.hot.invalidate(&request);
        crate::logs::flush(py);
        result.map_err(|e| errors::to_py(py, &e))
    }

    /// Drops the cached token for this request only if it is still `token`
    /// (a `Token`, or its access token), e.g. the token an API just answered
    /// 401 to: a concurrent caller may already have renewed it, and that
    /// renewal is kept. What the HTTP client adapters call on a 401.
    #[pyo3(signature = (token, audience=None, scope=None, organization=None, resource=None, extra=None))]
    #[allow(clippy::too_many_arguments)]
    fn invalidate_rejected<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        audience: Option<String>,
        scope: Option<&Bound<'py, PyAny>>,
        organization: Option<String>,
        resource: Option<&Bound<'py, PyAny>>,
        extra: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        self.check_open(py)?;
        let args = RequestArgs {
            audience,
            scope,
            organization,
            resource,
            extra,
        };
        let request = args.to_request(py)?;
        crate::logs::refresh_level(py);
        let result = if let Ok(t) = token.cast::<Token>() {
            self.hot
                .invalidate_rejected(&request, t.get().token.access_token())
        } else if let Ok(s) = token.cast::<PyString>() {
            self.hot.invalidate_rejected(&request, &s.to_cow()?)
        } else {
            return Err(PyTypeError::new_err("token must be a Token or a str"));
        };
        crate::logs::flush(py);
        result.map_err(|e| errors::to_py(py, &e))
    }

    /// Calls an API with `Authorization: Bearer <token>`. If the API answers
    /// 401, the token is invalidated, a new one fetched, and the call made
    /// once more; whatever the API answers then is returned. `headers`: a
    /// mapping of extra request headers; `body`: `bytes` or `str`. Redirects
    /// are not followed. Releases the GIL while it waits.
    #[pyo3(signature = (method, url, *, headers=None, body=None, audience=None, scope=None, organization=None, resource=None, extra=None))]
    #[allow(clippy::too_many_arguments)]
    fn call_api<'py>(
        &self,
        py: Python<'py>,
        method: String,
        url: String,
        headers: Option<&Bound<'py, PyAny>>,
        body: Option<&Bound<'py, PyAny>>,
        audience: Option<String>,
        scope: Option<&Bound<'py, PyAny>>,
        organization: Option<String>,
        resource: Option<&Bound<'py, PyAny>>,
        extra: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<ApiResponse> {
        self.check_open(py)?;
        let args = RequestArgs {
            audience,
            scope,
            organization,
            resource,
            extra,
        };
        let (request, headers, body) = api_args(py, &args, headers, body)?;
        let client = self.io(py)?;
        let result = block_on(py, async move {
            client
                .call_api(&request, &method, &url, &headers, body)
                .await
        })?;
        result
            .map(|response| ApiResponse { response })
            .map_err(|e| errors::to_py(py, &e))
    }

    /// `get_token()` for asyncio: the token itself on a fresh cache hit, else
    /// an `asyncio.Future` of this loop. Use `get_token_async()`.
    #[pyo3(signature = (audience=None, scope=None, organization=None, resource=None, extra=None))]
    fn _get_token_async<'py>(
        &self,
        py: Python<'py>,
        audience: Option<String>,
        scope: Option<&Bound<'py, PyAny>>,
        organization: Option<String>,
        resource: Option<&Bound<'py, PyAny>>,
        extra: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let args = RequestArgs {
            audience,
            scope,
            organization,
            resource,
            extra,
        };
        self.token_async(py, args, false)
    }

    /// `fetch_token()` for asyncio: an `asyncio.Future` of this loop. Use
    /// `fetch_token_async()`.
    #[pyo3(signature = (audience=None, scope=None, organization=None, resource=None, extra=None))]
    fn _fetch_token_async<'py>(
        &self,
        py: Python<'py>,
        audience: Option<String>,
        scope: Option<&Bound<'py, PyAny>>,
        organization: Option<String>,
        resource: Option<&Bound<'py, PyAny>>,
        extra: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let args = RequestArgs {
            audience,
            scope,
            organization,
            resource,
            extra,
        };
        self.token_async(py, args, true)
    }

    /// `call_api()` for asyncio: an `asyncio.Future` of this loop. Use
    /// `call_api_async()`.
    #[pyo3(signature = (method, url, *, headers=None, body=None, audience=None, scope=None, organization=None, resource=None, extra=None))]
    #[allow(clippy::too_many_arguments)]
    fn _call_api_async<'py>(
        &self,
        py: Python<'py>,
        method: String,
        url: String,
        headers: Option<&Bound<'py, PyAny>>,
        body: Option<&Bound<'py, PyAny>>,
        audience: Option<String>,
        scope: Option<&Bound<'py, PyAny>>,
        organization: Option<String>,
        resource: Option<&Bound<'py, PyAny>>,
        extra: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        let args = RequestArgs {
            audience,
            scope,
            organization,
            resource,
            extra,
        };
        let (request, headers, body) = api_args(py, &args, headers, body)?;
        let client = self.io(py)?;
        aio::spawn(py, async move {
            let result = client
                .call_api(&request, &method, &url, &headers, body)
                .await;
            Box::new(move |py: Python<'_>| match result {
                Ok(response) => Ok(Py::new(py, ApiResponse { response })?.into_any()),
                Err(e) => Err(errors::to_py(py, &e)),
            }) as Completion
        })
    }

    /// This client's counters.
    fn stats(&self) -> Stats {
        let io = self.io.lock();
        let mut s = self.hot.stats();
        if io.rebuilt {
            let child = io.client.stats();
            s.hits += child.hits;
            s.misses += child.misses;
            s.fetches += child.fetches;
            s.refreshes += child.refreshes;
            s.failures += child.failures;
        }
        s.into()
    }

    /// Closes the client: later calls raise `ConfigError`. Cached tokens stay
    /// in the process-wide cache for other clients with the same key.
    fn close(&self, py: Python<'_>) {
        self.closed.store(true, Ordering::Relaxed);
        self.memo.clear(py);
    }

    /// True once `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// The client id.
    #[getter]
    fn client_id(&self) -> &str {
        self.hot.client_id()
    }

    /// The client authentication method (`client_secret_post`, `client_secret_basic`).
    #[getter]
    fn auth_method(&self) -> &'static str {
        self.hot.auth_method().as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "TokenClient(client_id={:?}, auth_method={:?}{})",
            self.hot.client_id(),
            self.hot.auth_method().as_str(),
            if self.closed.load(Ordering::Relaxed) {
                ", closed"
            } else {
                ""
            }
        )
    }
}

/// `TokenClient.get_token`'s docstring, with its signature first (CPython
/// reads `__text_signature__` from it).
const GET_TOKEN_DOC: &std::ffi::CStr =
    c"get_token($self, /, audience=None, scope=None, organization=None, resource=None, extra=None)
--

A usable token: from the cache when it holds one, else from the token
endpoint (one request per key however many callers wait). A token past
its refresh point is returned at once while one background request
renews it. Any argument given overrides the client's default for this
call (each distinct request is cached under its own key). Releases the
GIL while it waits.";

/// Installs `TokenClient.get_token`.
///
/// The hot path of the package: a method of the C calling convention
/// (`METH_VARARGS | METH_KEYWORDS`, which CPython calls with an empty tuple
/// and no dict when there are no arguments) written against the FFI rather
/// than through pyo3's method machinery, because that machinery (argument
/// table, `*args` slicing, borrow bookkeeping) costs more than the engine's
/// whole cache read. A call without arguments on a fresh token is two size
/// checks, `cached_token`, and the memoized `Token`; anything else goes
/// through the same code as the other methods.
pub(crate) fn install_get_token(ty: &Bound<'_, pyo3::types::PyType>) -> PyResult<()> {
    let def: &'static mut ffi::PyMethodDef = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: c"get_token".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionWithKeywords: get_token_ffi,
        },
        ml_flags: ffi::METH_VARARGS | ffi::METH_KEYWORDS,
        ml_doc: GET_TOKEN_DOC.as_ptr(),
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
        if let Some(t) = this.hot.cached_token(&DEFAULT_REQUEST) {
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
    let kwargs = (!kwargs.is_null())
        .then(|| unsafe { Borrowed::from_ptr(py, kwargs).cast_unchecked::<PyDict>() });
    let mut values: [Option<Bound<'_, PyAny>>; 5] = Default::default();
    parse_request_args(py, &args, kwargs.as_deref(), &mut values)?;
    let [audience, scope, organization, resource, extra] = &values;
    let text = |v: &Option<Bound<'_, PyAny>>, name: &str| -> PyResult<Option<String>> {
        v.as_ref()
            .map(|v| {
                v.extract::<String>()
                    .map_err(|_| PyTypeError::new_err(format!("{name} must be a str or None")))
            })
            .transpose()
    };
    let request = RequestArgs {
        audience: text(audience, "audience")?,
        scope: scope.as_ref(),
        organization: text(organization, "organization")?,
        resource: resource.as_ref(),
        extra: extra.as_ref(),
    };
    Ok(this.token(py, request, false)?.into_any())
}

/// Python's binding of `(audience=None, scope=None, organization=None,
/// resource=None, extra=None)` to `args` and `kwargs`; `None` values count
/// as not given.
fn parse_request_args<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    values: &mut [Option<Bound<'py, PyAny>>; 5],
) -> PyResult<()> {
    if args.len() > REQUEST_PARAMS.len() {
        return Err(PyTypeError::new_err(format!(
            "get_token() takes at most {} positional arguments ({} given)",
            REQUEST_PARAMS.len(),
            args.len()
        )));
    }
    for (i, v) in args.iter().enumerate() {
        values[i] = Some(v);
    }
    if let Some(kwargs) = kwargs {
        for (k, v) in kwargs.iter() {
            let k = k.cast_into::<PyString>()?;
            // SAFETY: `k` is a str; the names are NUL-terminated ASCII.
            let found = REQUEST_PARAMS.iter().position(
                |p| unsafe { ffi::PyUnicode_CompareWithASCIIString(k.as_ptr(), p.as_ptr()) } == 0,
            );
            let Some(i) = found else {
                return Err(PyTypeError::new_err(format!(
                    "get_token() got an unexpected keyword argument '{}'",
                    k.to_cow()?
                )));
            };
            let name = REQUEST_PARAMS[i].to_str().unwrap_or_default();
            if i < args.len() {
                return Err(PyTypeError::new_err(format!(
                    "get_token() got multiple values for argument '{name}'"
                )));
            }
            values[i] = Some(v);
        }
    }
    for v in values.iter_mut() {
        if v.as_ref().is_some_and(|v| v.is_none()) {
            *v = None;
        }
    }
    let _ = py;
    Ok(())
}

type ApiArgs = (TokenRequest, Vec<(String, String)>, Option<Vec<u8>>);

fn api_args(
    py: Python<'_>,
    args: &RequestArgs<'_, '_>,
    headers: Option<&Bound<'_, PyAny>>,
    body: Option<&Bound<'_, PyAny>>,
) -> PyResult<ApiArgs> {
    let request = args.to_request(py)?;
    let headers = match headers {
        Some(h) => convert::string_map(py, h, "headers")?.into_iter().collect(),
        None => Vec::new(),
    };
    let body = match body {
        Some(b) => Some(convert::bytes(py, b, "body")?),
        None => None,
    };
    Ok((request, headers, body))
}
